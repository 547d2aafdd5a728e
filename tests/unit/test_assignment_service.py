"""Assignment services on the database: auto-assignment, third readers, manual changes, audit entries."""

from collections import Counter

import pytest

from app.assignment.eligibility import organization_key
from app.assignment.facts import pool_facts
from app.assignment.models import Assignment, AssignmentDecline, AssignmentSource
from app.assignment.service import (
    AssignmentError,
    Plan,
    PlannedRead,
    ReviewerLoad,
    assign,
    assign_further_readers,
    auto_assign,
    candidates,
    decline,
    declines_of,
    plan_assignment,
    refill,
    swap,
    unassign,
)
from app.audit.models import AuditEntry
from app.cycles.models import Item, ItemState
from app.extensions import db
from app.people.models import Role
from app.scoring.models import Read, ReadStatus, Score
from tests.factories import (
    add_member,
    make_applicant,
    make_application_item,
    make_conflict,
    make_cycle,
    make_essay,
    make_user,
    submitted_read,
)
from tests.factories import assign as add_assignment


def assign_third_reader(
    item: Item, *, actor_id: int | None = None, source: AssignmentSource = AssignmentSource.THIRD_READER
) -> Assignment | None:
    """One further reader for one item, through the batch reconciliation uses; None when nobody is eligible."""
    assignment_id = assign_further_readers([(item, source)], actor_id=actor_id)[item.id]
    return None if assignment_id is None else db.session.get(Assignment, assignment_id)


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield
        db.session.rollback()


def reviewer(
    cycle,
    email,
    designations="C; P; RF",
    organization=None,
    max_load=None,
    active=True,
    endorsements="IMHM-C; IMHM-P; IMHM-RF",
):
    user = make_user(
        email=email, designations=designations, organization=organization, active=active, endorsements=endorsements
    )
    add_member(cycle, user, max_load=max_load)
    return user


def readers_of(item):
    return set(db.session.scalars(db.select(Assignment.reviewer_id).filter_by(item_pk=item.id)))


def pairs(cycle):
    rows = db.session.execute(
        db.select(Item.item_id, Assignment.reviewer_id).join(Assignment.item).where(Item.cycle_id == cycle.id)
    )
    return sorted(tuple(row) for row in rows)


def audit(action):
    return db.session.scalars(db.select(AuditEntry).filter_by(action=action).order_by(AuditEntry.id)).all()


def loads(cycle):
    result = {}
    for _, reviewer_id in pairs(cycle):
        result[reviewer_id] = result.get(reviewer_id, 0) + 1
    return result


# ---------------------------------------------------------------- auto-assignment


def test_auto_assign_respects_every_rule_and_is_even(ctx):
    cycle = make_cycle(readers=2)
    ann = reviewer(cycle, "ann@x.org", designations="C", organization="Mercy Hospital")
    bob = reviewer(cycle, "bob@x.org", designations="C; RF")
    cy = reviewer(cycle, "cy@x.org", designations="C")
    dee = reviewer(cycle, "dee@x.org", designations="C; RF")
    same_org = make_applicant(cycle, organization="  mercy hospital ")
    advisee = make_applicant(cycle, advisor_email="BOB@x.org")
    conflicted = make_applicant(cycle)
    make_conflict(cy, conflicted)
    rf_applicant = make_applicant(cycle, category="IMHM-RF")
    e1 = make_essay(cycle, same_org, item_id="E1")
    e2 = make_essay(cycle, advisee, item_id="E2")
    e3 = make_essay(cycle, conflicted, item_id="E3")
    e4 = make_essay(cycle, rf_applicant, item_id="E4", rubric_key="imhm-rf-essay")
    plan = auto_assign(cycle)
    assert plan.written and plan.shortfalls == ()
    got = pairs(cycle)
    assert len(got) == 8
    forbidden = {("E1", ann.id), ("E2", bob.id), ("E3", cy.id), ("E4", ann.id), ("E4", cy.id)}
    assert not forbidden & set(got)
    assert [r for item, r in got if item == "E4"] == sorted([bob.id, dee.id])
    assert sorted(loads(cycle).values()) == [2, 2, 2, 2]  # 8 reads over 4 reviewers
    assert {i.state for i in (e1, e2, e3, e4)} == {ItemState.ASSIGNED}
    assert len(audit("assignment.create")) == 8
    assert len(audit("item.evaluate")) == 4
    entry = audit("assignment.create")[0]
    assert entry.cycle_id == cycle.id and entry.after["source"] == "auto"
    assert db.session.scalars(db.select(Assignment.source).distinct()).all() == [AssignmentSource.AUTO]


def test_auto_assign_twice_adds_nothing(ctx):
    cycle = make_cycle(readers=2)
    for n in range(3):
        reviewer(cycle, f"r{n}@x.org")
    applicant = make_applicant(cycle)
    for n in range(3):
        make_essay(cycle, applicant, item_id=f"E{n}")
    auto_assign(cycle)
    first = pairs(cycle)
    entries = db.session.scalar(db.select(db.func.count()).select_from(AuditEntry))
    second = auto_assign(cycle)
    assert second.reads == () and pairs(cycle) == first
    assert db.session.scalar(db.select(db.func.count()).select_from(AuditEntry)) == entries


def test_existing_assignments_are_kept_and_counted(ctx):
    cycle = make_cycle(readers=2)
    ann, bob, cy = (reviewer(cycle, f"{name}@x.org") for name in ("ann", "bob", "cy"))
    applicant = make_applicant(cycle)
    e1 = make_essay(cycle, applicant, item_id="E1")
    make_essay(cycle, applicant, item_id="E2")
    add_assignment(e1, ann)
    plan = auto_assign(cycle)
    assert len(plan.reads) == 3
    got = pairs(cycle)
    assert ("E1", ann.id) in got and len([p for p in got if p[0] == "E1"]) == 2
    # 4 reads over 3 reviewers: the even optimum is 2 / 1 / 1.
    assert sorted(loads(cycle).values()) == [1, 1, 2]


def test_infeasible_items_are_reported_and_partly_assigned(ctx):
    cycle = make_cycle(readers=2)
    reviewer(cycle, "c1@x.org", designations="C")
    reviewer(cycle, "c2@x.org", designations="C")
    rf_reader = reviewer(cycle, "rf@x.org", designations="RF")
    applicant = make_applicant(cycle, category="IMHM-RF")
    essay = make_essay(cycle, applicant, item_id="E17", rubric_key="imhm-rf-essay")
    plan = auto_assign(cycle)
    assert [s.item_key for s in plan.shortfalls] == ["E17"]
    assert plan.shortfalls[0].reason == (
        "E17: needs 1 more read: only 1 eligible reviewer holds designation RF; "
        "not eligible: 2 not designated to score RF essays"
    )
    assert pairs(cycle) == [("E17", rf_reader.id)]
    assert essay.state == ItemState.UNASSIGNED  # still short of its readers


def test_max_load_from_the_cycle_membership(ctx):
    cycle = make_cycle(readers=1)
    capped = reviewer(cycle, "capped@x.org", max_load=1)
    other = reviewer(cycle, "other@x.org")
    applicant = make_applicant(cycle)
    for n in range(5):
        make_essay(cycle, applicant, item_id=f"E{n}")
    auto_assign(cycle)
    assert loads(cycle) == {capped.id: 1, other.id: 4}


def test_profile_max_load_applies_when_the_cycle_sets_none(ctx):
    cycle = make_cycle(readers=1)
    capped = reviewer(cycle, "capped@x.org")
    capped.profile.max_load = 0
    other = reviewer(cycle, "other@x.org")
    applicant = make_applicant(cycle)
    make_essay(cycle, applicant, item_id="E1")
    auto_assign(cycle)
    assert loads(cycle) == {other.id: 1}


def test_inactive_and_non_pool_reviewers_are_never_used(ctx):
    cycle = make_cycle(readers=1)
    reviewer(cycle, "gone@x.org", active=False)
    make_user(email="outsider@x.org", designations="C")
    applicant = make_applicant(cycle)
    make_essay(cycle, applicant, item_id="E1")
    plan = auto_assign(cycle)
    assert plan.reads == ()
    assert plan.shortfalls[0].reason == (
        "E1: needs 1 more read: no eligible reviewer holds designation C; not eligible: 1 account is not active"
    )


def test_a_reviewer_kept_off_an_item_for_two_reasons_is_counted_once_with_both(ctx):
    """Two reviewers, neither eligible: one declared a conflict with an applicant of her own organization, the
    other only works there. The report counts two reviewers, not three reasons."""
    cycle = make_cycle(readers=2)
    both = reviewer(cycle, "both@x.org", organization="Mercy Hospital")
    reviewer(cycle, "colleague@x.org", organization="mercy hospital")
    applicant = make_applicant(cycle, organization="Mercy  Hospital")
    make_conflict(both, applicant)
    make_essay(cycle, applicant, item_id="E1")
    plan = auto_assign(cycle)
    assert plan.reads == ()
    assert plan.shortfalls[0].reason == (
        "E1: needs 2 more reads: no eligible reviewer holds designation C; not eligible: "
        "1 declared conflict with the applicant and same organization as the applicant, "
        "1 same organization as the applicant"
    )


def test_application_items_need_an_endorsement_not_a_designation(ctx):
    cycle = make_cycle(readers=1)
    endorsed = reviewer(cycle, "endorsed@x.org", designations="", endorsements="ECMHM-C")
    reviewer(cycle, "designated@x.org", designations="C", endorsements="IMHS; IMHM-P")
    make_application_item(cycle, make_applicant(cycle, category="IMHM-C"))
    plan = auto_assign(cycle)
    assert loads(cycle) == {endorsed.id: 1} and plan.shortfalls == ()


def test_a_portfolio_nobody_is_endorsed_for_is_reported_with_what_it_needs(ctx):
    cycle = make_cycle(readers=2)
    reviewer(cycle, "specialist@x.org", endorsements="IMHS")
    policy = reviewer(cycle, "policy@x.org", designations="P", endorsements="IMHM-P")
    make_application_item(cycle, make_applicant(cycle, applicant_id="A7", category="IMHM-P"))
    make_application_item(cycle, make_applicant(cycle, applicant_id="A8", category="IMHM-C"))
    plan = auto_assign(cycle)
    assert pairs(cycle) == [("APP-A7", policy.id)]
    assert [s.reason for s in plan.shortfalls] == [
        "APP-A7: needs 1 more read: only 1 eligible reviewer holds IMHM-P or ECMHM-P; "
        "not eligible: 1 not endorsed for IMHM-P portfolios (needs IMHM-P or ECMHM-P)",
        "APP-A8: needs 2 more reads: no eligible reviewer holds IMHM-C or ECMHM-C; "
        "not eligible: 2 not endorsed for IMHM-C portfolios (needs IMHM-C or ECMHM-C)",
    ]


def test_a_specialist_portfolio_takes_a_specialist_or_any_mentor(ctx):
    cycle = make_cycle(readers=3)
    specialist = reviewer(cycle, "s@x.org", designations="", endorsements="ECMHS")
    mentor = reviewer(cycle, "m@x.org", designations="RF", endorsements="IMHM-RF")
    reviewer(cycle, "f@x.org", designations="", endorsements="IFS")
    portfolio = make_application_item(cycle, make_applicant(cycle, category="IMHS"))
    plan = auto_assign(cycle)
    assert readers_of(portfolio) == {specialist.id, mentor.id}
    assert plan.shortfalls[0].reason.startswith("APP-")
    assert plan.shortfalls[0].reason.endswith(
        "not eligible: 1 not endorsed for IMHS portfolios (needs IMHS, ECMHS or a Mentor endorsement)"
    )


# ---------------------------------------------------------------- blindness across items


def applicant_with_portfolio_and_essays(cycle, essays=2):
    applicant = make_applicant(cycle, category="IMHM-C")
    portfolio = make_application_item(cycle, applicant)
    return portfolio, [make_essay(cycle, applicant, item_id=f"E{applicant.applicant_id}-{n}") for n in range(essays)]


def test_nobody_reads_both_an_applicants_portfolio_and_essays(ctx):
    cycle = make_cycle(readers=2)
    team = [reviewer(cycle, f"r{n}@x.org") for n in range(4)]
    portfolios_and_essays = [applicant_with_portfolio_and_essays(cycle) for _ in range(3)]
    plan = auto_assign(cycle)
    assert plan.shortfalls == () and plan.optimal and plan.blind_across_items
    for portfolio, essays in portfolios_and_essays:
        essay_readers = set().union(*(readers_of(e) for e in essays))
        assert len(readers_of(portfolio)) == 2 and not readers_of(portfolio) & essay_readers
    # 18 reads over 4 reviewers: 5 / 5 / 4 / 4 is the even optimum, and blindness costs nothing here.
    assert sorted(loads(cycle).values()) == [4, 4, 5, 5] and {r.id for r in team} == set(loads(cycle))


def test_an_existing_portfolio_read_keeps_its_reader_off_the_essays(ctx):
    cycle = make_cycle(readers=1)
    ann, bob = reviewer(cycle, "ann@x.org"), reviewer(cycle, "bob@x.org")
    portfolio, (essay,) = applicant_with_portfolio_and_essays(cycle, essays=1)
    add_assignment(portfolio, ann)
    plan = auto_assign(cycle)
    assert readers_of(essay) == {bob.id}
    assert dict((c.user.email, c.reasons) for c in candidates(essay))["ann@x.org"] == (
        "reads this applicant's portfolio",
    )
    assert plan.shortfalls == ()


def test_too_small_a_pool_is_reported_and_a_relaxed_cycle_fills_it(ctx):
    cycle = make_cycle(readers=2)
    for n in range(3):
        reviewer(cycle, f"r{n}@x.org")
    portfolio, (essay,) = applicant_with_portfolio_and_essays(cycle, essays=1)
    blind = plan_assignment(cycle)
    assert len(blind.reads) == 3 and len(blind.shortfalls) == 1 and blind.optimal
    short = blind.shortfalls[0]
    other = "portfolio" if short.item_key == essay.item_id else "essays"
    assert (
        short.reason == f"{short.item_key}: needs 1 more read: 2 eligible reviewers read this applicant's {other} "
        "in this plan"
    )
    cycle.blind_across_items = False
    relaxed = auto_assign(cycle)
    assert len(relaxed.reads) == 4 and relaxed.shortfalls == () and not relaxed.blind_across_items
    assert readers_of(portfolio) & readers_of(essay)


def test_third_readers_keep_blindness_and_are_the_least_loaded(ctx):
    cycle = make_cycle(readers=2)
    ann, bob, cy, dee, eve = (reviewer(cycle, f"{name}@x.org") for name in ("ann", "bob", "cy", "dee", "eve"))
    portfolio, (essay,) = applicant_with_portfolio_and_essays(cycle, essays=1)
    add_assignment(portfolio, ann)
    add_assignment(portfolio, bob)
    add_assignment(essay, cy)
    add_assignment(essay, dee)
    other = make_applicant(cycle)
    for n, user in enumerate([eve, eve]):
        add_assignment(make_essay(cycle, other, item_id=f"X{n}"), user)
    # ann and bob hold 1 but read the portfolio; eve holds 2: she is the only one left, and takes it.
    chosen = assign_third_reader(essay)
    assert chosen.reviewer_id == eve.id
    assert assign_third_reader(essay) is None  # ann and bob still read the portfolio


def test_further_readers_in_one_batch_spread_the_load(ctx):
    cycle = make_cycle(readers=1)
    team = [reviewer(cycle, f"r{n}@x.org") for n in range(3)]
    essays = [make_essay(cycle, make_applicant(cycle), item_id=f"E{n}") for n in range(6)]
    for essay, user in zip(essays, team * 2, strict=True):
        add_assignment(essay, user)
    chosen = assign_further_readers([(essay, AssignmentSource.THIRD_READER) for essay in essays])
    assert all(chosen.values())
    assert sorted(loads(cycle).values()) == [4, 4, 4]  # 12 reads over 3, nobody twice on an item


def test_loads_counted_by_the_caller_give_the_same_pool_facts_as_the_database(ctx):
    # Reconciliation counts the cycle's loads from the readers it has read and hands them to the further-reader
    # batch; counted that way (one per reader of each item of the cycle), they are the database's loads.
    cycle = make_cycle(readers=2)
    team = [reviewer(cycle, f"r{n}@x.org") for n in range(5)]
    first_portfolio, first_essays = applicant_with_portfolio_and_essays(cycle)
    second_portfolio, _ = applicant_with_portfolio_and_essays(cycle, essays=1)
    for item, readers in [(first_portfolio, team[:2]), (first_essays[0], team[2:4]), (second_portfolio, team[3:5])]:
        for user in readers:
            add_assignment(item, user)
    other_cycle = make_cycle(readers=2)
    add_member(other_cycle, team[0])
    add_assignment(make_essay(other_cycle, make_applicant(other_cycle)), team[0])  # another cycle's load
    items = db.session.scalars(db.select(Item).where(Item.cycle_id == cycle.id)).all()
    counted = Counter(reviewer_id for item in items for reviewer_id in readers_of(item))
    assert counted == {team[0].id: 1, team[1].id: 1, team[2].id: 1, team[3].id: 2, team[4].id: 1}
    assert pool_facts(cycle.id, counted) == pool_facts(cycle.id)
    assert [facts.load for facts in pool_facts(cycle.id)] == [1, 1, 1, 2, 1]


# ---------------------------------------------------------------- declines and refills


def test_decline_withdraws_the_read_keeps_the_draft_in_the_audit_log_and_refill_gives_it_on(ctx):
    cycle = make_cycle(readers=1)
    ann, bob = reviewer(cycle, "ann@x.org"), reviewer(cycle, "bob@x.org")
    essay = make_essay(cycle, make_applicant(cycle), item_id="E1")
    assignment = assign(essay, ann, actor_id=None)
    read = Read(assignment_id=assignment.id, status=ReadStatus.DRAFT)
    db.session.add(read)
    db.session.flush()
    db.session.add(Score(read_id=read.id, domain_key="reflection", score=3))
    db.session.flush()
    declined = decline(assignment, "  I know this applicant's supervisor  ", actor_id=ann.id)
    assert (declined.reason, declined.reviewer_id, declined.declined_by_id) == (
        "I know this applicant's supervisor",
        ann.id,
        ann.id,
    )
    assert pairs(cycle) == [] and db.session.scalars(db.select(Score)).all() == []
    assert essay.state == ItemState.UNASSIGNED
    entry = audit("assignment.decline")[0]
    assert entry.note == "I know this applicant's supervisor" and entry.item_key == "E1"
    assert entry.before["reviewer"] == "ann@x.org" and entry.before["read"]["scores"] == {"reflection": 3}
    assert dict((c.user.email, c.reasons) for c in candidates(essay)) == {
        "bob@x.org": (),
        "ann@x.org": ("declined this item",),
    }
    with pytest.raises(AssignmentError, match="item E1: cannot assign ann@x.org: declined this item"):
        assign(essay, ann, actor_id=None)
    plan = refill([essay])
    assert plan.refill and pairs(cycle) == [("E1", bob.id)] and essay.state == ItemState.ASSIGNED
    assert [d.reason for d in declines_of(cycle)] == ["I know this applicant's supervisor"]


def test_a_declined_reviewer_is_never_auto_assigned_the_item_again(ctx):
    cycle = make_cycle(readers=1)
    ann = reviewer(cycle, "ann@x.org")
    essay = make_essay(cycle, make_applicant(cycle), item_id="E1")
    decline(assign(essay, ann, actor_id=None), "away", actor_id=None)
    plan = auto_assign(cycle)
    assert plan.reads == () and plan.shortfalls[0].reason == (
        "E1: needs 1 more read: no eligible reviewer holds designation C; not eligible: 1 declined this item"
    )


def test_decline_refusals(ctx):
    cycle = make_cycle(readers=1)
    ann = reviewer(cycle, "ann@x.org")
    essay = make_essay(cycle, make_applicant(cycle), item_id="E1")
    assignment = assign(essay, ann, actor_id=None)
    with pytest.raises(AssignmentError) as refused:
        decline(assignment, "   ", actor_id=None)
    assert refused.value.problems == {"reason": "say why the assignment is declined"}
    with pytest.raises(AssignmentError) as refused:
        decline(assignment, "x" * 2001, actor_id=None)
    assert "reason" in refused.value.problems
    submitted_read(assignment, {"reflection": 3})
    db.session.expire(assignment, ["read"])
    with pytest.raises(AssignmentError, match="item E1: ann@x.org cannot decline: the read is submitted"):
        decline(assignment, "too busy", actor_id=None)
    assert db.session.scalars(db.select(AssignmentDecline)).all() == [] and pairs(cycle) == [("E1", ann.id)]


def test_refill_touches_only_the_items_asked_for(ctx):
    cycle = make_cycle(readers=1)
    reviewer(cycle, "ann@x.org")
    applicant = make_applicant(cycle)
    first, second = make_essay(cycle, applicant, item_id="E1"), make_essay(cycle, applicant, item_id="E2")
    plan = refill([second])
    assert plan.items_considered == 1 and [read.item_key for read in plan.reads] == ["E2"]
    assert readers_of(first) == set()
    other_cycle_item = make_essay(make_cycle(), make_applicant(cycle), item_id="E9")
    with pytest.raises(AssignmentError, match="choose items of one cycle"):
        refill([first, other_cycle_item])


def test_readers_option_overrides_and_updates_the_cycle(ctx):
    cycle = make_cycle(readers=2)
    for n in range(3):
        reviewer(cycle, f"r{n}@x.org")
    make_essay(cycle, make_applicant(cycle), item_id="E1")
    plan = auto_assign(cycle, readers=3)
    assert len(plan.reads) == 3 and cycle.readers == 3
    assert audit("cycle.readers")[0].after == {"readers": 3}


def test_fewer_reads_per_item_completes_items_that_get_no_new_read(ctx):
    cycle = make_cycle(readers=2)
    ann = reviewer(cycle, "ann@x.org")
    essay = make_essay(cycle, make_applicant(cycle), item_id="E1")
    add_assignment(essay, ann)  # one of two reads: the item stays unassigned
    plan = auto_assign(cycle, readers=1)
    assert plan.reads == () and plan.items_completed == (essay.id,)
    assert essay.state == ItemState.ASSIGNED
    assert [e.item_key for e in audit("item.evaluate")] == ["E1"]


def test_dry_run_and_plan_write_nothing(ctx):
    cycle = make_cycle(readers=2)
    reviewer(cycle, "a@x.org")
    reviewer(cycle, "b@x.org")
    essay = make_essay(cycle, make_applicant(cycle), item_id="E1")
    for plan in (plan_assignment(cycle, 3), auto_assign(cycle, 3, dry_run=True)):
        assert len(plan.reads) == 2 and not plan.written and len(plan.shortfalls) == 1
    assert pairs(cycle) == [] and essay.state == ItemState.UNASSIGNED and cycle.readers == 2
    assert audit("assignment.create") == [] and audit("cycle.readers") == []


def test_decided_items_are_left_alone(ctx):
    cycle = make_cycle(readers=1)
    reviewer(cycle, "a@x.org")
    essay = make_essay(cycle, make_applicant(cycle), item_id="E1")
    essay.state = ItemState.DECIDED
    assert auto_assign(cycle).reads == ()


def test_unknown_rubric_is_a_clear_error(ctx):
    cycle = make_cycle()
    reviewer(cycle, "a@x.org")
    make_essay(cycle, make_applicant(cycle), item_id="E9", rubric_key="no-such-rubric")
    with pytest.raises(AssignmentError, match="item E9: rubric 'no-such-rubric' is not loaded"):
        plan_assignment(cycle)


def test_load_summary_per_designation(ctx):
    cycle = make_cycle(readers=1)
    reviewer(cycle, "c@x.org", designations="C")
    reviewer(cycle, "rf@x.org", designations="RF")
    applicant = make_applicant(cycle)
    for n in range(3):
        make_essay(cycle, applicant, item_id=f"C{n}")
    rf = make_applicant(cycle, category="IMHM-RF")
    make_essay(cycle, rf, item_id="R1", rubric_key="imhm-rf-essay")
    summaries = {s.label: s for s in auto_assign(cycle).load_summaries()}
    assert (
        summaries["all reviewers"].minimum,
        summaries["all reviewers"].median,
        summaries["all reviewers"].maximum,
    ) == (1, 2, 3)
    assert summaries["designation C"].maximum == 3 and summaries["designation RF"].maximum == 1


# ---------------------------------------------------------------- third reader and candidates


def test_third_reader_is_the_least_loaded_eligible_reviewer(ctx):
    cycle = make_cycle(readers=2)
    first, second = reviewer(cycle, "first@x.org"), reviewer(cycle, "second@x.org")
    busy = reviewer(cycle, "busy@x.org")
    idle_conflicted = reviewer(cycle, "idle@x.org")
    light = reviewer(cycle, "light@x.org")
    zed = reviewer(cycle, "zed@x.org")
    applicant = make_applicant(cycle)
    make_conflict(idle_conflicted, applicant)
    essay = make_essay(cycle, applicant, item_id="E1")
    add_assignment(essay, first)
    add_assignment(essay, second)
    other_applicant = make_applicant(cycle)
    for n, user in enumerate([busy, busy, light, zed]):
        add_assignment(make_essay(cycle, other_applicant, item_id=f"X{n}"), user)
    # light and zed both hold 1, the least of the eligible (busy holds 2, idle is conflicted, first and second
    # already read it): one of them takes the third read, and the other the extra read after it.
    chosen = assign_third_reader(essay, actor_id=None)
    assert chosen.reviewer_id in {light.id, zed.id} and chosen.source == AssignmentSource.THIRD_READER
    entry = audit("assignment.create")[-1]
    assert entry.item_key == "E1" and entry.after == {"reviewer": chosen.reviewer.email, "source": "third_reader"}
    extra = assign_third_reader(essay, source=AssignmentSource.EXTRA_READ)
    assert {chosen.reviewer_id, extra.reviewer_id} == {light.id, zed.id}


def test_third_reader_none_when_nobody_is_eligible(ctx):
    cycle = make_cycle(readers=1)
    only = reviewer(cycle, "only@x.org")
    capped = reviewer(cycle, "capped@x.org", max_load=0)
    essay = make_essay(cycle, make_applicant(cycle), item_id="E1")
    add_assignment(essay, only)
    assert assign_third_reader(essay) is None
    assert {candidate.user.email: candidate.reasons for candidate in candidates(essay)} == {
        "only@x.org": ("already reading this item",),
        "capped@x.org": ("at maximum load (0 of 0)",),
    }
    assert capped.id not in {a for _, a in pairs(cycle)}


def test_candidates_list_eligible_first_with_reasons(ctx):
    cycle = make_cycle()
    reviewer(cycle, "colleague@x.org", organization="Mercy")
    reviewer(cycle, "free@x.org")
    essay = make_essay(cycle, make_applicant(cycle, organization="MERCY"), item_id="E1")
    listed = candidates(essay)
    assert [(c.user.email, c.reasons) for c in listed] == [
        ("free@x.org", ()),
        ("colleague@x.org", ("same organization as the applicant",)),
    ]
    assert organization_key("Mercy") == organization_key("MERCY")


# ---------------------------------------------------------------- manual changes


def test_manual_assign_and_refusal(ctx):
    cycle = make_cycle(readers=1)
    coordinator = make_user(Role.COORDINATOR)
    colleague = reviewer(cycle, "colleague@x.org", organization="Mercy")
    free = reviewer(cycle, "free@x.org")
    essay = make_essay(cycle, make_applicant(cycle, organization="mercy"), item_id="E5")
    with pytest.raises(AssignmentError, match="item E5: cannot assign colleague@x.org: same organization"):
        assign(essay, colleague, actor_id=coordinator.id)
    assignment = assign(essay, free, actor_id=coordinator.id)
    assert assignment.source == AssignmentSource.MANUAL and assignment.assigned_by_id == coordinator.id
    assert essay.state == ItemState.ASSIGNED
    assert audit("assignment.create")[-1].actor_id == coordinator.id
    with pytest.raises(AssignmentError, match="already reading this item"):
        assign(essay, free, actor_id=coordinator.id)
    outsider = make_user(email="outsider@x.org")
    with pytest.raises(AssignmentError, match="not a reviewer in this cycle"):
        assign(essay, outsider, actor_id=coordinator.id)


def test_manual_assign_refuses_past_max_load(ctx):
    cycle = make_cycle()
    full = reviewer(cycle, "full@x.org", max_load=1)
    applicant = make_applicant(cycle)
    assign(make_essay(cycle, applicant, item_id="E1"), full, actor_id=None)
    with pytest.raises(AssignmentError, match=r"item E2: cannot assign full@x.org: at maximum load \(1 of 1\)"):
        assign(make_essay(cycle, applicant, item_id="E2"), full, actor_id=None)


def test_unassign_an_empty_read(ctx):
    cycle = make_cycle(readers=1)
    user = reviewer(cycle, "r@x.org")
    essay = make_essay(cycle, make_applicant(cycle), item_id="E1")
    assignment = assign(essay, user, actor_id=None)
    # A draft opened but with nothing saved still counts as empty.
    read = Read(assignment_id=assignment.id, status=ReadStatus.DRAFT)
    db.session.add(read)
    db.session.flush()
    db.session.add(Score(read_id=read.id, domain_key="reflection", score=None, comment="  "))
    db.session.flush()
    unassign(assignment, actor_id=None)
    assert pairs(cycle) == [] and db.session.scalars(db.select(Read)).all() == []
    assert essay.state == ItemState.UNASSIGNED
    entry = audit("assignment.delete")[0]
    assert entry.before["reviewer"] == "r@x.org" and entry.item_key == "E1"


def test_unassign_a_started_read_needs_an_override_with_reason(ctx):
    cycle = make_cycle(readers=1)
    user = reviewer(cycle, "r@x.org")
    essay = make_essay(cycle, make_applicant(cycle), item_id="E1")
    assignment = assign(essay, user, actor_id=None)
    submitted_read(assignment, {"reflection": 3})
    with pytest.raises(AssignmentError, match="item E1: cannot unassign r@x.org: the read is submitted"):
        unassign(assignment, actor_id=None)
    with pytest.raises(AssignmentError, match="an override needs a reason"):
        unassign(assignment, actor_id=None, override=True, reason="  ")
    unassign(assignment, actor_id=None, override=True, reason="reviewer withdrew")
    entry = audit("assignment.override_delete")[0]
    assert entry.note == "reviewer withdrew"
    assert entry.before["read"]["scores"] == {"reflection": 3}
    assert pairs(cycle) == [] and db.session.scalars(db.select(Score)).all() == []


def test_unassigning_a_started_read_moves_the_item_back_from_review(ctx):
    cycle = make_cycle(readers=2)
    first, second, third = (reviewer(cycle, f"r{n}@x.org") for n in range(3))
    essay = make_essay(cycle, make_applicant(cycle), item_id="E1")
    assign(essay, first, actor_id=None)
    started = assign(essay, second, actor_id=None)
    extra = assign(essay, third, actor_id=None)
    essay.state = ItemState.IN_REVIEW  # as the first save of the second reader's read left it
    submitted_read(started, {"reflection": 3})
    unassign(started, actor_id=None, override=True, reason="reviewer withdrew")
    assert essay.state == ItemState.ASSIGNED  # two readers left, neither started
    unassign(extra, actor_id=None)
    assert essay.state == ItemState.UNASSIGNED  # one of the two readers the cycle asks for
    assert [(e.before, e.after) for e in audit("item.evaluate")][-2:] == [
        ({"state": "in_review"}, {"state": "assigned"}),
        ({"state": "assigned"}, {"state": "unassigned"}),
    ]


def test_unassign_a_draft_with_a_score_is_refused(ctx):
    cycle = make_cycle()
    user = reviewer(cycle, "r@x.org")
    assignment = assign(make_essay(cycle, make_applicant(cycle), item_id="E1"), user, actor_id=None)
    read = Read(assignment_id=assignment.id, status=ReadStatus.DRAFT)
    db.session.add(read)
    db.session.flush()
    db.session.add(Score(read_id=read.id, domain_key="reflection", score=2))
    db.session.flush()
    with pytest.raises(AssignmentError, match="the read is started"):
        unassign(assignment, actor_id=None)


def test_swap(ctx):
    cycle = make_cycle(readers=1)
    old, new = reviewer(cycle, "old@x.org"), reviewer(cycle, "new@x.org")
    conflicted = reviewer(cycle, "conflicted@x.org")
    applicant = make_applicant(cycle)
    make_conflict(conflicted, applicant)
    essay = make_essay(cycle, applicant, item_id="E1")
    assignment = assign(essay, old, actor_id=None)
    with pytest.raises(AssignmentError, match="item E1: cannot swap old@x.org for conflicted@x.org: declared"):
        swap(assignment, conflicted, actor_id=None)
    with pytest.raises(AssignmentError, match="already reading this item"):
        swap(assignment, old, actor_id=None)
    assert assignment.source == AssignmentSource.MANUAL
    assignment.source = AssignmentSource.AUTO  # as auto-assignment made it
    swap(assignment, new, actor_id=None)
    assert pairs(cycle) == [("E1", new.id)] and assignment.source == AssignmentSource.MANUAL
    entry = audit("assignment.swap")[0]
    assert (entry.before, entry.after) == (
        {"reviewer": "old@x.org", "source": "auto"},
        {"reviewer": "new@x.org", "source": "manual"},
    )


def test_a_swapped_third_reader_is_still_the_third_reader_and_reconciliation_adds_no_fourth(ctx):
    from app.reconcile.service import reconcile_cycle
    from tests.factories import ESSAY_DOMAINS

    cycle = make_cycle(readers=2)
    first, second = reviewer(cycle, "first@x.org"), reviewer(cycle, "second@x.org")
    third, other = reviewer(cycle, "third@x.org"), reviewer(cycle, "other@x.org")
    essay = make_essay(cycle, make_applicant(cycle), item_id="E1")
    submitted_read(add_assignment(essay, first), dict.fromkeys(ESSAY_DOMAINS, 3), number=1)
    submitted_read(add_assignment(essay, second), {**dict.fromkeys(ESSAY_DOMAINS, 3), "reflection": 1}, number=2)
    reconcile_cycle(cycle)  # reflection 3 against 1: a third reader, third@ or other@ (both hold nothing)
    (further,) = db.session.scalars(db.select(Assignment).filter_by(item_pk=essay.id, source="third_reader"))
    taker = other if further.reviewer_id == third.id else third
    swap(further, taker, actor_id=None)
    assert further.source == AssignmentSource.THIRD_READER
    assert audit("assignment.swap")[-1].after == {"reviewer": taker.email, "source": "third_reader"}
    reconcile_cycle(cycle)  # the swapped read is the pending third read: nobody else is asked
    assert readers_of(essay) == {first.id, second.id, taker.id}


def test_swap_refused_once_the_read_is_started(ctx):
    cycle = make_cycle()
    old, new = reviewer(cycle, "old@x.org"), reviewer(cycle, "new@x.org")
    assignment = assign(make_essay(cycle, make_applicant(cycle), item_id="E1"), old, actor_id=None)
    submitted_read(assignment, {"reflection": 3})
    with pytest.raises(AssignmentError, match="has already started the read"):
        swap(assignment, new, actor_id=None)


def test_manual_changes_are_refused_naming_the_blindness_and_endorsement_rules(ctx):
    cycle = make_cycle(readers=2)
    ann, bob = reviewer(cycle, "ann@x.org"), reviewer(cycle, "bob@x.org")
    unendorsed = reviewer(cycle, "new@x.org", endorsements="IMHS")
    portfolio, (essay,) = applicant_with_portfolio_and_essays(cycle, essays=1)
    assign(portfolio, ann, actor_id=None)
    on_essay = assign(essay, bob, actor_id=None)
    with pytest.raises(AssignmentError, match="item E.*-0: cannot assign ann@x.org: reads this applicant's portfolio"):
        assign(essay, ann, actor_id=None)
    with pytest.raises(AssignmentError, match="item APP-.*: cannot assign bob@x.org: reads this applicant's essays"):
        assign(portfolio, bob, actor_id=None)
    with pytest.raises(AssignmentError, match=r"cannot swap bob@x.org for ann@x.org: reads this applicant's portfolio"):
        swap(on_essay, ann, actor_id=None)
    on_portfolio = db.session.scalar(db.select(Assignment).filter_by(item_pk=portfolio.id))
    with pytest.raises(
        AssignmentError,
        match=r"cannot swap ann@x.org for new@x.org: not endorsed for IMHM-C "
        r"portfolios \(needs IMHM-C or ECMHM-C\)",
    ):
        swap(on_portfolio, unendorsed, actor_id=None)


def test_the_bound_line_says_what_is_proven():
    def plan(after, lower_bound, optimal, placeable=0, reads=()):
        return Plan(
            cycle_id=1,
            cycle_name="C",
            readers=2,
            reads=reads,
            shortfalls=(),
            items_considered=1,
            items_completed=(),
            reviewers=(ReviewerLoad(1, "a@x.org", frozenset(), frozenset(), None, 0, after),),
            lower_bound=lower_bound,
            optimal=optimal,
            placeable_bound=placeable,
        )

    assert plan(41, 41, True).bound_line() == "Maximum load 41: the least possible."
    assert plan(41, 41, False).bound_line() == (
        "Maximum load 41: the least possible. The spread below it is not proven the most even."
    )
    assert plan(41, 40, False).bound_line() == "Maximum load 41; no assignment can do better than 40."
    one_read = (PlannedRead(1, "E1", "essay", 1, "a@x.org"),)
    assert plan(41, 40, False, placeable=3, reads=one_read).bound_line() == (
        "Maximum load 41; no assignment can do better than 40. A better plan might place up to 2 more reads."
    )
