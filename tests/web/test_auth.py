"""Signing in and out, sessions, the rate limit, safe redirects and password changes."""
import re

import pytest

from app.extensions import db
from app.people.models import LoginAttempt, Role, User
from tests import factories as f
from tests.web.helpers import login, logout, page_token

PASSWORD = "correct horse battery staple"


@pytest.fixture
def reviewer(app):
    with app.app_context():
        user = f.make_user(Role.REVIEWER, email="rita@example.org", name="Rita Reviewer", password=PASSWORD)
        db.session.commit()
        return user.id


def session_cookie(client) -> str | None:
    cookie = client.get_cookie("session")
    return cookie.value if cookie else None


def test_login_with_the_right_password_signs_in_and_lands_on_the_start_page(client, reviewer):
    response = login(client, "rita@example.org", PASSWORD)
    assert response.status_code == 302
    page = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert "Rita Reviewer" in page
    assert 'action="/logout"' in page


def test_login_with_a_wrong_password_is_refused_with_a_generic_message(client, reviewer):
    response = login(client, "rita@example.org", PASSWORD + "x")
    assert response.status_code == 401
    assert "E-mail or password is incorrect." in response.get_data(as_text=True)
    assert client.get("/").status_code == 302  # still anonymous: sent to sign in
