"""Reviewer profiles lose the notes column: nothing read or wrote it.

Dropped with a plain ALTER TABLE (SQLite 3.35+ and PostgreSQL), as 0003_item_texts does: a batch rebuild of
reviewer_profiles would copy the table for one unused column. The downgrade brings the column back empty.

Revision ID: 0006_drop_profile_notes
Revises: 0005_portfolio_records
"""
from alembic import op

revision = "0006_drop_profile_notes"
down_revision = "0005_portfolio_records"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("ALTER TABLE reviewer_profiles DROP COLUMN notes")


def downgrade():
    op.execute("ALTER TABLE reviewer_profiles ADD COLUMN notes TEXT")
