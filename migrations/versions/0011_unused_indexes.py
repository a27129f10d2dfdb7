"""indexes no query reads: movements by time, audit events by time and by file

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-25

No page, report or check looks movements or audit events up by their time, or audit events by
their file (the track of a file is its movements; the audit chain is read in its order, seq).
Each of these indexes cost every movement a page written and synced at commit; an index for a
query that comes later is made with that query.
"""

from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

UNUSED = (("ix_movements_at", "movements", "at"), ("ix_audit_events_at", "audit_events", "at"),
          ("ix_audit_events_file_id", "audit_events", "file_id"))


# Plain DROP and CREATE INDEX, never a batch (table-copying) operation: on SQLite a copied
# table would lose the triggers of migration 0007 that keep its rows.
def upgrade():
    for name, table, _column in UNUSED:
        op.drop_index(name, table_name=table)


def downgrade():
    for name, table, column in UNUSED:
        op.create_index(name, table, [column], unique=False)
