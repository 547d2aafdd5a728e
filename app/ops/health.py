"""Is the database there, and at the schema this code needs? For ``/healthz`` and the command line's errors."""
import functools
from dataclasses import dataclass, field

from flask import Flask

from app.extensions import db
from app.shipped import shipped_dir


@dataclass(frozen=True)
class DatabaseState:
    url: str                       # the SQLAlchemy URL, password hidden
    reachable: bool
    reason: str = ""               # why not reachable, in the driver's words (first line)
    current: frozenset[str] = field(default_factory=frozenset)   # revisions the database is at
    heads: frozenset[str] = field(default_factory=frozenset)     # revisions this code needs

    @property
    def migrated(self) -> bool:
        return self.reachable and self.current == self.heads

    @property
    def healthy(self) -> bool:
        return self.migrated

    def describe(self) -> str:
        """For the log (never for the public response): what is wrong, without the password."""
        if not self.reachable:
            return f"cannot reach the database {self.url}: {self.reason}"
        if not self.current:
            return f"the database {self.url} has no tables yet (not migrated)"
        return (f"the database {self.url} is at revision {', '.join(sorted(self.current))}, "
                f"the code needs {', '.join(sorted(self.heads))}")


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
    try:
        cursor = connection.cursor()
        try:
            cursor.execute("SELECT version_num FROM alembic_version")
            current = frozenset(row[0] for row in cursor.fetchall())
        except engine.dialect.loaded_dbapi.Error:
            current = frozenset()  # no migration record: the schema was never created
        finally:
            cursor.close()
    finally:
        connection.close()
    return DatabaseState(url, reachable=True, current=current, heads=migration_heads())


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
