"""Engine-level settings that must hold on every SQLite connection, which transactions take the write lock, and
which database errors mean "unavailable for a moment" rather than a fault of ours.

See docs/security-hardening.md ("Transactions and the SQLite write lock", "When the database goes away").
"""

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from functools import cache
from typing import TypeVar

from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from app.extensions import db

# Requests with these methods only read (no route writes on them; the hostile suite checks every GET).
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
# Work outside a request that only reads (a background job's export) says so, as a GET request does.
_READING_ONLY: ContextVar[bool] = ContextVar("reading_only", default=False)


Built = TypeVar("Built")


def built_once(build: Callable[[], Built]) -> Callable[[], Built]:
    """A statement built on first use and kept for the process; its values are bound per call.

    A statement made afresh pays SQLAlchemy's cache key on every request, about as much as running a one-row
    lookup (bench/README.md, "The web rows after the sixth session"); one built at import would configure every
    mapper inside ``create_app``, which a ``flask reconcile`` must not pay for (docs/architecture.md, "Batch steps")."""
    return cache(build)


# SQLite's primary result codes (the low byte of sqlite3's ``sqlite_errorcode``) for a database that another
# connection held past the busy timeout, and for storage that failed under it.
SQLITE_BUSY, SQLITE_LOCKED, SQLITE_IOERR = 5, 6, 10
# PostgreSQL SQLSTATEs of a server going away: class 08 (connection exception), an administrator's or a crash's
# shutdown, a server still starting up (docs/security-hardening.md, "When the database goes away").
POSTGRES_GONE = ("08", "57P01", "57P02", "57P03")

T = TypeVar("T")


class WriteInReadOnlyRequest(RuntimeError):
    """A GET (or HEAD) request tried to write: its transaction began without the write lock."""


def configure_sqlite(engine: Engine) -> None:
    """WAL, busy timeout, foreign keys; write transactions begin IMMEDIATE, read-only requests' DEFERRED.

    Python 3.11's sqlite3 opens a deferred transaction and upgrades it to a
    write lock on the first write, which fails at once with "database is
    locked" when another writer got in first (busy_timeout cannot help: the
    reader's snapshot is already stale). So a transaction that may write takes
    the lock at BEGIN (IMMEDIATE), where busy_timeout waits for it. A request
    that only reads (GET, HEAD) begins DEFERRED instead: under WAL its reads
    take no lock at all, so pages never queue behind writers; a write there is
    refused with ``WriteInReadOnlyRequest`` before SQLite sees it, so the
    failing upgrade cannot happen. Everything outside a request (commands,
    tests, the backup) begins IMMEDIATE.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout = 30000")
        cursor.execute("PRAGMA foreign_keys = ON")
        if _is_file_database(dbapi_connection):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        read_only = request_only_reads()
        connection.info["read_only"] = read_only
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    @event.listens_for(engine, "before_cursor_execute")
    def _refuse_writes_when_read_only(connection, _cursor, statement, _parameters, _context, _executemany):
        if connection.info.get("read_only") and statement.lstrip()[:7].upper().startswith(_WRITES):
            who = f"a {request.method} request" if has_request_context() else "work begun as reading only"
            raise WriteInReadOnlyRequest(f"{who} may not write; statement: {statement[:80]}")

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _on_end(connection):
        connection.info.pop("read_only", None)


def request_only_reads() -> bool:
    """Whether the current transaction belongs to a request that only reads (GET, HEAD, OPTIONS), or to work
    inside ``reading_only``."""
    if _READING_ONLY.get():
        return True
    return has_request_context() and request.method in READ_ONLY_METHODS


@contextlib.contextmanager
def reading_only(only: bool = True) -> Iterator[None]:
    """Transactions begun inside begin as a GET request's do (``only``), or as a command's (not ``only``).

    A background job's export reads for seconds: begun IMMEDIATE it would hold
    SQLite's write lock all that while, and every save on every page would
    wait for it. Its progress reports, written meanwhile on a connection of
    their own, are writes again (``reading_only(False)``).
    """
    token = _READING_ONLY.set(only)
    try:
        yield
    finally:
        _READING_ONLY.reset(token)


def _is_file_database(dbapi_connection) -> bool:
    row = dbapi_connection.execute("PRAGMA database_list").fetchone()
    return bool(row and row[2])


def connection_cut(error: BaseException) -> bool:
    """The statement failed because its connection died (a database restart, ``pg_terminate_backend``, a network
    cut): SQLAlchemy has invalidated that connection, so the next checkout gets a fresh one."""
    return isinstance(error, DBAPIError) and error.connection_invalidated


def database_unavailable(error: BaseException) -> bool:
    """The database could not serve this request for now — a cut connection, a server that refuses connections
    or is shutting down or starting, SQLite busy or locked past its timeout, or a disk I/O error — rather than a
    fault in the request or in our code. Such a request is answered 503 with Retry-After, never 500."""
    if connection_cut(error):
        return True
    if not isinstance(error, DBAPIError):
        return False
    code = getattr(error.orig, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (SQLITE_BUSY, SQLITE_LOCKED, SQLITE_IOERR)
    if type(error.orig).__module__.startswith("psycopg"):
        # psycopg gives no SQLSTATE when the connection itself failed (refused, closed, timed out).
        state = getattr(error.orig, "sqlstate", None)
        return state is None or state.startswith(POSTGRES_GONE)
    return False


def retry_once_if_cut(work: Callable[[], T]) -> T:
    """``work()``, run again once in a fresh transaction when its connection was cut mid-way.

    Only for work that is idempotent as a whole (an autosave carries its window and sequence number, so the
    second run finds the first one's commit if it happened and stores nothing twice): a cut during COMMIT
    leaves unknown whether it was stored. A second cut, or a server that is still down, raises as before and
    is answered 503 (docs/security-hardening.md, "When the database goes away").
    """
    try:
        return work()
    except DBAPIError as error:
        if not connection_cut(error):
            raise
        db.session.rollback()
    return work()
