"""Reconciling a cycle: its reads loaded as plain rows a chunk of items at a time, the engine run on each item,
the further readers chosen for the whole cycle at once, the changes written in bulk.

Reconciliation touches every item of a cycle (thousands at a time), so it
reads plain columns rather than ORM entities and writes with one executemany
per table and chunk: outcome upserts, item state updates and one audit row per
changed item, each only for what actually changed. Chunks keep the cycle's reads
out of memory, and change nothing it writes
(docs/architecture.md, "Batch steps"). A second run over an unchanged
cycle writes nothing. ``reevaluate_item`` runs the same loaders and engine on
one item at once, when one of its reads is submitted or reopened; states are
written by ``app.cycles.states``.
"""

import pickle
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import chain
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Row, String, and_, func, select, type_coerce
from sqlalchemy.dialects import postgresql, sqlite

from app.assignment.models import FURTHER_READ_SOURCES, Assignment
from app.assignment.service import assign_further_readers
from app.bulk import collector_paused, execute_many, expire_loaded, plain_rows
from app.committee.models import CommitteeResolution
from app.cycles import states
from app.cycles.models import Cycle, Item, ItemKind, ItemState
from app.cycles.service import cycle_row
from app.extensions import db
from app.progress import NO_PROGRESS, Progress
from app.reconcile import engine
from app.reconcile.models import ItemOutcome
from app.requirements.lines import overrides
from app.rubrics.registry import rubrics_of
from app.scoring.models import Read, ReadStatus, RequirementCheck, Score
from app.timeutil import utcnow

CHUNK_ITEMS = 1000  # items judged at a time (bench/README.md, "Reconciliation in chunks")
OUTCOME_FIELDS = ("combined", "mean", "total", "result", "discrepant_domains", "reasons")
NO_READS = (frozenset(), 0, 0, ())  # an item nobody reads yet, as ``_load_reads`` gives an item
NO_OVERRIDES: frozenset[str] = frozenset()  # a read that overrides no check: shared by thousands of reads

# The tables reconciliation reads and writes, never an ORM statement: from the command line the first one would
# configure every mapper (docs/architecture.md, "Batch steps"; a test holds it).
_items = Item.__table__.c
_assignments = Assignment.__table__.c
_reads = Read.__table__.c
_scores = Score.__table__.c
_checks = RequirementCheck.__table__.c
_resolutions = CommitteeResolution.__table__.c
_outcomes = ItemOutcome.__table__


class ReconcileError(ValueError):
    """A cycle cannot be reconciled; the message names the item and the problem."""


class ItemRow(NamedTuple):
    """An item as reconciliation reads it (``_item_chunks``). A plain tuple: the step reads each item's fields
    several times, and a named field of a SQLAlchemy ``Row`` costs about ten times a tuple's."""

    id: int
    item_id: str
    cycle_id: int
    kind: ItemKind
    rubric_key: str
    applicant_pk: int | None
    state: str
    validity: bool


def reconcile_cycle(
    cycle: Cycle | Row,
    *,
    actor_id: int | None = None,
    progress: Progress = NO_PROGRESS,
    chunk_items: int = CHUNK_ITEMS,
) -> dict[str, int]:
    """Evaluate every item of the cycle, assign third readers, store outcomes; returns the live items' counts per
    state (validity essays are evaluated, never counted: ``states.COUNTED``).

    Raw reads are never changed; an item with a committee resolution is decided.
    ``cycle`` may be a plain row with its ``id`` and ``readers`` (``cycles.service.cycle_row_by_name``): the
    whole step reads and writes through the tables, no ORM statement (docs/architecture.md, "Batch steps").
    The items are judged ``chunk_items`` at a time; nothing is written before every item is judged and the
    further readers are chosen, all together, so the result is the same for any chunk size. The caller commits.
    """
    db.session.flush()  # reads, marks and resolutions added earlier in this session count
    with collector_paused():
        try:
            return _reconcile(cycle, actor_id, progress, chunk_items)
        finally:
            progress.finish()


def _reconcile(cycle: Cycle | Row, actor_id: int | None, progress: Progress, chunk_items: int) -> dict[str, int]:
    total = _item_count(cycle.id)
    progress.start(f"Evaluating {total:,} items", total)
    counts = {state.value: 0 for state in ItemState}
    held = _HeldChanges()
    waiting: list[tuple[ItemRow, engine.Verdict, dict[str, Any] | None]] = []  # items asking for a further reader
    loads: Counter[int] = Counter()  # reviewer → assignments held in the cycle, as the chunks' readers show them
    for items in _item_chunks(cycle.id, chunk_items):
        changes: list[_Change | int] = []
        for item, verdict, stored in _judged(items, cycle.readers, loads):
            if verdict.needs_reader is not None:
                waiting.append((item, verdict, stored))
                changes.append(item.id)  # its change is known once the further readers are chosen
                continue
            if not item.validity:  # in review for ever: counted apart (states.COUNTED, docs/calibration.md)
                counts[verdict.state] += 1
            change = _change(item, verdict, stored)
            if change is not None:
                changes.append(change)
        held.add(changes)
        progress.advance(len(items))

    progress.start("Assigning further readers")
    decided: dict[int, _Change | None] = {}
    for item, verdict, stored in _ask_for_readers(waiting, actor_id, {cycle.id: loads}):
        if not item.validity:
            counts[verdict.state] += 1
        decided[item.id] = _change(item, verdict, stored)

    progress.start("Saving", len(held))
    writer = _Writer(cycle.id, actor_id)
    for changes in held:
        writer.write(decided[change] if isinstance(change, int) else change for change in changes)
        progress.advance()
    return counts


def reevaluate_item(item: Item, *, actor_id: int | None) -> engine.Verdict:
    """Evaluate one item at once, as reconciliation would, after one of its reads was submitted or reopened.

    No further reader is assigned here: a discrepant item waits for the next
    reconciliation, which asks for one. The caller commits.
    """
    db.session.flush()
    rubric = rubrics_of([item], ReconcileError)[item.rubric_key]
    this_item = _items.id == item.id
    facts = _facts(
        cycle_row(item.cycle_id).readers,
        _load_reads(this_item).get(item.id, NO_READS),
        _load_resolutions(this_item).get(item.id),
        item.validity,
    )
    verdict = engine.evaluate_item(rubric, facts)
    apply_verdict(
        item, verdict, db.session.scalar(db.select(ItemOutcome).where(ItemOutcome.item_pk == item.id)), actor_id
    )
    return verdict


def submitted_reads(item: Item) -> Sequence[engine.ReadScores]:
    """The item's submitted reads as reconciliation sees them, in submission order."""
    db.session.flush()
    return _load_reads(_items.id == item.id).get(item.id, NO_READS)[3]


# --- loading: plain rows, a fixed number of queries per chunk ----------------------------------


def _item_count(cycle_id: int) -> int:
    return plain_rows(select(func.count()).where(_items.cycle_id == cycle_id))[0][0]


def _item_chunks(cycle_id: int, size: int) -> Iterator[list[ItemRow]]:
    """The cycle's items in id order, ``size`` at a time, with the columns reconciliation and third-reader
    assignment use."""
    if size < 1:
        raise ValueError(f"chunk_items must be at least 1, not {size}")
    after = None
    while True:
        query = (
            select(
                _items.id,
                _items.item_id,
                _items.cycle_id,
                _items.kind,
                _items.rubric_key,
                _items.applicant_pk,
                type_coerce(_items.state, String).label("state"),
                _items.validity,
            )
            .where(_items.cycle_id == cycle_id)
            .order_by(_items.id)
            .limit(size)
        )
        chunk = list(map(ItemRow._make, plain_rows(query if after is None else query.where(_items.id > after))))
        if chunk:
            yield chunk
        if len(chunk) < size:
            return
        after = chunk[-1].id


def _judged(
    items: list[ItemRow], required_reads: int, loads: Counter[int]
) -> Iterator[tuple[ItemRow, engine.Verdict, dict[str, Any] | None]]:
    """Each item of a chunk (consecutive items of one cycle, in id order) with the engine's verdict and its stored
    outcome, from the chunk's reads, resolutions and outcomes alone; its readers are counted into ``loads``."""
    rubrics = rubrics_of(items, ReconcileError)
    in_chunk = and_(_items.cycle_id == items[0].cycle_id, _items.id.between(items[0].id, items[-1].id))
    reads = _load_reads(in_chunk)
    resolutions = _load_resolutions(in_chunk)
    outcomes = _load_outcomes(in_chunk)
    loads.update(chain.from_iterable(entry[0] for entry in reads.values()))
    for item in items:
        facts = _facts(required_reads, reads.get(item.id, NO_READS), resolutions.get(item.id), item.validity)
        yield item, engine.evaluate_item(rubrics[item.rubric_key], facts), outcomes.get(item.id)


def _load_reads(scope: ColumnElement[bool]) -> dict[int, tuple[set[int], int, int, list[engine.ReadScores]]]:
    """Item pk → (its reviewers, started reads, pending further readers, submitted reads in submission order),
    for the items ``scope`` (a condition on the ``items`` table: the cycle's, or one item) selects.

    The rows come in submission order (``Read.submission_order``) from the database, so no read
    needs a Python object of its own before it becomes the engine's ``ReadScores``.
    """
    rows = plain_rows(
        select(
            _assignments.item_pk,
            _assignments.reviewer_id,
            _assignments.source.in_(FURTHER_READ_SOURCES),
            _reads.id,
            _reads.status == ReadStatus.SUBMITTED,
        )
        .select_from(Assignment.__table__)
        .join(Item.__table__, _assignments.item_pk == _items.id)
        .outerjoin(Read.__table__, _reads.assignment_id == _assignments.id)
        .where(scope)
        .order_by(_assignments.item_pk, *Read.submission_order())
    )
    scores, checks, overridden = _submitted_scores(scope)
    per_item: dict[int, list] = {}
    for item_pk, reviewer_id, adjudication, read_id, submitted in rows:
        entry = per_item.get(item_pk)
        if entry is None:
            entry = per_item[item_pk] = [set(), 0, 0, []]
        entry[0].add(reviewer_id)
        if read_id is not None:
            entry[1] += 1
        if submitted:
            entry[3].append(
                engine.ReadScores(
                    reviewer_id,
                    scores.get(read_id, engine.EMPTY_MAPPING),
                    checks.get(read_id, engine.EMPTY_MAPPING),
                    adjudication,
                    frozenset(overridden[read_id]) if read_id in overridden else NO_OVERRIDES,
                )
            )
        elif adjudication:
            entry[2] += 1
    return per_item


def _submitted_scores(
    scope: ColumnElement[bool],
) -> tuple[dict[int, dict[str, float]], dict[int, dict[str, str | None]], dict[int, set[str]]]:
    """Read id → domain scores, read id → requirement marks, and read id → the requirement lines whose mark
    overrides the product's check, of the scope's submitted reads."""

    def submitted(query):
        return (
            query.join(Assignment.__table__, _reads.assignment_id == _assignments.id)
            .join(Item.__table__, _assignments.item_pk == _items.id)
            .where(scope, _reads.status == ReadStatus.SUBMITTED)
        )

    scores: dict[int, dict[str, float]] = defaultdict(dict)
    for read_id, domain_key, score in plain_rows(
        submitted(
            select(_scores.read_id, _scores.domain_key, _scores.score)
            .join(Read.__table__, _scores.read_id == _reads.id)
            .where(_scores.score.is_not(None))
        )
    ):
        scores[read_id][domain_key] = score
    checks: dict[int, dict[str, str | None]] = defaultdict(dict)
    overridden: dict[int, set[str]] = defaultdict(set)
    for read_id, requirement_key, status, computed in plain_rows(
        submitted(
            select(
                _checks.read_id,
                _checks.requirement_key,
                type_coerce(_checks.status, String),
                _checks.computed,
            ).join(Read.__table__, _checks.read_id == _reads.id)
        )
    ):
        checks[read_id][requirement_key] = status
        if overrides(computed, status):
            overridden[read_id].add(requirement_key)
    return scores, checks, overridden


def _load_resolutions(scope: ColumnElement[bool]) -> dict[int, engine.CommitteeScores]:
    rows = plain_rows(
        select(_resolutions.item_pk, _resolutions.scores, _resolutions.result)
        .join(Item.__table__, _resolutions.item_pk == _items.id)
        .where(scope)
    )
    return {item_pk: engine.CommitteeScores(scores or {}, result) for item_pk, scores, result in rows}


def _load_outcomes(scope: ColumnElement[bool]) -> dict[int, dict[str, Any]]:
    """Item pk → the stored outcome's values, as ``outcome_values`` gives them, for comparison."""
    columns = [_outcomes.c[name] for name in OUTCOME_FIELDS]
    rows = plain_rows(
        select(_outcomes.c.item_pk, *columns).join(Item.__table__, _outcomes.c.item_pk == _items.id).where(scope)
    )
    return {row[0]: dict(zip(OUTCOME_FIELDS, row[1:], strict=True)) for row in rows}


def _facts(
    required_reads: int, reads: tuple, resolution: engine.CommitteeScores | None, validity: bool
) -> engine.ReconcileFacts:
    reviewers, started, pending, submitted = reads
    return engine.ReconcileFacts(
        reads=submitted,
        required_reads=required_reads,
        assignments=len(reviewers),
        started_reads=started,
        pending_adjudication=pending,
        committee=resolution,
        validity=validity,
    )


def _ask_for_readers(
    waiting: list[tuple[ItemRow, engine.Verdict, dict[str, Any] | None]],
    actor_id: int | None,
    loads: Mapping[int, Mapping[int, int]],
) -> Iterator[tuple[ItemRow, engine.Verdict, dict[str, Any] | None]]:
    """Assign the further blind readers the verdicts ask for through the assignment area, all in one batch (item
    by item it would reload the pool and loads each time, and the solver spreads the loads over all of them);
    the committee takes an item when no reader is left. Yields each item with its final verdict."""
    requests = [(item, verdict.needs_reader) for item, verdict, _ in waiting]
    assigned = assign_further_readers(requests, actor_id=actor_id, loads=loads)
    for item, verdict, stored in waiting:
        if assigned[item.id] is None:
            yield item, engine.no_reader_left(verdict), stored
        else:
            yield item, engine.reader_assigned(verdict), stored


# --- what changes --------------------------------------------------------------------------------


def outcome_values(verdict: engine.Verdict) -> dict[str, Any]:
    """The ``item_outcomes`` columns a verdict stores, as they read back from the database."""
    return {
        "combined": verdict.combined,
        "mean": verdict.mean,
        "total": verdict.total,
        "result": verdict.result,
        "discrepant_domains": list(verdict.discrepant_domains),
        "reasons": list(verdict.reasons),
    }


def outcome_change(verdict: engine.Verdict, stored: dict[str, Any] | None) -> dict[str, Any] | None:
    """The outcome values to write for a verdict, or None when nothing changes.

    An item gets an outcome once it has been evaluated (agreed, flagged or
    decided); a stored outcome is rewritten only when a value differs.
    """
    if stored is None and verdict.state in states.PRE_REVIEW_STATES:
        return None
    after = outcome_values(verdict)
    return None if after == stored else after


def _outcome_audit(stored: dict[str, Any] | None, after: dict[str, Any] | None) -> tuple[dict | None, dict | None]:
    """What an evaluation's audit entry adds to the state: the outcome before and after, when it changed."""
    return (None, None) if after is None else ({"outcome": stored}, {"outcome": after})


def apply_verdict(item: Item, verdict: engine.Verdict, outcome: ItemOutcome | None, actor_id: int | None) -> None:
    """Apply one item's verdict through the ORM (the single-item path): outcome, then the state with its audit entry
    (the verdict's reasons as its note)."""
    stored = None if outcome is None else {name: getattr(outcome, name) for name in OUTCOME_FIELDS}
    after = outcome_change(verdict, stored)
    if after is not None:
        if outcome is None:
            outcome = ItemOutcome(item_pk=item.id)
            db.session.add(outcome)
        for name, value in after.items():
            setattr(outcome, name, value)
        outcome.computed_at = utcnow()
    before_values, after_values = _outcome_audit(stored, after)
    states.move(
        item,
        verdict.state,
        actor_id=actor_id,
        before=before_values,
        after=after_values,
        note="; ".join(verdict.reasons) or None,
    )


# What one item's verdict changes, in plain values: (item pk, item id, state before, state after, the stored outcome,
# the outcome to write or None when it stays, the note). Plain so that it pickles quickly (``_HeldChanges``).
_Change = tuple[int, str, str, str, dict[str, Any] | None, dict[str, Any] | None, str | None]


def _change(item: ItemRow, verdict: engine.Verdict, stored: dict[str, Any] | None) -> _Change | None:
    """The change one item's verdict makes; None when its state and outcome stay as stored."""
    after = outcome_change(verdict, stored)
    if after is None and verdict.state == item.state:
        return None
    return (item.id, item.item_id, item.state, verdict.state.value, stored, after, "; ".join(verdict.reasons) or None)


class _HeldChanges:
    """The judged chunks' changes, held until the further readers are chosen, as one pickled list per chunk.

    Nothing is written before then: the further readers' assignments and their audit entries go in first,
    as they always have, then the changes in item order. Pickled, a chunk's changes take a fraction of the
    memory their objects do, and it is every item's changes that a large cycle would otherwise hold at once
    (bench/README.md, "Reconciliation in chunks"). An item waiting for its further reader stands as its pk.
    """

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def add(self, changes: list[_Change | int]) -> None:
        self.chunks.append(pickle.dumps(changes, pickle.HIGHEST_PROTOCOL))

    def __len__(self) -> int:
        return len(self.chunks)

    def __iter__(self) -> Iterator[list[_Change | int]]:
        while self.chunks:
            yield pickle.loads(self.chunks.pop(0))  # our own bytes, never anything read from outside


class _Writer:
    """Writes a cycle's changes in bulk, a chunk at a time, all at one moment: outcome upserts, then the moves."""

    def __init__(self, cycle_id: int, actor_id: int | None):
        self.cycle_id, self.actor_id, self.now = cycle_id, actor_id, utcnow()

    def write(self, changes: Iterable[_Change | None]) -> None:
        outcomes = []
        moves = []
        for change in changes:
            if change is None:
                continue
            item_pk, item_key, old, new, stored, after, note = change
            if after is not None:
                outcomes.append({**after, "item_pk": item_pk})
            before_values, after_values = _outcome_audit(stored, after)
            moves.append(states.Move(item_pk, item_key, old, new, before_values, after_values, note))
        execute_many(_outcome_upsert(), outcomes, computed_at=self.now)
        states.move_many(moves, cycle_id=self.cycle_id, actor_id=self.actor_id, at=self.now)
        expire_loaded(ItemOutcome, "item_pk", (row["item_pk"] for row in outcomes))


def _outcome_upsert():
    """INSERT … ON CONFLICT (item_pk) DO UPDATE for ``item_outcomes``, in the session's SQL dialect."""
    dialect = db.session.get_bind().dialect.name
    insert = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}.get(dialect)
    if insert is None:
        raise ReconcileError(f"reconciliation needs SQLite or PostgreSQL, not {dialect}")
    statement = insert(_outcomes)
    return statement.on_conflict_do_update(
        index_elements=["item_pk"], set_={name: statement.excluded[name] for name in (*OUTCOME_FIELDS, "computed_at")}
    )
