"""Time helpers: everything is stored as naive UTC."""
from datetime import UTC, datetime


def utcnow() -> datetime:
    """The current UTC time without tzinfo, as stored in the database."""
    return datetime.now(UTC).replace(tzinfo=None)
