"""One action is one transaction, on SQLite and PostgreSQL: what an act or an opening writes is
kept whole or not at all, the rest of its transaction sees it, a rollback (to a savepoint, too)
drops it with its audit event, a chain that cannot be written commits nothing, and a pooled
connection the server ended is replaced without an error."""

import re

import pytest
from sqlalchemy import event, func, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workflows import audit, org
from workflows.files import filing, notes
from workflows.clock import utcnow
from workflows.db import make_engine, make_sessionmaker
from workflows.models import AuditEvent, File, Movement, Task
from workflows.models.audit import AuditChain

from webtools import sign_in

BOTH = pytest.mark.parametrize("empty_db", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def sessions(demo_db):
    engine = make_engine(demo_db)
    yield make_sessionmaker(engine)
    engine.dispose()


def _open(sessions, subject="Mutation of Khata 77", first_note=""):
    with sessions.begin() as session:
        office = org.office_by_code(session, "SADAR")
        manoj = org.user_by_login(session, "manoj.yadav")
        return filing.open_file(session, office=office, user=manoj, route_key="land_mutation",
                                subject=subject, first_note=first_note).number


def _act(sessions, number, login="manoj.yadav", choice="Submit report"):
    with sessions.begin() as session:
        filing.act(session, number=number, user=org.user_by_login(session, login),
                   choice=choice)


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


@BOTH
def test_an_opening_and_the_acts_after_it_are_kept_whole_and_chained(sessions):
    number = _open(sessions, first_note="Petition received.")
    assert _state(sessions, number) == (["Enquire and submit report"], 1, ["file.opened"])
    _act(sessions, number)
    _act(sessions, number, login="rajesh.prasad", choice="Return")
    _act(sessions, number)
    assert _state(sessions, number) == (["Check enquiry report"], 4, [
        "file.opened", "file.moved", "file.moved", "file.moved"])
    with sessions.begin() as session:
        file = session.scalar(select(File).where(File.number == number))
        assert [n.body for n in notes.notes_of(session, file)] == ["Petition received."]
        assert audit.verify(session).ok


@BOTH
def test_what_an_act_wrote_is_seen_by_the_rest_of_its_transaction(sessions):
    number = _open(sessions)
    with sessions.begin() as session:
        manoj = org.user_by_login(session, "manoj.yadav")
        rajesh = org.user_by_login(session, "rajesh.prasad")
        filing.act(session, number=number, user=manoj, choice="Submit report")
        file_id = session.scalar(select(File.id).where(File.number == number))
        assert session.scalars(select(Task.step_name).where(
            Task.file_id == file_id, Task.done_at.is_(None))).all() == ["Check enquiry report"]
        filing.act(session, number=number, user=rajesh, choice="Return")
        assert session.scalar(select(func.count()).where(Movement.file_id == file_id)) == 3
        filing.act(session, number=number, user=manoj, choice="Submit report")
    assert _state(sessions, number)[:2] == (["Check enquiry report"], 4)


@BOTH
def test_objects_the_session_holds_show_what_an_act_wrote(sessions):
    """A view holds the file (and may hold its task and notes) while it acts: those objects
    show the act, in the transaction and after it, without being loaded again."""
    number = _open(sessions)
    with sessions.begin() as session:
        manoj = org.user_by_login(session, "manoj.yadav")
        file = session.scalar(select(File).where(File.number == number))
        [task] = filing.open_tasks(session, file)
        note = notes.add_note(session, number=number, user=manoj, body="Enquiry done.")
        state, version = file.workflow_state, file.row_version
        filing.act(session, number=number, user=manoj, choice="Submit report")
        assert (file.row_version, file.previous_state) == (version + 1, state)
        assert file.workflow_state != state
        assert (task.choice, task.outcome, task.done_by_id) == ("Submit report", "acted", manoj.id)
        assert note.frozen_at is not None
    assert task.done_at is not None and file.row_version == version + 1  # after the commit, too
    with sessions.begin() as session:
        again = session.get(File, file.id)
        assert (again.workflow_state, again.row_version) == (file.workflow_state, version + 1)


@BOTH
def test_an_act_rolled_back_to_its_savepoint_or_with_its_transaction_keeps_nothing(sessions):
    number = _open(sessions)
    before = _state(sessions, number)
    with sessions.begin() as session:
        manoj = org.user_by_login(session, "manoj.yadav")
        with pytest.raises(RuntimeError), session.begin_nested():
            filing.act(session, number=number, user=manoj, choice="Submit report")
            raise RuntimeError("refused after the act")
        audit.record(session, "test.after", office_id=None)
    assert _state(sessions, number) == before
    session = sessions()
    filing.act(session, number=number, user=manoj, choice="Submit report")
    session.rollback()
    with session.begin():  # the same session, a new transaction: nothing left over
        audit.record(session, "test.next", office_id=None)
    session.close()
    assert _state(sessions, number) == before
    with sessions.begin() as session:
        assert audit.verify(session).ok
        assert session.scalars(select(AuditEvent.action).where(
            AuditEvent.action.like("test.%")).order_by(AuditEvent.seq)).all() == [
                "test.after", "test.next"]


@BOTH
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
    with sessions.begin() as session:  # the sessions go on being used
        assert session.scalar(select(func.count()).select_from(File)) > 0


@BOTH
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


@BOTH
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


def _backend_pid(sessions):
    with sessions.begin() as session:
        return session.scalar(text("SELECT pg_backend_pid()"))


@pytest.mark.parametrize("empty_db", ["postgresql"], indirect=True)
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
    assert _state(sessions, number) == (["Check enquiry report"], 2,
                                        ["file.opened", "file.moved"])


def test_a_request_is_one_transaction_and_reads_the_officials_posts_once(session, app, sadar,
                                                                          people):
    """A page (the user's loading, the header's counts and the view) and an act from the file
    page each run in one transaction of the app's, and read who holds which post once."""
    file = filing.open_file(session, office=sadar, user=people.manoj, route_key="land_mutation",
                            subject="Counted transactions", first_note="Petition received.")
    session.flush()
    client = app.test_client()
    sign_in(client, "manoj.yadav")
    page = client.get(f"/files/{file.id}").get_data(as_text=True)
    task_id = re.search(r'name="task_id" value="(\d+)"', page).group(1)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    begun, read = [], []

    def began(db, _transaction, _connection):
        if db is not session:
            begun.append(db)

    def executed(_conn, _cursor, statement, *_args):
        if "JOIN post_holdings ON post_holdings.post_id = posts.id" in statement \
                and statement.rstrip().endswith("ORDER BY posts.id"):
            read.append(statement)

    event.listen(Session, "after_begin", began)
    event.listen(session.get_bind(), "before_cursor_execute", executed)
    try:
        for ask in (lambda: client.get("/"), lambda: client.get(f"/files/{file.id}"),
                    lambda: client.post(f"/files/{file.id}/act", data={
                        "task_id": task_id, "choice": "Submit report", "remark": "Done",
                        "csrf_token": token})):
            begun.clear(), read.clear()
            response = ask()
            assert response.status_code in (200, 302)
            assert len(begun) == 1 and len(read) == 1, (response.request.path, begun, read)
    finally:
        event.remove(Session, "after_begin", began)
        event.remove(session.get_bind(), "before_cursor_execute", executed)
    assert session.scalar(select(Task.step_name).where(
        Task.file_id == file.id, Task.done_at.is_(None))) == "Check enquiry report"
