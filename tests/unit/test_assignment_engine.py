"""The auto-assignment engine against independent optima: exhaustive search and a hand-written max flow."""
import random
from collections import Counter

import pytest

from app.assignment.engine import ItemDemand, ReviewerCapacity, solve
from tests.unit.assignment_oracle import exhaustive_optimum, least_max_load


def random_instance(rng, n_items, n_reviewers, *, with_loads=True, with_caps=True, density=0.7, max_needed=2):
    reviewers = [ReviewerCapacity(key=100 + k, order=f"r{k:02}@x.org",
                                  load=rng.choice([0, 0, 1, 2]) if with_loads else 0,
                                  max_load=rng.choice([None, None, 1, 2, 3]) if with_caps else None)
                 for k in range(n_reviewers)]
    items = []
    for n in range(n_items):
        eligible = tuple(r.key for r in reviewers if rng.random() < density)
        items.append(ItemDemand(key=f"E{n:02}", needed=rng.randint(1, max_needed), eligible=eligible))
    return reviewers, items


def check_plan_is_valid(reviewers, items, solution):
    by_key = {i.key: i for i in items}
    pairs = Counter(solution.pairs)
    assert all(count == 1 for count in pairs.values()), "a reviewer placed twice on one item"
    per_item = Counter(item for item, _ in solution.pairs)
    for item_key, reviewer_key in solution.pairs:
        assert reviewer_key in by_key[item_key].eligible
    for item in items:
        assert per_item[item.key] <= item.needed
    new = Counter(reviewer for _, reviewer in solution.pairs)
    for r in reviewers:
        assert solution.loads[r.key] == r.load + new[r.key]
        if r.max_load is not None and new[r.key]:
            assert solution.loads[r.key] <= r.max_load
    short = {s.item_key: s for s in solution.shortfalls}
    for item in items:
        if per_item[item.key] < item.needed:
            assert short[item.key].planned == per_item[item.key]
        else:
            assert item.key not in short


# ---------------------------------------------------------------- optimality

@pytest.mark.parametrize("seed", range(60))
def test_matches_exhaustive_search_on_small_instances(seed):
    rng = random.Random(seed)
    reviewers, items = random_instance(rng, rng.randint(1, 4), rng.randint(1, 4))
    solution = solve(reviewers, items)
    check_plan_is_valid(reviewers, items, solution)
    placed, worst, squares = exhaustive_optimum(reviewers, items)
    assert len(solution.pairs) == placed
    assert solution.max_load == worst
    assert sum(v * v for v in solution.loads.values()) == squares  # evenly spread at that maximum


@pytest.mark.parametrize("seed", range(15))
def test_max_load_matches_independent_max_flow_on_medium_instances(seed):
    rng = random.Random(1000 + seed)
    reviewers, items = random_instance(rng, rng.randint(10, 30), rng.randint(3, 8), with_caps=seed % 2 == 0,
                                       density=rng.choice([0.3, 0.6, 0.9]), max_needed=3)
    reviewers = [r if r.max_load is None else ReviewerCapacity(r.key, r.order, r.load, r.max_load + 5)
                 for r in reviewers]
    solution = solve(reviewers, items)
    check_plan_is_valid(reviewers, items, solution)
    placed, worst = least_max_load(reviewers, items)
    assert len(solution.pairs) == placed
    assert solution.max_load == worst


def test_even_spread_by_hand():
    # 6 items × 2 reads over 4 reviewers who may all read everything: 12 reads → 3 each.
    reviewers = [ReviewerCapacity(key=k, order=f"r{k}") for k in range(4)]
    items = [ItemDemand(key=f"E{n}", needed=2, eligible=(0, 1, 2, 3)) for n in range(6)]
    solution = solve(reviewers, items)
    assert sorted(solution.loads.values()) == [3, 3, 3, 3]
    assert len(solution.pairs) == 12


def test_existing_loads_count():
    # Reviewer 0 already holds 4; the 4 new reads go to the others (2 + 2), and the max stays 4.
    reviewers = [ReviewerCapacity(key=0, order="a", load=4), ReviewerCapacity(key=1, order="b"),
                 ReviewerCapacity(key=2, order="c")]
    items = [ItemDemand(key=f"E{n}", needed=2, eligible=(0, 1, 2)) for n in range(2)]
    solution = solve(reviewers, items)
    assert solution.loads == {0: 4, 1: 2, 2: 2}
    assert solution.max_load == 4


def test_caps_are_respected_even_when_it_raises_others():
    # 4 items × 1 read; reviewer 0 capped at 1: the other reviewer must take 3.
    reviewers = [ReviewerCapacity(key=0, order="a", max_load=1), ReviewerCapacity(key=1, order="b")]
    items = [ItemDemand(key=f"E{n}", needed=1, eligible=(0, 1)) for n in range(4)]
    solution = solve(reviewers, items)
    assert solution.loads == {0: 1, 1: 3}
    assert solution.shortfalls == ()


def test_a_scarce_designation_drives_the_maximum():
    # Two RF essays × 2 reads have only reviewers 0 and 1; 6 plain items share all four reviewers.
    reviewers = [ReviewerCapacity(key=k, order=f"r{k}") for k in range(4)]
    items = [ItemDemand(key=f"RF{n}", needed=2, eligible=(0, 1), designation="RF") for n in range(2)]
    items += [ItemDemand(key=f"E{n}", needed=1, eligible=(0, 1, 2, 3)) for n in range(6)]
    solution = solve(reviewers, items)
    # 10 reads over 4 people → at least 3; RF readers already hold 2 each, so 3/3/2/2 is the even optimum.
    assert solution.max_load == 3
    assert sorted(solution.loads.values()) == [2, 2, 3, 3]


# ---------------------------------------------------------------- infeasible items

def test_too_few_eligible_reviewers_is_reported_and_partly_filled():
    reviewers = [ReviewerCapacity(key=k, order=f"r{k}") for k in range(3)]
    items = [ItemDemand(key="E17", needed=2, eligible=(1,), designation="RF",
                        exclusions=(("not designated to score RF essays", 2),)),
             ItemDemand(key="E18", needed=2, eligible=(0, 1, 2))]
    solution = solve(reviewers, items)
    assert ("E17", 1) in solution.pairs
    assert [s.item_key for s in solution.shortfalls] == ["E17"]
    shortfall = solution.shortfalls[0]
    assert (shortfall.wanted, shortfall.planned) == (2, 1)
    assert shortfall.reason.startswith("E17: only 1 eligible reviewer for designation RF")
    assert "2 not designated to score RF essays" in shortfall.reason


def test_no_eligible_reviewer_is_reported():
    solution = solve([ReviewerCapacity(key=1, order="a")], [ItemDemand(key="E1", needed=2, eligible=())])
    assert solution.pairs == ()
    assert solution.shortfalls[0].reason.startswith("E1: no eligible reviewers")


def test_capacity_shortage_is_reported_per_item():
    reviewers = [ReviewerCapacity(key=0, order="a", max_load=1), ReviewerCapacity(key=1, order="b", max_load=1)]
    items = [ItemDemand(key=f"E{n}", needed=2, eligible=(0, 1)) for n in range(2)]
    solution = solve(reviewers, items)
    assert len(solution.pairs) == 2
    assert sum(s.wanted - s.planned for s in solution.shortfalls) == 2
    assert all("maximum load" in s.reason for s in solution.shortfalls)


def test_no_reviewers_at_all():
    solution = solve([], [ItemDemand(key="E1", needed=1, eligible=())])
    assert solution.pairs == () and solution.max_load == 0 and len(solution.shortfalls) == 1


# ---------------------------------------------------------------- determinism and input checks

def test_same_plan_twice_and_independent_of_input_order():
    rng = random.Random(7)
    reviewers, items = random_instance(rng, 40, 10, density=0.5)
    first = solve(reviewers, items)
    assert solve(reviewers, items) == first
    shuffled_reviewers, shuffled_items = reviewers[:], [
        ItemDemand(i.key, i.needed, tuple(rng.sample(i.eligible, len(i.eligible))), i.designation) for i in items]
    rng.shuffle(shuffled_reviewers)
    rng.shuffle(shuffled_items)
    assert solve(shuffled_reviewers, shuffled_items) == first


def test_items_needing_nothing_are_ignored():
    solution = solve([ReviewerCapacity(key=1, order="a")], [ItemDemand(key="E1", needed=0, eligible=(1,))])
    assert solution.pairs == () and solution.shortfalls == ()


def test_unknown_eligible_reviewer_is_refused():
    with pytest.raises(ValueError, match="item E1: eligible reviewers \\[9\\] are not in the pool"):
        solve([ReviewerCapacity(key=1, order="a")], [ItemDemand(key="E1", needed=1, eligible=(9,))])


def test_large_instance_fills_everything_evenly():
    """A scale check without a timing assertion (the benchmark times it)."""
    rng = random.Random(3)
    reviewers = [ReviewerCapacity(key=k, order=f"r{k:03}") for k in range(60)]
    items = [ItemDemand(key=f"E{n:04}", needed=2, eligible=tuple(k for k in range(60) if rng.random() < 0.8))
             for n in range(1500)]
    solution = solve(reviewers, items)
    assert len(solution.pairs) == 3000 and solution.shortfalls == ()
    assert solution.max_load == 50  # 3000 / 60, and the density leaves every reviewer room
    assert min(solution.loads.values()) == 50
