"""Migrations build the whole schema from nothing and match the models."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import CheckConstraint, create_engine, inspect, text
from sqlalchemy.exc import DatabaseError

from app import create_app
from app.extensions import db


@pytest.fixture
def empty_app(tmp_path):
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "INSTANCE_PATH": str(tmp_path / "inst"),
            "SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(tmp_path / "migrated.sqlite3"),
        }
    )


def test_upgrade_from_empty_builds_every_table_and_matches_the_models(empty_app):
    with empty_app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert set(db.metadata.tables) <= tables
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)
        assert diff == [], f"models and migrations differ: {diff} (add a revision: `make migration`)"


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


def test_moving_essay_text_to_item_texts_keeps_every_essay_and_can_be_undone(empty_app):
    def rows(conn, source):
        return conn.execute(text(f"SELECT {source} ORDER BY 1")).all()

    with empty_app.app_context():
        upgrade(revision="0002_audit_append_only")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO cycles (id, name, readers, created_at) VALUES (1, 'C', 2, '2026-01-01')"))
            conn.execute(text("INSERT INTO applicants (id, cycle_id, applicant_id, name) VALUES (1, 1, 'A-1', 'Ann')"))
            conn.execute(
                text(
                    "INSERT INTO items (id, cycle_id, item_id, kind, applicant_pk, rubric_key, prompt, response, "
                    "state, created_at) VALUES "
                    "(1, 1, 'E-1', 'essay', 1, 'r', 'Why?', 'Because.', 'assigned', '2026-01-01'), "
                    "(2, 1, 'APP-A-1', 'application', 1, 'r', NULL, NULL, 'assigned', '2026-01-01')"
                )
            )
        upgrade()
        with db.engine.connect() as conn:
            assert rows(conn, "item_pk, prompt, response FROM item_texts") == [(1, "Why?", "Because.")]
            assert {column["name"] for column in inspect(conn).get_columns("items")} >= {"state", "rubric_key"}
            assert not {"prompt", "response"} & {column["name"] for column in inspect(conn).get_columns("items")}
        downgrade(revision="0002_audit_append_only")
        with db.engine.connect() as conn:
            assert rows(conn, "id, prompt, response FROM items") == [(1, "Why?", "Because."), (2, None, None)]


def test_validity_essays_lift_the_applicant_in_place_keeping_every_row_that_references_items(empty_app):
    with empty_app.app_context():
        upgrade(revision="0009_requirement_results")
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO users (id, email, name, role, active, created_at, session_token) "
                    "VALUES (1, 'r@example.org', 'R', 'reviewer', 1, '2026-01-01', 't')"
                )
            )
            conn.execute(text("INSERT INTO cycles (id, name, readers, created_at) VALUES (1, 'C', 2, '2026-01-01')"))
            conn.execute(text("INSERT INTO applicants (id, cycle_id, applicant_id, name) VALUES (1, 1, 'A-1', 'Ann')"))
            conn.execute(
                text(
                    "INSERT INTO items (id, cycle_id, item_id, kind, applicant_pk, rubric_key, state, "
                    "created_at) VALUES (1, 1, 'E-1', 'essay', 1, 'r', 'assigned', '2026-01-01')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO assignments (id, item_pk, reviewer_id, source, assigned_at) "
                    "VALUES (1, 1, 1, 'auto', '2026-01-01')"
                )
            )
        upgrade()
        with db.engine.begin() as conn:
            assert conn.execute(text("SELECT id, validity FROM items")).all() == [(1, 0)]
            assert conn.execute(text("SELECT id FROM assignments")).scalars().all() == [1]
            conn.execute(
                text(
                    "INSERT INTO items (id, cycle_id, item_id, kind, applicant_pk, rubric_key, state, "
                    "created_at, validity) VALUES (2, 1, 'V-1', 'essay', NULL, 'r', 'assigned', "
                    "'2026-01-01', 1)"
                )
            )
        for bad in (
            "(3, 1, 'E-3', 'essay', NULL, 'r', 'assigned', '2026-01-01', 0)",
            "(3, 1, 'V-3', 'essay', 1, 'r', 'assigned', '2026-01-01', 1)",
            "(3, 1, 'V-3', 'application', NULL, 'r', 'assigned', '2026-01-01', 1)",
        ):
            with pytest.raises(DatabaseError, match="an_applicant_unless_validity"), db.engine.begin() as conn:
                conn.execute(
                    text(
                        "INSERT INTO items (id, cycle_id, item_id, kind, applicant_pk, rubric_key, state, "
                        f"created_at, validity) VALUES {bad}"
                    )
                )
        downgrade(revision="0009_requirement_results")
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT id FROM items")).scalars().all() == [1]
            assert conn.execute(text("SELECT id FROM assignments")).scalars().all() == [1]
            assert [c["nullable"] for c in inspect(conn).get_columns("items") if c["name"] == "applicant_pk"] == [False]


def _named_checks(conn) -> set[tuple[str, str]]:
    inspector = inspect(conn)
    return {
        (table, check["name"])
        for table in inspector.get_table_names()
        for check in inspector.get_check_constraints(table)
        if check.get("name")
    }


def test_the_migrated_schema_has_every_check_constraint_of_the_models(empty_app):
    """compare_metadata leaves CHECK constraints out: the text sizes among them are compared here."""
    with empty_app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            live = _named_checks(conn)
    models = {
        (table.name, constraint.name)
        for table in db.metadata.tables.values()
        for constraint in table.constraints
        if isinstance(constraint, CheckConstraint)
    }
    assert models == live
    assert ("decisions", "ck_decisions_rationale_length") in live


# A cycle with an essay read by a reviewer, in the schema before the text sizes: the rows every table rebuild
# must keep, including those that refer to a rebuilt table (a score → its read → its assignment → its item).
ROWS_BEFORE_TEXT_SIZES = [
    "INSERT INTO cycles (id, name, readers, created_at) VALUES (1, 'C', 2, '2026-01-01')",
    "INSERT INTO users (id, email, name, role, active, session_token, created_at) "
    "VALUES (1, 'r@example.org', 'R', 'reviewer', 1, 't1', '2026-01-01')",
    "INSERT INTO applicants (id, cycle_id, applicant_id, name) VALUES (1, 1, 'A-1', 'Ann')",
    "INSERT INTO applications (id, applicant_pk, category, figures) VALUES (1, 1, 'IMHM-C', '{}')",
    "INSERT INTO items (id, cycle_id, item_id, kind, applicant_pk, rubric_key, state, created_at) "
    "VALUES (1, 1, 'E-1', 'essay', 1, 'imhm-c-essay', 'in_review', '2026-01-01')",
    "INSERT INTO item_texts (item_pk, prompt, response) VALUES (1, 'Why?', 'Because.')",
    "INSERT INTO assignments (id, item_pk, reviewer_id, source, assigned_at) VALUES (1, 1, 1, 'manual', '2026-01-01')",
    "INSERT INTO reads (id, assignment_id, status, overall_seq, started_at, updated_at) "
    "VALUES (1, 1, 'draft', 0, '2026-01-01', '2026-01-01')",
    "INSERT INTO scores (id, read_id, domain_key, score, comment, seq, updated_at) "
    "VALUES (1, 1, 'reflection', 3, 'Good', 1, '2026-01-01')",
    "INSERT INTO audit_entries (at, actor_id, action, object_type, cycle_id) VALUES ('2026-01-01', 1, 'x', 'y', 1)",
]


def _row_counts(conn) -> dict[str, int]:
    return {
        table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()
        for table in (
            "cycles",
            "users",
            "applicants",
            "applications",
            "items",
            "item_texts",
            "assignments",
            "reads",
            "scores",
            "audit_entries",
        )
    }


def test_adding_the_text_sizes_keeps_every_row_and_can_be_undone(empty_app):
    with empty_app.app_context():
        upgrade(revision="0013_mail_outbox")
        with db.engine.begin() as conn:
            for statement in ROWS_BEFORE_TEXT_SIZES:
                conn.execute(text(statement))
        upgrade(revision="0014_text_limits")
        with db.engine.connect() as conn:
            assert _row_counts(conn) == {table: 1 for table in _row_counts(conn)}
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1  # back on after the migration
            assert ("scores", "ck_scores_comment_length") in _named_checks(conn)
            with pytest.raises(DatabaseError, match="ck_users_name_length"):
                conn.execute(text("UPDATE users SET name = :name"), {"name": "n" * 201})
        downgrade(revision="0013_mail_outbox")
        with db.engine.connect() as conn:
            assert _row_counts(conn) == {table: 1 for table in _row_counts(conn)}
            assert not any(name.endswith("_length") for _, name in _named_checks(conn))


def test_text_already_longer_than_its_size_stops_the_upgrade_naming_each_row(empty_app, caplog):
    with empty_app.app_context():
        upgrade(revision="0013_mail_outbox")
        with db.engine.begin() as conn:
            for statement in ROWS_BEFORE_TEXT_SIZES:
                conn.execute(text(statement))
            conn.execute(text("UPDATE users SET name = :name"), {"name": "n" * 201})
            conn.execute(
                text(
                    "INSERT INTO committee_resolutions (id, item_pk, scores, rationale, decided_at, version) "
                    "VALUES (7, 1, '{}', :rationale, '2026-01-01', 1)"
                ),
                {"rationale": "r" * 10_001},
            )
        with pytest.raises(SystemExit):  # flask db upgrade: the message, and exit code 1
            upgrade(revision="0014_text_limits")
        assert "users.name id 1: 201 characters, more than 200" in caplog.text
        assert "committee_resolutions.rationale id 7: 10,001 characters, more than 10,000" in caplog.text
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0013_mail_outbox"
            assert conn.execute(text("SELECT length(rationale) FROM committee_resolutions")).scalar() == 10_001
            assert _row_counts(conn)["scores"] == 1


def test_queue_positions_keep_each_reviewers_existing_order_by_item_id(empty_app):
    with empty_app.app_context():
        upgrade(revision="0017_item_flags")
        with db.engine.begin() as conn:
            for user_id in (1, 2):
                conn.execute(
                    text(
                        "INSERT INTO users (id, email, name, role, active, created_at, session_token) "
                        f"VALUES ({user_id}, 'r{user_id}@example.org', 'R', 'reviewer', 1, '2026-01-01', 't{user_id}')"
                    )
                )
            conn.execute(text("INSERT INTO cycles (id, name, readers, created_at) VALUES (1, 'C', 2, '2026-01-01')"))
            conn.execute(text("INSERT INTO applicants (id, cycle_id, applicant_id, name) VALUES (1, 1, 'A-1', 'Ann')"))
            for pk, item_id in ((1, "E-3"), (2, "E-1"), (3, "E-2")):
                conn.execute(
                    text(
                        "INSERT INTO items (id, cycle_id, item_id, kind, applicant_pk, rubric_key, state, "
                        f"created_at) VALUES ({pk}, 1, '{item_id}', 'essay', 1, 'r', 'assigned', '2026-01-01')"
                    )
                )
            # Reviewer 1 was given E-3, E-1, E-2 in that order; reviewer 2 E-2 then E-3.
            for assignment_id, item_pk, reviewer_id in ((1, 1, 1), (2, 2, 1), (3, 3, 1), (4, 3, 2), (5, 1, 2)):
                conn.execute(
                    text(
                        "INSERT INTO assignments (id, item_pk, reviewer_id, source, assigned_at) "
                        f"VALUES ({assignment_id}, {item_pk}, {reviewer_id}, 'auto', '2026-01-01')"
                    )
                )
        upgrade()
        with db.engine.connect() as conn:
            positions = conn.execute(text("SELECT id, position FROM assignments ORDER BY id")).all()
        # By item id per reviewer: E-1 (2), E-2 (3), E-3 (1) for the first; E-2 (4), E-3 (5) for the second.
        assert positions == [(1, 3), (2, 1), (3, 2), (4, 1), (5, 2)]
        downgrade(revision="0017_item_flags")
        with db.engine.connect() as conn:
            assert "position" not in {column["name"] for column in inspect(conn).get_columns("assignments")}
            assert conn.execute(text("SELECT count(*) FROM assignments")).scalar() == 5
