"""The share of validity reads mixed into each reviewer's queue, per cycle

Revision ID: 0012_validity_rate
Revises: 0011_jobs
Create Date: 2026-12-02 05:33:42.261483

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0012_validity_rate'
down_revision = '0011_jobs'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('cycles', sa.Column('validity_rate', sa.Float(), server_default='0', nullable=False))


def downgrade():
    # A plain ALTER TABLE (SQLite 3.35+): a batch rebuild of cycles would cascade to every row that references it.
    op.drop_column('cycles', 'validity_rate')
