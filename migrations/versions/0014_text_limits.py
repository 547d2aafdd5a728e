"""Text sizes: every column of text a person gives us gets a CHECK on its length

SQLite ignores a VARCHAR's length and TEXT has none, so the database's own
guard is a CHECK constraint, ``ck_<table>_<column>_length``
(docs/security-hardening.md, "Text sizes"). The sizes are written out here
rather than read from ``app.textlimits``: a revision must build the same
schema whatever the code says later.

Rows already longer than their size stop the upgrade, with every such row
named, before anything changes: text is never cut short behind anyone's back.
On SQLite each table is rebuilt (batch mode), with foreign keys off while the
migrations run (migrations/env.py) so that dropping the old copy of a table
deletes nothing that refers to it.

Revision ID: 0014_text_limits
Revises: 0013_mail_outbox
"""
from alembic import op

revision = "0014_text_limits"
down_revision = "0013_mail_outbox"
branch_labels = None
depends_on = None

LIMITS = {
    "users": {"email": 254, "name": 200},
    "reviewer_profiles": {"endorsements": 200, "designations": 32, "organization": 200},
    "cycles": {"name": 120},
    "applicants": {"applicant_id": 60, "name": 200, "email": 254, "organization": 200, "advisor_email": 254},
    "applications": {"category": 16, "portfolio_summary": 20_000, "portfolio_url": 500},
    "items": {"item_id": 64, "rubric_key": 64},
    "item_texts": {"prompt": 10_000, "response": 100_000},
    "conflicts": {"reason": 500},
    "assignment_declines": {"reason": 2_000},
    "reads": {"overall_comment": 20_000},
    "scores": {"comment": 20_000},
    "requirement_checks": {"note": 20_000, "override_reason": 2_000},
    "committee_resolutions": {"rationale": 10_000},
    "decisions": {"rationale": 10_000},
    "requirement_finals": {"rationale": 10_000},
    "training_records": {"title": 300},
    "rsc_records": {"provider": 200, "provider_endorsement": 16},
    "reference_records": {"rater": 200, "rater_key": 200, "rater_role": 200, "rater_endorsement": 16},
    "work_records": {"role": 200},
}


def _name(table: str, column: str) -> str:
    return f"ck_{table}_{column}_length"


def _refuse_text_already_too_long() -> None:
    bind = op.get_bind()
    found = []
    for table, columns in LIMITS.items():
        key = "user_id" if table == "reviewer_profiles" else "item_pk" if table == "item_texts" else "id"
        for column, limit in columns.items():
            rows = bind.exec_driver_sql(f"SELECT {key}, length({column}) FROM {table} "
                                        f"WHERE length({column}) > {limit} ORDER BY {key} LIMIT 20").fetchall()
            found += [f"{table}.{column} {key} {row_key}: {length:,} characters, more than {limit:,}"
                      for row_key, length in rows]
    if found:
        raise RuntimeError("text longer than its size (docs/security-hardening.md, \"Text sizes\"); shorten "
                           "these rows, then upgrade again:\n  " + "\n  ".join(found))


def upgrade():
    _refuse_text_already_too_long()
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, columns in LIMITS.items():
        if sqlite:
            with op.batch_alter_table(table, recreate="always") as batch_op:
                for column, limit in columns.items():
                    batch_op.create_check_constraint(op.f(_name(table, column)), f"length({column}) <= {limit}")
        else:
            for column, limit in columns.items():
                op.create_check_constraint(op.f(_name(table, column)), table, f"length({column}) <= {limit}")


def downgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, columns in LIMITS.items():
        if sqlite:
            with op.batch_alter_table(table, recreate="always") as batch_op:
                for column in columns:
                    batch_op.drop_constraint(op.f(_name(table, column)), type_="check")
        else:
            for column in columns:
                op.drop_constraint(op.f(_name(table, column)), table, type_="check")
