"""The implementation of ``engine.solve`` in arrays and OR-Tools solvers; engine.py describes the method."""

from collections import Counter, defaultdict, deque
from collections.abc import Iterable, Sequence
from itertools import pairwise

import numpy as np
from ortools.graph.python import max_flow, min_cost_flow

from app.assignment.engine import (
    EXACT_DETERMINISTIC_SECONDS,
    ItemDemand,
    ReviewerCapacity,
    Shortfall,
    Solution,
    shortfall_reason,
)


def optimal_plan(pool: Sequence[ReviewerCapacity], demands: Sequence[ItemDemand], exact_size: int) -> Solution:
    """The plan for reviewers and items already checked and sorted by ``engine.solve``."""
    problem = _Problem(pool, demands)
    relaxed = _Network(problem, problem.all_arcs())
    placeable, cap, flows = relaxed.optimum()
    chosen = relaxed.arcs[flows > 0]
    floor = int(problem.existing.max(initial=0))
    method, load_proven, optimal = "flow", True, True
    if problem.constrained:
        plan = _Plan(problem, chosen)
        if plan.violations():
            method = "exchanges"
            if not plan.repair_by_exchanges():
                method, load_proven, optimal = _hard_case(
                    problem, plan, placeable, cap, _squares_of(problem, chosen), exact_size
                )
            chosen = plan.arcs()
    if load_proven:
        lower_bound = _max_load(problem, chosen.tolist())
    else:  # no plan placing as many reads can have a lower maximum load than the relaxation's
        lower_bound = max(relaxed.least_cap(len(chosen)), floor)
    return problem.solution(chosen, lower_bound, optimal, method, placeable)


def _hard_case(
    problem: "_Problem", plan: "_Plan", placeable: int, cap: int, squares: int, exact_size: int
) -> tuple[str, bool, bool]:
    """Blindness conflicts that exchanges left: a blind plan by forbidding pairs, then, when small enough,
    the exact optimum from there. (method, maximum load proven least, plan proven optimal)."""
    _forbid_until_blind(problem, plan)
    if problem.item_count * problem.reviewer_count > exact_size:
        return "flow, pairs forbidden", False, False
    arcs, load_proven, optimal = _exact(problem, plan, placeable, cap, squares)
    plan.replace(arcs)
    return "exact", load_proven, optimal


class _Problem:
    """The instance in arrays: items and reviewers by index, one arc per eligible (item, reviewer) pair."""

    def __init__(self, pool: Sequence[ReviewerCapacity], demands: Sequence[ItemDemand]):
        self.pool, self.demands = pool, demands
        index_of = {r.key: i for i, r in enumerate(pool)}
        self.item_count, self.reviewer_count = len(demands), len(pool)
        self.needed = np.array([d.needed for d in demands], dtype=np.int64)
        counts = np.array([len(d.eligible) for d in demands], dtype=np.int64)
        self.edge_items = np.repeat(np.arange(self.item_count, dtype=np.int64), counts)
        # Item i's arcs run from item_start[i] to item_start[i + 1].
        self.item_start = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
        self.edge_reviewers = np.fromiter(
            (index_of[key] for d in demands for key in sorted(d.eligible, key=index_of.__getitem__)),
            dtype=np.int64,
            count=int(counts.sum()),
        )
        self.existing = np.array([r.load for r in pool], dtype=np.int64)
        degree = np.bincount(self.edge_reviewers, minlength=self.reviewer_count)
        # Most a reviewer could ever hold: their cap, or everything they are eligible for.
        reachable = self.existing + degree
        caps = np.array([r.max_load if r.max_load is not None else -1 for r in pool], dtype=np.int64)
        self.ceiling = np.where(caps >= 0, np.minimum(caps, reachable), reachable)
        # Blindness: a group per applicant with items on two or more sides; -1 = no constraint.
        sides_of: dict[str, set[str]] = defaultdict(set)
        for demand in demands:
            if demand.applicant is not None:
                sides_of[demand.applicant].add(demand.side or "")
        groups = {applicant: n for n, applicant in enumerate(sorted(a for a, s in sides_of.items() if len(s) > 1))}
        self.group_of = [groups.get(d.applicant, -1) if d.applicant is not None else -1 for d in demands]
        self.side_of = [d.side or "" for d in demands]
        self.constrained = bool(groups)

    def eligible_of(self, item: int) -> list[int]:
        return self.edge_reviewers[self.item_start[item] : self.item_start[item + 1]].tolist()

    def all_arcs(self) -> np.ndarray:
        return np.arange(len(self.edge_items), dtype=np.int64)

    def room_under(self, cap: int) -> np.ndarray:
        """New reads each reviewer may take when nobody's load may exceed ``cap``."""
        return np.maximum(0, np.minimum(self.ceiling, cap) - self.existing)

    def solution(self, arcs: np.ndarray, lower_bound: int, optimal: bool, method: str, placeable: int) -> Solution:
        items, reviewers = self.edge_items[arcs], self.edge_reviewers[arcs]
        pairs = tuple(
            sorted(
                zip(
                    (self.demands[i].key for i in items.tolist()),
                    (self.pool[r].key for r in reviewers.tolist()),
                    strict=True,
                )
            )
        )
        planned = np.bincount(items, minlength=self.item_count)
        final = self.existing + np.bincount(reviewers, minlength=self.reviewer_count)
        loads = {r.key: int(final[i]) for i, r in enumerate(self.pool)}
        short = [i for i in range(self.item_count) if planned[i] < self.needed[i]]
        shortfalls = tuple(self._shortfalls(short, planned, final, items, reviewers))
        return Solution(
            pairs=pairs,
            shortfalls=shortfalls,
            loads=loads,
            max_load=max(loads.values(), default=0),
            lower_bound=lower_bound,
            optimal=optimal,
            method=method,
            placeable_bound=placeable,
        )

    def _shortfalls(
        self, short: list[int], planned: np.ndarray, final: np.ndarray, items: np.ndarray, reviewers: np.ndarray
    ) -> Iterable[Shortfall]:
        """Each short item with why its unused eligible reviewers could take no read of it."""
        if not short:
            return
        readers: dict[int, set[int]] = defaultdict(set)
        side_readers: dict[tuple[int, str], set[int]] = defaultdict(set)  # (group, side) → its readers
        for item, reviewer in zip(items.tolist(), reviewers.tolist(), strict=True):
            readers[item].add(reviewer)
            if self.group_of[item] >= 0:
                side_readers[self.group_of[item], self.side_of[item]].add(reviewer)
        for item in short:
            demand, group = self.demands[item], self.group_of[item]
            other_side = (
                set().union(*(found for (g, side), found in side_readers.items() if g == group and side != demand.side))
                if group >= 0
                else set()
            )
            full = blocked = unplaced = 0
            for reviewer in self.eligible_of(item):
                if reviewer in readers[item]:
                    continue
                if final[reviewer] >= self.ceiling[reviewer]:
                    full += 1
                elif reviewer in other_side:
                    blocked += 1
                else:
                    unplaced += 1
            yield Shortfall(
                demand.key,
                demand.needed,
                int(planned[item]),
                shortfall_reason(demand, int(planned[item]), full=full, blocked=blocked, unplaced=unplaced),
            )


# ---------------------------------------------------------------- 1. the relaxation as network flows


class _Network:
    """The relaxation over a subset of the arcs: node 0 is the source, then items, then reviewers, then the sink."""

    def __init__(self, problem: _Problem, arcs: np.ndarray):
        self.problem, self.arcs = problem, arcs
        self.items, self.reviewers = problem.edge_items[arcs], problem.edge_reviewers[arcs]
        self.sink = 1 + problem.item_count + problem.reviewer_count
        self._max_flow: max_flow.SimpleMaxFlow | None = None

    def _item_node(self, item_index: np.ndarray) -> np.ndarray:
        return 1 + item_index

    def _reviewer_node(self, reviewer_index: np.ndarray) -> np.ndarray:
        return 1 + self.problem.item_count + reviewer_index

    def optimum(self) -> tuple[int, int, np.ndarray]:
        """(most reads placeable, least load cap placing them, flow on each arc of the balanced optimum)."""
        problem = self.problem
        if problem.item_count == 0 or problem.reviewer_count == 0 or len(self.arcs) == 0:
            return 0, 0, np.zeros(len(self.arcs), dtype=np.int64)
        placeable = self.max_flow(int(problem.ceiling.max()))
        cap = self.least_cap(placeable)
        return placeable, cap, self._balanced_flows(placeable, cap)

    def max_flow(self, cap: int) -> int:
        """Reads placeable when nobody's load may exceed ``cap``."""
        problem = self.problem
        if self._max_flow is None:
            solver = max_flow.SimpleMaxFlow()
            items = np.arange(problem.item_count, dtype=np.int64)
            reviewers = np.arange(problem.reviewer_count, dtype=np.int64)
            solver.add_arcs_with_capacity(
                np.zeros(problem.item_count, dtype=np.int64), self._item_node(items), problem.needed
            )
            solver.add_arcs_with_capacity(
                self._item_node(self.items),
                self._reviewer_node(self.reviewers),
                np.ones(len(self.arcs), dtype=np.int64),
            )
            self._sink_arcs = np.asarray(
                solver.add_arcs_with_capacity(
                    self._reviewer_node(reviewers),
                    np.full(problem.reviewer_count, self.sink, dtype=np.int64),
                    np.zeros(problem.reviewer_count, dtype=np.int64),
                )
            )
            self._max_flow = solver
        self._max_flow.set_arcs_capacity(self._sink_arcs, problem.room_under(cap))
        status = self._max_flow.solve(0, self.sink)
        if status != self._max_flow.OPTIMAL:
            raise RuntimeError(f"max-flow solver failed with status {status}")
        return int(self._max_flow.optimal_flow())

    def least_cap(self, reads: int) -> int:
        """The least maximum load that still places ``reads`` reads (flow is monotone in the cap)."""
        if reads == 0 or len(self.arcs) == 0:
            return 0
        low, high = 0, int(self.problem.ceiling.max())
        while low < high:
            middle = (low + high) // 2
            if self.max_flow(middle) >= reads:
                high = middle
            else:
                low = middle + 1
        return high

    def _balanced_flows(self, placeable: int, cap: int) -> np.ndarray:
        problem = self.problem
        solver = min_cost_flow.SimpleMinCostFlow()
        items = np.arange(problem.item_count, dtype=np.int64)
        solver.add_arcs_with_capacity_and_unit_cost(
            np.zeros(problem.item_count, dtype=np.int64),
            self._item_node(items),
            problem.needed,
            np.zeros(problem.item_count, dtype=np.int64),
        )
        edge_arcs = solver.add_arcs_with_capacity_and_unit_cost(
            self._item_node(self.items),
            self._reviewer_node(self.reviewers),
            np.ones(len(self.arcs), dtype=np.int64),
            np.zeros(len(self.arcs), dtype=np.int64),
        )
        # One unit arc per extra read a reviewer may take; the k-th costs (load+k)² − (load+k−1)².
        room = problem.room_under(cap)
        unit_reviewers = np.repeat(np.arange(problem.reviewer_count, dtype=np.int64), room)
        starts = np.cumsum(room) - room
        step = np.arange(len(unit_reviewers), dtype=np.int64) - np.repeat(starts, room) + 1
        load_after = problem.existing[unit_reviewers] + step
        solver.add_arcs_with_capacity_and_unit_cost(
            self._reviewer_node(unit_reviewers),
            np.full(len(unit_reviewers), self.sink, dtype=np.int64),
            np.ones(len(unit_reviewers), dtype=np.int64),
            2 * load_after - 1,
        )
        solver.set_node_supply(0, placeable)
        solver.set_node_supply(self.sink, -placeable)
        status = solver.solve()
        if status != solver.OPTIMAL:
            raise RuntimeError(f"min-cost-flow solver failed with status {status}")
        return np.asarray(solver.flows(np.asarray(edge_arcs)))


# ---------------------------------------------------------------- 2. a plan, its conflicts and exchanges


class _Plan:
    """A plan as sets (reads per item and per reviewer), with the blindness bookkeeping exchanges need."""

    def __init__(self, problem: _Problem, arcs: np.ndarray):
        self.problem = problem
        starts = problem.item_start.tolist()
        # Per item: eligible reviewer → the arc of the pair.
        self.eligible: list[dict[int, int]] = [
            dict(zip(problem.eligible_of(item), range(starts[item], starts[item + 1]), strict=True))
            for item in range(problem.item_count)
        ]
        self.replace(arcs)

    def replace(self, arcs: np.ndarray) -> None:
        problem = self.problem
        self.readers: list[set[int]] = [set() for _ in range(problem.item_count)]
        self.holds: list[set[int]] = [set() for _ in range(problem.reviewer_count)]
        self.sides: dict[tuple[int, int], Counter] = defaultdict(Counter)  # (group, reviewer) → side → reads
        for arc in arcs.tolist():
            self._add(int(problem.edge_items[arc]), int(problem.edge_reviewers[arc]))

    def arcs(self) -> np.ndarray:
        return np.array(
            sorted(self.eligible[item][reviewer] for reviewer, held in enumerate(self.holds) for item in held),
            dtype=np.int64,
        )

    def _add(self, item: int, reviewer: int) -> None:
        self.readers[item].add(reviewer)
        self.holds[reviewer].add(item)
        group = self.problem.group_of[item]
        if group >= 0:
            self.sides[group, reviewer][self.problem.side_of[item]] += 1

    def _remove(self, item: int, reviewer: int) -> None:
        self.readers[item].discard(reviewer)
        self.holds[reviewer].discard(item)
        group = self.problem.group_of[item]
        if group >= 0:
            sides = self.sides[group, reviewer]
            sides[self.problem.side_of[item]] -= 1
            if not sides[self.problem.side_of[item]]:
                del sides[self.problem.side_of[item]]

    def can_take(self, reviewer: int, item: int) -> bool:
        if reviewer not in self.eligible[item] or reviewer in self.readers[item]:
            return False
        group = self.problem.group_of[item]
        if group < 0:
            return True
        sides = self.sides.get((group, reviewer))
        return not sides or set(sides) == {self.problem.side_of[item]}

    def violations(self) -> list[tuple[int, int]]:
        """(group, reviewer) pairs where the reviewer reads two sides of one applicant, in a stable order."""
        return sorted(key for key, sides in self.sides.items() if len(sides) > 1)

    def repair_by_exchanges(self) -> bool:
        """Repair every blindness conflict by load-preserving exchange chains; False if some remain."""
        repaired = True
        for group, reviewer in self.violations():
            repaired = self._repair(group, reviewer) and repaired
        return repaired

    def vacating(self, group: int, reviewer: int) -> list[int]:
        """The reviewer's items of the applicant on every side but the one they hold most of (ties: first side)."""
        sides = self.sides[group, reviewer]
        keep = max(sorted(sides), key=lambda side: sides[side])
        return sorted(
            item
            for item in self.holds[reviewer]
            if self.problem.group_of[item] == group and self.problem.side_of[item] != keep
        )

    def _repair(self, group: int, reviewer: int) -> bool:
        """Move the reviewer's reads off the side where they hold fewer of the applicant's items."""
        if len(self.sides[group, reviewer]) < 2:
            return True  # an earlier chain already moved these reads
        done: list[list[tuple[int, int | None, int]]] = []
        for item in self.vacating(group, reviewer):
            self._remove(item, reviewer)
            chain = self._chain(item, reviewer)
            if chain is None:
                self._add(item, reviewer)
                for moves in reversed(done):
                    self._undo(moves)
                return False
            self._apply(chain)
            done.append(chain)
        return True

    def _chain(self, item: int, giver: int) -> list[tuple[int, int | None, int]] | None:
        """Moves (item, from, to) that give ``item``, just taken from ``giver``, a new reader, every reviewer's
        load unchanged as a multiset (so the maximum and the sum of squares stay the same).

        Breadth first over reviewers: the one who takes a read either passes one
        of theirs on, or ends the chain when their load equals the giver's now
        (they rise to where the giver was), or hands a read back to the giver.
        """
        parent: dict[int, tuple[int | None, int]] = {}
        queue: deque[int] = deque()
        for taker in sorted(self.eligible[item]):
            if taker != giver and self.can_take(taker, item):
                parent[taker] = (None, item)
                queue.append(taker)
        while queue:
            taker = queue.popleft()
            if self._load(taker) == self._load(giver) and self._load(taker) < self.problem.ceiling[taker]:
                return self._moves(parent, taker)
            held = sorted(self.holds[taker])
            handed = next((held_item for held_item in held if self.can_take(giver, held_item)), None)
            if handed is not None:
                return self._moves(parent, taker) + [(handed, taker, giver)]
            for held_item in held:
                for next_taker in sorted(self.eligible[held_item]):
                    if next_taker != giver and next_taker not in parent and self.can_take(next_taker, held_item):
                        parent[next_taker] = (taker, held_item)
                        queue.append(next_taker)
        return None

    def _load(self, reviewer: int) -> int:
        return int(self.problem.existing[reviewer]) + len(self.holds[reviewer])

    @staticmethod
    def _moves(parent: dict, last: int) -> list[tuple[int, int | None, int]]:
        """The moves that reached ``last``, first to last (the first comes from None: the vacated read)."""
        moves = []
        taker = last
        while taker is not None:
            source, taken = parent[taker]
            moves.append((taken, source, taker))
            taker = source
        return moves[::-1]

    def _apply(self, moves: list[tuple[int, int | None, int]]) -> None:
        for item, giver, taker in moves:
            if giver is not None:
                self._remove(item, giver)
            self._add(item, taker)

    def _undo(self, moves: list[tuple[int, int | None, int]]) -> None:
        for item, giver, taker in reversed(moves):
            self._remove(item, taker)
            if giver is not None:
                self._add(item, giver)


# ---------------------------------------------------------------- 3. the exact solve


def _exact(
    problem: _Problem, plan: _Plan, placeable: int, cap: int, relaxed_squares: int
) -> tuple[np.ndarray, bool, bool]:
    """The lexicographic optimum with the blindness constraint, by CP-SAT, starting from the (blind) plan.

    Two solves on one model: the most reads and, among plans placing that
    many, the least maximum load, as one objective in which a read outweighs
    any load; then the least sum of squared loads at those two. Each solve is
    seeded with the best plan so far, so one stopped at its time limit still
    returns a plan at least as good, and is skipped when that plan already
    meets the relaxation's bound. Returns the plan, whether its reads and
    maximum load are proven optimal, and whether all of it is.
    """
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    arc_count = len(problem.edge_items)
    x = [model.new_bool_var(f"x{arc}") for arc in range(arc_count)]
    by_item: list[list[int]] = [[] for _ in range(problem.item_count)]
    by_reviewer: list[list[int]] = [[] for _ in range(problem.reviewer_count)]
    by_group_side: dict[tuple[int, int], dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for arc, (item, reviewer) in enumerate(
        zip(problem.edge_items.tolist(), problem.edge_reviewers.tolist(), strict=True)
    ):
        by_item[item].append(arc)
        by_reviewer[reviewer].append(arc)
        if problem.group_of[item] >= 0:
            by_group_side[problem.group_of[item], reviewer][problem.side_of[item]].append(arc)
    for item, arcs in enumerate(by_item):
        model.add(sum(x[a] for a in arcs) <= int(problem.needed[item]))
    room = problem.room_under(int(problem.ceiling.max(initial=0)))
    for reviewer, arcs in enumerate(by_reviewer):
        model.add(sum(x[a] for a in arcs) <= int(room[reviewer]))
    for sides in by_group_side.values():
        if len(sides) > 1:
            chosen_side = [model.new_bool_var("") for _ in sides]
            for side_var, arcs in zip(chosen_side, sides.values(), strict=True):
                for a in arcs:
                    model.add_implication(x[a], side_var)
            model.add_at_most_one(chosen_side)

    current = set(plan.arcs().tolist())
    floor = int(problem.existing.max(initial=0))
    placed = sum(x)
    loads = [int(problem.existing[r]) + sum(x[a] for a in arcs) for r, arcs in enumerate(by_reviewer)]
    proven = True
    if len(current) < placeable or _max_load(problem, current) > max(cap, floor):
        top = max(int(problem.ceiling.max(initial=0)), floor)
        highest = model.new_int_var(floor, top, "max_load")
        for load in loads:
            model.add(load <= highest)
        model.add(placed <= placeable)
        model.maximize((top - floor + 1) * placed - highest)
        current, proven = _run(model, x, current)
    reads, current_max = len(current), _max_load(problem, current)
    if reads == placeable and current_max == max(cap, floor) and _squares_of(problem, current) == relaxed_squares:
        return np.array(sorted(current), dtype=np.int64), proven, proven
    model.add(placed == reads)
    for load in loads:
        model.add(load <= current_max)
    model.clear_objective()
    model.minimize(_squares(model, problem, by_reviewer, x, current_max))
    current, optimal = _run(model, x, current)
    return np.array(sorted(current), dtype=np.int64), proven, proven and optimal


def _squares(model, problem: _Problem, by_reviewer: list[list[int]], x: list, cap: int):
    """Σ load² as a linear sum: a reviewer's k-th new read costs (existing + k)² − (existing + k − 1)²."""
    terms: list = []
    for reviewer, arcs in enumerate(by_reviewer):
        existing = int(problem.existing[reviewer])
        steps = [model.new_bool_var("") for _ in range(max(0, min(len(arcs), cap - existing)))]
        for earlier, later in pairwise(steps):
            model.add_implication(later, earlier)
        model.add(sum(steps) == sum(x[a] for a in arcs))
        terms.extend((2 * (existing + k) - 1) * step for k, step in enumerate(steps, start=1))
    return sum(terms)


def _run(model, x: list, current: set[int]) -> tuple[set[int], bool]:
    """Solve from the hint ``current``; the arcs of the best plan found, and whether it is proven optimal."""
    from ortools.sat.python import cp_model

    model.clear_hints()
    for arc, var in enumerate(x):
        model.add_hint(var, arc in current)
    solver = cp_model.CpSolver()
    # One worker and a deterministic time limit: the same model always gives the same plan.
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    # The strongest linear relaxation: measured 2-12x faster to prove these plans optimal (docs/assignment.md).
    solver.parameters.linearization_level = 2
    solver.parameters.max_deterministic_time = EXACT_DETERMINISTIC_SECONDS
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return current, False  # stopped before finding a plan of its own: the hint stands, unproven
    return {arc for arc, var in enumerate(x) if solver.boolean_value(var)}, status == cp_model.OPTIMAL


def _final_loads(problem: _Problem, arcs) -> np.ndarray:
    chosen = np.fromiter(arcs, dtype=np.int64)
    return problem.existing + np.bincount(problem.edge_reviewers[chosen], minlength=problem.reviewer_count)


def _max_load(problem: _Problem, arcs) -> int:
    return int(_final_loads(problem, arcs).max(initial=0))


def _squares_of(problem: _Problem, arcs) -> int:
    loads = _final_loads(problem, arcs)
    return int((loads * loads).sum())


# ---------------------------------------------------------------- 4. beyond the exact size


def _forbid_until_blind(problem: _Problem, plan: _Plan) -> None:
    """Forbid each conflicting reviewer the side of the applicant they read less of, solve the flow again and
    repair by exchanges, until no conflict is left (every round removes pairs, so this ends)."""
    allowed = np.ones(len(problem.edge_items), dtype=bool)
    while conflicts := plan.violations():
        before = int(allowed.sum())
        for group, reviewer in conflicts:
            for item in plan.vacating(group, reviewer):
                allowed[plan.eligible[item][reviewer]] = False
        if int(allowed.sum()) == before:
            raise RuntimeError("blindness repair made no progress")  # a conflict always holds a flow arc
        network = _Network(problem, np.flatnonzero(allowed))
        _, _, flows = network.optimum()
        plan.replace(network.arcs[flows > 0])
        plan.repair_by_exchanges()
