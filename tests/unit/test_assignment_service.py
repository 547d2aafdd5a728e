"""Assignment services on the database: auto-assignment, third readers, manual changes, audit entries."""
import pytest

from app.assignment.eligibility import organization_key
from app.assignment.models import Assignment, AssignmentSource
from app.assignment.service import (AssignmentError, assign, assign_further_readers, auto_assign, candidates,
                                    plan_assignment, swap, unassign)
from app.audit.models import AuditEntry
from app.cycles.models import Item, ItemState
from app.extensions import db
from app.people.models import Role
from app.scoring.models import Read, ReadStatus, Score
from tests.factories import (add_member, make_applicant, make_application_item, make_conflict, make_cycle, make_essay,
                             make_user, submitted_read)
from tests.factories import assign as add_assignment


def assign_third_reader(item: Item, *, actor_id: int | None = None,
                        source: AssignmentSource = AssignmentSource.THIRD_READER) -> Assignment | None:
    """One further reader for one item, through the batch reconciliation uses; None when nobody is eligible."""
    assignment_id = assign_further_readers([(item, source)], actor_id=actor_id)[item.id]
    return None if assignment_id is None else db.session.get(Assignment, assignment_id)


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield
        db.session.rollback()


def reviewer(cycle, email, designations="C; P; RF", organization=None, max_load=None, active=True):
    user = make_user(email=email, designations=designations, organization=organization, active=active)
    add_member(cycle, user, max_load=max_load)
    return user


def pairs(cycle):
    rows = db.session.execute(db.select(Item.item_id, Assignment.reviewer_id).join(Assignment.item)
                              .where(Item.cycle_id == cycle.id))
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
    assert plan.shortfalls[0].reason == ("E17: only 1 eligible reviewer for designation RF (needs 2 more reads); "
                                         "not eligible: 2 not designated to score RF essays")
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
    assert plan.shortfalls[0].reason == ("E1: no eligible reviewers for designation C (needs 1 more read); "
                                         "not eligible: 1 account is not active")


def test_application_items_need_no_designation(ctx):
    cycle = make_cycle(readers=1)
    plain = reviewer(cycle, "plain@x.org", designations="")
    applicant = make_applicant(cycle, category="IMHM-C")
    make_application_item(cycle, applicant)
    auto_assign(cycle)
    assert loads(cycle) == {plain.id: 1}


def test_readers_option_overrides_and_updates_the_cycle(ctx):
    cycle = make_cycle(readers=2)
    for n in range(3):
        reviewer(cycle, f"r{n}@x.org")
    make_essay(cycle, make_applicant(cycle), item_id="E1")
    plan = auto_assign(cycle, readers=3)
    assert len(plan.reads) == 3 and cycle.readers == 3
    assert audit("cycle.readers")[0].after == {"readers": 3}


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
    assert (summaries["all reviewers"].minimum, summaries["all reviewers"].median,
            summaries["all reviewers"].maximum) == (1, 2, 3)
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
    # light and zed both hold 1; the tie goes to the earlier e-mail.
    chosen = assign_third_reader(essay, actor_id=None)
    assert chosen.reviewer_id == light.id and chosen.source == AssignmentSource.THIRD_READER
    entry = audit("assignment.create")[-1]
    assert entry.item_key == "E1" and entry.after == {"reviewer": "light@x.org", "source": "third_reader"}
    assert assign_third_reader(essay, source=AssignmentSource.EXTRA_READ).reviewer_id == zed.id


def test_third_reader_none_when_nobody_is_eligible(ctx):
    cycle = make_cycle(readers=1)
    only = reviewer(cycle, "only@x.org")
    capped = reviewer(cycle, "capped@x.org", max_load=0)
    essay = make_essay(cycle, make_applicant(cycle), item_id="E1")
    add_assignment(essay, only)
    assert assign_third_reader(essay) is None
    assert {candidate.user.email: candidate.reasons for candidate in candidates(essay)} == {
        "only@x.org": ("already reading this item",), "capped@x.org": ("at maximum load (0 of 0)",)}
    assert capped.id not in {a for _, a in pairs(cycle)}


def test_candidates_list_eligible_first_with_reasons(ctx):
    cycle = make_cycle()
    reviewer(cycle, "colleague@x.org", organization="Mercy")
    reviewer(cycle, "free@x.org")
    essay = make_essay(cycle, make_applicant(cycle, organization="MERCY"), item_id="E1")
    listed = candidates(essay)
    assert [(c.user.email, c.reasons) for c in listed] == [
        ("free@x.org", ()), ("colleague@x.org", ("same organization as the applicant",))]
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
        ({"state": "in_review"}, {"state": "assigned"}), ({"state": "assigned"}, {"state": "unassigned"})]


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
    swap(assignment, new, actor_id=None)
    assert pairs(cycle) == [("E1", new.id)]
    entry = audit("assignment.swap")[0]
    assert (entry.before, entry.after) == ({"reviewer": "old@x.org"}, {"reviewer": "new@x.org"})


def test_swap_refused_once_the_read_is_started(ctx):
    cycle = make_cycle()
    old, new = reviewer(cycle, "old@x.org"), reviewer(cycle, "new@x.org")
    assignment = assign(make_essay(cycle, make_applicant(cycle), item_id="E1"), old, actor_id=None)
    submitted_read(assignment, {"reflection": 3})
    with pytest.raises(AssignmentError, match="has already started the read"):
        swap(assignment, new, actor_id=None)
