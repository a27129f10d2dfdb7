"""file numbers are counted in number_counters, with receipts, letters and orders

Revision ID: 0018
Revises: 0014
Create Date: 2026-12-03

A section's files were counted in a table of their own (file_counters, per office, section and
year); receipts, letters and orders in number_counters (per office, kind and year).  One table
and one way of moving a counter on now serve both: a section's file counter is the kind
"file:<section id>" of its office.  The counters carry over, so numbering goes on unbroken.
"""

import sqlalchemy as sa
from alembic import op


revision = '0018'
down_revision = '0014'
branch_labels = None
depends_on = None

def upgrade():
    op.execute("INSERT INTO number_counters (office_id, kind, year, last) "
               "SELECT office_id, 'file:' || CAST(section_id AS VARCHAR(11)), year, last "
               "FROM file_counters")
    op.drop_table("file_counters")


def downgrade():
    op.create_table(
        "file_counters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("section_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["office_id"], ["offices.id"],
                                name=op.f("fk_file_counters_office_id_offices")),
        sa.ForeignKeyConstraint(["section_id"], ["sections.id"],
                                name=op.f("fk_file_counters_section_id_sections")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_file_counters")),
        sa.UniqueConstraint("office_id", "section_id", "year",
                            name=op.f("uq_file_counters_office_id_section_id_year")))
    op.execute("INSERT INTO file_counters (office_id, section_id, year, last) "
               "SELECT office_id, CAST(substr(kind, 6) AS INTEGER), year, last "
               "FROM number_counters WHERE kind LIKE 'file:%'")
    op.execute("DELETE FROM number_counters WHERE kind LIKE 'file:%'")
