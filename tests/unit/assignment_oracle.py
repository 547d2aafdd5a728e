"""Independent references for the assignment tests: exhaustive search and a hand-written max flow.

Neither calls the engine or OR-Tools; they take the engine's plain input types only.
"""
import itertools
from collections import Counter, deque


def exhaustive_optimum(reviewers, items):
    """(most reads placeable, least max load placing them, least sum of squared loads at that max) by brute force."""
    options = []
    for item in items:
        subsets = [combo for size in range(min(item.needed, len(item.eligible)) + 1)
                   for combo in itertools.combinations(item.eligible, size)]
        options.append(subsets)
    caps = {r.key: r.max_load for r in reviewers}
    best = None
    for choice in itertools.product(*options):
        loads = Counter({r.key: r.load for r in reviewers})
        new = Counter(key for combo in choice for key in combo)
        if any(caps[key] is not None and loads[key] + count > caps[key] for key, count in new.items()):
            continue
        loads.update(new)
        placed = sum(new.values())
        worst = max(loads.values(), default=0)
        squares = sum(value * value for value in loads.values())
        candidate = (-placed, worst, squares)
        best = candidate if best is None or candidate < best else best
    return -best[0], best[1], best[2]


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
