"""Essays' prompt and response move to item_texts; two indexes nothing reads are dropped.

Items are read and updated in bulk (reconciliation, the board's counts);
with a few kilobytes of essay text in every row, SQLite read and rewrote a
page per item. The text is copied over, then the columns are dropped with a
plain ALTER TABLE (SQLite 3.35+ and PostgreSQL): a batch rebuild of items
would drop the old table, which cascades to every row that references it.
Every query on an item's state also names its cycle (ix_items_cycle_state),
so the index on the state alone only cost time on every state change; no
query looks audit entries up by action, and reconciliation writes thousands.

Revision ID: 0003_item_texts
Revises: 0002_audit_append_only
"""
import sqlalchemy as sa
from alembic import op

revision = "0003_item_texts"
down_revision = "0002_audit_append_only"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "item_texts",
        sa.Column("item_pk", sa.Integer(), nullable=False),
        sa.Column("prompt", sa.Text(), nullable=True),
        sa.Column("response", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["item_pk"], ["items.id"], name=op.f("fk_item_texts_item_pk_items"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("item_pk", name=op.f("pk_item_texts")),
    )
    op.execute("INSERT INTO item_texts (item_pk, prompt, response) SELECT id, prompt, response FROM items "
               "WHERE prompt IS NOT NULL OR response IS NOT NULL")
    op.execute("ALTER TABLE items DROP COLUMN prompt")
    op.execute("ALTER TABLE items DROP COLUMN response")
    op.drop_index("ix_items_state", table_name="items")
    op.drop_index("ix_audit_entries_action", table_name="audit_entries")


def downgrade():
    op.create_index("ix_audit_entries_action", "audit_entries", ["action"], unique=False)
    op.create_index("ix_items_state", "items", ["state"], unique=False)
    op.execute("ALTER TABLE items ADD COLUMN prompt TEXT")
    op.execute("ALTER TABLE items ADD COLUMN response TEXT")
    op.execute("UPDATE items SET prompt = (SELECT t.prompt FROM item_texts t WHERE t.item_pk = items.id), "
               "response = (SELECT t.response FROM item_texts t WHERE t.item_pk = items.id)")
    op.drop_table("item_texts")
