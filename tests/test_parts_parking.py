"""A part of a file in parts parked, taken up again and transferred on its own: the DDMO's
consultation of three sections, the other parts going on meanwhile; on SQLite and
PostgreSQL."""

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from test_parts_filing import PARTS, consultation, parts

from workflows import clock, reports
from workflows.deadlines import escalation
from workflows.errors import NotAllowed
from workflows.files import filing, inbox, workspace
from workflows.models import File, Post, User
from workflows.org import orgchart

MONDAY = datetime(2026, 11, 2, 5, 0, tzinfo=timezone.utc)  # 10:30 IST
HOUR = timedelta(hours=1)


def numbers(rows):
    return [r.file.number for r in rows]


def test_a_parked_part_waits_while_the_other_parts_go_on(session, ddmo, people):
    file = consultation(session, ddmo, people)
    filing.park(session, number=file.number, user=people.kavita, remark="Awaiting the budget")
    assert file.status == "open"  # the Relief and General parts can still move
    with pytest.raises(NotAllowed, match=r"your part of file .* \(Comments of the Accounts "
                                         r"section\) is parked; take it up again first"):
        filing.act(session, number=file.number, user=people.kavita, choice="Send comments")
    with pytest.raises(NotAllowed, match="is parked already"):
        filing.park(session, number=file.number, user=people.kavita)
    assert file.number not in numbers(inbox.inbox(session, people.kavita))
    assert file.number in numbers(inbox.parked(session, people.kavita))
    assert file.number not in numbers(inbox.parked(session, people.suresh))
    view = workspace.file_view(session, people.kavita, file)
    assert (view.actions, view.can_park, view.can_unpark) == ([], False, True)
    filing.act(session, number=file.number, user=people.suresh, choice="Send comments")
    filing.act(session, number=file.number, user=people.priya, choice="Send comments")
    # only the parked part is left: the file as a whole waits now
    assert parts(session, file) == {"Comments of the Accounts section": "AO"}
    assert file.status == "parked"
    with pytest.raises(NotAllowed, match="is with Accounts Officer .*, not with Suresh"):
        filing.unpark(session, number=file.number, user=people.suresh)
    filing.unpark(session, number=file.number, user=people.kavita, remark="Budget came")
    assert file.status == "open"
    filing.act(session, number=file.number, user=people.kavita, choice="Send comments")
    assert parts(session, file) == {"Consider the comments and decide": "ADM"}
    parks = [(m.kind, m.step_name) for m in filing.track(session, file)
             if m.kind in ("park", "unpark")]
    assert parks == [("park", "Comments of the Accounts section"),
                     ("unpark", "Comments of the Accounts section")]


def test_each_part_is_parked_by_its_own_holder_and_unparked_by_no_one_else(
        session, ddmo, people):
    file = consultation(session, ddmo, people)
    filing.park(session, number=file.number, user=people.suresh)
    filing.park(session, number=file.number, user=people.priya)
    assert file.status == "open"
    with pytest.raises(NotAllowed, match="not with Ramesh"):
        filing.unpark(session, number=file.number, user=people.ramesh)
    filing.park(session, number=file.number, user=people.kavita)
    assert file.status == "parked"  # every part parked
    with pytest.raises(NotAllowed, match="is parked; unpark it first"):
        filing.park(session, number=file.number, user=people.kavita)
    filing.unpark(session, number=file.number, user=people.priya)
    assert file.status == "open"
    assert {t.step_name for t in filing.open_tasks(session, file) if t.parked_at} == {
        "Comments of the General section", "Comments of the Accounts section"}
    with pytest.raises(NotAllowed, match=r"your part of file .* \(Comments of the Relief "
                                         r"section\) is not parked"):
        filing.unpark(session, number=file.number, user=people.priya)
    with pytest.raises(NotAllowed, match="already opened"):  # parking a part is acting on it
        filing.pull_back(session, number=file.number, user=people.ramesh)


def test_reports_count_parked_time_for_the_parked_part_alone(session, ddmo, people):
    file = consultation(session, ddmo, people)
    t0 = filing.open_tasks(session, file)[0].since
    filing.park(session, number=file.number, user=people.priya, now=t0 + 2 * HOUR)
    filing.unpark(session, number=file.number, user=people.priya, now=t0 + 5 * HOUR)
    filing.park(session, number=file.number, user=people.kavita, now=t0 + 6 * HOUR)
    stays = {s.post.code: s for s in reports.file_stays(session, file, now=t0 + 8 * HOUR)
             if s.task.done_at is None}
    assert round(stays["SO-REL"].parked_hours, 1) == 3.0
    assert round(stays["AO"].parked_hours, 1) == 2.0 and stays["AO"].parked_now
    assert stays["HC-GEN"].parked_hours == 0.0 and not stays["HC-GEN"].parked_now
    scope = reports.scope_for(session, people.anil, ddmo.id)
    now = {s.post.code: s for s in reports.pending_now(session, scope, now=t0 + 8 * HOUR)
           if s.file.id == file.id}
    assert now["AO"].parked_now and not now["SO-REL"].parked_now
    assert round(now["AO"].hours, 1) == 6.0 and round(now["SO-REL"].hours, 1) == 5.0


def test_a_parked_part_is_not_escalated_the_others_are(session, ddmo, people):
    file = filing.open_file(session, office=ddmo, user=people.ramesh,
                            route_key="sections_consultation", subject="Escalate", now=MONDAY)
    filing.act(session, number=file.number, user=people.ramesh, choice="Send for comments",
               now=MONDAY + HOUR)
    filing.park(session, number=file.number, user=people.kavita, now=MONDAY + 2 * HOUR)
    due = max(t.due_at for t in filing.open_tasks(session, file))
    fired = escalation.escalate_due(session, due + HOUR).fired
    holders = {session.get(Post, e.holder_post_id).code for e in fired if e.file_id == file.id}
    assert holders == {"SO-REL", "HC-GEN"}


def test_a_transfer_passes_only_that_posts_part_to_the_successor(session, ddmo, people):
    file = consultation(session, ddmo, people)
    ao = session.scalar(select(Post).where(Post.office_id == ddmo.id, Post.code == "AO"))
    successor = User(login="neha.verma", name="Neha Verma", password_hash="x")
    session.add(successor)
    session.flush()
    pending = orgchart.transfer(session, people.vikas, ao, successor, clock.today())
    assert [t.step_name for t in pending if t.file_id == file.id] == [
        "Comments of the Accounts section"]
    transfers = [m for m in filing.track(session, file) if m.kind == "transfer"]
    assert [(m.step_name, m.to_post.code) for m in transfers] == [
        ("Comments of the Accounts section", "AO")]
    with pytest.raises(NotAllowed):
        filing.act(session, number=file.number, user=people.kavita, choice="Send comments")
    filing.act(session, number=file.number, user=successor, choice="Send comments")
    filing.act(session, number=file.number, user=people.suresh, choice="Send comments")
    assert parts(session, file) == {"Comments of the Relief section": "SO-REL"}
    assert file.number in numbers(inbox.inbox(session, people.priya))
    assert set(PARTS.values()) == {"SO-REL", "AO", "HC-GEN"}


@pytest.mark.parametrize("empty_db", ["sqlite", "postgresql"], indirect=True)
def test_migration_0024_parks_the_open_task_of_a_file_parked_before(demo_db):
    from alembic import command
    from sqlalchemy import text
    from workflows.db import make_engine, make_sessionmaker
    from workflows.db.schema import alembic_config, upgrade
    from workflows import org
    eng = make_engine(demo_db)
    with make_sessionmaker(eng).begin() as session:
        pooja = org.user_by_login(session, "pooja.kumari")
        file = filing.open_file(session, office=org.office_by_code(session, "SADAR"),
                                user=pooja, route_key="general_noting", subject="Parked")
        filing.park(session, number=file.number, user=pooja, now=MONDAY)
        number = file.number
    with eng.begin() as connection:
        command.downgrade(alembic_config(connection=connection), "0022")
    upgrade(eng)
    with make_sessionmaker(eng).begin() as session:
        file = session.scalar(select(File).where(File.number == number))
        [task] = filing.open_tasks(session, file)
        assert file.status == "parked" and task.parked_at == MONDAY
        assert session.execute(text("SELECT count(*) FROM tasks WHERE parked_at IS NOT NULL "
                                    "AND done_at IS NOT NULL")).scalar() == 0
        filing.unpark(session, number=number, user=org.user_by_login(session, "pooja.kumari"))
        assert file.status == "open"
    eng.dispose()


def test_the_file_page_parks_one_part_and_shows_it_parked(client, session, ddmo, people):
    from webtools import post, sign_in
    file = consultation(session, ddmo, people)
    session.flush()
    sign_in(client, "kavita.devi")
    post(client, f"/files/{file.id}/park", {"remark": "Budget awaited"})
    page = client.get(f"/files/{file.id}").get_data(as_text=True)
    assert "Your step" not in page and "Take up again" in page
    holder = [line for line in page.splitlines() if "Accounts Officer</strong>" in line]
    assert holder and "parked" in page[page.index(holder[0]):page.index("</p>",
                                                                       page.index(holder[0]))]
    post(client, "/sign-off")
    sign_in(client, "priya.sharma")
    page = client.get(f"/files/{file.id}").get_data(as_text=True)
    assert "Your step" in page and "Park" in page
