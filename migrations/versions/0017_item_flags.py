"""Problems reviewers report with an item, for the coordinator (``item_flags``).

Revision ID: 0017_item_flags
Revises: 0016_qualification_reason_size
"""
import sqlalchemy as sa
from alembic import op

revision = "0017_item_flags"
down_revision = "0016_qualification_reason_size"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "item_flags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("(resolved_at IS NULL) = (resolved_by_id IS NULL)",
                           name=op.f("ck_item_flags_resolved_by_someone")),
        sa.CheckConstraint("length(note) <= 2000", name=op.f("ck_item_flags_note_length")),  # textlimits.REASON
        sa.ForeignKeyConstraint(["assignment_id"], ["assignments.id"],
                                name=op.f("fk_item_flags_assignment_id_assignments"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["resolved_by_id"], ["users.id"], name=op.f("fk_item_flags_resolved_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_flags")),
    )
    op.create_index(op.f("ix_item_flags_assignment_id"), "item_flags", ["assignment_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_item_flags_assignment_id"), table_name="item_flags")
    op.drop_table("item_flags")
