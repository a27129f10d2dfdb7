"""sessions: each sign-in a session of its own on the server; a second factor; no lockout

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-10

One token per user (``users.session_token``, migration 0014) could end all of an official's
sessions but never one: signing off left a copied cookie working.  Each sign-in now makes a row
of ``sign_in_sessions`` (the cookie's token kept as SHA-256), which signing off, a new password,
the end of a holding or a disabled login ends.  The lock after six wrong passwords
(``failed_logins``, ``locked_until``) let a stranger keep the holder out; the web's throttle
replaces it.  ``second_factors`` and ``recovery_codes`` hold the time-based second factor.

Going up signs every official off once (their cookies named the old token).  Going down gives
each user a fresh session token, as 0014 did.
"""

import secrets

from alembic import op
import sqlalchemy as sa
import workflows.db


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

users = sa.table('users', sa.column('id', sa.Integer), sa.column('session_token', sa.String))


def upgrade():
    op.create_table(
        'sign_in_sessions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('token_sha256', sa.String(length=64), nullable=False),
        sa.Column('created_at', workflows.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('last_seen_at', workflows.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('user_agent', sa.String(length=300), nullable=False),
        sa.Column('client_address', sa.String(length=64), nullable=False),
        sa.Column('ended_at', workflows.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('ended_why', sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_sign_in_sessions_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_sessions')),
        sa.UniqueConstraint('token_sha256', name=op.f('uq_sign_in_sessions_token_sha256')),
    )
    op.create_index(op.f('ix_sign_in_sessions_user_id'), 'sign_in_sessions', ['user_id'])
    op.create_table(
        'second_factors',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('secret', sa.String(length=64), nullable=False),
        sa.Column('created_at', workflows.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('confirmed_at', workflows.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('last_step', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_second_factors_user_id_users')),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_second_factors')),
    )
    op.create_table(
        'recovery_codes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('code_sha256', sa.String(length=64), nullable=False),
        sa.Column('created_at', workflows.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('used_at', workflows.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_recovery_codes_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_codes')),
        sa.UniqueConstraint('code_sha256', name=op.f('uq_recovery_codes_code_sha256')),
    )
    op.create_index(op.f('ix_recovery_codes_user_id'), 'recovery_codes', ['user_id'])
    # Plain DROP COLUMN (SQLite 3.35 and later), never a batch copy of users, the parent of
    # most tables (see 0014).
    op.drop_index(op.f('ix_users_session_token'), table_name='users')
    op.drop_column('users', 'session_token')
    op.drop_column('users', 'failed_logins')
    op.drop_column('users', 'locked_until')


def downgrade():
    op.add_column('users', sa.Column('locked_until', workflows.db.UTCDateTime(timezone=True),
                                     nullable=True))
    op.add_column('users', sa.Column('failed_logins', sa.Integer(), nullable=False,
                                     server_default='0'))
    op.add_column('users', sa.Column('session_token', sa.String(length=64), nullable=True))
    bind = op.get_bind()
    for (user_id,) in bind.execute(sa.select(users.c.id)).all():
        bind.execute(users.update().where(users.c.id == user_id)
                     .values(session_token=secrets.token_urlsafe(32)))
    op.create_index(op.f('ix_users_session_token'), 'users', ['session_token'], unique=True)
    op.drop_index(op.f('ix_recovery_codes_user_id'), table_name='recovery_codes')
    op.drop_table('recovery_codes')
    op.drop_table('second_factors')
    op.drop_index(op.f('ix_sign_in_sessions_user_id'), table_name='sign_in_sessions')
    op.drop_table('sign_in_sessions')
