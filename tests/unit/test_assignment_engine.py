"""The auto-assignment engine against independent optima: exhaustive search, a hand-written max flow and a
mixed-integer program solved by HiGHS; with and without blindness across items."""

import random
from collections import Counter, defaultdict

import pytest

from app.assignment.engine import EXACT_SIZE, ItemDemand, ReviewerCapacity, solve
from app.assignment.one_read import METHOD as ONE_READ
from app.assignment.solver import optimal_plan
from tests.unit.assignment_oracle import exhaustive_optimum, least_max_load, milp_optimum


def random_instance(rng, n_items, n_reviewers, *, with_loads=True, with_caps=True, density=0.7, max_needed=2):
    reviewers = [
        ReviewerCapacity(
            key=100 + k,
            order=f"r{k:02}@x.org",
            load=rng.choice([0, 0, 1, 2]) if with_loads else 0,
            max_load=rng.choice([None, None, 1, 2, 3]) if with_caps else None,
        )
        for k in range(n_reviewers)
    ]
    items = []
    for n in range(n_items):
        eligible = tuple(r.key for r in reviewers if rng.random() < density)
        items.append(ItemDemand(key=f"E{n:02}", needed=rng.randint(1, max_needed), eligible=eligible))
    return reviewers, items


def blind_instance(rng, n_items, n_reviewers, *, density=0.5, cap_share=0.4, max_cap=5):
    """Applicants with a portfolio (2 reads) and zero to two essays (2 reads each), drawn from overlapping pools."""
    reviewers = [
        ReviewerCapacity(
            key=100 + k,
            order=f"r{k:02}@x.org",
            load=rng.choice([0, 0, 1, 2]),
            max_load=rng.randint(1, max_cap) if rng.random() < cap_share else None,
        )
        for k in range(n_reviewers)
    ]
    items = []
    applicant = 0
    while len(items) < n_items:
        applicant += 1
        portfolio_pool = tuple(r.key for r in reviewers if rng.random() < density)
        items.append(ItemDemand(f"APP-{applicant:03}", 2, portfolio_pool, applicant=str(applicant), side="portfolio"))
        essay_pool = [r.key for r in reviewers if rng.random() < density]
        for n in range(rng.choice([0, 1, 2, 2])):
            items.append(
                ItemDemand(
                    f"E{applicant:03}-{n}",
                    2,
                    tuple(k for k in essay_pool if rng.random() < 0.9),
                    applicant=str(applicant),
                    side="essays",
                )
            )
    return reviewers, items[:n_items]


def objective(solution):
    return len(solution.pairs), solution.max_load, sum(v * v for v in solution.loads.values())


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
    sides = defaultdict(set)
    for item_key, reviewer_key in solution.pairs:
        if by_key[item_key].applicant is not None:
            sides[by_key[item_key].applicant, reviewer_key].add(by_key[item_key].side)
    assert all(len(found) == 1 for found in sides.values()), "a reviewer reads both sides of an applicant"


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
    reviewers, items = random_instance(
        rng,
        rng.randint(10, 30),
        rng.randint(3, 8),
        with_caps=seed % 2 == 0,
        density=rng.choice([0.3, 0.6, 0.9]),
        max_needed=3,
    )
    reviewers = [
        r if r.max_load is None else ReviewerCapacity(r.key, r.order, r.load, r.max_load + 5) for r in reviewers
    ]
    solution = solve(reviewers, items)
    check_plan_is_valid(reviewers, items, solution)
    placed, worst = least_max_load(reviewers, items)
    assert len(solution.pairs) == placed
    assert solution.max_load == worst


@pytest.mark.parametrize("seed", range(60))
def test_blindness_matches_exhaustive_search_on_tiny_instances(seed):
    rng = random.Random(5000 + seed)
    reviewers, items = blind_instance(rng, rng.randint(2, 5), rng.randint(2, 4), density=rng.choice([0.5, 0.8, 1]))
    solution = solve(reviewers, items)
    check_plan_is_valid(reviewers, items, solution)
    assert objective(solution) == exhaustive_optimum(reviewers, items)
    assert solution.optimal


@pytest.mark.parametrize("seed", range(25))
def test_blindness_matches_an_independent_milp_on_small_instances(seed):
    rng = random.Random(7000 + seed)
    reviewers, items = blind_instance(
        rng, rng.randint(10, 40), rng.randint(4, 10), density=rng.choice([0.25, 0.4, 0.6, 0.9]), max_cap=8
    )
    solution = solve(reviewers, items)
    check_plan_is_valid(reviewers, items, solution)
    assert objective(solution) == milp_optimum(reviewers, items)
    assert solution.optimal and solution.lower_bound <= solution.max_load


def test_blindness_by_hand_costs_a_read():
    # One applicant, three reviewers who may read everything: the portfolio takes two of them, so the
    # essay keeps only the third (the relaxation would give the essay two readers).
    reviewers = [ReviewerCapacity(key=k, order=f"r{k}") for k in range(3)]
    items = [
        ItemDemand("APP-1", 2, (0, 1, 2), applicant="1", side="portfolio"),
        ItemDemand("E1", 2, (0, 1, 2), applicant="1", side="essays"),
    ]
    solution = solve(reviewers, items)
    check_plan_is_valid(reviewers, items, solution)
    assert len(solution.pairs) == 3 and solution.optimal
    assert solution.placeable_bound == 4  # what the relaxation would place
    short = solution.shortfalls[0]
    assert (short.wanted, short.planned) == (2, 1)
    other = {"E1": "portfolio", "APP-1": "essays"}[short.item_key]
    assert short.reason == (
        f"{short.item_key}: needs 1 more read: 2 eligible reviewers read this applicant's {other} in this plan"
    )


def test_blindness_is_free_when_exchanges_fix_the_relaxed_plan():
    # Two applicants, each a portfolio and an essay, four reviewers: 8 reads, 2 each, every one blind.
    reviewers = [ReviewerCapacity(key=k, order=f"r{k}") for k in range(4)]
    items = []
    for a in "12":
        items += [
            ItemDemand(f"APP-{a}", 2, (0, 1, 2, 3), applicant=a, side="portfolio"),
            ItemDemand(f"E{a}", 2, (0, 1, 2, 3), applicant=a, side="essays"),
        ]
    solution = solve(reviewers, items)
    check_plan_is_valid(reviewers, items, solution)
    assert sorted(solution.loads.values()) == [2, 2, 2, 2] and solution.optimal and solution.gap == 0


def test_items_without_an_applicant_group_are_unconstrained():
    reviewers = [ReviewerCapacity(key=k, order=f"r{k}") for k in range(2)]
    items = [ItemDemand("APP-1", 2, (0, 1)), ItemDemand("E1", 2, (0, 1))]
    assert len(solve(reviewers, items).pairs) == 4


def test_past_the_exact_size_the_plan_is_blind_and_reports_its_bound():
    rng = random.Random(11)
    reviewers, items = blind_instance(rng, 60, 8, density=0.5, cap_share=0, max_cap=5)
    exact = solve(reviewers, items)
    fallback = solve(reviewers, items, exact_size=0)
    check_plan_is_valid(reviewers, items, fallback)
    assert fallback.lower_bound <= exact.max_load <= fallback.max_load
    assert fallback.optimal == (fallback.method != "flow, pairs forbidden")
    assert len(fallback.pairs) <= exact.placeable_bound


def test_even_spread_by_hand():
    # 6 items × 2 reads over 4 reviewers who may all read everything: 12 reads → 3 each.
    reviewers = [ReviewerCapacity(key=k, order=f"r{k}") for k in range(4)]
    items = [ItemDemand(key=f"E{n}", needed=2, eligible=(0, 1, 2, 3)) for n in range(6)]
    solution = solve(reviewers, items)
    assert sorted(solution.loads.values()) == [3, 3, 3, 3]
    assert len(solution.pairs) == 12


def test_existing_loads_count():
    # Reviewer 0 already holds 4; the 4 new reads go to the others (2 + 2), and the max stays 4.
    reviewers = [
        ReviewerCapacity(key=0, order="a", load=4),
        ReviewerCapacity(key=1, order="b"),
        ReviewerCapacity(key=2, order="c"),
    ]
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
    items = [ItemDemand(key=f"RF{n}", needed=2, eligible=(0, 1), holds="designation RF") for n in range(2)]
    items += [ItemDemand(key=f"E{n}", needed=1, eligible=(0, 1, 2, 3)) for n in range(6)]
    solution = solve(reviewers, items)
    # 10 reads over 4 people → at least 3; RF readers already hold 2 each, so 3/3/2/2 is the even optimum.
    assert solution.max_load == 3
    assert sorted(solution.loads.values()) == [2, 2, 3, 3]


# ---------------------------------------------------------------- infeasible items


def test_too_few_eligible_reviewers_is_reported_and_partly_filled():
    reviewers = [ReviewerCapacity(key=k, order=f"r{k}") for k in range(3)]
    items = [
        ItemDemand(
            key="E17",
            needed=2,
            eligible=(1,),
            holds="designation RF",
            exclusions=(("not designated to score RF essays", 2),),
        ),
        ItemDemand(key="E18", needed=2, eligible=(0, 1, 2)),
    ]
    solution = solve(reviewers, items)
    assert ("E17", 1) in solution.pairs
    assert [s.item_key for s in solution.shortfalls] == ["E17"]
    shortfall = solution.shortfalls[0]
    assert (shortfall.wanted, shortfall.planned) == (2, 1)
    assert shortfall.reason == (
        "E17: needs 1 more read: only 1 eligible reviewer holds designation RF; "
        "not eligible: 2 not designated to score RF essays"
    )


def test_no_eligible_reviewer_is_reported():
    solution = solve([ReviewerCapacity(key=1, order="a")], [ItemDemand(key="E1", needed=2, eligible=())])
    assert solution.pairs == ()
    assert solution.shortfalls[0].reason == "E1: needs 2 more reads: no eligible reviewer"


def test_capacity_shortage_is_reported_per_item():
    reviewers = [ReviewerCapacity(key=0, order="a", max_load=1), ReviewerCapacity(key=1, order="b", max_load=1)]
    items = [ItemDemand(key=f"E{n}", needed=2, eligible=(0, 1)) for n in range(2)]
    solution = solve(reviewers, items)
    assert len(solution.pairs) == 2
    assert sum(s.wanted - s.planned for s in solution.shortfalls) == 2
    words = {1: "1 more read: 1 eligible reviewer is", 2: "2 more reads: 2 eligible reviewers are"}
    for s in solution.shortfalls:
        assert s.reason == f"{s.item_key}: needs {words[s.wanted - s.planned]} at maximum load"


def test_no_reviewers_at_all():
    solution = solve([], [ItemDemand(key="E1", needed=1, eligible=())])
    assert solution.pairs == () and solution.max_load == 0 and len(solution.shortfalls) == 1


# ---------------------------------------------------------------- determinism and input checks


def test_same_plan_twice_and_independent_of_input_order():
    rng = random.Random(7)
    reviewers, items = random_instance(rng, 40, 10, density=0.5)
    first = solve(reviewers, items)
    assert solve(reviewers, items) == first
    shuffled_reviewers, shuffled_items = (
        reviewers[:],
        [ItemDemand(i.key, i.needed, tuple(rng.sample(i.eligible, len(i.eligible))), i.holds) for i in items],
    )
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
    items = [
        ItemDemand(key=f"E{n:04}", needed=2, eligible=tuple(k for k in range(60) if rng.random() < 0.8))
        for n in range(1500)
    ]
    solution = solve(reviewers, items)
    assert len(solution.pairs) == 3000 and solution.shortfalls == ()
    assert solution.max_load == 50  # 3000 / 60, and the density leaves every reviewer room
    assert min(solution.loads.values()) == 50


@pytest.mark.parametrize("seed, method", [(0, "exchanges"), (2, "exact")])
def test_blind_plan_is_the_same_twice_and_in_any_order(seed, method):
    rng = random.Random(seed)
    reviewers, items = blind_instance(rng, 40, 12, density=0.6, cap_share=0)
    first = solve(reviewers, items)
    assert first.method == method  # each way of reaching the plan is covered
    assert solve(reviewers, items) == first
    shuffled_reviewers = reviewers[:]
    shuffled_items = [
        ItemDemand(
            i.key, i.needed, tuple(rng.sample(i.eligible, len(i.eligible))), i.holds, applicant=i.applicant, side=i.side
        )
        for i in items
    ]
    rng.shuffle(shuffled_reviewers)
    rng.shuffle(shuffled_items)
    assert solve(shuffled_reviewers, shuffled_items) == first


# ---------------------------------------------------------------- one read per item (further readers)


def general_plan(reviewers, items):
    """The flow-and-CP-SAT solver on its own, without the one-read path in front of it."""
    pool = sorted(reviewers, key=lambda r: (r.order, r.key))
    return optimal_plan(pool, sorted((d for d in items if d.needed > 0), key=lambda d: d.key), EXACT_SIZE)


@pytest.mark.parametrize("seed", range(40))
def test_one_read_each_matches_exhaustive_search(seed):
    rng = random.Random(9000 + seed)
    reviewers, items = random_instance(rng, rng.randint(1, 5), rng.randint(1, 4), max_needed=1)
    solution = solve(reviewers, items)
    check_plan_is_valid(reviewers, items, solution)
    assert objective(solution) == exhaustive_optimum(reviewers, items)


def test_one_read_each_matches_the_general_solver_on_random_instances():
    taken = 0
    for seed in range(150):
        rng = random.Random(11000 + seed)
        reviewers, items = random_instance(
            rng,
            rng.randint(5, 60),
            rng.randint(2, 12),
            max_needed=1,
            density=rng.choice([0.2, 0.5, 0.9]),
            with_caps=seed % 3 == 0,
        )
        solution = solve(reviewers, items)
        check_plan_is_valid(reviewers, items, solution)
        general = general_plan(reviewers, items)
        assert objective(solution) == objective(general), seed
        assert sorted(solution.loads.values()) == sorted(general.loads.values()), seed
        assert (solution.lower_bound, solution.optimal) == (general.lower_bound, general.optimal), seed
        taken += solution.method == ONE_READ
    assert taken >= 60  # the rest have shortfalls or caps that need moving reads: the general solver plans them


def test_one_read_each_hands_a_read_on_along_a_chain():
    # In key order E1 goes to A (A and B both idle, A first), then E2 can only go to A: A holds 2, B none.
    # The chain gives E1 to B instead: loads 1 and 1.
    a, b = ReviewerCapacity(key=1, order="a"), ReviewerCapacity(key=2, order="b")
    solution = solve([a, b], [ItemDemand("E1", 1, (1, 2)), ItemDemand("E2", 1, (1,))])
    assert solution.pairs == (("E1", 2), ("E2", 1)) and solution.method == ONE_READ
    assert solution.max_load == solution.lower_bound == 1 and solution.optimal


def test_one_read_each_leaves_what_it_cannot_prove_to_the_general_solver():
    a, b = ReviewerCapacity(key=1, order="a", max_load=1), ReviewerCapacity(key=2, order="b", max_load=1)
    # Least loaded first gives E1 to A, and E2 (only A may read it) finds A full; moving E1 to B places both.
    placed = solve([a, b], [ItemDemand("E1", 1, (1, 2)), ItemDemand("E2", 1, (1,))])
    assert placed.pairs == (("E1", 2), ("E2", 1)) and placed.method != ONE_READ
    # Least loaded first gives both sides of applicant 1 to the idle A; blindness needs B on one of them.
    busy = ReviewerCapacity(key=2, order="b", load=3)
    blind = solve(
        [ReviewerCapacity(key=1, order="a"), busy],
        [
            ItemDemand("APP-1", 1, (1, 2), applicant="1", side="portfolio"),
            ItemDemand("E1", 1, (1, 2), applicant="1", side="essays"),
        ],
    )
    assert {reviewer for _, reviewer in blind.pairs} == {1, 2} and blind.method != ONE_READ


def test_one_read_plan_is_the_same_in_any_order():
    rng = random.Random(5)
    reviewers, items = random_instance(rng, 50, 10, density=0.4, max_needed=1, with_caps=False)
    first = solve(reviewers, items)
    assert first.method == ONE_READ
    shuffled_reviewers = reviewers[:]
    shuffled_items = [ItemDemand(i.key, i.needed, tuple(rng.sample(i.eligible, len(i.eligible)))) for i in items]
    rng.shuffle(shuffled_reviewers)
    rng.shuffle(shuffled_items)
    assert solve(shuffled_reviewers, shuffled_items) == first
