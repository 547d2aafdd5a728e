"""The exact plan when every item wants one more read, in plain Python: reconciliation's further readers.

When each item needs a single read, the relaxation of ``engine.solve`` (no
blindness) is a semi-matching: every item goes to one eligible reviewer, and
the loads should be as even as possible. A plan minimises the sum of squared
loads — and with it the maximum load, since the feasible load vectors form an
M-convex set (docs/assignment.md, "Third readers and refills") — exactly when
no reviewer can pass a read along a chain of reviewers, each handing one read
on to the next, to a reviewer at least two reads lighter. So:

1. each item, in key order, goes to its least-loaded eligible reviewer with
   room (ties: the pool's order);
2. every reviewer is labelled with the lightest reviewer with room it can
   reach by such a chain (one backward search per receiver, lightest first,
   each reviewer labelled once: linear in the eligible pairs), and every chain
   that ends two or more reads lighter is applied; until none is left.

On the benchmark cycle step 1 is already optimal and step 2 proves it in one
labelling, a few milliseconds where building the flow network and loading
numpy and OR-Tools cost a tenth of a second. Whatever this path cannot prove —
an item left without a reader, a reviewer given both sides of an applicant,
more rounds than ``MAX_ROUNDS`` — returns None and ``solver.py`` plans it.
"""

from array import array
from collections import deque
from collections.abc import Sequence

from app.assignment.engine import ItemDemand, ReviewerCapacity, Solution

# Rounds of chain repairs before the general solver takes over; the benchmark cycle needs none.
MAX_ROUNDS = 8
UNCAPPED = 1 << 62
METHOD = "least loaded, chains"


def one_read_plan(pool: Sequence[ReviewerCapacity], demands: Sequence[ItemDemand]) -> Solution | None:
    """The proven-optimal plan for items that each need one read, or None when this method cannot give it.

    ``pool`` and ``demands`` are checked and sorted as ``engine.solve`` passes them.
    """
    if not demands or any(demand.needed != 1 for demand in demands):
        return None
    plan = _Plan(pool, demands)
    if not plan.place_greedily() or not plan.repair_chains() or plan.reads_both_sides():
        return None
    return plan.solution()


def _typecode(count: int) -> str:
    """The smallest unsigned array type that holds the indices 0 … count - 1."""
    return "H" if count <= 1 << 16 else "I"


class _Plan:
    """Reviewers by index in the pool's order; each item's one new reader."""

    def __init__(self, pool: Sequence[ReviewerCapacity], demands: Sequence[ItemDemand]):
        self.pool, self.demands = pool, demands
        index_of = {reviewer.key: i for i, reviewer in enumerate(pool)}
        self.load = [reviewer.load for reviewer in pool]
        self.cap = [UNCAPPED if reviewer.max_load is None else reviewer.max_load for reviewer in pool]
        # Indices as machine integers: at 2,450 items x 600 reviewers a list of Python ints per item and per
        # reviewer held 9.6 MiB of pointers, the largest part of a big reconciliation's memory.
        reviewer_code, item_code = _typecode(len(pool)), _typecode(len(demands))
        self.eligible = [array(reviewer_code, sorted(map(index_of.__getitem__, d.eligible))) for d in demands]
        self.holder = [-1] * len(demands)
        # Reviewer → the items they may take: the chains run backwards along these.
        self.takes = [array(item_code) for _ in pool]
        for item, reviewers in enumerate(self.eligible):
            for reviewer in reviewers:
                self.takes[reviewer].append(item)

    def place_greedily(self) -> bool:
        load, cap, holder = self.load, self.cap, self.holder
        for item, reviewers in enumerate(self.eligible):
            best = -1
            for reviewer in reviewers:
                if load[reviewer] < cap[reviewer] and (best < 0 or load[reviewer] < load[best]):
                    best = reviewer
            if best < 0:
                return False  # maybe placeable by moving others' reads: the general solver decides
            holder[item] = best
            load[best] += 1
        return True

    def repair_chains(self) -> bool:
        """Apply chains that lower the sum of squared loads until none is left; False after ``MAX_ROUNDS``."""
        for _ in range(MAX_ROUNDS):
            reach, step = self._labels()
            load = self.load
            heavy = sorted(
                (r for r, lightest in enumerate(reach) if 0 <= lightest <= load[r] - 2), key=lambda r: (-load[r], r)
            )
            if not heavy:
                return True
            for reviewer in heavy:
                self._apply_chain(reviewer, step)
        return False

    def _labels(self) -> tuple[list[int], list[tuple[int, int] | None]]:
        """Per reviewer: the load of the lightest reviewer with room it reaches by a chain (-1: none), and its
        first step there, (item it hands on, reviewer taking it); None for a reviewer that is that receiver."""
        load, cap, holder, takes = self.load, self.cap, self.holder, self.takes
        reach = [-1] * len(load)
        step: list[tuple[int, int] | None] = [None] * len(load)
        for lightest, receiver in sorted((load[r], r) for r in range(len(load)) if load[r] < cap[r]):
            if reach[receiver] >= 0:
                continue  # it reaches someone lighter still
            reach[receiver] = lightest
            queue = deque([receiver])
            while queue:
                taker = queue.popleft()
                for item in takes[taker]:
                    giver = holder[item]
                    if giver != taker and reach[giver] < 0:
                        reach[giver] = lightest
                        step[giver] = (item, taker)
                        queue.append(giver)
        return reach, step

    def _apply_chain(self, start: int, step: list[tuple[int, int] | None]) -> None:
        """Follow ``start``'s chain if the chains applied before it this round left it standing."""
        moves = []
        giver = start
        while (next_step := step[giver]) is not None:
            item, taker = next_step
            if self.holder[item] != giver:
                return
            moves.append((item, taker))
            giver = taker
        receiver = giver
        if not moves or self.load[receiver] >= self.cap[receiver] or self.load[receiver] > self.load[start] - 2:
            return
        for item, taker in moves:
            self.holder[item] = taker
        self.load[start] -= 1
        self.load[receiver] += 1

    def reads_both_sides(self) -> bool:
        """Whether the plan gives a reviewer items of two sides of one applicant (blindness across items)."""
        sides: dict[tuple[str, int], set[str | None]] = {}
        for demand, reviewer in zip(self.demands, self.holder, strict=True):
            if demand.applicant is not None:
                sides.setdefault((demand.applicant, reviewer), set()).add(demand.side)
        return any(len(found) > 1 for found in sides.values())

    def solution(self) -> Solution:
        pool = self.pool
        pairs = tuple(
            sorted((demand.key, pool[reviewer].key) for demand, reviewer in zip(self.demands, self.holder, strict=True))
        )
        loads = {reviewer.key: self.load[i] for i, reviewer in enumerate(pool)}
        highest = max(loads.values(), default=0)
        # Optimal for the relaxation and blind, so optimal: its maximum load is the least any plan can have.
        return Solution(
            pairs=pairs,
            shortfalls=(),
            loads=loads,
            max_load=highest,
            lower_bound=highest,
            optimal=True,
            method=METHOD,
            placeable_bound=len(self.demands),
        )
