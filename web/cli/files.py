"""``sanchika file ...``: open a file, act on it, note, attach, park, reopen, and show it."""

from pathlib import Path

import click
from sqlalchemy import select

from workflows.files import attachments, drafts, filing, notes, notesheet
from workflows.org import powers

from workflows.deadlines import escalation

from workflows import org

from workflows.routes import calling
from workflows.models import File, PRIORITIES, Post

from .common import Fail, duration, ist, read_bytes, session_scope


@click.command("open")
@click.option("--office", "office_code", required=True)
@click.option("--route", "route_key", required=True)
@click.option("--subject", required=True)
@click.option("--priority", default="Normal", show_default=True,
              help="one of: " + ", ".join(PRIORITIES))
@click.option("--section", "section_code", default=None, help="section code (default: opener's)")
@click.option("--note", default="", help="the first note paragraph")
@click.option("--as", "login", required=True, help="login of the official opening the file")
@session_scope
def file_open(session, office_code, route_key, subject, priority, section_code, note, login):
    """Open a file; prints its number."""
    office = org.office_by_code(session, office_code)
    user = org.user_by_login(session, login)
    section = org.section_by_code(session, office, section_code) if section_code else None
    file = filing.open_file(session, office=office, user=user, route_key=route_key,
                            subject=subject, priority=priority, section=section,
                            first_note=note)
    click.echo(file.number)


@click.command("act")
@click.argument("number")
@click.option("--as", "login", required=True)
@click.option("--choice", required=True)
@click.option("--remark", default="")
@click.option("--reason", default="", help="why the file was kept past its limit")
@click.option("--mark-to", "mark_to", multiple=True, metavar="POST_ID",
              help="a post a circulation of marked posts goes to (repeat for each)")
@click.option("--pin", envvar="SANCHIKA_SIGNING_PIN", default=None,
              help="your signing PIN, where the office signs (or SANCHIKA_SIGNING_PIN)")
@session_scope
def file_act(session, number, login, choice, remark, reason, mark_to, pin):
    """Complete your step of a file with one of the choices its route offers."""
    user = org.user_by_login(session, login)
    acted = filing.act(session, number=number, user=user, choice=choice, remark=remark,
                       reason=reason, mark_to=mark_to, pin=pin)
    file = session.get(File, acted.file_id)
    click.echo(f"{file.number}: {choice} -> {_where(session, file)}")


@click.command("pull-back")
@click.argument("number")
@click.option("--as", "login", required=True)
@session_scope
def file_pull_back(session, number, login):
    """Take back a file you just sent, while its receiver has not opened it."""
    file = filing.pull_back(session, number=number, user=org.user_by_login(session, login))
    click.echo(f"{file.number}: pulled back -> {_where(session, file)}")


@click.command("note")
@click.argument("number")
@click.option("--as", "login", required=True)
@click.option("--text", "body", required=True, help="the paragraph to add to the note sheet")
@session_scope
def file_note(session, number, login, body):
    """Add a paragraph to the note sheet of a file you hold."""
    note = notes.add_note(session, number=number, user=org.user_by_login(session, login),
                          body=body)
    click.echo(f"{number}: note paragraph {note.number} added (a draft until the file moves)")


@click.command("attach")
@click.argument("number")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--as", "login", required=True)
@session_scope
def file_attach(session, number, path, login):
    """Attach a PDF or image to a file you hold."""
    data = read_bytes(path)
    item = attachments.attach(session, number=number, user=org.user_by_login(session, login),
                              filename=Path(path).name, data=data,
                              store=attachments.default_store())
    click.echo(f"{number}: attached {item.filename} ({item.content_type}, {item.size} bytes)")


def _status_command(name, service, help_text):
    @click.command(name, help=help_text)
    @click.argument("number")
    @click.option("--as", "login", required=True)
    @click.option("--remark", default="")
    @session_scope
    def command(session, number, login, remark):
        file = service(session, number=number, user=org.user_by_login(session, login),
                       remark=remark)
        last = filing.track(session, file)[-1]  # a part of a file in parts names its step
        part = f" (part: {last.step_name})" if last.kind == name and last.step_name else ""
        click.echo(f"{file.number}: {file.status}{part}")
    return command


@click.command("show")
@click.argument("number")
@session_scope
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
    out.extend(_holder_lines(session, file))
    out.append("Track")
    movements = filing.track(session, file)
    for m, stay in zip(movements, filing.stays(movements), strict=True):
        acting = m.acting_post.title if m.acting_post else "-"
        who = f"{m.from_user.name if m.from_user else '-'} ({acting})"
        to = m.to_post.title if m.to_post else (file.outcome or "-")
        choice = f" [{m.choice}]" if m.choice else ""
        part = f" ({m.step_name})" if m.kind in ("park", "unpark") and m.step_name else ""
        held = duration(stay)
        out.append(f"  {ist(m.at)}  {m.kind:9} {who} -> {to}{choice}{part}  held {held}"
                   + (f"\n      remark: {m.remark}" if m.remark else ""))
    out.extend(_note_lines(session, file))
    out.extend(_draft_lines(session, file))
    out.extend(_escalation_lines(session, file))
    documents = attachments.attachments_of(session, file)
    if documents:
        out.append("Documents")
        out.extend(f"  {d.filename} ({d.content_type}, {d.size} bytes, sha256 {d.sha256[:12]})"
                   for d in documents)
    click.echo("\n".join(out))


def _holder_lines(session, file):
    """Who holds the file since when, and the choices open: one line pair per open part."""
    tasks = filing.open_tasks(session, file)
    out = [f"Parts    {len(tasks)} open at once"] if len(tasks) > 1 else []
    for task in tasks:
        people = ", ".join(u.name for u in org.holders_of(session, task.post)) or "vacant"
        parked = f", parked since {ist(task.parked_at)}" if task.parked_at else ""
        out.append(f"With     {task.post.title} ({people}) since {ist(task.since)}, "
                   f"due {ist(task.due_at)}" + (parked if len(tasks) > 1 else ""))
        step = calling.step_of_task(session, file.route_version, task)
        if step is not None and file.status == "open":
            state = " (parked)" if task.parked_at else ""
            out.append(f"Step     {task.step_name}{state}; choices: {', '.join(step.choices)}")
    return out


def _note_lines(session, file):
    """The note sheet: the paragraphs of the file in one piece, and each part's under it."""
    blocks = notesheet.note_sheet(session, file)
    out = ["Notes"] if blocks else []
    for block in blocks:
        indent = "  "
        if block.part is not None:
            out.append(f"  Part: {block.part.step_name} ({block.part.post.title})")
            indent = "    "
        for note in block.paragraphs:
            state = "" if note.frozen_at else " (draft)"
            out.append(f"{indent}{note.number}. {note.body}  -- {note.author.name}, "
                       f"{note.author_post.title}{state}")
    return out


def _draft_lines(session, file):
    """The drafts, each with its status and, until issued, its competent authority."""
    out = []
    for draft in drafts.drafts_of(session, file):
        line = f"  {draft.id}. {draft.kind}: {draft.title} ({draft.status}"
        line += f" {draft.issue_number})" if draft.issue_number else ")"
        if draft.status != "issued":
            authority = powers.competent(session, file.office, file.section_id, draft.kind)
            line += (f"  -- approved and issued by "
                     f"{', '.join(p.title for p in authority.posts) or 'nobody named'}"
                     " or an officer above" + (" (default)" if authority.by_default else ""))
        out.append(line)
    return (["Drafts"] if out else []) + out


def _where(session, file):
    if file.status == "closed":
        return f"closed ({file.outcome})"
    tasks = filing.open_tasks(session, file)
    return ", ".join(f"{t.post.title} ({t.step_name})" for t in tasks) or file.status


def _escalation_lines(session, file):
    rows = escalation.escalations_of(session, file)
    posts = {p.id: p for p in session.scalars(select(Post).where(Post.id.in_(
        {e.holder_post_id for e in rows} | {e.to_post_id for e in rows})))}
    return (["Escalations"] if rows else []) + [
        f"  {ist(e.fired_at)}  {escalation.describe(e, posts)}" for e in rows]


COMMANDS = ()
FILE_COMMANDS = (
    file_open, file_act, file_pull_back, file_note, file_attach, file_show,
    _status_command("park", filing.park, "Set a file you hold aside."),
    _status_command("unpark", filing.unpark, "Take a parked file up again."),
    _status_command("reopen", filing.reopen, "Reopen a closed file (who closed it, or the head)."),
)
