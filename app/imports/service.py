"""Importing a spreadsheet into a cycle: read, validate everything, then write it all or nothing.

Nothing is added to the session until the whole file has validated, and the
rows are written in a savepoint that a failure rolls back, so a bad file never
leaves half its rows behind. The caller commits (as with every service here).
Lookups are one query per table, never one per row: the performance budget
is a 36,000-row scores file, through ``flask import``, in at most three times
the time python-calamine takes to read it (bench/README.md).
"""

from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum, StrEnum
from functools import partial
from itertools import chain, islice, repeat
from typing import Any, NamedTuple

from flask import current_app
from sqlalchemy import Row as PlainRow
from sqlalchemy import delete, insert, update

from app import access
from app.assignment import queue
from app.assignment.models import FURTHER_READ_SOURCES, Assignment, AssignmentSource
from app.audit.service import record_at_once, record_many
from app.bulk import BATCH, collector_paused, execute_many, execute_values, plain_rows, return_freed_memory
from app.calibration import notices as calibration_notices
from app.committee import decisions as committee_decisions
from app.committee.errors import CommitteeInputError
from app.committee.models import Decision
from app.cycles import seating, states
from app.cycles.models import (
    Applicant,
    Application,
    Conflict,
    Cycle,
    CycleMember,
    Item,
    ItemKind,
    ItemState,
    MemberRole,
    ReferenceScore,
)
from app.extensions import db
from app.imports.readers import ImportFileError, ImportLimits, Table, read_upload
from app.imports.validate import (
    FIGURE_NAMES,
    KINDS,
    RECORD_KINDS,
    ItemInfo,
    Lookups,
    Row,
    RowError,
    StoredReader,
    Validated,
    application_item_id,
    validate,
)
from app.people.models import ReviewerProfile, Role, User
from app.progress import NO_PROGRESS, Progress
from app.reports import applicant_rows
from app.requirements.lines import imported_mark
from app.requirements.models import ReferenceRecord, RscRecord, TrainingRecord, WorkRecord
from app.requirements.records import TrainingTopic, WorkKind, provider_name
from app.requirements.service import results_for_items
from app.rubrics.registry import all_rubrics
from app.scoring.models import Read, ReadStatus, Score
from app.scoring.service import store_marks
from app.timeutil import utcnow

# Column sets of the tables the scores import reads: a command's import then runs no ORM statement, which would
# configure every mapper first (docs/architecture.md, "Batch steps").
_users, _applicants, _applications = User.__table__.c, Applicant.__table__.c, Application.__table__.c
_items, _conflicts = Item.__table__.c, Conflict.__table__.c
_assignments, _reads, _scores = Assignment.__table__.c, Read.__table__.c, Score.__table__.c


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass
class ImportResult:
    """Counts of rows created/updated/unchanged, or why the file was refused (then nothing was written)."""

    kind: str
    filename: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    file_error: str | None = None

    @property
    def ok(self) -> bool:
        return not self.errors and self.file_error is None

    def summary(self) -> str:
        return (
            f"{self.kind} from {self.filename}: {self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged"
        )

    def report(self) -> list[str]:
        """One line per problem, e.g. ``row 7, column score: 9 is outside the … scale 1–4``."""
        lines = [self.file_error] if self.file_error else []
        return lines + [str(error) for error in self.errors]


def import_file(
    kind: str,
    data: bytes,
    filename: str,
    cycle: Cycle | PlainRow,
    *,
    actor_id: int | None = None,
    limits: ImportLimits | None = None,
    progress: Progress = NO_PROGRESS,
) -> ImportResult:
    """Import one spreadsheet of ``kind`` (README, "Spreadsheet formats") into ``cycle``; the caller commits on
    success. ``progress`` hears of each phase: reading, checking, writing.

    ``cycle`` may be the plain row of ``cycles.service.cycle_row_by_name``: ``flask import scores`` passes one,
    and a scores import of essays then runs no ORM statement (docs/architecture.md, "Batch steps"); the
    other kinds, and the rare parts of a scores import that need more (application reads, a qualification
    set), load the model."""
    if kind not in KINDS:
        raise ValueError(f"unknown import kind {kind!r} (expected one of {', '.join(KINDS)})")
    # Reading included: calamine's rows hold no reference cycles, and with a command's whole app loaded every
    # full collection the reading set off walked a heap many times the size of the file's cells.
    with collector_paused():
        progress.start(f"Reading {filename}")
        try:
            table = read_upload(data, filename, limits or ImportLimits.from_config(current_app.config))
        except ImportFileError as exc:
            return ImportResult(kind, filename, file_error=str(exc))
        return_freed_memory()  # calamine's grid of the sheet, before validation and the writes build their own
        try:
            return _validate_and_write(kind, table, filename, cycle, actor_id, progress)
        finally:
            progress.finish()


def _validate_and_write(
    kind: str, table: Table, filename: str, cycle: Cycle | PlainRow, actor_id: int | None, progress: Progress
) -> ImportResult:
    progress.start(f"Checking {len(table.numbers):,} rows of {kind}")
    snapshot = _Snapshot.load(kind, cycle)
    validated = validate(
        kind, table.header, table.numbers, table.columns, snapshot.lookups, table.header_row, table.percent_cells
    )
    if validated.errors:
        return ImportResult(kind, filename, errors=validated.errors)
    # Every value the writers need is in ``validated`` now; the file's own columns are freed before the writes.
    table.columns.clear()
    progress.start(f"Writing {len(validated.numbers):,} rows of {kind}")
    # In a savepoint: a write that fails part-way leaves nothing behind, and what the caller did before stays.
    try:
        return _write(kind, table, filename, cycle, validated, snapshot, actor_id)
    except RowsRefused as refused:
        return ImportResult(kind, filename, errors=refused.errors)


class RowsRefused(Exception):
    """A service a writer hands rows to refused some of them; the savepoint is rolled back."""

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        super().__init__("; ".join(map(str, errors)))


def _write(
    kind: str,
    table: Table,
    filename: str,
    cycle: Cycle | PlainRow,
    validated: Validated,
    snapshot: "_Snapshot",
    actor_id: int | None,
) -> ImportResult:
    with db.session.begin_nested():
        if kind == "scores":
            outcomes = _write_scores(cycle, validated, snapshot, actor_id)
        else:
            outcomes = WRITERS[kind](_cycle_model(cycle), validated, snapshot, actor_id)
        counts = Counter(outcomes)
        result = ImportResult(
            kind,
            filename,
            created=counts[Outcome.CREATED],
            updated=counts[Outcome.UPDATED],
            unchanged=counts[Outcome.UNCHANGED],
        )
        record_at_once(
            f"import.{kind}",
            "cycle",
            cycle.id,
            actor_id=actor_id,
            cycle_id=cycle.id,
            note=filename,
            after={
                "file": filename,
                "format": table.file_format,
                "rows": len(validated.numbers),
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
            },
        )
        db.session.flush()
    return result


def _cycle_model(cycle: Cycle | PlainRow) -> Cycle:
    """The cycle as a model, for what needs more of it than its id, readers and qualification set size."""
    return cycle if isinstance(cycle, Cycle) else db.session.get_one(Cycle, cycle.id)


@dataclass
class _Snapshot:
    """What exists already, loaded with one query per table, as plain data (for validation) and ids (for writing)."""

    lookups: Lookups
    user_ids: dict[str, int] = field(default_factory=dict)  # e-mail → users.id
    applicant_pks: dict[str, int] = field(default_factory=dict)  # applicant_id → applicants.id
    application_ids: dict[str, int] = field(default_factory=dict)  # applicant_id → applications.id
    item_pks: dict[str, int] = field(default_factory=dict)  # item_id → items.id
    item_states: dict[int, ItemState] = field(default_factory=dict)

    @classmethod
    def load(cls, kind: str, cycle: Cycle | PlainRow) -> "_Snapshot":
        snapshot = cls(Lookups(rubrics=all_rubrics()))
        user_roles, applicants, items, conflicts = {}, {}, {}, frozenset()
        if kind in ("reviewers", "conflicts", "scores", "decisions", "committee"):
            for user_id, address, role in plain_rows(db.select(_users.id, _users.email, _users.role)):
                user_roles[address] = Role(role).value
                snapshot.user_ids[address] = user_id
        if kind in ("essays", "conflicts", "decisions", *RECORD_KINDS):
            for pk, applicant_id, code, application_id in plain_rows(
                db.select(_applicants.id, _applicants.applicant_id, _applications.category, _applications.id)
                .outerjoin(Application.__table__, _applications.applicant_pk == _applicants.id)
                .where(_applicants.cycle_id == cycle.id)
            ):
                applicants[applicant_id] = code
                snapshot.applicant_pks[applicant_id] = pk
                if application_id is not None:
                    snapshot.application_ids[applicant_id] = application_id
        if kind in ("applications", "essays", "scores", "reference_scores"):
            assigned = db.select(_assignments.id).where(_assignments.item_pk == _items.id).exists()
            references = _reference_domains(cycle.id) if kind == "reference_scores" else {}
            for pk, item_id, item_kind, rubric_key, state, applicant_id, has_assignment, validity in plain_rows(
                db.select(
                    _items.id,
                    _items.item_id,
                    _items.kind,
                    _items.rubric_key,
                    _items.state,
                    _applicants.applicant_id,
                    assigned,
                    _items.validity,
                )
                .outerjoin(Applicant.__table__, _items.applicant_pk == _applicants.id)
                .where(_items.cycle_id == cycle.id)
            ):
                items[item_id] = ItemInfo(
                    kind=ItemKind(item_kind).value,
                    rubric_key=rubric_key,
                    applicant_id=applicant_id,
                    assigned=bool(has_assignment),
                    validity=bool(validity),
                    reference_domains=references.get(pk, frozenset()),
                )
                snapshot.item_pks[item_id] = pk
                snapshot.item_states[pk] = ItemState(state)
        if kind == "scores":
            conflicts = frozenset(
                (address, applicant_id)
                for address, applicant_id in plain_rows(
                    db.select(_users.email, _applicants.applicant_id)
                    .select_from(Conflict.__table__)
                    .join(User.__table__, _conflicts.reviewer_id == _users.id)
                    .join(Applicant.__table__, _conflicts.applicant_pk == _applicants.id)
                    .where(_applicants.cycle_id == cycle.id)
                )
            )
        deciders, undecidable = ({}, {}) if kind != "decisions" else snapshot._decision_lookups(_cycle_model(cycle))
        snapshot.lookups = Lookups(
            user_roles=user_roles,
            applicants=applicants,
            items=items,
            rubrics=snapshot.lookups.rubrics,
            conflicts=conflicts,
            required_reads=cycle.readers,
            item_readers=partial(_item_readers, cycle.id),
            deciders=deciders,
            undecidable=undecidable,
        )
        return snapshot

    def _decision_lookups(self, cycle: Cycle) -> tuple[dict[str, frozenset[str]], dict[str, list[str]]]:
        """Who may decide (with the applicants hidden from them) and what is not known yet per application, by
        the same rules as the committee's pages."""
        applicant_ids = {pk: applicant_id for applicant_id, pk in self.applicant_pks.items()}
        deciders = {
            address: frozenset(applicant_ids[pk] for pk in hidden if pk in applicant_ids)
            for address, (_, hidden) in access.deciders(cycle.id).items()
        }
        undecidable = {
            row.applicant_id: gaps for row in applicant_rows(cycle) if (gaps := committee_decisions.unknown_parts(row))
        }
        return deciders, undecidable


def _reference_domains(cycle_id: int) -> dict[int, frozenset[str]]:
    """Item pk → the domains its stored expert scores cover, for the cycle's validity essays."""
    domains: dict[int, set[str]] = defaultdict(set)
    for item_pk, domain in db.session.execute(
        db.select(ReferenceScore.item_pk, ReferenceScore.domain_key)
        .join(Item, ReferenceScore.item_pk == Item.id)
        .where(Item.cycle_id == cycle_id)
    ):
        domains[item_pk].add(domain)
    return {item_pk: frozenset(keys) for item_pk, keys in domains.items()}


def _item_readers(cycle_id: int, item_ids: Collection[str]) -> dict[str, list[StoredReader]]:
    """The readers of the named items with their submitted scores: what a round-2 row is checked against."""
    readers: dict[tuple[str, str], tuple[bool, bool]] = {}
    scores: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    for item_id, address, source, status, domain, score in plain_rows(
        db.select(_items.item_id, _users.email, _assignments.source, _reads.status, _scores.domain_key, _scores.score)
        .join(Assignment.__table__, _assignments.item_pk == _items.id)
        .join(User.__table__, _assignments.reviewer_id == _users.id)
        .outerjoin(Read.__table__, _reads.assignment_id == _assignments.id)
        .outerjoin(Score.__table__, (_scores.read_id == _reads.id) & (_reads.status == ReadStatus.SUBMITTED))
        .where(_items.cycle_id == cycle_id, _items.item_id.in_(list(item_ids)))
    ):
        readers[(item_id, address)] = (source in FURTHER_READ_SOURCES, status == ReadStatus.SUBMITTED)
        if score is not None:
            scores[(item_id, address)][domain] = score
    per_item: dict[str, list[StoredReader]] = defaultdict(list)
    for (item_id, address), (further, submitted) in readers.items():
        per_item[item_id].append(StoredReader(address, further, submitted, scores.get((item_id, address), {})))
    return per_item


def _apply(target: Any, values: dict[str, Any]) -> bool:
    """Set the attributes that differ; True when anything changed."""
    changed = False
    for name, value in values.items():
        if getattr(target, name) != value:
            setattr(target, name, value)
            changed = True
    return changed


def _present(row: Row, validated: Validated, mapping: dict[str, str]) -> dict[str, Any]:
    """Column → attribute values for the optional columns the file has; absent columns change nothing."""
    return {attribute: row.values[column] for column, attribute in mapping.items() if column in validated.present}


# --- reviewers ---


def _write_reviewers(cycle: Cycle, validated: Validated, snapshot: _Snapshot, actor_id: int | None) -> list[Outcome]:
    users = {
        user.email: user
        for user in db.session.scalars(
            db.select(User).where(User.role == Role.REVIEWER).options(db.selectinload(User.profile))
        )
    }
    members = {
        member.user_id: member
        for member in db.session.scalars(db.select(CycleMember).filter_by(cycle_id=cycle.id, role=MemberRole.REVIEWER))
    }
    outcomes = []
    for row in validated.rows:
        values = row.values
        user = users.get(values["email"])
        created = user is None
        if created:
            user = User(email=values["email"], name=values["name"], role=Role.REVIEWER)
            db.session.add(user)
        changed = _apply(user, {"name": values["name"]})
        if user.profile is None:
            user.profile = ReviewerProfile()
        profile_values = _present(
            row,
            validated,
            {
                "endorsements": "endorsements",
                "designations": "designations",
                "organization": "organization",
                "max_load": "max_load",
            },
        )
        for name in ("endorsements", "designations"):
            if name in profile_values and profile_values[name] is None:
                profile_values[name] = ""
        changed = _apply(user.profile, profile_values) or changed
        changed = _join_cycle(cycle, user, members, row, validated) or changed
        outcomes.append(Outcome.CREATED if created else Outcome.UPDATED if changed else Outcome.UNCHANGED)
    return outcomes


def _join_cycle(cycle: Cycle, user: User, members: dict[int, CycleMember], row: Row, validated: Validated) -> bool:
    member = members.get(user.id) if user.id is not None else None
    load = _present(row, validated, {"max_load": "max_load"})
    if member is None:
        db.session.add(CycleMember(cycle=cycle, user=user, role=MemberRole.REVIEWER, max_load=load.get("max_load")))
        return True
    return _apply(member, load)


# --- applications ---

APPLICANT_COLUMNS = {"email": "email", "organization": "organization", "advisor_email": "advisor_email"}
APPLICATION_COLUMNS = {
    "submitted_on": "submitted_on",
    "mc_score": "mc_score",
    "portfolio_summary": "portfolio_summary",
    "portfolio_url": "portfolio_url",
}


def _write_applications(cycle: Cycle, validated: Validated, snapshot: _Snapshot, actor_id: int | None) -> list[Outcome]:
    applicants = {
        applicant.applicant_id: applicant
        for applicant in db.session.scalars(
            db.select(Applicant).filter_by(cycle_id=cycle.id).options(db.selectinload(Applicant.application))
        )
    }
    items = {
        item.item_id: item
        for item in db.session.scalars(db.select(Item).filter_by(cycle_id=cycle.id, kind=ItemKind.APPLICATION))
    }
    lookups = snapshot.lookups
    outcomes = []
    for row in validated.rows:
        values = row.values
        applicant = applicants.get(values["applicant_id"])
        created = applicant is None
        if created:
            applicant = Applicant(cycle=cycle, applicant_id=values["applicant_id"], name=values["name"])
            db.session.add(applicant)
        changed = _apply(applicant, {"name": values["name"], **_present(row, validated, APPLICANT_COLUMNS)})
        if applicant.application is None:
            applicant.application = Application(category=values["category"], figures={})
        application = applicant.application
        changed = (
            _apply(
                application,
                {
                    "category": values["category"],
                    "figures": _merged_figures(application.figures or {}, row, validated),
                    **_present(row, validated, APPLICATION_COLUMNS),
                },
            )
            or changed
        )
        rubric_key = lookups.application_rubric(values["category"]).key
        item_id = application_item_id(values["applicant_id"])
        item = items.get(item_id)
        if item is None:
            db.session.add(
                Item(
                    cycle=cycle, item_id=item_id, kind=ItemKind.APPLICATION, applicant=applicant, rubric_key=rubric_key
                )
            )
            changed = True
        else:
            changed = _apply(item, {"rubric_key": rubric_key}) or changed
        outcomes.append(Outcome.CREATED if created else Outcome.UPDATED if changed else Outcome.UNCHANGED)
    return outcomes


def _merged_figures(stored: dict[str, Any], row: Row, validated: Validated) -> dict[str, Any]:
    """The stored figures with this file's columns applied; a blank cell removes a figure."""
    figures = dict(stored)
    for name in FIGURE_NAMES:
        if name not in validated.present:
            continue
        if row.values[name] is None:
            figures.pop(name, None)
        else:
            figures[name] = row.values[name]
    return figures


# --- essays ---


def _write_essays(cycle: Cycle, validated: Validated, snapshot: _Snapshot, actor_id: int | None) -> list[Outcome]:
    items = {
        item.item_id: item
        for item in db.session.scalars(
            db.select(Item).filter_by(cycle_id=cycle.id, kind=ItemKind.ESSAY).options(db.selectinload(Item.text))
        )
    }
    outcomes = []
    for row in validated.rows:
        values = row.values
        validity = bool(values.get("validity"))
        wanted = {
            "applicant_pk": None if validity else snapshot.applicant_pks[values["applicant_id"]],
            "rubric_key": values["rubric"],
            "validity": validity,
            **_present(row, validated, {"prompt": "prompt", "response": "response"}),
        }
        item = items.get(values["item_id"])
        if item is None:
            db.session.add(Item(cycle_id=cycle.id, item_id=values["item_id"], kind=ItemKind.ESSAY, **wanted))
            outcomes.append(Outcome.CREATED)
        else:
            outcomes.append(Outcome.UPDATED if _apply(item, wanted) else Outcome.UNCHANGED)
    return outcomes


# --- expert scores of validity essays ---


def _write_reference_scores(
    cycle: Cycle, validated: Validated, snapshot: _Snapshot, actor_id: int | None
) -> list[Outcome]:
    """Each row is one validity essay's expert score in one domain, created or replaced; a change is audited."""
    pks = [snapshot.item_pks[item_id] for item_id in validated.columns["item_id"]]
    stored = {
        (score.item_pk, score.domain_key): score
        for score in db.session.scalars(db.select(ReferenceScore).where(ReferenceScore.item_pk.in_(set(pks))))
    }
    outcomes, audit = [], []
    for item_pk, row in zip(pks, validated.rows, strict=True):
        domain, score = row.values["domain"], row.values["score"]
        existing = stored.get((item_pk, domain))
        if existing is None:
            db.session.add(ReferenceScore(item_pk=item_pk, domain_key=domain, score=score))
            outcomes.append(Outcome.CREATED)
        elif existing.score != score:
            audit.append(
                {
                    "object_id": existing.id,
                    "item_key": row.values["item_id"],
                    "note": domain,
                    "before": {"score": existing.score},
                    "after": {"score": score},
                }
            )
            existing.score = score
            outcomes.append(Outcome.UPDATED)
        else:
            outcomes.append(Outcome.UNCHANGED)
    record_many(
        audit, action="reference_score.import", object_type="reference_score", actor_id=actor_id, cycle_id=cycle.id
    )
    return outcomes


# --- conflicts ---


def _write_conflicts(cycle: Cycle, validated: Validated, snapshot: _Snapshot, actor_id: int | None) -> list[Outcome]:
    existing = {
        (conflict.reviewer_id, conflict.applicant_pk): conflict
        for conflict in db.session.scalars(db.select(Conflict).join(Applicant).where(Applicant.cycle_id == cycle.id))
    }
    outcomes = []
    for row in validated.rows:
        key = (snapshot.user_ids[row.values["reviewer_email"]], snapshot.applicant_pks[row.values["applicant_id"]])
        reason = _present(row, validated, {"reason": "reason"})
        conflict = existing.get(key)
        if conflict is None:
            db.session.add(Conflict(reviewer_id=key[0], applicant_pk=key[1], reason=reason.get("reason")))
            outcomes.append(Outcome.CREATED)
        else:
            outcomes.append(Outcome.UPDATED if _apply(conflict, reason) else Outcome.UNCHANGED)
    return outcomes


# --- committee ---


def _write_committee(cycle: Cycle, validated: Validated, snapshot: _Snapshot, actor_id: int | None) -> list[Outcome]:
    """Seat each row's account on the cycle's committee, creating committee accounts without a password."""
    outcomes = []
    for row in validated.rows:
        values = row.values
        organization = _present(row, validated, {"organization": "organization"})
        seat = seating.seat_person(
            cycle,
            values["email"],
            values.get("name"),
            organization.get("organization", seating.KEEP),
            actor_id=actor_id,
        )
        outcomes.append(Outcome.CREATED if seat.changed else Outcome.UPDATED if seat.updated else Outcome.UNCHANGED)
    return outcomes


# --- scores ---


class _ScoreRow(NamedTuple):
    number: int
    domain: str
    score: int
    comment: str | None
    submitted_at: datetime | None


@dataclass(slots=True)  # one per read: 24,000 at 4x
class _ReadRows:
    """The rows of one (item, reviewer) pair: one submitted read; ``rows`` are their places in ``_ScoreColumns``."""

    item_pk: int
    item_id: str
    reviewer_id: int
    round: int = 1  # 2: a third reader's read (validation has checked it settles a discrepancy)
    rows: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class _ScoreColumns:
    """The file's validated values as columns (``domains[i]`` is the i-th data row's): no object per row."""

    numbers: list[int]
    domains: list[str]
    scores: list[int]
    comments: list[str | None]  # all None when the file has no comment column (stored comments are kept)
    moments: list[datetime | None]

    def row(self, index: int) -> _ScoreRow:
        return _ScoreRow(
            self.numbers[index], self.domains[index], self.scores[index], self.comments[index], self.moments[index]
        )

    def submitted_at(self, pair: _ReadRows) -> datetime | None:
        moments = [moment for index in pair.rows if (moment := self.moments[index])]
        return max(moments) if moments else None


@dataclass
class _StoredRead:
    assignment_id: int
    read_id: int | None
    status: ReadStatus | None
    submitted_at: datetime | None
    source: AssignmentSource


def _write_scores(
    cycle: Cycle | PlainRow, validated: Validated, snapshot: _Snapshot, actor_id: int | None
) -> list[Outcome]:
    columns, count = validated.columns, len(validated.numbers)
    blanks: list[Any] = [None] * count
    file = _ScoreColumns(
        validated.numbers,
        columns["domain"],
        columns["score"],
        columns.get("comment", blanks),
        columns.get("submitted_at", blanks),
    )
    item_ids = columns["item_id"]
    keys = zip(
        map(snapshot.item_pks.__getitem__, item_ids),
        map(snapshot.user_ids.__getitem__, columns["reviewer_email"]),
        strict=True,
    )
    # Grouped first, the pair built once per read: a per-row loop that only appends (36,000 rows, 6,000 reads).
    rows_by_key: dict[tuple[int, int], list[int]] = defaultdict(list)
    for index, key in enumerate(keys):
        rows_by_key[key].append(index)
    rounds = columns.get("round", blanks)
    pairs = {
        key: _ReadRows(key[0], item_ids[rows[0]], key[1], rounds[rows[0]] or 1, rows)
        for key, rows in rows_by_key.items()
    }
    stored, last_number = _stored_reads(cycle)
    numbers = _new_read_numbers(pairs, stored, last_number)
    batch = _ScoreBatch(
        cycle=cycle,
        actor_id=actor_id,
        now=utcnow(),
        with_comments="comment" in validated.present,
        numbers=numbers,
        file=file,
        outcomes=[Outcome.UNCHANGED] * count,
        applications=frozenset(
            pair.item_pk for pair in pairs.values() if snapshot.lookups.items[pair.item_id].kind == "application"
        ),
    )
    batch.withdraw_replaced_readers([pair for pair in pairs.values() if pair.round == 2], stored)
    batch.insert_reads([pair for key, pair in pairs.items() if key not in stored])
    batch.update_reads([(pair, stored[key]) for key, pair in pairs.items() if key in stored])
    batch.mark_in_review({pair.item_pk: pair.item_id for pair in pairs.values()}, snapshot.item_states)
    batch.confirm_requirements()
    batch.record_audit()
    if cycle.qualify_items and batch.submitted:
        _qualification_sets_imported(_cycle_model(cycle), list(batch.submitted))
    return batch.outcomes


def _qualification_sets_imported(cycle: Cycle, read_ids: list[int]) -> None:
    """A paper session's qualification set: the coordinators are told of a reviewer who missed it, as when the
    set is scored in the browser (docs/calibration.md, "Qualification")."""
    submitted: dict[int, set[int]] = defaultdict(set)
    for start in range(0, len(read_ids), BATCH):
        for reviewer_id, assignment_id in db.session.execute(
            db.select(Assignment.reviewer_id, Assignment.id)
            .join(Read, Read.assignment_id == Assignment.id)
            .join(Item, Assignment.item_pk == Item.id)
            .where(Read.id.in_(read_ids[start : start + BATCH]), Item.validity.is_(True))
        ):
            submitted[reviewer_id].add(assignment_id)
    if submitted:
        calibration_notices.set_reads_imported(cycle, submitted)


def _stored_reads(cycle: Cycle | PlainRow) -> tuple[dict[tuple[int, int], _StoredRead], Counter]:
    """Every assignment of the cycle with its read, and the highest read number per item."""
    stored, last_number = {}, Counter()
    for assignment_id, item_pk, reviewer_id, read_id, status, number, submitted_at, source in plain_rows(
        db.select(
            _assignments.id,
            _assignments.item_pk,
            _assignments.reviewer_id,
            _reads.id,
            _reads.status,
            _reads.number,
            _reads.submitted_at,
            _assignments.source,
        )
        .join(Item.__table__, _assignments.item_pk == _items.id)
        .outerjoin(Read.__table__, _reads.assignment_id == _assignments.id)
        .where(_items.cycle_id == cycle.id)
    ):
        stored[(item_pk, reviewer_id)] = _StoredRead(
            assignment_id, read_id, ReadStatus(status) if status else None, submitted_at, AssignmentSource(source)
        )
        last_number[item_pk] = max(last_number[item_pk], number or 0)
    return stored, last_number


def _new_read_numbers(
    pairs: dict[tuple[int, int], _ReadRows], stored: dict[tuple[int, int], _StoredRead], last_number: Counter
) -> dict[tuple[int, int], int]:
    """Reads that become submitted now are numbered after the item's existing reads, in file order."""
    numbers = {}
    for key, pair in pairs.items():
        existing = stored.get(key)
        if existing is None or existing.status != ReadStatus.SUBMITTED:
            last_number[pair.item_pk] += 1
            numbers[key] = last_number[pair.item_pk]
    return numbers


# A scores import writes its score rows, and its audit rows, a chunk at a time (bench/README.md, "Scores import,
# ninth session"): all in the one transaction, so a failure still leaves nothing behind.
READS_PER_CHUNK = 1_000  # about 6,000 score rows
AUDIT_ROWS_PER_CHUNK = 5_000

# The source of an assignment a scores import creates, by the read's round.
IMPORT_SOURCES = {1: AssignmentSource.IMPORT, 2: AssignmentSource.IMPORT_THIRD}


@dataclass
class _ScoreBatch:
    """The writes of one scores import, gathered into bulk statements, with outcomes and audit rows."""

    cycle: Cycle | PlainRow
    actor_id: int | None
    now: datetime
    with_comments: bool
    numbers: dict[tuple[int, int], int]
    file: _ScoreColumns
    outcomes: list[Outcome]  # per data row, in the file's order
    applications: frozenset[int]  # the pks of the application items the file scores
    # The audit entries in the order of their changes: single entries, and the new reads' entries as one part
    # that builds them as they are written (``record_audit``).
    audit: list[Iterable[dict[str, Any]]] = field(default_factory=list)
    submitted: dict[int, int] = field(default_factory=dict)  # read id → item pk, of reads this import submits

    def insert_reads(self, pairs: list[_ReadRows]) -> None:
        """New pairs: assignments, reads and scores, one DB-API executemany per table (app/bulk.py)."""
        if not pairs:
            return
        assignments, reads = Assignment.__table__, Read.__table__
        execute_many(
            assignments.insert(),
            queue.appended(
                {"item_pk": pair.item_pk, "reviewer_id": pair.reviewer_id, "source": IMPORT_SOURCES[pair.round]}
                for pair in pairs
            ),
            assigned_at=self.now,
            assigned_by_id=self.actor_id,
        )
        assignment_ids = self._ids(assignments.c.id)
        execute_values(
            reads.insert(),
            ("assignment_id", "number", "submitted_at"),
            [
                (
                    assignment_ids[(pair.item_pk, pair.reviewer_id)],
                    self.numbers[(pair.item_pk, pair.reviewer_id)],
                    self.file.submitted_at(pair) or self.now,
                )
                for pair in pairs
            ],
            status=ReadStatus.SUBMITTED,
            started_at=self.now,
            updated_at=self.now,
            overall_comment=None,
            overall_seq=0,
            overall_version=0,
        )
        read_ids = self._ids(reads.c.id)
        pair_read_ids = [read_ids[(pair.item_pk, pair.reviewer_id)] for pair in pairs]
        self.submitted.update(zip(pair_read_ids, (pair.item_pk for pair in pairs), strict=True))
        # The score rows a chunk of reads at a time, in the one transaction: all of them at once, with every new
        # read's audit entry, were most of what the writes held (144,000 tuples and 24,000 entries at 4x). Each
        # read's entry is built when the audit rows are written.
        for start in range(0, len(pairs), READS_PER_CHUNK):
            chunk, chunk_read_ids = (
                pairs[start : start + READS_PER_CHUNK],
                pair_read_ids[start : start + READS_PER_CHUNK],
            )
            indexes, domains, scores = self._picked(chunk)
            for index in indexes:
                self.outcomes[index] = Outcome.CREATED
            read_id_per_row = chain.from_iterable(map(repeat, chunk_read_ids, (len(pair.rows) for pair in chunk)))
            execute_values(
                Score.__table__.insert(),
                ("read_id", "domain_key", "score", "comment"),
                list(zip(read_id_per_row, domains, scores, map(self.file.comments.__getitem__, indexes), strict=True)),
                updated_at=self.now,
                seq=0,
                version=0,
            )
        self.audit.append(self._read_imports(pairs, pair_read_ids))

    def _picked(self, pairs: list[_ReadRows]) -> tuple[list[int], list[str], list[int]]:
        """The reads' rows in read order, with their domains and scores, each column picked in one map: a read's
        rows are then one slice."""
        indexes = list(chain.from_iterable(pair.rows for pair in pairs))
        return (
            indexes,
            list(map(self.file.domains.__getitem__, indexes)),
            list(map(self.file.scores.__getitem__, indexes)),
        )

    def _read_imports(self, pairs: list[_ReadRows], read_ids: list[int]) -> Iterator[dict[str, Any]]:
        """The ``read.import`` audit entries of new reads, a chunk of reads at a time as they are written."""
        for start in range(0, len(pairs), READS_PER_CHUNK):
            chunk = pairs[start : start + READS_PER_CHUNK]
            _, domains, scores = self._picked(chunk)
            end = 0
            for pair, read_id in zip(chunk, read_ids[start : start + READS_PER_CHUNK], strict=True):
                begin, end = end, end + len(pair.rows)
                yield self._entry(
                    "read.import",
                    "read",
                    read_id,
                    pair.item_id,
                    None,
                    {
                        "reviewer_id": pair.reviewer_id,
                        "round": pair.round,
                        "scores": dict(zip(domains[begin:end], scores[begin:end], strict=True)),
                    },
                )

    def withdraw_replaced_readers(self, thirds: list[_ReadRows], stored: dict[tuple[int, int], _StoredRead]) -> None:
        """A further reader reconciliation assigned to an item whose third read this file brings, who is not its
        reviewer and has not submitted, is withdrawn (audited): the imported read takes their place."""
        importing = {pair.item_pk: pair for pair in thirds}
        withdrawn = {
            key: read
            for key, read in stored.items()
            if key[0] in importing
            and key[1] != importing[key[0]].reviewer_id
            and read.source in FURTHER_READ_SOURCES
            and read.status != ReadStatus.SUBMITTED
        }
        if not withdrawn:
            return
        db.session.execute(
            delete(Assignment).where(Assignment.id.in_([read.assignment_id for read in withdrawn.values()]))
        )
        for (item_pk, reviewer_id), read in withdrawn.items():
            del stored[(item_pk, reviewer_id)]
            self._audit(
                "assignment.withdraw",
                "assignment",
                read.assignment_id,
                importing[item_pk].item_id,
                {
                    "reviewer_id": reviewer_id,
                    "source": read.source.value,
                    "read": read.status.value if read.status else None,
                },
                None,
                note="replaced by the third read the scores import records",
            )

    def _ids(self, column) -> dict[tuple[int, int], int]:
        """(item, reviewer) → ``column`` (an assignment's or a read's id) over the cycle's assignments: executemany
        returns no ids, so the rows just inserted are read back in one query."""
        assignments, reads = Assignment.__table__, Read.__table__
        statement = db.select(assignments.c.item_pk, assignments.c.reviewer_id, column).where(
            assignments.c.item_pk.in_(db.select(_items.id).where(_items.cycle_id == self.cycle.id))
        )
        if column.table is reads:
            statement = statement.join(reads, reads.c.assignment_id == assignments.c.id)
        return {(item_pk, reviewer_id): row_id for item_pk, reviewer_id, row_id in plain_rows(statement)}

    def update_reads(self, pairs: list[tuple[_ReadRows, _StoredRead]]) -> None:
        """Pairs already assigned: submit their read (creating it if needed) and update changed scores."""
        if not pairs:
            return
        read_ids = [stored.read_id for _, stored in pairs if stored.read_id is not None]
        stored_scores = (
            {
                (read_id, domain): (score_id, score, comment)
                for score_id, read_id, domain, score, comment in db.session.execute(
                    db.select(Score.id, Score.read_id, Score.domain_key, Score.score, Score.comment).where(
                        Score.read_id.in_(read_ids)
                    )
                )
            }
            if read_ids
            else {}
        )
        new_scores, changed_scores = [], []
        for pair, stored in pairs:
            read_changed = self._submit_stored_read(pair, stored)
            for index in pair.rows:
                row = self.file.row(index)
                wanted = self._score(row)
                existing = stored_scores.get((stored.read_id, row.domain))
                if existing is None:
                    new_scores.append(wanted | {"read_id": stored.read_id, "domain_key": row.domain})
                    self.outcomes[index] = Outcome.CREATED
                    continue
                score_id, score, comment = existing
                if not self.with_comments:
                    wanted["comment"] = comment
                if (score, comment) != (wanted["score"], wanted["comment"]):
                    changed_scores.append(wanted | {"id": score_id})
                    self._audit(
                        "score.import",
                        "score",
                        score_id,
                        pair.item_id,
                        {"score": score, "comment": comment},
                        {"score": wanted["score"], "comment": wanted["comment"]},
                        note=row.domain,
                    )
                    self.outcomes[index] = Outcome.UPDATED
                else:
                    self.outcomes[index] = Outcome.UPDATED if read_changed else Outcome.UNCHANGED
        if new_scores:
            db.session.execute(Score.__table__.insert(), new_scores)
        if changed_scores:
            db.session.execute(update(Score), changed_scores)

    def _submit_stored_read(self, pair: _ReadRows, stored: _StoredRead) -> bool:
        """Make the pair's read submitted; True when the read itself changed."""
        key = (pair.item_pk, pair.reviewer_id)
        if stored.read_id is None:
            read_id = db.session.execute(
                insert(Read)
                .values(self._submitted_read(pair) | {"assignment_id": stored.assignment_id, "started_at": self.now})
                .returning(Read.id)
            ).scalar_one()
            stored.read_id = read_id
            self._audit("read.import", "read", read_id, pair.item_id, None, {"reviewer_id": pair.reviewer_id})
            self.submitted[read_id] = pair.item_pk
            return True
        if stored.status != ReadStatus.SUBMITTED:
            db.session.execute(update(Read), [self._submitted_read(pair) | {"id": stored.read_id}])
            self.submitted[stored.read_id] = pair.item_pk
            self._audit(
                "read.import",
                "read",
                stored.read_id,
                pair.item_id,
                {"status": ReadStatus.DRAFT.value},
                {"status": ReadStatus.SUBMITTED.value, "number": self.numbers[key]},
            )
            return True
        moment = self.file.submitted_at(pair)
        if moment is not None and moment != stored.submitted_at:
            db.session.execute(update(Read), [{"id": stored.read_id, "submitted_at": moment}])
            return True
        return False

    def _submitted_read(self, pair: _ReadRows) -> dict[str, Any]:
        return {
            "status": ReadStatus.SUBMITTED,
            "number": self.numbers[(pair.item_pk, pair.reviewer_id)],
            "submitted_at": self.file.submitted_at(pair) or self.now,
            "updated_at": self.now,
        }

    def _score(self, row: _ScoreRow) -> dict[str, Any]:
        return {"score": row.score, "comment": row.comment if self.with_comments else None, "updated_at": self.now}

    def confirm_requirements(self) -> None:
        """A read of an application submitted here (a paper session) confirms every computed requirement result
        and judges the manual lines met (docs/requirements.md, "Reviewers confirm")."""
        applications = {item_pk for item_pk in self.submitted.values() if item_pk in self.applications}
        if not applications:
            return  # essays only: nothing to confirm, and no statement to run
        results = results_for_items(applications, _cycle_model(self.cycle))
        store_marks(
            [
                {
                    "read_id": read_id,
                    "requirement_key": result.key,
                    "status": imported_mark(result.check),
                    "computed": result.check,
                    "override_reason": None,
                }
                for read_id, item_pk in self.submitted.items()
                for result in results.get(item_pk, ())
            ]
        )

    def mark_in_review(self, items: dict[int, str], stored_states: dict[int, ItemState]) -> None:
        """Items that now have submitted reads are in review unless reconciliation has evaluated them already."""
        in_review = states.pre_review_state(started_reads=1)
        states.move_many(
            [
                states.Move(pk, key, stored_states[pk], in_review)
                for pk, key in items.items()
                if stored_states[pk] in states.PRE_REVIEW_STATES and stored_states[pk] != in_review
            ],
            cycle_id=self.cycle.id,
            actor_id=self.actor_id,
            at=self.now,
        )

    def _audit(
        self,
        action: str,
        object_type: str,
        object_id: int | None,
        item_key: str,
        before: Any,
        after: Any,
        note: str | None = None,
    ) -> None:
        self.audit.append((self._entry(action, object_type, object_id, item_key, before, after, note),))

    @staticmethod
    def _entry(
        action: str,
        object_type: str,
        object_id: int | None,
        item_key: str,
        before: Any,
        after: Any,
        note: str | None = None,
    ) -> dict[str, Any]:
        return {
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "item_key": item_key,
            "before": before,
            "after": after,
            "note": note,
        }

    def record_audit(self) -> None:
        """Every audit entry of the batch, in the order of its changes, written a chunk at a time."""
        entries = chain.from_iterable(self.audit)
        while chunk := list(islice(entries, AUDIT_ROWS_PER_CHUNK)):
            record_many(chunk, at=self.now, actor_id=self.actor_id, cycle_id=self.cycle.id)


# --- portfolio records ---

# Per kind: the model, and each column's attribute with its value for a blank cell (or an absent column).
RECORD_MODELS: dict[str, tuple[Any, dict[str, Any]]] = {
    "training": (TrainingRecord, {"hours": None, "topic": TrainingTopic.GENERAL, "title": None, "completed_on": None}),
    "rsc": (
        RscRecord,
        {
            "hours": None,
            "provider": None,
            "provider_endorsement": None,
            "format": None,
            "about_providing": None,
            "peer": None,
            "started_on": None,
            "ended_on": None,
        },
    ),
    "references": (
        ReferenceRecord,
        {"rater": None, "rater_role": None, "rater_endorsement": None, "received_on": None},
    ),
    "work": (
        WorkRecord,
        {
            "started_on": None,
            "ended_on": None,
            "kind": WorkKind.DIRECT_SERVICE,
            "role": None,
            "with_infant_and_parent": None,
            "supervised": None,
            "paid": None,
        },
    ),
}


def _write_records(
    kind: str, cycle: Cycle, validated: Validated, snapshot: _Snapshot, actor_id: int | None
) -> list[Outcome]:
    """Each applicant the file names gets exactly the file's records of this kind (README, "Portfolio records").

    An applicant's records are one unit: when the file's rows for them equal
    what is stored (in any order) nothing is written and the rows are
    unchanged; otherwise their stored records of this kind are replaced. A row
    equal to a stored record counts as unchanged, any other row as created
    (the applicant had none) or updated.
    """
    model, blanks = RECORD_MODELS[kind]
    wanted: dict[int, list[tuple[Row, tuple]]] = defaultdict(list)
    for row in validated.rows:
        values = tuple(
            _plain(blank if row.values.get(name) is None else row.values[name]) for name, blank in blanks.items()
        )
        wanted[snapshot.application_ids[row.values["applicant_id"]]].append((row, values))
    stored: dict[int, list[tuple]] = defaultdict(list)
    columns = [getattr(model, name) for name in blanks]
    for application_id, *cells in db.session.execute(
        db.select(model.application_id, *columns).where(model.application_id.in_(list(wanted))).order_by(model.id)
    ):
        stored[application_id].append(tuple(_plain(cell) for cell in cells))
    outcomes: dict[int, Outcome] = {}
    replaced, audit = [], []
    for application_id, rows in wanted.items():
        before = Counter(stored[application_id])
        if before == Counter(values for _, values in rows):
            outcomes.update((row.number, Outcome.UNCHANGED) for row, _ in rows)
            continue
        replaced.append(application_id)
        fresh = Outcome.UPDATED if before else Outcome.CREATED
        for row, values in rows:
            if before[values]:
                before[values] -= 1
                outcomes[row.number] = Outcome.UNCHANGED
            else:
                outcomes[row.number] = fresh
        audit.append(
            {
                "object_id": application_id,
                "item_key": application_item_id(rows[0][0].values["applicant_id"]),
                "before": {"records": len(stored[application_id])},
                "after": {"records": len(rows)},
            }
        )
    if replaced:
        db.session.execute(delete(model).where(model.application_id.in_(replaced)))
        names = list(blanks)
        db.session.execute(
            model.__table__.insert(),
            [
                {"application_id": application_id, **_record_row(kind, dict(zip(names, values, strict=True)))}
                for application_id in replaced
                for _, values in wanted[application_id]
            ],
        )
        record_many(audit, action=f"records.{kind}", object_type="application", actor_id=actor_id, cycle_id=cycle.id)
    return [outcomes[row.number] for row in validated.rows]


def _plain(value: Any) -> Any:
    """Stored enums compare with the file's text by their value."""
    return value.value if isinstance(value, Enum) else value


def _record_row(kind: str, values: dict[str, Any]) -> dict[str, Any]:
    if kind == "references":
        values["rater_key"] = provider_name(values["rater"])
    return values


# --- decisions ---


def _write_decisions(cycle: Cycle, validated: Validated, snapshot: _Snapshot, actor_id: int | None) -> list[Outcome]:
    """Each row through the committee's own ``record_decision``, as if entered on the page by ``decided_by`` (or
    the importing user): validated, versioned and audited alike. A row equal to what is decided writes nothing."""
    wanted = [snapshot.application_ids[row.values["applicant_id"]] for row in validated.rows]
    applications = {
        application.id: application
        for application in db.session.scalars(
            db.select(Application).where(Application.id.in_(wanted)).options(db.selectinload(Application.applicant))
        )
    }
    stored = {
        decision.application_id: decision
        for decision in db.session.scalars(db.select(Decision).where(Decision.application_id.in_(wanted)))
    }
    outcomes, refused = [], []
    for row, application_id in zip(validated.rows, wanted, strict=True):
        values = row.values
        address = values.get("decided_by")
        decider = snapshot.user_ids[address] if address else actor_id
        existing = stored.get(application_id)
        if existing is not None and (existing.decision.value, existing.rationale, existing.decided_by_id) == (
            values["decision"],
            values["rationale"],
            decider,
        ):
            outcomes.append(Outcome.UNCHANGED)
            continue
        try:
            committee_decisions.record_decision(
                applications[application_id],
                values["decision"],
                values["rationale"],
                actor_id=decider,
                expected_version=existing.version if existing else None,
                note="decisions import",
            )
        except CommitteeInputError as exc:
            refused.extend(RowError(row.number, field, reason) for field, reason in exc.problems.items())
            continue
        outcomes.append(Outcome.CREATED if existing is None else Outcome.UPDATED)
    if refused:
        raise RowsRefused(refused)
    return outcomes


# The scores writer is called on its own: it takes the cycle as a plain row too (``_write``).
WRITERS: dict[str, Callable[[Cycle, Validated, _Snapshot, int | None], list[Outcome]]] = {
    "reviewers": _write_reviewers,
    "applications": _write_applications,
    "essays": _write_essays,
    "conflicts": _write_conflicts,
    "committee": _write_committee,
    "reference_scores": _write_reference_scores,
    **{kind: partial(_write_records, kind) for kind in RECORD_KINDS},
    "decisions": _write_decisions,
}
