"""Reconciling a cycle: load its reads in a few queries, run the engine, store outcomes and states, audit both."""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from app.assignment.models import Assignment, AssignmentSource
from app.assignment.service import assign_further_readers
from app.audit.service import record_many
from app.cycles.models import Cycle, Item, ItemState
from app.extensions import db
from app.reconcile import engine
from app.reconcile.models import CommitteeResolution, ItemOutcome
from app.rubrics.registry import rubrics_of
from app.scoring.models import Read, ReadStatus, RequirementCheck, Score
from app.timeutil import utcnow

ADJUDICATION_SOURCES = frozenset({AssignmentSource.THIRD_READER, AssignmentSource.EXTRA_READ})


def submission_key(number: int | None, submitted_at: datetime | None, read_id: int) -> tuple:
    """Sort key for an item's submitted reads: the read number, then the submission time, then the row id."""
    return (number is None, number or 0, submitted_at or datetime.min, read_id)


class ReconcileError(ValueError):
    """A cycle cannot be reconciled; the message names the item and the problem."""


@dataclass
class _SubmittedRead:
    read_id: int
    reviewer_id: int
    number: int | None
    submitted_at: datetime | None
    adjudication: bool
    scores: dict[str, float] = field(default_factory=dict)
    checks: dict[str, str | None] = field(default_factory=dict)

    @property
    def order(self) -> tuple:
        return submission_key(self.number, self.submitted_at, self.read_id)


@dataclass
class _ItemReads:
    assignments: int = 0
    started: int = 0
    pending_adjudication: int = 0
    submitted: list[_SubmittedRead] = field(default_factory=list)


def reconcile_cycle(cycle: Cycle, *, actor_id: int | None = None) -> dict[str, int]:
    """Evaluate every item of the cycle, assign third readers, store outcomes; returns item counts per state.

    Raw reads are never changed; an item with a committee resolution is decided.
    The caller commits.
    """
    items = list(db.session.scalars(db.select(Item).where(Item.cycle_id == cycle.id).order_by(Item.id)))
    rubrics = rubrics_of(items, ReconcileError)
    reads = _load_reads(cycle)
    resolutions = _load_resolutions(cycle)
    outcomes = {o.item_pk: o for o in db.session.scalars(
        db.select(ItemOutcome).join(Item, ItemOutcome.item_pk == Item.id).where(Item.cycle_id == cycle.id))}

    verdicts = {item.id: engine.evaluate_item(rubrics[item.rubric_key],
                                              _facts(item, cycle, reads.get(item.id, _ItemReads()),
                                                     resolutions.get(item.id)))
                for item in items}
    verdicts.update(_ask_for_readers([item for item in items if verdicts[item.id].needs_reader], verdicts, actor_id))
    audit: list[dict] = []
    counts = {state.value: 0 for state in ItemState}
    for item in items:
        verdict = verdicts[item.id]
        store_outcome(item, verdict, outcomes.get(item.id), cycle, actor_id, audit)
        _change_state(item, verdict, cycle, actor_id, audit)
        counts[verdict.state] += 1
    db.session.flush()
    record_many(audit)
    return counts


def _load_reads(cycle: Cycle) -> dict[int, _ItemReads]:
    """Every assignment, read, score and requirement mark of the cycle, in three queries."""
    per_item: dict[int, _ItemReads] = defaultdict(_ItemReads)
    submitted: dict[int, _SubmittedRead] = {}
    rows = db.session.execute(
        db.select(Assignment.item_pk, Assignment.reviewer_id, Assignment.source,
                  Read.id, Read.status, Read.number, Read.submitted_at)
        .join(Item, Assignment.item_pk == Item.id)
        .outerjoin(Read, Read.assignment_id == Assignment.id)
        .where(Item.cycle_id == cycle.id))
    for item_pk, reviewer_id, source, read_id, status, number, submitted_at in rows:
        entry = per_item[item_pk]
        entry.assignments += 1
        adjudication = source in ADJUDICATION_SOURCES
        if read_id is not None:
            entry.started += 1
        if status == ReadStatus.SUBMITTED:
            read = _SubmittedRead(read_id, reviewer_id, number, submitted_at, adjudication)
            entry.submitted.append(read)
            submitted[read_id] = read
        elif adjudication:
            entry.pending_adjudication += 1

    in_cycle = (db.select(Read.id).join(Assignment, Read.assignment_id == Assignment.id)
                .join(Item, Assignment.item_pk == Item.id)
                .where(Item.cycle_id == cycle.id, Read.status == ReadStatus.SUBMITTED))
    for read_id, domain_key, score in db.session.execute(
            db.select(Score.read_id, Score.domain_key, Score.score).where(Score.read_id.in_(in_cycle))):
        if score is not None:
            submitted[read_id].scores[domain_key] = score
    for read_id, requirement_key, status in db.session.execute(
            db.select(RequirementCheck.read_id, RequirementCheck.requirement_key, RequirementCheck.status)
            .where(RequirementCheck.read_id.in_(in_cycle))):
        submitted[read_id].checks[requirement_key] = status.value if status else None
    for entry in per_item.values():
        entry.submitted.sort(key=lambda read: read.order)
    return per_item


def _load_resolutions(cycle: Cycle) -> dict[int, engine.CommitteeScores]:
    rows = db.session.execute(
        db.select(CommitteeResolution.item_pk, CommitteeResolution.scores, CommitteeResolution.result)
        .join(Item, CommitteeResolution.item_pk == Item.id).where(Item.cycle_id == cycle.id))
    return {item_pk: engine.CommitteeScores(scores or {}, result) for item_pk, scores, result in rows}


def _facts(item: Item, cycle: Cycle, reads: _ItemReads, resolution: engine.CommitteeScores | None) -> engine.ItemFacts:
    return engine.ItemFacts(
        reads=[engine.ReadScores(r.reviewer_id, r.scores, r.checks, r.adjudication) for r in reads.submitted],
        required_reads=cycle.readers, assignments=reads.assignments, started_reads=reads.started,
        pending_adjudication=reads.pending_adjudication, committee=resolution)


def _ask_for_readers(items: list[Item], verdicts: dict[int, engine.Verdict],
                     actor_id: int | None) -> dict[int, engine.Verdict]:
    """Assign further blind readers through the assignment area, all in one batch (item by item it would
    reload the pool and loads each time); the committee takes an item when no reader is left."""
    assigned = assign_further_readers(
        [(item, AssignmentSource(verdicts[item.id].needs_reader)) for item in items], actor_id=actor_id)
    return {item.id: engine.no_reader_left(verdicts[item.id]) if assigned[item.id] is None
            else engine.reader_assigned(verdicts[item.id]) for item in items}


def _outcome_values(verdict: engine.Verdict) -> dict:
    return {"combined": verdict.combined, "mean": verdict.mean, "total": verdict.total, "result": verdict.result,
            "discrepant_domains": list(verdict.discrepant_domains), "reasons": list(verdict.reasons)}


def store_outcome(item: Item, verdict: engine.Verdict, outcome: ItemOutcome | None, cycle: Cycle,
                  actor_id: int | None, audit: list[dict]) -> None:
    """Upsert the item's outcome once it has been evaluated; audit only real changes."""
    if outcome is None and verdict.state in (engine.UNASSIGNED, engine.ASSIGNED, engine.IN_REVIEW):
        return
    after = _outcome_values(verdict)
    before = None
    if outcome is None:
        outcome = ItemOutcome(item_pk=item.id)
        db.session.add(outcome)
    else:
        before = {name: getattr(outcome, name) for name in after}
        if before == after:
            return
    for name, value in after.items():
        setattr(outcome, name, value)
    outcome.computed_at = utcnow()
    audit.append(_entry("outcome.update", item, cycle, actor_id, before, after))


def _change_state(item: Item, verdict: engine.Verdict, cycle: Cycle, actor_id: int | None,
                  audit: list[dict]) -> None:
    """Move the item to its new state; a newly flagged item passes through ``discrepant`` on the way."""
    new_state = ItemState(verdict.state)
    old_state = item.state
    if new_state == old_state:
        return
    flagged_states = (ItemState.DISCREPANT, ItemState.ADJUDICATING, ItemState.COMMITTEE)
    if new_state in (ItemState.ADJUDICATING, ItemState.COMMITTEE) and old_state not in flagged_states:
        audit.append(_entry("item.state", item, cycle, actor_id, {"state": old_state.value},
                            {"state": ItemState.DISCREPANT.value}, "; ".join(verdict.reasons)))
        old_state = ItemState.DISCREPANT
    audit.append(_entry("item.state", item, cycle, actor_id, {"state": old_state.value},
                        {"state": new_state.value}, "; ".join(verdict.reasons) or None))
    item.state = new_state


def _entry(action: str, item: Item, cycle: Cycle, actor_id: int | None, before, after, note: str | None = None) -> dict:
    return {"action": action, "object_type": "item", "object_id": item.id, "actor_id": actor_id,
            "cycle_id": cycle.id, "item_key": item.item_id, "before": before, "after": after, "note": note,
            "at": utcnow()}
