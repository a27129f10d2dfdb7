"""Database plumbing: the declarative base, UTC times, engines and sessions.

SQLite is the embedded default (one office, one process); PostgreSQL serves a district or a
state.  The same models and migrations serve both.
"""

import os
import select
import time
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime, MetaData, create_engine, event, text
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, sessionmaker
from sqlalchemy.types import TypeDecorator

from . import pgwire
from .plain import Plain

DEFAULT_INSTANCE = Path(os.environ.get("SANCHIKA_INSTANCE", "instance"))

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every database (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; Sanchika stores aware UTC times")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def bind_processor(self, dialect):
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)

        def process(value):  # SQLAlchemy's SQLite text for the UTC time, in one step
            if value is None:
                return None
            if value.tzinfo is None:
                raise ValueError("naive datetime given; Sanchika stores aware UTC times")
            return value.astimezone(timezone.utc).replace(tzinfo=None).isoformat(
                " ", "microseconds")
        return process

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


#: India Standard Time: what the offices' clocks show, and how times are told to officials.
IST = ZoneInfo("Asia/Kolkata")


def utcnow():
    return datetime.now(timezone.utc)


def database_url(url=None):
    """The database to use: the argument, SANCHIKA_DATABASE_URL, or the embedded SQLite file."""
    if url:
        return url
    if os.environ.get("SANCHIKA_DATABASE_URL"):
        return os.environ["SANCHIKA_DATABASE_URL"]
    return f"sqlite:///{(DEFAULT_INSTANCE / 'sanchika.db').resolve()}"


def make_engine(url=None, **kwargs):
    """An engine for ``url``; SQLite gets WAL, foreign keys and write-locking transactions."""
    url = database_url(url)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        _sqlite_setup(engine)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    engine = create_engine(url, **kwargs)
    check_pooled_connections(engine)
    if engine.dialect.driver == "psycopg":
        _psycopg_setup(engine)
    return engine


_BEGIN_IMMEDIATE = Plain(text("BEGIN IMMEDIATE"))  # run on the driver: every transaction has one


def _sqlite_setup(engine):
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy, not the driver, say when transactions begin (see _on_begin).
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # Every transaction takes the write lock up front: two officials acting on one file
        # queue instead of failing half-way with "database is locked".
        _BEGIN_IMMEDIATE.rowcount(conn, {})


def _psycopg_setup(engine):
    """Tell ``pgwire`` when psycopg deallocates the prepared statements of a connection: at a
    rollback of a transaction, and after a statement such as ROLLBACK TO SAVEPOINT."""

    @event.listens_for(engine, "after_cursor_execute")
    def _after_execute(conn, cursor, _statement, _parameters, _context, _executemany):
        if pgwire.drops_statements(cursor.statusmessage):
            pgwire.dropped(conn.connection.driver_connection)

    @event.listens_for(engine, "rollback")
    def _on_rollback(conn):
        pgwire.rolling_back(conn.connection.driver_connection)

    @event.listens_for(engine.pool, "reset")
    def _on_reset(dbapi_connection, _record, _state):
        pgwire.rolling_back(dbapi_connection)


#: A pooled connection left idle longer than this (seconds) is pinged before it is used again.
PING_AFTER_IDLE = 30.0
_IDLE_SINCE = "sanchika.idle_since"  # in a pooled connection's info: when it was checked in


def check_pooled_connections(engine):
    """A server connection taken from ``engine``'s pool is checked before it is used, and one
    found dead is replaced by a fresh one, so that a restart of the server or a connection it
    ended costs no request an error.

    SQLAlchemy's ``pool_pre_ping`` sends a ping, one round trip, at every checkout: on a busy
    server, a round trip per transaction for connections used a moment ago.  Here the ping is
    sent only when it can tell something: when the connection has been idle longer than
    ``PING_AFTER_IDLE`` (a firewall or a NAT may have forgotten it without a word), or when
    its socket has something to read although nothing was asked (a server that ends a
    connection, at a restart, a ``pg_terminate_backend`` or its idle timeout, says so and
    closes it, which an idle connection's socket shows at once).  A connection the ping finds
    dead is thrown away and the pool tries another (``DisconnectionError``)."""

    @event.listens_for(engine.pool, "checkin")
    def _on_checkin(_dbapi_connection, record):
        if record is not None:
            record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine.pool, "checkout")
    def _on_checkout(dbapi_connection, record, _proxy):
        idle_since = record.info.pop(_IDLE_SINCE, None)
        if idle_since is None:  # just connected
            return
        if time.monotonic() - idle_since <= PING_AFTER_IDLE and not _told_something(
                dbapi_connection, engine.dialect.loaded_dbapi.Error):
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError(f"the database connection was lost: {exc}") from exc
        if not alive:
            raise DisconnectionError("the database connection was lost")


def _told_something(dbapi_connection, driver_error):
    """Whether an idle connection's socket has something to read (the server ended the
    connection, most likely), or the connection is closed.  A driver without libpq's
    connection (psycopg's ``pgconn``) tells nothing this way."""
    if getattr(dbapi_connection, "closed", False):
        return True
    try:
        socket = dbapi_connection.pgconn.socket
    except AttributeError:
        return False
    except driver_error:  # psycopg: the connection has no socket any more
        return True
    poll = select.poll()
    poll.register(socket, select.POLLIN | select.POLLERR | select.POLLHUP)
    return bool(poll.poll(0))


def analyze(engine):
    """PostgreSQL: gather the planner's statistics of every table (``ANALYZE``), as autovacuum
    does in time; nothing on other databases."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")


def make_sessionmaker(engine):
    return sessionmaker(engine, expire_on_commit=False)


def for_update(stmt, session):
    """Lock the selected rows on databases that have row locks (SQLite locks the whole file)."""
    if session.get_bind().dialect.name == "postgresql":
        return stmt.with_for_update()
    return stmt
