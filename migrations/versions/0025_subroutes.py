"""sub-routes: a task in a route called by the file's route remembers that route's version

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-03

A call activity runs another published route of the office, at the version current when the
file reached it.  A task placed at a step of that route names the version (its step's
choices, limit and name are that version's); a task of the file's own route keeps NULL.
"""

from alembic import op


revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


# One plain ADD COLUMN with its foreign key, the same statement on both databases (as 0022):
# a batch (table-copying) operation would drop the guards on tasks.
def upgrade():
    op.execute("ALTER TABLE tasks ADD COLUMN route_version_id INTEGER "
               "CONSTRAINT fk_tasks_route_version_id_route_versions "
               "REFERENCES route_versions (id)")


def downgrade():
    op.drop_column('tasks', 'route_version_id')
