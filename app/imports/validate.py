"""Checking spreadsheet rows against the column contract (docs/spec-summary.md, "Imports"): plain data in,
plain data out.

``validate`` matches the header, converts every cell to its type, finds
duplicate ids inside the file, and checks references against ``Lookups``
(what already exists, gathered by the caller). Every problem becomes a
``RowError`` naming the spreadsheet row (the header is row 1), the column and
the reason, so one pass reports everything that is wrong with a file.
"""

import math
import re
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cached_property
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from app import textlimits as limits
from app.cycles.seating import seatable_problem
from app.reconcile.engine import ReadScores, judge
from app.requirements.records import ERS, RSC_FORMATS, TRAINING_TOPICS, VETTED, WORK_KINDS, provider_name
from app.rubrics.model import CATEGORY_CODES, DESIGNATIONS, Rubric

# The portfolio records the requirement rules count (docs/requirements.md).
RECORD_KINDS = ("training", "rsc", "references", "work")
KINDS = (
    "reviewers",
    "applications",
    "essays",
    "conflicts",
    "scores",
    "reference_scores",
    "committee",
    *RECORD_KINDS,
    "decisions",
)
# The committee's decisions on applications (app.committee.models.DecisionValue's values).
DECISIONS = ("endorse", "not_endorsed", "revise")
APPLICATION_ITEM_PREFIX = "APP-"
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def application_item_id(applicant_id: str) -> str:
    """An application's item is ``APP-<applicant_id>`` (part of the import contract)."""
    return APPLICATION_ITEM_PREFIX + applicant_id


@dataclass(frozen=True, order=True)
class RowError:
    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.reason}"


@dataclass(frozen=True)
class Column:
    name: str
    convert: Callable[[Any], Any]  # a non-blank cell → its value; ValueError(reason) when it is wrong
    required: bool = False
    percent: bool = False  # a number shown as a percentage in the sheet (0.86 shown 86 %) means 86
    # A required column whose cell may be blank on some rows: the kind's own checks say which (a validity essay's
    # applicant_id).
    blank_allowed: bool = False


# --- cell converters: each takes a non-blank cell (str from CSV; str/int/float/bool/datetime from xlsx) ---


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores 1001 as 1001.0
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def text(max_length: int) -> Callable[[Any], str]:
    """One line of text, trimmed, of at most ``max_length`` characters (docs/security-hardening.md, "Text sizes")."""

    def convert(value: Any) -> str:
        result = _as_text(value).strip()
        if len(result) > max_length:
            raise ValueError(limits.too_long(len(result), max_length))
        return result

    return convert


def long_text(max_length: int) -> Callable[[Any], str]:
    """Prompts, essays and comments keep their text exactly (including leading ``@``, ``=`` …), up to
    ``max_length`` characters as stored."""

    def convert(value: Any) -> str:
        result = _as_text(value)
        if len(result) > max_length:
            raise ValueError(limits.too_long(len(result), max_length))
        return result

    return convert


def email(value: Any) -> str:
    result = _as_text(value).strip().lower()
    if len(result) > limits.EMAIL or not EMAIL_PATTERN.match(result):
        raise ValueError(f"{_shown(value)} is not an e-mail address")
    return result


def integer(minimum: int | None = None, maximum: int | None = None) -> Callable[[Any], int]:
    def convert(value: Any) -> int:
        result = _whole_number(value)
        _check_range(result, minimum, maximum)
        return result

    return convert


def _whole_number(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{_shown(value)} is not a whole number")
    if isinstance(value, int):
        return value
    number = value if isinstance(value, float) else None
    if number is None:
        try:
            return int(_as_text(value).strip())
        except ValueError:
            number = _parse_float(value, "a whole number")
    if not number.is_integer():
        raise ValueError(f"{_shown(value)} is not a whole number")
    return int(number)


def number(minimum: float | None = None, maximum: float | None = None) -> Callable[[Any], float]:
    def convert(value: Any) -> float:
        if isinstance(value, bool):
            raise ValueError(f"{_shown(value)} is not a number")
        result = float(value) if isinstance(value, int | float) else _parse_float(value, "a number")
        if not math.isfinite(result):
            raise ValueError(f"{_shown(value)} is not a number")
        _check_range(result, minimum, maximum)
        return result

    return convert


def percentage(minimum: float, maximum: float) -> Callable[[Any], float]:
    """A percent figure: ``86``, ``"86"`` or ``"86 %"`` (as a spreadsheet saves it to CSV) are all 86."""
    base = number(minimum, maximum)

    def convert(value: Any) -> float:
        if isinstance(value, str) and value.strip().endswith("%"):
            value = value.strip()[:-1]
        return base(value)

    return convert


def _parse_float(value: Any, wanted: str) -> float:
    try:
        result = float(_as_text(value).strip())
    except ValueError:
        raise ValueError(f"{_shown(value)} is not {wanted}") from None
    if not math.isfinite(result):
        raise ValueError(f"{_shown(value)} is not {wanted}")
    return result


def _check_range(value: float, minimum: float | None, maximum: float | None) -> None:
    if minimum is not None and value < minimum:
        raise ValueError(f"{_as_text(value)} is below the minimum of {_as_text(minimum)}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{_as_text(value)} is above the maximum of {_as_text(maximum)}")


def iso_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(_as_text(value).strip())
    except ValueError:
        raise ValueError(f"{_shown(value)} is not a date (YYYY-MM-DD)") from None


def timestamp(value: Any) -> datetime:
    """A date or date-time; naive values are taken as UTC, aware ones converted to it."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    else:
        try:
            moment = datetime.fromisoformat(_as_text(value).strip())
        except ValueError:
            raise ValueError(f"{_shown(value)} is not a date-time (YYYY-MM-DD HH:MM[:SS])") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0"}


def yes_no(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    word = _as_text(value).strip().lower()
    if word in YES:
        return True
    if word in NO:
        return False
    raise ValueError(f"{_shown(value)} is not yes or no")


def codes(allowed: Sequence[str]) -> Callable[[Any], str]:
    """``"imhm-c, IMHS"`` → ``"IMHM-C; IMHS"``; every code must be one of ``allowed``."""

    def convert(value: Any) -> str:
        found: list[str] = []
        for part in _as_text(value).replace(",", ";").split(";"):
            code = part.strip().upper()
            if code and code not in found:
                found.append(code)
        unknown = [code for code in found if code not in allowed]
        if unknown:
            raise ValueError(
                f"unknown code{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} "
                f"(expected {', '.join(allowed)}, separated by ';')"
            )
        return "; ".join(found)

    return convert


def category(value: Any) -> str:
    code = _as_text(value).strip().upper()
    if code not in CATEGORY_CODES:
        raise ValueError(f"unknown category {_shown(value)} (expected one of {', '.join(CATEGORY_CODES)})")
    return code


def choice(allowed: Sequence[str]) -> Callable[[Any], str]:
    """One of ``allowed`` (lower case), whatever case the cell uses."""

    def convert(value: Any) -> str:
        word = _as_text(value).strip().lower()
        if word not in allowed:
            raise ValueError(f"{_shown(value)} is not one of {', '.join(allowed)}")
        return word

    return convert


def decision(value: Any) -> str:
    """A decision code, whatever its case, with spaces or hyphens for the underscore (``Not endorsed``)."""
    word = re.sub(r"[\s\-]+", "_", _as_text(value).strip().lower())
    if word not in DECISIONS:
        raise ValueError(f"{_shown(value)} is not a decision (expected one of {', '.join(DECISIONS)})")
    return word


def endorsement(allowed: Sequence[str]) -> Callable[[Any], str]:
    """An endorsement held by an RS/C provider or a rater: a code of ``allowed`` (capitals), or ``vetted``."""

    def convert(value: Any) -> str:
        word = _as_text(value).strip()
        if word.lower() == VETTED:
            return VETTED
        if word.upper() not in allowed:
            raise ValueError(
                f"unknown endorsement {_shown(value)} (expected a category code such as IMHM-C"
                f"{', ERS' if ERS in allowed else ''} or vetted, or leave it blank)"
            )
        return word.upper()

    return convert


def web_address(value: Any) -> str:
    """Only http(s) links, so a ``javascript:`` address can never reach a reviewer's page."""
    result = _as_text(value).strip()
    parts = urlsplit(result)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{_shown(value)} is not an http:// or https:// address")
    if len(result) > limits.URL:
        raise ValueError(limits.too_long(len(result), limits.URL))
    return result


def lower_key(max_length: int) -> Callable[[Any], str]:
    base = text(max_length)
    return lambda value: base(value).lower()


def _shown(value: Any) -> str:
    shown = _as_text(value) if not isinstance(value, str) else value
    return repr(shown if len(shown) <= 60 else shown[:57] + "…")


# --- the contract: columns per kind (README, "Spreadsheet formats") ---

ID = text(limits.ID)
APPLICANT_ID = text(limits.APPLICANT_ID)
NAME = text(limits.NAME)
FIGURE_COLUMNS = (
    Column("training_hours", number(0)),
    Column("dei_hours", number(0)),
    Column("rsc_training_hours", number(0)),
    Column("rsc_hours", number(0)),
    Column("rsc_hours_about_providing", number(0)),
    Column("work_years", number(0)),
    Column("leadership_years", number(0)),
    Column("references_received", integer(0)),
    Column("ethics_signed", yes_no),
    Column("agreement_signed", yes_no),
    Column("member", yes_no),
)
FIGURE_NAMES = tuple(column.name for column in FIGURE_COLUMNS)

KIND_COLUMNS: dict[str, tuple[Column, ...]] = {
    "reviewers": (
        Column("email", email, required=True),
        Column("name", NAME, required=True),
        Column("endorsements", codes(CATEGORY_CODES)),
        Column("designations", codes(DESIGNATIONS)),
        Column("max_load", integer(0)),
        Column("organization", NAME),
    ),
    "applications": (
        Column("applicant_id", APPLICANT_ID, required=True),
        Column("name", NAME, required=True),
        Column("category", category, required=True),
        Column("email", email),
        Column("organization", NAME),
        Column("advisor_email", email),
        Column("submitted_on", iso_date),
        Column("mc_score", percentage(0, 100), percent=True),
        Column("portfolio_summary", long_text(limits.PORTFOLIO_SUMMARY)),
        Column("portfolio_url", web_address),
        *FIGURE_COLUMNS,
    ),
    "essays": (
        Column("item_id", ID, required=True),
        Column("applicant_id", APPLICANT_ID, required=True, blank_allowed=True),
        Column("rubric", lower_key(limits.ID), required=True),
        Column("prompt", long_text(limits.PROMPT)),
        Column("response", long_text(limits.ESSAY)),
        Column("validity", yes_no),
    ),
    "conflicts": (
        Column("reviewer_email", email, required=True),
        Column("applicant_id", APPLICANT_ID, required=True),
        Column("reason", text(limits.CONFLICT_REASON)),
    ),
    "committee": (
        Column("email", email, required=True),
        Column("name", NAME),
        Column("organization", NAME),
    ),
    "scores": (
        Column("item_id", ID, required=True),
        Column("reviewer_email", email, required=True),
        Column("domain", lower_key(limits.ID), required=True),
        Column("score", integer(), required=True),
        Column("comment", long_text(limits.COMMENT)),
        Column("submitted_at", timestamp),
        Column("round", integer(1, 2)),
    ),
    "reference_scores": (
        Column("item_id", ID, required=True),
        Column("domain", lower_key(limits.ID), required=True),
        Column("score", integer(), required=True),
    ),
}
# Portfolio records (docs/requirements.md): a file lists the whole records of its kind for each applicant it names.
RECORD_COLUMNS: dict[str, tuple[Column, ...]] = {
    "training": (
        Column("applicant_id", APPLICANT_ID, required=True),
        Column("hours", number(0), required=True),
        Column("title", text(limits.TITLE)),
        Column("topic", choice(TRAINING_TOPICS)),
        Column("completed_on", iso_date),
    ),
    "rsc": (
        Column("applicant_id", APPLICANT_ID, required=True),
        Column("hours", number(0), required=True),
        Column("provider", NAME, required=True),
        Column("provider_endorsement", endorsement((*CATEGORY_CODES, ERS))),
        Column("format", choice(RSC_FORMATS)),
        Column("about_providing", yes_no),
        Column("peer", yes_no),
        Column("started_on", iso_date),
        Column("ended_on", iso_date),
    ),
    "references": (
        Column("applicant_id", APPLICANT_ID, required=True),
        Column("rater", NAME, required=True),
        Column("rater_role", NAME),
        Column("rater_endorsement", endorsement(CATEGORY_CODES)),
        Column("received_on", iso_date),
    ),
    "work": (
        Column("applicant_id", APPLICANT_ID, required=True),
        Column("started_on", iso_date, required=True),
        Column("ended_on", iso_date),
        Column("role", NAME),
        Column("kind", choice(WORK_KINDS)),
        Column("with_infant_and_parent", yes_no),
        Column("supervised", yes_no),
        Column("paid", yes_no),
    ),
}
KIND_COLUMNS.update(RECORD_COLUMNS)
KIND_COLUMNS["decisions"] = (
    Column("applicant_id", APPLICANT_ID, required=True),
    Column("decision", decision, required=True),
    Column("rationale", text(limits.RATIONALE), required=True),
    Column("decided_by", email),
)
# Other headers a kind accepts for a column: (kind, header) → the column. A conflict names its person by
# ``email`` as well, since it may be a committee member rather than a reviewer.
HEADER_ALIASES: dict[tuple[str, str], str] = {("conflicts", "email"): "reviewer_email"}
# What identifies a row; a second row with the same identity is a duplicate. Training, RS/C and work rows
# have none: two alike rows are two entries (e.g. two sessions of the same course on one day).
KIND_KEYS: dict[str, tuple[str, ...]] = {
    "reviewers": ("email",),
    "applications": ("applicant_id",),
    "essays": ("item_id",),
    "conflicts": ("reviewer_email", "applicant_id"),
    "scores": ("item_id", "reviewer_email", "domain"),
    "reference_scores": ("item_id", "domain"),
    "committee": ("email",),
    "training": (),
    "rsc": (),
    "references": (),
    "work": (),
    "decisions": ("applicant_id",),
}


# --- lookups: what already exists, as plain data ---


class ItemInfo(NamedTuple):
    """An item of the cycle as validation sees it (a tuple: a scores import loads every item of the cycle)."""

    kind: str  # "application" | "essay"
    rubric_key: str
    applicant_id: str | None  # None for a validity essay
    assigned: bool  # has assignments, so its rubric and applicant are fixed
    validity: bool = False
    reference_domains: frozenset[str] = frozenset()  # a validity essay's domains with a stored expert score


@dataclass(frozen=True)
class StoredReader:
    """A reviewer already on an item, for the checks of a ``round = 2`` scores row."""

    email: str
    further: bool  # a further reader (third reader or extra read), not one of the first round
    submitted: bool
    scores: Mapping[str, int] = field(default_factory=dict)  # of a submitted read


def _no_readers(item_ids: Collection[str]) -> Mapping[str, Sequence[StoredReader]]:
    return {}


@dataclass(frozen=True)
class Lookups:
    user_roles: Mapping[str, str] = field(default_factory=dict)  # e-mail → role, every user
    applicants: Mapping[str, str | None] = field(default_factory=dict)  # applicant_id → category, this cycle
    items: Mapping[str, ItemInfo] = field(default_factory=dict)  # item_id → item, this cycle
    rubrics: Mapping[str, Rubric] = field(default_factory=dict)
    conflicts: frozenset[tuple[str, str]] = frozenset()  # (reviewer e-mail, applicant_id)
    required_reads: int = 2  # the cycle's first-round reads per item
    # item_id → its readers, loaded only for the items a file gives a round-2 read (most files have none)
    item_readers: Callable[[Collection[str]], Mapping[str, Sequence[StoredReader]]] = _no_readers
    # Who may decide on this cycle's applications: e-mail → the applicant_ids hidden from them (docs/access.md).
    deciders: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # applicant_id → what is not known yet about an application the product cannot suggest a decision on.
    undecidable: Mapping[str, Sequence[str]] = field(default_factory=dict)

    def is_reviewer(self, address: str) -> bool:
        return self.user_roles.get(address) == "reviewer"

    def may_declare_conflict(self, address: str) -> bool:
        """Reviewers (kept off the applicant's items) and committee members (recused from the applicant)."""
        return self.user_roles.get(address) in ("reviewer", "committee")

    def application_rubric(self, code: str) -> Rubric | None:
        for rubric in self.rubrics.values():
            if rubric.kind == "application" and code in rubric.categories:
                return rubric
        return None


@dataclass
class Row:
    number: int
    values: dict[str, Any]  # every column present in the file; None for a blank cell


@dataclass
class Validated:
    """The file's values column by column (``columns[name][i]`` is row ``numbers[i]``), and what is wrong."""

    numbers: Sequence[int]
    columns: dict[str, list[Any]]
    present: frozenset[str]  # the optional columns the file has (absent ones leave stored values alone)
    errors: list[RowError]
    keys_unique: bool = True  # no two rows share the kind's key (KIND_KEYS)

    @cached_property
    def rows(self) -> list[Row]:
        """The same values row by row, for the writers that go row by row."""
        names = list(self.columns)
        return [
            Row(number, dict(zip(names, values, strict=True)))
            for number, *values in zip(self.numbers, *self.columns.values(), strict=True)
        ]


def normalise_header(value: Any) -> str:
    """``" Applicant ID "`` → ``"applicant_id"``: case and surrounding spaces never matter."""
    return re.sub(r"[\s\-]+", "_", _as_text(value).strip().lower()) if value is not None else ""


def match_header(kind: str, header: Sequence[Any], header_row: int = 1) -> tuple[dict[str, int], list[RowError]]:
    """Positions of the kind's columns in the header; unknown columns are ignored."""
    wanted = {column.name for column in KIND_COLUMNS[kind]}
    positions: dict[str, int] = {}
    errors = []
    for index, cell in enumerate(header):
        name = normalise_header(cell)
        name = HEADER_ALIASES.get((kind, name), name)
        if name not in wanted:
            continue
        if name in positions:
            errors.append(
                RowError(
                    header_row, name, f"appears twice in the header (columns {positions[name] + 1} and {index + 1})"
                )
            )
            continue
        positions[name] = index
    for column in KIND_COLUMNS[kind]:
        if column.required and column.name not in positions:
            errors.append(RowError(header_row, column.name, "required column is missing from the header"))
    return positions, errors


def no_percent_cells(index: int) -> frozenset[int]:
    return frozenset()


def validate(
    kind: str,
    header: Sequence[Any],
    numbers: Sequence[int],
    cells: Sequence[list[Any]],
    lookups: Lookups,
    header_row: int = 1,
    percent_cells: Callable[[int], frozenset[int]] = no_percent_cells,
) -> Validated:
    """Every problem in a file of ``kind``: header, types, duplicates, references.

    The file comes column by column, as the reader gives it: ``cells[i][k]`` is
    the cell under ``header[i]`` in the row numbered ``numbers[k]`` (one column
    per header cell). ``percent_cells`` gives, for a column's position, the row
    numbers whose cell is formatted as a percentage (the reader knows; a CSV
    has none).
    """
    if kind not in KIND_COLUMNS:
        raise ValueError(f"unknown import kind {kind!r} (expected one of {', '.join(KINDS)})")
    positions, errors = match_header(kind, header, header_row)
    present = frozenset(positions)
    if errors:
        return Validated([], {}, present, errors)
    validated = _convert_columns(kind, positions, numbers, cells, percent_cells, present)
    duplicates = _duplicates(kind, validated)
    validated.keys_unique = not duplicates
    errors = validated.errors + duplicates + REFERENCE_CHECKS[kind](validated, lookups)
    # The reason breaks ties: a set's order changes from run to run (string hashing is randomised).
    validated.errors = sorted(set(errors), key=lambda e: (e.row, _column_order(kind, e.column), e.reason))
    return validated


def _column_order(kind: str, name: str) -> int:
    names = [column.name for column in KIND_COLUMNS[kind]]
    return names.index(name) if name in names else len(names)


def _convert_columns(
    kind: str,
    positions: dict[str, int],
    numbers: Sequence[int],
    cells: Sequence[list[Any]],
    percent_cells: Callable[[int], frozenset[int]],
    present: frozenset[str],
) -> Validated:
    """Column by column, each distinct value converted once (a scores file repeats most of its values)."""
    columns: dict[str, list[Any]] = {}
    errors: list[RowError] = []
    for column in KIND_COLUMNS[kind]:
        if column.name not in positions:
            continue
        index = positions[column.name]
        values = cells[index]
        if column.percent:
            values = _as_percentages(values, numbers, percent_cells(index))
        columns[column.name] = _convert_column(column, values, numbers, errors)
    return Validated(numbers, columns, present, errors)


def _as_percentages(cells: list[Any], numbers: Sequence[int], percent_rows: frozenset[int]) -> list[Any]:
    """A cell shown as 86 % holds 0.86; the figure is 86."""
    if not percent_rows:
        return cells
    return [
        round(value * 100, 9)
        if number in percent_rows and isinstance(value, int | float) and not isinstance(value, bool)
        else value
        for number, value in zip(numbers, cells, strict=True)
    ]


def _convert_column(column: Column, cells: list[Any], numbers: Sequence[int], errors: list[RowError]) -> list[Any]:
    distinct = set(cells)
    # True == 1 == 1.0 as set members but they convert differently: then each value is keyed with its type.
    typed = bool in set(map(type, distinct))
    keys = [(value.__class__, value) for value in cells] if typed else cells
    converted: dict[Any, Any] = {}
    reasons: dict[Any, str] = {}
    for key in set(keys) if typed else distinct:
        value = key[1] if typed else key
        if value is None or (value.__class__ is str and not value.strip()):
            converted[key] = None
            if column.required and not column.blank_allowed:
                reasons[key] = "required value is missing"
            continue
        try:
            converted[key] = column.convert(value)
        except ValueError as exc:
            converted[key] = None
            reasons[key] = str(exc)
    if reasons:
        errors.extend(
            RowError(number, column.name, reasons[key])
            for number, key in zip(numbers, keys, strict=True)
            if key in reasons
        )
    return list(map(converted.__getitem__, keys))


def _duplicates(kind: str, validated: Validated) -> list[RowError]:
    key_names = KIND_KEYS[kind]
    if not key_names:
        return []  # training, RS/C and work rows: two alike rows are two entries
    key_columns = [validated.columns[name] for name in key_names]
    if len(set(zip(*key_columns, strict=True))) == len(validated.numbers):
        return []  # the usual case, found without a loop in Python (and without a list of every key)
    keys = zip(*key_columns, strict=True)
    first_seen: dict[tuple, int] = {}
    errors = []
    for number, key in zip(validated.numbers, keys, strict=True):
        if None in key:
            continue
        if key in first_seen:
            errors.append(
                RowError(number, key_names[0], f"duplicate of row {first_seen[key]} (same {', '.join(key_names)})")
            )
        else:
            first_seen[key] = number
    return errors


# --- reference checks per kind ---


def _check_reviewers(validated: Validated, lookups: Lookups) -> list[RowError]:
    errors = []
    for row in validated.rows:
        address = row.values["email"]
        role = lookups.user_roles.get(address) if address else None
        if role is not None and role != "reviewer":
            errors.append(RowError(row.number, "email", f"{address} belongs to a {role} account, not a reviewer"))
    return errors


def _check_applications(validated: Validated, lookups: Lookups) -> list[RowError]:
    errors = []
    for row in validated.rows:
        code, applicant_id = row.values["category"], row.values["applicant_id"]
        rubric = lookups.application_rubric(code) if code else None
        if code and rubric is None:
            errors.append(RowError(row.number, "category", f"no application rubric covers category {code}"))
        if not applicant_id:
            continue
        existing = lookups.items.get(application_item_id(applicant_id))
        if existing is None:
            continue
        if existing.kind != "application":
            errors.append(
                RowError(
                    row.number, "applicant_id", f"item {application_item_id(applicant_id)} already exists as an essay"
                )
            )
        elif rubric is not None and existing.assigned and existing.rubric_key != rubric.key:
            errors.append(
                RowError(
                    row.number,
                    "category",
                    f"cannot change to {code}: the application is already assigned under rubric {existing.rubric_key}",
                )
            )
    return errors


def _check_essays(validated: Validated, lookups: Lookups) -> list[RowError]:
    errors = []
    for row in validated.rows:
        item_id, applicant_id, rubric_key = (row.values[name] for name in ("item_id", "applicant_id", "rubric"))
        validity = bool(row.values.get("validity"))
        if item_id and item_id.upper().startswith(APPLICATION_ITEM_PREFIX):
            errors.append(
                RowError(
                    row.number,
                    "item_id",
                    f"{item_id!r}: the {APPLICATION_ITEM_PREFIX} prefix is reserved for application items",
                )
            )
        if validity and applicant_id:
            errors.append(
                RowError(
                    row.number, "applicant_id", "a validity essay belongs to no applicant: leave applicant_id blank"
                )
            )
        elif not validity and not applicant_id:
            errors.append(
                RowError(
                    row.number,
                    "applicant_id",
                    "required value is missing (only a validity essay, validity = yes, has none)",
                )
            )
        applicant_known = applicant_id in lookups.applicants
        if applicant_id and not applicant_known:
            errors.append(
                RowError(
                    row.number,
                    "applicant_id",
                    f"no applicant {applicant_id!r} in this cycle (import applications first)",
                )
            )
        rubric = lookups.rubrics.get(rubric_key) if rubric_key else None
        if rubric_key and rubric is None:
            errors.append(RowError(row.number, "rubric", f"unknown rubric {rubric_key!r}"))
        elif rubric is not None and rubric.kind != "essay":
            errors.append(
                RowError(row.number, "rubric", f"{rubric_key!r} is an {rubric.kind} rubric, not an essay rubric")
            )
        elif rubric is not None and applicant_known:
            code = lookups.applicants[applicant_id]
            if code and code not in rubric.categories:
                errors.append(
                    RowError(
                        row.number,
                        "rubric",
                        f"{rubric_key!r} is for {', '.join(rubric.categories)}; "
                        f"applicant {applicant_id} applies for {code}",
                    )
                )
        existing = lookups.items.get(item_id) if item_id else None
        if existing is not None and existing.kind != "essay":
            errors.append(RowError(row.number, "item_id", f"{item_id} already exists as an {existing.kind}"))
        elif (
            existing is not None
            and existing.assigned
            and (
                existing.rubric_key != rubric_key
                or existing.applicant_id != applicant_id
                or existing.validity != validity
            )
        ):
            errors.append(
                RowError(
                    row.number,
                    "item_id",
                    f"{item_id} is already assigned; its rubric, applicant and validity can no longer change",
                )
            )
    return errors


def _check_conflicts(validated: Validated, lookups: Lookups) -> list[RowError]:
    errors = []
    for row in validated.rows:
        address, applicant_id = row.values["reviewer_email"], row.values["applicant_id"]
        role = lookups.user_roles.get(address) if address else None
        if address and role is None:
            errors.append(
                RowError(
                    row.number,
                    "reviewer_email",
                    f"no reviewer or committee member with e-mail {address} (import them first)",
                )
            )
        elif address and not lookups.may_declare_conflict(address):
            errors.append(
                RowError(
                    row.number,
                    "reviewer_email",
                    f"{address} is a {role} account, who sees every "
                    "applicant; a conflict names a reviewer or a "
                    "committee member",
                )
            )
        if applicant_id and applicant_id not in lookups.applicants:
            errors.append(RowError(row.number, "applicant_id", f"no applicant {applicant_id!r} in this cycle"))
    return errors


def _check_committee(validated: Validated, lookups: Lookups) -> list[RowError]:
    """Existing accounts must be committee or coordinator accounts; a new one needs a name."""
    errors = []
    for row in validated.rows:
        address = row.values["email"]
        if not address:
            continue
        role = lookups.user_roles.get(address)
        if role is None and not row.values.get("name"):
            errors.append(RowError(row.number, "name", f"no account with e-mail {address}: give a name to create one"))
        elif role is not None and (problem := seatable_problem(address, role)):
            errors.append(RowError(row.number, "email", problem))
    return errors


def _check_scores(validated: Validated, lookups: Lookups) -> list[RowError]:
    """Column by column: each distinct item, reviewer, (reviewer, item), (rubric, domain) and (rubric, score) is
    checked once, and only a problem is traced back to its rows."""
    numbers, columns = validated.numbers, validated.columns
    item_ids, addresses, domains, scores = (columns[name] for name in ("item_id", "reviewer_email", "domain", "score"))
    errors: list[RowError] = []

    # ``keys`` is walked only when there is a problem: a zip, not a list of 36,000 tuples held meanwhile.
    def rows_where(problem: dict, keys: Iterable, column: str) -> None:
        if problem:
            errors.extend(
                RowError(number, column, problem[key])
                for number, key in zip(numbers, keys, strict=True)
                if key in problem
            )

    named = {item_id for item_id in set(item_ids) if item_id}
    items = {item_id: lookups.items[item_id] for item_id in named if item_id in lookups.items}
    rows_where({item_id: f"no item {item_id!r} in this cycle" for item_id in named - items.keys()}, item_ids, "item_id")
    rubric_of = {item_id: lookups.rubrics.get(item.rubric_key) for item_id, item in items.items()}
    rows_where(
        {
            item_id: f"{item_id} uses rubric {items[item_id].rubric_key!r}, which is not loaded"
            for item_id, rubric in rubric_of.items()
            if rubric is None
        },
        item_ids,
        "item_id",
    )
    reviewers = {address for address in set(addresses) if address and lookups.is_reviewer(address)}
    rows_where(
        {address: _unknown_reviewer(address) for address in set(addresses) if address and address not in reviewers},
        addresses,
        "reviewer_email",
    )
    rows_where(
        {
            (address, item_id): f"{address} has a declared conflict with the applicant of {item_id}"
            for address, item_id in set(zip(addresses, item_ids, strict=True))
            if address in reviewers and item_id in items and (address, items[item_id].applicant_id) in lookups.conflicts
        },
        zip(addresses, item_ids, strict=True),
        "reviewer_email",
    )
    rubric_keys = list(map({item_id: rubric.key for item_id, rubric in rubric_of.items() if rubric}.get, item_ids))
    bad_domains = {
        (key, domain): f"unknown domain {domain!r} for rubric {key} "
        f"(expected {', '.join(lookups.rubrics[key].domain_keys)})"
        for key, domain in set(zip(rubric_keys, domains, strict=True))
        if key and domain and domain not in lookups.rubrics[key].domain_keys
    }
    rows_where(bad_domains, zip(rubric_keys, domains, strict=True), "domain")
    rows_where(
        {
            (key, score): f"{score} is outside the {key} scale "
            f"{lookups.rubrics[key].scale_min}–{lookups.rubrics[key].scale_max}"
            for key, score in set(zip(rubric_keys, scores, strict=True))
            if key
            and score is not None
            and not lookups.rubrics[key].scale_min <= score <= lookups.rubrics[key].scale_max
        },
        zip(rubric_keys, scores, strict=True),
        "score",
    )
    if (
        bad_domains
        or not validated.keys_unique
        or not _every_read_complete(item_ids, addresses, domains, rubric_of, reviewers)
    ):
        errors += _reads_missing_domains(numbers, item_ids, addresses, domains, rubric_keys, reviewers, lookups)
    if "round" in columns:
        errors += _check_rounds(validated, rubric_of, reviewers, lookups)
    return errors


def _every_read_complete(
    item_ids: list[str], addresses: list[str], domains: list[str], rubric_of: Mapping[str, Rubric | None], reviewers
) -> bool:
    """True when every read of a known item and reviewer has one row per domain of its rubric, counted in C.

    Only valid once no row names an unknown domain and no two rows of a read
    the same domain: then a read with as many rows as its rubric has domains
    has them all. False sends the file to ``_reads_missing_domains``, which
    names what is missing.
    """
    if None in set(domains):
        return False  # a blank domain: counting rows proves nothing
    needed = {item_id: len(rubric.domain_keys) for item_id, rubric in rubric_of.items() if rubric is not None}
    return all(
        rows == needed[item_id]
        for (item_id, address), rows in Counter(zip(item_ids, addresses, strict=True)).items()
        if item_id in needed and address in reviewers
    )


def _reads_missing_domains(numbers, item_ids, addresses, domains, rubric_keys, reviewers, lookups) -> list[RowError]:
    """A submitted read needs every domain of its rubric: the read's first row names the ones missing."""
    reads: dict[tuple[str, str], tuple[int, str, set[str]]] = {}
    for number, item_id, address, domain, key in zip(numbers, item_ids, addresses, domains, rubric_keys, strict=True):
        if key is None or address not in reviewers:
            continue
        read = reads.get((item_id, address))
        if read is None:
            read = reads[(item_id, address)] = (number, key, set())
        read[2].add(domain)
    errors = []
    for (item_id, address), (first_row, key, seen) in reads.items():
        missing = [domain for domain in lookups.rubrics[key].domain_keys if domain not in seen]
        if missing:
            errors.append(
                RowError(
                    first_row,
                    "domain",
                    f"the read of {item_id} by {address} has no score "
                    f"for {', '.join(missing)} (a submitted read needs "
                    "every domain)",
                )
            )
    return errors


@dataclass
class _FileRead:
    """One (item, reviewer) pair of a scores file: its first row, round and scores."""

    first_row: int
    round: int
    scores: dict[str, int] = field(default_factory=dict)


def _check_rounds(
    validated: Validated, rubric_of: Mapping[str, Rubric | None], reviewers: set[str], lookups: Lookups
) -> list[RowError]:
    """A ``round = 2`` read is the third read of the reconciliation rule (docs/imports.md, "Third reads").

    It is refused when its item's first-round reads (stored, and this file's round-1 rows) are short of the
    cycle's number or do not disagree, when the item has a third read by someone else already (stored, or
    earlier in the file), or when its reviewer is one of the item's first-round readers. All rows of one
    read carry one round.
    """
    columns = validated.columns
    reads: dict[str, dict[str, _FileRead]] = {}
    errors = []
    for number, item_id, address, domain, score, round_ in zip(
        validated.numbers,
        columns["item_id"],
        columns["reviewer_email"],
        columns["domain"],
        columns["score"],
        columns["round"],
        strict=True,
    ):
        if rubric_of.get(item_id) is None or address not in reviewers:
            continue
        round_ = round_ or 1
        read = reads.setdefault(item_id, {}).get(address)
        if read is None:
            read = reads[item_id][address] = _FileRead(number, round_)
        elif read.round != round_:
            errors.append(
                RowError(
                    number,
                    "round",
                    f"the read of {item_id} by {address} is in round {read.round} "
                    f"in row {read.first_row}: one read has one round",
                )
            )
        if domain and score is not None:
            read.scores[domain] = score
    third_items = {
        item_id: rubric
        for item_id, pairs in reads.items()
        if (rubric := rubric_of[item_id]) is not None and any(read.round == 2 for read in pairs.values())
    }
    stored = lookups.item_readers(list(third_items)) if third_items else {}
    for item_id, rubric in third_items.items():
        errors += _check_third_read(item_id, rubric, reads[item_id], stored.get(item_id, ()), lookups)
    return errors


def _check_third_read(
    item_id: str, rubric: Rubric, pairs: dict[str, _FileRead], stored: Sequence[StoredReader], lookups: Lookups
) -> list[RowError]:
    errors = []
    thirds = [(address, read) for address, read in pairs.items() if read.round == 2]
    (address, third), *others = thirds
    errors += [
        RowError(
            read.first_row,
            "round",
            f"{item_id} already has a round-2 read in this file, by "
            f"{address} in row {third.first_row} (one third read per item)",
        )
        for _, read in others
    ]
    by_reviewer = {reader.email: reader for reader in stored}
    earlier = [reader.email for reader in stored if reader.further and reader.submitted and reader.email != address]
    mine = by_reviewer.get(address)
    reason: str | None
    if earlier:
        reason = f"{item_id} already has a third read, by {earlier[0]}"
    elif mine is not None and not mine.further:
        reason = f"{address} is one of the first-round readers of {item_id}; a round-2 read is a further reader's"
    else:
        reason = _no_discrepancy(item_id, rubric, pairs, stored, lookups.required_reads)
    if reason:
        errors.append(RowError(third.first_row, "round", reason))
    return errors


def _no_discrepancy(
    item_id: str, rubric: Rubric, pairs: dict[str, _FileRead], stored: Sequence[StoredReader], required: int
) -> str | None:
    """Why the item's first-round reads leave nothing for a third read to settle, or None when they disagree.

    The file's round-1 rows replace a stored read of the same reviewer. Requirement marks are left out:
    the scores and the pass rule on them must disagree.
    """
    first_round = {reader.email: reader.scores for reader in stored if reader.submitted and not reader.further}
    first_round.update((address, read.scores) for address, read in pairs.items() if read.round == 1)
    if len(first_round) < required:
        return (
            f"{item_id} has {len(first_round)} of its {required} first-round reads; a round-2 read settles "
            "a disagreement between them (import them first, or in the same file)"
        )
    every_line_met = {requirement.key: "met" for requirement in rubric.requirements}
    originals = [
        ReadScores(0, {key: float(value) for key, value in scores.items()}, every_line_met)
        for scores in first_round.values()
    ]
    if judge(rubric, originals).flagged:
        return None
    return (
        f"the first-round reads of {item_id} agree (every domain within {rubric.reconcile.tolerance:g}, "
        "the same pass/fail): there is no discrepancy for a round-2 read to settle"
    )


def _check_reference_scores(validated: Validated, lookups: Lookups) -> list[RowError]:
    """Expert scores belong to validity essays, in their rubric's domains and scale; after the file every
    validity essay it names has one in each domain (the essay's first row names the ones missing)."""
    errors = []
    first_rows: dict[str, int] = {}
    named: dict[str, set[str]] = {}
    for row in validated.rows:
        item_id, domain, score = (row.values[name] for name in ("item_id", "domain", "score"))
        item = lookups.items.get(item_id) if item_id else None
        if item_id and item is None:
            errors.append(RowError(row.number, "item_id", f"no item {item_id!r} in this cycle (import essays first)"))
            continue
        if item is None:
            continue
        if not item.validity:
            errors.append(
                RowError(
                    row.number,
                    "item_id",
                    f"{item_id} is not a validity essay: only a validity "
                    "essay (essays imported with validity = yes) has expert "
                    "scores",
                )
            )
            continue
        rubric = lookups.rubrics.get(item.rubric_key)
        if rubric is None:
            errors.append(
                RowError(row.number, "item_id", f"{item_id} uses rubric {item.rubric_key!r}, which is not loaded")
            )
            continue
        first_rows.setdefault(item_id, row.number)
        seen = named.setdefault(item_id, set(item.reference_domains))
        if domain and domain not in rubric.domain_keys:
            errors.append(
                RowError(
                    row.number,
                    "domain",
                    f"unknown domain {domain!r} for rubric {rubric.key} (expected {', '.join(rubric.domain_keys)})",
                )
            )
        elif domain:
            seen.add(domain)
        if score is not None and not rubric.scale_min <= score <= rubric.scale_max:
            errors.append(
                RowError(
                    row.number,
                    "score",
                    f"{score} is outside the {rubric.key} scale {rubric.scale_min}–{rubric.scale_max}",
                )
            )
    for item_id, seen in named.items():
        rubric = lookups.rubrics[lookups.items[item_id].rubric_key]
        missing = [key for key in rubric.domain_keys if key not in seen]
        if missing:
            errors.append(
                RowError(
                    first_rows[item_id],
                    "domain",
                    f"validity essay {item_id} would have no expert "
                    f"score for {', '.join(missing)} (every domain "
                    "needs one)",
                )
            )
    return errors


def _unknown_reviewer(address: str) -> str:
    return f"no reviewer with e-mail {address} (import reviewers first)"


def _check_records(validated: Validated, lookups: Lookups) -> list[RowError]:
    """Records belong to an application of this cycle, and a period ends on or after it starts."""
    errors = []
    for row in validated.rows:
        applicant_id = row.values["applicant_id"]
        if applicant_id and lookups.applicants.get(applicant_id) is None:
            errors.append(
                RowError(
                    row.number,
                    "applicant_id",
                    f"no application of {applicant_id!r} in this cycle (import applications first)",
                )
            )
        started, ended = row.values.get("started_on"), row.values.get("ended_on")
        if started and ended and ended < started:
            errors.append(
                RowError(row.number, "ended_on", f"{ended.isoformat()} is before started_on {started.isoformat()}")
            )
    return errors


def _check_references(validated: Validated, lookups: Lookups) -> list[RowError]:
    """Besides the record checks: one reference per rater, raters told apart by name (trimmed, any case)."""
    errors = _check_records(validated, lookups)
    first_seen: dict[tuple[str, str], int] = {}
    for row in validated.rows:
        applicant_id, rater = row.values["applicant_id"], row.values["rater"]
        if not (applicant_id and rater):
            continue
        key = (applicant_id, provider_name(rater))
        if key in first_seen:
            errors.append(
                RowError(
                    row.number,
                    "rater",
                    f"{rater!r} already rated {applicant_id} in row {first_seen[key]} (one reference per rater)",
                )
            )
        else:
            first_seen[key] = row.number
    return errors


def _check_decisions(validated: Validated, lookups: Lookups) -> list[RowError]:
    """An application of this cycle, known well enough for the product to suggest a decision, and a decider who
    sits on the cycle's committee (or coordinates) and may see the applicant."""
    errors = []
    for row in validated.rows:
        applicant_id, address = row.values["applicant_id"], row.values.get("decided_by")
        if not applicant_id:
            continue
        if lookups.applicants.get(applicant_id) is None:
            errors.append(
                RowError(
                    row.number,
                    "applicant_id",
                    f"no application of {applicant_id!r} in this cycle (import applications first)",
                )
            )
            continue
        gaps = lookups.undecidable.get(applicant_id)
        if gaps:
            errors.append(RowError(row.number, "decision", f"{applicant_id} cannot be decided yet: {'; '.join(gaps)}"))
        if address and address not in lookups.deciders:
            errors.append(RowError(row.number, "decided_by", _not_a_decider(address, lookups.user_roles.get(address))))
        elif address and applicant_id in lookups.deciders[address]:
            errors.append(
                RowError(
                    row.number,
                    "decided_by",
                    f"{address} may not decide on {applicant_id} (recused from this applicant)",
                )
            )
    return errors


def _not_a_decider(address: str, role: str | None) -> str:
    if role is None:
        why = f"no account with e-mail {address}"
    elif role == "reviewer":
        why = f"{address} belongs to a reviewer account"
    else:
        why = f"{address} is not an active member of this cycle's committee"
    return f"{why}: decisions are recorded for the cycle's committee members or a coordinator"


REFERENCE_CHECKS: dict[str, Callable[[Validated, Lookups], list[RowError]]] = {
    "reviewers": _check_reviewers,
    "applications": _check_applications,
    "essays": _check_essays,
    "conflicts": _check_conflicts,
    "committee": _check_committee,
    "scores": _check_scores,
    "reference_scores": _check_reference_scores,
    "training": _check_records,
    "rsc": _check_records,
    "references": _check_references,
    "work": _check_records,
    "decisions": _check_decisions,
}


def template_header(kind: str) -> list[str]:
    """The columns a ``kind`` file may have, required ones first, as a blank file's header row."""
    columns = KIND_COLUMNS[kind]
    return [c.name for c in columns if c.required] + [c.name for c in columns if not c.required]
