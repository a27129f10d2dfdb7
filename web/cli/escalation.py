"""``sanchika escalate``, ``limits``, ``holiday`` and ``outbox``: time limits, calendars, one
pass of escalation, and the mail it sends."""

from datetime import date

import click
from sqlalchemy import select

from workflows.deadlines import calendar, escalation, limits, scheduler
from workflows import org
from workflows.mail import outbox
from workflows.clock import utcnow
from workflows.db import make_engine, make_sessionmaker
from workflows.errors import InvalidInput, SanchikaError
from workflows.models import PRIORITIES, Post

from .common import Fail, ist, moment, read_bytes, session_scope


@click.command()
@click.option("--now", "now_text", default=None,
              help="run as if it were this ISO time (default: now; a time without a zone is "
                   "India's)")
@click.option("--dry-run", is_flag=True,
              help="print what would fire; write nothing and send no mail")
def escalate(now_text, dry_run):
    """Run one pass of escalation and of sending mail; print what was done."""
    now = moment(now_text) or utcnow()
    db = make_engine()
    try:
        factory = make_sessionmaker(db)
        report = (scheduler.preview_pass(factory, now) if dry_run else
                  scheduler.run_pass(factory, outbox.transport_from_settings(), now))
    except SanchikaError as exc:
        raise Fail(str(exc)) from None
    finally:
        db.dispose()
    would = "would " if dry_run else ""
    for number, name, interrupting in report.timers:
        if dry_run:
            kind = "would move the file on" if interrupting else "would escalate the step"
        else:
            kind = "fired (moved the file on)" if interrupting else "fired (escalates the step)"
        click.echo(f"timer    {number}: '{name}' {kind}")
    for number, level, post, cause in report.escalations:
        why = "" if cause == "limit" else f" (timer '{cause}')"
        click.echo(f"escalate {number}: {would}level {level}, {escalation.LEVELS[level]}: "
                   f"{post}{why}")
    for o in report.mails:
        detail = o.where if o.status == "sent" else o.error
        click.echo(f"mail     {o.mail_id} to {o.to}: {o.status} {detail}".rstrip())
    if dry_run:
        click.echo(f"{len(report.escalations)} escalation(s) and {len(report.timers)} "
                   f"timer(s) would fire at {ist(now)}; nothing was written, no mail sent")
        return
    click.echo(f"{len(report.escalations)} escalation(s), {len(report.timers)} timer(s), "
               f"{sum(o.status == 'sent' for o in report.mails)} mail(s) sent, "
               f"{sum(o.status != 'sent' for o in report.mails)} not sent, at {ist(now)}")


@click.group("limits")
def limits_group():
    """Time limits of an office: its default, per priority, weekly offs, grace."""


@limits_group.command("set")
@click.option("--office", "office_code", required=True)
@click.option("--default", type=int, default=None, help="working days (office procedure: 7)")
@click.option("--priority", "priority_limits", multiple=True, metavar="NAME=DAYS",
              help='e.g. --priority Immediate=1 (DAYS "-" removes it); repeatable')
@click.option("--weekly-offs", default=None, help='e.g. "Sun" or "Sat,Sun"')
@click.option("--grace", type=int, default=None, help="working days between escalation levels")
@session_scope
def limits_set(session, office_code, default, priority_limits, weekly_offs, grace):
    """Change an office's limits; files already waiting keep their due times."""
    office = org.office_by_code(session, office_code)
    priorities = {}
    for item in priority_limits:
        name, _, days = item.rpartition("=")
        if not name:
            raise Fail(f"'{item}': write NAME=DAYS, e.g. Immediate=1")
        priorities[name.strip()] = None if days.strip() == "-" else days.strip()
    limits.set_limits(session, office, default=default, priorities=priorities,
                      weekly_offs=weekly_offs, grace_days=grace)
    _show_limits(session, office)


@limits_group.command("show")
@click.option("--office", "office_code", required=True)
@session_scope
def limits_show(session, office_code):
    """Print an office's limits and calendar."""
    _show_limits(session, org.office_by_code(session, office_code))


def _show_limits(session, office):
    offs = calendar.parse_weekly_offs(office.weekly_offs)
    click.echo(f"{office.code}: default {office.limit_days} working days; weekly offs "
               f"{', '.join(calendar.WEEKDAYS[d] for d in sorted(offs)) or 'none'}; "
               f"grace {office.grace_days} working days between levels; zone {office.timezone}")
    by_priority = limits.priority_limits(session, office)
    for priority in PRIORITIES:
        if priority in by_priority:
            click.echo(f"  {priority}: {by_priority[priority]} working days")


@click.group("holiday")
def holiday_group():
    """An office's holidays (besides its weekly offs)."""


@holiday_group.command("add")
@click.argument("day")
@click.argument("name")
@click.option("--office", "office_code", required=True)
@session_scope
def holiday_add(session, day, name, office_code):
    """Add a holiday: DAY as YYYY-MM-DD, NAME as it appears in the office's list."""
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        raise Fail(f"'{day}' is not a date; write YYYY-MM-DD") from None
    office = org.office_by_code(session, office_code)
    calendar.add_holiday(session, office, parsed, name)
    click.echo(f"{office.code}: {parsed:%d-%m-%Y} {name}")


@holiday_group.command("import")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--office", "office_code", required=True)
@click.option("--dry-run", is_flag=True, help="report what would be imported; write nothing")
@session_scope
def holiday_import(session, path, office_code, dry_run):
    """Import holidays from a CSV file of date,name lines."""
    data = read_bytes(path)
    office = org.office_by_code(session, office_code)
    try:
        report = calendar.import_holidays(session, office, data, dry_run=dry_run)
    except InvalidInput as exc:
        raise Fail(f"{path}: {exc}; nothing was imported") from None
    for line, problem in report.problems:
        click.echo(f"{path}:{line}: {problem}")
    verb = "would import" if dry_run else "imported"
    click.echo(f"{office.code}: {verb} {len(report.added)} holiday(s); "
               f"{len(report.problems)} line(s) refused")


@holiday_group.command("list")
@click.option("--office", "office_code", required=True)
@click.option("--year", type=int, default=None)
@session_scope
def holiday_list(session, office_code, year):
    """List an office's holidays."""
    for holiday in calendar.holidays_of(session, org.office_by_code(session, office_code), year):
        click.echo(f"{holiday.day:%d-%m-%Y} {holiday.day:%a}  {holiday.name}")


@click.command("outbox")
@click.option("--status", default=None, help="queued, sending, sent or failed")
@click.option("--retry", "retry_id", type=int, default=None, help="queue this mail again")
@session_scope
def outbox_command(session, status, retry_id):
    """List the mail outbox (newest first), or queue a failed mail again."""
    now = utcnow()
    if retry_id is not None:
        outbox.retry(session, retry_id, None, now)
        click.echo(f"mail {retry_id} queued again")
        return
    office_ids = list(session.scalars(select(Post.office_id).distinct()))
    for mail in outbox.mails(session, office_ids, status):
        click.echo(f"{mail.id:6} {mail.status:7} {ist(mail.created_at)}  {mail.to_addrs}  "
                   f"{mail.subject[:60]}" + (f"\n       {mail.last_error}" if mail.last_error
                                              else ""))


COMMANDS = (escalate, limits_group, holiday_group, outbox_command)
FILE_COMMANDS = ()
