"""Online backups that stay consistent while reviewers keep writing."""

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(RuntimeError):
    """The backup could not be made; the message says why and what to do."""


def private_file(path: Path) -> Path:
    """An empty file at ``path`` that only its owner can read (a backup holds every applicant's data)."""
    path.unlink(missing_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    return path


def backup_sqlite(database_path: Path, out: Path, pages_per_step: int = 1024) -> str:
    """Copy a live SQLite database with SQLite's online backup API and check the copy.

    The backup API copies a consistent snapshot page by page while other
    connections keep writing, unlike a file copy, which can tear a WAL database.
    Returns the copy's ``PRAGMA integrity_check`` result ("ok").
    """
    if not database_path.exists():
        raise BackupError(f"database file {database_path} does not exist")
    partial = private_file(out.with_name(out.name + ".partial"))
    source = sqlite3.connect(f"file:{database_path}?mode=ro", uri=True, timeout=30)
    target = sqlite3.connect(partial)
    try:
        source.execute("PRAGMA busy_timeout = 30000")
        source.backup(target, pages=pages_per_step)
        target.execute("PRAGMA journal_mode = DELETE")
        verdict = target.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        target.close()
        source.close()
    if verdict != "ok":
        partial.unlink(missing_ok=True)
        raise BackupError(f"the copy failed its integrity check: {verdict}")
    partial.replace(out)  # atomic: a reader never sees a half-written backup
    return verdict


def backup_postgres(url: str, out: Path) -> None:
    """Dump a PostgreSQL database with ``pg_dump`` in its custom format (restore with pg_restore)."""
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise BackupError(
            "pg_dump is not installed; install the PostgreSQL client "
            "(Debian: apt-get install postgresql-client) or run pg_dump on the database host"
        )
    parsed = make_url(url).set(drivername="postgresql")
    # The password goes in pg_dump's environment, not its command line (which every local user can read).
    env = dict(os.environ, **({"PGPASSWORD": parsed.password} if parsed.password else {}))
    libpq_url = parsed.set(password=None).render_as_string(hide_password=False)
    partial = private_file(out.with_name(out.name + ".partial"))
    result = subprocess.run(
        [pg_dump, "--format=custom", "--file", str(partial), "--dbname", libpq_url],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    if result.returncode != 0:
        partial.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
    partial.replace(out)


def backup_database(url: str, out: Path, replace: bool = False) -> str:
    """Back up the app's database to ``out`` (an existing file only when ``replace``); returns a one-line summary.

    The backup is written beside ``out`` readable by its owner only and renamed into place when complete.
    """
    if out.exists() and not replace:
        raise BackupError(f"{out} already exists; choose another name, or pass --force to replace it")
    if not out.parent.is_dir():
        raise BackupError(f"--out: folder {out.parent} does not exist")
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise BackupError("an in-memory database cannot be backed up")
        verdict = backup_sqlite(Path(parsed.database), out)
        return f"backed up {parsed.database} to {out} (integrity_check: {verdict})"
    if parsed.get_backend_name() == "postgresql":
        backup_postgres(url, out)
        return f"dumped PostgreSQL database {parsed.database} to {out} (restore with pg_restore)"
    raise BackupError(f"no backup method for {parsed.get_backend_name()} databases")
