"""Migrations build the whole schema from nothing and match the models."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import DatabaseError

from app import create_app
from app.extensions import db


@pytest.fixture
def empty_app(tmp_path):
    return create_app({"TESTING": True, "SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path / "inst"),
                       "SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(tmp_path / "migrated.sqlite3")})


def test_upgrade_from_empty_builds_every_table_and_matches_the_models(empty_app):
    with empty_app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert set(db.metadata.tables) <= tables
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)
        assert diff == [], f"models and migrations differ: {diff} (run `make migrations`)"


def test_upgrade_then_downgrade_to_base_leaves_nothing(empty_app):
    with empty_app.app_context():
        upgrade()
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}


def test_migrated_audit_log_refuses_update_and_delete(empty_app, tmp_path):
    with empty_app.app_context():
        upgrade()
    engine = create_engine("sqlite:///" + str(tmp_path / "migrated.sqlite3"))
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO audit_entries (at, action, object_type) VALUES ('2026-01-01', 'x', 'y')"))
    for statement in ("UPDATE audit_entries SET action = 'changed'", "DELETE FROM audit_entries"):
        with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT action FROM audit_entries")).scalars().all() == ["x"]
    engine.dispose()
