"""receipts (incoming letters) and drafts (letters and orders, with versions); counters for
their numbers

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from alembic import op
import sqlalchemy as sa
import workflows.db


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('number_counters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_number_counters_office_id_offices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_number_counters')),
    sa.UniqueConstraint('office_id', 'kind', 'year', name=op.f('uq_number_counters_office_id_kind_year'))
    )
    op.create_table('drafts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', workflows.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('approved_version', sa.Integer(), nullable=True),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('approved_by_post_id', sa.Integer(), nullable=True),
    sa.Column('approved_at', workflows.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('issue_number', sa.String(length=64), nullable=True),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.Column('issued_by_post_id', sa.Integer(), nullable=True),
    sa.Column('issued_at', workflows.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['approved_by_id'], ['users.id'], name=op.f('fk_drafts_approved_by_id_users')),
    sa.ForeignKeyConstraint(['approved_by_post_id'], ['posts.id'], name=op.f('fk_drafts_approved_by_post_id_posts')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_drafts_created_by_id_users')),
    sa.ForeignKeyConstraint(['file_id'], ['files.id'], name=op.f('fk_drafts_file_id_files')),
    sa.ForeignKeyConstraint(['issued_by_id'], ['users.id'], name=op.f('fk_drafts_issued_by_id_users')),
    sa.ForeignKeyConstraint(['issued_by_post_id'], ['posts.id'], name=op.f('fk_drafts_issued_by_post_id_posts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_drafts')),
    sa.UniqueConstraint('issue_number', name=op.f('uq_drafts_issue_number'))
    )
    with op.batch_alter_table('drafts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_drafts_file_id'), ['file_id'], unique=False)

    op.create_table('receipts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=64), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('sender_name', sa.String(length=200), nullable=False),
    sa.Column('sender_address', sa.String(length=500), nullable=False),
    sa.Column('letter_number', sa.String(length=100), nullable=False),
    sa.Column('letter_date', sa.Date(), nullable=True),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('subject', sa.String(length=500), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('document_filename', sa.String(length=255), nullable=True),
    sa.Column('document_type', sa.String(length=100), nullable=True),
    sa.Column('document_size', sa.Integer(), nullable=True),
    sa.Column('document_sha256', sa.String(length=64), nullable=True),
    sa.Column('diarised_by_id', sa.Integer(), nullable=False),
    sa.Column('diarised_by_post_id', sa.Integer(), nullable=False),
    sa.Column('diarised_at', workflows.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('holder_post_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=True),
    sa.Column('filed_by_id', sa.Integer(), nullable=True),
    sa.Column('filed_at', workflows.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['diarised_by_id'], ['users.id'], name=op.f('fk_receipts_diarised_by_id_users')),
    sa.ForeignKeyConstraint(['diarised_by_post_id'], ['posts.id'], name=op.f('fk_receipts_diarised_by_post_id_posts')),
    sa.ForeignKeyConstraint(['file_id'], ['files.id'], name=op.f('fk_receipts_file_id_files')),
    sa.ForeignKeyConstraint(['filed_by_id'], ['users.id'], name=op.f('fk_receipts_filed_by_id_users')),
    sa.ForeignKeyConstraint(['holder_post_id'], ['posts.id'], name=op.f('fk_receipts_holder_post_id_posts')),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_receipts_office_id_offices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_receipts')),
    sa.UniqueConstraint('number', name=op.f('uq_receipts_number'))
    )
    with op.batch_alter_table('receipts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_receipts_file_id'), ['file_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_receipts_holder_post_id'), ['holder_post_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_receipts_office_id'), ['office_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_receipts_status'), ['status'], unique=False)

    op.create_table('draft_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('draft_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('author_post_id', sa.Integer(), nullable=False),
    sa.Column('created_at', workflows.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_draft_versions_author_id_users')),
    sa.ForeignKeyConstraint(['author_post_id'], ['posts.id'], name=op.f('fk_draft_versions_author_post_id_posts')),
    sa.ForeignKeyConstraint(['draft_id'], ['drafts.id'], name=op.f('fk_draft_versions_draft_id_drafts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_draft_versions')),
    sa.UniqueConstraint('draft_id', 'number', name=op.f('uq_draft_versions_draft_id_number'))
    )
    with op.batch_alter_table('draft_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_draft_versions_draft_id'), ['draft_id'], unique=False)


def downgrade():
    with op.batch_alter_table('draft_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_draft_versions_draft_id'))

    op.drop_table('draft_versions')
    with op.batch_alter_table('receipts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_receipts_status'))
        batch_op.drop_index(batch_op.f('ix_receipts_office_id'))
        batch_op.drop_index(batch_op.f('ix_receipts_holder_post_id'))
        batch_op.drop_index(batch_op.f('ix_receipts_file_id'))

    op.drop_table('receipts')
    with op.batch_alter_table('drafts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_drafts_file_id'))

    op.drop_table('drafts')
    op.drop_table('number_counters')
