"""signed checkpoints of the audit chain, which are never changed or removed

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03

A checkpoint is the chain's head (the last event's seq and hash) at a moment, signed with a
key kept outside the database (workflows/audit/checkpoints.py).  Like audit events, a
checkpoint is written once: triggers refuse UPDATE, DELETE and (PostgreSQL) TRUNCATE, so that
a checkpoint cannot be taken back through the application.
"""

from alembic import op
import sqlalchemy as sa
import workflows.db


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

TABLE = "audit_checkpoints"
REFUSAL = f"Sanchika keeps the record: rows of {TABLE} are never changed or removed"


def upgrade():
    op.create_table(
        TABLE,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.Column('at', workflows.db.UTCDateTime(), nullable=False),
        sa.Column('key_id', sa.String(length=16), nullable=False),
        sa.Column('signature', sa.String(length=88), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_checkpoints')),
    )
    op.create_index(op.f('ix_audit_checkpoints_seq'), TABLE, ['seq'], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        # sanchika_refuse() is migration 0007's: it raises the refusal naming the table
        op.execute(f"CREATE TRIGGER {TABLE}_keep BEFORE UPDATE OR DELETE ON {TABLE} "
                   "FOR EACH ROW EXECUTE FUNCTION sanchika_refuse()")
        op.execute(f"CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION sanchika_refuse()")
    else:
        for verb in ("update", "delete"):
            op.execute(f"CREATE TRIGGER {TABLE}_no_{verb} BEFORE {verb.upper()} ON {TABLE} "
                       f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for name in ("keep", "no_truncate"):
            op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_{name} ON {TABLE}")
    else:
        for verb in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_{verb}")
    op.drop_index(op.f('ix_audit_checkpoints_seq'), table_name=TABLE)
    op.drop_table(TABLE)
