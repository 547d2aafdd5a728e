"""What the console runs: dashboard counts in a fixed number of queries, the plan fingerprint and stale
confirmations (app.assignment.preview), audit listing, account administration (app.people.accounts), export file
names (app.exports)."""

from datetime import datetime

import pytest
from sqlalchemy import func, select

from app.assignment import preview
from app.assignment.engine import Shortfall
from app.assignment.models import Assignment
from app.assignment.service import Plan, PlannedRead, ReviewerLoad
from app.audit.models import AuditEntry
from app.audit.service import record
from app.console import service
from app.cycles.models import ItemState
from app.errors import InputError
from app.exports.service import export_filename
from app.extensions import db
from app.people import accounts
from app.people.models import Role
from app.people.service import UserError
from app.reports import ReviewerReads
from app.rubrics.model import DESIGNATIONS
from tests import factories as f
from tests.factories import ESSAY_DOMAINS
from tests.queries import recorded_statements, selects


def a_plan(**changes) -> Plan:
    values = dict(
        cycle_id=1,
        cycle_name="Spring",
        readers=2,
        reads=(PlannedRead(10, "E-1", "essay", 5, "a@x.org"), PlannedRead(10, "E-1", "essay", 6, "b@x.org")),
        shortfalls=(Shortfall("E-2", 2, 1, "only 1 eligible reviewer"),),
        reviewers=(
            ReviewerLoad(5, "a@x.org", frozenset({"C"}), frozenset(), None, 0, 1),
            ReviewerLoad(6, "b@x.org", frozenset({"C"}), frozenset(), 3, 0, 1),
        ),
        items_considered=2,
        items_completed=(10,),
    )
    return Plan(**(values | changes))


# ---------------------------------------------------------------- pure functions


def test_the_fingerprint_ignores_order_but_sees_every_change_the_preview_shows():
    base = preview.plan_fingerprint(a_plan())
    assert len(base) == 64
    assert preview.plan_fingerprint(a_plan(reads=tuple(reversed(a_plan().reads)))) == base
    assert preview.plan_fingerprint(a_plan(written=True)) == base
    changed = [
        a_plan(reads=(PlannedRead(10, "E-1", "essay", 5, "a@x.org"), PlannedRead(10, "E-1", "essay", 7, "c@x.org"))),
        a_plan(readers=3),
        a_plan(shortfalls=(Shortfall("E-2", 2, 1, "a different reason"),)),
        a_plan(
            reviewers=(
                ReviewerLoad(5, "a@x.org", frozenset({"C"}), frozenset(), None, 1, 2),
                ReviewerLoad(6, "b@x.org", frozenset({"C"}), frozenset(), 3, 0, 1),
            )
        ),
        a_plan(items_considered=3),
        a_plan(items_completed=()),
        a_plan(cycle_id=2),
        a_plan(blind_across_items=False),
        a_plan(optimal=False, lower_bound=0),
    ]
    assert base not in {preview.plan_fingerprint(plan) for plan in changed}


def test_planned_reads_filter_by_reviewer_and_item_ignoring_case_and_page():
    reads = tuple(PlannedRead(n, f"E-{n:03}", "essay", n % 3, f"{'ann' if n % 3 else 'Bob'}@x.org") for n in range(250))
    plan = a_plan(reads=reads)
    first = service.planned_reads(plan)
    assert (first.total, first.pages, len(first.rows), first.rows[0].item_key) == (250, 3, 100, "E-000")
    last = service.planned_reads(plan, number=9)  # clamped to the last page
    assert (last.number, len(last.rows)) == (3, 50)
    bob = service.planned_reads(plan, who=" BOB@ ")
    assert bob.total == 84 and {read.reviewer_email for read in bob.rows} == {"Bob@x.org"}
    assert [read.item_key for read in service.planned_reads(plan, who="ann", item="e-01").rows] == [
        f"E-{n:03}" for n in range(10, 20) if n % 3
    ]


def test_state_counts_list_every_state_in_workflow_order():
    counts = service.state_counts({ItemState.DISCREPANT: 2, "assigned": 5})
    assert list(counts) == [
        "unassigned",
        "assigned",
        "in_review",
        "agreed",
        "discrepant",
        "adjudicating",
        "resolved",
        "committee",
        "decided",
    ]
    assert counts["assigned"] == 5 and counts["discrepant"] == 2 and sum(counts.values()) == 7


def test_reviewer_progress_puts_most_pending_first_and_keeps_reviewers_without_reads():
    rows = service.reviewer_progress(
        [
            ReviewerReads(4, 4, user_id=2, email="amy@x.org", name="Amy"),
            ReviewerReads(0, 0, user_id=3, email="bob@x.org", name="Bob"),
            ReviewerReads(4, 1, user_id=1, email="zoe@x.org", name="Zoe"),
        ]
    )
    assert [(r.detail, r.assigned, r.submitted, r.pending) for r in rows] == [
        ("zoe@x.org", 4, 1, 3),
        ("amy@x.org", 4, 4, 0),
        ("bob@x.org", 0, 0, 0),
    ]
    assert [r.percent for r in rows] == [25, 100, 0]


def test_designation_progress_sums_the_rubrics_of_each_designation():
    designation = {"imhm-c-essay": "C", "imhm-c-application": "C", "imhm-rf-essay": "RF", "imhs-essay": None}
    rows = service.designation_progress(
        {"imhm-c-essay": (6, 2), "imhm-c-application": (2, 2), "imhs-essay": (4, 1), "imhm-rf-essay": (2, 0)},
        designation.get,
    )
    assert [(r.label, r.detail, r.assigned, r.submitted) for r in rows] == [
        ("Clinical (C)", "imhm-c-application, imhm-c-essay", 8, 4),
        ("Research/Faculty (RF)", "imhm-rf-essay", 2, 0),
        ("No designation needed", "imhs-essay", 4, 1),
    ]


@pytest.mark.parametrize(
    ("total", "asked", "expected"),
    [(0, 1, (1, 1)), (50, 1, (1, 1)), (51, 2, (2, 2)), (120, 9, (3, 3)), (120, -4, (1, 3))],
)
def test_page_bounds_clamp_to_the_pages_that_exist(total, asked, expected):
    assert service.page_bounds(total, asked, 50) == expected


def test_describe_change_lists_changed_fields_readably():
    lines = service.describe_change(
        {"status": "submitted", "scores": {"reflection": 2, "thinking": 3}},
        {"status": "draft", "scores": {"reflection": 3, "thinking": 3}},
    )
    assert [(line.field, line.before, line.after) for line in lines] == [
        ("status", "submitted", "draft"),
        ("scores.reflection", "2", "3"),
    ]
    created = service.describe_change(None, {"email": "a@x.org", "active": True, "note": None})
    assert [(line.field, line.before, line.after) for line in created] == [
        ("email", "—", "a@x.org"),
        ("active", "—", "yes"),
    ]
    assert service.describe_change(None, None) == ()
    evaluated = service.describe_change(
        {"state": "in_review", "outcome": None}, {"state": "agreed", "outcome": {"mean": 3.0, "reasons": []}}
    )
    assert [(line.field, line.before, line.after) for line in evaluated] == [
        ("state", "in_review", "agreed"),
        ("outcome.mean", "—", "3"),
    ]
    unchanged = service.describe_change({"state": "agreed"}, {"state": "agreed"})
    assert [(line.field, line.before, line.after) for line in unchanged] == [("state", "agreed", "agreed")]


def test_readable_values():
    assert service.readable(None) == "—"
    assert service.readable(False) == "no"
    assert service.readable(2.50) == "2.5"
    assert service.readable(["reflection", "thinking"]) == "reflection, thinking"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Spring 2025", "endorsement-spring-2025-2025-06-01.xlsx"),
        ("../../etc/passwd", "endorsement-etc-passwd-2025-06-01.xlsx"),
        ('Été – Mentor/Clinical "exams"', "endorsement-t-mentor-clinical-exams-2025-06-01.xlsx"),
        ("???", "endorsement-cycle-2025-06-01.xlsx"),
    ],
)
def test_export_file_names_are_safe(name, expected):
    assert export_filename(name, datetime(2025, 6, 1, 23, 59)) == expected


def test_codes_are_normalised_and_unknown_ones_named():
    assert accounts.normalise_codes("rf, c;C", DESIGNATIONS, "designations") == "C; RF"
    assert accounts.normalise_codes("", DESIGNATIONS, "designations") == ""
    with pytest.raises(UserError, match="designations: Q, X are not known"):
        accounts.normalise_codes("C; X; Q", DESIGNATIONS, "designations")


# ---------------------------------------------------------------- with the database


def _cycle_with(reviewers: int, essays: int):
    """A cycle with ``reviewers`` C reviewers; each essay read by the first two, the first reviewer submitted."""
    cycle = f.make_cycle(readers=2)
    pool = [f.make_user(Role.REVIEWER, designations="C") for _ in range(reviewers)]
    for reviewer in pool:
        f.add_member(cycle, reviewer)
    applicant = f.make_applicant(cycle)
    for _ in range(essays):
        item = f.make_essay(cycle, applicant)
        f.submitted_read(f.assign(item, pool[0]), {key: 3 for key in ESSAY_DOMAINS})
        f.assign(item, pool[1])
        item.state = ItemState.IN_REVIEW
    db.session.flush()
    return cycle, pool


def _queries_for_dashboard(cycle):
    db.session.refresh(cycle)  # loading the cycle itself is the caller's query
    with recorded_statements(db.engine) as statements:
        board = service.dashboard(cycle)
    return board, len(selects(statements))


def test_dashboard_counts_by_hand_in_a_fixed_number_of_queries(app):
    with app.app_context():
        small, _ = _cycle_with(reviewers=2, essays=1)
        large, pool = _cycle_with(reviewers=12, essays=30)
        f.make_essay(large, f.make_applicant(large))  # one unassigned item
        db.session.commit()
        _, small_queries = _queries_for_dashboard(small)
        board, large_queries = _queries_for_dashboard(large)
        # 4 for the states and the progress tables, 1 for the validity reads counted apart, 8 for the applications
        # decided and ready to decide
        # (app/reports.py: seven for the requirement lines — applications, four record kinds, marks, finals —
        # then the applicant rows, one streamed query).
        assert small_queries == large_queries == 13
        assert board.state_counts["in_review"] == 30 and board.state_counts["unassigned"] == 1
        assert board.total_items == 31 and board.assigned == 60 and board.submitted == 30
        progress = {row.detail: (row.assigned, row.submitted) for row in board.reviewers}
        assert progress[pool[0].email] == (30, 30) and progress[pool[1].email] == (30, 0)
        assert all(progress[r.email] == (0, 0) for r in pool[2:])
        assert [(r.label, r.assigned, r.submitted) for r in board.designations] == [("Clinical (C)", 60, 30)]


def _two_essays_three_reviewers():
    cycle = f.make_cycle(readers=2)
    for _ in range(3):
        f.add_member(cycle, f.make_user(Role.REVIEWER, designations="C"))
    applicant = f.make_applicant(cycle)
    f.make_essay(cycle, applicant, item_id="E-1")
    f.make_essay(cycle, applicant, item_id="E-2")
    coordinator = f.make_user(Role.COORDINATOR)
    db.session.commit()
    return cycle, coordinator


def test_confirming_an_unchanged_preview_writes_its_reads(app):
    with app.app_context():
        cycle, coordinator = _two_essays_three_reviewers()
        plan, fingerprint = preview.preview_assignment(cycle, 2)
        assert db.session.scalar(select(func.count()).select_from(Assignment)) == 0
        written = preview.confirm_assignment(cycle, 2, fingerprint, actor_id=coordinator.id)
        db.session.commit()
        stored = set(db.session.execute(select(Assignment.item_pk, Assignment.reviewer_id)).all())
        assert stored == {(read.item_pk, read.reviewer_id) for read in plan.reads}
        assert len(stored) == 4 and written.written
        # 4 reads over 3 reviewers: the busiest has 2, nobody has 0.
        assert sorted(r.after for r in written.reviewers) == [1, 1, 2]


def test_a_confirmation_after_the_data_changed_is_refused_and_rolled_back(app):
    with app.app_context():
        cycle, coordinator = _two_essays_three_reviewers()
        _, fingerprint = preview.preview_assignment(cycle, 2)
        f.add_member(cycle, f.make_user(Role.REVIEWER, designations="C"))  # a fourth reviewer joins
        db.session.commit()
        with pytest.raises(preview.StalePlan) as refused:
            preview.confirm_assignment(cycle, 2, fingerprint, actor_id=coordinator.id)
        assert db.session.scalar(select(func.count()).select_from(Assignment)) == 0
        assert (
            db.session.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "assignment.create")
            )
            == 0
        )
        fresh = refused.value.plan
        assert not fresh.written and len(fresh.reviewers) == 4
        assert sorted(r.after for r in fresh.reviewers) == [1, 1, 1, 1]


def test_audit_page_is_newest_first_and_filters(app):
    with app.app_context():
        alice = f.make_user(Role.COORDINATOR, email="alice@x.org")
        bob = f.make_user(Role.REVIEWER, email="bob@x.org")
        record(
            "item.state",
            "item",
            1,
            actor_id=alice.id,
            item_key="E-1",
            before={"state": "assigned"},
            after={"state": "in_review"},
        )
        record("read.submit", "read", 2, actor_id=bob.id, item_key="E-1")
        record("user.active", "user", bob.id, actor_id=alice.id, before={"active": True}, after={"active": False})
        record("item.state", "item", 3, item_key="E-2")
        db.session.commit()
        everything = service.audit_page()
        assert [row.entry.action for row in everything.rows] == [
            "item.state",
            "user.active",
            "read.submit",
            "item.state",
        ]
        assert [row.actor for row in everything.rows] == ["system", "alice@x.org", "bob@x.org", "alice@x.org"]
        assert [row.entry.object_id for row in service.audit_page(item_key="E-1").rows] == [2, 1]
        assert [row.entry.action for row in service.audit_page(user=bob).rows] == ["user.active", "read.submit"]
        assert service.audit_page(item_key="E-9").total == 0


def test_audit_page_pages_through_fifty_at_a_time(app):
    with app.app_context():
        for n in range(120):
            record("item.state", "item", n, item_key=f"E-{n}")
        db.session.commit()
        last = service.audit_page(number=3)
        assert (last.number, last.pages, last.total, len(last.rows)) == (3, 3, 120, 20)
        assert last.rows[-1].entry.object_id == 0


def test_accounts_without_a_password_wait_for_an_invitation_and_role_and_profile_changes_are_audited(app):
    from app.people.passwords import verify_password

    with app.app_context():
        coordinator = f.make_user(Role.COORDINATOR)
        user = accounts.create_account("New@X.org", "New Person", "reviewer", None, actor_id=coordinator.id)
        assert user.password_hash is None and user.profile is not None
        chosen = accounts.create_account("a@x.org", "A", "reviewer", "a good long password", actor_id=coordinator.id)
        assert verify_password(chosen.password_hash, "a good long password")
        with pytest.raises(UserError, match="email: a user with new@x.org already exists") as refused:
            accounts.create_account("new@x.org", "Again", "reviewer", None, actor_id=coordinator.id)
        # The one shape of a refused input: the field it names and the reason, for forms and the command line.
        assert isinstance(refused.value, InputError)
        assert refused.value.problems == {"email": "a user with new@x.org already exists"}

        token = user.session_token
        again = accounts.reset_password(user, None, actor_id=coordinator.id)
        assert again and verify_password(user.password_hash, again) and user.session_token != token

        accounts.update_profile(
            user, designations="p", endorsements="imhm-p; imhs", organization=" ", max_load=5, actor_id=coordinator.id
        )
        assert (
            user.profile.designations,
            user.profile.endorsements,
            user.profile.organization,
            user.profile.max_load,
        ) == ("P", "IMHS; IMHM-P", None, 5)
        accounts.change_role(user, "committee", actor_id=coordinator.id)
        with pytest.raises(UserError, match="profile: only reviewers"):
            accounts.update_profile(
                user, designations="C", endorsements="", organization="", max_load=None, actor_id=coordinator.id
            )
        entries = {e.action: e for e in db.session.scalars(select(AuditEntry).where(AuditEntry.object_id == user.id))}
        assert entries["user.role"].before == {"role": "reviewer"} and entries["user.role"].after == {
            "role": "committee"
        }
        assert entries["user.profile"].after == {"designations": "P", "endorsements": "IMHS; IMHM-P", "max_load": 5}


def test_a_coordinator_cannot_lock_themselves_out(app):
    with app.app_context():
        coordinator = f.make_user(Role.COORDINATOR)
        with pytest.raises(UserError, match="active: you cannot disable your own account"):
            accounts.set_account_active(coordinator, False, actor_id=coordinator.id)
        with pytest.raises(UserError, match="role: you cannot take the coordinator role"):
            accounts.change_role(coordinator, "reviewer", actor_id=coordinator.id)
        assert coordinator.active and coordinator.role == Role.COORDINATOR


def test_disabling_an_account_ends_its_sessions(app):
    with app.app_context():
        coordinator = f.make_user(Role.COORDINATOR)
        reviewer = f.make_user(Role.REVIEWER)
        token = reviewer.session_token
        accounts.set_account_active(reviewer, False, actor_id=coordinator.id)
        assert not reviewer.active and reviewer.session_token != token


def test_cycle_items_lists_readers_with_read_status(app):
    with app.app_context():
        cycle, pool = _cycle_with(reviewers=2, essays=2)
        f.make_essay(cycle, f.make_applicant(cycle), item_id="Z-9")
        db.session.commit()
        page = service.cycle_items(cycle)
        assert page.total == 3 and [row.item_id for row in page.rows][-1] == "Z-9"
        first = page.rows[0]
        assert {(r.email, r.status) for r in first.readers} == {
            (pool[0].email, "submitted"),
            (pool[1].email, "assigned"),
        }
        assert [row.item_id for row in service.cycle_items(cycle, state="unassigned").rows] == ["Z-9"]
        assert [row.item_id for row in service.cycle_items(cycle, search="z-").rows] == ["Z-9"]
