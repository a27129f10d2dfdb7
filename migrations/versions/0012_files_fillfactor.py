"""PostgreSQL: room on each page of files, so that a movement's update stays on its page

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-25

A file's row is rewritten at every movement (its place in the route).  PostgreSQL writes the
new version of a row beside the old one; when the page has room for it and no indexed column
changed, the update writes no index entries (a heap-only tuple).  Rows of files are packed
full as they are inserted, so the first movement of a file often found no room and wrote an
entry in each of the nine indexes of files, the full-text one included.  Leaving a fifth of
each page free keeps these updates on their page.  Pages already written keep their packing
until the table is rewritten (VACUUM FULL); new pages get the room.  SQLite has no such
setting.
"""

from alembic import op


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE files SET (fillfactor = 80)")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE files RESET (fillfactor)")
