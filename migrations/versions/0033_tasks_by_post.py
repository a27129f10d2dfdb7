"""tasks by post: the index of a post's tasks carries their files too

The search and the mentions find the files an official may see from the tasks at their posts
and the posts below them (a head's hundred posts, fifty thousand tasks): with the file id in
the index that is read from the index alone.  The inbox's look-up of a post's open tasks
(post_id, done_at) is served by the same index.

Revision ID: 0033
Revises: 0031
Create Date: 2026-12-04
"""

from alembic import op


revision = '0033'
down_revision = '0031'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index('ix_tasks_open_post', table_name='tasks')
    op.create_index('ix_tasks_by_post', 'tasks', ['post_id', 'done_at', 'file_id'])


def downgrade():
    op.drop_index('ix_tasks_by_post', table_name='tasks')
    op.create_index('ix_tasks_open_post', 'tasks', ['post_id', 'done_at'])
