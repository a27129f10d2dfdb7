"""The database: the declarative base, UTC times, engines and sessions (here); creating and
migrating it with Alembic (``schema``); backups and restores while the app runs (``backup``).

SQLite is the embedded default (one office, one process); PostgreSQL serves a district or a
state.  The same models and migrations serve both.
"""

import os
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, TypeVar

from sqlalchemy import (ColumnElement, Connection, DateTime, Dialect, Engine, Float, Integer,
                        MetaData, Table, any_, bindparam, cast, create_engine, event, func)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import DeclarativeBase, Session, SessionTransaction, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.sql.selectable import GenerativeSelect
from sqlalchemy.types import TypeDecorator

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
    __table__: ClassVar[Table]  # every model maps one table (SQLAlchemy types it FromClause)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every database (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None,
                           dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; Sanchika stores aware UTC times")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None,
                             dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def database_url(url: str | None = None) -> str:
    """The database to use: the argument, SANCHIKA_DATABASE_URL, or the embedded SQLite file."""
    if url:
        return url
    if os.environ.get("SANCHIKA_DATABASE_URL"):
        return os.environ["SANCHIKA_DATABASE_URL"]
    return f"sqlite:///{(DEFAULT_INSTANCE / 'sanchika.db').resolve()}"


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and write-locking transactions,
    PostgreSQL a ping of each pooled connection before use (one the server ended, at a restart
    or an idle timeout, is replaced without an error)."""
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
    return create_engine(url, **{"pool_pre_ping": True, **kwargs})


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection,
                    _record: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy, not the driver, say when transactions begin (see _on_begin).
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Every transaction takes the write lock up front: two officials acting on one file
        # queue instead of failing half-way with "database is locked".
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def analyze(engine: Engine) -> None:
    """PostgreSQL: gather the planner's statistics of every table (``ANALYZE``), as autovacuum
    does in time; nothing on other databases."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions on ``engine`` whose objects keep their loaded values after the commit."""
    return sessionmaker(engine, expire_on_commit=False)


_Select = TypeVar("_Select", bound=GenerativeSelect)
_T = TypeVar("_T")
_KNOWN = "sanchika.known"


def remembered(session: Session, key: tuple[Any, ...], find: Callable[[], _T]) -> _T:
    """What ``find()`` answers, asked once per transaction while nothing is written: a page's
    header, its permission checks and its view ask the same questions (whose posts, which
    files one may see).  Anything written (a flush) or the transaction's end forgets it."""
    known = session.info.setdefault(_KNOWN, {})
    if key not in known:
        known[key] = find()
    return known[key]  # type: ignore[no-any-return]


def one_of(session: Session, column: Any, ids: Sequence[int]) -> ColumnElement[bool]:
    """``column`` is one of ``ids``: on PostgreSQL one array parameter, however many ids (an
    official's thousands of files), rather than a parameter each."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(ids), type_=ARRAY(Integer)))
    return column.in_(ids)  # type: ignore[no-any-return]


def epoch(session: Session, column: Any) -> ColumnElement[float]:
    """Seconds since 1970 of a time ``column``, worked out by the database: thousands of
    stays' lengths without a datetime object made for each."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.extract("epoch", column), Float)
    return (func.julianday(column) - 2440587.5) * 86400.0  # the Julian day of 1970-01-01


@event.listens_for(Session, "after_flush")
def _forget_after_flush(session: Session, _context: object) -> None:
    session.info.pop(_KNOWN, None)


@event.listens_for(Session, "after_transaction_end")
def _forget_after_end(session: Session, _transaction: SessionTransaction) -> None:
    session.info.pop(_KNOWN, None)


def for_update(stmt: _Select, session: Session) -> _Select:
    """Lock the selected rows on databases that have row locks (SQLite locks the whole file)."""
    if session.get_bind().dialect.name == "postgresql":
        return stmt.with_for_update()
    return stmt
