"""Administration services: publishing route versions, moving files in flight, the org chart
(charge, transfer) and onboarding from a spreadsheet; on SQLite and PostgreSQL."""

import json
from datetime import timedelta
from pathlib import Path

import engine
import pytest
from sqlalchemy import select

from workflows import clock, org
from workflows.files import filing, inbox
from workflows.org import onboarding, orgchart
from workflows.routes import publishing
from workflows.errors import InvalidInput, NotAllowed
from workflows.models import AuditEvent, Movement, OutboxMail, Post, PostHolding, User
from workflows.routes.routing import latest_version, route_by_key

BPMN = Path(__file__).resolve().parent.parent / "bpmn"
GENERAL = (BPMN / "general_noting.bpmn").read_bytes()


def with_limit(xml, step, days):
    """``xml`` with the time limit of ``step`` set to ``days``."""
    text = xml.decode()
    start = text.index(f'<bpmn:userTask id="{step}"')
    head, tail = text[:start], text[start:]
    old = tail[tail.index('name="limit_days" value="'):].split('"')[3]
    tail = tail.replace(f'name="limit_days" value="{old}"', f'name="limit_days" value="{days}"', 1)
    return (head + tail).encode()


def test_start_at_places_a_fresh_instance_at_any_step_and_round_trips():
    route = engine.parse_route(GENERAL)
    for step_id in route.steps:
        instance = engine.start_at(route, step_id, {"priority": "Immediate"})
        restored = engine.load(route, engine.dump(instance))
        engine.clear_cache()
        restored = engine.load(route, engine.dump(restored))
        (ready,) = engine.ready_steps(restored)
        assert ready.step_id == step_id
        assert restored.variables["priority"] == "Immediate"
        engine.complete(restored, ready.task_id, ready.choices[0])
    with pytest.raises(engine.RouteError):
        engine.start_at(route, "Task_Nowhere")


def test_publish_makes_versions_with_what_changed(session, people, sadar):
    v1 = latest_version(session, route_by_key(session, sadar, "general_noting"))
    v2 = publishing.publish(session, sadar, with_limit(GENERAL, "Task_PutUpNote", 5), people.sunita)
    assert v2.version == v1.version + 1 and v2.published_by_id == people.sunita.id
    (latest, publisher, _open, changes), *_ = publishing.history(session, v2.route)
    assert latest is v2 and publisher.login == "sunita.kumari"
    assert changes == ["step 'Put up note': time limit 3 → 5"]
    assert publishing.publish(session, sadar, with_limit(GENERAL, "Task_PutUpNote", 5),
                              people.sunita) is v2  # same XML: nothing new
    session.commit()  # audit events are written, in their place in the chain, at commit
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "route.published")
                            .order_by(AuditEvent.id.desc())).first()
    assert json.loads(event.detail)["version"] == v2.version and event.user_id == people.sunita.id


def test_what_changed_names_a_changed_condition_and_a_drawing_moved_alone():
    route = engine.parse_route(GENERAL)
    stricter = engine.parse_route(GENERAL.replace(
        b'choice == "Reject"', b'choice == "Reject" and priority != "Immediate"'))
    assert publishing.changes(route, stricter) == [
        "condition of 'Reject': choice == \"Reject\" → "
        "choice == \"Reject\" and priority != \"Immediate\""]
    moved = engine.parse_route(GENERAL.replace(b'x="160"', b'x="170"', 1))
    assert moved.sha256 != route.sha256
    assert publishing.changes(route, moved) == [
        "drawing changed; steps, roles, limits, choices and conditions unchanged"]


def test_only_administrators_publish_and_a_district_admin_acts_below(session, people, sadar):
    with pytest.raises(NotAllowed):
        publishing.publish(session, sadar, GENERAL, people.manoj)
    with pytest.raises(NotAllowed):  # the DDMO's administrator is not Sadar's
        publishing.publish(session, sadar, GENERAL, people.vikas)
    district = orgchart.office_by_id(session, sadar.parent_id)
    dm = Post(office_id=district.id, code="DM", title="District Magistrate", role="Collector",
              is_head=True)
    session.add(dm)
    session.flush()
    session.add(PostHolding(post_id=dm.id, user_id=people.vikas.id, from_date=clock.today()))
    session.flush()
    assert sadar.id in orgchart.administered_offices(session, people.vikas)
    version = publishing.publish(session, sadar, with_limit(GENERAL, "Task_PutUpNote", 4),
                                 people.vikas)
    assert version.published_by_id == people.vikas.id


def test_a_lane_no_post_holds_is_refused_with_the_lane(session, people, sadar):
    xml = GENERAL.replace(b'name="Section Officer"', b'name="Under Secretary"')
    problems = publishing.check(session, sadar, xml)
    assert [(p.element_id, p.element_name) for p in problems] == [
        ("Lane_SectionOfficer", "Under Secretary")]
    with pytest.raises(InvalidInput, match="Under Secretary"):
        publishing.publish(session, sadar, xml, people.sunita)


def test_check_gives_the_element_of_each_problem(session, sadar):
    xml = GENERAL.replace(b'<bpmn:userTask id="Task_IssueAndRecord"',
                          b'<bpmn:scriptTask id="Task_IssueAndRecord"').replace(
        b"</bpmn:userTask>\n    <bpmn:endEvent id=\"End_Closed\"",
        b"</bpmn:scriptTask>\n    <bpmn:endEvent id=\"End_Closed\"")
    problems = publishing.check(session, sadar, xml)
    assert "Task_IssueAndRecord" in [p.element_id for p in problems]


def _open(session, people, sadar, subject):
    return filing.open_file(session, office=sadar, user=people.pooja, route_key="general_noting",
                            subject=subject)


def test_files_keep_their_version_until_moved_after_a_dry_run(session, people, sadar):
    old_file = _open(session, people, sadar, "Old file stays")
    filing.act(session, number=old_file.number, user=people.pooja, choice="Submit")
    old_version = old_file.route_version
    xml = with_limit(GENERAL, "Task_ExamineAndComment", 1)
    new_version = publishing.publish(session, sadar, xml, people.sunita)
    new_file = _open(session, people, sadar, "New file")
    assert new_file.route_version_id == new_version.id and old_file.route_version_id == old_version.id

    plan = {p.number: p for p in publishing.plan_move(session, old_version, new_version)}
    assert plan[old_file.number].can_move and plan[old_file.number].step_name == "Examine and comment"
    assert old_file.route_version_id == old_version.id  # a dry run moves nothing

    publishing.move_files(session, old_version, new_version, people.sunita)
    assert old_file.route_version_id == new_version.id
    kinds = [m.kind for m in session.scalars(select(Movement).where(Movement.file_id == old_file.id)
                                             .order_by(Movement.id))]
    assert kinds[-1] == "route"
    [row] = [r for r in inbox.inbox(session, people.arvind) if r.file.id == old_file.id]
    assert row.sender.startswith(people.pooja.name)  # who sent it, not who moved the version
    session.commit()  # audit events are written at commit
    assert session.scalar(select(AuditEvent.id).where(AuditEvent.file_id == old_file.id,
                                                      AuditEvent.action == "file.route_migrated"))
    filing.act(session, number=old_file.number, user=people.arvind, choice="Forward")
    assert [t.step_id for t in filing.open_tasks(session, old_file)] == ["Task_ConsiderAndDecide"]


def test_a_file_whose_step_is_gone_cannot_move_and_says_why(session, people, sadar):
    file = _open(session, people, sadar, "Step removed")
    filing.act(session, number=file.number, user=people.pooja, choice="Submit")
    old_version = file.route_version
    xml = GENERAL.replace(b"Task_ExamineAndComment", b"Task_Scrutinise")
    new_version = publishing.publish(session, sadar, xml, people.sunita)
    plan = {p.number: p for p in publishing.plan_move(session, old_version, new_version)}
    assert not plan[file.number].can_move
    assert "Task_ExamineAndComment" in plan[file.number].reason
    publishing.move_files(session, old_version, new_version, people.sunita)
    assert file.route_version_id == old_version.id


def test_additional_charge_shows_the_inbox_and_records_the_post(session, people, sadar):
    file = _open(session, people, sadar, "On leave")
    filing.act(session, number=file.number, user=people.pooja, choice="Submit")
    hc = session.scalar(select(Post).where(Post.office_id == sadar.id, Post.code == "HC"))
    today = clock.today()
    orgchart.give_charge(session, people.sunita, hc, people.rajesh, today, today + timedelta(days=5))
    assert file.number in [row.file.number for row in inbox.inbox(session, people.rajesh)]
    filing.act(session, number=file.number, user=people.rajesh, choice="Forward")
    last = session.scalars(select(Movement).where(Movement.file_id == file.id)
                           .order_by(Movement.id.desc())).first()
    assert (last.from_post_id, last.from_user_id) == (hc.id, people.rajesh.id)
    with pytest.raises(InvalidInput):
        orgchart.give_charge(session, people.sunita, hc, people.rajesh, today, None)


def test_transfer_passes_pending_files_to_the_successor(session, people, sadar):
    file = _open(session, people, sadar, "Transfer me")
    filing.act(session, number=file.number, user=people.pooja, choice="Submit")
    hc = session.scalar(select(Post).where(Post.office_id == sadar.id, Post.code == "HC"))
    successor = User(login="neha.verma", name="Neha Verma", password_hash="x")
    session.add(successor)
    session.flush()
    with pytest.raises(NotAllowed):
        orgchart.transfer(session, people.manoj, hc, successor, clock.today())
    pending = orgchart.transfer(session, people.sunita, hc, successor, clock.today())
    assert file.id in [t.file_id for t in pending]
    with pytest.raises(NotAllowed):
        filing.act(session, number=file.number, user=people.arvind, choice="Forward")
    filing.act(session, number=file.number, user=successor, choice="Forward")
    kinds = [m.kind for m in session.scalars(select(Movement).where(Movement.file_id == file.id)
                                             .order_by(Movement.id))]
    assert kinds[-2:] == ["transfer", "act"]


SHEET = """name,email,mobile,office,section,post,role
Neha Verma,neha.verma@saran.example,9876543210,SADAR,REV,Revenue Karmachari Halka 3,Revenue Karmachari
,blank@saran.example,,SADAR,REV,RK-9,Revenue Karmachari
Ravi Kumar,not-an-email,,SADAR,REV,RK-8,Revenue Karmachari
Sita Devi,sita@saran.example,,NOWHERE,REV,RK-7,Revenue Karmachari
Mohan Lal,mohan@saran.example,,SADAR,REV,RK-1,
Gita Rani,gita@saran.example,,DDMO,RELIEF,DA-X,Dealing Assistant
"""


def test_csv_dry_run_names_each_bad_row_and_import_refuses_them(session, people):
    rows = onboarding.check_csv(session, people.sunita, SHEET)
    problems = {r.line: r.problems for r in rows}
    assert problems[2] == []
    assert problems[3] == ["the name is empty"]
    assert "'not-an-email' is not an email address" in problems[4]
    assert "no office with the code 'NOWHERE'" in problems[5]
    assert any("held already" in p for p in problems[6])
    assert any("do not administer" in p for p in problems[7])
    with pytest.raises(InvalidInput, match="3, 4, 5, 6, 7"):
        onboarding.import_staff(session, people.sunita, SHEET)
    assert session.scalar(select(User.id).where(User.login == "neha.verma")) is None


def test_csv_import_creates_users_posts_and_mails_a_link_to_choose_a_password(session, people,
                                                                             sadar):
    good = "\n".join(SHEET.splitlines()[:2]) + "\n"
    ((row, user),) = onboarding.import_staff(session, people.sunita, good,
                                             site_url="https://sanchika.example/")
    assert user.login == "neha.verma" and user.must_change_password
    post = session.scalar(select(Post).where(Post.office_id == sadar.id,
                                             Post.title == "Revenue Karmachari Halka 3"))
    assert post.role == "Revenue Karmachari" and post.section.code == "REV"
    assert [p.id for p in org.posts_of(session, user)] == [post.id]
    mail = session.scalars(select(OutboxMail).where(OutboxMail.to_addrs == "neha.verma@saran.example")).one()
    assert "Login: neha.verma" in mail.body and "password:" not in mail.body.lower()
    assert "https://sanchika.example/set-password/{token}" in mail.body  # made when sent
