"""marking: copies marked for information, and leave handover

Revision ID: 0030
Revises: 0026
Create Date: 2026-12-04

A copy of a file marked to a post for information (``copies``) is part of the record: the
file does not move, the post's holders read it until one marks it seen.  An official going on
leave hands their posts to a colleague themselves: the additional charge names who handed it
(``post_holdings.handed_by_id``), within what the office allows (``offices.handover_days``,
``offices.handover_to``).
"""

from alembic import op
import sqlalchemy as sa
import workflows.db


revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'copies',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('file_id', sa.Integer(), nullable=False),
        sa.Column('to_post_id', sa.Integer(), nullable=False),
        sa.Column('by_user_id', sa.Integer(), nullable=False),
        sa.Column('by_post_id', sa.Integer(), nullable=False),
        sa.Column('remark', sa.Text(), nullable=False),
        sa.Column('at', workflows.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('seen_at', workflows.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('seen_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['file_id'], ['files.id']),
        sa.ForeignKeyConstraint(['to_post_id'], ['posts.id']),
        sa.ForeignKeyConstraint(['by_user_id'], ['users.id']),
        sa.ForeignKeyConstraint(['by_post_id'], ['posts.id']),
        sa.ForeignKeyConstraint(['seen_by_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_copies_file_id', 'copies', ['file_id'])
    op.create_index('ix_copies_to_post_id', 'copies', ['to_post_id'])
    with op.batch_alter_table('post_holdings') as batch:
        batch.add_column(sa.Column('handed_by_id', sa.Integer(), nullable=True))
        batch.create_foreign_key('fk_post_holdings_handed_by_id_users', 'users',
                                 ['handed_by_id'], ['id'])
    op.add_column('offices', sa.Column('handover_days', sa.Integer(), nullable=False,
                                       server_default='30'))
    op.add_column('offices', sa.Column('handover_to', sa.String(length=16), nullable=False,
                                       server_default='office'))


def downgrade():
    op.drop_column('offices', 'handover_to')
    op.drop_column('offices', 'handover_days')
    with op.batch_alter_table('post_holdings') as batch:
        batch.drop_constraint('fk_post_holdings_handed_by_id_users', type_='foreignkey')
        batch.drop_column('handed_by_id')
    op.drop_index('ix_copies_to_post_id', 'copies')
    op.drop_index('ix_copies_file_id', 'copies')
    op.drop_table('copies')
