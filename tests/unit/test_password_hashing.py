"""Password hashes run on one thread per process at the lowest CPU priority (app/people/passwords.py), so that
sign-ins hammering the login page leave the cores to the autosaves (docs/security-hardening.md, "Saves under
load")."""

import os
import sys
import threading

import pytest
from argon2 import PasswordHasher

from app.people import passwords

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="nice values per thread are Linux's")


@pytest.fixture
def hash_calls(monkeypatch):
    """(thread id, nice value) of the thread each argon2 call ran on; the calls still do their real work."""
    calls = []

    def recording(name):
        real = getattr(PasswordHasher, name)

        def call(self, *args, **kwargs):
            thread = threading.get_native_id()
            calls.append((thread, os.getpriority(os.PRIO_PROCESS, thread)))
            return real(self, *args, **kwargs)

        monkeypatch.setattr(PasswordHasher, name, call)

    recording("hash")
    recording("verify")
    return calls


def test_hashing_and_verifying_run_on_another_thread_at_the_lowest_priority(app, hash_calls):
    caller = threading.get_native_id()
    caller_niceness = os.getpriority(os.PRIO_PROCESS, caller)
    with app.app_context():
        stored = passwords.hash_password("correct horse")
        assert passwords.verify_password(stored, "correct horse")
        assert not passwords.verify_password(stored, "wrong horse")
        assert not passwords.verify_password(None, "anything")  # the unknown account's dummy hash too
    assert len(hash_calls) >= 4
    assert {thread for thread, _ in hash_calls} != {caller}
    assert caller not in {thread for thread, _ in hash_calls}
    assert {niceness for _, niceness in hash_calls} == {19}
    assert os.getpriority(os.PRIO_PROCESS, caller) == caller_niceness  # the caller's priority is untouched


def test_a_forked_child_hashes_on_a_thread_of_its_own(app):
    with app.app_context():
        passwords.hash_password("before the fork")  # the parent's hashing thread now exists
        reader, writer = os.pipe()
        child = os.fork()
        if child == 0:  # pragma: no cover (the child reports through the pipe and exits at once)
            try:
                ok = passwords.verify_password(passwords.hash_password("in the child"), "in the child")
                os.write(writer, b"ok" if ok else b"no")
            finally:
                os._exit(0)
        os.close(writer)
        answer = os.read(reader, 2)
        os.close(reader)
        os.waitpid(child, 0)
    assert answer == b"ok"
