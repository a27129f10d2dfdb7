"""The ``sanchika`` command: everything an administrator or a script needs.

Each command is one transaction.  A mistake (a wrong login, a choice the route does not offer,
a file held by someone else) prints one line and exits 1, never a traceback.
"""

import functools
import sys
from pathlib import Path

import click
from sqlalchemy import select
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm.exc import StaleDataError

import engine
from workflows.files import attachments, filing, notes
from workflows import org
from workflows.routes import routing
from workflows.db import schema
from workflows.db import make_engine, make_sessionmaker
from workflows.clock import IST
from workflows.errors import FileMoved, SanchikaError
from workflows.models import File, PRIORITIES


class Fail(click.ClickException):
    exit_code = 1

    def show(self, file=None):
        click.echo(f"error: {self.message}", err=True)


def _session_scope(fn):
    """Run the command in one transaction and turn known failures into one clear line."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        db = make_engine()
        try:
            with make_sessionmaker(db).begin() as session:
                return fn(session, *args, **kwargs)
        except SanchikaError as exc:
            raise Fail(str(exc)) from None
        except StaleDataError:
            raise Fail(str(FileMoved())) from None
        except (OperationalError, ProgrammingError) as exc:
            raise Fail(_database_message(exc)) from None
        finally:
            db.dispose()
    return wrapper


def _database_message(exc):
    text = str(exc.orig) if getattr(exc, "orig", None) else str(exc)
    if "no such table" in text or "does not exist" in text:
        return "the database is not set up; run 'sanchika init' first"
    return f"the database could not be used: {text.splitlines()[0]}"


@click.group()
def main():
    """Sanchika e-Office: files on digital tracks."""


@main.command()
def init():
    """Create the database or bring it to the newest schema."""
    db = make_engine()
    try:
        schema.upgrade(db)
        click.echo(f"database ready at revision {schema.current_revision(db)}: "
                   f"{db.url.render_as_string(hide_password=True)}")
    except OperationalError as exc:
        raise Fail(_database_message(exc)) from None
    finally:
        db.dispose()


@main.command()
@_session_scope
def demo(session):
    """Load the demo offices of Saran district (running it again changes nothing)."""
    from workflows.demo import DEMO_PASSWORD, load_demo
    created = load_demo(session)
    for line in created:
        click.echo(f"created {line}")
    click.echo(f"demo ready ({len(created)} new items); every demo login's password is "
               f"'{DEMO_PASSWORD}'")


@main.command("check-route")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
def check_route(files):
    """Check BPMN files; print OK or each problem. Exit 1 if any is not valid."""
    bad = False
    for name in files:
        try:
            data = Path(name).read_bytes()
        except OSError as exc:
            click.echo(f"{name}: cannot be read: {exc.strerror}")
            bad = True
            continue
        problems = engine.check_route(data)
        if not problems:
            click.echo(f"OK {name}")
        for problem in problems:
            click.echo(f"{name}: {problem}")
        bad = bad or bool(problems)
    sys.exit(1 if bad else 0)


@main.command("deploy-route")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--office", "office_code", required=True, help="office code, e.g. SADAR")
@_session_scope
def deploy_route(session, path, office_code):
    """Check and publish a new version of a route in an office."""
    office = org.office_by_code(session, office_code)
    try:
        xml = Path(path).read_bytes()
    except OSError as exc:
        raise Fail(f"{path} cannot be read: {exc.strerror}") from None
    version = routing.deploy_route(session, office, xml)
    click.echo(f"{version.route.key} version {version.version} published in {office.code}")


@main.command()
@_session_scope
def routes(session):
    """List routes and their versions."""
    rows = routing.list_routes(session)
    if not rows:
        click.echo("no routes yet; publish one with 'sanchika deploy-route'")
    for route, count, latest in rows:
        click.echo(f"{route.office.code:8} {route.key:20} v{latest:<3} ({count} version"
                   f"{'s' if count != 1 else ''})  {route.name}")


@main.group("file")
def file_group():
    """Open, move and look at files."""


@file_group.command("open")
@click.option("--office", "office_code", required=True)
@click.option("--route", "route_key", required=True)
@click.option("--subject", required=True)
@click.option("--priority", default="Normal", show_default=True,
              help="one of: " + ", ".join(PRIORITIES))
@click.option("--section", "section_code", default=None, help="section code (default: opener's)")
@click.option("--note", default="", help="the first note paragraph")
@click.option("--as", "login", required=True, help="login of the official opening the file")
@_session_scope
def file_open(session, office_code, route_key, subject, priority, section_code, note, login):
    """Open a file; prints its number."""
    office = org.office_by_code(session, office_code)
    user = org.user_by_login(session, login)
    section = org.section_by_code(session, office, section_code) if section_code else None
    file = filing.open_file(session, office=office, user=user, route_key=route_key,
                            subject=subject, priority=priority, section=section,
                            first_note=note)
    click.echo(file.number)


@file_group.command("act")
@click.argument("number")
@click.option("--as", "login", required=True)
@click.option("--choice", required=True)
@click.option("--remark", default="")
@click.option("--reason", default="", help="why the file was kept past its limit")
@_session_scope
def file_act(session, number, login, choice, remark, reason):
    """Complete your step of a file with one of the choices its route offers."""
    user = org.user_by_login(session, login)
    acted = filing.act(session, number=number, user=user, choice=choice, remark=remark,
                       reason=reason)
    file = session.get(File, acted.file_id)
    click.echo(f"{file.number}: {choice} -> {_where(session, file)}")


@file_group.command("pull-back")
@click.argument("number")
@click.option("--as", "login", required=True)
@_session_scope
def file_pull_back(session, number, login):
    """Take back a file you just sent, while its receiver has not opened it."""
    file = filing.pull_back(session, number=number, user=org.user_by_login(session, login))
    click.echo(f"{file.number}: pulled back -> {_where(session, file)}")


@file_group.command("note")
@click.argument("number")
@click.option("--as", "login", required=True)
@click.option("--text", "body", required=True, help="the paragraph to add to the note sheet")
@_session_scope
def file_note(session, number, login, body):
    """Add a paragraph to the note sheet of a file you hold."""
    note = notes.add_note(session, number=number, user=org.user_by_login(session, login),
                          body=body)
    click.echo(f"{number}: note paragraph {note.number} added (a draft until the file moves)")


@file_group.command("attach")
@click.argument("number")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--as", "login", required=True)
@_session_scope
def file_attach(session, number, path, login):
    """Attach a PDF or image to a file you hold."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise Fail(f"{path} cannot be read: {exc.strerror}") from None
    item = attachments.attach(session, number=number, user=org.user_by_login(session, login),
                              filename=Path(path).name, data=data,
                              store=attachments.default_store())
    click.echo(f"{number}: attached {item.filename} ({item.content_type}, {item.size} bytes)")


def _status_command(name, service, help_text):
    @file_group.command(name, help=help_text)
    @click.argument("number")
    @click.option("--as", "login", required=True)
    @click.option("--remark", default="")
    @_session_scope
    def command(session, number, login, remark):
        file = service(session, number=number, user=org.user_by_login(session, login),
                       remark=remark)
        click.echo(f"{file.number}: {file.status}")
    return command


_status_command("park", filing.park, "Set a file you hold aside.")
_status_command("unpark", filing.unpark, "Take a parked file up again.")
_status_command("reopen", filing.reopen, "Reopen a closed file (its creator or the head).")


@file_group.command("show")
@click.argument("number")
@_session_scope
def file_show(session, number):
    """Number, subject, status, who holds it since when, the choices open, and the track."""
    file = session.scalar(select(File).where(File.number == number.strip()))
    if file is None:
        raise Fail(f"no file numbered '{number}'")
    out = [f"File     {file.number}",
           f"Subject  {file.subject}",
           f"Office   {file.office.name} / {file.section.name}",
           f"Priority {file.priority}",
           f"Route    {file.route_version.route.key} v{file.route_version.version}",
           f"Status   {file.status}" + (f" ({file.outcome})" if file.outcome else "")]
    tasks = filing.open_tasks(session, file)
    steps = routing.engine_route(session, file.route_version).steps
    for task in tasks:
        people = ", ".join(u.name for u in org.holders_of(session, task.post)) or "vacant"
        out.append(f"With     {task.post.title} ({people}) since {_ist(task.since)}, "
                   f"due {_ist(task.due_at)}")
        step = steps.get(task.step_id)
        if step is not None and file.status == "open":
            out.append(f"Step     {task.step_name}; choices: {', '.join(step.choices)}")
    out.append("Track")
    movements = filing.track(session, file)
    for i, m in enumerate(movements):
        who = f"{m.from_user.name if m.from_user else '-'} ({m.from_post.title if m.from_post else '-'})"
        to = m.to_post.title if m.to_post else (file.outcome or "-")
        choice = f" [{m.choice}]" if m.choice else ""
        held = _duration(filing.held_for(movements, i))
        out.append(f"  {_ist(m.at)}  {m.kind:9} {who} -> {to}{choice}  held {held}"
                   + (f"\n      remark: {m.remark}" if m.remark else ""))
    paragraphs = notes.notes_of(session, file)
    if paragraphs:
        out.append("Notes")
        for note in paragraphs:
            state = "" if note.frozen_at else " (draft)"
            out.append(f"  {note.number}. {note.body}  -- {note.author.name}, "
                       f"{note.author_post.title}{state}")
    out.extend(_escalation_lines(session, file))
    documents = attachments.attachments_of(session, file)
    if documents:
        out.append("Documents")
        out.extend(f"  {d.filename} ({d.content_type}, {d.size} bytes, sha256 {d.sha256[:12]})"
                   for d in documents)
    click.echo("\n".join(out))


def _where(session, file):
    if file.status == "closed":
        return f"closed ({file.outcome})"
    tasks = filing.open_tasks(session, file)
    return ", ".join(f"{t.post.title} ({t.step_name})" for t in tasks) or file.status


def _ist(moment):
    if moment is None:
        return "-"
    return moment.astimezone(IST).strftime("%d-%m-%Y %H:%M IST")


def _duration(delta):
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    return f"{days}d {hours}h" if days else f"{hours}h {mins}m"


def _escalation_lines(session, file):
    from workflows.deadlines import escalation
    from workflows.models import Post
    rows = escalation.escalations_of(session, file)
    posts = {p.id: p for p in session.scalars(select(Post).where(Post.id.in_(
        {e.holder_post_id for e in rows} | {e.to_post_id for e in rows})))}
    return (["Escalations"] if rows else []) + [
        f"  {_ist(e.fired_at)}  {escalation.describe(e, posts)}" for e in rows]


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@click.option("--no-scheduler", is_flag=True,
              help="do not run the escalation and mail jobs here (run 'sanchika scheduler')")
def serve(host, port, threads, no_scheduler):
    """Serve the web app on a production WSGI server (waitress), with the scheduler."""
    from waitress import serve as waitress_serve
    from web import create_app
    from workflows.mail import outbox
    from workflows.deadlines import scheduler
    app = create_app()
    if not no_scheduler:
        scheduler.start_background(app.extensions["sanchika.sessionmaker"],
                                   lambda: outbox.transport_from_settings(app.config,
                                                                          app.instance_path))
    click.echo(f"Sanchika serving on http://{host}:{port}/  (Ctrl+C to stop)")
    waitress_serve(app, host=host, port=port, threads=threads, ident="Sanchika")


# Receipts (incoming letters) and drafts (letters and orders on a file).  Imported here, with
# their commands, so that this part of the file stands on its own.
from workflows.files import drafts, receipts  # noqa: E402
from workflows.models import DRAFT_KINDS, MODES  # noqa: E402


def _read_document(path):
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise Fail(f"{path} cannot be read: {exc.strerror}") from None


@main.group("receipt")
def receipt_group():
    """Incoming letters (receipts): diarise them, list those waiting, put them into files."""


@receipt_group.command("diarise")
@click.option("--office", "office_code", required=True, help="office code, e.g. SADAR")
@click.option("--as", "login", required=True, help="login of the official diarising it")
@click.option("--subject", required=True)
@click.option("--sender", required=True, help="who sent the letter")
@click.option("--address", default="", help="the sender's address")
@click.option("--letter-number", default="", help="the sender's number for the letter")
@click.option("--letter-date", default=None, help="the letter's date, YYYY-MM-DD")
@click.option("--received-on", default=None, help="YYYY-MM-DD (default: today)")
@click.option("--mode", default="By post", show_default=True, type=click.Choice(MODES))
@click.option("--scan", default=None, type=click.Path(dir_okay=False),
              help="the scanned letter (PDF, PNG, JPEG or TIFF)")
@_session_scope
def receipt_diarise(session, office_code, login, subject, sender, address, letter_number,
                    letter_date, received_on, mode, scan):
    """Diarise an incoming letter; prints its receipt number."""
    document = (Path(scan).name, _read_document(scan)) if scan else None
    receipt = receipts.diarise_receipt(
        session, office=org.office_by_code(session, office_code),
        user=org.user_by_login(session, login), subject=subject, sender=sender,
        sender_address=address, letter_number=letter_number, letter_date=letter_date,
        received_on=received_on, mode=mode, document=document,
        store=attachments.default_store())
    click.echo(receipt.number)


@receipt_group.command("pending")
@click.option("--as", "login", required=True)
@_session_scope
def receipt_pending(session, login):
    """The receipts waiting at your posts, not yet in a file."""
    for r in receipts.receipts_pending(session, org.user_by_login(session, login)):
        click.echo(f"{r.number}  {r.received_on:%d-%m-%Y}  {r.sender_name}: {r.subject}"
                   f"  (with {r.holder_post.title})")


@receipt_group.command("file")
@click.argument("receipt_number")
@click.option("--as", "login", required=True)
@click.option("--into", "number", default=None, help="the number of a file you hold")
@click.option("--route", "route_key", default=None, help="open a new file on this route")
@click.option("--priority", default="Normal", show_default=True, type=click.Choice(PRIORITIES))
@_session_scope
def receipt_file(session, receipt_number, login, number, route_key, priority):
    """Put a receipt into a file you hold (--into) or into a new file (--route)."""
    if bool(number) == bool(route_key):
        raise Fail("give either --into FILE-NUMBER or --route ROUTE-KEY")
    user = org.user_by_login(session, login)
    receipt = receipts.receipt_by_number(session, receipt_number)
    if route_key:
        file = receipts.open_file_from_receipt(session, receipt_id=receipt.id, user=user,
                                               route_key=route_key, priority=priority)
    else:
        file = receipts.put_in_file(session, receipt_id=receipt.id, number=number,
                                    user=user).file
    click.echo(f"{receipt.number}: in file {file.number}")


@file_group.command("draft")
@click.argument("number")
@click.option("--as", "login", required=True)
@click.option("--kind", required=True, type=click.Choice(list(DRAFT_KINDS)))
@click.option("--title", required=True)
@click.option("--text", "body", required=True, help="the text of the letter or order")
@_session_scope
def file_draft(session, number, login, kind, title, body):
    """Start a draft letter or order on a file you hold; prints the draft's id."""
    draft = drafts.create_draft(session, number=number, user=org.user_by_login(session, login),
                                kind=kind, title=title, body=body)
    click.echo(f"{number}: draft {draft.id} ({draft.kind}) version 1")


@main.group("draft")
def draft_group():
    """Drafts on files: approve a version and issue it."""


@draft_group.command("approve")
@click.argument("draft_id", type=int)
@click.option("--version", required=True, type=int)
@click.option("--as", "login", required=True)
@_session_scope
def draft_approve(session, draft_id, version, login):
    """Approve one version of a draft on a file you hold."""
    drafts.approve_draft(session, draft_id=draft_id, version=version,
                         user=org.user_by_login(session, login))
    click.echo(f"draft {draft_id}: version {version} approved")


@draft_group.command("issue")
@click.argument("draft_id", type=int)
@click.option("--as", "login", required=True)
@_session_scope
def draft_issue(session, draft_id, login):
    """Issue an approved draft; prints its issue number."""
    draft = drafts.issue_draft(session, draft_id=draft_id, user=org.user_by_login(session, login))
    click.echo(draft.issue_number)


from . import cli_escalation  # noqa: E402,F401  (limits, holidays, escalate, scheduler)
from . import cli_records  # noqa: E402,F401  (verify, backup, restore, close, record room)

from . import cli_tokens  # noqa: E402,F401  (API tokens)
