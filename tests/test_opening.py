"""Opening a file, on SQLite and PostgreSQL: its number, what it is given to start with, what
the opener gets back, bad input, and two officials opening files at once."""

import multiprocessing
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from workflows import audit, org
from workflows.files import filing
from workflows.clock import IST, utcnow
from workflows.db import make_engine, make_sessionmaker
from workflows.errors import InvalidInput, NotAllowed
from workflows.files.numbering import file_counter_kind
from workflows.models import (AuditEvent, File, Movement, Note, NumberCounter, Post, Section,
                              Task)

T0 = utcnow().replace(microsecond=0) - timedelta(hours=1)
YEAR = T0.astimezone(IST).year  # files are numbered by the office's year
BOTH = pytest.mark.parametrize("empty_db", ["sqlite", "postgresql"], indirect=True)


def _open(session, office, user, subject="Mutation of Khata 12, Khesra 40", **kw):
    return filing.open_file(session, office=office, user=user, route_key="land_mutation",
                            subject=subject, now=kw.pop("now", T0), **kw)


def _counted(session):
    """How many files, tasks, movements, notes and audit events there are."""
    return tuple(session.scalar(select(func.count()).select_from(model))
                 for model in (File, Task, Movement, Note, AuditEvent))


def test_the_opened_file_is_whole_and_is_the_sessions_own(session, sadar, people):
    file = _open(session, sadar, people.shabnam, category="Mutation", priority="Priority",
                 first_note="  Petition of Ram Lal received at the counter.  ")
    # what the opener gets is the session's object for the row, with every column as written
    assert session.get(File, file.id) is file
    assert (file.status, file.priority, file.category, file.outcome) == (
        "open", "Priority", "Mutation", "")
    assert (file.office.code, file.section.code, file.created_by.login) == (
        "SADAR", "REV", "shabnam.parveen")
    assert file.route_version.route.key == "land_mutation"
    assert file.created_by_post.code == "RK-2"
    number = file.number
    session.expire(file)  # read back from the row
    assert (file.number, file.subject, file.status, file.priority, file.category) == (
        number, "Mutation of Khata 12, Khesra 40", "open", "Priority", "Mutation")
    assert (file.created_at, file.row_version, file.previous_state, file.closed_at) == (
        T0, 1, "", None)
    assert filing.load_instance(session, file).finished is False
    [task] = filing.open_tasks(session, file)
    assert (task.step_name, task.post.code, task.since, task.escalation_level) == (
        "Enquire and submit report", "RK-2", T0, 0)
    assert task.due_at > T0 and task.escalate_at == task.due_at and task.limit_days
    [move] = filing.track(session, file)
    assert (move.kind, move.from_post.code, move.from_user.login, move.to_post.code,
            move.step_name, move.at) == ("open", "RK-2", "shabnam.parveen", "RK-2",
                                         "Enquire and submit report", T0)
    [note] = session.scalars(select(Note).where(Note.file_id == file.id)).all()
    assert (note.number, note.body, note.author_post.code, note.frozen_at) == (
        1, "Petition of Ram Lal received at the counter.", "RK-2", None)
    session.commit()  # the audit event is chained at commit
    [event] = session.scalars(select(AuditEvent).where(AuditEvent.file_id == file.id)).all()
    assert event.action == "file.opened" and file.number in event.detail
    assert audit.verify(session).ok


def test_the_opened_file_moves_on_and_changes_like_any_other(session, sadar, people):
    """The row version the file starts at is the one the session counts from."""
    file = _open(session, sadar, people.manoj)
    filing.park(session, number=file.number, user=people.manoj, remark="Awaiting records")
    assert (file.status, file.row_version) == ("parked", 2)
    filing.unpark(session, number=file.number, user=people.manoj)
    filing.act(session, number=file.number, user=people.manoj, choice="Submit report",
               now=T0 + timedelta(minutes=5))
    assert [t.step_name for t in filing.open_tasks(session, file)] == ["Check enquiry report"]
    assert [m.kind for m in filing.track(session, file)] == ["open", "park", "unpark", "act"]


def test_numbers_run_per_section_and_year_past_four_digits(session, sadar, ddmo, people):
    first = _open(session, sadar, people.manoj)
    serial = int(first.number.rsplit("/", 1)[1])
    # another office's section counts on its own
    relief = filing.open_file(session, office=ddmo, user=people.ramesh, route_key="relief_grant",
                              subject="Flood relief: house damage", now=T0)
    assert relief.number.startswith(f"DDMO/RELIEF/{YEAR}/")
    assert _open(session, sadar, people.manoj).number == (
        f"SADAR/REV/{YEAR}/{serial + 1:04d}")
    revenue = session.scalar(select(Section.id).where(Section.office_id == sadar.id,
                                                      Section.code == "REV"))
    session.execute(update(NumberCounter).where(
        NumberCounter.office_id == sadar.id, NumberCounter.kind == file_counter_kind(revenue),
        NumberCounter.year == YEAR).values(last=9999))
    assert _open(session, sadar, people.manoj).number == f"SADAR/REV/{YEAR}/10000"
    next_year = datetime(YEAR + 1, 6, 1, 5, 0, tzinfo=timezone.utc)
    assert _open(session, sadar, people.manoj, now=next_year).number == (
        f"SADAR/REV/{YEAR + 1}/0001")


@pytest.mark.parametrize("field, value, words", [
    ("category", "x" * 101, "the category is longer than 100 characters"),
    ("subject", "Mutation \x00 of Khata 3", "NUL character"),
    ("first_note", "Received\x00", "NUL character"),
    ("category", "\ud800", "not valid Unicode"),
])
def test_bad_input_when_opening_names_what_is_wrong_and_writes_nothing(
        session, sadar, people, field, value, words):
    before = _counted(session)
    kw = {"subject": "Mutation of Khata 3", field: value}
    with pytest.raises(InvalidInput, match=words):
        _open(session, sadar, people.manoj, **kw)
    assert _counted(session) == before


def test_a_section_of_another_office_is_refused(session, sadar, ddmo, people):
    relief = session.scalar(select(Section).where(Section.office_id == ddmo.id))
    before = _counted(session)
    with pytest.raises(InvalidInput, match=f"section {relief.code} is not a section of "
                                           "Circle Office, Sadar"):
        _open(session, sadar, people.manoj, section=relief)
    assert _counted(session) == before


def test_a_refusal_after_the_number_was_taken_leaves_nothing(session, sadar, people):
    """The first step cannot be placed (no post holds its role): the opening's writes go
    with its transaction, and the number is given again to the next file."""
    first = _open(session, sadar, people.manoj)
    before = _counted(session)
    karmacharis = list(session.scalars(select(Post).where(Post.office_id == sadar.id,
                                                          Post.role == "Revenue Karmachari")))
    savepoint = session.begin_nested()
    for post in karmacharis:
        post.role = "Clerk"
    session.flush()
    with pytest.raises(NotAllowed, match="no post holds the role 'Revenue Karmachari'"):
        _open(session, sadar, people.manoj, subject="Never opened")
    assert not any(isinstance(o, File) and o.subject == "Never opened" for o in session)
    savepoint.rollback()
    assert _counted(session) == before
    serial = int(first.number.rsplit("/", 1)[1])
    assert _open(session, sadar, people.manoj).number.endswith(f"/{serial + 1:04d}")


def _open_at_once(url, login, count, barrier, results):
    eng = make_engine(url)
    maker = make_sessionmaker(eng)
    barrier.wait(timeout=60)
    for i in range(count):
        with maker.begin() as session:
            file = filing.open_file(session, office=org.office_by_code(session, "SADAR"),
                                    user=org.user_by_login(session, login),
                                    route_key="land_mutation", subject=f"{login} {i}")
            results.put(file.number)
    eng.dispose()


@BOTH
def test_two_officials_opening_files_at_once_get_consecutive_numbers(demo_db):
    eng = make_engine(demo_db)
    with Session(eng) as session:
        before = set(session.scalars(select(File.number)))
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    workers = [ctx.Process(target=_open_at_once, args=(demo_db, login, 10, barrier, results))
               for login in ("manoj.yadav", "shabnam.parveen")]
    for w in workers:
        w.start()
    numbers = [results.get(timeout=120) for _ in range(20)]
    for w in workers:
        w.join(timeout=60)
        assert w.exitcode == 0
    serials = sorted(int(n.rsplit("/", 1)[1]) for n in numbers)
    assert serials == list(range(serials[0], serials[0] + 20)) and not before & set(numbers)
    with Session(eng) as session:
        rows = session.execute(select(File.number, func.count(Movement.id), func.count(Task.id))
                               .join(Movement, Movement.file_id == File.id)
                               .join(Task, Task.file_id == File.id)
                               .where(File.number.in_(numbers)).group_by(File.number)).all()
        assert sorted(r.number for r in rows) == sorted(numbers)
        assert all((r[1], r[2]) == (1, 1) for r in rows)
        assert audit.verify(session).ok
    eng.dispose()
