"""Independent references for the assignment tests: exhaustive search, a hand-written max flow, and a
mixed-integer program solved by HiGHS (through SciPy).

None calls the engine or OR-Tools; they take the engine's plain input types only.
"""

import itertools
from collections import Counter, defaultdict, deque

import numpy as np


def exhaustive_optimum(reviewers, items):
    """(most reads placeable, least max load placing them, least sum of squared loads at that max) by brute force."""
    options = []
    for item in items:
        subsets = [
            combo
            for size in range(min(item.needed, len(item.eligible)) + 1)
            for combo in itertools.combinations(item.eligible, size)
        ]
        options.append(subsets)
    caps = {r.key: r.max_load for r in reviewers}
    best = None
    for choice in itertools.product(*options):
        loads = Counter({r.key: r.load for r in reviewers})
        new = Counter(key for combo in choice for key in combo)
        if any(caps[key] is not None and loads[key] + count > caps[key] for key, count in new.items()):
            continue
        if not _blind(items, choice):
            continue
        loads.update(new)
        placed = sum(new.values())
        worst = max(loads.values(), default=0)
        squares = sum(value * value for value in loads.values())
        candidate = (-placed, worst, squares)
        best = candidate if best is None or candidate < best else best
    return -best[0], best[1], best[2]


def _blind(items, choice) -> bool:
    """No reviewer reads two sides (portfolio, essays) of one applicant."""
    sides = defaultdict(set)
    for item, combo in zip(items, choice, strict=True):
        if item.applicant is not None:
            for key in combo:
                sides[item.applicant, key].add(item.side)
    return all(len(found) == 1 for found in sides.values())


def milp_optimum(reviewers, items):
    """(most reads, least max load, least sum of squared loads) with blindness, each proven by HiGHS.

    Binary variables: one per eligible (item, reviewer) pair; one per (applicant, reviewer, side) saying the
    reviewer reads that side; one per possible extra read of each reviewer (the k-th costs (load + k)² − (load
    + k − 1)², so the cheapest are used first and their sum is the load's square). One integer: the maximum load.
    """
    from scipy.optimize import Bounds, LinearConstraint, milp

    arcs = [(n, item, r) for n, item in enumerate(items) for r in item.eligible]
    sides = sorted({(item.applicant, r, item.side) for _, item, r in arcs if item.applicant is not None})
    at_least = max([r.load for r in reviewers], default=0)
    top = at_least + sum(item.needed for item in items)
    steps = [(r, k) for r in reviewers for k in range(1, top - r.load + 1)]
    side_at = {key: len(arcs) + n for n, key in enumerate(sides)}
    step_at = len(arcs) + len(sides)
    highest = step_at + len(steps)
    size = highest + 1
    rows, lows, highs = [], [], []

    def constraint(terms, low, high):
        row = np.zeros(size)
        for position, value in terms:
            row[position] += value
        rows.append(row)
        lows.append(low)
        highs.append(high)

    for n, item in enumerate(items):
        constraint([(a, 1) for a, (i, _, _) in enumerate(arcs) if i == n], 0, item.needed)
    for r in reviewers:
        mine = [(a, 1) for a, (_, _, key) in enumerate(arcs) if key == r.key]
        room = np.inf if r.max_load is None else max(0, r.max_load - r.load)
        constraint(mine, 0, room)
        constraint(mine + [(highest, -1)], -np.inf, -r.load)  # load ≤ the maximum
        constraint(mine + [(step_at + s, -1) for s, (owner, _) in enumerate(steps) if owner is r], 0, 0)
    for a, (_, item, r) in enumerate(arcs):
        if item.applicant is not None:
            constraint([(a, 1), (side_at[item.applicant, r, item.side], -1)], -np.inf, 0)
    for applicant, r in {(applicant, r) for applicant, r, _ in sides}:
        constraint([(side_at[key], 1) for key in sides if key[:2] == (applicant, r)], 0, 1)
    bounds = Bounds(np.zeros(size), np.concatenate([np.ones(highest), [np.inf]]))

    def optimum(objective, fixed=()):
        extra = [(np.asarray(row), value, value) for row, value in fixed]
        result = milp(
            objective,
            integrality=np.ones(size),
            bounds=bounds,
            constraints=LinearConstraint(
                np.array(rows + [row for row, _, _ in extra]),
                lows + [low for _, low, _ in extra],
                highs + [high for _, _, high in extra],
            ),
        )
        assert result.status == 0, result.message
        return round(result.fun)

    reads = np.zeros(size)
    reads[: len(arcs)] = 1
    placed = -optimum(-reads)
    maximum = np.zeros(size)
    maximum[highest] = 1
    worst = max(optimum(maximum, [(reads, placed)]), at_least)
    costs = np.zeros(size)
    for s, (r, k) in enumerate(steps):
        costs[step_at + s] = 2 * (r.load + k) - 1
    bounds.ub[highest] = worst
    squares = sum(r.load**2 for r in reviewers) + optimum(costs, [(reads, placed)])
    return placed, worst, squares


def max_flow_placeable(reviewers, items, cap_all):
    """Reads placeable when nobody's load may exceed ``cap_all`` (and their own max_load): BFS augmenting paths."""
    source, sink = "s", "t"
    capacity = Counter()
    edges = {source: set(), sink: set()}

    def add(a, b, c):
        capacity[(a, b)] += c
        edges.setdefault(a, set()).add(b)
        edges.setdefault(b, set()).add(a)

    for item in items:
        add(source, ("i", item.key), item.needed)
        for key in item.eligible:
            add(("i", item.key), ("r", key), 1)
    for r in reviewers:
        limit = cap_all if r.max_load is None else min(cap_all, r.max_load)
        add(("r", r.key), sink, max(0, limit - r.load))
    flow = 0
    while True:
        parent = {source: None}
        queue = deque([source])
        while queue and sink not in parent:
            node = queue.popleft()
            for nxt in sorted(edges[node], key=repr):
                if nxt not in parent and capacity[(node, nxt)] > 0:
                    parent[nxt] = node
                    queue.append(nxt)
        if sink not in parent:
            return flow
        node = sink
        while parent[node] is not None:
            capacity[(parent[node], node)] -= 1
            capacity[(node, parent[node])] += 1
            node = parent[node]
        flow += 1


def least_max_load(reviewers, items):
    top = max([r.load for r in reviewers] + [0]) + sum(i.needed for i in items)
    most = max_flow_placeable(reviewers, items, top)
    cap = 0
    while max_flow_placeable(reviewers, items, cap) < most:
        cap += 1
    return most, max(cap, max([r.load for r in reviewers], default=0))
