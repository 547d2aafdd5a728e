"""Reads: the reviewer's queue, autosaving scores, submitting and reopening. No request objects here.

Callers commit. Each autosave of a field is decided by ``app.scoring.saves.decide``
under the read's row lock: a retried save is acknowledged again, a late,
older save of a window never overwrites its newer one, and a window that has
not seen another window's change to the field is told so instead of
overwriting it, on SQLite and PostgreSQL alike.
"""

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from sqlalchemy import ColumnElement, Insert, ScalarSelect, Select, Update, bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.attributes import set_committed_value

from app import textlimits as limits
from app.access import VIEWER, applicant_visible, viewer_params
from app.assignment.models import Assignment
from app.assignment.queue import QUEUE_ORDER
from app.audit.models import AuditEntry
from app.audit.service import record, record_at_once
from app.bulk import plain_rows
from app.calibration import notices as calibration_notices
from app.calibration import service as calibration_service
from app.calibration.qualification import Qualification
from app.cycles import states
from app.cycles.models import Application, Cycle, Item, ItemKind, ItemText
from app.database import built_once
from app.errors import InputError
from app.extensions import db
from app.numbers import whole_number
from app.people.models import Role, User
from app.reconcile.service import reevaluate_item
from app.requirements import service as requirements
from app.requirements.lines import overrides, prefilled_mark
from app.requirements.rules import MANUAL, LineResult
from app.rubrics.model import Rubric
from app.rubrics.registry import get_rubric
from app.scoring.models import CheckStatus, ItemFlag, Read, ReadStatus, RequirementCheck, Score
from app.scoring.outcome import ReadOutcome, read_outcome
from app.scoring.saves import IncomingSave, SaveOutcome, StoredField, decide
from app.timeutil import utcnow

MAX_SEQ = 2**31 - 1  # the column is a 32-bit integer on PostgreSQL
CHECK_LABELS = {
    CheckStatus.MET: "Met",
    CheckStatus.NOT_MET: "Not met",
    CheckStatus.MORE_INFO: "More information needed",
}
CHECK_SHORT = {CheckStatus.MET: "Met", CheckStatus.NOT_MET: "Not met", CheckStatus.MORE_INFO: "More info"}


class ScoringError(ValueError):
    """A save or submit was refused; the message says what is wrong."""


class ReadLocked(ScoringError):
    """The read is submitted; only a coordinator's reopen makes it editable again."""


@dataclass(frozen=True)
class OpenField:
    """A domain or requirement line a refused submit names: its element on the scoring page, and its name."""

    anchor: str
    label: str


@dataclass(frozen=True)
class SubmitProblem:
    """One reason a submit was refused: a sentence, ending in the fields it names (links on the page)."""

    lead: str
    fields: tuple[OpenField, ...] = ()

    def __str__(self) -> str:
        if not self.fields:
            return self.lead
        return f"{self.lead} {', '.join(f.label for f in self.fields)}."


class IncompleteRead(ScoringError):
    """Submit was refused because domains or requirement lines are still open; ``problems`` names them
    in words, ``details`` as ``SubmitProblem``s whose fields the page links to."""

    def __init__(self, details: list[SubmitProblem]):
        self.details = details
        self.problems = [str(detail) for detail in details]
        super().__init__(" ".join(self.problems))


@dataclass(frozen=True)
class Progress:
    scored: int
    domains: int
    marked: int = 0
    requirements: int = 0

    @classmethod
    def of(cls, rubric: Rubric, *, scored: int, marked: int = 0) -> "Progress":
        """``scored`` of the rubric's domains and ``marked`` of its requirement lines."""
        return cls(scored=scored, domains=len(rubric.domains), marked=marked, requirements=len(rubric.requirements))

    @property
    def complete(self) -> bool:
        return self.scored == self.domains and self.marked == self.requirements


@dataclass(frozen=True)
class QueueEntry:
    """One assigned item as the reviewer's queue shows it: no applicant identity."""

    assignment_id: int
    item_id: str
    kind: str
    prompt: str | None
    category: str | None  # applications only
    rubric_title: str
    status: str  # not_started | draft | submitted
    progress: Progress
    due: date | None = None  # the read's own due date, when it differs from the cycle's


@dataclass(frozen=True)
class CycleQueue:
    cycle_id: int
    name: str
    due: date | None
    entries: tuple[QueueEntry, ...]
    qualification: Qualification | None = None  # in a cycle with a qualification set

    @property
    def submitted(self) -> int:
        return sum(1 for entry in self.entries if entry.status == "submitted")

    @property
    def percent(self) -> int:
        return round(100 * self.submitted / len(self.entries)) if self.entries else 0


def rubric_of(item: Item) -> Rubric:
    try:
        return get_rubric(item.rubric_key)
    except KeyError:
        raise ScoringError(
            f"rubric: item {item.item_id} uses rubric {item.rubric_key!r}, which is not loaded"
        ) from None


def queue_for(reviewer: User) -> list[CycleQueue]:
    """The reviewer's assigned items grouped by cycle (soonest due first), each in queue order
    (``app.assignment.queue``), in one query.

    Items whose applicant is hidden from the reviewer (``app.access``: a conflict)
    are left out: a conflict recorded after assignment takes effect on the next request.
    """
    # Counted per read of this queue (correlated): grouping the whole table would cost as much as the cycle is big.
    scored = (
        select(func.count())
        .select_from(Score)
        .where(Score.read_id == Read.id, Score.score.is_not(None))
        .correlate(Read)
        .scalar_subquery()
    )
    marked = (
        select(func.count())
        .select_from(RequirementCheck)
        .where(RequirementCheck.read_id == Read.id, RequirementCheck.status.is_not(None))
        .correlate(Read)
        .scalar_subquery()
    )
    rows = db.session.execute(
        _queue_select(
            Assignment.id,
            Item.item_id,
            Item.kind,
            ItemText.prompt,
            Item.rubric_key,
            Cycle.id,
            Cycle.name,
            Cycle.due,
            Read.status,
            scored,
            marked,
            Application.category,
            Assignment.due,
            Cycle.qualify_items,
        )
        .outerjoin(ItemText, ItemText.item_pk == Item.id)
        .join(Cycle, Item.cycle_id == Cycle.id)
        .outerjoin(Read, Read.assignment_id == Assignment.id)
        .outerjoin(Application, Application.applicant_pk == Item.applicant_pk)
        .order_by(Cycle.due.is_(None), Cycle.due, Cycle.name, *QUEUE_ORDER),
        viewer_params(reviewer),
    )
    groups: dict[int, tuple[str, date | None, list[QueueEntry]]] = {}
    qualifying = set()
    for (
        assignment_id,
        item_id,
        kind,
        prompt,
        rubric_key,
        cycle_id,
        cycle_name,
        due,
        status,
        n_scored,
        n_marked,
        category,
        own_due,
        qualify_items,
    ) in rows:
        if qualify_items:
            qualifying.add(cycle_id)
        rubric = get_rubric(rubric_key)
        groups.setdefault(cycle_id, (cycle_name, due, []))[2].append(
            QueueEntry(
                assignment_id=assignment_id,
                item_id=item_id,
                kind=kind.value,
                prompt=prompt,
                category=category if kind.value == "application" else None,
                rubric_title=rubric.title,
                status=_queue_status(status),
                progress=Progress.of(rubric, scored=n_scored, marked=n_marked),
                due=own_due if own_due != due else None,
            )
        )
    queues = [
        CycleQueue(cycle_id=cycle_id, name=name, due=due, entries=tuple(entries))
        for cycle_id, (name, due, entries) in groups.items()
    ]
    return [_released_part(group, reviewer) if group.cycle_id in qualifying else group for group in queues]


def _queue_status(status: ReadStatus | None) -> str:
    """How a queue names a read's progress: no read yet is not_started, else draft or submitted."""
    return status.value if status else "not_started"


def _queue_select(*columns) -> Select:
    """``columns`` of the reviewer's assignments with their items, those whose applicant the reviewer may see: the
    one rule of which reads a queue lists (``queue_for`` and ``neighbours``; the caller orders by QUEUE_ORDER and
    binds the reviewer with ``viewer_params``)."""
    return (
        select(*columns)
        .select_from(Assignment)
        .join(Item, Assignment.item_pk == Item.id)
        .where(Assignment.reviewer_id == bindparam(VIEWER), applicant_visible(Role.REVIEWER, Item.applicant_pk))
    )


# Every scoring page of a reviewer reads it (``built_once``: app/database.py says why).
@built_once
def _neighbour_rows() -> Select:
    return (
        _queue_select(Assignment.id, Item.item_id, Read.status, Item.cycle_id, Cycle.qualify_items)
        .join(Cycle, Item.cycle_id == Cycle.id)
        .outerjoin(Read, Read.assignment_id == Assignment.id)
        .order_by(*QUEUE_ORDER)
    )


def _standing(cycle_id: int, reviewer: User) -> calibration_service.ReviewerStanding | None:
    """The reviewer's qualification standing in a cycle with a qualification set (docs/calibration.md)."""
    return calibration_service.standing_of(db.session.get_one(Cycle, cycle_id), reviewer.id)


def _released_part(group: CycleQueue, reviewer: User) -> CycleQueue:
    """In a cycle with a qualification set, only the set until the reviewer passes it (docs/calibration.md)."""
    standing = _standing(group.cycle_id, reviewer)
    if standing is None:
        return group
    if standing.qualification.released:
        return replace(group, qualification=standing.qualification)
    return replace(
        group,
        qualification=standing.qualification,
        entries=tuple(entry for entry in group.entries if standing.opens(entry.assignment_id)),
    )


@dataclass(frozen=True)
class QueueStep:
    """An item of the queue as the scoring page's previous and next links name it."""

    assignment_id: int
    item_id: str
    status: str  # not_started | draft | submitted


@dataclass(frozen=True)
class Neighbours:
    """Where an item sits in its reviewer's queue (the queue's order, within the item's cycle)."""

    position: int  # 1-based
    total: int
    previous: QueueStep | None
    next: QueueStep | None
    next_open: QueueStep | None  # the first item after this one, wrapping round, not yet submitted


def neighbours(reviewer: User, assignment: Assignment) -> Neighbours | None:
    """The items before and after this one in the reviewer's queue, as ``queue_for`` lists it; None when it is not
    in their queue (a coordinator or committee member viewing someone else's read, a read not yet released).

    One query of a few columns for the item's cycle alone (the page needs no progress, prompt or rubric of the
    others), plus the qualification standing in a cycle with a qualification set (docs/pages.md, "What the page reads").
    """
    rows = plain_rows(_neighbour_rows(), viewer_params(reviewer))
    # The item's cycle is picked here, not in SQL: with it there SQLite reads the whole cycle's items first.
    cycle_id = assignment.item.cycle_id
    in_cycle = [row for row in rows if row[3] == cycle_id]
    steps = [QueueStep(row[0], row[1], _queue_status(row[2])) for row in in_cycle]
    if in_cycle and in_cycle[0][4]:
        standing = _standing(cycle_id, reviewer)
        if standing is not None and not standing.qualification.released:
            steps = [step for step in steps if standing.opens(step.assignment_id)]
    at = next((place for place, step in enumerate(steps) if step.assignment_id == assignment.id), None)
    if at is None:
        return None
    later = steps[at + 1 :] + steps[:at]
    return Neighbours(
        position=at + 1,
        total=len(steps),
        previous=steps[at - 1] if at > 0 else None,
        next=steps[at + 1] if at + 1 < len(steps) else None,
        next_open=next((step for step in later if step.status != "submitted"), None),
    )


@dataclass(frozen=True)
class Reopening:
    at: datetime
    reason: str


def last_reopening(read: Read | None) -> Reopening | None:
    """Why a coordinator returned this read to draft, while it is a draft again (a read keeps its number
    once submitted, so a numbered draft has been reopened): the reviewer sees it on the scoring page."""
    if read is None or read.status != ReadStatus.DRAFT or read.number is None:
        return None
    entry = db.session.execute(
        select(AuditEntry.at, AuditEntry.note)
        .where(
            AuditEntry.item_key == read.assignment.item.item_id,
            AuditEntry.action == "read.reopen",
            AuditEntry.object_type == "read",
            AuditEntry.object_id == read.id,
        )
        .order_by(AuditEntry.id.desc())
        .limit(1)
    ).first()
    return Reopening(at=entry.at, reason=entry.note or "") if entry else None


@dataclass(frozen=True)
class PageRecords:
    """What the scoring page shows beside its assignment: the read (None before the first save), the
    application (application items only) and, for the assigned reviewer, what they reported on the item."""

    read: Read | None
    application: Application | None
    flags: list[ItemFlag]


def _page_records_select(with_flags: bool) -> Select:
    entities: list = [Read, Application, ItemFlag] if with_flags else [Read, Application]
    statement = (
        select(*entities)
        .select_from(Assignment)
        .join(Item, Assignment.item_pk == Item.id)
        .outerjoin(Read, Read.assignment_id == Assignment.id)
        .outerjoin(Application, (Application.applicant_pk == Item.applicant_pk) & (Item.kind == ItemKind.APPLICATION))
        .where(Assignment.id == bindparam("assignment_id"))
    )
    if with_flags:
        statement = statement.outerjoin(ItemFlag, ItemFlag.assignment_id == Assignment.id).order_by(ItemFlag.id.desc())
    return statement


@built_once
def _page_records() -> dict[bool, Select]:
    return {with_flags: _page_records_select(with_flags) for with_flags in (False, True)}


def page_records(assignment: Assignment, *, with_flags: bool) -> PageRecords:
    """The read, the application and (``with_flags``) the reviewer's reports, newest first, in one query: one row
    per report (or one row without any), read and application outer-joined to each (docs/pages.md, "What the
    page reads")."""
    rows = db.session.execute(_page_records()[with_flags], {"assignment_id": assignment.id}).all()
    read, application = rows[0][0], rows[0][1]
    return PageRecords(read, application, [row[2] for row in rows if with_flags and row[2] is not None])


def find_read(assignment: Assignment) -> Read | None:
    """The assignment's read, or None before the first save (viewing never writes)."""
    return db.session.scalar(select(Read).where(Read.assignment_id == assignment.id))


@built_once
def _locked_read() -> Select:
    return (
        select(Read)
        .where(Read.assignment_id == bindparam("assignment_id"))
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def open_read(assignment: Assignment, *, actor_id: int | None = None) -> Read:
    """The assignment's read, created as a draft on first use, and locked for this transaction.

    The row lock serialises saves with a concurrent submit on PostgreSQL
    (SQLite already serialises writers with BEGIN IMMEDIATE). The first save
    puts an item not yet in review in review.
    """
    read = db.session.scalars(_locked_read(), {"assignment_id": assignment.id}).one_or_none()
    if read is None:  # only the first save of a read: every later autosave finds it with the SELECT alone
        now = utcnow()
        created = db.session.execute(
            _insert(Read)
            .values(assignment_id=assignment.id, status=ReadStatus.DRAFT, overall_seq=0, started_at=now, updated_at=now)
            .on_conflict_do_nothing(index_elements=["assignment_id"])
            .returning(Read.id)
        ).first()
        read = db.session.scalars(_locked_read(), {"assignment_id": assignment.id}).one()
        if created is not None:  # not a concurrent first save that lost the race
            item = _locked_item(assignment.item_pk)
            states.derive_pre_review(item, started_reads=1, actor_id=actor_id)
            if item.kind == ItemKind.APPLICATION:
                _prefill_checks(read.id, item)
    # populate_existing carries over to lazy loads: read.assignment would reload the assignment and its item.
    set_committed_value(read, "assignment", assignment)
    return read


TAB_PATTERN = re.compile(r"[A-Za-z0-9_-]{8,32}")


@dataclass(frozen=True)
class WindowSave:
    """Where a save comes from: the scoring window's id, its save number, and the field version it last saw."""

    tab: str
    seq: int
    base_version: int


def window_save(tab: str | None, seq: int | str | None, base_version: int | str | None) -> WindowSave:
    """The three values every autosave carries (hidden fields of the page, and the script's counter), checked."""
    if tab is None or not TAB_PATTERN.fullmatch(tab):
        raise ScoringError(f"tab: {tab!r} is not a scoring window id; reload the page")
    return WindowSave(
        tab=tab, seq=_check_seq(seq), base_version=_whole_number(base_version, "base_version", maximum=MAX_SEQ)
    )


@dataclass(frozen=True)
class SaveResult:
    """What became of one autosave. ``version`` is the field's version now; on a conflict ``theirs`` holds what
    is stored, by form field name, and ``summary`` says it in words. A save that is stored says how far the read
    is once it is (``progress``: the answer shows it)."""

    outcome: SaveOutcome
    version: int
    theirs: dict[str, str] | None = None
    summary: str | None = None
    progress: Progress | None = None


def new_window_id() -> str:
    """A scoring page's window id: random, so two tabs or devices of one reviewer never share one."""
    return secrets.token_urlsafe(12)


def _filled(model: type[Score] | type[RequirementCheck], *, besides: str | None = None) -> ScalarSelect[int]:
    """How many of the read's fields (the read bound as ``read_id``) among its rubric's (``_rubric_fields``) hold a
    value: the scored domains, or the marked requirement lines; ``besides`` names the bound key of the one field
    a save is about, left out."""
    filled: ColumnElement[bool]
    if model is Score:
        key, filled, of = Score.domain_key, Score.score.is_not(None), "domains"
    else:
        key, filled, of = RequirementCheck.requirement_key, RequirementCheck.status.is_not(None), "requirements"
    conditions = [model.read_id == bindparam("read_id"), filled, key.in_(bindparam(of, expanding=True))]
    if besides is not None:
        conditions.append(key != bindparam(besides))
    return select(func.count()).select_from(model).where(*conditions).scalar_subquery()


def _rubric_fields(rubric: Rubric) -> dict[str, list[str]]:
    """The bound values ``_filled`` counts among."""
    return {"domains": list(rubric.domain_keys), "requirements": [r.key for r in rubric.requirements]}


# What an autosave compares with, and what its answer counts of the read's other fields, in one query: the read
# outer-joined to the field's row (NULLs before the field's first save). Built once, as _neighbour_rows() is.
@built_once
def _stored_score() -> Select:
    return (
        select(
            Score.id,
            Score.score,
            Score.comment,
            Score.seq,
            Score.version,
            Score.tab,
            _filled(Score, besides="domain_key").label("scored_elsewhere"),
            _filled(RequirementCheck).label("marked"),
        )
        .select_from(Read)
        .outerjoin(Score, (Score.read_id == Read.id) & (Score.domain_key == bindparam("domain_key")))
        .where(Read.id == bindparam("read_id"))
    )


@built_once
def _stored_check() -> Select:
    return (
        select(
            RequirementCheck.id,
            RequirementCheck.status,
            RequirementCheck.note,
            RequirementCheck.seq,
            RequirementCheck.version,
            RequirementCheck.tab,
            RequirementCheck.override_reason,
            _filled(Score).label("scored"),
            _filled(RequirementCheck, besides="requirement_key").label("marked_elsewhere"),
        )
        .select_from(Read)
        .outerjoin(
            RequirementCheck,
            (RequirementCheck.read_id == Read.id) & (RequirementCheck.requirement_key == bindparam("requirement_key")),
        )
        .where(Read.id == bindparam("read_id"))
    )


# An autosave's writes, by the row's id (``row_id``); the columns set are the ones each call binds.
@built_once
def _field_writes() -> dict[type, tuple[Insert, Update]]:
    return {
        model: (model.__table__.insert(), model.__table__.update().where(model.__table__.c.id == bindparam("row_id")))
        for model in (Score, RequirementCheck)
    }


def _write_field(
    model: type[Score] | type[RequirementCheck], row_id: int | None, names: dict[str, object], values: dict[str, object]
) -> None:
    """Store ``values`` in the field's row: inserted with ``names`` (the read and the field's key) on the field's
    first save (``row_id`` None), else updated."""
    insert_row, update_row = _field_writes()[model]
    if row_id is None:
        db.session.execute(insert_row, {**names, **values})
    else:
        db.session.execute(update_row, {**values, "row_id": row_id})


def save_domain(
    read: Read,
    domain_key: str,
    score: int | str | None,
    comment: str | None,
    window: WindowSave,
    *,
    actor_id: int | None = None,
) -> SaveResult:
    """Store one domain's score and comment if ``decide`` says so (app/scoring/saves.py); the caller commits."""
    _require_draft(read)
    item = read.assignment.item
    rubric = rubric_of(item)
    if domain_key not in rubric.domain_keys:
        raise ScoringError(f"domain: {domain_key!r} is not a domain of rubric {rubric.key}")
    score = _check_score(rubric, score)
    comment = _check_text(comment, "comment")
    row = plain_rows(_stored_score(), {"read_id": read.id, "domain_key": domain_key, **_rubric_fields(rubric)})[0]
    found = row.id is not None
    stored = StoredField(row.version, row.tab, row.seq, (row.score, row.comment or "")) if found else None
    outcome, version = _decide(stored, window, (score, comment or ""))
    if outcome is SaveOutcome.CONFLICT and found:  # a conflict always has a stored row
        return SaveResult(
            outcome,
            version,
            theirs={"score": "" if row.score is None else str(row.score), "comment": row.comment or ""},
            summary=_in_words("no score" if row.score is None else f"score {row.score}", row.comment),
        )
    if outcome is SaveOutcome.STORE:
        values = {
            "score": score,
            "comment": comment,
            "seq": window.seq,
            "tab": window.tab,
            "version": version,
            "updated_at": utcnow(),
        }
        _write_field(Score, row.id, {"read_id": read.id, "domain_key": domain_key}, values)
        before = row.score
        if before != score:
            # Comments change on every pause in typing; the audit keeps the score changes, compactly.
            record_at_once(
                "score.save",
                "read",
                read.id,
                actor_id=actor_id,
                cycle_id=item.cycle_id,
                item_key=item.item_id,
                before={domain_key: before},
                after={domain_key: score},
            )
    if not outcome.stored:
        return SaveResult(outcome, version)
    # Stored, the domain holds ``score``; the others are as counted (the read's lock keeps other saves out).
    progress = Progress.of(rubric, scored=row.scored_elsewhere + (score is not None), marked=row.marked)
    return SaveResult(outcome, version, progress=progress)


def save_requirement(
    read: Read,
    requirement_key: str,
    status: str | None,
    note: str | None,
    window: WindowSave,
    *,
    reason: str | None = None,
    actor_id: int | None = None,
) -> SaveResult:
    """Store one requirement line's mark, note and override reason (application reads) if ``decide`` says so;
    the caller commits."""
    _require_draft(read)
    item = read.assignment.item
    rubric = rubric_of(item)
    if requirement_key not in {requirement.key for requirement in rubric.requirements}:
        raise ScoringError(f"requirement: {requirement_key!r} is not a requirement of rubric {rubric.key}")
    check_status = _check_status(status)
    note = _check_text(note, "note")
    reason = _check_text(reason, "reason", limits.REASON)
    row = plain_rows(
        _stored_check(), {"read_id": read.id, "requirement_key": requirement_key, **_rubric_fields(rubric)}
    )[0]
    found = row.id is not None
    stored = (
        StoredField(row.version, row.tab, row.seq, (row.status, row.note or "", row.override_reason or ""))
        if found
        else None
    )
    outcome, version = _decide(stored, window, (check_status, note or "", reason or ""))
    if outcome is SaveOutcome.CONFLICT and found:
        return SaveResult(
            outcome,
            version,
            theirs={
                "status": row.status.value if row.status else "",
                "note": row.note or "",
                "reason": row.override_reason or "",
            },
            summary=_in_words(CHECK_LABELS[row.status] if row.status else "not marked", row.note),
        )
    if outcome is SaveOutcome.STORE:
        values = {
            "status": check_status,
            "note": note,
            "override_reason": reason,
            "seq": window.seq,
            "tab": window.tab,
            "version": version,
        }
        _write_field(RequirementCheck, row.id, {"read_id": read.id, "requirement_key": requirement_key}, values)
        before = row.status
        if before != check_status:
            record_at_once(
                "requirement.save",
                "read",
                read.id,
                actor_id=actor_id,
                cycle_id=item.cycle_id,
                item_key=item.item_id,
                before={requirement_key: before and before.value},
                after={requirement_key: check_status and check_status.value},
            )
    if not outcome.stored:
        return SaveResult(outcome, version)
    progress = Progress.of(rubric, scored=row.scored, marked=row.marked_elsewhere + (check_status is not None))
    return SaveResult(outcome, version, progress=progress)


def save_overall_comment(read: Read, text: str | None, window: WindowSave) -> SaveResult:
    """Store the overall comment if ``decide`` says so; the caller commits."""
    _require_draft(read)
    text = _check_text(text, "overall comment")
    # open_read loaded the read for update, so these are current.
    stored = StoredField(read.overall_version, read.overall_tab, read.overall_seq, (read.overall_comment or "",))
    outcome, version = _decide(stored, window, (text or "",))
    if outcome is SaveOutcome.CONFLICT:
        return SaveResult(
            outcome,
            version,
            theirs={"overall_comment": read.overall_comment or ""},
            summary=_in_words(None, read.overall_comment),
        )
    if outcome is SaveOutcome.STORE:
        db.session.execute(
            update(Read)
            .where(Read.id == read.id)
            .values(
                overall_comment=text,
                overall_seq=window.seq,
                overall_tab=window.tab,
                overall_version=version,
                updated_at=utcnow(),
            )
        )
    if not outcome.stored:
        return SaveResult(outcome, version)
    return SaveResult(outcome, version, progress=progress(read, rubric_of(read.assignment.item)))


def _decide(stored: StoredField | None, window: WindowSave, content: tuple) -> tuple[SaveOutcome, int]:
    """The decision and the field's version after it is carried out (the version moves only when the content
    does: a window re-sending what is stored, as a textarea's change event does, must not look like a change)."""
    outcome = decide(stored, IncomingSave(window.tab, window.seq, window.base_version, content))
    if stored is None:
        return outcome, 1
    changed = outcome is SaveOutcome.STORE and content != stored.content
    return outcome, stored.version + 1 if changed else stored.version


def _in_words(mark: str | None, text: str | None, shown: int = 160) -> str:
    """ "score 3, “Sees the parallel…”": what another window stored, short enough for a status line."""
    quoted = f"“{text[:shown]}{'…' if len(text) > shown else ''}”" if text else "no text"
    return f"{mark}, {quoted}" if mark else quoted


# Both counts in one round trip, built once: an overall comment's autosave answers with them.
@built_once
def _progress_counts() -> Select:
    return select(_filled(Score), _filled(RequirementCheck))


def progress(read: Read | None, rubric: Rubric) -> Progress:
    """How many domains are scored (and requirement lines marked) so far."""
    if read is None:
        return Progress.of(rubric, scored=0)
    scored, marked = db.session.execute(_progress_counts(), {"read_id": read.id, **_rubric_fields(rubric)}).one()
    return Progress.of(rubric, scored=scored, marked=marked)


@dataclass(frozen=True)
class ReadContent:
    """What the scoring page shows of a read: scores, comments, marks, and each field's stored version."""

    scores: dict[str, int | None]
    comments: dict[str, str]
    checks: dict[str, str | None]
    notes: dict[str, str]
    overall_comment: str
    score_versions: dict[str, int]
    check_versions: dict[str, int]
    overall_version: int
    reasons: dict[str, str] = field(default_factory=dict)  # override reasons
    computed: dict[str, str | None] = field(default_factory=dict)  # the checks the marks were settled against


# The page's statements, built once as _neighbour_rows() is.
@built_once
def _read_scores() -> Select:
    return select(Score.domain_key, Score.score, Score.comment, Score.version).where(
        Score.read_id == bindparam("read_id")
    )


@built_once
def _read_checks() -> Select:
    return select(
        RequirementCheck.requirement_key,
        RequirementCheck.status,
        RequirementCheck.note,
        RequirementCheck.version,
        RequirementCheck.override_reason,
        RequirementCheck.computed,
    ).where(RequirementCheck.read_id == bindparam("read_id"))


def read_content(read: Read | None) -> ReadContent:
    """The stored state of a read in two queries (one per child table)."""
    if read is None:
        return ReadContent(
            scores={},
            comments={},
            checks={},
            notes={},
            overall_comment="",
            score_versions={},
            check_versions={},
            overall_version=0,
        )
    score_rows = db.session.execute(_read_scores(), {"read_id": read.id}).all()
    check_rows = db.session.execute(_read_checks(), {"read_id": read.id}).all()
    return ReadContent(
        scores={row.domain_key: row.score for row in score_rows},
        comments={row.domain_key: row.comment or "" for row in score_rows},
        checks={row.requirement_key: row.status.value if row.status else None for row in check_rows},
        notes={row.requirement_key: row.note or "" for row in check_rows},
        overall_comment=read.overall_comment or "",
        score_versions={row.domain_key: row.version for row in score_rows},
        check_versions={row.requirement_key: row.version for row in check_rows},
        overall_version=read.overall_version,
        reasons={row.requirement_key: row.override_reason or "" for row in check_rows},
        computed={row.requirement_key: row.computed for row in check_rows},
    )


def content_progress(
    content: ReadContent, rubric: Rubric, prefilled: Mapping[str, str | None] | None = None
) -> Progress:
    """What ``progress`` counts, from content already loaded (the scoring page's): no query.

    ``prefilled`` are the marks a read starts from (the product's decided checks), which count as marked.
    """
    prefilled = prefilled or {}
    return Progress.of(
        rubric,
        scored=sum(content.scores.get(key) is not None for key in rubric.domain_keys),
        marked=sum((content.checks.get(r.key) or prefilled.get(r.key)) is not None for r in rubric.requirements),
    )


def outcome_of(read: Read) -> ReadOutcome | None:
    """The read's outcome under its rubric's pass rule, or None while it is incomplete."""
    rubric = rubric_of(read.assignment.item)
    content = read_content(read)
    if any(content.scores.get(key) is None for key in rubric.domain_keys):
        return None
    unmet = tuple(r.label for r in rubric.requirements if content.checks.get(r.key) != CheckStatus.MET.value)
    return read_outcome(rubric, content.scores, unmet)


def submit(read: Read, *, actor_id: int | None = None) -> ReadOutcome:
    """Lock a complete read, number it in the item's submission order, and return its outcome."""
    read = _lock(read)
    _require_draft(read)
    item = _locked_item(read.assignment.item_pk)
    rubric = rubric_of(item)
    content = read_content(read)
    problems: list[SubmitProblem] = []
    missing = tuple(OpenField(f"domain-{d.key}", d.name) for d in rubric.domains if content.scores.get(d.key) is None)
    if missing:
        problems.append(SubmitProblem("Score every domain before submitting; still open:", missing))
    settled = _settle_requirement_marks(item, rubric, content, problems) if rubric.requirements else {}
    if problems:
        raise IncompleteRead(problems)
    if settled:
        _store_settled_marks(read.id, settled)
        content = read_content(read)

    unmet = tuple(r.label for r in rubric.requirements if content.checks[r.key] != CheckStatus.MET.value)
    outcome = read_outcome(rubric, content.scores, unmet)
    if read.number is None:  # a reopened read keeps its place in the order
        latest = db.session.scalar(select(func.max(Read.number)).join(Assignment).where(Assignment.item_pk == item.id))
        read.number = (latest or 0) + 1
    read.status = ReadStatus.SUBMITTED
    read.submitted_at = utcnow()
    record(
        "read.submit",
        "read",
        read.id,
        actor_id=actor_id,
        cycle_id=item.cycle_id,
        item_key=item.item_id,
        before={"status": ReadStatus.DRAFT.value},
        after={
            "status": ReadStatus.SUBMITTED.value,
            "number": read.number,
            "scores": {key: content.scores[key] for key in rubric.domain_keys},
            "checks": {r.key: content.checks[r.key] for r in rubric.requirements} or None,
            "result": outcome.result,
            "mean": outcome.mean,
        },
    )
    reevaluate_item(item, actor_id=actor_id)
    db.session.flush()
    if item.validity and item.cycle.qualify_items:  # the last read of a set may miss it: the coordinators are told
        calibration_notices.set_read_submitted(item.cycle, read.assignment.reviewer_id, read.assignment_id)
    return outcome


def reopen(read: Read, actor_id: int, reason: str) -> None:
    """A coordinator returns a submitted read to draft so its reviewer can change it (audited with the reason).

    The item is evaluated again at once: without the read it is back in review
    (or adjudicating) and loses its combined score until the read is submitted again.
    """
    reason = (limits.bounded(reason, limits.REASON, "reason", _scoring_error) or "").strip()
    if not reason:
        raise ScoringError("reason: say why the read is reopened")
    read = _lock(read)
    if read.status != ReadStatus.SUBMITTED:
        raise ScoringError(f"read: read {read.id} is not submitted, so there is nothing to reopen")
    item = _locked_item(read.assignment.item_pk)
    record(
        "read.reopen",
        "read",
        read.id,
        actor_id=actor_id,
        cycle_id=item.cycle_id,
        item_key=item.item_id,
        before={
            "status": ReadStatus.SUBMITTED.value,
            "submitted_at": read.submitted_at.isoformat() if read.submitted_at else None,
        },
        after={"status": ReadStatus.DRAFT.value},
        note=reason,
    )
    read.status = ReadStatus.DRAFT
    read.submitted_at = None
    reevaluate_item(item, actor_id=actor_id)
    db.session.flush()


@dataclass(frozen=True)
class OpenFlag:
    """A reported problem not yet handled, as the coordinator's dashboard lists it."""

    flag_id: int
    item_pk: int
    item_id: str
    reviewer: str
    note: str
    created_at: datetime


def flag_item(assignment: Assignment, note: str | None, *, actor_id: int) -> ItemFlag:
    """The assigned reviewer reports a problem with the item (it names the applicant, text is missing…) to the
    coordinator; audited with the note. Refused without a note."""
    text = (limits.bounded(note, limits.REASON, "note", _scoring_error) or "").strip()
    if not text:
        raise ScoringError("note: say what the problem is, so the coordinator can act on it")
    flag = ItemFlag(assignment_id=assignment.id, note=text)
    db.session.add(flag)
    db.session.flush()
    item = assignment.item
    record(
        "item.flag",
        "item_flag",
        flag.id,
        actor_id=actor_id,
        cycle_id=item.cycle_id,
        item_key=item.item_id,
        after={"note": text, "assignment": assignment.id},
    )
    return flag


def resolve_flag(flag: ItemFlag, *, actor_id: int) -> None:
    """A coordinator marks a reported problem handled (audited); handling it twice is refused."""
    if flag.resolved_at is not None:
        raise ScoringError("flag: this problem is already marked handled")
    flag.resolved_at, flag.resolved_by_id = utcnow(), actor_id
    item = flag.assignment.item
    record(
        "item.flag_resolve",
        "item_flag",
        flag.id,
        actor_id=actor_id,
        cycle_id=item.cycle_id,
        item_key=item.item_id,
        before={"resolved": False},
        after={"resolved": True},
    )


def flags_of_item(item: Item) -> list[tuple[ItemFlag, User]]:
    """Every problem reported on the item with its reviewer: open ones first, then newest first."""
    rows = db.session.execute(
        select(ItemFlag, User)
        .join(Assignment, ItemFlag.assignment_id == Assignment.id)
        .join(User, Assignment.reviewer_id == User.id)
        .where(Assignment.item_pk == item.id)
        .order_by(ItemFlag.resolved_at.is_not(None), ItemFlag.id.desc())
    )
    return [(flag, reviewer) for flag, reviewer in rows]


def open_flags(cycle: Cycle) -> list[OpenFlag]:
    """The cycle's reported problems not yet handled, oldest first."""
    rows = db.session.execute(
        select(ItemFlag.id, Item.id, Item.item_id, User.name, ItemFlag.note, ItemFlag.created_at)
        .join(Assignment, ItemFlag.assignment_id == Assignment.id)
        .join(Item, Assignment.item_pk == Item.id)
        .join(User, Assignment.reviewer_id == User.id)
        .where(Item.cycle_id == cycle.id, ItemFlag.resolved_at.is_(None))
        .order_by(ItemFlag.id)
    )
    return [OpenFlag(*row) for row in rows]


def _prefill_checks(read_id: int, item: Item) -> None:
    """A new application read starts from the product's results: each line it could decide is marked so."""
    results = requirements.results_for_item(item)
    rows = [
        {
            "read_id": read_id,
            "requirement_key": result.key,
            "status": CheckStatus(mark),
            "seq": 0,
            "computed": result.check,
        }
        for result in results
        if (mark := prefilled_mark(result.check))
    ]
    if rows:
        db.session.execute(RequirementCheck.__table__.insert(), rows)


def current_mark(content: ReadContent, key: str, check: str) -> str | None:
    """A draft's mark of a line as submitting would record it against the product's ``check`` now: a mark that
    still equals the check it was settled against, with no reason, follows the check when the records have
    changed since; no mark starts from the check where it decided the line (docs/requirements.md)."""
    mark = content.checks.get(key)
    followed = content.computed.get(key)
    if mark is None or (mark == followed and followed != check and not content.reasons.get(key)):
        return prefilled_mark(check)
    return mark


def _settle_requirement_marks(
    item: Item, rubric: Rubric, content: ReadContent, problems: list[SubmitProblem]
) -> dict[str, tuple[str, str, str | None]]:
    """Each line's mark at submission, against the product's check now: key → (mark, check, override reason).

    A mark that still equals the check it was settled against follows the
    check when the records have changed since; a mark overriding a met or
    not_met check needs a reason. Lines still open are added to ``problems``.
    """
    settled: dict[str, tuple[str, str, str | None]] = {}
    unmarked: list[OpenField] = []
    unexplained: list[OpenField] = []
    results = {result.key: result for result in requirements.results_for_item(item)}
    for requirement in rubric.requirements:
        result = results.get(requirement.key) or LineResult(requirement.key, requirement.label, MANUAL, None, None, "")
        mark = current_mark(content, result.key, result.check)
        reason = (content.reasons.get(result.key) or "").strip() or None
        if mark is None:
            unmarked.append(OpenField(f"requirement-{result.key}", result.label))
        elif overrides(result.check, mark) and reason is None:
            unexplained.append(OpenField(f"reason-{result.key}", result.label))
        else:
            settled[result.key] = (mark, result.check, reason if overrides(result.check, mark) else None)
    if unmarked:
        problems.append(SubmitProblem("Mark every requirement before submitting; still open:", tuple(unmarked)))
    if unexplained:
        problems.append(SubmitProblem("Say why your mark differs from the product's check on:", tuple(unexplained)))
    return settled


def _store_settled_marks(read_id: int, settled: Mapping[str, tuple[str, str, str | None]]) -> None:
    store_marks(
        [
            {"read_id": read_id, "requirement_key": key, "status": mark, "computed": check, "override_reason": reason}
            for key, (mark, check, reason) in settled.items()
        ]
    )


def store_marks(rows: list[dict]) -> None:
    """Requirement marks as a submitted read keeps them: each row's ``status``, the ``computed`` check it was
    settled against and its ``override_reason``, inserted or replacing what the line had (its note stays)."""
    if not rows:
        return
    upsert = _INSERTS[_dialect()](RequirementCheck.__table__)
    upsert = upsert.on_conflict_do_update(
        index_elements=["read_id", "requirement_key"],
        set_={name: upsert.excluded[name] for name in ("status", "computed", "override_reason")},
    )
    db.session.execute(upsert, [{**row, "status": CheckStatus(row["status"]), "seq": 0} for row in rows])


def _dialect() -> str:
    dialect = db.session.get_bind().dialect.name
    if dialect not in _INSERTS:
        raise ScoringError(f"database: autosave supports SQLite and PostgreSQL, not {dialect}")
    return dialect


_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def _insert(model):
    return _INSERTS[_dialect()](model)


def _locked_item(item_pk: int) -> Item:
    """The item, current and locked for this transaction: moves of one item's state never interleave."""
    return db.session.scalars(
        select(Item).where(Item.id == item_pk).with_for_update().execution_options(populate_existing=True)
    ).one()


def _lock(read: Read) -> Read:
    return db.session.scalars(
        select(Read).where(Read.id == read.id).with_for_update().execution_options(populate_existing=True)
    ).one()


def _require_draft(read: Read) -> None:
    if read.status == ReadStatus.SUBMITTED:
        raise ReadLocked("This read is submitted and locked; ask a coordinator to reopen it to change it.")


def _check_score(rubric: Rubric, score: int | str | None) -> int | None:
    if score is None or score == "":
        return None
    value = _whole_number(score, "score")
    if value not in rubric.scale:
        raise ScoringError(f"score: {value} is outside the scale {rubric.scale_min}–{rubric.scale_max}")
    return value


def _check_status(status: str | None) -> CheckStatus | None:
    if status is None or status == "":
        return None
    try:
        return CheckStatus(status)
    except ValueError:
        choices = ", ".join(s.value for s in CheckStatus)
        raise ScoringError(f"status: must be one of {choices}, got {status!r}") from None


def _check_text(text: str | None, field: str, limit: int = limits.COMMENT) -> str | None:
    return limits.bounded(text, limit, field, _scoring_error)


def _scoring_error(field: str, reason: str) -> ScoringError:
    return ScoringError(f"{field}: {reason}")


def _check_seq(seq: int | str) -> int:
    return _whole_number(seq, "seq", minimum=1, maximum=MAX_SEQ)


def _whole_number(raw: int | str | None, field: str, **bounds: int) -> int:
    try:
        return whole_number(raw, field, **bounds)
    except InputError as exc:
        raise ScoringError(exc.message) from None
