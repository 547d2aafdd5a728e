"""Password hashing with argon2id, at the cost the app's configuration names.

The defaults (``ARGON2_*`` in ``app/config.py``) are argon2-cffi's RFC 9106 low-memory profile, which meets
OWASP's minimums. Each stored hash carries its own parameters, so a hash made at another cost still verifies;
a successful sign-in rehashes it at the configured cost (``needs_rehash``). The test suite configures a cheap
cost: at the production one every test user cost a third of a second of CPU.

Every hash runs on one thread per process at the lowest CPU priority (``_HashingThread``): at the production
cost a hash takes ~0.19 CPU-s, and clients signing in over and over would otherwise take the cores from the
autosaves. The request waits for its hash on its own gunicorn thread, so the other threads of the worker go on
serving (docs/security-hardening.md, "Saves under load").
"""

import logging
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

log = logging.getLogger(__name__)

_DUMMY_PASSWORD = "not a real password"

T = TypeVar("T")

# The nice value of the hashing thread: the lowest priority Linux has. argon2's lanes run in pthreads that
# the hashing thread creates, and a new thread inherits its creator's nice value, so they run at it too.
HASHING_NICENESS = 19


class _HashingThread:
    """One thread of this process, at ``HASHING_NICENESS``, runs the hashes one after another.

    One per process also caps the hashes a host runs at once at its number of workers. Made on first use
    and again in a forked child (a fork keeps the executor but not its thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        os.register_at_fork(after_in_child=self._forget)

    def _forget(self) -> None:
        self._lock = threading.Lock()
        self._executor = None

    def run(self, work: Callable[..., T], *args: object) -> T:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    max_workers=1, thread_name_prefix="password-hash", initializer=_lower_own_priority
                )
            executor = self._executor
        return executor.submit(work, *args).result()


def _lower_own_priority() -> None:
    """On Linux a nice value is per thread: this lowers only the calling thread. Elsewhere the call would
    lower the whole process, so the hash keeps the normal priority there."""
    if not sys.platform.startswith("linux"):
        return
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASHING_NICENESS)
    except OSError as error:  # e.g. a sandbox that forbids it: hashing still works, only not yielding
        log.warning("could not lower the password-hashing thread's priority: %s", error)


_hashing_thread = _HashingThread()


@cache
def _hasher_for(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


@cache
def _dummy_hash_for(hasher: PasswordHasher) -> str:
    """Verifying against this when the account is unknown makes both answers take the same time.

    Made on first use, not at import: at the production cost it took a second of every CLI start. Made on the
    hashing thread, which serialises the first uses, so it is made once."""
    return hasher.hash(_DUMMY_PASSWORD)


def _hasher() -> PasswordHasher:
    config = current_app.config
    return _hasher_for(config["ARGON2_TIME_COST"], config["ARGON2_MEMORY_COST"], config["ARGON2_PARALLELISM"])


def hash_password(password: str) -> str:
    """Hash the password exactly as typed (no trimming, no length cap below 1024)."""
    return _hashing_thread.run(_hasher().hash, password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    return _hashing_thread.run(_verify, _hasher(), stored_hash, password)


def _verify(hasher: PasswordHasher, stored_hash: str | None, password: str) -> bool:
    try:
        return hasher.verify(stored_hash or _dummy_hash_for(hasher), password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher().check_needs_rehash(stored_hash)
