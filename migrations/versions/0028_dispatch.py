"""dispatch register: issued letters and orders as they leave the office

Revision ID: 0028
Revises: 0026
Create Date: 2026-12-04

Each issued draft is entered once, with a dispatch (memo) number from the office's counters,
its addressee, copies, mode and date; the acknowledgement is recorded later.  A row is never
removed: triggers refuse a DELETE, as for the other rows of the record (migration 0007).
"""

from alembic import op
import sqlalchemy as sa
import workflows.db


revision = '0028'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'dispatches',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('number', sa.String(length=64), nullable=False),
        sa.Column('office_id', sa.Integer(), nullable=False),
        sa.Column('draft_id', sa.Integer(), nullable=False),
        sa.Column('file_id', sa.Integer(), nullable=False),
        sa.Column('addressee', sa.Text(), nullable=False),
        sa.Column('copy_to', sa.Text(), nullable=False),
        sa.Column('mode', sa.String(length=16), nullable=False),
        sa.Column('dispatched_on', sa.Date(), nullable=False),
        sa.Column('dispatched_by_id', sa.Integer(), nullable=False),
        sa.Column('dispatched_by_post_id', sa.Integer(), nullable=False),
        sa.Column('dispatched_at', workflows.db.UTCDateTime(), nullable=False),
        sa.Column('acknowledged_on', sa.Date(), nullable=True),
        sa.Column('acknowledged_by', sa.String(length=200), nullable=True),
        sa.Column('acknowledgement_by_id', sa.Integer(), nullable=True),
        sa.Column('acknowledgement_at', workflows.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['office_id'], ['offices.id'],
                                name=op.f('fk_dispatches_office_id_offices')),
        sa.ForeignKeyConstraint(['draft_id'], ['drafts.id'],
                                name=op.f('fk_dispatches_draft_id_drafts')),
        sa.ForeignKeyConstraint(['file_id'], ['files.id'],
                                name=op.f('fk_dispatches_file_id_files')),
        sa.ForeignKeyConstraint(['dispatched_by_id'], ['users.id'],
                                name=op.f('fk_dispatches_dispatched_by_id_users')),
        sa.ForeignKeyConstraint(['dispatched_by_post_id'], ['posts.id'],
                                name=op.f('fk_dispatches_dispatched_by_post_id_posts')),
        sa.ForeignKeyConstraint(['acknowledgement_by_id'], ['users.id'],
                                name=op.f('fk_dispatches_acknowledgement_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_dispatches')),
        sa.UniqueConstraint('number', name=op.f('uq_dispatches_number')),
        sa.UniqueConstraint('draft_id', name=op.f('uq_dispatches_draft_id')),
    )
    for column in ('office_id', 'file_id', 'dispatched_on'):
        op.create_index(op.f(f'ix_dispatches_{column}'), 'dispatches', [column])
    if op.get_bind().dialect.name == "postgresql":
        # sanchika_refuse() is migration 0007's: it raises the refusal naming the table
        op.execute("CREATE TRIGGER dispatches_keep BEFORE DELETE ON dispatches "
                   "FOR EACH ROW EXECUTE FUNCTION sanchika_refuse()")
        op.execute("CREATE TRIGGER dispatches_no_truncate BEFORE TRUNCATE ON dispatches "
                   "FOR EACH STATEMENT EXECUTE FUNCTION sanchika_refuse()")
    else:
        op.execute("CREATE TRIGGER dispatches_no_delete BEFORE DELETE ON dispatches BEGIN "
                   "SELECT RAISE(ABORT, 'Sanchika keeps the record: rows of dispatches are "
                   "never changed or removed'); END")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for name in ("keep", "no_truncate"):
            op.execute(f"DROP TRIGGER IF EXISTS dispatches_{name} ON dispatches")
    else:
        op.execute("DROP TRIGGER IF EXISTS dispatches_no_delete")
    for column in ('office_id', 'file_id', 'dispatched_on'):
        op.drop_index(op.f(f'ix_dispatches_{column}'), table_name='dispatches')
    op.drop_table('dispatches')
