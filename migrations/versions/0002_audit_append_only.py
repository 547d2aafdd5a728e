"""The audit log is append-only: the database itself refuses UPDATE and DELETE.

Revision ID: 0002_audit_append_only
Revises: 0001_initial
"""
from alembic import op

from app.audit.guard import APPEND_ONLY_DDL, DROP_APPEND_ONLY_DDL

revision = "0002_audit_append_only"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade():
    for statement in APPEND_ONLY_DDL[op.get_bind().dialect.name]:
        op.execute(statement)


def downgrade():
    for statement in DROP_APPEND_ONLY_DDL[op.get_bind().dialect.name]:
        op.execute(statement)
