"""files by creator: an index for "Created by me" and for what an official may find in search

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25
"""

from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


# Plain CREATE INDEX, never a batch (table-copying) operation: on SQLite a copied "files" would
# lose the triggers of migration 0007 that refuse deleting files.
def upgrade():
    op.create_index(op.f('ix_files_created_by_id'), 'files', ['created_by_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_files_created_by_id'), table_name='files')
