"""audit chain, retention of closed files, and database guards against rewriting the record

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26

Audit events get their place in a hash chain (existing events are chained in id order); the
chain head is one row of audit_chain.  Closed files get a retention category and a review date.
Triggers refuse UPDATE/DELETE/TRUNCATE of movements and audit events (an audit event may only
receive its place in the chain, once) and DELETE/TRUNCATE of files, notes and attachments, on
PostgreSQL and SQLite alike.  A later migration that must rewrite those tables drops the trigger
first and recreates it (``create_guards``/``drop_guards`` below).
"""

from alembic import op
import sqlalchemy as sa
import workflows.db
from workflows.models.audit import GENESIS, event_hash


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

APPEND_ONLY = ("movements", "audit_events")
NEVER_DELETED = ("files", "notes", "attachments")
AUDIT_FIELDS = ("id", "at", "user_id", "office_id", "file_id", "action", "detail")
REFUSAL = "Sanchika keeps the record: rows of %s are never changed or removed"
PG_REFUSAL = REFUSAL.replace("%s", "%")


def upgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seq', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_audit_events_seq'), ['seq'])
    op.create_table(
        'audit_chain',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_chain')),
    )
    with op.batch_alter_table('files', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retention', sa.String(length=1), nullable=True))
        batch_op.add_column(sa.Column('review_on', sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f('ix_files_review_on'), ['review_on'], unique=False)
    _chain_existing_events()
    create_guards()


def _chain_existing_events():
    conn = op.get_bind()
    events = sa.table('audit_events', sa.column('id', sa.Integer()),
                      sa.column('at', workflows.db.UTCDateTime()), sa.column('user_id'),
                      sa.column('office_id'), sa.column('file_id'), sa.column('action'),
                      sa.column('detail'), sa.column('seq'), sa.column('prev_hash'),
                      sa.column('hash'))
    seq, last = 0, GENESIS
    rows = conn.execute(sa.select(*(events.c[f] for f in AUDIT_FIELDS))
                        .order_by(events.c.id)).all()
    for row in rows:
        seq += 1
        digest = event_hash(seq, row.at, row.user_id, row.office_id, row.file_id, row.action,
                            row.detail, last)
        conn.execute(events.update().where(events.c.id == row.id)
                     .values(seq=seq, prev_hash=last, hash=digest))
        last = digest
    conn.execute(sa.text("INSERT INTO audit_chain (id, seq, hash) VALUES (1, :s, :h)"),
                 {"s": seq, "h": last})


def create_guards():
    if op.get_bind().dialect.name == "postgresql":
        _pg_guards()
    else:
        _sqlite_guards()


def drop_guards():
    pg = op.get_bind().dialect.name == "postgresql"
    for table in APPEND_ONLY + NEVER_DELETED:
        for name in (f"{table}_keep", f"{table}_no_truncate", f"{table}_no_update",
                     f"{table}_no_delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if pg else ""))
    if pg:
        op.execute("DROP FUNCTION IF EXISTS sanchika_refuse()")
        op.execute("DROP FUNCTION IF EXISTS sanchika_audit_keep()")


def _unchanged(fields):
    return " AND ".join(f"NEW.{f} IS NOT DISTINCT FROM OLD.{f}" for f in fields)


def _pg_guards():
    op.execute(f"""CREATE FUNCTION sanchika_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION '{PG_REFUSAL}', TG_TABLE_NAME; END $$""")
    op.execute(f"""CREATE FUNCTION sanchika_audit_keep() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND {_unchanged(AUDIT_FIELDS)} THEN
            RETURN NEW;
          END IF;
          RAISE EXCEPTION '{PG_REFUSAL}', TG_TABLE_NAME;
        END $$""")
    for table in APPEND_ONLY + NEVER_DELETED:
        rows = "UPDATE OR DELETE" if table in APPEND_ONLY else "DELETE"
        check = "sanchika_audit_keep" if table == "audit_events" else "sanchika_refuse"
        op.execute(f"CREATE TRIGGER {table}_keep BEFORE {rows} ON {table} "
                   f"FOR EACH ROW EXECUTE FUNCTION {check}()")
        op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION sanchika_refuse()")


def _sqlite_guards():
    def refuse(table):
        return f"BEGIN SELECT RAISE(ABORT, '{REFUSAL % table}'); END"
    for table in APPEND_ONLY + NEVER_DELETED:
        op.execute(f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} {refuse(table)}")
    op.execute(f"CREATE TRIGGER movements_no_update BEFORE UPDATE ON movements "
               f"{refuse('movements')}")
    changed = " OR ".join(f"NEW.{f} IS NOT OLD.{f}" for f in AUDIT_FIELDS)
    op.execute(f"CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
               f"WHEN OLD.seq IS NOT NULL OR {changed} {refuse('audit_events')}")


def downgrade():
    drop_guards()
    with op.batch_alter_table('files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_files_review_on'))
        batch_op.drop_column('review_on')
        batch_op.drop_column('retention')
    op.drop_table('audit_chain')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_audit_events_seq'), type_='unique')
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
        batch_op.drop_column('seq')
