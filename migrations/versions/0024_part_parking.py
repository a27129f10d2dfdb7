"""part parking: each open part of a file (an open task) can be parked on its own

Revision ID: 0024
Revises: 0022
Create Date: 2026-12-03

A file that lies with several posts at once is parked part by part: the official holding a
part sets it aside, and the other parts go on.  ``tasks.parked_at`` is when the part was
parked (NULL: it is not).  A file parked before (status "parked") has its open task parked
since its latest park movement.

(0023 was never used: the sub-routes work written beside this one became 0025.)
"""

from alembic import op
import sqlalchemy as sa
import workflows.db


revision = '0024'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('tasks', sa.Column('parked_at', workflows.db.UTCDateTime(timezone=True),
                                     nullable=True))
    op.execute("UPDATE tasks SET parked_at = (SELECT max(m.at) FROM movements m "
               "WHERE m.file_id = tasks.file_id AND m.kind = 'park') "
               "WHERE done_at IS NULL AND file_id IN "
               "(SELECT id FROM files WHERE status = 'parked')")


def downgrade():
    op.drop_column('tasks', 'parked_at')
