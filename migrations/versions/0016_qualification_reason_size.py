"""Qualification releases: the reason's size checked by the database, as every text a person writes

A CHECK ``ck_qualification_releases_reason_length`` (docs/security-hardening.md,
"Text sizes"); the size is written out here, not read from ``app.textlimits``,
so the revision builds the same schema whatever the code says later. A reason
already longer stops the upgrade with the rows named. Nothing references this
table, so SQLite's batch rebuild of it is safe.

Revision ID: 0016_qualification_reason_size
Revises: 0015_qualification
"""
from alembic import op

revision = "0016_qualification_reason_size"
down_revision = "0015_qualification"
branch_labels = None
depends_on = None

NAME = "ck_qualification_releases_reason_length"
LIMIT = 2_000


def upgrade():
    rows = op.get_bind().exec_driver_sql(
        f"SELECT id, length(reason) FROM qualification_releases WHERE length(reason) > {LIMIT} ORDER BY id").fetchall()
    if rows:
        raise RuntimeError("qualification release reasons longer than 2,000 characters; shorten them, then upgrade "
                           "again: " + ", ".join(f"id {row_id} ({length:,})" for row_id, length in rows))
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("qualification_releases", recreate="always") as batch_op:
            batch_op.create_check_constraint(op.f(NAME), f"length(reason) <= {LIMIT}")
    else:
        op.create_check_constraint(op.f(NAME), "qualification_releases", f"length(reason) <= {LIMIT}")


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("qualification_releases", recreate="always") as batch_op:
            batch_op.drop_constraint(op.f(NAME), type_="check")
    else:
        op.drop_constraint(op.f(NAME), "qualification_releases", type_="check")
