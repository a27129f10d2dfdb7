"""note parts: each note paragraph remembers the part of the file it was written on

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03

A file split by a parallel gateway lies with several posts at once, each open task a part; the
note sheet shows the paragraphs written on a part under that part's step.  Notes written
before keep no part (NULL): which task their author held is not known for certain now.
"""

from alembic import op


revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


# One plain ADD COLUMN with its foreign key, the same statement on both databases: SQLite
# cannot add a constraint to a table, and a batch (table-copying) operation would drop the
# triggers that migrations 0006 and 0007 put on notes (full-text search, never deleted).
def upgrade():
    op.execute("ALTER TABLE notes ADD COLUMN task_id INTEGER "
               "CONSTRAINT fk_notes_task_id_tasks REFERENCES tasks (id)")


def downgrade():
    op.drop_column('notes', 'task_id')
