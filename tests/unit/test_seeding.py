"""Seeding validity essays into reviewers' queues at the cycle's validity rate."""

import random

import pytest

from app.assignment.models import Assignment
from app.assignment.service import auto_assign
from app.calibration.seeding import SeedReviewer, seed, seeded_reads
from app.cycles.models import Item
from app.extensions import db
from app.people.models import User
from tests import factories as f


def test_seeded_reads_make_up_the_rate_of_the_queue_rounded_to_the_nearest_read():
    # 0.1 of the queue: v / (v + live) = 0.1, so v = live / 9.
    assert [seeded_reads(live, 0.1) for live in (0, 4, 5, 9, 13, 14, 90)] == [0, 0, 1, 1, 1, 2, 10]
    assert seeded_reads(30, 0.25) == 10 and seeded_reads(10, 0) == 0
    with pytest.raises(ValueError, match="between 0 and 0.5"):
        seeded_reads(10, 0.6)


def test_the_rate_holds_within_rounding_over_many_queues_and_the_essays_are_read_evenly():
    rng = random.Random(7)
    essays = [f"V{n}" for n in range(40)]
    reviewers = [
        SeedReviewer(key, live_reads=rng.randint(3, 80), validity_reads=0, room=None, eligible=tuple(essays))
        for key in range(300)
    ]
    picks = seed(reviewers, 0.1, {})
    per_reviewer: dict[int, list[str]] = {}
    for key, essay in picks:
        per_reviewer.setdefault(key, []).append(essay)
    total_live = total_validity = 0
    for reviewer in reviewers:
        mine = per_reviewer.get(reviewer.key, [])
        assert len(mine) == len(set(mine))  # never the same essay twice
        queue = reviewer.live_reads + len(mine)
        assert abs(len(mine) - reviewer.live_reads / 9) <= 0.5  # the nearest whole read
        assert abs(len(mine) / queue - 0.1) <= 0.5 / queue + 1e-9
        total_live += reviewer.live_reads
        total_validity += len(mine)
    assert total_validity / (total_live + total_validity) == pytest.approx(0.1, abs=0.005)
    reads = [sum(1 for _, essay in picks if essay == key) for key in essays]
    assert max(reads) - min(reads) <= 1


def test_seeding_tops_up_within_the_maximum_load_and_only_with_essays_the_reviewer_may_read():
    reviewers = [
        SeedReviewer(1, live_reads=18, validity_reads=1, room=None, eligible=("V1", "V2", "V3")),
        SeedReviewer(2, live_reads=36, validity_reads=0, room=2, eligible=("V1", "V2", "V3", "V4")),
        SeedReviewer(3, live_reads=27, validity_reads=0, room=None, eligible=("V4",)),
    ]
    picks = seed(reviewers, 0.1, {"V1": 5})
    # 1 wants 18/9 = 2, holds 1: one more, the least read of its three (V2). 2 wants 4 but has room for 2: the
    # least read are then V3 and V4 (V1 five reads, V2 one). 3 wants 3, but may read only V4.
    assert picks == [(1, "V2"), (2, "V3"), (2, "V4"), (3, "V4")]


def test_auto_assignment_mixes_validity_essays_into_each_queue_at_the_rate(ctx):
    cycle = f.make_cycle("Seeded", readers=2)
    cycle.validity_rate = 0.2
    reviewers = [f.make_user(email=f"r{n}@example.org", designations="C") for n in range(4)]
    plain = f.make_user(email="plain@example.org")  # no designation: may read no Clinical essay
    for reviewer in (*reviewers, plain):
        f.add_member(cycle, reviewer)
    applicants = [f.make_applicant(cycle, applicant_id=f"A{n}") for n in range(16)]
    for n, applicant in enumerate(applicants):
        f.make_essay(cycle, applicant, item_id=f"E{n:02}", rubric_key="imhs-essay")
    for n in range(6):
        db.session.add(Item(cycle_id=cycle.id, item_id=f"V{n}", kind="essay", rubric_key="imhm-c-essay", validity=True))
    db.session.commit()
    plan = auto_assign(cycle)
    db.session.commit()
    counts: dict[str, list[int]] = {}
    for email, validity in db.session.execute(
        db.select(User.email, Item.validity)
        .select_from(Assignment)
        .join(Item, Assignment.item_pk == Item.id)
        .join(User, Assignment.reviewer_id == User.id)
    ):
        counts.setdefault(email, [0, 0])[int(validity)] += 1
    # 32 live reads over 5 reviewers: 6 or 7 each; at 0.2 a queue of 6 or 7 live reads gets 0.25 · live,
    # rounded: 2 (6 → 1.5 → 2, 7 → 1.75 → 2). The plain reviewer may read no Clinical validity essay.
    assert sum(live for live, _ in counts.values()) == 32
    for email, (live, validity) in counts.items():
        expected = 0 if email == "plain@example.org" else seeded_reads(live, 0.2)
        assert validity == expected, email
    assert plan.validity_seeded == sum(validity for _, validity in counts.values()) == 8
    again = auto_assign(cycle)
    assert again.validity_seeded == 0 and not again.reads


def test_a_qualification_set_gives_every_reviewer_at_least_its_size_in_validity_reads():
    reviewers = [
        SeedReviewer(1, live_reads=9, validity_reads=0, room=None, eligible=("V1", "V2", "V3", "V4")),
        SeedReviewer(2, live_reads=45, validity_reads=1, room=None, eligible=("V1", "V2", "V3", "V4")),
        SeedReviewer(3, live_reads=9, validity_reads=0, room=1, eligible=("V1", "V2", "V3", "V4")),
    ]
    picks = seed(reviewers, 0.1, {}, minimum=3)
    per_reviewer = {key: [essay for k, essay in picks if k == key] for key in (1, 2, 3)}
    # 1: the rate asks for 1, the set for 3. 2: the rate asks for 5, holds 1. 3: the set asks for 3, room for 1.
    assert {key: len(essays) for key, essays in per_reviewer.items()} == {1: 3, 2: 4, 3: 1}
