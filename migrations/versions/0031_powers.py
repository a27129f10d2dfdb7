"""powers: the delegation of powers of each office, and every approval of a draft

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-04

For each kind of draft, an office names the post or the role that is the competent authority
to approve and issue it (``powers``; an office without a row for a kind uses the defaults:
orders, office memoranda and notices by the head of office, letters by the section officer of
the file's section).  Every approval of a version of a draft is kept (``draft_approvals``): a
revision after approval sends the draft back for approval, and the earlier approval stays.
"""

from alembic import op
import sqlalchemy as sa
import workflows.db


revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'powers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('office_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('post_id', sa.Integer(), nullable=True),
        sa.Column('role', sa.String(length=100), nullable=True),
        sa.Column('set_by_id', sa.Integer(), nullable=True),
        sa.Column('set_at', workflows.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['office_id'], ['offices.id']),
        sa.ForeignKeyConstraint(['post_id'], ['posts.id']),
        sa.ForeignKeyConstraint(['set_by_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('office_id', 'kind'))
    op.create_index('ix_powers_office_id', 'powers', ['office_id'])
    op.create_table(
        'draft_approvals',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('draft_id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('approved_by_id', sa.Integer(), nullable=False),
        sa.Column('approved_by_post_id', sa.Integer(), nullable=False),
        sa.Column('approved_at', workflows.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['draft_id'], ['drafts.id']),
        sa.ForeignKeyConstraint(['approved_by_id'], ['users.id']),
        sa.ForeignKeyConstraint(['approved_by_post_id'], ['posts.id']),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_draft_approvals_draft_id', 'draft_approvals', ['draft_id'])
    _keep('draft_approvals')


def _keep(table):
    """Rows of ``table`` are never changed or removed (as migration 0026 keeps its tables)."""
    if op.get_bind().dialect.name == "postgresql":
        # sanchika_refuse() is migration 0007's: it raises the refusal naming the table
        op.execute(f"CREATE TRIGGER {table}_keep BEFORE UPDATE OR DELETE ON {table} "
                   "FOR EACH ROW EXECUTE FUNCTION sanchika_refuse()")
        op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION sanchika_refuse()")
        return
    refusal = f"Sanchika keeps the record: rows of {table} are never changed or removed"
    for verb in ("update", "delete"):
        op.execute(f"CREATE TRIGGER {table}_no_{verb} BEFORE {verb.upper()} ON {table} "
                   f"BEGIN SELECT RAISE(ABORT, '{refusal}'); END")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for name in ("keep", "no_truncate"):
            op.execute(f"DROP TRIGGER IF EXISTS draft_approvals_{name} ON draft_approvals")
    else:
        for verb in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS draft_approvals_no_{verb}")
    op.drop_index('ix_draft_approvals_draft_id', 'draft_approvals')
    op.drop_table('draft_approvals')
    op.drop_index('ix_powers_office_id', 'powers')
    op.drop_table('powers')
