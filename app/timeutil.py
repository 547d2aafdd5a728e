"""Time helpers: everything is stored as naive UTC, and shown one way (the ``date`` template filter)."""

from datetime import UTC, date, datetime, tzinfo

# How much of a moment a page shows: the day, or the day and the time to the minute or the second.
PRECISIONS = ("day", "minute", "second")


def utcnow() -> datetime:
    """The current UTC time without tzinfo, as stored in the database."""
    return datetime.now(UTC).replace(tzinfo=None)


def format_date(value: date | datetime | None, precision: str = "day", zone: tzinfo | None = None) -> str:
    """A date or a stored (naive UTC) time as people read it, one way everywhere: "1 November 2025",
    "1 November 2025 at 09:05 EST", "1 November 2025 at 09:05:09 EST"; nothing for no value.

    A time is shown in ``zone`` (UTC when None), with the zone's abbreviation, so a reader never has to guess;
    its day is the day in that zone. A date (a due date, a submission day) has no zone and is shown as it is.
    The ``date`` filter of every template passes the association's zone (the TIMEZONE setting)."""
    if value is None:
        return ""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    if isinstance(value, datetime):
        value = value.replace(tzinfo=UTC).astimezone(zone or UTC)
    day = f"{value.day} {value.strftime('%B %Y')}"
    if precision == "day" or not isinstance(value, datetime):
        return day
    return f"{day} at {value.strftime('%H:%M' if precision == 'minute' else '%H:%M:%S')} {value.strftime('%Z')}"
