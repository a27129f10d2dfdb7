"""Statements run straight on the driver (``workflows.plain``) read and write what SQLAlchemy
would: the same values in and out (aware UTC times, booleans, values fixed in the statement, a
parameter used twice), in the session's transaction, with SQLAlchemy's errors."""

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import bindparam, exists, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from workflows.models import File, Movement
from workflows.plain import Plain

MOVES, FILES = Movement.__table__, File.__table__

WRITE = Plain(insert(MOVES).values(
    file_id=bindparam("file"), kind="act", remark=bindparam("remark"), at=bindparam("at"),
    step_name=bindparam("remark"), choice=""))
READ = Plain(select(MOVES.c.id, MOVES.c.kind, MOVES.c.remark, MOVES.c.step_name,
                    MOVES.c.at.label("when"),
                    exists().where(FILES.c.id == MOVES.c.file_id).label("filed"))
             .where(MOVES.c.file_id == bindparam("file"), MOVES.c.remark == bindparam("remark"))
             .order_by(MOVES.c.id))
IN_LIST = Plain(select(MOVES.c.remark).where(MOVES.c.id.in_(bindparam("ids", expanding=True)))
                .order_by(MOVES.c.id))


def _a_file(session):
    return session.scalar(select(File.id).order_by(File.id).limit(1))


def test_a_plain_statement_writes_and_reads_what_sqlalchemy_does(session):
    file_id = _a_file(session)
    at = datetime(2026, 11, 25, 6, 40, 5, 123456, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    connection = session.connection()
    assert WRITE.rowcount(connection, {"file": file_id, "remark": "सीधे लिखा", "at": at}) == 1

    [row] = READ.rows(connection, {"file": file_id, "remark": "सीधे लिखा"})
    expected = session.execute(READ.statement, {"file": file_id, "remark": "सीधे लिखा"}).one()
    assert tuple(row) == tuple(expected)
    assert row.when == at and row.when.tzinfo is not None  # the same instant, in UTC
    assert row.when.utcoffset() == timedelta(0)
    assert row.kind == "act" and row.step_name == "सीधे लिखा" and row.filed is True
    # written in the session's transaction: the ORM sees it before any commit
    assert session.scalar(select(Movement.remark).where(Movement.id == row.id)) == "सीधे लिखा"
    assert READ.first(connection, {"file": file_id, "remark": "nothing"}) is None


def test_a_statement_with_an_expanding_list_goes_through_sqlalchemy(session):
    file_id = _a_file(session)
    connection = session.connection()
    now = datetime.now(timezone.utc)
    for remark in ("one", "two", "three"):
        WRITE.rowcount(connection, {"file": file_id, "remark": remark, "at": now})
    ids = [r.id for r in READ.rows(connection, {"file": file_id, "remark": "one"})
           + READ.rows(connection, {"file": file_id, "remark": "three"})]
    assert [r.remark for r in IN_LIST.rows(connection, {"ids": ids})] == ["one", "three"]


def test_a_driver_error_is_sqlalchemys_and_names_the_statement(session):
    connection = session.connection()
    with pytest.raises(IntegrityError) as raised, session.begin_nested():
        WRITE.rowcount(session.connection(), {"file": None, "remark": "no file",
                                              "at": datetime.now(timezone.utc)})
    assert "INSERT INTO movements" in str(raised.value)
    assert connection is session.connection()  # the session goes on after the savepoint
    assert session.scalar(select(File.id).limit(1)) is not None


def test_the_records_own_guard_stops_a_plain_statement_too(session):
    """Movements are append-only (a trigger refuses changes); a plain update is refused like
    any other, and the movement stays as written."""
    file_id = _a_file(session)
    WRITE.rowcount(session.connection(), {"file": file_id, "remark": "kept",
                                          "at": datetime.now(timezone.utc)})
    change = Plain(update(MOVES).where(MOVES.c.remark == bindparam("was"))
                   .values(remark=bindparam("now")))
    with pytest.raises(DBAPIError, match="never changed or removed"), session.begin_nested():
        change.rowcount(session.connection(), {"was": "kept", "now": "altered"})
    assert READ.first(session.connection(), {"file": file_id, "remark": "kept"}) is not None


@pytest.mark.parametrize("moment", [
    datetime(2026, 11, 25, 6, 40, 5, 123456, tzinfo=timezone(timedelta(hours=5, minutes=30))),
    datetime(2026, 11, 25, 0, 0, 0, 0, tzinfo=timezone.utc),  # no microseconds: still six digits
    datetime(1, 1, 1, 23, 59, 59, 7, tzinfo=timezone(timedelta(hours=-3))),
])
def test_utc_times_are_written_to_sqlite_as_sqlalchemy_writes_them(moment):
    from sqlalchemy.dialects import sqlite
    from sqlalchemy.types import DateTime

    from workflows.db import UTCDateTime
    dialect = sqlite.dialect()
    ours = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    theirs = DateTime().dialect_impl(dialect).bind_processor(dialect)
    assert ours(moment) == theirs(moment.astimezone(timezone.utc).replace(tzinfo=None))
    assert ours(None) is None
    with pytest.raises(ValueError, match="naive datetime"):
        ours(moment.replace(tzinfo=None))
