"""Migrations from an empty PostgreSQL database, and the append-only audit log enforced there (docs/security.md,
requirement 22).

Runs when ``TEST_DATABASE_URL`` names a PostgreSQL server (``bash .ci/with-postgres …`` sets it); it works in a
database of its own, created and dropped here, so the shared test database is left alone.
"""

import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import CheckConstraint, create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DatabaseError

from app import create_app
from app.config import database_url
from app.extensions import db

URL = os.environ.get("TEST_DATABASE_URL", "")
pytestmark = pytest.mark.skipif(
    not URL.startswith(("postgresql", "postgres")),
    reason="TEST_DATABASE_URL is not a PostgreSQL URL: run under `bash .ci/with-postgres` to check migrations there",
)


@pytest.fixture
def empty_postgres_url():
    server = make_url(database_url(URL, "/unused"))
    name = f"er_migrations_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield server.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def empty_app(tmp_path, empty_postgres_url):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "INSTANCE_PATH": str(tmp_path / "inst"),
            "SQLALCHEMY_DATABASE_URI": empty_postgres_url,
        }
    )
    yield app
    with app.app_context():
        db.engine.dispose()


def test_upgrade_from_empty_on_postgresql_matches_the_models_and_downgrades_cleanly(empty_app):
    with empty_app.app_context():
        assert db.engine.dialect.name == "postgresql"
        assert inspect(db.engine).get_table_names() == []
        upgrade()
        assert set(db.metadata.tables) <= set(inspect(db.engine).get_table_names())
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)
        assert diff == [], f"models and migrations differ on PostgreSQL: {diff}"
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}


def test_the_migrated_postgresql_audit_log_refuses_update_delete_and_truncate(empty_app, empty_postgres_url):
    with empty_app.app_context():
        upgrade()
    engine = create_engine(empty_postgres_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO audit_entries (at, action, object_type) VALUES (now(), 'x', 'y')"))
    for statement in (
        "UPDATE audit_entries SET action = 'changed'",
        "DELETE FROM audit_entries",
        "TRUNCATE audit_entries",
    ):
        with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT action FROM audit_entries")).scalars().all() == ["x"]
    engine.dispose()


def test_the_migrated_postgresql_schema_has_every_check_of_the_models_and_refuses_long_text(empty_app):
    with empty_app.app_context():
        upgrade()
        inspector = inspect(db.engine)
        live = {
            (table, check["name"])
            for table in inspector.get_table_names()
            for check in inspector.get_check_constraints(table)
        }
        models = {
            (table.name, constraint.name)
            for table in db.metadata.tables.values()
            for constraint in table.constraints
            if isinstance(constraint, CheckConstraint)
        }
        assert models <= live
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO cycles (id, name, readers, created_at, blind_across_items) "
                    "VALUES (1, 'C', 2, now(), true)"
                )
            )
            conn.execute(text("INSERT INTO applicants (id, cycle_id, applicant_id, name) VALUES (1, 1, 'A-1', 'N')"))
            conn.execute(
                text("INSERT INTO applications (id, applicant_pk, category, figures) VALUES (1, 1, 'IMHS', '{}')")
            )
        insert = text(
            "INSERT INTO decisions (application_id, decision, rationale, decided_at, version) "
            "VALUES (1, 'endorse', :rationale, now(), 1)"
        )
        # TEXT has no length of its own: the CHECK is the database's only guard (VARCHAR(n) guards the rest).
        with pytest.raises(DatabaseError, match="ck_decisions_rationale_length"), db.engine.begin() as conn:
            conn.execute(insert, {"rationale": "é" * 10_001})
