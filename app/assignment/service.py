"""Assigning reviewers to items: the auto-assignment plan, refills, third readers, manual changes and declines.

Every function applies the one eligibility rule of ``eligibility.py`` and the
one solver of ``engine.py``; loads respect each reviewer's ``max_load``.
Callers commit; every change adds audit entries in the same transaction.
docs/assignment.md describes the rule and the solver.
"""

import statistics
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import Row, func, select
from sqlalchemy.orm import joinedload

from app import textlimits as limits
from app.assignment import queue
from app.assignment.eligibility import (
    ALREADY_READING,
    ItemFacts,
    QualifiedPool,
    ReviewerFacts,
    check_eligibility,
    portfolio_need,
    qualification_reason,
    standing_reasons,
)
from app.assignment.engine import ItemDemand, ReviewerCapacity, Shortfall, solve
from app.assignment.facts import (
    AssignmentError,
    PoolReviewer,
    applicants_by_pk,
    item_facts,
    lookups,
    member_max_load,
    membership,
    pool,
    pool_facts,
    reviewer_facts,
    reviewer_loads,
)
from app.assignment.models import FURTHER_READ_SOURCES, Assignment, AssignmentDecline, AssignmentSource
from app.audit.service import record, record_many
from app.bulk import BATCH
from app.calibration import seeding
from app.cycles import states
from app.cycles.models import Cycle, Item, ItemState
from app.cycles.service import cycle_row
from app.extensions import db
from app.people.models import User
from app.progress import NO_PROGRESS, Progress
from app.scoring.models import Read
from app.timeutil import utcnow


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
    item_kind: str
    reviewer_id: int
    reviewer_email: str


@dataclass(frozen=True)
class ReviewerLoad:
    reviewer_id: int
    email: str
    designations: frozenset[str]
    endorsements: frozenset[str]
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
    items_considered: int  # items not yet evaluated (of those asked for, in a refill)
    items_completed: tuple[int, ...]  # pks of unassigned items that now have their N readers
    blind_across_items: bool = True
    lower_bound: int = 0  # no plan placing as many reads has a lower maximum load
    optimal: bool = True  # proven optimal (the solver's certificate)
    placeable_bound: int = 0  # no plan places more reads
    refill: bool = False  # planned for chosen items only
    written: bool = False
    # The validity reads mixed into the queues after the live ones (docs/calibration.md, "Seeding"): planned in a
    # preview or a dry run, written once ``written``. The coordinator's to see, never a reviewer's.
    validity_reads: tuple[PlannedRead, ...] = ()

    @property
    def validity_seeded(self) -> int:
        return len(self.validity_reads)

    @property
    def max_load(self) -> int:
        return max((r.after for r in self.reviewers), default=0)

    @property
    def gap(self) -> int:
        return self.max_load - self.lower_bound

    def load_summaries(self) -> list[LoadSummary]:
        return summarise_loads(self.reviewers)

    def bound_line(self) -> str:
        """The maximum load against what is provably possible, in words."""
        if self.lower_bound >= self.max_load:
            line = f"Maximum load {self.max_load}: the least possible."
            return line if self.optimal else line + " The spread below it is not proven the most even."
        line = f"Maximum load {self.max_load}; no assignment can do better than {self.lower_bound}."
        if self.placeable_bound > len(self.reads):
            line += (
                f" A better plan might place up to {self.placeable_bound - len(self.reads)} more "
                f"read{'s' if self.placeable_bound - len(self.reads) != 1 else ''}."
            )
        return line


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


def plan_assignment(
    cycle: Cycle, readers: int | None = None, *, only: Collection[int] | None = None, progress: Progress = NO_PROGRESS
) -> Plan:
    """The optimal plan giving every assignable item ``readers`` reads (default: the cycle's); writes nothing.

    With ``only`` (item pks), a refill: the same rule and solver for those items alone.
    """
    wanted = cycle.readers if readers is None else readers
    if wanted < 1:
        raise AssignmentError.of("readers", f"must be at least 1, got {wanted}")
    progress.start("Reading the pool, conflicts and current readers")
    reviewers = pool(cycle.id)
    query = select(Item).where(Item.cycle_id == cycle.id, Item.state.in_(states.PRE_REVIEW_STATES))
    if cycle.validity_rate or cycle.qualify_items:  # validity essays are then seeded into each queue (seed_validity)
        query = query.where(Item.validity.is_(False))
    if only is not None:
        query = query.where(Item.id.in_(sorted(only)))
    items = db.session.scalars(query.options(joinedload(Item.applicant)).order_by(Item.item_id)).all()
    found = lookups(cycle, None if only is None else {item.applicant_pk for item in items})
    demands = []
    # Items whose facts differ only in their key have the same eligible reviewers: check each kind once.
    checked: dict[ItemFacts, ItemDemand] = {}
    progress.start(f"Checking who may read {len(items):,} items", len(items))
    for item in items:
        progress.advance()
        facts = item_facts(item, item.applicant, found)
        needed = wanted - len(facts.reader_ids)
        if needed > 0:
            signature = replace(facts, item_key="")
            if signature not in checked:
                checked[signature] = _demand(signature, reviewers)
            demands.append(
                replace(
                    checked[signature], key=item.item_id, needed=needed, **_blindness_group(item.applicant_pk, facts)
                )
            )
    progress.start(f"Finding the optimal assignment of {sum(d.needed for d in demands):,} reads")
    solution = solve(
        [ReviewerCapacity(key=r.user.id, order=r.user.email, load=r.load, max_load=r.max_load) for r in reviewers],
        demands,
    )

    item_by_key = {item.item_id: item for item in items}
    email_of = {r.user.id: r.user.email for r in reviewers}
    reads = tuple(
        PlannedRead(item_by_key[key].id, key, item_by_key[key].kind.value, reviewer_id, email_of[reviewer_id])
        for key, reviewer_id in solution.pairs
    )
    new_counts = Counter(read.item_pk for read in reads)
    # An unassigned item has no started read (its first save puts it in review).
    completed = tuple(
        item.id
        for item in items
        if item.state == ItemState.UNASSIGNED
        and states.pre_review_state(
            started_reads=0,
            assignments=len(found.readers.get(item.id, ())) + new_counts[item.id],
            required_reads=wanted,
        )
        == ItemState.ASSIGNED
    )
    loads = tuple(
        ReviewerLoad(
            r.user.id,
            r.user.email,
            r.facts.designations,
            r.facts.endorsements,
            r.max_load,
            r.load,
            solution.loads[r.user.id],
        )
        for r in reviewers
    )
    return Plan(
        cycle_id=cycle.id,
        cycle_name=cycle.name,
        readers=wanted,
        reads=reads,
        shortfalls=solution.shortfalls,
        reviewers=loads,
        items_considered=len(items),
        items_completed=completed,
        blind_across_items=cycle.blind_across_items,
        lower_bound=solution.lower_bound,
        optimal=solution.optimal,
        placeable_bound=solution.placeable_bound,
        refill=only is not None,
        # What seeding adds after these reads: the preview and a dry run show it (a refill seeds nothing).
        validity_reads=validity_plan(cycle, reads) if only is None else (),
    )


def _blindness_group(applicant_pk: int | None, facts: ItemFacts) -> dict:
    """The engine's blindness group of an item: its applicant and side, unless the cycle relaxes the rule (or the
    item is a validity essay, of no applicant)."""
    if not facts.blind_across_items or applicant_pk is None:
        return {"applicant": None, "side": None}
    return {"applicant": str(applicant_pk), "side": facts.side}


def _demand(facts: ItemFacts, reviewers: list[PoolReviewer]) -> ItemDemand:
    eligible = []
    excluded = []
    for reviewer in reviewers:
        reasons = standing_reasons(reviewer.facts, facts)
        if not reasons:
            eligible.append(reviewer.facts.user_id)
        elif ALREADY_READING not in reasons:  # current readers are counted as reads, not as exclusions
            # One count per reviewer, under all of their reasons: counted per reason, a reviewer with a declared
            # conflict at the applicant's own organization read as two reviewers.
            excluded.append(" and ".join(reasons))
    return ItemDemand(
        key=facts.item_key,
        needed=0,
        eligible=tuple(eligible),
        holds=_holds(facts),
        exclusions=tuple(sorted(Counter(excluded).items())),
    )


def _holds(facts: ItemFacts) -> str | None:
    """What every eligible reviewer of the item holds, for the report ("designation RF")."""
    if facts.designation_code:
        return f"designation {facts.designation_code}"
    if facts.portfolio_category:
        return portfolio_need(facts.portfolio_category)
    return None


def auto_assign(
    cycle: Cycle,
    readers: int | None = None,
    *,
    dry_run: bool = False,
    actor_id: int | None = None,
    only: Collection[int] | None = None,
    progress: Progress = NO_PROGRESS,
) -> Plan:
    """Plan, and unless ``dry_run`` write the plan: auto assignments, item states, audit entries.

    A ``readers`` different from the cycle's becomes the cycle's reads per item
    (reconciliation and later runs count against it). ``only`` (item pks)
    refills those items alone.
    """
    if not dry_run:
        # Two runs on one cycle at once would each plan against the same loads; the row lock
        # serialises them on PostgreSQL (SQLite already serialises writers from BEGIN IMMEDIATE).
        db.session.execute(select(Cycle.id).where(Cycle.id == cycle.id).with_for_update())
    try:
        plan = plan_assignment(cycle, readers, only=only, progress=progress)
        if dry_run:
            return plan
        progress.start(f"Writing {len(plan.reads):,} assignments")
        written, live_ids = _write_plan(cycle, plan, actor_id)
        if only is not None:
            return written
        seeded, seeded_ids = seed_validity(cycle, actor_id=actor_id)
        # Each queue's new reads laid out at once, validity reads spread among them (docs/assignment.md).
        queue.place_new_reads(cycle, [*live_ids, *seeded_ids])
        return replace(written, validity_reads=seeded)
    finally:
        progress.finish()


def _write_plan(cycle: Cycle, plan: Plan, actor_id: int | None) -> tuple[Plan, list[int]]:
    """Write the plan: auto assignments, item states, audit entries, and the cycle's reads per item; the plan
    as written and the new assignments' ids."""
    if plan.readers != cycle.readers:
        record(
            "cycle.readers",
            "cycle",
            cycle.id,
            actor_id=actor_id,
            cycle_id=cycle.id,
            before={"readers": cycle.readers},
            after={"readers": plan.readers},
        )
        cycle.readers = plan.readers
    ids = _write_reads(plan, actor_id)
    _mark_assigned(plan, actor_id)
    db.session.flush()
    return replace(plan, written=True), ids


def validity_plan(cycle: Cycle, planned: Sequence[PlannedRead] = ()) -> tuple[PlannedRead, ...]:
    """The validity reads seeding would add (docs/calibration.md, "Seeding"), with the live reads ``planned``
    (not yet written) counted as if they were: what the coordinator's preview shows, and exactly what
    ``seed_validity`` writes after them. Nothing is written."""
    if not (cycle.validity_rate or cycle.qualify_items):
        return ()
    essays = db.session.scalars(
        select(Item).where(Item.cycle_id == cycle.id, Item.validity.is_(True)).order_by(Item.item_id)
    ).all()
    if not essays:
        return ()
    reviewers = pool(cycle.id)
    found = lookups(cycle, {None})  # the validity essays' readers and declines
    facts = {essay.item_id: item_facts(essay, None, found) for essay in essays}
    held: dict[tuple[int, bool], int] = {
        (reviewer_id, bool(validity)): count
        for reviewer_id, validity, count in db.session.execute(
            select(Assignment.reviewer_id, Item.validity, func.count())
            .join(Item, Assignment.item_pk == Item.id)
            .where(Item.cycle_id == cycle.id)
            .group_by(Assignment.reviewer_id, Item.validity)
        )
    }
    coming = Counter(read.reviewer_id for read in planned)
    picks = seeding.seed(
        [
            seeding.SeedReviewer(
                r.user.id,
                held.get((r.user.id, False), 0) + coming[r.user.id],
                held.get((r.user.id, True), 0),
                None if r.max_load is None else max(r.max_load - r.load - coming[r.user.id], 0),
                tuple(key for key, essay_facts in facts.items() if not standing_reasons(r.facts, essay_facts)),
            )
            for r in reviewers
        ],
        cycle.validity_rate,
        {key: len(f.reader_ids) for key, f in facts.items()},
        cycle.qualify_items,
    )
    by_key = {essay.item_id: essay for essay in essays}
    email_of = {r.user.id: r.user.email for r in reviewers}
    return tuple(
        PlannedRead(by_key[key].id, key, by_key[key].kind.value, reviewer_id, email_of[reviewer_id])
        for reviewer_id, key in picks
    )


def seed_validity(cycle: Cycle, *, actor_id: int | None = None) -> tuple[tuple[PlannedRead, ...], list[int]]:
    """Mix validity essays into every pool reviewer's queue at the cycle's ``validity_rate``, and at least its
    ``qualify_items`` (their qualification set) (docs/calibration.md, "Seeding"), within their maximum load, each
    to a reviewer who may read it: the reads added (``validity_plan``) and the new assignments' ids (at the ends
    of the queues: the caller lays them out).

    Auto-assignment calls it after placing the live reads; a second run only tops queues up.
    """
    seeded = validity_plan(cycle)
    if not seeded:
        return (), []
    now = utcnow()
    ids = _insert_assignments(
        [
            {
                "item_pk": read.item_pk,
                "reviewer_id": read.reviewer_id,
                "source": AssignmentSource.AUTO,
                "assigned_at": now,
                "assigned_by_id": actor_id,
            }
            for read in seeded
        ]
    )
    record_many(
        [
            {
                "object_id": ids[read.item_pk, read.reviewer_id],
                "item_key": read.item_key,
                "after": {"reviewer": read.reviewer_email, "source": AssignmentSource.AUTO.value},
            }
            for read in seeded
        ],
        at=now,
        action="assignment.create",
        object_type="assignment",
        actor_id=actor_id,
        cycle_id=cycle.id,
    )
    essays = db.session.scalars(
        select(Item).where(Item.id.in_({read.item_pk for read in seeded})).order_by(Item.item_id)
    ).all()
    for essay in essays:
        _update_state_after_change(essay, actor_id)
    return seeded, [ids[read.item_pk, read.reviewer_id] for read in seeded]


def refill(items: Sequence[Item], *, actor_id: int | None = None, dry_run: bool = False) -> Plan:
    """Give these items (of one cycle) the reads they lack, e.g. after a decline: the optimal assigner for
    them alone, everyone else's loads counted as they stand."""
    cycles = {item.cycle_id for item in items}
    if len(cycles) != 1:
        raise AssignmentError.of("items", "choose items of one cycle to refill")
    return auto_assign(items[0].cycle, dry_run=dry_run, actor_id=actor_id, only={item.id for item in items})


def _write_reads(plan: Plan, actor_id: int | None) -> list[int]:
    if not plan.reads:
        return []
    now = utcnow()
    rows = [
        {
            "item_pk": read.item_pk,
            "reviewer_id": read.reviewer_id,
            "source": AssignmentSource.AUTO,
            "assigned_at": now,
            "assigned_by_id": actor_id,
        }
        for read in sorted(plan.reads, key=lambda read: read.item_key)  # as made: by item id, unless laid out
    ]
    ids = _insert_assignments(rows)
    record_many(
        [
            {
                "object_id": ids[read.item_pk, read.reviewer_id],
                "item_key": read.item_key,
                "after": {"reviewer": read.reviewer_email, "source": AssignmentSource.AUTO.value},
            }
            for read in plan.reads
        ],
        at=now,
        action="assignment.create",
        object_type="assignment",
        actor_id=actor_id,
        cycle_id=plan.cycle_id,
    )
    return list(ids.values())


def _insert_assignments(rows: list[dict]) -> dict[tuple[int, int], int]:
    """Insert assignment rows in a few multi-row statements, each at the end of its reviewer's queue (in the
    rows' order); (item pk, reviewer id) → the new assignment's id.

    Asking RETURNING for the rows' own order makes SQLite insert them one
    statement each, so the ids are matched back by (item, reviewer) instead,
    which is unique per assignment.
    """
    table = Assignment.__table__
    returned = db.session.execute(
        table.insert().returning(table.c.id, table.c.item_pk, table.c.reviewer_id), queue.appended(rows)
    )
    return {(item_pk, reviewer_id): assignment_id for assignment_id, item_pk, reviewer_id in returned}


def _mark_assigned(plan: Plan, actor_id: int | None) -> None:
    # A completed item need not have had a read in this plan (fewer reads per item than before completes items
    # as they stand); the plan loaded every item it considered, so the session has their ids.
    states.move_many(
        [
            states.Move(pk, db.session.get_one(Item, pk).item_id, ItemState.UNASSIGNED, ItemState.ASSIGNED)
            for pk in plan.items_completed
        ],
        cycle_id=plan.cycle_id,
        actor_id=actor_id,
    )


# ---------------------------------------------------------------- one item at a time


def candidates(item: Item) -> list[Candidate]:
    """Every pool reviewer with why they cannot read the item (empty = can); eligible first, least loaded first."""
    facts = item_facts(item, item.applicant, lookups(item.cycle, {item.applicant_pk}))
    result = [
        Candidate(reviewer.user, reviewer.load, reviewer.max_load, check_eligibility(reviewer.facts, facts).reasons)
        for reviewer in pool(item.cycle_id)
    ]
    return sorted(result, key=lambda c: (bool(c.reasons), c.load, c.user.email, c.user.id))


def missing_reads(item: Item, readers: int) -> int:
    """Reads an item still open to assignment lacks, given how many readers it has (0 once it is evaluated)."""
    return max(0, item.cycle.readers - readers) if item.state in states.PRE_REVIEW_STATES else 0


def assign_further_readers(
    requests: Sequence[tuple[Item, AssignmentSource]],
    *,
    actor_id: int | None = None,
    loads: Mapping[int, Mapping[int, int]] | None = None,
) -> dict[int, int | None]:
    """One further reader for each item, all chosen together by the auto-assignment solver.

    An item may be a model or a loaded row with its ``id``, ``item_id``,
    ``cycle_id``, ``kind``, ``rubric_key`` and ``applicant_pk`` (reconciliation
    passes rows). Returns item pk → the new assignment's id, or None when no
    eligible reviewer is left. The maximum load stays as low as possible and the
    reads go to the least loaded, under the same rule as every assignment. The
    facts are read once per cycle: a few queries per thousand applicants.
    ``loads``: cycle id → the cycle's ``reviewer_loads``, for a caller that has
    counted them already (reconciliation, from every assignment it has read).
    """
    chosen: dict[int, int | None] = {item.id: None for item, _ in requests}
    picks: list[tuple[Item, ReviewerFacts, AssignmentSource]] = []
    by_cycle: dict[int, list[tuple[Item, AssignmentSource]]] = defaultdict(list)
    for item, source in requests:
        by_cycle[item.cycle_id].append((item, source))
    for cycle_id, group in by_cycle.items():
        picks.extend(_further_reader_picks(cycle_row(cycle_id), group, (loads or {}).get(cycle_id)))
    if picks:
        now = utcnow()
        ids = _insert_assignments(
            [
                {
                    "item_pk": item.id,
                    "reviewer_id": reviewer.user_id,
                    "source": source,
                    "assigned_at": now,
                    "assigned_by_id": actor_id,
                }
                for item, reviewer, source in picks
            ]
        )
        chosen.update((item.id, ids[item.id, reviewer.user_id]) for item, reviewer, _ in picks)
        record_many(
            [
                {
                    "object_id": chosen[item.id],
                    "cycle_id": item.cycle_id,
                    "item_key": item.item_id,
                    "after": {"reviewer": reviewer.email, "source": source.value},
                }
                for item, reviewer, source in picks
            ],
            at=now,
            action="assignment.create",
            object_type="assignment",
            actor_id=actor_id,
        )
    return chosen


def _further_reader_picks(
    cycle: Row, group: list[tuple[Item, AssignmentSource]], loads: Mapping[int, int] | None
) -> list[tuple[Item, ReviewerFacts, AssignmentSource]]:
    """Plain rows and the pool's facts only (no ORM entity): reconciliation runs this from the command line."""
    reviewers = pool_facts(cycle.id, loads)
    solution = solve(
        [ReviewerCapacity(key=r.user_id, order=r.email, load=r.load, max_load=r.max_load) for r in reviewers],
        _further_reader_demands(cycle, [item for item, _ in group], reviewers),
    )
    request_of = {item.item_id: (item, source) for item, source in group}
    facts_of = {r.user_id: r for r in reviewers}
    picks = []
    for key, reviewer_id in solution.pairs:
        item, source = request_of[key]
        picks.append((item, facts_of[reviewer_id], source))
    return picks


def _further_reader_demands(cycle: Row, items: list[Item], reviewers: list[ReviewerFacts]) -> list[ItemDemand]:
    """One read wanted per item, with who may take it. The lookups are read for ``BATCH`` applicants at a time
    and let go before the solve: thousands of items would otherwise hold every applicant's conflicts, items
    and readers beside the demands (bench/README.md, "Reconciliation in chunks")."""
    qualified = _Qualified(reviewers)
    by_applicant: dict[int | None, list[Item]] = defaultdict(list)
    for item in items:
        by_applicant[item.applicant_pk].append(item)
    owners = list(by_applicant)
    demands = []
    for start in range(0, len(owners), BATCH):
        batch = owners[start : start + BATCH]
        found = lookups(cycle, batch)
        applicants = applicants_by_pk(batch)
        for owner in batch:
            for item in by_applicant[owner]:
                facts = item_facts(item, applicants.get(owner), found)
                demands.append(
                    ItemDemand(
                        key=item.item_id,
                        needed=1,
                        eligible=qualified.eligible(facts),
                        **_blindness_group(item.applicant_pk, facts),
                    )
                )
    return demands


class _Qualified:
    """The pool split once per kind of qualification (a designation, a portfolio category), so that the whole
    rule runs only for the reviewers qualified for an item (reconciliation asks for hundreds at once)."""

    def __init__(self, reviewers: list[ReviewerFacts]):
        self.reviewers = reviewers
        self.by_kind: dict[tuple[str | None, str | None], QualifiedPool] = {}

    def eligible(self, facts: ItemFacts) -> tuple[int, ...]:
        """The user ids of every pool reviewer who may take a new read of the item."""
        kind = (facts.designation_code, facts.portfolio_category)
        if kind not in self.by_kind:
            self.by_kind[kind] = QualifiedPool(r for r in self.reviewers if qualification_reason(r, facts) is None)
        return tuple(self.by_kind[kind].eligible_ids(facts))


def assign(item: Item, reviewer: User, *, actor_id: int | None = None) -> Assignment:
    """A coordinator's manual assignment; refused with the reasons when the reviewer may not read the item."""
    reasons = _refusals(item, reviewer)
    if reasons:
        raise AssignmentError(f"item {item.item_id}: cannot assign {reviewer.email}: {'; '.join(reasons)}")
    assignment = _create(item, reviewer, source=AssignmentSource.MANUAL, actor_id=actor_id)
    _update_state_after_change(item, actor_id)
    return assignment


def _refusals(item: Item, reviewer: User) -> tuple[str, ...]:
    """Why a coordinator may not give this item to this reviewer: the rule, a pool member's load included."""
    member = membership(item.cycle_id, reviewer)
    load = reviewer_loads(item.cycle_id).get(reviewer.id, 0) if member is not None else 0
    facts = reviewer_facts(
        reviewer,
        in_pool=member is not None,
        load=load,
        max_load=member_max_load(member) if member is not None else None,
    )
    return check_eligibility(facts, item_facts(item, item.applicant, lookups(item.cycle, {item.applicant_pk}))).reasons


def unassign(
    assignment: Assignment, *, actor_id: int | None = None, override: bool = False, reason: str | None = None
) -> None:
    """Remove an assignment while its read is empty; a started or submitted read needs an override with a reason."""
    item, reviewer, read = assignment.item, assignment.reviewer, assignment.read
    reason = (limits.bounded(reason, limits.REASON, "reason", AssignmentError.of) or "").strip() or None
    if read is not None and not read.is_empty and not override:
        raise AssignmentError(
            f"item {item.item_id}: cannot unassign {reviewer.email}: the read is "
            f"{'submitted' if read.submitted else 'started'}; "
            "removing it needs a coordinator override with a reason"
        )
    if override and reason is None:
        raise AssignmentError(f"item {item.item_id}: cannot unassign {reviewer.email}: an override needs a reason")
    _record_removal("assignment.override_delete" if override else "assignment.delete", assignment, actor_id, reason)
    db.session.delete(assignment)  # with its read, and that with its scores and marks (ON DELETE CASCADE)
    db.session.flush()
    _update_state_after_change(item, actor_id)


def swap(assignment: Assignment, new_reviewer: User, *, actor_id: int | None = None) -> Assignment:
    """Give an assignment whose read is still empty to another eligible reviewer."""
    item, old_reviewer, read = assignment.item, assignment.reviewer, assignment.read
    prefix = f"item {item.item_id}: cannot swap {old_reviewer.email} for {new_reviewer.email}"
    if read is not None and not read.is_empty:
        raise AssignmentError(
            f"{prefix}: {old_reviewer.email} has already started the read; unassign it with an override instead"
        )
    reasons = _refusals(item, new_reviewer)
    if reasons:
        raise AssignmentError(f"{prefix}: {'; '.join(reasons)}")
    # The new reader is the coordinator's choice, whoever chose the old one; a further read stays one, or the next
    # reconciliation would see no third reader pending and assign another, and its reader would not be told why.
    source = assignment.source if assignment.source in FURTHER_READ_SOURCES else AssignmentSource.MANUAL
    record(
        "assignment.swap",
        "assignment",
        assignment.id,
        actor_id=actor_id,
        cycle_id=item.cycle_id,
        item_key=item.item_id,
        before={"reviewer": old_reviewer.email, "source": assignment.source.value},
        after={"reviewer": new_reviewer.email, "source": source.value},
    )
    if read is not None:
        db.session.delete(read)  # with its scores and marks (ON DELETE CASCADE)
        db.session.flush()
    db.session.expire(assignment, ["read"])
    assignment.reviewer = new_reviewer
    assignment.source = source
    assignment.assigned_at = utcnow()
    assignment.assigned_by_id = actor_id
    assignment.notified_at = None  # the new reader has not been told
    db.session.flush()
    return assignment


def decline(assignment: Assignment, reason: str | None, *, actor_id: int | None = None) -> AssignmentDecline:
    """The reviewer declines an assignment whose read is not submitted, saying why.

    The read is withdrawn (a draft's scores are kept in the audit entry), the
    decline is recorded so the rule keeps the reviewer off this item, and the
    item goes back to assignment: the next ``assign`` or a refill gives it to
    the next eligible reviewer.
    """
    item, reviewer, read = assignment.item, assignment.reviewer, assignment.read
    reason = (limits.bounded(reason, limits.REASON, "reason", AssignmentError.of) or "").strip()
    if not reason:
        raise AssignmentError.of("reason", "say why the assignment is declined")
    if read is not None and read.submitted:
        raise AssignmentError(
            f"item {item.item_id}: {reviewer.email} cannot decline: the read is submitted; "
            "a coordinator can reopen it first"
        )
    _record_removal("assignment.decline", assignment, actor_id, reason)
    declined = AssignmentDecline(
        item_pk=item.id,
        reviewer_id=reviewer.id,
        reason=reason,
        source=assignment.source,
        assigned_at=assignment.assigned_at,
        declined_by_id=actor_id,
    )
    db.session.add(declined)
    db.session.delete(assignment)  # with its read, and that with its scores and marks (ON DELETE CASCADE)
    db.session.flush()
    _update_state_after_change(item, actor_id)
    return declined


def withdraw_open_further_reads(item: Item, *, actor_id: int | None, note: str) -> None:
    """Withdraw the item's further reads (third or extra) that are not submitted, once the item no longer needs
    them: the committee has decided it. Each is audited with its draft, as a decline is.

    Left in place, such a read stayed in its reviewer's queue as work to do on an item already settled."""
    further = select(Assignment).where(Assignment.item_pk == item.id, Assignment.source.in_(FURTHER_READ_SOURCES))
    for assignment in db.session.scalars(further).all():
        read = assignment.read
        if read is not None and read.submitted:
            continue
        _record_removal("assignment.withdraw", assignment, actor_id, note)
        db.session.delete(assignment)  # with its read, and that with its scores and marks (ON DELETE CASCADE)
    db.session.flush()


def _record_removal(action: str, assignment: Assignment, actor_id: int | None, note: str | None) -> None:
    """The audit entry of an assignment about to be deleted: who held it, how it came, and its read (a draft's
    scores and marks are kept here, since the read goes with the assignment)."""
    read = assignment.read
    record(
        action,
        "assignment",
        assignment.id,
        actor_id=actor_id,
        cycle_id=assignment.item.cycle_id,
        item_key=assignment.item.item_id,
        note=note,
        before={
            "reviewer": assignment.reviewer.email,
            "source": assignment.source.value,
            "read": read.summary() if read else None,
        },
    )


def declines_of(cycle: Cycle, *, item: Item | None = None) -> list[AssignmentDecline]:
    """The cycle's declines (or one item's), oldest first, with their item and reviewer loaded."""
    query = select(AssignmentDecline).join(Item, Item.id == AssignmentDecline.item_pk).where(Item.cycle_id == cycle.id)
    if item is not None:
        query = query.where(AssignmentDecline.item_pk == item.id)
    return list(
        db.session.scalars(
            query.options(joinedload(AssignmentDecline.item), joinedload(AssignmentDecline.reviewer)).order_by(
                AssignmentDecline.declined_at, AssignmentDecline.id
            )
        )
    )


def set_due(assignment: Assignment, due: date | None, *, actor_id: int | None = None) -> None:
    """Give a read that is not submitted a due date of its own (None: the cycle's); audited."""
    read = assignment.read
    if read is not None and read.submitted:
        raise AssignmentError(
            f"item {assignment.item.item_id}: the read of {assignment.reviewer.email} is submitted; "
            "a due date no longer applies"
        )
    if assignment.due == due:
        return
    record(
        "assignment.due",
        "assignment",
        assignment.id,
        actor_id=actor_id,
        cycle_id=assignment.item.cycle_id,
        item_key=assignment.item.item_id,
        before={"due": assignment.due.isoformat() if assignment.due else None},
        after={"due": due.isoformat() if due else None},
    )
    assignment.due = due
    db.session.flush()


@dataclass(frozen=True)
class DeclineRow:
    """A decline as the dashboard lists it, with the reads its item still lacks (0: refilled, or evaluated)."""

    decline: AssignmentDecline
    missing: int


def decline_rows(cycle: Cycle) -> list[DeclineRow]:
    """The cycle's declines, newest first, each with its item's missing reads; three queries."""
    declines = declines_of(cycle)
    readers = (
        dict(
            db.session.execute(
                select(Assignment.item_pk, func.count())
                .where(Assignment.item_pk.in_({d.item_pk for d in declines}))
                .group_by(Assignment.item_pk)
            ).all()
        )
        if declines
        else {}
    )
    return [DeclineRow(d, missing_reads(d.item, readers.get(d.item_pk, 0))) for d in reversed(declines)]


def refill_declined(cycle: Cycle, *, actor_id: int | None = None) -> Plan | None:
    """One click after declines: the optimal assigner for the declined items that lack reads, and for them
    only (None when none does)."""
    items = {row.decline.item_pk: row.decline.item for row in decline_rows(cycle) if row.missing}
    if not items:
        return None
    return refill(list(items.values()), actor_id=actor_id)


def _create(item: Item, reviewer: User, *, source: AssignmentSource, actor_id: int | None) -> Assignment:
    assignment = Assignment(item_pk=item.id, reviewer_id=reviewer.id, source=source, assigned_by_id=actor_id)
    db.session.add(assignment)
    db.session.flush()
    record(
        "assignment.create",
        "assignment",
        assignment.id,
        actor_id=actor_id,
        cycle_id=item.cycle_id,
        item_key=item.item_id,
        after={"reviewer": reviewer.email, "source": source.value},
    )
    return assignment


def _update_state_after_change(item: Item, actor_id: int | None) -> None:
    """An item not yet evaluated follows its readers: assigned once it has all of them, in review while any read is
    started, and back when one is removed."""
    of_item = Assignment.item_pk == item.id
    assignments, started, wanted = db.session.execute(
        select(
            select(func.count(Assignment.id)).where(of_item).scalar_subquery(),
            select(func.count(Read.id))
            .join(Assignment, Read.assignment_id == Assignment.id)
            .where(of_item)
            .scalar_subquery(),
            Cycle.readers,
        ).where(Cycle.id == item.cycle_id)
    ).one()
    states.derive_pre_review(
        item, started_reads=started, assignments=assignments, required_reads=wanted, actor_id=actor_id
    )
    db.session.flush()
