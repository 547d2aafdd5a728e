"""Reads: the reviewer's queue, autosaving scores, submitting and reopening. No request objects here.

Callers commit. Autosaves are single upserts guarded by the client's save
counter (``seq``), so a retried save is harmless and a late, older save
never overwrites a newer one, on SQLite and PostgreSQL alike.
"""
from dataclasses import dataclass
from datetime import date
from functools import cache

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.attributes import set_committed_value

from app.access import applicant_visible, viewer_params
from app.assignment.models import Assignment
from app.audit.service import record, record_many
from app.cycles import states
from app.cycles.models import Application, Cycle, Item, ItemText
from app.errors import InputError
from app.extensions import db
from app.numbers import whole_number
from app.people.models import Role, User
from app.reconcile.service import reevaluate_item
from app.rubrics.model import Rubric
from app.rubrics.registry import get_rubric
from app.scoring.models import CheckStatus, Read, ReadStatus, RequirementCheck, Score
from app.scoring.outcome import ReadOutcome, read_outcome
from app.timeutil import utcnow

MAX_TEXT_LENGTH = 20_000
MAX_SEQ = 2**31 - 1  # the column is a 32-bit integer on PostgreSQL
CHECK_LABELS = {CheckStatus.MET: "Met", CheckStatus.NOT_MET: "Not met",
                CheckStatus.MORE_INFO: "More information needed"}


class ScoringError(ValueError):
    """A save or submit was refused; the message says what is wrong."""


class ReadLocked(ScoringError):
    """The read is submitted; only a coordinator's reopen makes it editable again."""


class IncompleteRead(ScoringError):
    """Submit was refused because domains or requirement lines are still open; ``problems`` names them."""

    def __init__(self, problems: list[str]):
        super().__init__(" ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Progress:
    scored: int
    domains: int
    marked: int = 0
    requirements: int = 0

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


@dataclass(frozen=True)
class CycleQueue:
    cycle_id: int
    name: str
    due: date | None
    entries: tuple[QueueEntry, ...]

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
        raise ScoringError(f"rubric: item {item.item_id} uses rubric {item.rubric_key!r}, "
                           "which is not loaded") from None


def queue_for(reviewer: User) -> list[CycleQueue]:
    """The reviewer's assigned items grouped by cycle (soonest due first), in one query.

    Items whose applicant is hidden from the reviewer (``app.access``: a conflict)
    are left out: a conflict recorded after assignment takes effect on the next request.
    """
    # Counted per read of this queue (correlated): grouping the whole table would cost as much as the cycle is big.
    scored = (select(func.count()).select_from(Score).where(Score.read_id == Read.id, Score.score.is_not(None))
              .correlate(Read).scalar_subquery())
    marked = (select(func.count()).select_from(RequirementCheck)
              .where(RequirementCheck.read_id == Read.id, RequirementCheck.status.is_not(None))
              .correlate(Read).scalar_subquery())
    rows = db.session.execute(
        select(Assignment.id, Item.item_id, Item.kind, ItemText.prompt, Item.rubric_key, Cycle.id, Cycle.name,
               Cycle.due, Read.status, scored, marked, Application.category)
        .join(Item, Assignment.item_pk == Item.id)
        .outerjoin(ItemText, ItemText.item_pk == Item.id)
        .join(Cycle, Item.cycle_id == Cycle.id)
        .outerjoin(Read, Read.assignment_id == Assignment.id)
        .outerjoin(Application, Application.applicant_pk == Item.applicant_pk)
        .where(Assignment.reviewer_id == reviewer.id, applicant_visible(Role.REVIEWER, Item.applicant_pk))
        .order_by(Cycle.due.is_(None), Cycle.due, Cycle.name, Item.item_id), viewer_params(reviewer))
    groups: dict[int, tuple[str, date | None, list[QueueEntry]]] = {}
    for (assignment_id, item_id, kind, prompt, rubric_key, cycle_id, cycle_name, due, status, n_scored,
         n_marked, category) in rows:
        rubric = get_rubric(rubric_key)
        groups.setdefault(cycle_id, (cycle_name, due, []))[2].append(QueueEntry(
            assignment_id=assignment_id, item_id=item_id, kind=kind.value, prompt=prompt,
            category=category if kind.value == "application" else None, rubric_title=rubric.title,
            status=status.value if status else "not_started",
            progress=Progress(scored=n_scored, domains=len(rubric.domains), marked=n_marked,
                              requirements=len(rubric.requirements))))
    return [CycleQueue(cycle_id=cycle_id, name=name, due=due, entries=tuple(entries))
            for cycle_id, (name, due, entries) in groups.items()]


def application_of(item: Item) -> Application | None:
    """The application an item belongs to, in one query (through ``item.applicant`` it takes two)."""
    return db.session.scalar(select(Application).where(Application.applicant_pk == item.applicant_pk))


def find_read(assignment: Assignment) -> Read | None:
    """The assignment's read, or None before the first save (viewing never writes)."""
    return db.session.scalar(select(Read).where(Read.assignment_id == assignment.id))


def open_read(assignment: Assignment, *, actor_id: int | None = None) -> Read:
    """The assignment's read, created as a draft on first use, and locked for this transaction.

    The row lock serialises saves with a concurrent submit on PostgreSQL
    (SQLite already serialises writers with BEGIN IMMEDIATE). The first save
    puts an item not yet in review in review.
    """
    locked = (select(Read).where(Read.assignment_id == assignment.id).with_for_update()
              .execution_options(populate_existing=True))
    read = db.session.scalars(locked).one_or_none()
    if read is None:  # only the first save of a read: every later autosave finds it with the SELECT alone
        now = utcnow()
        created = db.session.execute(
            _insert(Read).values(assignment_id=assignment.id, status=ReadStatus.DRAFT, overall_seq=0,
                                 started_at=now, updated_at=now)
            .on_conflict_do_nothing(index_elements=["assignment_id"]).returning(Read.id)).first()
        read = db.session.scalars(locked).one()
        if created is not None:  # not a concurrent first save that lost the race
            states.derive_pre_review(_locked_item(assignment.item_pk), started_reads=1, actor_id=actor_id)
    # populate_existing carries over to lazy loads: read.assignment would reload the assignment and its item.
    set_committed_value(read, "assignment", assignment)
    return read


def save_domain(read: Read, domain_key: str, score: int | str | None, comment: str | None, seq: int | str,
                *, actor_id: int | None = None) -> bool:
    """Upsert one domain's score and comment; returns False when a newer save was already stored."""
    _require_draft(read)
    item = read.assignment.item
    rubric = rubric_of(item)
    if domain_key not in rubric.domain_keys:
        raise ScoringError(f"domain: {domain_key!r} is not a domain of rubric {rubric.key}")
    score = _check_score(rubric, score)
    comment = _check_text(comment, "comment")
    seq = _check_seq(seq)
    before = db.session.scalar(select(Score.score).where(Score.read_id == read.id, Score.domain_key == domain_key))
    upsert = _guarded_upsert(_dialect(), Score.__table__, ("read_id", "domain_key"),
                             ("score", "comment", "seq", "updated_at"))
    applied = db.session.execute(upsert, {"read_id": read.id, "domain_key": domain_key, "score": score,
                                          "comment": comment, "seq": seq, "updated_at": utcnow()}).first() is not None
    if applied and before != score:
        # Comments change on every pause in typing; the audit keeps the score changes, compactly. Inserted
        # at once: an entry added to the session would cost an ORM flush on every autosave.
        record_many([{"action": "score.save", "object_type": "read", "object_id": read.id,
                      "actor_id": actor_id, "cycle_id": item.cycle_id, "item_key": item.item_id,
                      "before": {domain_key: before}, "after": {domain_key: score}}])
    return applied


def save_requirement(read: Read, requirement_key: str, status: str | None, note: str | None, seq: int | str,
                     *, actor_id: int | None = None) -> bool:
    """Upsert one requirement line's mark and note (application reads); False when a newer save won."""
    _require_draft(read)
    item = read.assignment.item
    rubric = rubric_of(item)
    if requirement_key not in {requirement.key for requirement in rubric.requirements}:
        raise ScoringError(f"requirement: {requirement_key!r} is not a requirement of rubric {rubric.key}")
    check_status = _check_status(status)
    note = _check_text(note, "note")
    seq = _check_seq(seq)
    before = db.session.scalar(select(RequirementCheck.status).where(
        RequirementCheck.read_id == read.id, RequirementCheck.requirement_key == requirement_key))
    upsert = _guarded_upsert(_dialect(), RequirementCheck.__table__, ("read_id", "requirement_key"),
                             ("status", "note", "seq"))
    applied = db.session.execute(upsert, {"read_id": read.id, "requirement_key": requirement_key,
                                          "status": check_status, "note": note, "seq": seq}).first() is not None
    if applied and before != check_status:
        record("requirement.save", "read", read.id, actor_id=actor_id, cycle_id=item.cycle_id,
               item_key=item.item_id, before={requirement_key: before and before.value},
               after={requirement_key: check_status and check_status.value})
    return applied


def save_overall_comment(read: Read, text: str | None, seq: int | str) -> bool:
    """Store the overall comment unless a newer one is already stored; False when it was ignored."""
    _require_draft(read)
    text = _check_text(text, "overall comment")
    seq = _check_seq(seq)
    result = db.session.execute(
        update(Read).where(Read.id == read.id, Read.overall_seq < seq, Read.status == ReadStatus.DRAFT)
        .values(overall_comment=text, overall_seq=seq, updated_at=utcnow()))
    return result.rowcount == 1


# Both counts in one round trip, built once: every autosave answers with them.
_PROGRESS_COUNTS = select(
    select(func.count()).select_from(Score).where(
        Score.read_id == bindparam("read_id"), Score.score.is_not(None),
        Score.domain_key.in_(bindparam("domains", expanding=True))).scalar_subquery(),
    select(func.count()).select_from(RequirementCheck).where(
        RequirementCheck.read_id == bindparam("read_id"), RequirementCheck.status.is_not(None),
        RequirementCheck.requirement_key.in_(bindparam("requirements", expanding=True))).scalar_subquery())


def progress(read: Read | None, rubric: Rubric) -> Progress:
    """How many domains are scored (and requirement lines marked) so far."""
    if read is None:
        return Progress(scored=0, domains=len(rubric.domains), requirements=len(rubric.requirements))
    scored, marked = db.session.execute(_PROGRESS_COUNTS, {
        "read_id": read.id, "domains": list(rubric.domain_keys),
        "requirements": [r.key for r in rubric.requirements]}).one()
    return Progress(scored=scored, domains=len(rubric.domains), marked=marked,
                    requirements=len(rubric.requirements))


@dataclass(frozen=True)
class ReadContent:
    """What the scoring page shows of a read: scores, comments, marks and the next save number."""
    scores: dict[str, int | None]
    comments: dict[str, str]
    checks: dict[str, str | None]
    notes: dict[str, str]
    overall_comment: str
    last_seq: int


def read_content(read: Read | None) -> ReadContent:
    """The stored state of a read in two queries (one per child table)."""
    if read is None:
        return ReadContent(scores={}, comments={}, checks={}, notes={}, overall_comment="", last_seq=0)
    score_rows = db.session.execute(select(Score.domain_key, Score.score, Score.comment, Score.seq)
                                    .where(Score.read_id == read.id)).all()
    check_rows = db.session.execute(select(RequirementCheck.requirement_key, RequirementCheck.status,
                                           RequirementCheck.note, RequirementCheck.seq)
                                    .where(RequirementCheck.read_id == read.id)).all()
    seqs = [row.seq for row in score_rows] + [row.seq for row in check_rows] + [read.overall_seq]
    return ReadContent(
        scores={row.domain_key: row.score for row in score_rows},
        comments={row.domain_key: row.comment or "" for row in score_rows},
        checks={row.requirement_key: row.status.value if row.status else None for row in check_rows},
        notes={row.requirement_key: row.note or "" for row in check_rows},
        overall_comment=read.overall_comment or "", last_seq=max(seqs))


def content_progress(content: ReadContent, rubric: Rubric) -> Progress:
    """What ``progress`` counts, from content already loaded (the scoring page's): no query."""
    return Progress(scored=sum(content.scores.get(key) is not None for key in rubric.domain_keys),
                    domains=len(rubric.domains),
                    marked=sum(content.checks.get(r.key) is not None for r in rubric.requirements),
                    requirements=len(rubric.requirements))


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
    problems = []
    missing = [d.name for d in rubric.domains if content.scores.get(d.key) is None]
    if missing:
        problems.append(f"Score every domain before submitting; still open: {', '.join(missing)}.")
    unmarked = [r.label for r in rubric.requirements if content.checks.get(r.key) is None]
    if unmarked:
        problems.append(f"Mark every requirement before submitting; still open: {', '.join(unmarked)}.")
    if problems:
        raise IncompleteRead(problems)

    unmet = tuple(r.label for r in rubric.requirements if content.checks[r.key] != CheckStatus.MET.value)
    outcome = read_outcome(rubric, content.scores, unmet)
    if read.number is None:  # a reopened read keeps its place in the order
        latest = db.session.scalar(select(func.max(Read.number)).join(Assignment)
                                   .where(Assignment.item_pk == item.id))
        read.number = (latest or 0) + 1
    read.status = ReadStatus.SUBMITTED
    read.submitted_at = utcnow()
    record("read.submit", "read", read.id, actor_id=actor_id, cycle_id=item.cycle_id, item_key=item.item_id,
           before={"status": ReadStatus.DRAFT.value},
           after={"status": ReadStatus.SUBMITTED.value, "number": read.number,
                  "scores": {key: content.scores[key] for key in rubric.domain_keys},
                  "checks": {r.key: content.checks[r.key] for r in rubric.requirements} or None,
                  "result": outcome.result, "mean": outcome.mean})
    reevaluate_item(item, actor_id=actor_id)
    db.session.flush()
    return outcome


def reopen(read: Read, actor_id: int, reason: str) -> None:
    """A coordinator returns a submitted read to draft so its reviewer can change it (audited with the reason).

    The item is evaluated again at once: without the read it is back in review
    (or adjudicating) and loses its combined score until the read is submitted again.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ScoringError("reason: say why the read is reopened")
    read = _lock(read)
    if read.status != ReadStatus.SUBMITTED:
        raise ScoringError(f"read: read {read.id} is not submitted, so there is nothing to reopen")
    item = _locked_item(read.assignment.item_pk)
    record("read.reopen", "read", read.id, actor_id=actor_id, cycle_id=item.cycle_id, item_key=item.item_id,
           before={"status": ReadStatus.SUBMITTED.value,
                   "submitted_at": read.submitted_at.isoformat() if read.submitted_at else None},
           after={"status": ReadStatus.DRAFT.value}, note=reason)
    read.status = ReadStatus.DRAFT
    read.submitted_at = None
    reevaluate_item(item, actor_id=actor_id)
    db.session.flush()


def _dialect() -> str:
    dialect = db.session.get_bind().dialect.name
    if dialect not in _INSERTS:
        raise ScoringError(f"database: autosave supports SQLite and PostgreSQL, not {dialect}")
    return dialect


_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def _insert(model):
    return _INSERTS[_dialect()](model)


@cache
def _guarded_upsert(dialect: str, table: Table, keys: tuple[str, ...], updated: tuple[str, ...]):
    """INSERT, or UPDATE of ``updated`` unless the stored ``seq`` is newer; RETURNING the id when written.

    Built once per dialect and table, values bound at execution: building it
    (the ``excluded`` alias above all) cost more than running it, on every autosave.
    """
    stmt = _INSERTS[dialect](table)
    stmt = stmt.on_conflict_do_update(index_elements=list(keys), set_={c: stmt.excluded[c] for c in updated},
                                      where=stmt.excluded.seq > table.c.seq)
    return stmt.returning(table.c.id)


def _locked_item(item_pk: int) -> Item:
    """The item, current and locked for this transaction: moves of one item's state never interleave."""
    return db.session.scalars(select(Item).where(Item.id == item_pk).with_for_update()
                              .execution_options(populate_existing=True)).one()


def _lock(read: Read) -> Read:
    return db.session.scalars(select(Read).where(Read.id == read.id).with_for_update()
                              .execution_options(populate_existing=True)).one()


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


def _check_text(text: str | None, field: str) -> str | None:
    if text is None:
        return None
    if len(text) > MAX_TEXT_LENGTH:
        raise ScoringError(f"{field}: at most {MAX_TEXT_LENGTH:,} characters, got {len(text):,}")
    return text


def _check_seq(seq: int | str) -> int:
    return _whole_number(seq, "seq", minimum=1, maximum=MAX_SEQ)


def _whole_number(raw: int | str | None, field: str, **bounds: int) -> int:
    try:
        return whole_number(raw, field, **bounds)
    except InputError as exc:
        raise ScoringError(exc.message) from None
