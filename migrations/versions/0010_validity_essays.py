"""Validity essays: items without an applicant, their expert scores, and the cycle's calibration flag thresholds

A validity essay has no applicant, so items.applicant_pk may be NULL (for a
validity essay only: ck_items_an_applicant_unless_validity). On SQLite the
NOT NULL is lifted by editing the table's stored definition, the procedure
SQLite documents for removing a NOT NULL or adding a CHECK no existing row
breaks ("Making Other Kinds Of Table Schema Changes"): a batch rebuild of
items would drop the old table, which cascades to every row that references
it. PostgreSQL alters the column.

Revision ID: 0010_validity_essays
Revises: 0009_requirement_results
Create Date: 2026-12-02 04:48:54.147175

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0010_validity_essays'
down_revision = '0009_requirement_results'
branch_labels = None
depends_on = None

NOT_NULL_APPLICANT = "applicant_pk INTEGER NOT NULL"
CHECK_NAME = "ck_items_an_applicant_unless_validity"
CHECK_RULE = ("(validity AND applicant_pk IS NULL AND kind = 'essay') "
              "OR (NOT validity AND applicant_pk IS NOT NULL)")
CHECK_SQL = f", \n\tCONSTRAINT {CHECK_NAME} CHECK ({CHECK_RULE})"


def upgrade():
    op.create_table('reference_scores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_pk', sa.Integer(), nullable=False),
    sa.Column('domain_key', sa.String(length=64), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['item_pk'], ['items.id'], name=op.f('fk_reference_scores_item_pk_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reference_scores')),
    sa.UniqueConstraint('item_pk', 'domain_key', name=op.f('uq_reference_scores_item_pk_domain_key'))
    )
    op.create_index(op.f('ix_reference_scores_item_pk'), 'reference_scores', ['item_pk'], unique=False)

    op.add_column('cycles', sa.Column('flag_min_adjacent', sa.Float(), server_default='0.9', nullable=False))
    op.add_column('cycles', sa.Column('flag_max_mean_difference', sa.Float(), server_default='0.5', nullable=False))
    op.add_column('cycles', sa.Column('flag_min_kappa', sa.Float(), server_default='0.6', nullable=False))
    op.add_column('cycles', sa.Column('drift_window', sa.Integer(), server_default='10', nullable=False))

    op.add_column('items', sa.Column('validity', sa.Boolean(), server_default=sa.false(), nullable=False))
    if op.get_bind().dialect.name == "sqlite":
        _edit_sqlite_items(lambda sql: _with_check(sql.replace(NOT_NULL_APPLICANT, "applicant_pk INTEGER")))
    else:
        op.alter_column('items', 'applicant_pk', existing_type=sa.INTEGER(), nullable=True)
        op.create_check_constraint(op.f(CHECK_NAME), 'items', CHECK_RULE)


def downgrade():
    op.execute("DELETE FROM items WHERE validity")  # no applicant to keep them under (with their reads)
    if op.get_bind().dialect.name == "sqlite":
        _edit_sqlite_items(lambda sql: sql.replace(CHECK_SQL, "").replace("applicant_pk INTEGER,",
                                                                          NOT_NULL_APPLICANT + ","))
    else:
        op.drop_constraint(op.f(CHECK_NAME), 'items', type_='check')
        op.alter_column('items', 'applicant_pk', existing_type=sa.INTEGER(), nullable=False)
    op.drop_column('items', 'validity')

    op.drop_column('cycles', 'drift_window')
    op.drop_column('cycles', 'flag_min_kappa')
    op.drop_column('cycles', 'flag_max_mean_difference')
    op.drop_column('cycles', 'flag_min_adjacent')

    op.drop_index(op.f('ix_reference_scores_item_pk'), table_name='reference_scores')
    op.drop_table('reference_scores')


def _with_check(sql: str) -> str:
    body, closing = sql.rstrip().rsplit(")", 1)
    return body.rstrip() + CHECK_SQL + "\n)" + closing


def _edit_sqlite_items(edit) -> None:
    """Rewrite the stored CREATE TABLE of items in place and have SQLite reload its schema."""
    connection = op.get_bind()
    sql = connection.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'items'").scalar_one()
    edited = edit(sql)
    if edited == sql:
        raise RuntimeError("items: the stored table definition is not the one this revision edits")
    version = connection.exec_driver_sql("PRAGMA schema_version").scalar_one()
    connection.exec_driver_sql("PRAGMA writable_schema = ON")
    connection.exec_driver_sql("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'items'", (edited,))
    connection.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    connection.exec_driver_sql("PRAGMA writable_schema = OFF")
    problems = connection.exec_driver_sql("PRAGMA integrity_check").scalars().all()
    if problems != ["ok"]:
        raise RuntimeError(f"items: integrity check after the schema edit: {problems}")
