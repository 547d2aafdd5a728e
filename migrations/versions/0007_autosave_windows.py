"""Autosaved fields keep a version and the scoring window that stored them.

A save is stored only when it comes from the window that stored the field
last (and is newer than its last), or from a window that saw the stored
version; otherwise that window is told the field changed elsewhere (see
docs/security-hardening.md, "Autosave from two windows"). Fields saved before
this revision start at version 0 with no window: the first save of any
window that loaded them is stored.

Columns are added and dropped with plain ALTER TABLE (SQLite 3.35+ and
PostgreSQL): a batch rebuild of reads would drop the old table, which
cascades to every score and requirement mark.

Revision ID: 0007_autosave_windows
Revises: 0006_drop_profile_notes
"""
import sqlalchemy as sa
from alembic import op

revision = "0007_autosave_windows"
down_revision = "0006_drop_profile_notes"
branch_labels = None
depends_on = None

COLUMNS = {"reads": ("overall_version", "overall_tab"), "requirement_checks": ("version", "tab"),
           "scores": ("version", "tab")}


def upgrade():
    for table, (version, tab) in COLUMNS.items():
        op.add_column(table, sa.Column(version, sa.Integer(), server_default="0", nullable=False))
        op.add_column(table, sa.Column(tab, sa.String(length=32), nullable=True))


def downgrade():
    for table, columns in COLUMNS.items():
        for column in columns:
            op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
