"""Password checks take turns across the deployment (app/people/password_turns.py): a few hashes at once, a few
sign-ins waiting, any more answered 429 at once with nothing counted; the hash on a low-priority thread."""

import fcntl
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from app.config import SettingsError
from app.extensions import db
from app.people import password_turns
from app.people.models import LoginAttempt, Role, User
from app.people.password_turns import PasswordChecksBusy, password_turn, run_hash
from app.people.passwords import hash_password, verify_password
from tests import factories as f
from tests.conftest import build_app, close_app
from tests.web.helpers import login, page_token, signed_in_client

PASSWORD = "correct horse battery staple"
EMAIL = "reviewer@example.org"


def slot_file(app, name: str = "password-check-0") -> Path:
    """One of the app's lock files: a turn (password-check-N) or a waiting place (password-wait-N)."""
    folder = Path(app.instance_path) / password_turns.LOCK_FOLDER
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder / f"{name}.lock"


class Held:
    """An exclusive flock on one of the app's lock files, as another worker holding that turn would have it
    (flock locks belong to the open file, so this conflicts with the app even inside one process)."""

    def __init__(self, path: Path):
        self.handle = path.open("ab")
        try:
            fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.handle.close()
            raise

    def release(self) -> None:
        self.handle.close()


def timed_sign_in(app, *, holding: tuple[str, ...] = ()) -> tuple:
    """The member signing in while the named lock files are held elsewhere: the reply and the seconds it took."""
    held = [Held(slot_file(app, name)) for name in holding]
    try:
        started = time.monotonic()
        reply = login(app.test_client(), EMAIL, PASSWORD)
        return reply, time.monotonic() - started
    finally:
        for lock in held:
            lock.release()


def attempts_counted(app) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(LoginAttempt))


@pytest.fixture
def member(app):
    with app.app_context():
        user = f.make_user(Role.REVIEWER, email=EMAIL, password=PASSWORD)
        db.session.commit()
        return user.id


def test_a_sign_in_when_every_turn_and_waiting_place_is_taken_is_answered_429_and_leaves_no_trace(app, member):
    reply, waited = timed_sign_in(app, holding=("password-check-0", "password-wait-0"))
    assert reply.status_code == 429
    assert reply.headers["Retry-After"] == str(password_turns.RETRY_AFTER_SECONDS)
    page = reply.get_data(as_text=True)
    assert "Many passwords are being checked at this moment" in page
    assert f'value="{EMAIL}"' in page  # the form again, with what was typed
    assert waited < app.config["PASSWORD_CHECK_WAIT_SECONDS"]  # answered at once: no waiting place was free
    assert attempts_counted(app) == 0
    assert login(app.test_client(), EMAIL, PASSWORD).status_code == 302  # once the turn is free, it works


def holding_every_turn(app) -> list[Held]:
    return [Held(slot_file(app, name)) for name in ("password-check-0", "password-wait-0")]


def test_a_password_change_turned_away_gets_its_form_back_with_nothing_changed_or_counted(app, member):
    client = signed_in_client(app, EMAIL, PASSWORD)
    with app.app_context():
        hash_before = db.session.get(User, member).password_hash
    held = holding_every_turn(app)
    try:
        reply = client.post(
            "/account/password",
            data={
                "csrf_token": page_token(client, "/account/password"),
                "current_password": PASSWORD,
                "new_password": "a brand new long passphrase",
                "confirm_password": "a brand new long passphrase",
            },
        )
    finally:
        for lock in held:
            lock.release()
    assert reply.status_code == 429
    assert reply.headers["Retry-After"] == str(password_turns.RETRY_AFTER_SECONDS)
    page = reply.get_data(as_text=True)
    assert "Change your password" in page and "Many passwords are being checked at this moment" in page
    with app.app_context():
        assert db.session.get(User, member).password_hash == hash_before
    assert attempts_counted(app) == 0


def test_an_account_change_turned_away_asks_for_the_password_again_with_nothing_changed(app, member):
    with app.app_context():
        f.make_user(Role.COORDINATOR, email="coordinator@example.org", password=PASSWORD)
        db.session.commit()
    client = signed_in_client(app, "coordinator@example.org", PASSWORD)
    path = f"/console/users/{member}"
    held = holding_every_turn(app)
    try:
        reply = client.post(
            f"{path}/role",
            data={"csrf_token": page_token(client, path), "role-role": "committee", "role-your_password": PASSWORD},
        )
    finally:
        for lock in held:
            lock.release()
    assert reply.status_code == 422  # the user page again, the message under "Your password"
    assert "Many passwords are being checked at this moment" in reply.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, member).role == Role.REVIEWER
    assert attempts_counted(app) == 0


def test_a_sign_in_waits_for_a_turn_that_frees_within_the_wait(app, member):
    slot = Held(slot_file(app))
    threading.Timer(0.2, slot.release).start()
    started = time.monotonic()
    reply = login(app.test_client(), EMAIL, PASSWORD)
    assert reply.status_code == 302
    assert time.monotonic() - started >= 0.2  # it did wait for the other worker's hash


def test_a_waiting_sign_in_gives_up_after_the_wait(tmp_path):
    app = build_app(tmp_path, PASSWORD_CHECK_WAIT_SECONDS=0.3)
    try:
        with app.app_context():
            f.make_user(Role.REVIEWER, email=EMAIL, password=PASSWORD)
            db.session.commit()
        reply, waited = timed_sign_in(app, holding=("password-check-0",))
        assert reply.status_code == 429 and reply.headers["Retry-After"] == "2"
        assert 0.3 <= waited < 2
        assert attempts_counted(app) == 0
    finally:
        close_app(app)


def test_two_turns_at_once_when_configured(tmp_path):
    app = build_app(tmp_path, PASSWORD_CHECKS_AT_ONCE=2, PASSWORD_CHECKS_WAITING=0)
    try:
        first = Held(slot_file(app))
        with app.test_request_context(), password_turn():  # the second slot is free
            pass
        second = Held(slot_file(app, "password-check-1"))
        with app.test_request_context(), pytest.raises(PasswordChecksBusy):
            with password_turn():
                pass
        first.release()
        second.release()
    finally:
        close_app(app)


def test_a_turn_is_re_entrant_on_one_thread(app):
    with app.test_request_context(), password_turn():
        hashed = hash_password(PASSWORD)  # takes the turn again inside: must not wait for itself
        assert verify_password(hashed, PASSWORD)
        assert not verify_password(hashed, "something else")


def test_a_command_outside_a_request_waits_for_its_turn_however_long(tmp_path):
    app = build_app(tmp_path, PASSWORD_CHECKS_WAITING=0, PASSWORD_CHECK_WAIT_SECONDS=0.0)
    try:
        slot = Held(slot_file(app))
        threading.Timer(0.3, slot.release).start()
        with app.app_context():
            started = time.monotonic()
            hashed = hash_password(PASSWORD)  # in a request this would be refused at once
            assert time.monotonic() - started >= 0.3
            assert verify_password(hashed, PASSWORD)
    finally:
        close_app(app)


def test_a_killed_worker_never_keeps_its_turn(app, member):
    path = slot_file(app)
    script = (
        "import fcntl, sys, time; h = open(sys.argv[1], 'ab'); fcntl.flock(h, fcntl.LOCK_EX); "
        "print('held', flush=True); time.sleep(60)"
    )
    with subprocess.Popen([sys.executable, "-c", script, str(path)], stdout=subprocess.PIPE, text=True) as holder:
        try:
            assert holder.stdout.readline().strip() == "held"
            with pytest.raises(BlockingIOError):
                Held(path)  # the other process really holds it
        finally:
            holder.kill()
    started = time.monotonic()
    assert login(app.test_client(), EMAIL, PASSWORD).status_code == 302
    assert time.monotonic() - started < 1  # no waiting: the kernel dropped the dead process's lock


@pytest.mark.skipif(sys.platform != "linux", reason="per-thread priority is Linux's")
def test_the_hash_runs_on_a_thread_of_the_lowest_priority_and_the_request_thread_keeps_its_own(app):
    def priority_of_this_thread():
        return threading.get_native_id(), os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    with app.app_context():
        hashing_thread, hashing_priority = run_hash(priority_of_this_thread)
    own_thread, own_priority = priority_of_this_thread()
    assert hashing_thread != own_thread
    assert hashing_priority == password_turns.LOWEST_PRIORITY
    assert own_priority < password_turns.LOWEST_PRIORITY


def test_the_hash_stays_on_the_calling_thread_when_low_priority_is_off(tmp_path):
    app = build_app(tmp_path, PASSWORD_CHECK_LOW_PRIORITY=False)
    try:
        with app.app_context():
            assert run_hash(threading.get_native_id) == threading.get_native_id()
    finally:
        close_app(app)


@pytest.mark.parametrize(
    ("name", "value"),
    [("PASSWORD_CHECKS_AT_ONCE", 0), ("PASSWORD_CHECKS_WAITING", -1), ("PASSWORD_CHECK_WAIT_SECONDS", -0.5)],
)
def test_settings_below_their_minimum_stop_the_app_with_the_name(tmp_path, name, value):
    with pytest.raises(SettingsError, match=f"{name} must be at least"):
        build_app(tmp_path, **{name: value})


@pytest.mark.skipif(sys.platform != "linux", reason="per-thread priority is Linux's")
def test_a_system_that_forbids_lowering_the_priority_still_hashes(app, monkeypatch, caplog):
    def forbidden(*_args):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(password_turns.os, "setpriority", forbidden)
    monkeypatch.setattr(password_turns, "_threads", {})  # a fresh thread, which meets the refusal
    with app.app_context():
        assert verify_password(hash_password(PASSWORD), PASSWORD)
    assert "password hashes run at normal priority" in caplog.text
