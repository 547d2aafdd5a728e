"""Optimal auto-assignment over plain data (no database); docs/assignment.md explains the method.

The problem: each item wants some more reads, each by a distinct eligible
reviewer; a reviewer's load (reads held + new) stays within their
``max_load``; and, for blindness across items, a reviewer reads either an
applicant's portfolio or that applicant's essays, never both (items carry an
``applicant`` group and a ``side``). The objective, in this order: place as
many reads as possible, then the least maximum load, then the most even
spread (the least sum of squared loads).

The method:

1. **Relaxation.** Without the blindness constraint the problem is a network
   flow (source → item → eligible reviewer → sink), solved exactly: a max
   flow, the least load cap that still places as many reads (binary search,
   since the flow grows with the cap), then a min-cost flow with convex
   per-unit costs (the k-th read of a reviewer costs ``2k − 1``, the increase
   of ``k²``). Every real plan is also a plan of the relaxation, so its
   maximum load is a proven lower bound.
2. **Exchanges.** Where the relaxed plan gives one reviewer both sides of an
   applicant, the read is moved along a chain of reviewers, each handing one
   of their reads to the next, that leaves the multiset of loads as it was.
   Fully repaired, the plan is the relaxation's optimum and so optimal.
3. **A blind plan.** What exchanges cannot repair: the offending pairs are
   forbidden and the flow solved again, with exchanges, until the plan is
   blind.
4. **Exact solve.** Up to ``EXACT_SIZE`` items x reviewers, OR-Tools' CP-SAT
   solves the problem with blindness exactly, seeded with that plan. Beyond,
   the plan stands and its maximum load is reported beside the proven lower
   bound.

Items and reviewers are sorted by their stable keys before anything is built
and every solver runs deterministically, so the same input in any order gives
the same plan (the console's preview relies on this). ``solver.py`` holds the
implementation, with numpy and OR-Tools; ``one_read.py`` the same optimum for
items that each need one read, in plain Python, where it can prove it.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# Up to this many items x reviewers, blindness conflicts that exchanges leave are solved exactly with CP-SAT:
# 300 items x 30 reviewers. The proofs take longer with more items and reviewers rather than with more
# eligible pairs; docs/assignment.md has the measurements.
EXACT_SIZE = 9_000
# CP-SAT's deterministic time per objective (roughly seconds of one core): a safety net, never hit in the tests.
EXACT_DETERMINISTIC_SECONDS = 15.0


@dataclass(frozen=True)
class ReviewerCapacity:
    """A pool reviewer as the engine sees them."""

    key: int  # the reviewer's user id
    order: str  # stable tie-break key (the e-mail address)
    load: int = 0  # assignments already held in the cycle
    max_load: int | None = None  # None = uncapped


@dataclass(frozen=True)
class ItemDemand:
    """An item that still needs reads, and who may read it."""

    key: str  # the item id, e.g. "E17" or "APP-1001"
    needed: int  # further reads wanted (N minus the assignments it has)
    eligible: tuple[int, ...]  # reviewer keys allowed to read it
    holds: str | None = None  # what its eligible reviewers hold, for the report: "designation RF"
    # Why the other pool reviewers are excluded: (reason, how many), for the report.
    exclusions: tuple[tuple[str, int], ...] = ()
    applicant: str | None = None  # blindness group: a reviewer reads items of one side of an applicant only
    side: str | None = None  # "portfolio" or "essays"


@dataclass(frozen=True)
class Shortfall:
    """An item that cannot get all the reads it needs, and why."""

    item_key: str
    wanted: int
    planned: int
    reason: str  # "E17: needs 1 more read: …", for a list of items

    @property
    def why(self) -> str:
        """The reason without the item id, for a table that shows the id beside it."""
        return self.reason.removeprefix(f"{self.item_key}: ")


@dataclass(frozen=True)
class Solution:
    pairs: tuple[tuple[str, int], ...]  # (item key, reviewer key), sorted
    shortfalls: tuple[Shortfall, ...]  # in item-key order
    loads: dict[int, int]  # reviewer key → load after the plan (existing + new)
    max_load: int  # over all reviewers, existing assignments included
    lower_bound: int = 0  # no plan placing as many reads has a lower maximum load (proven)
    optimal: bool = True  # proven optimal: most reads, least maximum load, most even
    method: str = "flow"  # "flow", "exchanges", "exact", "flow, pairs forbidden", one_read.METHOD
    placeable_bound: int = 0  # no plan places more reads than this

    @property
    def gap(self) -> int:
        return self.max_load - self.lower_bound


def solve(
    reviewers: Iterable[ReviewerCapacity], items: Iterable[ItemDemand], *, exact_size: int = EXACT_SIZE
) -> Solution:
    """The optimal plan (see the module text); beyond ``exact_size`` items x reviewers, a plan and its bounds."""
    pool = sorted(reviewers, key=lambda r: (r.order, r.key))
    demands = sorted((d for d in items if d.needed > 0), key=lambda d: d.key)
    _check_input(pool, demands)
    # One read per item (reconciliation's further readers) is planned in plain Python when it can be proven
    # optimal there; numpy and OR-Tools load only for the other plans, never when the application starts.
    from app.assignment.one_read import one_read_plan

    plan = one_read_plan(pool, demands)
    if plan is not None:
        return plan
    from app.assignment.solver import optimal_plan

    return optimal_plan(pool, demands, exact_size)


def _check_input(pool: Sequence[ReviewerCapacity], demands: Sequence[ItemDemand]) -> None:
    keys = [r.key for r in pool]
    if len(set(keys)) != len(keys):
        raise ValueError("reviewers: the same reviewer key appears twice")
    item_keys = [d.key for d in demands]
    if len(set(item_keys)) != len(item_keys):
        raise ValueError("items: the same item key appears twice")
    known = set(keys)
    for demand in demands:
        unknown = set(demand.eligible) - known
        if unknown:
            raise ValueError(f"item {demand.key}: eligible reviewers {sorted(unknown)} are not in the pool")
        if len(set(demand.eligible)) != len(demand.eligible):
            raise ValueError(f"item {demand.key}: a reviewer is listed as eligible twice")
        if (demand.applicant is None) != (demand.side is None):
            raise ValueError(f"item {demand.key}: an applicant group needs a side, and a side an applicant")


def shortfall_reason(demand: ItemDemand, planned: int, *, full: int = 0, blocked: int = 0, unplaced: int = 0) -> str:
    """Why an item gets fewer reads than it wants, in words that match the preview's table."""
    missing = demand.needed - planned
    eligible = len(demand.eligible)
    parts = []
    if eligible < demand.needed:
        who = "no eligible reviewer" if eligible == 0 else f"only {eligible} eligible reviewer{_s(eligible)}"
        if demand.holds:
            who += f" {'holds' if eligible <= 1 else 'hold'} {demand.holds}"
        parts.append(who)
    if full:
        parts.append(f"{full} eligible reviewer{_s(full)} {_are(full)} at maximum load")
    if blocked:
        other = "essays" if demand.side == "portfolio" else "portfolio"
        parts.append(
            f"{blocked} eligible reviewer{_s(blocked)} read{'s' if blocked == 1 else ''} "
            f"this applicant's {other} in this plan"
        )
    if unplaced:
        parts.append(f"{unplaced} eligible reviewer{_s(unplaced)} not used by this plan")
    reason = f"{demand.key}: needs {missing} more read{_s(missing)}: " + "; ".join(parts)
    if demand.exclusions:
        reason += "; not eligible: " + ", ".join(f"{count} {why}" for why, count in demand.exclusions)
    return reason


def _s(count: int) -> str:
    return "" if count == 1 else "s"


def _are(count: int) -> str:
    return "is" if count == 1 else "are"
