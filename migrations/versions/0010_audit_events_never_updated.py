"""audit events are never updated: the database refuses every UPDATE of one

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25

Since this version an audit event is inserted once, with its place in the chain and its hash
(see workflows/models/audit.py), instead of being inserted and then given its place.  So the
one update migration 0007 let through (an event without a place receiving it) is refused now.
An event left without a place by an older version is reported by ``sanchika verify``.
"""

from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

REFUSAL = "Sanchika keeps the record: rows of audit_events are never changed or removed"
AUDIT_FIELDS = ("id", "at", "user_id", "office_id", "file_id", "action", "detail")


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_events_keep ON audit_events")
        op.execute("CREATE TRIGGER audit_events_keep BEFORE UPDATE OR DELETE ON audit_events "
                   "FOR EACH ROW EXECUTE FUNCTION sanchika_refuse()")
        op.execute("DROP FUNCTION sanchika_audit_keep()")
    else:
        op.execute("DROP TRIGGER audit_events_no_update")
        op.execute("CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
                   f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END")


def downgrade():
    """Back to migration 0007's rule: an event without a place may receive it, once."""
    if op.get_bind().dialect.name == "postgresql":
        unchanged = " AND ".join(f"NEW.{f} IS NOT DISTINCT FROM OLD.{f}" for f in AUDIT_FIELDS)
        op.execute(f"""CREATE FUNCTION sanchika_audit_keep() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND {unchanged} THEN
                RETURN NEW;
              END IF;
              RAISE EXCEPTION 'Sanchika keeps the record: rows of % are never changed or removed',
                TG_TABLE_NAME;
            END $$""")
        op.execute("DROP TRIGGER audit_events_keep ON audit_events")
        op.execute("CREATE TRIGGER audit_events_keep BEFORE UPDATE OR DELETE ON audit_events "
                   "FOR EACH ROW EXECUTE FUNCTION sanchika_audit_keep()")
    else:
        changed = " OR ".join(f"NEW.{f} IS NOT OLD.{f}" for f in AUDIT_FIELDS)
        op.execute("DROP TRIGGER audit_events_no_update")
        op.execute(f"CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
                   f"WHEN OLD.seq IS NOT NULL OR {changed} "
                   f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END")
