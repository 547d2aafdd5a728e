"""The items' two board indexes end in ``validity``, so counts and pages that leave validity essays out stay
index-only (``states.COUNTED``, docs/calibration.md)

Revision ID: 0019_counted_item_indexes
Revises: 0018_queue_positions
"""
from alembic import op

revision = "0019_counted_item_indexes"
down_revision = "0018_queue_positions"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_items_cycle_state", table_name="items")
    op.create_index("ix_items_cycle_state", "items", ["cycle_id", "state", "item_id", "validity"], unique=False)
    op.drop_index("ix_items_cycle_rubric", table_name="items")
    op.create_index("ix_items_cycle_rubric", "items", ["cycle_id", "rubric_key", "state", "validity"], unique=False)


def downgrade():
    op.drop_index("ix_items_cycle_rubric", table_name="items")
    op.create_index("ix_items_cycle_rubric", "items", ["cycle_id", "rubric_key", "state"], unique=False)
    op.drop_index("ix_items_cycle_state", table_name="items")
    op.create_index("ix_items_cycle_state", "items", ["cycle_id", "state", "item_id"], unique=False)
