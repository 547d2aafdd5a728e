"""Declined assignments, and the cycle setting for blindness across items.

A decline withdraws the read and is kept in a table of its own, so every
query over assignments (loads, readers, the workbook) still counts only reads
that stand. The cycle's new column is added and dropped with a plain ALTER
TABLE (SQLite 3.35+ and PostgreSQL): a batch rebuild of cycles would drop the
old table, which cascades to everything in the cycle.

Revision ID: 0008_assignment_declines
Revises: 0007_autosave_windows
"""
import sqlalchemy as sa
from alembic import op

revision = "0008_assignment_declines"
down_revision = "0007_autosave_windows"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "assignment_declines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_pk", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=2000), nullable=False),
        sa.Column("source", sa.Enum("auto", "manual", "third_reader", "extra_read", "import", name="assignmentsource",
                                    native_enum=False, length=16), nullable=False),
        sa.Column("assigned_at", sa.DateTime(), nullable=False),
        sa.Column("declined_at", sa.DateTime(), nullable=False),
        sa.Column("declined_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["declined_by_id"], ["users.id"],
                                name=op.f("fk_assignment_declines_declined_by_id_users")),
        sa.ForeignKeyConstraint(["item_pk"], ["items.id"], name=op.f("fk_assignment_declines_item_pk_items"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["reviewer_id"], ["users.id"], name=op.f("fk_assignment_declines_reviewer_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignment_declines")),
        sa.UniqueConstraint("item_pk", "reviewer_id", name=op.f("uq_assignment_declines_item_pk_reviewer_id")),
    )
    op.create_index(op.f("ix_assignment_declines_item_pk"), "assignment_declines", ["item_pk"], unique=False)
    op.create_index(op.f("ix_assignment_declines_reviewer_id"), "assignment_declines", ["reviewer_id"], unique=False)
    op.add_column("cycles", sa.Column("blind_across_items", sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade():
    op.execute("ALTER TABLE cycles DROP COLUMN blind_across_items")
    op.drop_index(op.f("ix_assignment_declines_reviewer_id"), table_name="assignment_declines")
    op.drop_index(op.f("ix_assignment_declines_item_pk"), table_name="assignment_declines")
    op.drop_table("assignment_declines")
