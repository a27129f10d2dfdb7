"""A file in parts on the office's side: a consultation of three sections at the DDMO, each
part in its holder's inbox, acted on at once, pulled back, and closed only by the head."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from test_durability import race

from workflows import clock, org
from workflows.db import make_engine
from workflows.errors import InvalidInput, NotAllowed
from workflows.files import filing, inbox, workspace
from workflows.models import AuditEvent, File, Post, PostHolding

PARTS = {"Comments of the Relief section": "SO-REL", "Comments of the Accounts section": "AO",
         "Comments of the General section": "HC-GEN"}


def consultation(session, ddmo, people, subject="Revision of the rates of ex-gratia"):
    file = filing.open_file(session, office=ddmo, user=people.ramesh,
                            route_key="sections_consultation", subject=subject)
    filing.act(session, number=file.number, user=people.ramesh, choice="Send for comments",
               remark="For comments of the sections.")
    return file


def parts(session, file):
    return {t.step_name: t.post.code for t in filing.open_tasks(session, file)}


def test_the_file_lies_with_three_sections_at_once_each_in_its_inbox(session, ddmo, people):
    file = consultation(session, ddmo, people)
    assert parts(session, file) == PARTS
    sent = [m for m in filing.track(session, file) if m.choice == "Send for comments"]
    assert sorted(m.to_post.code for m in sent) == sorted(PARTS.values())
    filing.act(session, number=file.number, user=people.suresh, choice="Send comments")
    for login in ("priya", "kavita"):
        [row] = [r for r in inbox.inbox(session, getattr(people, login))
                 if r.file.number == file.number]
        assert "Ramesh" in row.sender  # who sent this part, not the last movement of the file


def test_each_part_moves_on_its_own_and_the_head_takes_it_up_when_all_have_answered(
        session, ddmo, people):
    file = consultation(session, ddmo, people)
    filing.act(session, number=file.number, user=people.kavita, choice="Ask for papers")
    assert parts(session, file) == {**{k: v for k, v in PARTS.items() if v != "AO"},
                                    "Supply papers to Accounts": "DA-REL"}
    filing.act(session, number=file.number, user=people.suresh, choice="Send comments")
    filing.act(session, number=file.number, user=people.ramesh, choice="Papers supplied")
    filing.act(session, number=file.number, user=people.priya, choice="Send comments")
    assert parts(session, file) == {"Comments of the Accounts section": "AO"}
    filing.act(session, number=file.number, user=people.kavita, choice="Send comments")
    assert parts(session, file) == {"Consider the comments and decide": "ADM"}
    filing.act(session, number=file.number, user=people.anil, choice="Approve")
    assert (file.status, file.outcome) == ("closed", "Approved")


def test_a_part_pulled_back_leaves_the_other_parts_where_they_are(session, ddmo, people):
    file = consultation(session, ddmo, people)
    filing.act(session, number=file.number, user=people.suresh, choice="Send comments")
    filing.pull_back(session, number=file.number, user=people.suresh)
    assert parts(session, file) == PARTS
    filing.mark_opened(session, file, people.priya)
    with pytest.raises(NotAllowed, match="the receiver has already opened the file"):
        filing.pull_back(session, number=file.number, user=people.ramesh)


def test_the_whole_consultation_is_pulled_back_while_no_section_has_opened_it(
        session, ddmo, people):
    file = consultation(session, ddmo, people)
    filing.pull_back(session, number=file.number, user=people.ramesh)
    assert parts(session, file) == {"Put up for consultation": "DA-REL"}


def test_a_part_is_pulled_back_alone_after_another_part_has_moved(session, ddmo, people):
    file = consultation(session, ddmo, people)
    filing.act(session, number=file.number, user=people.kavita, choice="Ask for papers")
    relief = {t.step_name: t for t in filing.open_tasks(session, file)}[
        "Comments of the Relief section"]
    kept = (relief.id, relief.since, relief.post_id)
    filing.act(session, number=file.number, user=people.suresh, choice="Send comments")
    view = workspace.file_view(session, people.kavita, file)
    assert view.can_pull_back  # her part, though the General section moved after her
    [row] = [r for r in inbox.sent(session, people.kavita) if r.file.number == file.number]
    assert row.can_pull_back  # and from her Sent list
    filing.pull_back(session, number=file.number, user=people.kavita)
    # Accounts has its part back; Relief keeps its task and its time; General waits answered
    assert parts(session, file) == {k: v for k, v in PARTS.items() if v != "HC-GEN"}
    relief = {t.step_name: t for t in filing.open_tasks(session, file)}[
        "Comments of the Relief section"]
    assert (relief.id, relief.since, relief.post_id) == kept
    assert filing.track(session, file)[-1].kind == "pull-back"
    for user in (people.kavita, people.priya):
        filing.act(session, number=file.number, user=user, choice="Send comments")
    assert parts(session, file) == {"Consider the comments and decide": "ADM"}


def test_a_part_opened_by_its_receiver_is_not_pulled_back(session, ddmo, people):
    file = consultation(session, ddmo, people)
    filing.act(session, number=file.number, user=people.kavita, choice="Ask for papers")
    filing.act(session, number=file.number, user=people.suresh, choice="Send comments")
    filing.mark_opened(session, file, people.ramesh)  # the papers' part, at DA-REL
    assert not workspace.file_view(session, people.kavita, file).can_pull_back
    with pytest.raises(NotAllowed, match="the receiver has already opened the file"):
        filing.pull_back(session, number=file.number, user=people.kavita)
    assert parts(session, file) == {"Comments of the Relief section": "SO-REL",
                                    "Supply papers to Accounts": "DA-REL"}


def test_only_the_head_closes_a_file_in_parts_giving_the_reason(session, ddmo, people):
    file = consultation(session, ddmo, people)
    with pytest.raises(NotAllowed, match="lies with 3 posts at once; only the head"):
        filing.close(session, number=file.number, user=people.ramesh, retention="C")
    with pytest.raises(InvalidInput, match="give the reason for ending those parts"):
        filing.close(session, number=file.number, user=people.anil, retention="C")
    assert parts(session, file) == PARTS  # nothing was ended by the refusals
    filing.close(session, number=file.number, user=people.anil, retention="C",
                 remark="The rates were revised by the state; no comments are needed.")
    assert file.status == "closed" and parts(session, file) == {}
    session.commit()  # audit events are written, in their place in the chain, at commit
    event = session.scalars(select(AuditEvent).where(AuditEvent.file_id == file.id,
                                                     AuditEvent.action == "file.close")).one()
    assert sorted(json.loads(event.detail)["ended_parts"]) == sorted(PARTS)


def test_each_parts_stay_on_the_track_runs_until_its_own_post_moves_it(session, ddmo, people):
    t0 = clock.utcnow()
    file = filing.open_file(session, office=ddmo, user=people.ramesh,
                            route_key="sections_consultation", subject="Stays", now=t0)
    filing.act(session, number=file.number, user=people.ramesh, choice="Send for comments",
               now=t0 + timedelta(hours=1))
    filing.act(session, number=file.number, user=people.suresh, choice="Send comments",
               now=t0 + timedelta(hours=3))
    filing.act(session, number=file.number, user=people.priya, choice="Send comments",
               now=t0 + timedelta(hours=7))
    track = filing.track(session, file)
    stays = dict(((m.kind, m.to_post.code if m.to_post else None), s)
                 for m, s in zip(track, filing.stays(track, now=t0 + timedelta(hours=9)),
                                 strict=True))
    assert stays["act", "HC-GEN"] == timedelta(hours=2)
    assert stays["act", "SO-REL"] == timedelta(hours=6)
    assert stays["act", "AO"] == timedelta(hours=8)  # still with Accounts


# -- at the same instant, in two processes (test_durability.race) -----------------------

@pytest.mark.parametrize("empty_db", ["sqlite", "postgresql"], indirect=True)
def test_two_parts_acted_on_at_the_same_instant_both_move_one_part_twice_once(demo_db):
    eng = make_engine(demo_db)
    with Session(eng) as session, session.begin():
        ddmo = org.office_by_code(session, "DDMO")
        people = type("P", (), {"ramesh": org.user_by_login(session, "ramesh.singh")})
        numbers = [consultation(session, ddmo, people, f"Race {i}").number for i in range(6)]
        ao = session.scalar(select(Post).where(Post.office_id == ddmo.id, Post.code == "AO"))
        session.add(PostHolding(post_id=ao.id, user_id=people.ramesh.id, kind="charge",
                                from_date=clock.today() - timedelta(days=1)))
    both = race(demo_db, ("priya.sharma", "suresh.ram"), numbers, "Send comments")
    assert all(seen == ["ok", "ok"] for seen in both.values()), both
    one = race(demo_db, ("kavita.devi", "ramesh.singh"), numbers, "Send comments")
    for number, seen in one.items():
        assert sorted(o == "ok" for o in seen) == [False, True], (number, seen)
        [lost] = [o for o in seen if o != "ok"]
        assert lost.startswith("FileMoved: "), lost  # the other is told the part moved
    with Session(eng) as session:
        for number in numbers:
            file = session.scalar(select(File).where(File.number == number))
            assert parts(session, file) == {"Consider the comments and decide": "ADM"}
    eng.dispose()
