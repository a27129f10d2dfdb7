"""Put up beyond the route: the holder of a part puts the file up to any officer above their
post with a recorded reason; the officer above finds it in their inbox, its clock starting
anew, and acts on the step's choices or sends it back down; the track says so, in Hindi too,
and the record verifies."""

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from test_file_pages import mutation  # noqa: F401  (fixture: a land mutation file with manoj)
from test_hindi_pages import speak
from test_inbox_posts import post_of
from test_record_verify import BOTH, _a_day, _behind_the_back, _verify
from workflows import clock, org, reports
from workflows.db import make_engine
from workflows.errors import InvalidInput, NotAllowed
from workflows.files import filing, inbox, putting_up, workspace
from workflows.models import File, Movement
from workflows.org import handover

from webtools import flashes, post, text

REASON = "Possession disputed by the neighbour; the Circle Officer should see it."


def test_put_up_to_the_circle_officer_who_sends_it_on(session, sadar, people, mutation):
    co = post_of(session, sadar, "CO")
    state = mutation.workflow_state
    [before] = filing.open_tasks(session, mutation)
    done = putting_up.put_up(session, number=mutation.number, user=people.manoj,
                             to_post_id=co.id, reason=REASON)
    session.refresh(mutation)
    assert mutation.workflow_state == state  # the route's state is not touched
    assert (before.outcome, before.done_by_id) == ("put up", people.manoj.id)
    [now] = filing.open_tasks(session, mutation)
    assert (now.post.code, now.step_name, now.id) == ("CO", before.step_name, done.task_id)
    assert now.since == before.done_at and now.due_at > now.since  # the CO's clock starts
    moved = session.scalars(select(Movement).where(Movement.file_id == mutation.id)
                            .order_by(Movement.id.desc())).first()
    assert (moved.kind, moved.from_post.code, moved.to_post.code, moved.remark) == (
        "put-up", "RK-1", "CO", REASON)
    [row] = [r for r in inbox.inbox(session, people.sunita) if r.file.id == mutation.id]
    assert row.sender == "Manoj Kumar Yadav, Revenue Karmachari, Halka 1"
    assert mutation.id not in {r.file.id for r in inbox.inbox(session, people.manoj)}
    assert mutation.id in {r.file.id for r in inbox.sent(session, people.manoj)}
    [action] = workspace.file_view(session, people.sunita, mutation).actions
    assert action.put_back_to.code == "RK-1" and [c for c, *_ in action.choices] == [
        "Submit report"]
    filing.act(session, number=mutation.number, user=people.sunita, choice="Submit report")
    assert [t.post.code for t in filing.open_tasks(session, mutation)] == ["CI"]


def test_sent_back_down_the_chain_it_came_up(session, sadar, people, mutation):
    ci, co = post_of(session, sadar, "CI"), post_of(session, sadar, "CO")
    putting_up.put_up(session, number=mutation.number, user=people.manoj, to_post_id=ci.id,
                      reason="For the CI's view.")
    putting_up.put_up(session, number=mutation.number, user=people.rajesh, to_post_id=co.id,
                      reason="Needs the CO.")
    assert putting_up.put_back(session, number=mutation.number, user=people.sunita,
                               remark="Settle it at your level.").to_post_id == ci.id
    assert putting_up.put_back(session, number=mutation.number,
                               user=people.rajesh).to_post_id == post_of(session, sadar,
                                                                         "RK-1").id
    [task] = filing.open_tasks(session, mutation)
    assert putting_up.put_back_to(session, task) is None  # back where it started
    with pytest.raises(NotAllowed, match="not put up to you"):
        putting_up.put_back(session, number=mutation.number, user=people.manoj)
    filing.act(session, number=mutation.number, user=people.manoj, choice="Submit report")
    kinds = [m.kind for m in filing.track(session, mutation)]
    assert kinds[-5:] == ["put-up", "put-up", "put-back", "put-back", "act"]


def test_refused_to_a_post_not_above_without_a_reason_or_by_another(session, sadar, people,
                                                                   mutation):
    da, co = post_of(session, sadar, "DA-GEN"), post_of(session, sadar, "CO")
    with pytest.raises(NotAllowed, match="Dealing Assistant, General is not above Revenue "
                                         "Karmachari, Halka 1"):
        putting_up.put_up(session, number=mutation.number, user=people.manoj,
                          to_post_id=da.id, reason=REASON)
    with pytest.raises(InvalidInput, match="say why you put the file up"):
        putting_up.put_up(session, number=mutation.number, user=people.manoj,
                          to_post_id=co.id, reason="  ")
    with pytest.raises(NotAllowed, match="not with Pooja Kumari"):
        putting_up.put_up(session, number=mutation.number, user=people.pooja,
                          to_post_id=co.id, reason=REASON)
    assert [t.post.code for t in filing.open_tasks(session, mutation)] == ["RK-1"]


@pytest.mark.parametrize("language, kind, refused, done", [
    ("en", "Put up to an officer above", "say why you put the file up; the reason goes on the "
     "track", "sent back to Revenue Karmachari, Halka 1"),
    ("hi", "वरिष्ठ अधिकारी को प्रस्तुत", "बताएँ कि आप संचिका ऊपर क्यों प्रस्तुत कर रहे हैं; "
     "कारण ट्रैक पर दर्ज होता है", "राजस्व कर्मचारी, हल्का १ को वापस भेजी गई")])
def test_on_the_file_page(client, app, session, sadar, mutation, language, kind, refused,
                          done):
    co = post_of(session, sadar, "CO")
    speak(client, language, "manoj.yadav")
    page = client.get(f"/files/{mutation.id}").get_data(as_text=True)
    assert 'name="put_up_reason"' in page and f'value="{co.id}"' in page
    empty = post(client, f"/files/{mutation.id}/put-up", {"to_post": str(co.id),
                                                         "put_up_reason": ""})
    assert empty.status_code == 400 and refused in flashes(empty)[0]
    post(client, f"/files/{mutation.id}/put-up", {"to_post": str(co.id),
                                                  "put_up_reason": REASON})
    track = text(client.get(f"/files/{mutation.id}"))
    assert kind in track and REASON in track
    head = app.test_client()
    speak(head, language, "sunita.kumari")
    assert mutation.number in text(head.get("/"))
    back = post(head, f"/files/{mutation.id}/put-back", {"remark": "Decide yourself."},
                follow_redirects=True)
    assert done in text(back)


@BOTH
def test_put_ups_and_a_handover_verify(demo_db, tmp_path):
    number = _a_day(demo_db, tmp_path)
    eng = make_engine(demo_db)
    with Session(eng) as session, session.begin():
        file = session.scalar(select(File).where(File.number == number))
        co = post_of(session, file.office, "CO")
        rajesh = org.user_by_login(session, "rajesh.prasad")
        putting_up.put_up(session, number=number, user=rajesh, to_post_id=co.id, reason=REASON)
    with Session(eng) as session, session.begin():
        sunita = org.user_by_login(session, "sunita.kumari")
        putting_up.put_back(session, number=number, user=sunita, remark="Seen.")
        file = session.scalar(select(File).where(File.number == number))
        manoj, shabnam = (org.user_by_login(session, login) for login in ("manoj.yadav",
                                                                          "shabnam.parveen"))
        today = clock.office_today(file.office)
        [handed] = handover.hand_over(session, user=manoj, post_ids=[post_of(
            session, file.office, "RK-1").id], to_user_id=shabnam.id, from_date=today,
            to_date=today + timedelta(days=2))
        handed_id = handed.id
    with Session(eng) as session, session.begin():
        handover.end_handover(session, user=org.user_by_login(session, "manoj.yadav"),
                              holding_id=handed_id)
    eng.dispose()
    result = _verify(demo_db, tmp_path)
    assert result.exit_code == 0, result.output + result.stderr
    _behind_the_back(demo_db, "UPDATE movements SET remark = 'No reason.' "
                              "WHERE kind = 'put-up'")
    result = _verify(demo_db, tmp_path)
    assert result.exit_code == 1 and f"record differs: file {number}: movement " in result.stderr


def test_reports_count_each_stay_with_who_held_it(session, sadar, people, mutation):
    co = post_of(session, sadar, "CO")
    putting_up.put_up(session, number=mutation.number, user=people.manoj, to_post_id=co.id,
                      reason=REASON)
    stays = reports.file_stays(session, mutation)
    assert [(s.post.id, s.user.login if s.user else None, s.task.done_at is None)
            for s in stays] == [(post_of(session, sadar, "RK-1").id, "manoj.yadav", False),
                                (co.id, None, True)]


def test_the_officer_above_pulls_back_what_they_sent_on(session, sadar, people, mutation):
    co = post_of(session, sadar, "CO")
    putting_up.put_up(session, number=mutation.number, user=people.manoj, to_post_id=co.id,
                      reason=REASON)
    filing.act(session, number=mutation.number, user=people.sunita, choice="Submit report")
    filing.pull_back(session, number=mutation.number, user=people.sunita)
    assert [t.post.code for t in filing.open_tasks(session, mutation)] == ["CO"]
