"""How much text a person may give us: one size per kind of text, enforced by forms, services, imports and the
database alike (docs/security-hardening.md, "Text sizes").

Sizes count characters (code points), as Python's ``len``, SQLite's and
PostgreSQL's ``length`` do. A line break counts as one: ``bounded`` turns CR LF
(what a browser sends for a textarea's line break) into LF before counting, so
a textarea's ``maxlength`` (which counts a line break once) and the server agree.
"""

from collections.abc import Callable
from typing import Any

from sqlalchemy import CheckConstraint
from wtforms import Field
from wtforms.form import BaseForm
from wtforms.validators import ValidationError

# Short texts: one line each.
ID = 64  # an item id, a rubric or domain key
APPLICANT_ID = 60  # the association's id of an applicant: "APP-" and it make the application's item id
CODE = 16  # a category code, ERS, vetted
CODES = 200  # a list of category codes ("IMHM-C; IMHS")
DESIGNATIONS = 32  # "C; P; RF"
CYCLE_NAME = 120
NAME = 200  # a person (user, applicant, rater, provider), an organisation, a role
EMAIL = 254  # RFC 5321's longest forward path
TITLE = 300  # a training's title
URL = 500
# Long texts: what people write.
CONFLICT_REASON = 500  # why a reviewer may not read an applicant
REASON = 2_000  # reopen, unassign, override, decline: a sentence or a short paragraph
RATIONALE = 10_000  # the committee's rationale for final scores, a decision, a requirement's final
COMMENT = 20_000  # a reviewer's comment on a domain, a requirement note, the overall comment
PROMPT = 10_000  # an essay's question
PORTFOLIO_SUMMARY = 20_000
ESSAY = 100_000  # an essay's response: some 15,000 words


def normalise_line_breaks(text: str) -> str:
    """CR LF → LF, so a line break is one character whoever sent it (a lone CR stays: it is part of the text)."""
    return text.replace("\r\n", "\n")


def too_long(length: int, limit: int) -> str:
    """The reason a text is refused, in words."""
    return f"at most {limit:,} characters, this has {length:,}"


def bounded(text: str | None, limit: int, field: str, error: Callable[[str, str], Exception]) -> str | None:
    """``text`` with its line breaks normalised, or ``error(field, reason)`` raised when it is longer than
    ``limit``. ``None`` stays ``None``."""
    if text is None:
        return None
    text = normalise_line_breaks(text)
    if len(text) > limit:
        raise error(field, too_long(len(text), limit))
    return text


class MaxLength:
    """A WTForms validator: at most ``limit`` characters (line breaks counted once), with a message that says
    how many there are; the field is rendered with ``maxlength`` so the browser stops there too."""

    def __init__(self, limit: int):
        self.limit = limit
        self.field_flags = {"maxlength": limit}

    def __call__(self, _form: BaseForm, field: Field) -> None:
        data = field.data
        if isinstance(data, str):
            length = len(normalise_line_breaks(data))
            if length > self.limit:
                raise ValidationError(too_long(length, self.limit)[:1].upper() + too_long(length, self.limit)[1:] + ".")


def line_breaks_normalised(data: Any) -> Any:
    """A WTForms filter for textareas: what is stored has the line breaks that were counted."""
    return normalise_line_breaks(data) if isinstance(data, str) else data


def length_checks(**limits: int) -> tuple[CheckConstraint, ...]:
    """CHECK constraints that keep each named column within its size: SQLite ignores VARCHAR's length, so the
    database's own guard is a CHECK (named ``ck_<table>_<column>_length`` by the naming convention)."""
    return tuple(
        CheckConstraint(f"length({column}) <= {limit}", name=f"{column}_length") for column, limit in limits.items()
    )
