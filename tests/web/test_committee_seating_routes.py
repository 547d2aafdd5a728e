"""The console's committee page of a cycle: seating an account, seating someone new by e-mail, unseating; and
what a member sees on the very next request."""

import pytest
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.cycles.models import CycleMember, MemberRole
from app.extensions import db
from app.people.models import Role, User
from tests import factories as f
from tests.web.helpers import page_token, signed_in_client

PASSWORD = "a long enough test password"


def two_cycles() -> dict:
    spring, autumn = f.make_cycle("2027 Spring"), f.make_cycle("2026 Autumn")
    f.make_user(Role.COORDINATOR, email="coord@example.org", name="Cora Coordinator", password=PASSWORD)
    member = f.make_user(Role.COMMITTEE, email="mo@example.org", name="Mo Member", password=PASSWORD)
    f.make_user(Role.REVIEWER, email="rex@example.org", name="Rex Reviewer", password=PASSWORD)
    applicant = f.make_applicant(spring, applicant_id="A-1", name="Applicant One")
    essay = f.make_essay(spring, applicant, item_id="E-1")
    return {
        "spring": spring.id,
        "autumn": autumn.id,
        "member": member.id,
        "essay": essay.id,
        "application": applicant.application.id,
    }


pytestmark = pytest.mark.seeded(seed=two_cycles)


@pytest.fixture
def world(seeded):
    return seeded


def test_seating_and_unseating_take_effect_on_the_next_request(app, world):
    coordinator = signed_in_client(app, "coord@example.org", PASSWORD)
    member = signed_in_client(app, "mo@example.org", PASSWORD)
    spring = world["spring"]
    board, item = f"/committee/cycles/{spring}/", f"/committee/items/{world['essay']}"
    applications = f"/committee/cycles/{spring}/applications"
    assert [member.get(path).status_code for path in (board, item, applications)] == [404, 404, 404]
    assert "2027 Spring" not in member.get("/committee/").get_data(as_text=True)

    page = f"/console/cycles/{spring}/committee"
    listing = coordinator.get(page).get_data(as_text=True)
    assert "Nobody sits on this cycle's committee yet" in listing
    assert "Mo Member (mo@example.org, committee)" in listing
    assert "Rex Reviewer" not in listing  # only committee and coordinator accounts can be seated
    response = coordinator.post(
        f"{page}/seat", data={"csrf_token": page_token(coordinator, page), "seat-account": str(world["member"])}
    )
    assert response.status_code == 302
    assert "mo@example.org now sits on the committee of 2027 Spring." in coordinator.get(page).get_data(as_text=True)

    assert [member.get(path).status_code for path in (board, item, applications)] == [200, 200, 200]
    home = member.get("/committee/").get_data(as_text=True)
    assert "2027 Spring" in home and "2026 Autumn" not in home
    assert member.get(f"/committee/cycles/{world['autumn']}/").status_code == 404

    response = coordinator.post(
        f"{page}/unseat", data={"csrf_token": page_token(coordinator, page), "unseat-account": str(world["member"])}
    )
    assert response.status_code == 302
    assert [member.get(path).status_code for path in (board, item, applications)] == [404, 404, 404]
    with app.app_context():
        actions = list(
            db.session.scalars(
                select(AuditEntry.action).where(AuditEntry.action.like("committee.%")).order_by(AuditEntry.id)
            )
        )
    assert actions == ["committee.seat", "committee.unseat"]


def test_seating_someone_new_by_e_mail_creates_a_committee_account_without_a_password(app, world):
    coordinator = signed_in_client(app, "coord@example.org", PASSWORD)
    page = f"/console/cycles/{world['spring']}/committee"
    data = {
        "add-email": "Nia.New@Example.org",
        "add-name": "Nia New",
        "add-organization": "Bay Family Services",
        "add-your_password": PASSWORD,
    }
    response = coordinator.post(f"{page}/add", data={"csrf_token": page_token(coordinator, page), **data})
    assert response.status_code == 302
    body = coordinator.get(page).get_data(as_text=True)
    assert "nia.new@example.org now sits on the committee of 2027 Spring." in body
    assert "no password yet: an invitation to choose one is on its way" in body and "Bay Family Services" in body
    with app.app_context():
        nia = db.session.scalar(select(User).filter_by(email="nia.new@example.org"))
        assert (nia.role, nia.password_hash, nia.profile.organization) == (Role.COMMITTEE, None, "Bay Family Services")
        assert db.session.scalar(select(CycleMember.id).filter_by(user_id=nia.id, role=MemberRole.COMMITTEE))


@pytest.mark.parametrize(
    "fields, field_id, message",
    [
        (
            {"add-email": "rex@example.org", "add-name": ""},
            "add-email",
            "The account rex@example.org is a reviewer account; only committee and coordinator accounts can sit on a "
            "committee",
        ),
        (
            {"add-email": "ghost@example.org", "add-name": ""},
            "add-name",
            "No account with e-mail ghost@example.org: give a name to create one",
        ),
        (
            {"add-email": "not an address", "add-name": "Someone"},
            "add-email",
            "&#39;not an address&#39; is not an e-mail",
        ),
    ],
)
def test_seating_by_e_mail_refuses_bad_input_beside_its_field_writing_nothing(app, world, fields, field_id, message):
    coordinator = signed_in_client(app, "coord@example.org", PASSWORD)
    page = f"/console/cycles/{world['spring']}/committee"
    with app.app_context():
        before = (
            db.session.scalar(select(db.func.count()).select_from(CycleMember)),
            db.session.scalar(select(db.func.count()).select_from(User)),
        )
    response = coordinator.post(
        f"{page}/add", data={"csrf_token": page_token(coordinator, page), "add-your_password": PASSWORD, **fields}
    )
    assert response.status_code == 422
    assert f'id="{field_id}-error">{message}' in response.get_data(as_text=True)
    with app.app_context():
        assert (
            db.session.scalar(select(db.func.count()).select_from(CycleMember)),
            db.session.scalar(select(db.func.count()).select_from(User)),
        ) == before


def test_only_coordinators_manage_the_committee(app, world):
    member = signed_in_client(app, "mo@example.org", PASSWORD)
    page = f"/console/cycles/{world['spring']}/committee"
    assert member.get(page).status_code == 403
    response = member.post(
        f"{page}/seat",
        data={"csrf_token": page_token(member, "/account/password"), "seat-account": str(world["member"])},
    )
    assert response.status_code == 403


def test_a_committee_members_organization_is_kept_on_their_account_page(app, world):
    coordinator = signed_in_client(app, "coord@example.org", PASSWORD)
    page = f"/console/users/{world['member']}"
    assert 'id="organization-title"' in coordinator.get(page).get_data(as_text=True)
    response = coordinator.post(
        f"{page}/organization",
        data={"csrf_token": page_token(coordinator, page), "organization-organization": " Harbor Clinic "},
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, world["member"]).profile.organization == "Harbor Clinic"
