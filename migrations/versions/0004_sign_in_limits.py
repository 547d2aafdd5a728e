"""Sign-in attempts remember their client address and known device, and whether the holder was told.

Failures now delay per e-mail (unknown devices, or one known device) and per
client address instead of locking the e-mail; see docs/security-hardening.md.
Rows already there came from unknown devices at an unknown address, which is
what NULL says. They expire with the window anyway.

Revision ID: 0004_sign_in_limits
Revises: 0003_item_texts
"""
import sqlalchemy as sa
from alembic import op

revision = "0004_sign_in_limits"
down_revision = "0003_item_texts"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("client", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("device", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("notified", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index(batch_op.f("ix_login_attempts_client"), ["client"], unique=False)


def downgrade():
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_attempts_client"))
        batch_op.drop_column("notified")
        batch_op.drop_column("device")
        batch_op.drop_column("client")
