"""The mail outbox, one-time password links, and each assignment's due date and notice.

Existing assignments count as already told (``notified_at`` = when they were
assigned): the first delivery run after the upgrade must not mail every
reviewer a digest of reads they have had for weeks. The assignments columns
are added and dropped with a plain ALTER TABLE (SQLite 3.35+ and PostgreSQL):
a batch rebuild of assignments would drop the old table, which cascades to
every read.

Revision ID: 0013_mail_outbox
Revises: 0012_validity_rate
"""
import sqlalchemy as sa
from alembic import op

revision = "0013_mail_outbox"
down_revision = "0012_validity_rate"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "outbox_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.String(length=1000), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("claimed_until", sa.DateTime(), nullable=True),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_outbox_messages_attempts_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_messages")),
        sa.UniqueConstraint("kind", "recipient", "key", name=op.f("uq_outbox_messages_kind_recipient_key")),
    )
    op.create_index("ix_outbox_messages_due", "outbox_messages", ["sent_at", "next_attempt_at"], unique=False)
    op.create_index(op.f("ix_outbox_messages_recipient"), "outbox_messages", ["recipient"], unique=False)
    op.create_table(
        "password_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.Enum("invitation", "reset", name="tokenpurpose", native_enum=False, length=16),
                  nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_password_tokens_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_password_tokens_token_hash")),
    )
    op.create_index(op.f("ix_password_tokens_user_id"), "password_tokens", ["user_id"], unique=False)
    op.add_column("assignments", sa.Column("due", sa.Date(), nullable=True))
    op.add_column("assignments", sa.Column("notified_at", sa.DateTime(), nullable=True))
    op.execute("UPDATE assignments SET notified_at = assigned_at")


def downgrade():
    op.execute("ALTER TABLE assignments DROP COLUMN notified_at")
    op.execute("ALTER TABLE assignments DROP COLUMN due")
    op.drop_index(op.f("ix_password_tokens_user_id"), table_name="password_tokens")
    op.drop_table("password_tokens")
    op.drop_index(op.f("ix_outbox_messages_recipient"), table_name="outbox_messages")
    op.drop_index("ix_outbox_messages_due", table_name="outbox_messages")
    op.drop_table("outbox_messages")
