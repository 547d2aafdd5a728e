"""SQLite transactions take the write lock when they begin (SECURITY.md 19), so a read that later writes never
fails on the read→write upgrade with "database is locked": it waits at BEGIN under busy_timeout instead."""
import sqlite3

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from app.extensions import db


def test_a_transaction_holds_the_write_lock_from_its_first_statement(app):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite only: TEST_DATABASE_URL is another engine")
        path = make_url(str(db.engine.url)).database
        with db.engine.connect() as conn:
            conn.execute(text("SELECT count(*) FROM users")).scalar()  # a read, nothing written yet
            other = sqlite3.connect(path, timeout=0, isolation_level=None)
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
            other.close()
            conn.rollback()
        free = sqlite3.connect(path, timeout=0, isolation_level=None)
        free.execute("BEGIN IMMEDIATE")
        free.execute("ROLLBACK")
        free.close()
