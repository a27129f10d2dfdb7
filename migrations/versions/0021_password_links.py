"""password links: a new official chooses their password from a link, none is mailed

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03

Onboarding used to mail a first password, kept readable in the outbox.  A mail now carries a
link made when it is sent; this table keeps only the link's SHA-256 (and, for a link still to
be made, which mail will carry it).
"""

from alembic import op
import sqlalchemy as sa
import workflows.db


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'password_links',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('mail_id', sa.Integer(), nullable=True),
        sa.Column('token_sha256', sa.String(length=64), nullable=True),
        sa.Column('password_sha256', sa.String(length=64), nullable=False),
        sa.Column('created_at', workflows.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('used_at', workflows.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['mail_id'], ['outbox_mails.id'],
                                name=op.f('fk_password_links_mail_id_outbox_mails')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_password_links_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_password_links')),
        sa.UniqueConstraint('token_sha256', name=op.f('uq_password_links_token_sha256'))
    )
    op.create_index(op.f('ix_password_links_user_id'), 'password_links', ['user_id'])
    op.create_index(op.f('ix_password_links_mail_id'), 'password_links', ['mail_id'])


def downgrade():
    op.drop_index(op.f('ix_password_links_mail_id'), table_name='password_links')
    op.drop_index(op.f('ix_password_links_user_id'), table_name='password_links')
    op.drop_table('password_links')
