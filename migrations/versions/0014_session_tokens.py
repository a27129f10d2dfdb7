"""session tokens: a signed-in browser names its user by a random token, not by the password

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02

The session cookie used to carry the last characters of the user's password hash, so that a new
password ended the sessions made with the old one.  A random token per user does the same (a new
password, or signing off everywhere, makes a new token) and tells nothing of the password.
"""

import secrets

from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

users = sa.table('users', sa.column('id', sa.Integer), sa.column('session_token', sa.String))


# Plain ADD COLUMN and CREATE INDEX, never a batch (table-copying) operation: users is the
# parent of most tables, and SQLite cannot add a NOT NULL column without a constant default,
# so the column is nullable on both databases (the application always fills it).
def upgrade():
    op.add_column('users', sa.Column('session_token', sa.String(length=64), nullable=True))
    bind = op.get_bind()
    for (user_id,) in bind.execute(sa.select(users.c.id)).all():
        bind.execute(users.update().where(users.c.id == user_id)
                     .values(session_token=secrets.token_urlsafe(32)))
    op.create_index(op.f('ix_users_session_token'), 'users', ['session_token'], unique=True)


def downgrade():
    op.drop_index(op.f('ix_users_session_token'), table_name='users')
    op.drop_column('users', 'session_token')
