"""The order of a reviewer's queue: positions, validity reads spread among the live ones (docs/assignment.md)."""

import random
from collections import Counter
from itertools import pairwise
from math import ceil

from app.assignment.models import Assignment, AssignmentSource
from app.assignment.queue import lay_out
from app.assignment.service import assign_further_readers, auto_assign
from app.calibration.seeding import seeded_reads
from app.cycles.models import Item
from app.extensions import db
from app.scoring import service as scoring
from tests import factories as f


def _validity_places(queue: list[str]) -> list[int]:
    return [place for place, key in enumerate(queue) if key.startswith("V")]


def test_over_many_queues_validity_reads_keep_the_rate_and_are_spread_never_bunched():
    rng = random.Random(20261202)
    checked = 0
    for _ in range(3000):
        rate = rng.choice((0.05, 0.1, 0.15, 0.2, 0.25, 1 / 3))
        live_count = rng.randint(4, 150)
        validity_count = seeded_reads(live_count, rate)
        if validity_count == 0:
            continue
        live = [f"E{n}" for n in range(live_count)]
        validity = [f"V{n}" for n in range(validity_count)]
        queue = lay_out(live, validity, rng)
        total = live_count + validity_count
        assert Counter(queue) == Counter(live + validity)  # every read once, nothing else
        # The share: validity / total is the rate to within the rounding of one read.
        assert abs(validity_count / total - rate) <= 1 / total
        places = _validity_places(queue)
        stretch = total / validity_count  # reads per validity read, at least 2 for a rate of at most 1/2
        # Never two validity reads side by side, and the live reads between two of them at most 2·⌈stretch⌉ − 3.
        gaps = [later - earlier - 1 for earlier, later in pairwise(places)]
        assert all(gap >= 1 for gap in gaps), (total, validity_count, places)
        assert all(gap <= 2 * ceil(stretch) - 3 for gap in gaps), (total, validity_count, places)
        # Neither end is left long without one: the first within the first stretch, the last within the last.
        assert places[0] < ceil(stretch) and places[-1] >= total - ceil(stretch) - 1
        checked += 1
    assert checked > 2500


def test_the_layout_follows_neither_the_ids_nor_the_order_given():
    rng = random.Random(5)
    live = [f"E{n:02}" for n in range(9)]
    where: Counter[int] = Counter()
    first_live_first = 0
    trials = 9000
    for _ in range(trials):
        queue = lay_out(live, ["V0"], rng)
        where[queue.index("V0")] += 1
        first_live_first += queue[0] == "E00"
    # One validity read in a queue of ten: any of the first nine places, about equally often (never the last,
    # the stretch's last place); 1000 expected at each, a binomial standard deviation of about 30.
    assert set(where) == set(range(9))
    assert all(850 <= count <= 1150 for count in where.values()), where
    # The live reads are shuffled: the first one given leads the queue about one time in ten (9/10 · 1/9).
    assert abs(first_live_first / trials - 0.1) < 0.02


def _seeded_cycle(rate: float, live_essays: int, validity_essays: int, reviewers: int, *, qualify: int = 0):
    cycle = f.make_cycle("Spread", readers=1)
    cycle.validity_rate = rate
    cycle.qualify_items = qualify
    cycle.qualify_min_adjacent = 0.5
    people = [f.make_user(email=f"r{n}@example.org", designations="C") for n in range(reviewers)]
    for person in people:
        f.add_member(cycle, person)
    for n in range(live_essays):
        f.make_essay(cycle, f.make_applicant(cycle, applicant_id=f"A{n}"), item_id=f"E-{n:03}")
    for n in range(validity_essays):
        # Ids that sort after every live one: were the queue in id order, they would all come last.
        db.session.add(
            Item(cycle_id=cycle.id, item_id=f"E-9{n:02}", kind="essay", rubric_key="imhm-c-essay", validity=True)
        )
    db.session.commit()
    return cycle, people


def test_auto_assignment_spreads_each_queues_validity_reads_whatever_their_ids(ctx):
    cycle, people = _seeded_cycle(0.1, live_essays=90, validity_essays=12, reviewers=3)
    auto_assign(cycle)
    db.session.commit()
    validity_ids = {f"E-9{n:02}" for n in range(12)}
    for person in people:
        (group,) = scoring.queue_for(person)
        queue = [entry.item_id for entry in group.entries]
        places = [place for place, item_id in enumerate(queue) if item_id in validity_ids]
        # 30 live reads each; 30 · 0.1 / 0.9 = 3.3 → 3 validity reads in a queue of 33: one per 11 reads.
        assert (len(queue), len(places)) == (33, 3)
        assert all(later - earlier >= 2 for earlier, later in pairwise(places))
        assert places[0] < 11 and places[1] - places[0] <= 2 * 11 - 2 and places[2] >= 33 - 12
        live = [item_id for item_id in queue if item_id not in validity_ids]
        assert live != sorted(live)  # shuffled: 1 chance in 30! of coming out sorted


def test_the_qualification_set_leads_the_queue_and_the_rest_is_spread_after_it(ctx):
    cycle, people = _seeded_cycle(0.2, live_essays=40, validity_essays=10, reviewers=2, qualify=2)
    auto_assign(cycle)
    db.session.commit()
    validity_ids = {f"E-9{n:02}" for n in range(10)}
    person = people[0]
    set_ids = (
        db.session.execute(
            db.select(Item.item_id)
            .join(Assignment, Assignment.item_pk == Item.id)
            .where(Assignment.reviewer_id == person.id, Item.validity.is_(True))
            .order_by(Assignment.id)
            .limit(2)
        )
        .scalars()
        .all()
    )
    (group,) = scoring.queue_for(person)
    assert [entry.item_id for entry in group.entries] == set_ids  # only the set until they pass
    cycle.qualify_items = 0  # no set any more: the whole queue shows
    db.session.commit()
    (group,) = scoring.queue_for(person)
    queue = [entry.item_id for entry in group.entries]
    # 20 live reads; at 0.2 the rate asks for 20 · 0.25 = 5 validity reads, the set's two among them.
    assert queue[:2] == set_ids and len(queue) == 25
    rest = [place for place, item_id in enumerate(queue[2:]) if item_id in validity_ids]
    assert len(rest) == 3 and all(later - earlier >= 2 for earlier, later in pairwise(rest))


def test_reads_given_later_go_to_the_end_of_the_queue_and_previous_next_follow_it(ctx):
    cycle = f.make_cycle("Later", readers=1)
    reviewer = f.make_user(designations="C")
    f.add_member(cycle, reviewer)
    first = f.assign(f.make_essay(cycle, f.make_applicant(cycle), item_id="E-5"), reviewer)
    second = f.assign(f.make_essay(cycle, f.make_applicant(cycle), item_id="E-1"), reviewer)
    later = f.make_essay(cycle, f.make_applicant(cycle), item_id="E-3")
    chosen = assign_further_readers([(later, AssignmentSource.THIRD_READER)])
    db.session.commit()
    (group,) = scoring.queue_for(reviewer)
    assert [entry.item_id for entry in group.entries] == ["E-5", "E-1", "E-3"]  # as given, not by id
    around = scoring.neighbours(reviewer, second)
    assert around is not None
    assert (around.position, around.previous.assignment_id, around.next.assignment_id) == (
        2,
        first.id,
        chosen[later.id],
    )


def test_previous_and_next_follow_the_queue_within_the_items_cycle_leaving_out_hidden_applicants(ctx):
    reviewer = f.make_user(designations="C")
    spring, autumn = f.make_cycle("Spring"), f.make_cycle("Autumn")
    hidden = f.make_applicant(spring)
    own = {}
    for item_id, cycle, applicant in (
        ("E-4", spring, f.make_applicant(spring)),
        ("E-2", spring, hidden),
        ("E-9", autumn, f.make_applicant(autumn)),
        ("E-1", spring, f.make_applicant(spring)),
        ("E-7", spring, f.make_applicant(spring)),
    ):
        own[item_id] = f.assign(f.make_essay(cycle, applicant, item_id=item_id), reviewer)
    for position, item_id in enumerate(("E-7", "E-2", "E-4", "E-1"), start=1):  # Spring's queue, as laid out
        own[item_id].position = position
    f.submitted_read(own["E-1"], {})
    f.submitted_read(own["E-7"], {})
    f.make_conflict(reviewer, hidden)  # recorded after assignment: E-2 leaves the queue
    db.session.commit()

    # Spring's queue without E-2: E-7, E-4, E-1 (E-9 is Autumn's, a queue of its own).
    middle = scoring.neighbours(reviewer, own["E-4"])
    assert middle is not None
    assert (middle.position, middle.total, middle.previous.item_id, middle.next.item_id) == (2, 3, "E-7", "E-1")
    assert middle.next_open is None  # E-1 and E-7 are submitted: nothing else to score in Spring
    last = scoring.neighbours(reviewer, own["E-1"])
    assert (last.position, last.next, last.next_open.item_id) == (3, None, "E-4")  # wrapping round to E-4
    assert (last.previous.item_id, last.previous.status, last.next_open.status) == ("E-4", "not_started", "not_started")
    alone = scoring.neighbours(reviewer, own["E-9"])
    assert (alone.position, alone.total, alone.previous, alone.next) == (1, 1, None, None)
    assert scoring.neighbours(reviewer, own["E-2"]) is None
    assert scoring.neighbours(f.make_user(), own["E-4"]) is None  # someone else's read
