"""Engine-level settings that must hold on every SQLite connection."""
from sqlalchemy import event
from sqlalchemy.engine import Engine


def configure_sqlite(engine: Engine) -> None:
    """WAL, busy timeout, foreign keys, and write transactions that begin IMMEDIATE.

    Python 3.11's sqlite3 opens a deferred transaction and upgrades it to a
    write lock on the first write, which fails at once with "database is
    locked" when another writer holds it. Taking the lock at BEGIN lets
    busy_timeout wait for it instead.
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
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _is_file_database(dbapi_connection) -> bool:
    row = dbapi_connection.execute("PRAGMA database_list").fetchone()
    return bool(row and row[2])
