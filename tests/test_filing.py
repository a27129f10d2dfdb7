"""Files moving along their routes, on SQLite and PostgreSQL: the services officials use."""

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from workflows import clock, org
from workflows.files import filing, notes
from workflows.clock import IST, utcnow
from workflows.errors import FileMoved, InvalidInput, NotAllowed, NotFound
from workflows.models import AuditEvent, Movement, Post, RouteVersion, Task

# An hour ago: files opened at T0 and acted on at the wall clock's time are within their
# limits (an official acting past the limit must give a reason; see test_escalation.py).
T0 = utcnow().replace(microsecond=0) - timedelta(hours=1)


def open_mutation(session, sadar, user, subject="Mutation of Khata 9, Khesra 10", **kw):
    return filing.open_file(session, office=sadar, user=user, route_key="land_mutation",
                            subject=subject, now=T0, **kw)


def holder_post(session, file):
    [task] = filing.open_tasks(session, file)
    return task.post


def test_open_numbers_the_file_and_puts_it_with_the_opener(session, sadar, people):
    file = open_mutation(session, sadar, people.shabnam, first_note="Petition received.")
    assert file.number.startswith(f"SADAR/REV/{T0.astimezone(IST).year}/")
    second = open_mutation(session, sadar, people.manoj, subject="Another mutation")
    assert int(second.number[-4:]) == int(file.number[-4:]) + 1
    assert holder_post(session, file).code == "RK-2"  # Shabnam's own post, not the first RK
    [task] = filing.open_tasks(session, file)
    assert task.step_name == "Enquire and submit report"
    assert task.due_at > task.since
    [move] = filing.track(session, file)
    assert (move.kind, move.to_post.code) == ("open", "RK-2")
    assert [n.body for n in notes.notes_of(session, file)] == ["Petition received."]


def test_forward_and_return_follow_the_route_and_return_goes_to_the_same_official(
        session, sadar, people):
    file = open_mutation(session, sadar, people.shabnam)
    filing.act(session, number=file.number, user=people.shabnam, choice="Submit report",
               remark="Enquiry done", now=T0 + timedelta(hours=3))
    assert holder_post(session, file).code == "CI"
    filing.act(session, number=file.number, user=people.rajesh, choice="Return",
               remark="Heir certificate missing", now=T0 + timedelta(days=1))
    assert holder_post(session, file).code == "RK-2"  # back to Shabnam, not to RK-1
    filing.act(session, number=file.number, user=people.shabnam, choice="Submit report",
               now=T0 + timedelta(days=2))
    filing.act(session, number=file.number, user=people.rajesh, choice="Forward",
               now=T0 + timedelta(days=3))
    assert holder_post(session, file).code == "CO"
    filing.act(session, number=file.number, user=people.sunita, choice="Reject",
               remark="Title disputed in civil court", now=T0 + timedelta(days=4))
    assert (file.status, file.outcome) == ("closed", "Mutation rejected")
    assert filing.open_tasks(session, file) == []
    track = filing.track(session, file)
    assert [m.choice for m in track] == ["", "Submit report", "Return", "Submit report",
                                         "Forward", "Reject"]
    assert track[2].remark == "Heir certificate missing"
    assert filing.stays(track)[1] == timedelta(hours=21)


def test_choice_not_offered_is_refused_naming_the_choices(session, sadar, people):
    file = open_mutation(session, sadar, people.manoj)
    with pytest.raises(InvalidInput, match="'Approve' is not a choice .* Submit report"):
        filing.act(session, number=file.number, user=people.manoj, choice="Approve")
    assert len(filing.track(session, file)) == 1


def test_a_file_held_by_someone_else_cannot_be_moved(session, sadar, people):
    file = open_mutation(session, sadar, people.manoj)
    with pytest.raises(NotAllowed, match="is with Revenue Karmachari, Halka 1"):
        filing.act(session, number=file.number, user=people.rajesh, choice="Forward")


def test_acting_twice_tells_the_second_that_the_file_has_moved(session, sadar, people):
    file = open_mutation(session, sadar, people.manoj)
    [task] = filing.open_tasks(session, file)
    filing.act(session, number=file.number, user=people.manoj, choice="Submit report")
    with pytest.raises(FileMoved):
        filing.act(session, number=file.number, user=people.manoj, choice="Submit report")
    with pytest.raises(FileMoved):  # a stale page naming the old step
        filing.act(session, number=file.number, user=people.rajesh, choice="Forward",
                   task_id=task.id)


def test_unknown_route_file_and_office(session, sadar, people):
    with pytest.raises(NotFound, match="no route 'passport' in .*routes: general_noting"):
        filing.open_file(session, office=sadar, user=people.manoj, route_key="passport",
                         subject="x")
    with pytest.raises(NotFound, match="no file numbered"):
        filing.act(session, number="SADAR/REV/1999/0001", user=people.manoj, choice="x")
    with pytest.raises(NotFound, match="no office"):
        org.office_by_code(session, "PATNA")


@pytest.mark.parametrize("subject, priority, words", [
    ("   ", "Normal", "subject is empty"),
    ("x" * 501, "Normal", "longer than 500"),
    ("Valid subject", "Urgent", "priority 'Urgent' is not one of"),
])
def test_bad_input_when_opening(session, sadar, people, subject, priority, words):
    with pytest.raises(InvalidInput, match=words):
        filing.open_file(session, office=sadar, user=people.manoj, route_key="land_mutation",
                         subject=subject, priority=priority)


def test_opener_without_a_post_in_the_office_is_refused(session, sadar, people):
    with pytest.raises(NotAllowed, match="holds no post in Circle Office, Sadar"):
        open_mutation(session, sadar, people.priya)


def test_lane_resolves_to_section_then_office_and_fails_naming_role_and_office(
        session, sadar, ddmo, people):
    # Devanagari subject; general noting in SADAR/GEN: DA-GEN -> Head Clerk -> Circle Officer
    file = filing.open_file(session, office=sadar, user=people.pooja, route_key="general_noting",
                            subject="अभिलेखागार की छत की मरम्मत", now=T0)
    filing.act(session, number=file.number, user=people.pooja, choice="Submit")
    assert holder_post(session, file).code == "HC"
    filing.act(session, number=file.number, user=people.arvind, choice="Forward")
    assert holder_post(session, file).code == "CO"  # Head of Office = the post marked head
    # the Circle Officer role in DDMO is a post of the Relief section
    relief = filing.open_file(session, office=ddmo, user=people.ramesh, route_key="relief_grant",
                              subject="Flood relief: house damage", now=T0)
    filing.act(session, number=relief.number, user=people.ramesh, choice="Send for verification")
    assert holder_post(session, relief).code == "CO-VER"
    # remove the ADM role: sanction cannot be placed, and nothing is half-written
    adm = session.scalar(select(Post).where(Post.office_id == ddmo.id, Post.code == "ADM"))
    adm.role = "District Magistrate"
    session.flush()
    moves_before = len(filing.track(session, relief))
    with pytest.raises(NotAllowed, match="no post holds the role 'Additional District "
                                         "Magistrate' in District Disaster Management Office"):
        with session.begin_nested():
            filing.act(session, number=relief.number, user=people.sunita, choice="Verified")
    assert len(filing.track(session, relief)) == moves_before
    assert holder_post(session, relief).code == "CO-VER"


def test_additional_charge_lets_the_in_charge_act_and_records_the_post(session, sadar, people):
    from workflows.models import PostHolding
    ci = session.scalar(select(Post).where(Post.office_id == sadar.id, Post.code == "CI"))
    session.add(PostHolding(post_id=ci.id, user_id=people.arvind.id, from_date=clock.today(),
                            to_date=clock.today() + timedelta(days=10), kind="charge"))
    file = open_mutation(session, sadar, people.manoj)
    filing.act(session, number=file.number, user=people.manoj, choice="Submit report")
    filing.act(session, number=file.number, user=people.arvind, choice="Forward")
    move = filing.track(session, file)[-1]
    assert (move.from_user.login, move.from_post.code) == ("arvind.mishra", "CI")


def test_what_the_caller_holds_of_the_file_shows_the_act(session, sadar, people):
    file = open_mutation(session, sadar, people.manoj)
    [waiting] = filing.open_tasks(session, file)
    state, version = file.workflow_state, file.row_version  # loaded before the act
    acted = filing.act(session, number=file.number, user=people.manoj, choice="Submit report")
    assert (acted.file_id, acted.number, acted.status, acted.choice) == (
        file.id, file.number, "open", "Submit report")
    # the act wrote with plain statements; the objects the session held are read afresh
    assert file.row_version == version + 1 and file.workflow_state != state
    assert file.previous_state == state
    assert waiting.done_at is not None and waiting.outcome == "acted"
    assert waiting.done_by_id == people.manoj.id
    [now_with] = filing.open_tasks(session, file)
    assert acted.to_post_ids == (now_with.post_id,) and now_with.step_name == "Check enquiry report"


def test_draft_note_editable_until_the_file_moves_then_frozen(session, sadar, people):
    file = open_mutation(session, sadar, people.manoj)
    note = notes.add_note(session, number=file.number, user=people.manoj, body="Draft one")
    notes.edit_note(session, number=file.number, paragraph=note.number, user=people.manoj,
                    body="Draft two")
    with pytest.raises(NotAllowed, match="only the author"):
        notes.edit_note(session, number=file.number, paragraph=note.number, user=people.rajesh,
                        body="x")
    filing.act(session, number=file.number, user=people.manoj, choice="Submit report")
    with pytest.raises(NotAllowed, match="cannot be changed"):
        notes.edit_note(session, number=file.number, paragraph=note.number, user=people.manoj,
                        body="Draft three")
    assert note.body == "Draft two" and note.frozen_at is not None
    with pytest.raises(NotAllowed, match="only the official holding"):
        notes.add_note(session, number=file.number, user=people.manoj, body="late thought")
    second = notes.add_note(session, number=file.number, user=people.rajesh, body="Seen. Fwd.")
    assert second.number == note.number + 1
    with pytest.raises(InvalidInput, match="empty"):
        notes.add_note(session, number=file.number, user=people.rajesh, body="  ")


def test_pull_back_only_while_unopened(session, sadar, people):
    file = open_mutation(session, sadar, people.manoj)
    filing.act(session, number=file.number, user=people.manoj, choice="Submit report")
    with pytest.raises(NotAllowed, match="only the last sender"):
        filing.pull_back(session, number=file.number, user=people.shabnam)
    filing.pull_back(session, number=file.number, user=people.manoj)
    assert holder_post(session, file).code == "RK-1"
    pulled = filing.track(session, file)[-1]
    assert pulled.kind == "pull-back" and pulled.from_user == people.manoj
    assert (pulled.acting_post.code, pulled.from_post.code) == ("RK-1", "CI")  # his, not theirs
    with pytest.raises(NotAllowed):  # once only
        filing.pull_back(session, number=file.number, user=people.manoj)
    # send again; the Circle Inspector opens it; now it cannot be pulled back
    filing.act(session, number=file.number, user=people.manoj, choice="Submit report")
    filing.mark_opened(session, file, people.rajesh)
    with pytest.raises(NotAllowed, match="already opened"):
        filing.pull_back(session, number=file.number, user=people.manoj)
    filing.act(session, number=file.number, user=people.rajesh, choice="Forward")
    assert holder_post(session, file).code == "CO"


def test_park_blocks_movement_until_unparked(session, sadar, people):
    file = open_mutation(session, sadar, people.manoj)
    filing.park(session, number=file.number, user=people.manoj, remark="Awaiting survey map")
    assert file.status == "parked"
    with pytest.raises(NotAllowed, match="parked"):
        filing.act(session, number=file.number, user=people.manoj, choice="Submit report")
    with pytest.raises(NotAllowed):
        filing.unpark(session, number=file.number, user=people.rajesh)
    filing.unpark(session, number=file.number, user=people.manoj)
    filing.act(session, number=file.number, user=people.manoj, choice="Submit report")
    assert [m.kind for m in filing.track(session, file)] == ["open", "park", "unpark", "act"]


def test_the_head_closes_a_file_anywhere_with_a_reason_and_reopen_restores_the_step(
        session, sadar, people):
    file = open_mutation(session, sadar, people.manoj)
    filing.act(session, number=file.number, user=people.manoj, choice="Submit report")
    refusal = (f"file {file.number} is closed by the official holding it at a step where its "
               "route may end, or by the head of office giving the reason")
    with pytest.raises(NotAllowed, match=refusal):  # the opener: it lies with another
        filing.close(session, number=file.number, user=people.manoj, retention="C")
    with pytest.raises(NotAllowed, match=refusal):  # its holder, at a step that goes on
        filing.close(session, number=file.number, user=people.rajesh, retention="C")
    with pytest.raises(InvalidInput, match=f"give the reason for closing file {file.number}"):
        filing.close(session, number=file.number, user=people.sunita, retention="C",
                     remark="  ")
    with pytest.raises(InvalidInput, match="retention category"):
        filing.close(session, number=file.number, user=people.sunita, remark="Withdrawn")
    with pytest.raises(InvalidInput, match="1 to 10 years"):
        filing.close(session, number=file.number, user=people.sunita, retention="C",
                     keep_years=12, remark="Withdrawn")
    filing.close(session, number=file.number, user=people.sunita, retention="c", keep_years=3,
                 remark="Withdrawn by applicant", now=datetime(2024, 2, 29, 6, tzinfo=timezone.utc))
    assert file.status == "closed" and filing.open_tasks(session, file) == []
    assert (file.retention, file.review_on) == ("C", date(2027, 2, 28))
    closing = filing.track(session, file)[-1]
    assert (closing.kind, closing.from_post.code, closing.remark) == (
        "close", "CO", "Withdrawn by applicant")  # the reason, on the track
    with pytest.raises(NotAllowed, match="closed"):
        filing.act(session, number=file.number, user=people.rajesh, choice="Forward")
    with pytest.raises(NotAllowed, match=f"only the official who closed file {file.number} "
                                         "or the head of office may reopen it"):
        filing.reopen(session, number=file.number, user=people.manoj)
    filing.reopen(session, number=file.number, user=people.sunita)
    assert file.status == "open" and holder_post(session, file).code == "CI"
    assert file.retention is None and file.review_on is None
    filing.act(session, number=file.number, user=people.rajesh, choice="Forward")


def test_the_holder_at_a_step_where_the_route_may_end_closes_without_a_reason(
        session, sadar, people):
    file = open_mutation(session, sadar, people.manoj)
    filing.act(session, number=file.number, user=people.manoj, choice="Submit report")
    filing.act(session, number=file.number, user=people.rajesh, choice="Forward")
    filing.act(session, number=file.number, user=people.sunita, choice="Allow mutation")
    # "Correct the register" ends the route: its holder, the karmachari, may close the file
    filing.close(session, number=file.number, user=people.manoj, retention="B")
    assert file.status == "closed" and filing.track(session, file)[-1].from_post.code == "RK-1"
    filing.reopen(session, number=file.number, user=people.manoj)  # who closed it reopens it


def test_a_finished_file_reopened_starts_its_route_again(session, sadar, people):
    file = open_mutation(session, sadar, people.manoj)
    for user, choice in [(people.manoj, "Submit report"), (people.rajesh, "Forward"),
                         (people.sunita, "Reject")]:
        filing.act(session, number=file.number, user=user, choice=choice)
    filing.reopen(session, number=file.number, user=people.sunita, remark="Court order")
    [task] = filing.open_tasks(session, file)
    assert task.step_name == "Enquire and submit report" and task.post.code == "RK-1"


def test_every_action_leaves_an_audit_event(session, sadar, people):
    file = open_mutation(session, sadar, people.manoj)
    filing.act(session, number=file.number, user=people.manoj, choice="Submit report")
    session.commit()  # audit events are written, in their place in the chain, at commit
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.file_id == file.id)
                              .order_by(AuditEvent.id)).all()
    assert actions == ["file.opened", "file.moved"]


def test_open_tasks_and_movements_stay_consistent_over_many_bounces(session, sadar, people):
    file = open_mutation(session, sadar, people.manoj)
    for _ in range(60):
        step = filing.open_tasks(session, file)[0].step_name
        if step == "Enquire and submit report":
            filing.act(session, number=file.number, user=people.manoj, choice="Submit report")
        else:
            filing.act(session, number=file.number, user=people.rajesh, choice="Return")
    open_count = session.scalar(select(func.count()).select_from(Task).where(
        Task.file_id == file.id, Task.done_at.is_(None)))
    moves = session.scalar(select(func.count()).select_from(Movement).where(
        Movement.file_id == file.id))
    assert (open_count, moves) == (1, 61)
    assert len(file.workflow_state) < 10000


def test_the_track_cannot_be_rewritten(session, sadar, people):
    from workflows.models.guards import ImmutableRow
    file = open_mutation(session, sadar, people.manoj)
    [move] = filing.track(session, file)
    move.remark = "rewritten"
    with pytest.raises(ImmutableRow, match="movement .* cannot be changed"):
        session.flush()


def test_a_published_route_version_cannot_be_deleted(session):
    from workflows.models.guards import ImmutableRow
    session.delete(session.scalars(select(RouteVersion)).first())
    with pytest.raises(ImmutableRow, match="route version .* cannot be deleted"):
        session.flush()
