"""SQLite transactions take the write lock when they begin (docs/security.md, requirement 19), so a read that
later writes never fails on the read→write upgrade with "database is locked": it waits at BEGIN under
busy_timeout instead."""

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


@pytest.fixture
def probe_app(tmp_path):
    """The app with two extra routes that report whether another connection could take the write lock."""
    from flask import request

    from app.extensions import csrf
    from app.people.access import public
    from tests.conftest import build_app, close_app

    app = build_app(tmp_path)
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            close_app(app)
            pytest.skip("SQLite only: TEST_DATABASE_URL is another engine")
        path = make_url(str(db.engine.url)).database

    def lock_probe():
        db.session.execute(text("SELECT count(*) FROM users")).scalar()  # the request's transaction has begun
        if request.args.get("write"):
            db.session.execute(text("DELETE FROM login_attempts"))
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            return "free"
        except sqlite3.OperationalError:
            return "locked"
        finally:
            other.close()

    app.add_url_rule("/_lock_probe", "lock_probe", csrf.exempt(public(lock_probe)), methods=["GET", "POST"])
    yield app
    close_app(app)


def test_a_read_only_request_takes_no_write_lock_but_a_writing_one_takes_it_at_once(probe_app):
    client = probe_app.test_client()
    assert client.get("/_lock_probe").get_data(as_text=True) == "free"
    assert client.head("/_lock_probe").status_code == 200
    assert client.post("/_lock_probe").get_data(as_text=True) == "locked"


def test_a_get_that_tries_to_write_is_refused_before_sqlite_sees_it(probe_app):
    from app.database import WriteInReadOnlyRequest

    with pytest.raises(WriteInReadOnlyRequest, match="GET request may not write"):
        probe_app.test_client().get("/_lock_probe?write=1")
    assert probe_app.test_client().post("/_lock_probe?write=1").status_code == 200
