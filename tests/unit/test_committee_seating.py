"""Seating a cycle's committee from the command line and the ``committee`` import, the account commands
(``users list|disable|enable``, ``cycles list``), and bad input refused with nothing written."""

from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.cycles.models import CycleMember, Item, ItemState, MemberRole
from app.extensions import db
from app.imports.service import import_file
from app.people.models import Role, User
from tests import factories as f
from tests.unit.import_files import csv_bytes


def committee_world(app):
    """Cycle "2027 Spring" and "2026 Autumn"; committee accounts Ada (with a password) and Bo (without), a
    coordinator Cy, a reviewer Rex."""
    with app.app_context():
        f.make_cycle("2027 Spring")
        f.make_cycle("2026 Autumn")
        f.make_user(
            Role.COMMITTEE,
            email="ada@example.org",
            name="Ada Chair",
            password="a long enough password",
            organization="Harbor Clinic",
        )
        f.make_user(Role.COMMITTEE, email="bo@example.org", name="Bo Member")
        f.make_user(Role.COORDINATOR, email="cy@example.org", name="Cy Coordinator")
        f.make_user(Role.REVIEWER, email="rex@example.org", name="Rex Reviewer")
        db.session.commit()


def seated(app, cycle_name="2027 Spring") -> list[str]:
    with app.app_context():
        from app.cycles.models import Cycle

        return sorted(
            db.session.scalars(
                select(User.email)
                .join(CycleMember, CycleMember.user_id == User.id)
                .join(Cycle)
                .where(Cycle.name == cycle_name, CycleMember.role == MemberRole.COMMITTEE)
            )
        )


def audit_actions(app) -> list[tuple[str, str | None]]:
    with app.app_context():
        return [
            (entry.action, entry.after and entry.after.get("cycle"))
            for entry in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        ]


def table_count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_seat_list_and_unseat_from_the_command_line(app, runner):
    committee_world(app)
    result = runner.invoke(
        args=["committee", "seat", "--cycle", "2027 Spring", "ADA@example.org ", "bo@example.org", "cy@example.org"]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "ada@example.org: seated",
        "bo@example.org: seated (no password yet: invited to set one)",
        "cy@example.org: seated (no password yet: invited to set one)",
        "mail: MAIL_SERVER is not set: 2 messages kept in the outbox (the console's Mail page shows them)",
    ]
    assert seated(app) == ["ada@example.org", "bo@example.org", "cy@example.org"]
    assert seated(app, "2026 Autumn") == []
    again = runner.invoke(args=["committee", "seat", "--cycle", "2027 Spring", "ada@example.org"])
    assert again.exit_code == 0 and again.output == "ada@example.org: already seated\n"

    listing = runner.invoke(args=["committee", "list", "--cycle", "2027 Spring"])
    assert listing.exit_code == 0, listing.output
    assert listing.output.splitlines() == [
        "email            name            role         organization   sign-in",
        "ada@example.org  Ada Chair       committee    Harbor Clinic  active",
        "bo@example.org   Bo Member       committee    -              active, no password yet",
        "cy@example.org   Cy Coordinator  coordinator  -              active, no password yet",
        "",
        "recusals: none",
    ]

    out = runner.invoke(args=["committee", "unseat", "--cycle", "2027 Spring", "bo@example.org", "rex@example.org"])
    assert out.exit_code == 0, out.output
    assert out.output.splitlines() == ["bo@example.org: unseated", "rex@example.org: was not seated"]
    assert seated(app) == ["ada@example.org", "cy@example.org"]
    # Three seats and one unseat, each audited once with its cycle; the repeated seat wrote nothing.
    assert [action for action in audit_actions(app) if action[0].startswith("committee.")] == [
        ("committee.seat", "2027 Spring")
    ] * 3 + [("committee.unseat", "2027 Spring")]
    empty = runner.invoke(args=["committee", "list", "--cycle", "2026 Autumn"])
    assert empty.output == "nobody sits on the committee of '2026 Autumn' yet\n"


def test_seating_refuses_unknown_accounts_wrong_roles_and_unknown_cycles_writing_nothing(app, runner):
    committee_world(app)
    before = (table_count(app, CycleMember), table_count(app, AuditEntry))
    wrong = runner.invoke(
        args=["committee", "seat", "--cycle", "2027 Spring", "ada@example.org", "nobody@example.org", "rex@example.org"]
    )
    assert wrong.exit_code == 1
    assert wrong.output == (
        "Error: email: no account with e-mail nobody@example.org; the account rex@example.org is "
        "a reviewer account; only committee and coordinator accounts can sit on a committee\n"
    )
    assert "Traceback" not in wrong.output
    cycle = runner.invoke(args=["committee", "seat", "--cycle", "2099 Never", "ada@example.org"])
    assert cycle.exit_code == 1 and cycle.output == "Error: cycle: no cycle called '2099 Never'\n"
    unseat = runner.invoke(args=["committee", "unseat", "--cycle", "2027 Spring", "ghost@example.org"])
    assert unseat.exit_code == 1 and unseat.output == "Error: email: no account with e-mail ghost@example.org\n"
    listing = runner.invoke(args=["committee", "list", "--cycle", "2099 Never"])
    assert listing.exit_code == 1
    usage = runner.invoke(args=["committee", "seat", "--cycle", "2027 Spring"])
    assert usage.exit_code == 2  # no e-mail at all is a usage error
    # Ada was fine, but the command is all or nothing.
    assert (table_count(app, CycleMember), table_count(app, AuditEntry)) == before


def test_users_list_disable_and_enable(app, runner):
    committee_world(app)
    listing = runner.invoke(args=["users", "list"])
    assert listing.exit_code == 0, listing.output
    assert listing.output.splitlines() == [
        "email            name            role         sign-in",
        "ada@example.org  Ada Chair       committee    active",
        "bo@example.org   Bo Member       committee    active, no password yet",
        "cy@example.org   Cy Coordinator  coordinator  active, no password yet",
        "rex@example.org  Rex Reviewer    reviewer     active, no password yet",
    ]
    reviewers = runner.invoke(args=["users", "list", "--role", "reviewer"])
    assert reviewers.output.splitlines()[1:] == ["rex@example.org  Rex Reviewer  reviewer  active, no password yet"]
    assert runner.invoke(args=["users", "list", "--role", "admin"]).exit_code == 2

    with app.app_context():
        token = db.session.scalar(select(User.session_token).filter_by(email="ada@example.org"))
    disabled = runner.invoke(args=["users", "disable", "--email", "Ada@Example.org"])
    assert disabled.exit_code == 0 and disabled.output == "ada@example.org is disabled and signed out everywhere\n"
    with app.app_context():
        ada = db.session.scalar(select(User).filter_by(email="ada@example.org"))
        assert not ada.active and ada.session_token != token  # every session of hers ended
    assert "ada@example.org  Ada Chair       committee    disabled" in runner.invoke(args=["users", "list"]).output
    twice = runner.invoke(args=["users", "disable", "--email", "ada@example.org"])
    assert twice.output == "ada@example.org is disabled and signed out everywhere (unchanged)\n"
    enabled = runner.invoke(args=["users", "enable", "--email", "ada@example.org"])
    assert enabled.exit_code == 0 and enabled.output == "ada@example.org can sign in\n"
    assert [action for action, _ in audit_actions(app) if action == "user.active"] == ["user.active"] * 2

    unknown = runner.invoke(args=["users", "disable", "--email", "ghost@example.org"])
    assert unknown.exit_code == 1 and unknown.output == "Error: email: no account with e-mail ghost@example.org\n"


def test_cycles_list_counts_items_per_state(app, runner):
    committee_world(app)
    with app.app_context():
        from app.cycles.models import Cycle

        spring = db.session.scalar(select(Cycle).filter_by(name="2027 Spring"))
        spring.readers, spring.due = 3, __import__("datetime").date(2027, 5, 1)
        applicant = f.make_applicant(spring)
        for n, state in enumerate([ItemState.UNASSIGNED, ItemState.UNASSIGNED, ItemState.COMMITTEE, ItemState.DECIDED]):
            f.make_essay(spring, applicant, item_id=f"E-{n}").state = state
        # A validity essay stays in review for ever: counted apart, in its own column, never in the states.
        db.session.add(Item(cycle_id=spring.id, item_id="E-9", kind="essay", rubric_key="imhm-c-essay", validity=True))
        db.session.commit()
    result = runner.invoke(args=["cycles", "list"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "cycle        readers  due         items  unassigned  assigned  in_review  agreed  discrepant  adjudicating"
        "  resolved  committee  decided  validity",
        "2026 Autumn  2        -           0      0           0         0          0       0           0"
        "             0         0          0        0",
        "2027 Spring  3        2027-05-01  4      2           0         0          0       0           0"
        "             0         1          1        1",
    ]


def committee_file(rows):
    return csv_bytes([["Email", " name ", "ORGANIZATION"], *rows])


def test_the_committee_import_seats_accounts_and_creates_missing_ones_without_a_password(app):
    committee_world(app)
    with app.app_context():
        from app.cycles.models import Cycle

        spring = db.session.scalar(select(Cycle).filter_by(name="2027 Spring"))
        rows = [
            ["ada@example.org", "", ""],
            ["new.member@example.org", "Nia New", "Bay Family Services"],
            ["cy@example.org", "Cy Coordinator", ""],
        ]
        result = import_file("committee", committee_file(rows), "committee.csv", spring)
        assert result.ok, result.report()
        assert (result.created, result.updated, result.unchanged) == (3, 0, 0)  # three new seats (one per row)
        db.session.commit()
        nia = db.session.scalar(select(User).filter_by(email="new.member@example.org"))
        assert (nia.name, nia.role, nia.password_hash, nia.profile.organization) == (
            "Nia New",
            Role.COMMITTEE,
            None,
            "Bay Family Services",
        )
        ada = db.session.scalar(select(User).filter_by(email="ada@example.org"))
        assert ada.profile.organization is None
        again = import_file("committee", committee_file(rows), "committee.csv", spring)
        assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
        # Without the organization column, organizations stay as they are.
        names_only = import_file("committee", csv_bytes([["email"], ["new.member@example.org"]]), "c.csv", spring)
        assert (names_only.created, names_only.updated, names_only.unchanged) == (0, 0, 1)
        db.session.commit()
        assert db.session.get(User, nia.id).profile.organization == "Bay Family Services"
        actions = [entry.action for entry in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
        assert actions.count("committee.seat") == 3 and actions.count("user.create") == 1
    assert seated(app) == ["ada@example.org", "cy@example.org", "new.member@example.org"]


def test_a_bad_committee_file_is_refused_whole(app, runner, tmp_path):
    committee_world(app)
    before = (table_count(app, CycleMember), table_count(app, User), table_count(app, AuditEntry))
    path = tmp_path / "committee.csv"
    path.write_bytes(
        committee_file(
            [
                ["ada@example.org", "", ""],
                ["rex@example.org", "Rex", ""],
                ["unknown@example.org", "", ""],
                ["not-an-address", "X", ""],
            ]
        )
    )
    result = runner.invoke(args=["import", "committee", str(path), "--cycle", "2027 Spring"])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "committee.csv: nothing imported; fix these problems and import again:",
        "row 3, column email: the account rex@example.org is a reviewer account; only committee and coordinator "
        "accounts can sit on a committee",
        "row 4, column name: no account with e-mail unknown@example.org: give a name to create one",
        "row 5, column email: 'not-an-address' is not an e-mail address",
    ]
    assert (table_count(app, CycleMember), table_count(app, User), table_count(app, AuditEntry)) == before
    unknown_cycle = runner.invoke(args=["import", "committee", str(path), "--cycle", "2099 Never"])
    assert unknown_cycle.exit_code == 1 and unknown_cycle.output == "Error: cycle: no cycle called '2099 Never'\n"


def test_a_conflicts_file_may_name_committee_members_under_the_email_header(app):
    committee_world(app)
    with app.app_context():
        from app.cycles.models import Conflict, Cycle

        spring = db.session.scalar(select(Cycle).filter_by(name="2027 Spring"))
        f.make_applicant(spring, applicant_id="A-1")
        db.session.commit()
        good = import_file(
            "conflicts",
            csv_bytes(
                [
                    ["email", "applicant_id", "reason"],
                    ["ada@example.org", "A-1", "supervised her internship"],
                    ["rex@example.org", "A-1", ""],
                ]
            ),
            "c.csv",
            spring,
        )
        assert good.ok and good.created == 2, good.report()
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(Conflict)) == 2
        bad = import_file(
            "conflicts",
            csv_bytes([["email", "applicant_id"], ["cy@example.org", "A-1"], ["ghost@example.org", "A-1"]]),
            "c.csv",
            spring,
        )
        assert [str(error) for error in bad.errors] == [
            "row 2, column reviewer_email: cy@example.org is a coordinator account, who sees every applicant; a "
            "conflict names a reviewer or a committee member",
            "row 3, column reviewer_email: no reviewer or committee member with e-mail ghost@example.org (import "
            "them first)",
        ]
        both = import_file(
            "conflicts",
            csv_bytes([["email", "reviewer_email", "applicant_id"], ["ada@example.org", "ada@example.org", "A-1"]]),
            "c.csv",
            spring,
        )
        assert [str(error) for error in both.errors] == [
            "row 1, column reviewer_email: appears twice in the header (columns 1 and 2)"
        ]
