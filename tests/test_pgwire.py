"""PostgreSQL: an official's action goes to the server in two round trips (BEGIN with the read; the
writes and the audit chain with COMMIT), opening a file in three (the file's row between them),
and nothing about what is kept changes for it: the transaction sees the writes as soon as it
runs anything else, a rollback drops them, writes or a chain that cannot be written commit
nothing, a transaction begun with a plain statement is one transaction, and statements the
server has dropped are prepared again.  A pooled connection is pinged only when it has been idle
long or the server has spoken on it, and one the server ended is replaced without an error."""

import time

import pytest
from psycopg import pq
from sqlalchemy import bindparam, event, func, insert, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from workflows import audit, db, filing, notes, org, pgwire, plain
from workflows.db import make_engine, make_sessionmaker, utcnow
from workflows.models import AuditEvent, File, Movement, Task
from workflows.models.audit import AuditChain
from workflows.plain import Plain

ONLY_PG = pytest.mark.parametrize("empty_db", ["postgresql"], indirect=True)
pytestmark = ONLY_PG


@pytest.fixture
def sessions(demo_db, tmp_path):
    """Sessions on the demo database whose connections write libpq's trace of the protocol to
    ``sessions.trace`` (see ``round_trips``)."""
    engine = make_engine(demo_db)
    trace = (tmp_path / "protocol.trace").open("w+")

    @event.listens_for(engine, "connect")
    def _trace(dbapi_connection, _record):
        dbapi_connection.pgconn.trace(trace.fileno())
        dbapi_connection.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS)
    factory = make_sessionmaker(engine)
    factory.trace = trace
    yield factory
    engine.dispose()
    trace.close()


def round_trips(sessions, work):
    """The round trips ``work()`` makes to the server: the server's ReadyForQuery messages,
    one at the end of every exchange (a simple query, or a pipeline up to its sync)."""
    trace = sessions.trace
    trace.seek(0, 2)
    start = trace.tell()
    work()
    trace.seek(start)
    return sum(1 for line in trace if "\tReadyForQuery\t" in line and line.startswith("B"))


def _open(sessions, subject="Mutation of Khata 77"):
    with sessions.begin() as session:
        office, manoj = org.office_by_code(session, "SADAR"), org.user_by_login(session, "manoj.yadav")
        return filing.open_file(session, office=office, user=manoj, route_key="land_mutation",
                                subject=subject).number


def _user(sessions, login):
    with sessions.begin() as session:
        return org.user_by_login(session, login)


def _act(sessions, number, login="manoj.yadav", choice="Submit report"):
    """``login`` acts on file ``number``: the act's read is the first statement of its
    transaction, as in ``sanchika file act`` (the official was read before)."""
    user = _user(sessions, login)
    with sessions.begin() as session:
        filing.act(session, number=number, user=user, choice=choice)


def _state(sessions, number):
    """Where the file is: its open steps, its movements, and the audit events on it."""
    with sessions.begin() as session:
        file_id = session.scalar(select(File.id).where(File.number == number))
        steps = session.scalars(select(Task.step_name).where(
            Task.file_id == file_id, Task.done_at.is_(None))).all()
        moves = session.scalar(select(func.count()).where(Movement.file_id == file_id))
        events = session.scalars(select(AuditEvent.action).where(AuditEvent.file_id == file_id)
                                 .order_by(AuditEvent.seq)).all()
    return steps, moves, events


def _sent_on_three_times(sessions, number):
    """File ``number`` went on three times from its opening, all of it kept and chained."""
    steps, moves, events = _state(sessions, number)
    assert steps == ["Check enquiry report"] and moves == 4
    assert events == ["file.opened", "file.moved", "file.moved", "file.moved"]
    with sessions.begin() as session:
        assert audit.verify(session).ok


def test_an_action_takes_two_round_trips_and_is_kept_whole(sessions):
    number = _open(sessions)
    manoj = _user(sessions, "manoj.yadav")
    _act(sessions, number)  # the statements are prepared on this connection now
    _act(sessions, number, login="rajesh.prasad", choice="Return")

    def act():
        with sessions.begin() as session:
            filing.act(session, number=number, user=manoj, choice="Submit report")
    assert round_trips(sessions, act) == 2  # BEGIN + read; writes, chain + COMMIT
    _sent_on_three_times(sessions, number)


def test_opening_a_file_takes_three_round_trips_and_is_kept_whole(sessions):
    with sessions.begin() as session:
        sadar = org.office_by_code(session, "SADAR")
        manoj = org.user_by_login(session, "manoj.yadav")
    _open(sessions)  # the statements are prepared on this connection now
    opened = []

    def open_one():
        with sessions.begin() as session:
            opened.append(filing.open_file(
                session, office=sadar, user=manoj, route_key="land_mutation",
                subject="Mutation of Khata 78", first_note="Petition received.").number)
    # BEGIN + read; the counter and the file; task, movement, note, chain + COMMIT
    assert round_trips(sessions, open_one) == 3
    steps, moves, events = _state(sessions, opened[0])
    assert (steps, moves, events) == (["Enquire and submit report"], 1, ["file.opened"])
    with sessions.begin() as session:
        file = session.scalar(select(File).where(File.number == opened[0]))
        assert [n.body for n in notes.notes_of(session, file)] == ["Petition received."]
        assert audit.verify(session).ok


def test_what_an_act_wrote_is_seen_by_every_statement_after_it(sessions):
    """The act's writes wait for the COMMIT, but whatever the transaction runs after the act
    runs them first: a query through the ORM, a plain read, another act."""
    number = _open(sessions)
    manoj, rajesh = _user(sessions, "manoj.yadav"), _user(sessions, "rajesh.prasad")
    with sessions.begin() as session:
        filing.act(session, number=number, user=manoj, choice="Submit report")
        assert session.connection().info.get(plain.DEFERRED)  # not yet written
        file_id = session.scalar(select(File.id).where(File.number == number))
        assert session.scalars(select(Task.step_name).where(
            Task.file_id == file_id, Task.done_at.is_(None))).all() == ["Check enquiry report"]
        filing.act(session, number=number, user=rajesh, choice="Return")
        moves = Plain(select(func.count()).where(Movement.__table__.c.file_id == bindparam("f")))
        assert moves.first(session.connection(), {"f": file_id})[0] == 3
        filing.act(session, number=number, user=manoj, choice="Submit report")
    _sent_on_three_times(sessions, number)


def test_an_act_rolled_back_to_its_savepoint_or_with_its_transaction_keeps_nothing(sessions):
    number = _open(sessions)
    manoj = _user(sessions, "manoj.yadav")
    before = _state(sessions, number)
    with sessions.begin() as session:
        with pytest.raises(RuntimeError), session.begin_nested():
            filing.act(session, number=number, user=manoj, choice="Submit report")
            raise RuntimeError("refused after the act")
        audit.record(session, "test.after", office_id=None)
    assert _state(sessions, number) == before
    session = sessions()
    filing.act(session, number=number, user=manoj, choice="Submit report")
    session.rollback()
    with session.begin():  # the same connection, a new transaction: nothing left over
        audit.record(session, "test.next", office_id=None)
    session.close()
    assert _state(sessions, number) == before
    with sessions.begin() as session:
        assert audit.verify(session).ok
        assert session.scalars(select(AuditEvent.action).where(
            AuditEvent.action.like("test.%")).order_by(AuditEvent.seq)).all() == [
                "test.after", "test.next"]


@pytest.mark.parametrize("sent_with", ["the COMMIT", "the next statement"])
def test_writes_that_would_find_the_file_moved_commit_nothing(sessions, sent_with):
    """The file's lock rules it out, but were an act's writes to find the file at another
    row version when they reach the server, they fail, with whatever they were sent with,
    and nothing of the act is kept."""
    number = _open(sessions)
    manoj = _user(sessions, "manoj.yadav")
    before = _state(sessions, number)
    with pytest.raises(DBAPIError, match="division by zero"), sessions.begin() as session:
        filing.act(session, number=number, user=manoj, choice="Submit report")
        _transaction, deferred = session.connection().info[plain.DEFERRED]
        [params] = [p for _compiled, p in deferred if "w_file_row_version" in p]
        params["w_file_row_version"] += 1
        if sent_with == "the next statement":
            session.scalar(select(func.count()).select_from(Task))
    assert _state(sessions, number) == before
    _act(sessions, number)
    assert _state(sessions, number)[0] == ["Check enquiry report"]


def test_a_transaction_begun_by_a_plain_statement_is_one_transaction(sessions):
    write = Plain(insert(Movement.__table__).values(
        file_id=bindparam("file"), kind="note", remark=bindparam("remark"), at=bindparam("at"),
        step_name="", choice=""))
    number = _open(sessions)
    session = sessions()
    file_id = session.scalar(select(File.id).where(File.number == number))
    session.rollback()  # between transactions again: the write below opens the next one
    connection = session.connection()
    assert write.wired(connection)
    assert write.rowcount(connection, {"file": file_id, "remark": "undone", "at": utcnow()}) == 1
    assert connection.connection.driver_connection.pgconn.transaction_status \
        == pq.TransactionStatus.INTRANS
    session.rollback()
    session.close()
    _steps, moves, _events = _state(sessions, number)
    assert moves == 1  # only the opening: the rolled back write is not there


def test_a_chain_that_cannot_be_written_commits_nothing(sessions, demo_db):
    number = _open(sessions)
    before = _state(sessions, number)
    # someone slipped an event into the chain's next place without moving its head
    engine = make_engine(demo_db)
    with engine.begin() as conn:
        head = conn.execute(select(AuditChain.seq).where(AuditChain.id == 1)).scalar_one()
        conn.execute(insert(AuditEvent.__table__).values(
            at=utcnow(), action="forged", detail="{}", seq=head + 1, prev_hash="0" * 64,
            hash="f" * 64))
    engine.dispose()
    with pytest.raises(IntegrityError, match="audit_events"):
        _act(sessions, number)
    assert _state(sessions, number) == before  # not moved, no movement, no event
    with sessions.begin() as session:  # the connection goes on being used
        assert session.scalar(select(func.count()).select_from(File)) > 0


def test_a_chain_without_its_head_row_starts_at_the_genesis(empty_db):
    engine = make_engine(empty_db)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_chain"))
    sessions = make_sessionmaker(engine)
    with sessions.begin() as session:
        audit.record(session, "test.first", office_id=None, note="the first event")
    with sessions.begin() as session:
        head = session.execute(select(AuditChain.seq, AuditChain.hash)).one()
        event = session.execute(select(AuditEvent.seq, AuditEvent.prev_hash, AuditEvent.hash)
                                .where(AuditEvent.action == "test.first")).one()
        assert event.seq == 1 and event.prev_hash == "0" * 64
        assert tuple(head) == (1, event.hash)
        assert audit.verify(session).ok
    engine.dispose()


def test_statements_psycopg_deallocates_are_prepared_again(sessions):
    """Once psycopg has prepared statements of its own, it deallocates every statement of the
    connection when a transaction is rolled back (a refusal): an act later in a transaction
    that other statements began prepares its statements again."""
    number = _open(sessions)
    _act(sessions, number)
    with sessions.begin() as session:
        for _ in range(6):  # psycopg prepares a statement it has run five times
            session.get(File, 1, populate_existing=True)
    with sessions() as session:
        session.get(File, 1, populate_existing=True)
        session.rollback()
    with sessions.begin() as session:
        filing.act(session, number=number, user=org.user_by_login(session, "rajesh.prasad"),
                   choice="Return")
    assert _state(sessions, number)[0] == ["Enquire and submit report"]


def test_statements_the_server_dropped_are_prepared_again(sessions):
    """Statements dropped by a statement run through SQLAlchemy are prepared again at once; one
    the server dropped unseen (a pooler's DISCARD ALL, say) too when its transaction had just
    begun, else from the next transaction on."""
    number = _open(sessions)
    _act(sessions, number)
    with sessions.begin() as session:
        session.connection().exec_driver_sql("DEALLOCATE ALL")
        filing.act(session, number=number, user=org.user_by_login(session, "rajesh.prasad"),
                   choice="Return")
        filing.act(session, number=number, user=org.user_by_login(session, "manoj.yadav"),
                   choice="Submit report")

    def drop_unseen(session):  # on psycopg's connection, past SQLAlchemy's events
        session.connection().connection.driver_connection.execute("DEALLOCATE ALL")
    with sessions.begin() as session:
        drop_unseen(session)
    # the act's read opens its transaction: it is run again at once, prepared anew
    _act(sessions, number, login="rajesh.prasad", choice="Return")
    assert _state(sessions, number)[0] == ["Enquire and submit report"]

    manoj = _user(sessions, "manoj.yadav")
    with pytest.raises(DBAPIError, match="does not exist"), sessions.begin() as session:
        drop_unseen(session)
        filing.act(session, number=number, user=manoj, choice="Submit report")
    assert _state(sessions, number)[0] == ["Enquire and submit report"]
    _act(sessions, number)
    assert _state(sessions, number)[0] == ["Check enquiry report"]


def test_a_session_joined_to_its_callers_transaction_chains_before_it_returns(demo_db):
    """A session bound to a connection its caller holds in a transaction does not commit it:
    its event is chained when the session commits, not left for a COMMIT it does not send."""
    engine = make_engine(demo_db)
    with engine.connect() as connection:
        outer = connection.begin()
        session = Session(bind=connection, join_transaction_mode="create_savepoint")
        audit.record(session, "test.joined", office_id=None)
        session.commit()
        seq = connection.execute(select(AuditEvent.seq).where(
            AuditEvent.action == "test.joined")).scalar_one()
        assert seq == connection.execute(select(AuditChain.seq)).scalar_one()
        session.close()
        outer.rollback()
    engine.dispose()


def test_an_act_cut_short_keeps_nothing_and_the_next_one_works(
        sessions, monkeypatch):
    number = _open(sessions)
    _act(sessions, number)

    def interrupted(pgconn, event):
        raise KeyboardInterrupt  # a signal while the results were awaited

    monkeypatch.setattr(pgwire, "_wait", interrupted)
    # the rollback that follows finds the connection closed, and says so
    with pytest.raises((KeyboardInterrupt, OperationalError)):
        _act(sessions, number, login="rajesh.prasad", choice="Return")
    monkeypatch.undo()
    assert _state(sessions, number)[0] == ["Check enquiry report"]  # nothing of it was kept
    _act(sessions, number, login="rajesh.prasad", choice="Return")
    assert _state(sessions, number)[0] == ["Enquire and submit report"]


def _backend_pid(sessions):
    with sessions.begin() as session:
        return session.scalar(text("SELECT pg_backend_pid()"))


def test_a_connection_idle_longer_than_the_limit_is_pinged_first(sessions, monkeypatch):
    _backend_pid(sessions)  # a connection in the pool, checked in just now

    def nothing():
        with sessions.begin() as session:
            session.connection()
    assert round_trips(sessions, nothing) == 0
    monkeypatch.setattr(db, "PING_AFTER_IDLE", 0.0)
    time.sleep(0.01)
    assert round_trips(sessions, nothing) == 1  # the ping


def test_a_connection_the_server_ended_is_replaced_without_an_error(sessions, demo_db):
    """The server ends a pooled connection (a restart, an administrator, an idle timeout):
    the next transaction gets a new connection, not an error, and the action is kept."""
    number = _open(sessions)
    ended = _backend_pid(sessions)
    admin = make_engine(demo_db)
    try:
        with admin.begin() as conn:
            assert conn.scalar(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": ended})
    finally:
        admin.dispose()
    assert _backend_pid(sessions) != ended
    _act(sessions, number)
    steps, moves, events = _state(sessions, number)
    assert steps == ["Check enquiry report"] and moves == 2
    assert events == ["file.opened", "file.moved"]
