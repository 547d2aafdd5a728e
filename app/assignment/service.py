"""Assigning reviewers to items: the auto-assignment plan, third readers, and manual changes.

Every function applies the one eligibility rule of ``eligibility.py``; loads
respect each reviewer's ``max_load``. Callers commit; every change adds audit
entries in the same transaction.
"""
import statistics
from bisect import bisect_left, insort
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from sqlalchemy import Row, func, select
from sqlalchemy.orm import joinedload

from app.assignment.eligibility import ItemFacts, check_eligibility
from app.assignment.engine import ItemDemand, ReviewerCapacity, Shortfall, solve
from app.assignment.facts import (AssignmentError, PoolReviewer, conflicts_by_applicant, item_facts,
                                  max_load_of, membership, pool, readers_by_item, reviewer_facts, reviewer_loads)
from app.assignment.models import Assignment, AssignmentSource
from app.audit.service import record, record_many
from app.bulk import BATCH
from app.cycles import states
from app.cycles.models import Applicant, Cycle, CycleMember, Item, ItemState
from app.extensions import db
from app.people.models import User
from app.scoring.models import Read
from app.timeutil import utcnow

ALREADY_READING = "already reading this item"


@dataclass(frozen=True)
class Candidate:
    """A pool reviewer as a possible reader of one item: why they cannot take it (empty = they can)."""
    user: User
    load: int
    max_load: int | None
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class PlannedRead:
    item_pk: int
    item_key: str
    reviewer_id: int
    reviewer_email: str


@dataclass(frozen=True)
class ReviewerLoad:
    reviewer_id: int
    email: str
    designations: frozenset[str]
    max_load: int | None
    before: int
    after: int


@dataclass(frozen=True)
class LoadSummary:
    label: str
    reviewers: int
    minimum: int
    median: float
    maximum: int


@dataclass(frozen=True)
class Plan:
    """What auto-assignment does (or did, when ``written``) for a cycle."""
    cycle_id: int
    cycle_name: str
    readers: int
    reads: tuple[PlannedRead, ...]
    shortfalls: tuple[Shortfall, ...]
    reviewers: tuple[ReviewerLoad, ...]
    items_considered: int        # items not yet evaluated (later states belong to reconciliation and the committee)
    items_completed: tuple[int, ...]  # pks of unassigned items that now have their N readers
    written: bool = False

    @property
    def max_load(self) -> int:
        return max((r.after for r in self.reviewers), default=0)

    def load_summaries(self) -> list[LoadSummary]:
        return summarise_loads(self.reviewers)


def summarise_loads(reviewers: Iterable[ReviewerLoad]) -> list[LoadSummary]:
    """Min / median / max load over all reviewers, then over the holders of each designation."""
    reviewers = list(reviewers)
    groups = [("all reviewers", reviewers)]
    for code in sorted({code for r in reviewers for code in r.designations}):
        groups.append((f"designation {code}", [r for r in reviewers if code in r.designations]))
    summaries = []
    for label, group in groups:
        if group:
            loads = [r.after for r in group]
            summaries.append(LoadSummary(label, len(group), min(loads), statistics.median(loads), max(loads)))
    return summaries


# ---------------------------------------------------------------- auto-assignment

def plan_assignment(cycle: Cycle, readers: int | None = None) -> Plan:
    """The optimal plan giving every assignable item ``readers`` reads (default: the cycle's); writes nothing."""
    wanted = cycle.readers if readers is None else readers
    if wanted < 1:
        raise AssignmentError(f"readers: must be at least 1, got {wanted}")
    reviewers = pool(cycle.id)
    items = db.session.scalars(select(Item).where(Item.cycle_id == cycle.id, Item.state.in_(states.PRE_REVIEW_STATES))
                               .options(joinedload(Item.applicant)).order_by(Item.item_id)).all()
    readers_of = readers_by_item(cycle.id)
    conflicts_of = conflicts_by_applicant(cycle.id)
    demands = []
    # Items whose facts differ only in their key have the same eligible reviewers: check each kind once.
    checked: dict[ItemFacts, ItemDemand] = {}
    for item in items:
        facts = item_facts(item, applicant=item.applicant, conflicted=conflicts_of.get(item.applicant_pk, ()),
                           readers=readers_of.get(item.id, ()))
        needed = wanted - len(facts.reader_ids)
        if needed > 0:
            signature = replace(facts, item_key="")
            if signature not in checked:
                checked[signature] = _demand(signature, needed, reviewers)
            demands.append(replace(checked[signature], key=item.item_id))
    solution = solve([ReviewerCapacity(key=r.user.id, order=r.user.email, load=r.load, max_load=r.max_load)
                      for r in reviewers], demands)

    item_by_key = {item.item_id: item for item in items}
    email_of = {r.user.id: r.user.email for r in reviewers}
    reads = tuple(PlannedRead(item_by_key[key].id, key, reviewer_id, email_of[reviewer_id])
                  for key, reviewer_id in solution.pairs)
    new_counts = Counter(read.item_pk for read in reads)
    # An unassigned item has no started read (its first save puts it in review).
    completed = tuple(item.id for item in items if item.state == ItemState.UNASSIGNED and states.pre_review_state(
        started_reads=0, assignments=len(readers_of.get(item.id, ())) + new_counts[item.id], required_reads=wanted)
        == ItemState.ASSIGNED)
    loads = tuple(ReviewerLoad(r.user.id, r.user.email, r.facts.designations, r.max_load, r.load,
                               solution.loads[r.user.id]) for r in reviewers)
    return Plan(cycle_id=cycle.id, cycle_name=cycle.name, readers=wanted, reads=reads,
                shortfalls=solution.shortfalls, reviewers=loads, items_considered=len(items),
                items_completed=completed)


def _demand(facts: ItemFacts, needed: int, reviewers: list[PoolReviewer]) -> ItemDemand:
    eligible = []
    excluded = []
    for reviewer in reviewers:
        reasons = check_eligibility(reviewer.facts, facts).reasons
        if not reasons:
            eligible.append(reviewer.facts.user_id)
        elif ALREADY_READING not in reasons:  # current readers are counted as reads, not as exclusions
            excluded.extend(reasons)
    return ItemDemand(key=facts.item_key, needed=needed, eligible=tuple(eligible), designation=facts.designation,
                      exclusions=tuple(sorted(Counter(excluded).items())))


def auto_assign(cycle: Cycle, readers: int | None = None, *, dry_run: bool = False,
                actor_id: int | None = None) -> Plan:
    """Plan, and unless ``dry_run`` write the plan: auto assignments, item states, audit entries.

    A ``readers`` different from the cycle's becomes the cycle's reads per item
    (reconciliation and later runs count against it).
    """
    if not dry_run:
        # Two runs on one cycle at once would each plan against the same loads; the row lock
        # serialises them on PostgreSQL (SQLite already serialises writers from BEGIN IMMEDIATE).
        db.session.execute(select(Cycle.id).where(Cycle.id == cycle.id).with_for_update())
    plan = plan_assignment(cycle, readers)
    if dry_run:
        return plan
    if plan.readers != cycle.readers:
        record("cycle.readers", "cycle", cycle.id, actor_id=actor_id, cycle_id=cycle.id,
               before={"readers": cycle.readers}, after={"readers": plan.readers})
        cycle.readers = plan.readers
    _write_reads(plan, actor_id)
    _mark_assigned(plan, actor_id)
    db.session.flush()
    return replace(plan, written=True)


def _write_reads(plan: Plan, actor_id: int | None) -> None:
    if not plan.reads:
        return
    now = utcnow()
    rows = [{"item_pk": read.item_pk, "reviewer_id": read.reviewer_id, "source": AssignmentSource.AUTO,
             "assigned_at": now, "assigned_by_id": actor_id} for read in plan.reads]
    ids = _insert_assignments(rows)
    record_many([{"object_id": ids[read.item_pk, read.reviewer_id], "item_key": read.item_key,
                  "after": {"reviewer": read.reviewer_email, "source": AssignmentSource.AUTO.value}}
                 for read in plan.reads],
                at=now, action="assignment.create", object_type="assignment", actor_id=actor_id,
                cycle_id=plan.cycle_id)


def _insert_assignments(rows: list[dict]) -> dict[tuple[int, int], int]:
    """Insert assignment rows in a few multi-row statements; (item pk, reviewer id) → the new assignment's id.

    Asking RETURNING for the rows' own order makes SQLite insert them one
    statement each, so the ids are matched back by (item, reviewer) instead,
    which is unique per assignment.
    """
    table = Assignment.__table__
    returned = db.session.execute(table.insert().returning(table.c.id, table.c.item_pk, table.c.reviewer_id), rows)
    return {(item_pk, reviewer_id): assignment_id for assignment_id, item_pk, reviewer_id in returned}


def _mark_assigned(plan: Plan, actor_id: int | None) -> None:
    keys = {read.item_pk: read.item_key for read in plan.reads}  # every completed item got a read in the plan
    states.move_many([states.Move(pk, keys[pk], ItemState.UNASSIGNED, ItemState.ASSIGNED)
                      for pk in plan.items_completed], cycle_id=plan.cycle_id, actor_id=actor_id)


# ---------------------------------------------------------------- one item at a time

def candidates(item: Item) -> list[Candidate]:
    """Every pool reviewer with why they cannot read the item (empty = can); eligible first, least loaded first."""
    facts = item_facts(item)
    result = []
    for reviewer in pool(item.cycle_id):
        reasons = check_eligibility(reviewer.facts, facts).reasons
        if reviewer.at_capacity and ALREADY_READING not in reasons:
            reasons += (reviewer.capacity_reason(),)
        result.append(Candidate(reviewer.user, reviewer.load, reviewer.max_load, reasons))
    return sorted(result, key=lambda c: (bool(c.reasons), c.load, c.user.email, c.user.id))


def assign_further_readers(requests: Sequence[tuple[Item, AssignmentSource]], *, actor_id: int | None = None,
                           readers: Mapping[int, set[int]] | None = None) -> dict[int, int | None]:
    """A further reader for each item: the eligible reviewer with the lowest load (ties: e-mail order) not yet
    on it, chosen one item after another.

    An item may be a model or a loaded row with its ``id``, ``item_id``,
    ``cycle_id``, ``kind``, ``rubric_key`` and ``applicant_pk`` (reconciliation
    passes rows). Returns item pk → the new assignment's id, or None when no
    eligible reviewer is left. The pool, loads, conflicts and readers are read once per cycle and
    each pick counts toward the loads of the next, so reconciling thousands of
    discrepant items costs a few queries rather than several per item. A caller
    that has loaded every requested item's reviewers already passes them as
    ``readers`` (item pk → reviewer ids).
    """
    chosen: dict[int, int | None] = {}
    picks: list[tuple[Item, PoolReviewer, AssignmentSource]] = []
    by_cycle: dict[int, list[tuple[Item, AssignmentSource]]] = defaultdict(list)
    for item, source in requests:
        by_cycle[item.cycle_id].append((item, source))
    for cycle_id, group in by_cycle.items():
        reviewers = _ByLoad(pool(cycle_id))
        readers_of = {item.id: set(readers.get(item.id, ())) for item, _ in group} if readers is not None \
            else readers_by_item(cycle_id)
        conflicts_of = conflicts_by_applicant(cycle_id)
        applicants = _applicants_by_pk({item.applicant_pk for item, _ in group})
        for item, source in group:
            facts = item_facts(item, applicant=applicants[item.applicant_pk],
                               conflicted=conflicts_of.get(item.applicant_pk, ()), readers=readers_of[item.id])
            reviewer = reviewers.least_loaded(facts)
            chosen[item.id] = None
            if reviewer is not None:
                reviewers.add_read(reviewer)
                readers_of[item.id].add(reviewer.user.id)
                picks.append((item, reviewer, source))
    if picks:
        now = utcnow()
        ids = _insert_assignments([
            {"item_pk": item.id, "reviewer_id": reviewer.user.id, "source": source, "assigned_at": now,
             "assigned_by_id": actor_id} for item, reviewer, source in picks])
        chosen.update((item.id, ids[item.id, reviewer.user.id]) for item, reviewer, _ in picks)
        record_many([{"object_id": chosen[item.id], "cycle_id": item.cycle_id, "item_key": item.item_id,
                      "after": {"reviewer": reviewer.user.email, "source": source.value}}
                     for item, reviewer, source in picks],
                    at=now, action="assignment.create", object_type="assignment", actor_id=actor_id)
    return chosen


class _ByLoad:
    """A cycle's pool in (load, e-mail, id) order, one list per designation, kept in order as picks add load.

    The least-loaded eligible reviewer is then among the first few looked at,
    so a pick costs about the same however large the pool.
    """

    def __init__(self, reviewers: list[PoolReviewer]):
        self.loads = {reviewer.user.id: reviewer.load for reviewer in reviewers}
        self.by_id = {reviewer.user.id: reviewer for reviewer in reviewers}
        self.orders: dict[str | None, list[tuple[int, str, int]]] = defaultdict(list)
        for reviewer in reviewers:
            for group in self._groups(reviewer):
                self.orders[group].append(self._key(reviewer))
        for order in self.orders.values():
            order.sort()

    @staticmethod
    def _groups(reviewer: PoolReviewer) -> tuple[str | None, ...]:
        return (None, *reviewer.facts.designations)  # None: items that need no designation

    def _key(self, reviewer: PoolReviewer) -> tuple[int, str, int]:
        return self.loads[reviewer.user.id], reviewer.user.email, reviewer.user.id

    def least_loaded(self, facts: ItemFacts) -> PoolReviewer | None:
        """The eligible reviewer under their cap with the lowest load (ties: e-mail order, then id), or None."""
        for load, _, reviewer_id in self.orders.get(facts.designation_code, ()):
            reviewer = self.by_id[reviewer_id]
            if reviewer.max_load is not None and load >= reviewer.max_load:
                continue
            if not check_eligibility(reviewer.facts, facts).reasons:
                return reviewer
        return None

    def add_read(self, reviewer: PoolReviewer) -> None:
        old = self._key(reviewer)
        self.loads[reviewer.user.id] += 1
        new = self._key(reviewer)
        for group in self._groups(reviewer):
            order = self.orders[group]
            del order[bisect_left(order, old)]
            insort(order, new)


def _applicants_by_pk(pks: set[int]) -> dict[int, Row]:
    """Applicant pk → a row with the ``id``, ``organization`` and ``advisor_email`` eligibility looks at."""
    ordered = sorted(pks)
    applicants = {}
    for start in range(0, len(ordered), BATCH):
        applicants.update((a.id, a) for a in db.session.execute(
            select(Applicant.id, Applicant.organization, Applicant.advisor_email)
            .where(Applicant.id.in_(ordered[start:start + BATCH]))))
    return applicants


def assign(item: Item, reviewer: User, *, actor_id: int | None = None) -> Assignment:
    """A coordinator's manual assignment; refused with the reasons when the reviewer may not read the item."""
    reasons = _refusals(item, reviewer)
    if reasons:
        raise AssignmentError(f"item {item.item_id}: cannot assign {reviewer.email}: {'; '.join(reasons)}")
    assignment = _create(item, reviewer, source=AssignmentSource.MANUAL, actor_id=actor_id)
    _update_state_after_change(item, actor_id)
    return assignment


def _refusals(item: Item, reviewer: User) -> tuple[str, ...]:
    """Why a coordinator may not give this item to this reviewer: eligibility, then a pool member's capacity."""
    member = membership(item.cycle_id, reviewer)
    reasons = check_eligibility(reviewer_facts(reviewer, in_pool=member is not None), item_facts(item)).reasons
    if member is not None:
        reasons += _capacity_reasons(item.cycle_id, member)
    return reasons


def unassign(assignment: Assignment, *, actor_id: int | None = None, override: bool = False,
             reason: str | None = None) -> None:
    """Remove an assignment while its read is empty; a started or submitted read needs an override with a reason."""
    item, reviewer, read = assignment.item, assignment.reviewer, assignment.read
    reason = (reason or "").strip() or None
    if read is not None and not read.is_empty and not override:
        raise AssignmentError(f"item {item.item_id}: cannot unassign {reviewer.email}: the read is "
                              f"{'submitted' if read.submitted else 'started'}; "
                              "removing it needs a coordinator override with a reason")
    if override and reason is None:
        raise AssignmentError(f"item {item.item_id}: cannot unassign {reviewer.email}: an override needs a reason")
    record("assignment.override_delete" if override else "assignment.delete", "assignment", assignment.id,
           actor_id=actor_id, cycle_id=item.cycle_id, item_key=item.item_id, note=reason,
           before={"reviewer": reviewer.email, "source": assignment.source.value,
                   "read": read.summary() if read else None})
    db.session.delete(assignment)  # with its read, and that with its scores and marks (ON DELETE CASCADE)
    db.session.flush()
    _update_state_after_change(item, actor_id)


def swap(assignment: Assignment, new_reviewer: User, *, actor_id: int | None = None) -> Assignment:
    """Give an assignment whose read is still empty to another eligible reviewer."""
    item, old_reviewer, read = assignment.item, assignment.reviewer, assignment.read
    prefix = f"item {item.item_id}: cannot swap {old_reviewer.email} for {new_reviewer.email}"
    if read is not None and not read.is_empty:
        raise AssignmentError(f"{prefix}: {old_reviewer.email} has already started the read; "
                              "unassign it with an override instead")
    reasons = _refusals(item, new_reviewer)
    if reasons:
        raise AssignmentError(f"{prefix}: {'; '.join(reasons)}")
    record("assignment.swap", "assignment", assignment.id, actor_id=actor_id, cycle_id=item.cycle_id,
           item_key=item.item_id, before={"reviewer": old_reviewer.email}, after={"reviewer": new_reviewer.email})
    if read is not None:
        db.session.delete(read)  # with its scores and marks (ON DELETE CASCADE)
        db.session.flush()
    db.session.expire(assignment, ["read"])
    assignment.reviewer = new_reviewer
    assignment.assigned_at = utcnow()
    assignment.assigned_by_id = actor_id
    db.session.flush()
    return assignment


def _create(item: Item, reviewer: User, *, source: AssignmentSource, actor_id: int | None) -> Assignment:
    assignment = Assignment(item_pk=item.id, reviewer_id=reviewer.id, source=source, assigned_by_id=actor_id)
    db.session.add(assignment)
    db.session.flush()
    record("assignment.create", "assignment", assignment.id, actor_id=actor_id, cycle_id=item.cycle_id,
           item_key=item.item_id, after={"reviewer": reviewer.email, "source": source.value})
    return assignment


def _capacity_reasons(cycle_id: int, member: CycleMember) -> tuple[str, ...]:
    cap = max_load_of(member)
    load = reviewer_loads(cycle_id).get(member.user_id, 0)
    return (f"at maximum load ({load} of {cap})",) if cap is not None and load >= cap else ()


def _update_state_after_change(item: Item, actor_id: int | None) -> None:
    """An item not yet evaluated follows its readers: assigned once it has all of them, in review while any read is
    started, and back when one is removed."""
    of_item = Assignment.item_pk == item.id
    assignments, started, wanted = db.session.execute(select(
        select(func.count(Assignment.id)).where(of_item).scalar_subquery(),
        select(func.count(Read.id)).join(Assignment, Read.assignment_id == Assignment.id).where(of_item)
        .scalar_subquery(),
        Cycle.readers).where(Cycle.id == item.cycle_id)).one()
    states.derive_pre_review(item, started_reads=started, assignments=assignments, required_reads=wanted,
                             actor_id=actor_id)
    db.session.flush()
