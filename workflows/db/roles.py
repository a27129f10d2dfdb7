"""PostgreSQL's two roles: the owner of the tables, who migrates them, and the application's
role, which owns nothing and so cannot switch the guards off.

The guard triggers (migrations 0007, 0019) keep the track append-only, but a table's owner (or a
superuser) can ``ALTER TABLE ... DISABLE TRIGGER``, and a superuser can ``SET
session_replication_role = replica``, under which no trigger fires.  So migrations run as the
owner (``SANCHIKA_OWNER_DATABASE_URL``), and the application (``SANCHIKA_DATABASE_URL``) as a
role that is granted only what it does to each table: ``sanchika init`` refuses a role that is
a superuser, the owner itself or a member of it, owns anything in the database, or may set
the replication role, and then grants it exactly the privileges below.
"""

import os
from collections.abc import Callable

from sqlalchemy import Connection, Engine, text

from . import database_url, make_engine
from ..errors import InvalidInput, NotAllowed

OWNER_ENV = "SANCHIKA_OWNER_DATABASE_URL"

# What the application does to each table.  Rows of the record that are only ever added
# (the guard triggers, and the ORM's guards in workflows/models/guards.py, refuse the rest):
INSERT_ONLY = ("movements", "audit_events", "audit_checkpoints", "route_versions",
               "draft_versions", "note_signatures", "signed_orders", "revoked_orders",
               "draft_approvals")
READ_ONLY = ("alembic_version",)   # the schema is the owner's; backups read its revision
DELETED_FROM = ("priority_limits",  # an office's limit for a priority, taken off
                "recovery_codes", "second_factors")  # a second factor reset or enrolled anew
# Every other table is read, added to and updated, and never deleted from.


def owner_url() -> str:
    """The database URL migrations run with: the owner's, or the application's when the
    database has one role only (SQLite)."""
    return os.environ.get(OWNER_ENV) or database_url()


def two_roles() -> bool:
    """Whether the owner's URL is set apart from the application's."""
    return owner_url() != database_url()


def privileges(table: str) -> str:
    """The privileges the application's role is granted on ``table``."""
    if table in READ_ONLY:
        return "SELECT"
    if table in INSERT_ONLY:
        return "SELECT, INSERT"
    if table in DELETED_FROM:
        return "SELECT, INSERT, UPDATE, DELETE"
    return "SELECT, INSERT, UPDATE"


def application_role(app_url: str) -> tuple[str, str]:
    """(role, database) that the application's URL connects as, or a refusal."""
    engine = make_engine(app_url, connect_args={"connect_timeout": 10})
    try:
        with engine.connect() as conn:
            row = conn.execute(text("SELECT current_user, current_database()")).one()
    except Exception as exc:  # any failure to connect is told in one line
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        raise InvalidInput("the application's database (SANCHIKA_DATABASE_URL) cannot be "
                           "reached: %(why)s", why=reason[0] if reason else type(exc).__name__
                           ) from None
    finally:
        engine.dispose()
    return row[0], row[1]


def refuse_unsafe(conn: Connection, role: str, database: str) -> None:
    """Refuse an application role that could switch the guards off (``conn`` is the
    owner's connection)."""
    owner, here = conn.execute(text("SELECT current_user, current_database()")).one()
    if database != here:
        raise NotAllowed("the owner's URL names the database %(owner_db)s and the "
                         "application's %(app_db)s: they must name the same database",
                         owner_db=here, app_db=database)
    if role == owner:
        raise NotAllowed("the application's database role %(role)s would own the tables: "
                         "set SANCHIKA_OWNER_DATABASE_URL to the owner's role and give the "
                         "application a role that owns nothing (docs/deploy.md)", role=role)
    facts = conn.execute(text(
        "SELECT r.rolsuper, pg_has_role(r.oid, o.oid, 'MEMBER') FROM pg_roles r, pg_roles o "
        "WHERE r.rolname = :role AND o.rolname = :owner"), {"role": role, "owner": owner}).one()
    if facts[0]:
        raise NotAllowed("the application's database role %(role)s is a superuser, so it "
                         "could switch off the guards of the record; give it a role that "
                         "owns nothing (docs/deploy.md)", role=role)
    if facts[1]:
        raise NotAllowed("the application's database role %(role)s is a member of the "
                         "owner's role %(owner)s and could act as it; revoke that "
                         "membership", role=role, owner=owner)
    owned = owned_by(conn, role)
    if owned:
        raise NotAllowed("the application's database role %(role)s owns %(owned)s; the "
                         "owner's role must own them (ALTER ... OWNER TO %(owner)s)",
                         role=role, owned=", ".join(owned), owner=owner)
    if _may_set_replication_role(conn, role):
        raise NotAllowed("the application's database role %(role)s may set "
                         "session_replication_role, which silences every trigger; revoke "
                         "it (REVOKE SET ON PARAMETER session_replication_role)", role=role)


def owned_by(conn: Connection, role: str) -> list[str]:
    """What ``role`` owns in this database: the database, schemas, tables, sequences,
    views and functions (any of which would let it undo a guard)."""
    return list(conn.execute(text("""
        SELECT 'database ' || datname FROM pg_database
         WHERE datname = current_database() AND pg_get_userbyid(datdba) = :role
        UNION ALL
        SELECT 'schema ' || nspname FROM pg_namespace WHERE pg_get_userbyid(nspowner) = :role
        UNION ALL
        SELECT CASE c.relkind WHEN 'S' THEN 'sequence ' ELSE 'table ' END || c.relname
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE pg_get_userbyid(c.relowner) = :role AND c.relkind IN ('r', 'p', 'S', 'v', 'm')
           AND n.nspname NOT IN ('pg_catalog', 'information_schema')
        UNION ALL
        SELECT 'function ' || p.proname || '()' FROM pg_proc p
          JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE pg_get_userbyid(p.proowner) = :role
           AND n.nspname NOT IN ('pg_catalog', 'information_schema')
        ORDER BY 1"""), {"role": role}).scalars())


def _may_set_replication_role(conn: Connection, role: str) -> bool:
    version = conn.dialect.server_version_info
    assert version is not None  # noqa: S101  (known once connected)
    if version < (15,):
        return False  # before PostgreSQL 15 only a superuser may set it
    return bool(conn.execute(text("SELECT has_parameter_privilege(:role, "
                                  "'session_replication_role', 'SET')"),
                             {"role": role}).scalar())


def grant(conn: Connection, role: str) -> dict[str, str]:
    """Grant ``role`` exactly what the application does to each table of the public schema,
    and the use of the sequences behind their ids; {table: privileges}."""
    who = conn.dialect.identifier_preparer.quote(role)
    tables = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                               "ORDER BY tablename")).scalars().all()
    conn.execute(text(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {who}"))
    conn.execute(text(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {who}"))
    conn.execute(text(f"GRANT USAGE ON SCHEMA public TO {who}"))
    granted = {}
    for table in tables:
        granted[table] = privileges(table)
        name = conn.dialect.identifier_preparer.quote(table)
        conn.execute(text(f"GRANT {granted[table]} ON {name} TO {who}"))
    # nextval for the ids; SELECT lets pg_dump (sanchika backup) read where they stand
    conn.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {who}"))
    return granted


def prepare(owner_engine: Engine, app_url: str,
            migrate: Callable[[Connection], object] | None = None) -> str | None:
    """Check the application's role against the owner's, run ``migrate(connection)`` as the
    owner, then grant the application its privileges; the application's role (None on a
    database without roles)."""
    if owner_engine.dialect.name != "postgresql":
        if migrate is not None:
            with owner_engine.begin() as conn:
                migrate(conn)
        return None
    role, database = application_role(app_url)
    with owner_engine.begin() as conn:
        refuse_unsafe(conn, role, database)
        if migrate is not None:
            migrate(conn)
        grant(conn, role)
    return role
