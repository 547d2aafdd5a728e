"""Text sizes (docs/security-hardening.md, "Text sizes"): one size per kind of text, counted as the database
counts it, refused with the field named, and a CHECK in the database behind every column a person writes."""

import re

import pytest
from sqlalchemy import String, Text, inspect, text
from sqlalchemy.exc import DBAPIError
from werkzeug.datastructures import MultiDict
from wtforms import Form, StringField, TextAreaField

from app import textlimits as limits
from app.committee.models import CommitteeResolution
from app.errors import InputError
from app.extensions import db
from tests import factories as f

# Columns of text the application itself writes (never what a person typed), or that hold one of a fixed
# vocabulary checked before they are written (a rubric's domain and requirement keys).
APP_WRITTEN = {
    "audit_entries.action",
    "audit_entries.object_type",
    "audit_entries.item_key",
    "audit_entries.note",  # the reasons it holds are bounded where they are typed; the log is append-only
    "users.password_hash",
    "users.session_token",
    "login_attempts.key",
    "login_attempts.client",
    "login_attempts.device",
    "reads.overall_tab",
    "scores.tab",
    "scores.domain_key",
    "reference_scores.domain_key",
    "requirement_checks.tab",
    "requirement_checks.requirement_key",
    "requirement_checks.computed",
    "requirement_finals.requirement_key",
    "committee_resolutions.result",
    "item_outcomes.result",
    "jobs.phase",
    "jobs.error",
    "jobs.filename",
    "jobs.mimetype",  # a background job's progress and its file
    "password_tokens.token_hash",
    "outbox_messages.kind",
    "outbox_messages.recipient",
    "outbox_messages.key",
    "outbox_messages.subject",
    "outbox_messages.body",
    "outbox_messages.last_error",  # e-mails the app composes
}


def _length_checks() -> dict[str, int]:
    """``table.column`` → size, from the models' CHECK constraints named ``ck_<table>_<column>_length``."""
    found = {}
    for table in db.metadata.tables.values():
        for constraint in table.constraints:
            match = re.fullmatch(r"length\((\w+)\) <= (\d+)", str(getattr(constraint, "sqltext", "")))
            if match:
                found[f"{table.name}.{match.group(1)}"] = int(match.group(2))
    return found


def test_every_text_column_a_person_writes_has_a_length_check_matching_its_type():
    checks = _length_checks()
    unchecked, mismatched = [], []
    for table in db.metadata.tables.values():
        for column in table.columns:
            name = f"{table.name}.{column.name}"
            if not isinstance(column.type, String | Text) or getattr(column.type, "enums", None):
                continue  # not text, or an enum (its values are fixed)
            if name in APP_WRITTEN:
                continue
            if name not in checks:
                unchecked.append(name)
            elif column.type.length is not None and column.type.length < checks[name]:
                mismatched.append(f"{name}: VARCHAR({column.type.length}) but CHECK <= {checks[name]}")
    assert not unchecked, (
        f"text columns without a size: {unchecked}; add limits.length_checks(...) to the model "
        "(docs/security-hardening.md, 'Text sizes') or, if only the app writes them, APP_WRITTEN"
    )
    assert not mismatched, mismatched
    assert not APP_WRITTEN & set(checks)


def test_the_sizes_are_the_documented_ones():
    checks = _length_checks()
    assert checks["committee_resolutions.rationale"] == checks["decisions.rationale"] == 10_000
    assert checks["requirement_finals.rationale"] == 10_000
    assert checks["scores.comment"] == checks["reads.overall_comment"] == checks["requirement_checks.note"] == 20_000
    assert checks["requirement_checks.override_reason"] == checks["assignment_declines.reason"] == 2_000
    assert checks["item_texts.response"] == 100_000 and checks["item_texts.prompt"] == 10_000
    assert checks["users.name"] == checks["applicants.name"] == checks["reviewer_profiles.organization"] == 200
    # An application's item id is APP-<applicant id>: it must fit the item id's size.
    assert len("APP-") + checks["applicants.applicant_id"] == checks["items.item_id"]


@pytest.mark.parametrize(
    "table, column, limit",
    [
        ("users", "name", 200),
        ("cycles", "name", 120),
        ("committee_resolutions", "rationale", 10_000),
        ("scores", "comment", 20_000),
        ("item_texts", "response", 100_000),
    ],
)
def test_the_database_refuses_one_character_more_than_the_size(app, table, column, limit):
    """Past every check of the application, as a script or a bug would write: SQLite ignores VARCHAR(n)."""
    with app.app_context():
        cycle = f.make_cycle()
        essay = f.make_essay(cycle, f.make_applicant(cycle))
        read = f.submitted_read(f.assign(essay, f.make_user()), {"reflection": 2})
        db.session.add(CommitteeResolution(item_pk=essay.id, scores={}, rationale="r"))
        db.session.flush()
        key, value = {
            "users": ("id", read.assignment.reviewer_id),
            "cycles": ("id", cycle.id),
            "committee_resolutions": ("item_pk", essay.id),
            "scores": ("id", read.scores[0].id),
            "item_texts": ("item_pk", essay.id),
        }[table]
        db.session.commit()
        update = text(f"UPDATE {table} SET {column} = :text WHERE {key} = :key")
        db.session.execute(update, {"text": "é" * limit, "key": value})  # characters, not bytes
        db.session.commit()
        # SQLite: the CHECK. PostgreSQL: VARCHAR(n) itself where the column has a length, else the CHECK.
        with pytest.raises(DBAPIError, match=f"{table}_{column}_length|value too long for type character varying"):
            db.session.execute(update, {"text": "é" * (limit + 1), "key": value})
        db.session.rollback()
        stored = db.session.execute(
            text(f"SELECT length({column}) FROM {table} WHERE {key} = :key"), {"key": value}
        ).scalar()
        assert stored == limit


def test_the_live_database_carries_every_length_check_of_the_models(app):
    with app.app_context():
        inspector = inspect(db.engine)
        live = {
            f"{table}.{check['name']}"
            for table in db.metadata.tables
            for check in inspector.get_check_constraints(table)
            if check["name"].endswith("_length")
        }
    expected = {f"{name.split('.')[0]}.ck_{name.replace('.', '_')}_length" for name in _length_checks()}
    assert expected <= live


def test_bounded_counts_a_line_break_once_and_names_the_field():
    assert limits.bounded("ab\r\ncd", 5, "note", InputError.of) == "ab\ncd"
    assert limits.bounded(None, 5, "note", InputError.of) is None
    assert limits.bounded("\r=1", 5, "note", InputError.of) == "\r=1"  # a lone CR is text, kept
    with pytest.raises(InputError) as refused:
        limits.bounded("x" * 1_001, 1_000, "rationale", InputError.of)
    assert refused.value.problems == {"rationale": "at most 1,000 characters, this has 1,001"}


def test_the_form_validator_says_how_long_the_text_is_and_renders_maxlength():
    class Note(Form):
        body = TextAreaField("Body", validators=[limits.MaxLength(10)], filters=[limits.line_breaks_normalised])
        title = StringField("Title", validators=[limits.MaxLength(3)])

    form = Note(MultiDict({"body": "12345\r\n6789", "title": "abcd"}))
    assert not form.validate()
    assert form.body.data == "12345\n6789" and not form.body.errors  # ten characters once the line break is one
    assert form.title.errors == ["At most 3 characters, this has 4."]
    assert 'maxlength="10"' in form.body() and 'maxlength="3"' in form.title()
