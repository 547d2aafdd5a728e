"""Sessions: an absolute maximum besides the idle lifetime, and the password again for account-changing actions."""

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import pytest
from sqlalchemy import select

from app.extensions import db
from app.people.models import LoginAttempt, Role, User
from app.people.sessions import SIGNED_IN_AT
from tests import factories as f
from tests.web.helpers import login, page_token, signed_in_client

PASSWORD = "coordinator's long passphrase"
WRONG = "somebody else's guess"


@pytest.fixture
def people(app):
    with app.app_context():
        coordinator = f.make_user(Role.COORDINATOR, email="cora@example.org", password=PASSWORD)
        reviewer = f.make_user(Role.REVIEWER, email="rex@example.org", password=PASSWORD)
        db.session.commit()
        return {"coordinator": coordinator.id, "reviewer": reviewer.id}


def age_session(client, seconds: int) -> None:
    with client.session_transaction() as session:
        session[SIGNED_IN_AT] -= seconds


def seconds_left(response) -> float:
    """How long the session cookie the response sets lives, from its Expires attribute."""
    header = next(header for header in response.headers.getlist("Set-Cookie") if header.startswith("session="))
    expires = next(part[len("Expires=") :] for part in header.split("; ") if part.startswith("Expires="))
    return (parsedate_to_datetime(expires) - datetime.now(UTC)).total_seconds()


# ---- the absolute maximum ----


def test_a_sign_in_ends_at_the_absolute_maximum_however_busy(app, people):
    client = signed_in_client(app, "rex@example.org", PASSWORD)
    maximum = app.config["SESSION_MAX_AGE_SECONDS"]
    age_session(client, maximum - 60)
    assert client.get("/reviews/").status_code == 200  # a minute to go: still signed in
    age_session(client, 61)
    gone = client.get("/reviews/")
    assert gone.status_code == 302 and gone.headers["Location"].startswith("/login")
    assert "the longest a sign-in lasts" in client.get(gone.headers["Location"]).get_data(as_text=True)
    assert client.get("/reviews/").status_code == 302  # and it stays ended: the session was cleared


def test_an_htmx_request_past_the_maximum_gets_a_401_the_page_can_show(app, people):
    client = signed_in_client(app, "rex@example.org", PASSWORD)
    age_session(client, app.config["SESSION_MAX_AGE_SECONDS"] + 1)
    response = client.get("/account/token", headers={"HX-Request": "true"})
    assert response.status_code == 401 and response.get_json()["error"] == "signed_out"


def test_a_session_without_the_sign_in_time_is_not_accepted(app, people):
    client = signed_in_client(app, "rex@example.org", PASSWORD)
    with client.session_transaction() as session:
        del session[SIGNED_IN_AT]
    assert client.get("/reviews/").status_code == 302


def test_the_idle_lifetime_is_shorter_than_the_maximum_and_each_request_renews_it(app, people):
    client = app.test_client()
    response = login(client, "rex@example.org", PASSWORD)
    idle, maximum = app.config["PERMANENT_SESSION_LIFETIME"], app.config["SESSION_MAX_AGE_SECONDS"]
    assert idle < maximum
    assert abs(seconds_left(response) - idle) < 60
    assert abs(seconds_left(client.get("/reviews/")) - idle) < 60  # renewed by every request


def test_signing_in_again_starts_a_new_maximum(app, people):
    client = signed_in_client(app, "rex@example.org", PASSWORD)
    age_session(client, app.config["SESSION_MAX_AGE_SECONDS"] + 1)
    assert client.get("/reviews/").status_code == 302
    assert login(client, "rex@example.org", PASSWORD).status_code == 302
    assert client.get("/reviews/").status_code == 200


# ---- the password again for account-changing actions ----


def _actions(people):
    """(path, form without the confirming password, its field name, what the change does)."""
    reviewer = f"/console/users/{people['reviewer']}"
    return {
        "create": (
            "/console/users",
            {"name": "Nia New", "email": "nia@example.org", "role": "coordinator", "password": ""},
            "your_password",
        ),
        "role": (f"{reviewer}/role", {"role-role": "coordinator"}, "role-your_password"),
        "disable": (f"{reviewer}/disable", {}, "active-your_password"),
        "password": (
            f"{reviewer}/password",
            {"password-password": "a new passphrase for Rex"},
            "password-your_password",
        ),
    }


def _account_facts(app):
    with app.app_context():
        return sorted((u.email, u.role.value, u.active, u.password_hash) for u in db.session.scalars(select(User)))


@pytest.mark.parametrize("action", ["create", "role", "disable", "password"])
def test_account_changing_actions_need_the_coordinators_own_password(app, people, action):
    client = signed_in_client(app, "cora@example.org", PASSWORD)
    path, form, field = _actions(people)[action]
    before = _account_facts(app)
    page = "/console/users" if action == "create" else f"/console/users/{people['reviewer']}"
    for typed, message in (
        ("", "Type your own password to confirm this change."),
        (WRONG, "Is not your current password."),
    ):
        response = client.post(path, data={"csrf_token": page_token(client, page), **form, field: typed})
        assert response.status_code == 422, action
        assert message in response.get_data(as_text=True)
        assert _account_facts(app) == before  # nothing changed
    response = client.post(path, data={"csrf_token": page_token(client, page), **form, field: PASSWORD})
    assert response.status_code in (201, 302)
    assert _account_facts(app) != before


def test_wrong_confirming_passwords_count_and_are_delayed_like_sign_ins(app, people):
    client = signed_in_client(app, "cora@example.org", PASSWORD)
    path, form, field = _actions(people)["role"]
    page = f"/console/users/{people['reviewer']}"
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        client.post(path, data={"csrf_token": page_token(client, page), **form, field: WRONG})
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(LoginAttempt)) == app.config["LOGIN_MAX_FAILURES"]
    refused = client.post(path, data={"csrf_token": page_token(client, page), **form, field: PASSWORD})
    assert refused.status_code == 422 and "Too many wrong attempts; wait 30 seconds" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, people["reviewer"]).role == Role.REVIEWER
