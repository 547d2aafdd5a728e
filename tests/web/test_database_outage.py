"""When the database goes away for a moment: a cut connection, a server that refuses connections, SQLite locked
past its timeout (docs/security-hardening.md, "When the database goes away").

An autosave whose connection is cut is run once more on a fresh connection and answered only once it is
stored; a request the database cannot serve is answered 503 with Retry-After, never 500, and is never
acknowledged. The cuts need a real PostgreSQL server (``bash .ci/with-postgres …`` sets ``TEST_DATABASE_URL``)
and are skipped without one; ``pg_terminate_backend`` cuts a connection exactly as a server restart does.
"""

import logging
import os
import sqlite3
import time

import pytest
from sqlalchemy import create_engine, event, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from app.database import database_unavailable
from app.extensions import db
from app.people.models import Role
from app.scoring.models import Read, Score
from tests import factories as f
from tests.web.helpers import page_token, signed_in_client

PASSWORD = "a long enough test password"
WINDOW = "outage-window"
ON_POSTGRESQL = os.environ.get("TEST_DATABASE_URL", "").startswith(("postgresql", "postgres"))
needs_postgresql = pytest.mark.skipif(
    not ON_POSTGRESQL, reason="TEST_DATABASE_URL is not a PostgreSQL URL: run under `bash .ci/with-postgres`"
)
needs_sqlite = pytest.mark.skipif(ON_POSTGRESQL, reason="SQLite's lock: the suite runs on PostgreSQL")


@pytest.fixture
def world(app):
    with app.app_context():
        cycle = f.make_cycle("Outage cycle")
        reviewer = f.make_user(Role.REVIEWER, email="r@example.org", password=PASSWORD)
        essay = f.make_essay(cycle, f.make_applicant(cycle, applicant_id="A-1"), item_id="E-1")
        assignment = f.assign(essay, reviewer)
        db.session.commit()
        return {"email": reviewer.email, "assignment": assignment.id}


def save(client, world, score, seq, comment, csrf):
    return client.post(
        f"/reviews/{world['assignment']}/domains/reflection",
        data={"score": score, "comment": comment, "seq": seq, "tab": WINDOW, "base_version": 0},
        headers={"HX-Request": "true", "X-CSRFToken": csrf},
    )


def stored(app, world):
    """(score, comment) of the reflection domain as the database holds it, read on a connection of its own."""
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with engine.connect() as conn:
            row = conn.execute(
                select(Score.score, Score.comment)
                .join(Read)
                .where(Read.assignment_id == world["assignment"], Score.domain_key == "reflection")
            ).first()
    finally:
        engine.dispose()
    return None if row is None else tuple(row)


class Cutter:
    """Terminates the server process behind the app's connection just before a statement (or a COMMIT) matching
    ``what``, ``times`` times — as a server restart would, in the middle of a request."""

    def __init__(self, app, what: str, times: int):
        self.what, self.left, self.cuts = what, times, 0
        self.admin = create_engine(app.config["SQLALCHEMY_DATABASE_URI"], isolation_level="AUTOCOMMIT")
        with app.app_context():
            self.engine = db.engine
        event.listen(self.engine, "before_cursor_execute", self._before_statement)
        event.listen(self.engine, "commit", self._before_commit)

    def _before_statement(self, conn, _cursor, statement, *_args):
        if self.what != "COMMIT" and statement.lstrip().upper().startswith(self.what.upper()):
            self._cut(conn)

    def _before_commit(self, conn):
        if self.what == "COMMIT":
            self._cut(conn)

    def _cut(self, conn):
        if self.left <= 0:
            return
        self.left -= 1
        self.cuts += 1
        pid = conn.connection.dbapi_connection.info.backend_pid
        with self.admin.connect() as admin:
            admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            deadline = time.monotonic() + 5
            while admin.execute(text("SELECT 1 FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}).first():
                assert time.monotonic() < deadline, "the terminated backend did not go away"
                time.sleep(0.01)

    def close(self):
        event.remove(self.engine, "before_cursor_execute", self._before_statement)
        event.remove(self.engine, "commit", self._before_commit)
        self.admin.dispose()


@pytest.fixture
def cut(app):
    made = []

    def make(what, times=1):
        made.append(Cutter(app, what, times))
        return made[-1]

    yield make
    for cutter in made:
        cutter.close()


@needs_postgresql
@pytest.mark.parametrize("where", ["INSERT INTO scores", "COMMIT"])
def test_an_autosave_cut_midway_is_stored_on_a_fresh_connection_before_it_is_acknowledged(app, world, cut, where):
    client = signed_in_client(app, world["email"], PASSWORD)
    csrf = page_token(client, f"/reviews/{world['assignment']}")
    cutter = cut(where)
    response = save(client, world, 3, 1, "typed before the restart", csrf)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert cutter.cuts == 1
    assert response.headers["X-Save-Outcome"] == "saved"
    assert stored(app, world) == (3, "typed before the restart")


@needs_postgresql
def test_an_autosave_cut_twice_is_answered_503_with_retry_after_and_the_retry_stores_it(app, world, cut, caplog):
    client = signed_in_client(app, world["email"], PASSWORD)
    csrf = page_token(client, f"/reviews/{world['assignment']}")
    cutter = cut("INSERT INTO scores", times=2)
    with caplog.at_level(logging.WARNING):
        response = save(client, world, 2, 1, "kept in the page", csrf)
    assert cutter.cuts == 2
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.headers["Content-Type"].startswith("text/plain")
    assert "try again in a few seconds" in response.get_data(as_text=True)
    assert "X-Save-Outcome" not in response.headers
    assert stored(app, world) is None  # nothing acknowledged, nothing stored
    warnings = [r for r in caplog.records if "database unavailable" in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].exc_info is None  # one line, no traceback
    assert "AdminShutdown" in warnings[0].getMessage()
    # The page's Retry sends the same save again (same window and seq): stored once.
    again = save(client, world, 2, 1, "kept in the page", csrf)
    assert again.status_code == 200 and again.headers["X-Save-Outcome"] == "saved"
    assert stored(app, world) == (2, "kept in the page")


@needs_postgresql
def test_a_page_whose_connection_is_cut_is_answered_503_in_the_layout_not_500(app, world, cut):
    client = signed_in_client(app, world["email"], PASSWORD)
    cutter = cut("SELECT users")
    response = client.get("/reviews/")
    assert cutter.cuts == 1
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    body = response.get_data(as_text=True)
    assert "Briefly unavailable" in body and "<html" in body.lower()
    assert client.get("/reviews/").status_code == 200  # the next request gets a fresh connection


@needs_sqlite
def test_an_autosave_while_sqlite_stays_locked_is_answered_503_and_stored_by_the_retry(app, world, caplog):
    with app.app_context():
        path = db.engine.url.database

        # The app waits 30 s for the write lock; a tenth of a second here makes the wait run out in the test.
        @event.listens_for(db.engine, "connect")
        def _short_wait(dbapi_connection, _record):
            dbapi_connection.execute("PRAGMA busy_timeout = 100")

        db.engine.dispose()
    client = signed_in_client(app, world["email"], PASSWORD)
    csrf = page_token(client, f"/reviews/{world['assignment']}")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        with caplog.at_level(logging.WARNING):
            response = save(client, world, 4, 1, "typed while locked", csrf)
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "5"
        assert "try again in a few seconds" in response.get_data(as_text=True)
        assert any("database is locked" in r.getMessage() for r in caplog.records)
    finally:
        holder.rollback()
        holder.close()
    assert stored(app, world) is None
    again = save(client, world, 4, 1, "typed while locked", csrf)
    assert again.status_code == 200 and stored(app, world) == (4, "typed while locked")


def real_error(url: str, statement: str | None = None) -> DBAPIError:
    """The error SQLAlchemy raises connecting to ``url`` (and running ``statement``)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if statement:
                conn.exec_driver_sql(statement)
    except DBAPIError as error:
        return error
    finally:
        engine.dispose()
    raise AssertionError("no error")


def test_which_database_errors_mean_unavailable(tmp_path):
    # Nothing listens on port 1: the server refuses the connection, as while PostgreSQL restarts.
    refused = real_error("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    assert database_unavailable(refused)
    path = tmp_path / "locked.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x INTEGER UNIQUE)")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        locked = real_error(f"sqlite:///{path}?timeout=0.05", "CREATE TABLE u (y)")
    finally:
        holder.rollback()
    assert "database is locked" in str(locked) and database_unavailable(locked)
    holder.execute("INSERT INTO t VALUES (1)")
    holder.close()
    duplicate = real_error(f"sqlite:///{path}", "INSERT INTO t VALUES (1)")
    assert isinstance(duplicate, IntegrityError) and not database_unavailable(duplicate)
    mistake = real_error(f"sqlite:///{path}", "SELECT nothing FROM nowhere")
    assert not database_unavailable(mistake)  # a fault of ours stays a 500
    assert not database_unavailable(ValueError("not a database error"))
