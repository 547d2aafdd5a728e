"""Where each read stands in its reviewer's queue (``assignments.position``)

Revision ID: 0018_queue_positions
Revises: 0017_item_flags

Queues listed their reads by item id until now: existing reads are numbered so, per reviewer, and keep
the order their reviewers know (docs/assignment.md, "Queue order").
"""
import sqlalchemy as sa
from alembic import op

revision = "0018_queue_positions"
down_revision = "0017_item_flags"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("assignments", sa.Column("position", sa.Integer(), server_default="0", nullable=False))
    op.execute(
        """
        UPDATE assignments SET position = (
            SELECT numbered.position FROM (
                SELECT a.id AS id,
                       ROW_NUMBER() OVER (PARTITION BY a.reviewer_id ORDER BY i.item_id, a.id) AS position
                FROM assignments a JOIN items i ON i.id = a.item_pk
            ) AS numbered
            WHERE numbered.id = assignments.id
        )
        """
    )


def downgrade():
    # A plain ALTER TABLE (SQLite 3.35+): a batch rebuild of assignments would cascade to the reads and flags.
    op.drop_column("assignments", "position")
