"""scores lose the index on read_id alone: the unique (read_id, domain_key) index starts with it and serves every
lookup by read, and keeping both cost each inserted score a fifth more (bench/README.md, scores import)

Revision ID: 0020_scores_read_index
Revises: 0019_counted_item_indexes
"""
from alembic import op

revision = "0020_scores_read_index"
down_revision = "0019_counted_item_indexes"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_scores_read_id", table_name="scores")


def downgrade():
    op.create_index("ix_scores_read_id", "scores", ["read_id"], unique=False)
