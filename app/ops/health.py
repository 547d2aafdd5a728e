"""Is the database there, and at the schema this code needs? For ``/healthz`` and the command line's errors."""

import functools
from dataclasses import dataclass, field

from flask import Flask

from app.extensions import db
from app.shipped import shipped_dir

# A table every schema of this app has had since the first revision.
CORE_TABLE = "users"


@dataclass(frozen=True)
class DatabaseState:
    url: str  # the SQLAlchemy URL, password hidden
    reachable: bool
    reason: str = ""  # why not reachable, in the driver's words (first line)
    current: frozenset[str] | None = None  # revisions the database is at; None: no migration record
    has_tables: bool = False  # the app's tables exist (migrated, or created from the models directly)
    heads: frozenset[str] = field(default_factory=frozenset)  # revisions this code needs

    @property
    def healthy(self) -> bool:
        """Reachable and at this code's schema: at the head revisions, or (with no migration record at all, as
        a database built straight from the models) holding the app's tables."""
        if not self.reachable:
            return False
        return self.current == self.heads if self.current is not None else self.has_tables

    def describe(self) -> str:
        """For the log and the command line (never the public response): what is wrong, password hidden."""
        if not self.reachable:
            return f"cannot reach the database {self.url}: {self.reason}"
        if self.current and self.current != self.heads:
            return (
                f"the database {self.url} is at revision {', '.join(sorted(self.current))}, "
                f"this version of the app needs {', '.join(sorted(self.heads))}"
            )
        if not self.has_tables:
            return f"the database {self.url} has no tables yet (not migrated)"
        return f"the database {self.url} is reachable and at the current schema"


@functools.cache
def migration_heads() -> frozenset[str]:
    """The head revisions of the shipped migrations (read once per process)."""
    from alembic.script import ScriptDirectory

    return frozenset(ScriptDirectory(str(shipped_dir("migrations"))).get_heads())


def database_state(app: Flask) -> DatabaseState:
    """Connect once and read the migration record, outside any transaction.

    A raw DB-API connection is used on purpose: the app's SQLite connections
    begin every transaction IMMEDIATE (a write lock), which a health check
    must never wait for.
    """
    with app.app_context():
        engine = db.engine
    url = engine.url.render_as_string(hide_password=True)
    try:
        connection = engine.raw_connection()
    except Exception as exc:  # noqa: BLE001 — any failure to connect means "not reachable", said in words
        return DatabaseState(url, reachable=False, reason=_first_line(getattr(exc, "orig", None) or exc))
    errors = engine.dialect.loaded_dbapi.Error
    try:
        current = _query(connection, "SELECT version_num FROM alembic_version", errors)
        has_tables = _query(connection, f"SELECT 1 FROM {CORE_TABLE} WHERE 1 = 0", errors) is not None
    finally:
        connection.close()
    return DatabaseState(url, reachable=True, current=current, has_tables=has_tables, heads=migration_heads())


def _query(connection, sql: str, errors: type[Exception]) -> frozenset[str] | None:
    """The first column of every row, or None when the statement fails (the table is missing)."""
    cursor = connection.cursor()
    try:
        cursor.execute(sql)
        return frozenset(row[0] for row in cursor.fetchall())
    except errors:
        connection.rollback()  # PostgreSQL refuses further statements in a failed transaction
        return None
    finally:
        cursor.close()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
