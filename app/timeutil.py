"""Time helpers: everything is stored as naive UTC, and shown one way (the ``date`` template filter)."""
from datetime import UTC, date, datetime

# How much of a moment a page shows: the day, or the day and the time to the minute or the second.
PRECISIONS = ("day", "minute", "second")


def utcnow() -> datetime:
    """The current UTC time without tzinfo, as stored in the database."""
    return datetime.now(UTC).replace(tzinfo=None)


def format_date(value: date | datetime | None, precision: str = "day") -> str:
    """A date or a stored (naive UTC) time as people read it: "1 November 2025", "1 November 2025 at 14:05 UTC",
    "1 November 2025 at 14:05:09 UTC"; nothing for no value. The ``date`` filter of every template."""
    if value is None:
        return ""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    day = f"{value.day} {value.strftime('%B %Y')}"
    if precision == "day" or not isinstance(value, datetime):
        return day
    return f"{day} at {value.strftime('%H:%M' if precision == 'minute' else '%H:%M:%S')} UTC"
