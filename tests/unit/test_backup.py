"""`flask backup`: a consistent copy of a database that is being written to."""

import sqlite3
import threading
import time

import pytest

from app.extensions import db
from app.ops.backup import BackupError, backup_sqlite


def _writer(path, stop, written):
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 30000")
    while not stop.is_set():
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT INTO t (payload) VALUES (?)", [("x" * 200,)] * 50)
        conn.execute("COMMIT")
        written.append(50)
    conn.close()


def test_backup_taken_while_writers_are_active_opens_and_passes_integrity_check(tmp_path):
    db_path = tmp_path / "live.sqlite3"
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, payload TEXT)")
    conn.executemany("INSERT INTO t (payload) VALUES (?)", [("seed" * 50,)] * 5000)
    conn.commit()
    conn.close()
    stop, written = threading.Event(), []
    writers = [threading.Thread(target=_writer, args=(db_path, stop, written)) for _ in range(2)]
    for w in writers:
        w.start()
    try:
        deadline = time.monotonic() + 5
        while not written and time.monotonic() < deadline:
            time.sleep(0.01)
        out = tmp_path / "backup.sqlite3"
        assert backup_sqlite(db_path, out, pages_per_step=16) == "ok"
    finally:
        stop.set()
        for w in writers:
            w.join()
    assert written, "the writers never ran during the backup"
    copy = sqlite3.connect(out)
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert copy.execute("SELECT count(*) FROM t").fetchone()[0] >= 5000
    copy.close()


def test_backup_of_missing_database_is_refused(tmp_path):
    with pytest.raises(BackupError, match="does not exist"):
        backup_sqlite(tmp_path / "nope.sqlite3", tmp_path / "out.sqlite3")


def test_backup_command_copies_the_app_database(app, runner, tmp_path):
    out = tmp_path / "copy.sqlite3"
    result = runner.invoke(args=["backup", "--out", str(out)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        dialect = db.engine.dialect.name
    if dialect == "postgresql":  # TEST_DATABASE_URL: pg_dump's custom format, which starts with its magic
        assert "dumped PostgreSQL database" in result.output
        assert out.read_bytes()[:5] == b"PGDMP"
        return
    assert "integrity_check: ok" in result.output
    tables = {row[0] for row in sqlite3.connect(out).execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"users", "items", "scores", "audit_entries"} <= tables
