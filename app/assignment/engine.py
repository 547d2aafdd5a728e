"""Optimal auto-assignment as a network flow, over plain data (no database).

The network: source → item (capacity = reads the item still needs) → each
eligible reviewer (capacity 1: one read per reviewer per item) → sink
(capacity = what the reviewer may still take). The solution, in three steps:

1. the largest number of reads that can be placed at all (max flow with each
   reviewer capped only by ``max_load``);
2. the smallest load cap L that still places that many reads (binary search
   on max-flow feasibility, which is monotone in L) — so the maximum load is
   provably the minimum possible;
3. a min-cost flow under cap L where the k-th unit of a reviewer's load costs
   ``2·(load) − 1`` (the increase of ``load²``): a convex cost, so the optimum
   minimises the sum of squared loads, i.e. spreads the rest as evenly as the
   eligibility rules allow.

Items and reviewers are sorted by their stable keys before the graph is built,
so the same input in any order gives the same plan.
"""
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from ortools.graph.python import max_flow, min_cost_flow


@dataclass(frozen=True)
class ReviewerCapacity:
    """A pool reviewer as the engine sees them."""
    key: int                     # the reviewer's user id
    order: str                   # stable tie-break key (the e-mail address)
    load: int = 0                # assignments already held in the cycle
    max_load: int | None = None  # None = uncapped


@dataclass(frozen=True)
class ItemDemand:
    """An item that still needs reads, and who may read it."""
    key: str                      # the item id, e.g. "E17" or "APP-1001"
    needed: int                   # further reads wanted (N minus the assignments it has)
    eligible: tuple[int, ...]     # reviewer keys allowed to read it
    designation: str | None = None
    # Why the other pool reviewers are excluded: (reason, how many), for the report.
    exclusions: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class Shortfall:
    """An item that cannot get all the reads it needs, and why."""
    item_key: str
    wanted: int
    planned: int
    reason: str


@dataclass(frozen=True)
class Solution:
    pairs: tuple[tuple[str, int], ...]  # (item key, reviewer key), sorted
    shortfalls: tuple[Shortfall, ...]   # in item-key order
    loads: dict[int, int]               # reviewer key → load after the plan (existing + new)
    max_load: int                       # over all reviewers, existing assignments included


def solve(reviewers: Iterable[ReviewerCapacity], items: Iterable[ItemDemand]) -> Solution:
    """Place as many of the wanted reads as eligibility and caps allow, minimising the maximum load."""
    pool = sorted(reviewers, key=lambda r: (r.order, r.key))
    demands = sorted((d for d in items if d.needed > 0), key=lambda d: d.key)
    _check_input(pool, demands)
    network = _Network(pool, demands)
    flows = network.optimal_flows()
    item_of_arc, reviewer_of_arc = network.edge_items, network.edge_reviewers
    chosen = np.flatnonzero(flows > 0)
    pairs = tuple((demands[item_of_arc[i]].key, pool[reviewer_of_arc[i]].key) for i in chosen)
    planned_per_item = np.bincount(item_of_arc[chosen], minlength=len(demands))
    new_per_reviewer = np.bincount(reviewer_of_arc[chosen], minlength=len(pool))
    loads = {r.key: r.load + int(new_per_reviewer[i]) for i, r in enumerate(pool)}
    shortfalls = tuple(
        Shortfall(d.key, d.needed, int(planned_per_item[i]), _shortfall_reason(d, int(planned_per_item[i])))
        for i, d in enumerate(demands) if planned_per_item[i] < d.needed)
    return Solution(pairs=pairs, shortfalls=shortfalls, loads=loads, max_load=max(loads.values(), default=0))


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


class _Network:
    """The flow network in arrays: node 0 is the source, then items, then reviewers, then the sink."""

    def __init__(self, pool: Sequence[ReviewerCapacity], demands: Sequence[ItemDemand]):
        index_of = {r.key: i for i, r in enumerate(pool)}
        self.item_count, self.reviewer_count = len(demands), len(pool)
        self.sink = 1 + self.item_count + self.reviewer_count
        self.needed = np.array([d.needed for d in demands], dtype=np.int64)
        counts = np.array([len(d.eligible) for d in demands], dtype=np.int64)
        self.edge_items = np.repeat(np.arange(self.item_count, dtype=np.int64), counts)
        self.edge_reviewers = np.fromiter(
            (index_of[key] for d in demands for key in sorted(d.eligible, key=index_of.__getitem__)),
            dtype=np.int64, count=int(counts.sum()))
        self.existing = np.array([r.load for r in pool], dtype=np.int64)
        degree = np.bincount(self.edge_reviewers, minlength=self.reviewer_count)
        # Most a reviewer could ever hold: their cap, or everything they are eligible for.
        reachable = self.existing + degree
        caps = np.array([r.max_load if r.max_load is not None else -1 for r in pool], dtype=np.int64)
        self.ceiling = np.where(caps >= 0, np.minimum(caps, reachable), reachable)

    def _item_node(self, item_index: np.ndarray) -> np.ndarray:
        return 1 + item_index

    def _reviewer_node(self, reviewer_index: np.ndarray) -> np.ndarray:
        return 1 + self.item_count + reviewer_index

    def room_under(self, cap: int) -> np.ndarray:
        """New reads each reviewer may take when nobody's load may exceed ``cap``."""
        return np.maximum(0, np.minimum(self.ceiling, cap) - self.existing)

    def optimal_flows(self) -> np.ndarray:
        """Flow on each item → reviewer edge (0 or 1) of the balanced optimum."""
        if self.item_count == 0 or self.reviewer_count == 0 or len(self.edge_items) == 0:
            return np.zeros(len(self.edge_items), dtype=np.int64)
        highest = int(self.ceiling.max())
        solver, sink_arcs = self._max_flow_solver()
        placeable = self._max_flow(solver, sink_arcs, highest)
        cap = self._smallest_cap(solver, sink_arcs, placeable, highest)
        return self._balanced_flows(placeable, cap)

    def _max_flow_solver(self) -> tuple[max_flow.SimpleMaxFlow, np.ndarray]:
        solver = max_flow.SimpleMaxFlow()
        items = np.arange(self.item_count, dtype=np.int64)
        reviewers = np.arange(self.reviewer_count, dtype=np.int64)
        solver.add_arcs_with_capacity(np.zeros(self.item_count, dtype=np.int64), self._item_node(items), self.needed)
        solver.add_arcs_with_capacity(self._item_node(self.edge_items), self._reviewer_node(self.edge_reviewers),
                                      np.ones(len(self.edge_items), dtype=np.int64))
        sink_arcs = solver.add_arcs_with_capacity(self._reviewer_node(reviewers),
                                                  np.full(self.reviewer_count, self.sink, dtype=np.int64),
                                                  np.zeros(self.reviewer_count, dtype=np.int64))
        return solver, np.asarray(sink_arcs)

    def _max_flow(self, solver: max_flow.SimpleMaxFlow, sink_arcs: np.ndarray, cap: int) -> int:
        solver.set_arcs_capacity(sink_arcs, self.room_under(cap))
        status = solver.solve(0, self.sink)
        if status != solver.OPTIMAL:
            raise RuntimeError(f"max-flow solver failed with status {status}")
        return int(solver.optimal_flow())

    def _smallest_cap(self, solver: max_flow.SimpleMaxFlow, sink_arcs: np.ndarray, placeable: int,
                      highest: int) -> int:
        """The least maximum load that still places ``placeable`` reads (flow is monotone in the cap)."""
        low, high = 0, highest
        while low < high:
            middle = (low + high) // 2
            if self._max_flow(solver, sink_arcs, middle) == placeable:
                high = middle
            else:
                low = middle + 1
        return high

    def _balanced_flows(self, placeable: int, cap: int) -> np.ndarray:
        solver = min_cost_flow.SimpleMinCostFlow()
        items = np.arange(self.item_count, dtype=np.int64)
        solver.add_arcs_with_capacity_and_unit_cost(
            np.zeros(self.item_count, dtype=np.int64), self._item_node(items), self.needed,
            np.zeros(self.item_count, dtype=np.int64))
        edge_arcs = solver.add_arcs_with_capacity_and_unit_cost(
            self._item_node(self.edge_items), self._reviewer_node(self.edge_reviewers),
            np.ones(len(self.edge_items), dtype=np.int64), np.zeros(len(self.edge_items), dtype=np.int64))
        # One unit arc per extra read a reviewer may take; the k-th costs (load+k)² − (load+k−1)².
        room = self.room_under(cap)
        unit_reviewers = np.repeat(np.arange(self.reviewer_count, dtype=np.int64), room)
        starts = np.cumsum(room) - room
        step = np.arange(len(unit_reviewers), dtype=np.int64) - np.repeat(starts, room) + 1
        load_after = self.existing[unit_reviewers] + step
        solver.add_arcs_with_capacity_and_unit_cost(
            self._reviewer_node(unit_reviewers), np.full(len(unit_reviewers), self.sink, dtype=np.int64),
            np.ones(len(unit_reviewers), dtype=np.int64), 2 * load_after - 1)
        solver.set_node_supply(0, placeable)
        solver.set_node_supply(self.sink, -placeable)
        status = solver.solve()
        if status != solver.OPTIMAL:
            raise RuntimeError(f"min-cost-flow solver failed with status {status}")
        return np.asarray(solver.flows(np.asarray(edge_arcs)))


def _shortfall_reason(demand: ItemDemand, planned: int) -> str:
    eligible = len(demand.eligible)
    who = f"eligible reviewer{'s' if eligible != 1 else ''}"
    if demand.designation:
        who += f" for designation {demand.designation}"
    if eligible < demand.needed:
        count = "no" if eligible == 0 else f"only {eligible}"
        reason = f"{demand.key}: {count} {who} (needs {demand.needed} more read{'s' if demand.needed != 1 else ''})"
    else:
        reason = (f"{demand.key}: only {planned} of {demand.needed} more reads could be planned: "
                  f"the rest of its {eligible} {who} are at their maximum load")
    if demand.exclusions:
        reason += "; not eligible: " + ", ".join(f"{count} {why}" for why, count in demand.exclusions)
    return reason
