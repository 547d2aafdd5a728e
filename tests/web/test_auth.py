"""Signing in and out, sessions, the rate limit, safe redirects and password changes (docs/security.md,
requirements 1–6)."""

from datetime import timedelta

import pytest

from app import create_app
from app.extensions import db
from app.people import service
from app.people.devices import COOKIE_NAME as DEVICE_COOKIE
from app.people.models import LoginAttempt, Role, User
from app.people.sessions import safe_next
from app.timeutil import utcnow
from tests import factories as f
from tests.web.helpers import login, logout, page_token

PASSWORD = "correct horse battery staple"
EMAIL = "rita@example.org"


@pytest.fixture
def reviewer_id(app):
    with app.app_context():
        user = f.make_user(Role.REVIEWER, email=EMAIL, name="Rita Reviewer", password=PASSWORD)
        db.session.commit()
        return user.id


def session_cookie(client) -> str | None:
    cookie = client.get_cookie("session")
    return cookie.value if cookie else None


def signed_in(client) -> bool:
    """Whether the client's session is accepted on a page that needs a signed-in user."""
    return client.get("/account/password").status_code == 200


# ---- signing in ----


def test_the_right_password_signs_in_and_shows_the_user_in_the_header(client, reviewer_id):
    response = login(client, EMAIL, PASSWORD)
    assert response.status_code == 302
    page = client.get("/account/password").get_data(as_text=True)
    assert "Rita Reviewer" in page
    assert 'action="/logout"' in page


def test_the_email_is_matched_without_case_or_surrounding_spaces(client, reviewer_id):
    assert login(client, "  RITA@Example.ORG ", PASSWORD).status_code == 302
    assert signed_in(client)


def test_a_wrong_password_is_refused_with_a_generic_message(client, reviewer_id):
    response = login(client, EMAIL, PASSWORD + "x")
    assert response.status_code == 401
    assert "E-mail or password is incorrect." in response.get_data(as_text=True)
    assert not signed_in(client)


def test_an_unknown_account_gets_exactly_the_same_answer_as_a_wrong_password(app, reviewer_id):
    known = login(app.test_client(), EMAIL, "wrong password 1")
    unknown = login(app.test_client(), "nobody@example.org", "wrong password 1")
    assert known.status_code == unknown.status_code == 401
    assert _without_tokens(known.get_data(as_text=True)) == _without_tokens(unknown.get_data(as_text=True))


def _without_tokens(html: str) -> str:
    import re

    html = re.sub(r'value="[^"]*"', 'value=""', html)  # CSRF token and the echoed e-mail
    return re.sub(r'"X-CSRFToken": "[^"]*"', "", html)


def test_a_disabled_account_cannot_sign_in_even_with_the_right_password(app, client, reviewer_id):
    with app.app_context():
        service.set_active(db.session.get(User, reviewer_id), False)
        db.session.commit()
    response = login(client, EMAIL, PASSWORD)
    assert response.status_code == 401
    assert "E-mail or password is incorrect." in response.get_data(as_text=True)


def test_the_password_is_stored_as_an_argon2id_hash(app, reviewer_id):
    with app.app_context():
        stored = db.session.get(User, reviewer_id).password_hash
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_passwords_are_taken_exactly_as_typed_and_may_be_long(app, client):
    long_password = "  ¡Ünïcødé passphrase with spaces at both ends, and it is much longer than 64 chars!  "
    assert len(long_password) > 64
    with app.app_context():
        f.make_user(Role.COMMITTEE, email="cleo@example.org", password=long_password)
        db.session.commit()
    assert login(app.test_client(), "cleo@example.org", long_password.strip()).status_code == 401
    assert login(client, "cleo@example.org", long_password).status_code == 302
    assert signed_in(client)


# ---- rate limit ----


def test_after_five_failures_an_unknown_device_waits_even_with_the_right_password(app, client, reviewer_id):
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert login(client, EMAIL, "wrong wrong wrong").status_code == 401
    locked = login(client, EMAIL, PASSWORD)
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.get_data(as_text=True)
    assert not signed_in(client)


def test_the_lockout_answers_the_same_for_an_unknown_account(app, reviewer_id):
    answers = []
    for email in (EMAIL, "ghost@example.org"):
        client = app.test_client()
        for _ in range(app.config["LOGIN_MAX_FAILURES"]):
            login(client, email, "wrong wrong wrong")
        response = login(client, email, PASSWORD)
        answers.append((response.status_code, _without_tokens(response.get_data(as_text=True))))
    assert answers[0] == answers[1]
    assert answers[0][0] == 429


def test_the_limit_holds_across_two_worker_processes_sharing_the_database(app, tmp_path, reviewer_id):
    # A second app object on the same database stands in for a second gunicorn worker.
    second = create_app(
        {
            **{k: app.config[k] for k in ("TESTING", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "WTF_CSRF_ENABLED")},
            "INSTANCE_PATH": str(tmp_path / "instance2"),
            "LOCAL_HTTP": True,
        }
    )
    workers = [app.test_client(), second.test_client()]
    for attempt in range(app.config["LOGIN_MAX_FAILURES"]):
        assert login(workers[attempt % 2], EMAIL, "wrong wrong wrong").status_code == 401
    assert login(workers[0], EMAIL, PASSWORD).status_code == 429
    assert login(workers[1], EMAIL, PASSWORD).status_code == 429
    with second.app_context():
        db.engine.dispose()


def test_failures_older_than_the_window_no_longer_count(app, client, reviewer_id):
    window = app.config["LOGIN_WINDOW_SECONDS"]
    with app.app_context():
        long_ago = utcnow() - timedelta(seconds=window + 5)
        db.session.add_all([LoginAttempt(key=EMAIL, at=long_ago) for _ in range(10)])
        db.session.commit()
    assert login(client, EMAIL, PASSWORD).status_code == 302


def test_a_successful_sign_in_clears_the_failure_count(app, client, reviewer_id):
    login(app.test_client(), EMAIL, "wrong wrong wrong")
    assert login(client, EMAIL, PASSWORD).status_code == 302
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(LoginAttempt)) == 0


# ---- sessions ----


def test_the_session_cookie_changes_at_sign_in(client, reviewer_id):
    page_token(client, "/login")
    before = session_cookie(client)
    assert before
    login(client, EMAIL, PASSWORD)
    after = session_cookie(client)
    assert after and after != before


def test_the_csrf_token_of_the_anonymous_session_does_not_survive_sign_in(client, reviewer_id):
    old_token = page_token(client, "/login")
    login(client, EMAIL, PASSWORD)
    response = client.post("/logout", data={"csrf_token": old_token})
    assert response.status_code == 400


def test_the_session_is_permanent_with_the_configured_lifetime(app, client, reviewer_id):
    response = login(client, EMAIL, PASSWORD)
    set_cookie = response.headers["Set-Cookie"]
    assert "Expires=" in set_cookie
    assert "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie


def test_a_replayed_cookie_fails_after_logout(app, client, reviewer_id):
    login(client, EMAIL, PASSWORD)
    stolen = session_cookie(client)
    assert logout(client).status_code == 302
    assert not signed_in(client)
    replay = app.test_client()
    replay.set_cookie("session", stolen)
    assert not signed_in(replay)


def test_a_replayed_cookie_fails_after_the_account_is_disabled(app, client, reviewer_id):
    login(client, EMAIL, PASSWORD)
    assert signed_in(client)
    with app.app_context():
        service.set_active(db.session.get(User, reviewer_id), False, actor_id=None)
        db.session.commit()
    assert not signed_in(client)


def test_a_disabled_flag_alone_ends_the_session_at_the_next_request(app, client, reviewer_id):
    login(client, EMAIL, PASSWORD)
    with app.app_context():
        db.session.get(User, reviewer_id).active = False  # without rotating the token
        db.session.commit()
    assert not signed_in(client)


def test_cookies_are_secure_outside_local_development(tmp_path, monkeypatch):
    monkeypatch.delenv("ENDORSEMENT_LOCAL_HTTP", raising=False)
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "s",
            "INSTANCE_PATH": str(tmp_path / "i"),
            "SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(tmp_path / "s.sqlite3"),
        }
    )
    set_cookie = app.test_client().get("/login", base_url="https://localhost").headers["Set-Cookie"]
    assert "Secure" in set_cookie and "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie
    with app.app_context():
        db.engine.dispose()


# ---- next ----


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "///evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "evil.example",
        "http:/evil.example",
        "/\t/evil.example",
        "",
        None,
    ],
)
def test_unsafe_next_targets_are_rejected(target):
    assert safe_next(target) is None


@pytest.mark.parametrize("target", ["/", "/reviews/", "/reviews/7?tab=rubric", "/account/password#x"])
def test_paths_within_the_app_are_accepted_as_next(target):
    assert safe_next(target) == target


def test_sign_in_follows_a_safe_next(client, reviewer_id):
    response = login(client, EMAIL, PASSWORD, next_path="/account/password")
    assert response.headers["Location"] == "/account/password"


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "javascript:alert(1)"])
def test_sign_in_ignores_an_unsafe_next(client, reviewer_id, target):
    response = login(client, EMAIL, PASSWORD, next_path=target)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/")
    assert "evil" not in response.headers["Location"] and "javascript" not in response.headers["Location"]


def test_an_anonymous_visit_is_sent_to_sign_in_and_back(client, reviewer_id):
    response = client.get("/account/password")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/account/password"
    form_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'name="next" type="hidden" value="/account/password"' in form_page


# ---- password change ----


def _change(client, current, new, again=None):
    token = page_token(client, "/account/password")
    return client.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current_password": current,
            "new_password": new,
            "confirm_password": new if again is None else again,
        },
    )


def test_changing_the_password_needs_the_current_one(client, reviewer_id):
    login(client, EMAIL, PASSWORD)
    response = _change(client, "not my password", "a brand new passphrase")
    assert response.status_code == 200
    assert "Is not your current password" in response.get_data(as_text=True)


def test_guessing_the_current_password_counts_toward_the_sign_in_limit(app, client, reviewer_id):
    """The guesses are judged as sign-ins from this browser: it is delayed, and so are its sign-ins."""
    login(client, EMAIL, PASSWORD)
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        _change(client, "a wrong guess", "a brand new passphrase")
    response = _change(client, PASSWORD, "a brand new passphrase")
    assert "Too many wrong attempts" in response.get_data(as_text=True)
    same_browser = app.test_client()
    same_browser.set_cookie(DEVICE_COOKIE, client.get_cookie(DEVICE_COOKIE).value)
    assert login(same_browser, EMAIL, PASSWORD).status_code == 429
    assert login(same_browser, EMAIL, "a brand new passphrase").status_code == 429
    with app.app_context():  # the password did not change
        assert (
            service.authenticate(
                EMAIL, PASSWORD, client="192.0.2.9", device=None, limits=service.sign_in_limits(app.config)
            ).user
            is not None
        )


def test_the_new_password_must_be_typed_twice_the_same(client, reviewer_id):
    login(client, EMAIL, PASSWORD)
    response = _change(client, PASSWORD, "a brand new passphrase", "a brand new passphrase!")
    assert "The two new passwords differ." in response.get_data(as_text=True)


def test_a_short_new_password_is_refused_with_the_rule(client, reviewer_id):
    login(client, EMAIL, PASSWORD)
    response = _change(client, PASSWORD, "short")
    assert "at least 12 characters" in response.get_data(as_text=True)


def test_a_password_change_ends_other_sessions_but_keeps_this_one(app, client, reviewer_id):
    other_device = app.test_client()
    login(other_device, EMAIL, PASSWORD)
    login(client, EMAIL, PASSWORD)
    new_password = "x" * 70 + " a long new passphrase"
    response = _change(client, PASSWORD, new_password)
    assert response.status_code == 302
    assert signed_in(client)
    assert not signed_in(other_device)
    assert login(app.test_client(), EMAIL, PASSWORD).status_code == 401
    assert login(app.test_client(), EMAIL, new_password).status_code == 302
    with app.app_context():
        assert db.session.get(User, reviewer_id).password_hash.startswith("$argon2id$")


# ---- CSRF ----


@pytest.mark.parametrize("token", [None, "wrong-token", "foreign"])
def test_login_without_a_valid_csrf_token_is_refused(app, client, reviewer_id, token):
    if token == "foreign":
        token = page_token(app.test_client(), "/login")  # a token from someone else's session
    client.get("/login")
    data = {"email": EMAIL, "password": PASSWORD}
    if token:
        data["csrf_token"] = token
    response = client.post("/login", data=data)
    assert response.status_code == 400
    assert response.headers["X-Endorsement-Error"] == "csrf"
    assert not signed_in(client)


@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_logout_and_password_change_without_a_valid_csrf_token_are_refused(app, client, reviewer_id, token):
    login(client, EMAIL, PASSWORD)
    extra = {"csrf_token": token} if token else {}
    assert client.post("/logout", data=extra).status_code == 400
    assert signed_in(client)
    response = client.post(
        "/account/password",
        data={**extra, "current_password": PASSWORD, "new_password": "n" * 20, "confirm_password": "n" * 20},
    )
    assert response.status_code == 400
    assert signed_in(client)
    assert login(app.test_client(), EMAIL, PASSWORD).status_code == 302  # password unchanged


def test_logout_by_get_is_not_possible(client, reviewer_id):
    login(client, EMAIL, PASSWORD)
    assert client.get("/logout").status_code == 405
    assert signed_in(client)


def test_an_expired_token_on_an_htmx_request_gets_a_recognisable_400(client, reviewer_id):
    login(client, EMAIL, PASSWORD)
    response = client.post("/logout", headers={"HX-Request": "true", "X-CSRFToken": "expired"})
    assert response.status_code == 400
    assert response.headers["X-Endorsement-Error"] == "csrf"
    assert "Your session expired" in response.get_data(as_text=True)
    assert "<html" not in response.get_data(as_text=True)


def test_the_token_endpoint_gives_a_working_token_to_a_signed_in_page(client, reviewer_id):
    login(client, EMAIL, PASSWORD)
    token = client.get("/account/token", headers={"Accept": "application/json"}).get_json()["csrf_token"]
    response = client.post("/logout", headers={"HX-Request": "true", "X-CSRFToken": token})
    assert response.status_code == 302


def test_the_token_endpoint_answers_401_when_signed_out(client):
    response = client.get("/account/token", headers={"Accept": "application/json"})
    assert response.status_code == 401
    assert response.get_json()["error"] == "signed_out"
