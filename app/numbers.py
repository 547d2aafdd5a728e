"""Whole numbers from a request: ASCII digits only, bounded, refused by field name.

Python's ``str.isdigit()`` is true for "²" and "①", which ``int()`` cannot read,
and ``int()`` itself reads "٣", " 3", "+3" and "1_000" and refuses more than
4,300 digits with an error of its own. A number typed into a form or a URL is
therefore read here and nowhere else: every route and form that takes a number
uses ``whole_number`` (or ``WholeNumberField`` in a WTForms form), so an odd
value is a clear 400/422 naming the field, never a 500. Ids in URL paths
(``<int:…>``) go through ``DatabaseIdConverter``, which the factory installs
as the ``int`` converter. See docs/security-hardening.md ("Numbers in requests").
"""

import re

from werkzeug.routing import IntegerConverter
from wtforms import IntegerField

from app.errors import InputError

# Enough for any count, page or version we store (a 64-bit integer has 19 digits).
MAX_DIGITS = 18
# Integer columns are 32-bit on PostgreSQL; SQLite refuses a Python int beyond 64 bits with an OverflowError.
MAX_STORED_INT = 2**31 - 1
_ASCII_WHOLE_NUMBER = re.compile(rf"[0-9]{{1,{MAX_DIGITS}}}")


def whole_number(
    raw: str | int | None,
    field: str,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    default: int | None = None,
) -> int:
    """``raw`` as an int: ASCII digits only (surrounding spaces allowed), within ``minimum``..``maximum``.

    Blank or missing gives ``default`` when one is set; otherwise, and for
    anything else that is not such a number, raises ``InputError`` on ``field``.
    """
    if isinstance(raw, bool):
        raise InputError.of(field, f"{raw!r} is not a whole number")
    if isinstance(raw, int):
        value = raw
    else:
        text = ("" if raw is None else str(raw)).strip()
        if not text:
            if default is not None:
                return default
            raise InputError.of(field, "a whole number is required")
        if not _ASCII_WHOLE_NUMBER.fullmatch(text):
            raise InputError.of(field, f"{_shown(text)} is not a whole number (use the digits 0–9)")
        value = int(text)
    if minimum is not None and value < minimum or maximum is not None and value > maximum:
        raise InputError.of(field, f"must be {_range(minimum, maximum)}, got {value}")
    return value


def optional_whole_number(
    raw: str | None, field: str, *, minimum: int | None = None, maximum: int | None = None
) -> int | None:
    """As ``whole_number``, but blank or missing is ``None``."""
    if raw is None or not str(raw).strip():
        return None
    return whole_number(raw, field, minimum=minimum, maximum=maximum)


def coerce_whole_number(raw: str | int) -> int:
    """For WTForms' ``coerce=`` (an id picked in a select): ValueError, which WTForms reports, for non-digits."""
    try:
        return whole_number(raw, "value", maximum=MAX_STORED_INT)
    except InputError as exc:
        raise ValueError(exc.message) from None


class WholeNumberField(IntegerField):
    """WTForms' IntegerField, reading the value with ``whole_number`` (``int()`` takes "٣", " 3" and "1_0").

    Bounds still belong in validators (``NumberRange``) so the form says them;
    ``maximum`` defaults to what an integer column holds, so nothing typed can overflow it.
    """

    def __init__(self, label=None, validators=None, maximum: int = MAX_STORED_INT, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.maximum = maximum

    def process_formdata(self, valuelist):
        if not valuelist or not str(valuelist[0]).strip():
            return  # left as None: Optional / InputRequired decide
        try:
            self.data = whole_number(valuelist[0], self.name, maximum=self.maximum)
        except InputError as exc:
            self.data = None
            raise ValueError(exc.problems[self.name].capitalize() + ".") from None


class DatabaseIdConverter(IntegerConverter):
    """``<int:…>`` in a route: ASCII digits only, and no larger than an id column holds.

    Werkzeug's own converter matches any Unicode decimal digit ("/reviews/٣" is
    item 3) and any length (an id past 64 bits made SQLite raise OverflowError,
    a 500); with this one such paths are simply not found (404).
    """

    regex = rf"[0-9]{{1,{len(str(MAX_STORED_INT))}}}"

    def __init__(
        self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = MAX_STORED_INT, signed: bool = False
    ):
        super().__init__(map, fixed_digits, min, max, signed)


def _range(minimum: int | None, maximum: int | None) -> str:
    if minimum is not None and maximum is not None:
        return f"between {minimum} and {maximum}"
    if minimum is not None:
        return f"at least {minimum}"
    return f"at most {maximum}"


def _shown(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:40] + "…")
