"""Password hashes take turns across the whole deployment, so sign-ins cannot crowd out the reviewers' saves.

One argon2 check costs ~0.15 s of CPU on every lane it uses; five clients signing in over and over would keep
every sync worker hashing, and the autosaves would wait in the queue behind them (docs/security-hardening.md,
"Password checks take turns"). So:

- at most ``PASSWORD_CHECKS_AT_ONCE`` hashes run at once across every worker sharing the instance folder: each
  holds an exclusive ``flock`` on one slot file in ``instance/locks/`` (the kernel drops it when its process
  dies, so a killed worker never keeps a slot);
- at most ``PASSWORD_CHECKS_WAITING`` requests wait for a slot, each for at most
  ``PASSWORD_CHECK_WAIT_SECONDS``; one more is answered 429 with Retry-After at once (``PasswordChecksBusy``),
  before anything is counted or checked: a worker is never left holding a request that only waits;
- outside a request (a command) the turn is waited for as long as it takes;
- the hash runs on a thread of low CPU priority (nice 19, Linux only) while the request's own thread waits
  without CPU, so a save that arrives meanwhile is served first; argon2's lane threads inherit the priority.

A turn is re-entrant on its thread: a sign-in that verifies and then rehashes holds one turn throughout.
"""

import fcntl
import logging
import math
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TypeVar

from flask import current_app, has_request_context
from werkzeug.exceptions import TooManyRequests

LOCK_FOLDER = "locks"
LOWEST_PRIORITY = 19
POLL_SECONDS = 0.01
RETRY_AFTER_SECONDS = 2
BUSY_MESSAGE = "Many passwords are being checked at this moment. Wait a few seconds and try again."

T = TypeVar("T")
_held = threading.local()  # how deep this thread is inside turns (a turn is re-entrant)


class PasswordChecksBusy(TooManyRequests):
    """Every slot is taken and the waiting places are full: nothing was counted or checked; try again soon."""

    def __init__(self) -> None:
        super().__init__(BUSY_MESSAGE, retry_after=RETRY_AFTER_SECONDS)


@contextmanager
def password_turn() -> Iterator[None]:
    """Hold one of the deployment's password-check slots for the block (re-entrant on one thread)."""
    if getattr(_held, "depth", 0):
        _held.depth += 1
        try:
            yield
        finally:
            _held.depth -= 1
        return
    with _slot(Path(current_app.instance_path) / LOCK_FOLDER, current_app.config):
        _held.depth = 1
        try:
            yield
        finally:
            _held.depth = 0


def run_hash(work: Callable[[], T]) -> T:
    """``work`` (one argon2 call, which frees the GIL) on this process's low-priority hashing thread."""
    if not current_app.config["PASSWORD_CHECK_LOW_PRIORITY"] or sys.platform != "linux":
        return work()
    return _hashing_thread().submit(work).result()


@contextmanager
def _slot(folder: Path, config) -> Iterator[None]:
    folder.mkdir(mode=0o700, exist_ok=True)
    slots = [folder / f"password-check-{n}.lock" for n in range(config["PASSWORD_CHECKS_AT_ONCE"])]
    held = _try_any(slots)
    if held is None:
        held = _wait_for_slot(folder, slots, config)
    try:
        yield
    finally:
        held.close()  # closing the file drops its lock


def _wait_for_slot(folder: Path, slots: list[Path], config) -> IO[bytes]:
    """A slot once one is free: during a request from a waiting place within the wait limit, else raise; in a
    command, however long it takes."""
    place = None
    if has_request_context():
        places = [folder / f"password-wait-{n}.lock" for n in range(config["PASSWORD_CHECKS_WAITING"])]
        place = _try_any(places)
        if place is None:
            raise PasswordChecksBusy()
    deadline = math.inf if place is None else time.monotonic() + config["PASSWORD_CHECK_WAIT_SECONDS"]
    try:
        held = _poll(slots, deadline)
    finally:
        if place is not None:
            place.close()
    if held is None:
        raise PasswordChecksBusy()
    return held


def _poll(slots: list[Path], deadline: float) -> IO[bytes] | None:
    while time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        held = _try_any(slots)
        if held is not None:
            return held
    return None


def _try_any(paths: list[Path]) -> IO[bytes] | None:
    """The first of ``paths`` whose exclusive lock this process could take without waiting, opened; or None."""
    for path in paths:
        handle = path.open("ab")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            continue
        return handle
    return None


_threads: dict[int, ThreadPoolExecutor] = {}


def _hashing_thread() -> ThreadPoolExecutor:
    """One low-priority thread per process, made in the process that uses it (a fork copies no thread)."""
    pid = os.getpid()
    executor = _threads.get(pid)
    if executor is None:
        executor = _threads[pid] = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="password-hash", initializer=_lower_own_priority
        )
    return executor


def _lower_own_priority() -> None:
    # On Linux a thread id names one thread to setpriority; the rest of the process keeps its priority. Lowering
    # one's own priority needs no privilege, but a sandbox may forbid the call: then hash at normal priority.
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), LOWEST_PRIORITY)
    except OSError as exc:
        logging.getLogger(__name__).warning("password hashes run at normal priority: %s", exc)
