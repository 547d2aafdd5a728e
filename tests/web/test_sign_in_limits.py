"""Sign-in limits: a growing delay instead of a lockout, known devices, a per-address limit, the holder told,
the attempt counted before the hash, and no write lock while hashing."""

import base64
import sqlite3
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy.engine import make_url

from app.audit.models import AuditEntry
from app.extensions import db
from app.people import service
from app.people.devices import COOKIE_NAME as DEVICE_COOKIE
from app.people.models import LoginAttempt, Role
from app.people.notices import account_sign_ins_delayed
from app.people.throttle import Limit, describe_wait, wait_seconds
from app.timeutil import utcnow
from tests import factories as f
from tests.web.helpers import login, logout

PASSWORD = "correct horse battery staple"
EMAIL = "coordinator@example.org"
WRONG = "not the password at all"


@pytest.fixture
def holder(app):
    with app.app_context():
        user = f.make_user(Role.COORDINATOR, email=EMAIL, name="Cora Coordinator", password=PASSWORD)
        db.session.commit()
        return user.id


def client_at(app, address: str = "198.51.100.7"):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def age_attempts(app, seconds: float) -> None:
    """Move every recorded attempt ``seconds`` into the past, as if that much time went by."""
    with app.app_context():
        for attempt in db.session.scalars(db.select(LoginAttempt)):
            attempt.at -= timedelta(seconds=seconds)
        db.session.commit()


# ---- the delay: plain rules ----

LIMIT = Limit(free=5, window=timedelta(minutes=15), first_delay=timedelta(seconds=30), max_delay=timedelta(minutes=15))


@pytest.mark.parametrize(
    ("failures", "expected"), [(0, 0), (4, 0), (5, 30), (6, 60), (7, 120), (9, 480), (10, 900), (60, 900)]
)
def test_the_delay_doubles_per_failure_after_the_free_ones_up_to_the_ceiling(failures, expected):
    assert LIMIT.delay_after(failures) == timedelta(seconds=expected)


def test_the_wait_counts_from_the_last_failure_and_rounds_up():
    now = utcnow()
    assert wait_seconds(LIMIT, 5, now - timedelta(seconds=10.5), now) == 20
    assert wait_seconds(LIMIT, 5, now - timedelta(seconds=30), now) == 0
    assert wait_seconds(LIMIT, 4, now, now) == 0
    assert wait_seconds(LIMIT, 4, now + timedelta(seconds=1), now) == 0  # a parallel attempt counted after "now"
    assert wait_seconds(LIMIT, 9, None, now) == 0
    assert describe_wait(1) == "1 second" and describe_wait(45) == "45 seconds" and describe_wait(600) == "10 minutes"


# ---- over HTTP ----


def test_the_delay_grows_and_then_the_right_password_works_again(app, holder):
    client = client_at(app)
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert login(client, EMAIL, WRONG).status_code == 401
    refused = login(client, EMAIL, PASSWORD)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "30"
    assert "Wait 30 seconds" in refused.get_data(as_text=True)
    age_attempts(app, 31)
    assert login(client, EMAIL, WRONG).status_code == 401  # checked again: one more failure
    refused = login(client, EMAIL, PASSWORD)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "60"  # twice as long now
    age_attempts(app, 61)
    assert login(client, EMAIL, PASSWORD).status_code == 302  # a delay, never a lockout


def test_a_strangers_failures_do_not_keep_the_holder_out_of_a_known_device(app, holder):
    """The coordinator has signed in from this browser before; someone elsewhere guesses at the account."""
    own = client_at(app, "203.0.113.5")
    assert login(own, EMAIL, PASSWORD).status_code == 302
    assert own.get_cookie(DEVICE_COOKIE) is not None
    logout(own)
    stranger = client_at(app, "198.51.100.66")
    for _ in range(12):
        login(stranger, EMAIL, WRONG)
    assert login(stranger, EMAIL, PASSWORD).status_code == 429  # the stranger is delayed, right password or not
    assert login(own, EMAIL, PASSWORD).status_code == 302  # the holder's known browser is not


def test_a_known_devices_own_failures_delay_it_but_not_the_unknown_ones(app, holder):
    own = client_at(app)
    login(own, EMAIL, PASSWORD)
    logout(own)
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert login(own, EMAIL, WRONG).status_code == 401
    assert login(own, EMAIL, PASSWORD).status_code == 429
    assert login(client_at(app, "203.0.113.77"), EMAIL, PASSWORD).status_code == 302


def test_a_forged_or_foreign_device_cookie_counts_as_an_unknown_device(app, holder):
    stranger = client_at(app)
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        login(stranger, EMAIL, WRONG)
    other_account = client_at(app, "203.0.113.8")
    with app.app_context():
        f.make_user(Role.REVIEWER, email="rev@example.org", password=PASSWORD)
        db.session.commit()
    login(other_account, "rev@example.org", PASSWORD)  # a real device cookie, for another account
    logout(other_account)
    assert login(other_account, EMAIL, PASSWORD).status_code == 429
    forged = client_at(app, "203.0.113.9")
    forged.set_cookie(DEVICE_COOKIE, "eyJkIjoiYWJjIiwiYSI6W119.forged.signature")
    assert login(forged, EMAIL, PASSWORD).status_code == 429


def test_the_device_cookie_does_not_show_the_e_mail(app, holder):
    client = client_at(app)
    login(client, EMAIL, PASSWORD)
    cookie = client.get_cookie(DEVICE_COOKIE)
    assert cookie.http_only and cookie.same_site == "Lax"
    payload = cookie.value.split(".")[0]
    decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    assert b"coordinator" not in decoded and b"example.org" not in decoded


def test_one_address_failing_across_many_e_mails_is_limited(app, holder):
    attacker = client_at(app, "198.51.100.99")
    free = app.config["LOGIN_CLIENT_MAX_FAILURES"]
    for n in range(free):
        assert login(attacker, f"guess{n}@example.org", WRONG).status_code == 401
    refused = login(attacker, EMAIL, PASSWORD)
    assert refused.status_code == 429
    assert "from your network" in refused.get_data(as_text=True)
    assert login(client_at(app, "203.0.113.20"), EMAIL, PASSWORD).status_code == 302  # other addresses are not


def test_the_holder_is_told_once_when_their_sign_ins_start_to_be_delayed(app, holder):
    told = []

    def receiver(sender, *, user, failures, client):
        told.append((user.email, failures, client))

    account_sign_ins_delayed.connect(receiver)
    try:
        stranger = client_at(app, "198.51.100.5")
        for _ in range(app.config["LOGIN_MAX_FAILURES"] + 3):  # the last three are refused unchecked
            login(stranger, EMAIL, WRONG)
        age_attempts(app, 31)
        assert login(stranger, EMAIL, WRONG).status_code == 401  # checked, failed: same episode, no second notice
        for _ in range(app.config["LOGIN_MAX_FAILURES"] + 1):
            login(stranger, "nobody@example.org", WRONG)  # no account: nobody to tell
    finally:
        account_sign_ins_delayed.disconnect(receiver)
    assert told == [(EMAIL, app.config["LOGIN_MAX_FAILURES"], "198.51.100.5")]
    with app.app_context():
        entries = db.session.scalars(db.select(AuditEntry).filter_by(action="user.sign_in_delayed")).all()
        assert [(e.object_id, e.after["failures"]) for e in entries] == [(holder, app.config["LOGIN_MAX_FAILURES"])]


def test_parallel_wrong_passwords_cannot_race_past_the_limit(app, holder, monkeypatch):
    """Twelve wrong passwords at once against a limit of five: at most five are ever hashed."""
    hashed = []
    real_verify = service.verify_password

    def slow_verify(stored_hash, password):
        hashed.append(password)
        time.sleep(0.2)  # every attempt is still hashing while the others count
        return real_verify(stored_hash, password)

    monkeypatch.setattr(service, "verify_password", slow_verify)
    # Twelve turns, so the hashes may run at once: the limit must hold without password turns serialising them.
    monkeypatch.setitem(app.config, "PASSWORD_CHECKS_AT_ONCE", 12)
    start = threading.Barrier(12)
    statuses = []

    def attempt(n):
        client = client_at(app, f"198.51.100.{n + 1}")
        client.get("/login")
        start.wait()
        statuses.append(login(client, EMAIL, WRONG).status_code)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [401] * 5 + [429] * 7, statuses
    assert len(hashed) == app.config["LOGIN_MAX_FAILURES"]
    assert sorted(statuses) == [401] * 5 + [429] * 7


def test_no_write_lock_is_held_while_the_password_is_hashed(app, holder, monkeypatch):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite only: the write lock is SQLite's")
        path = make_url(str(db.engine.url)).database
    writer_got_in = []
    real_verify = service.verify_password

    def verify_while_another_writer_tries(stored_hash, password):
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            writer_got_in.append(True)
        except sqlite3.OperationalError:
            writer_got_in.append(False)
        finally:
            other.close()
        return real_verify(stored_hash, password)

    monkeypatch.setattr(service, "verify_password", verify_while_another_writer_tries)
    assert login(client_at(app), EMAIL, WRONG).status_code == 401
    assert login(client_at(app, "203.0.113.3"), EMAIL, PASSWORD).status_code == 302
    assert writer_got_in == [True, True]
