"""office hours: when an office's day begins, to judge late arrivals in attendance

Revision ID: 0029
Revises: 0026
Create Date: 2026-12-04
"""

from alembic import op
import sqlalchemy as sa


revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None


def upgrade():
    # a plain ADD COLUMN: a batch copy of offices would trip the keys that point at it
    op.add_column('offices', sa.Column('day_starts', sa.String(length=5),
                                       server_default='10:00', nullable=False))


def downgrade():
    op.execute("ALTER TABLE offices DROP COLUMN day_starts")
