"""A file in parts moved to a newer version of its route: every open part to the same step of
the new version, or the file refused by name, with a dry run first (the service, the admin
page and the engine); and the command line showing a file in parts.  SQLite and PostgreSQL."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from test_parts_filing import PARTS, consultation, parts

import engine
from web.cli import main
from workflows.files import filing, notes
from workflows.models import AuditEvent
from workflows.routes import publishing

ROOT = Path(__file__).resolve().parent.parent
ROUTE = (ROOT / "bpmn" / "sections_consultation.bpmn").read_text()


def newer(session, ddmo, people, xml=None):
    """A new version of the consultation route (by default one with a longer limit)."""
    xml = xml or ROUTE.replace('name="limit_days" value="3"', 'name="limit_days" value="4"', 1)
    return publishing.publish(session, ddmo, xml, people.vikas)


def plan_of(session, file, old, new):
    [plan] = [p for p in publishing.plan_move(session, old, new) if p.number == file.number]
    return plan


def test_a_file_in_three_parts_moves_each_part_and_its_parts_meet_on_the_new_version(
        session, ddmo, people):
    file = consultation(session, ddmo, people)
    old = file.route_version
    new = newer(session, ddmo, people)
    plan = plan_of(session, file, old, new)
    assert plan.can_move and plan.parts == tuple(PARTS)
    assert file.route_version_id == old.id  # a dry run moves nothing
    publishing.move_files(session, old, new, people.vikas)
    assert file.route_version_id == new.id and parts(session, file) == PARTS
    moved = [(m.step_name, m.to_post.code) for m in filing.track(session, file)
             if m.kind == "route"]
    assert sorted(moved) == sorted(PARTS.items())  # one entry on the track per part
    for login in ("suresh", "kavita", "priya"):
        filing.act(session, number=file.number, user=getattr(people, login),
                   choice="Send comments")
    assert parts(session, file) == {"Consider the comments and decide": "ADM"}
    filing.act(session, number=file.number, user=people.anil, choice="Approve")
    assert (file.status, file.outcome) == ("closed", "Approved")
    session.commit()  # audit events are written at commit
    event = session.scalars(select(AuditEvent).where(
        AuditEvent.file_id == file.id, AuditEvent.action == "file.route_migrated")).one()
    assert sorted(json.loads(event.detail)["steps"]) == sorted(
        ["Task_ReliefComments", "Task_AccountsComments", "Task_GeneralComments"])


def test_parts_already_answered_wait_at_the_join_of_the_new_version(session, ddmo, people):
    file = consultation(session, ddmo, people)
    filing.act(session, number=file.number, user=people.kavita, choice="Ask for papers")
    filing.act(session, number=file.number, user=people.suresh, choice="Send comments")
    old = file.route_version
    new = newer(session, ddmo, people)
    publishing.move_files(session, old, new, people.vikas)
    assert file.route_version_id == new.id
    assert parts(session, file) == {"Comments of the Relief section": "SO-REL",
                                    "Supply papers to Accounts": "DA-REL"}
    filing.act(session, number=file.number, user=people.ramesh, choice="Papers supplied")
    filing.act(session, number=file.number, user=people.kavita, choice="Send comments")
    assert "Consider the comments and decide" not in parts(session, file)
    filing.act(session, number=file.number, user=people.priya, choice="Send comments")
    # General answered before the move: the join of the new version knows it
    assert parts(session, file) == {"Consider the comments and decide": "ADM"}


def test_a_file_after_its_parts_met_moves_too(session, ddmo, people):
    file = consultation(session, ddmo, people)
    for login in ("suresh", "kavita", "priya"):
        filing.act(session, number=file.number, user=getattr(people, login),
                   choice="Send comments")
    old = file.route_version
    new = newer(session, ddmo, people)
    assert plan_of(session, file, old, new).can_move
    publishing.move_files(session, old, new, people.vikas)
    assert file.route_version_id == new.id
    filing.act(session, number=file.number, user=people.anil, choice="Approve")
    assert file.outcome == "Approved"


def test_parts_without_a_counterpart_are_named_and_the_file_stays(session, ddmo, people):
    file = consultation(session, ddmo, people)
    old = file.route_version
    renamed = ROUTE.replace("Task_GeneralComments", "Task_GeneralRemarks")
    new = newer(session, ddmo, people, renamed)
    plan = plan_of(session, file, old, new)
    assert not plan.can_move
    assert "lies in 3 parts at once" in plan.reason
    assert "'Comments of the General section' (Task_GeneralComments)" in plan.reason
    assert "Relief" not in plan.reason and "Accounts" not in plan.reason
    assert plan.reason.template.startswith("the file lies in %(count)s parts")  # for Hindi
    publishing.move_files(session, old, new, people.vikas)
    assert file.route_version_id == old.id and parts(session, file) == PARTS
    assert not [m for m in filing.track(session, file) if m.kind == "route"]


def test_a_part_whose_step_changed_role_is_named(session, ddmo, people):
    file = consultation(session, ddmo, people)
    old = file.route_version
    moved = ROUTE.replace(  # Accounts' comments drawn in the Head Clerk's lane
        "        <bpmn:flowNodeRef>Task_AccountsComments</bpmn:flowNodeRef>\n", "").replace(
        "        <bpmn:flowNodeRef>Task_GeneralComments</bpmn:flowNodeRef>\n",
        "        <bpmn:flowNodeRef>Task_GeneralComments</bpmn:flowNodeRef>\n"
        "        <bpmn:flowNodeRef>Task_AccountsComments</bpmn:flowNodeRef>\n")
    new = newer(session, ddmo, people, moved)
    plan = plan_of(session, file, old, new)
    assert not plan.can_move
    assert "'Comments of the Accounts section' (Task_AccountsComments)" in plan.reason
    assert "General" not in plan.reason


def test_the_engine_refuses_steps_that_cannot_be_waited_at_together():
    route = engine.parse_route(ROUTE)
    with pytest.raises(engine.RouteError, match="no path of the route leaves the file at the "
                                                "steps 'Put up for consultation', 'Comments "
                                                "of the Relief section' at once"):
        engine.start_at_steps(route, ["Task_PutUp", "Task_ReliefComments"])
    with pytest.raises(engine.RouteError, match="the route has no step 'Task_Nowhere'"):
        engine.start_at_steps(route, ["Task_ReliefComments", "Task_Nowhere"])
    instance = engine.start_at_steps(route, ["Task_SupplyPapers", "Task_ReliefComments"])
    instance = engine.load(route, engine.dump(instance))  # the state survives a round trip
    assert sorted(s.step_id for s in engine.ready_steps(instance)) == [
        "Task_ReliefComments", "Task_SupplyPapers"]


def test_the_admin_dry_run_lists_each_part(client, session, ddmo, people):
    from webtools import sign_in
    file = consultation(session, ddmo, people)
    old = file.route_version
    newer(session, ddmo, people, ROUTE.replace("Task_GeneralComments", "Task_GeneralRemarks"))
    sign_in(client, "vikas.kumar")
    page = client.get(f"/admin/routes/{old.route_id}/move?source={old.version}").get_data(
        as_text=True)
    assert file.number in page and "Dry run" in page
    assert "Comments of the Relief section<br>Comments of the Accounts section" in page
    assert "these parts have no counterpart in the new version" in page


# -- the command line ------------------------------------------------------------------

@pytest.fixture
def cli(demo_db):
    runner = CliRunner(env={"SANCHIKA_DATABASE_URL": demo_db})
    return lambda *args: runner.invoke(main, list(args), catch_exceptions=False)


def test_file_show_lists_every_part_and_notes_under_their_parts(cli):
    number = cli("file", "open", "--office", "DDMO", "--route", "sections_consultation",
                 "--subject", "Rates", "--as", "ramesh.singh", "--note", "Rates to revise.")
    number = number.stdout.strip()
    assert cli("file", "act", number, "--as", "ramesh.singh",
               "--choice", "Send for comments").exit_code == 0
    for login, text in (("priya.sharma", "Relief agrees."), ("kavita.devi", "Budget is there.")):
        noted = cli("file", "note", number, "--as", login, "--text", text)
        assert noted.exit_code == 0, noted.output
    parked = cli("file", "park", number, "--as", "kavita.devi", "--remark", "Budget awaited")
    assert parked.stdout.strip() == f"{number}: open (part: Comments of the Accounts section)"
    shown = cli("file", "show", number).stdout
    assert "Parts    3 open at once" in shown
    for post in ("Section Officer, Relief", "Accounts Officer", "Head Clerk, General"):
        assert f"With     {post}" in shown, shown
    assert "Step     Comments of the Accounts section (parked); choices" in shown
    assert "parked since" in shown
    sheet = shown[shown.index("Notes"):]
    assert sheet.index("1. Rates to revise.") < sheet.index("Part: Comments of the Relief")
    assert sheet.index("Part: Comments of the Relief") < sheet.index("2. Relief agrees.")
    assert sheet.index("Part: Comments of the Accounts") < sheet.index("3. Budget is there.")
    refused = cli("file", "note", number, "--as", "anil.sinha", "--text", "Hurry.")
    assert refused.exit_code == 1 and "only the official holding file" in refused.stderr


def test_the_note_of_a_part_holder_goes_on_their_part(session, ddmo, people):
    file = consultation(session, ddmo, people)
    note = notes.add_note(session, number=file.number, user=people.kavita, body="Papers?")
    [accounts] = [t for t in filing.open_tasks(session, file) if t.post.code == "AO"]
    assert note.task_id == accounts.id and note.author_post_id == accounts.post_id


def test_move_files_command_dry_run_names_parts_then_moves(cli, tmp_path):
    number = cli("file", "open", "--office", "DDMO", "--route", "sections_consultation",
                 "--subject", "Rates", "--as", "ramesh.singh").stdout.strip()
    cli("file", "act", number, "--as", "ramesh.singh", "--choice", "Send for comments")
    drawing = tmp_path / "renamed.bpmn"
    drawing.write_text(ROUTE.replace("Task_GeneralComments", "Task_GeneralRemarks"))
    assert cli("deploy-route", str(drawing), "--office", "DDMO").exit_code == 0
    dry = cli("move-files", "sections_consultation", "--office", "DDMO", "--from", "1",
              "--as", "vikas.kumar", "--dry-run")
    assert dry.exit_code == 0, dry.output
    [line] = [x for x in dry.stdout.splitlines() if x.startswith(number)]
    assert ("[Comments of the Relief section | Comments of the Accounts section | Comments of "
            "the General section]  stays: the file lies in 3 parts at once") in line
    assert "'Comments of the General section' (Task_GeneralComments)" in line
    assert "(dry run: nothing moved)" in dry.stdout
    refused = cli("move-files", "sections_consultation", "--office", "DDMO", "--from", "1",
                  "--as", "ramesh.singh", "--dry-run")
    assert refused.exit_code == 1 and "Traceback" not in refused.output
    nowhere = cli("move-files", "sections_consultation", "--office", "DDMO", "--from", "2",
                  "--as", "vikas.kumar")
    assert nowhere.exit_code == 1 and "is its newest" in nowhere.stderr
    drawing.write_text(ROUTE.replace('name="limit_days" value="3"', 'name="limit_days" '
                                     'value="4"', 1))
    assert cli("deploy-route", str(drawing), "--office", "DDMO").exit_code == 0
    moved = cli("move-files", "sections_consultation", "--office", "DDMO", "--from", "1",
                "--as", "vikas.kumar")
    assert moved.exit_code == 0, moved.output
    assert f"{number}  [Comments of the Relief section" in moved.stdout and "moved" in moved.stdout
    assert "v3" in cli("file", "show", number).stdout
