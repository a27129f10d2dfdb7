"""``sanchika verify``, ``backup``, ``restore``, closing and recording files with their
retention category, and the record room's list of files due for review."""

import json
import sys
from datetime import date

import click

from workflows import audit, clock, org
from workflows.db import backup as backups
from workflows.files import filing, records
from workflows.audit.rereading import Finding, adopt, reread
from workflows.files.attachments import blob_path, default_store
from workflows.audit import keys
from workflows.db import database_url, make_engine, make_sessionmaker, roles
from workflows.errors import SanchikaError
from workflows.models import RETENTION
from workflows.signing import notes as signatures, orders as signed_orders

from .checkpoints import check_all, read_checks, tell_checks
from .common import Fail, session_scope

RETENTION_HELP = "A or B: kept for good, reviewed after 25 years; C: kept --keep-years (1-10)"


@click.command()
@click.option("--anchor", default=None, metavar="SEQ:HASH|MANIFEST",
              help="an earlier head of the chain (or a backup's manifest.json) that must still "
                   "be in it")
@click.option("--since", default=0, type=click.IntRange(min=0), metavar="SEQ",
              help="compare only the records chained at or after event SEQ (rows the chain "
                   "never saw are always named)")
@click.option("--progress/--no-progress", default=None,
              help="say how far the reading has come (default: when stderr is a terminal)")
@click.option("--checkpoints", "exported", default=None, type=click.Path(dir_okay=False),
              metavar="FILE", help="an exported copy of the checkpoints (checkpoints.jsonl) "
                                   "to hold the chain against as well")
@click.option("--public-key", default=None, type=click.Path(dir_okay=False), metavar="FILE",
              help="the public key(s) to check the checkpoints' signatures with (default: "
                   "those kept beside the signing key)")
def verify(anchor, since, progress, exported, public_key):
    """Walk the audit chain, check its signed checkpoints (a chain rewritten or cut short
    after one is named by it), then read the record again (notes, movements, tasks,
    documents on disk, drafts, receipts, posts and who holds them) and name every row that
    differs from what was chained; check the signature of every signed note paragraph and
    every issued order's signed PDF.
    Exit 1 on any finding."""
    anchor = _anchor(anchor)
    copy, found, where = read_checks(exported, public_key)
    if progress is None:
        progress = sys.stderr.isatty()
    tell = (lambda message: click.echo(message, err=True)) if progress else None
    store = default_store()
    db = make_engine()
    try:
        with make_sessionmaker(db)() as session:
            verdict = audit.verify(session, anchor=anchor)
            checked = check_all(session, copy, found, where)
            findings = reread(session, read_document=lambda sha: _document(store, sha),
                              since=since, progress=tell)
            findings += [Finding(*found) for found in signatures.check(session)]
            findings += [Finding(*found) for found in
                         signed_orders.check(session, lambda sha: _document(store, sha))]
    finally:
        db.dispose()
    _tell(verdict, checked, findings)
    if findings or not verdict.ok or not all(report.ok for _, report in checked):
        sys.exit(1)


def _tell(verdict, checked, findings):
    if not verdict.ok:
        click.echo(f"audit chain BROKEN at {verdict.problem}", err=True)
        click.echo(f"({verdict.events} events read; the chain is sound up to seq "
                   f"{verdict.last_seq})", err=True)
    else:
        click.echo(f"audit chain intact: {verdict.events} events, last seq {verdict.last_seq}, "
                   f"hash {verdict.last_hash}")
    tell_checks(checked)
    for finding in findings:
        click.echo(f"record differs: {finding}", err=True)
    if findings:
        click.echo(f"{len(findings)} record(s) differ from the chain", err=True)
    else:
        click.echo("record intact: every row of the record matches the chain")


@click.command("chain-record")
def chain_record():
    """Chain the rows of the record the audit chain has never seen: once, after upgrading a
    database from a release whose chain did not cover the record (it trusts what it finds)."""
    db = make_engine()
    try:
        count = adopt(make_sessionmaker(db))
    finally:
        db.dispose()
    click.echo(f"{count} row(s) of the record chained")


def _document(store, sha):
    try:
        return blob_path(store, sha).read_bytes()
    except OSError:
        return None


def _anchor(value):
    if not value:
        return None
    if value.endswith(".json"):
        try:
            data = json.loads(open(value).read())
        except (OSError, ValueError) as exc:
            raise Fail(f"{value} cannot be read: {exc}") from None
        return (data["audit_seq"], data["audit_hash"]) if data.get("audit_seq") else None
    seq, _, digest = value.partition(":")
    if not seq.isdigit() or len(digest) != 64:
        raise Fail("give the anchor as SEQ:HASH (64 hex digits) or a manifest.json")
    return int(seq), digest


@click.command("backup")
@click.argument("dest", type=click.Path(file_okay=False))
def backup_command(dest):
    """Copy the database and the documents into DEST while Sanchika runs."""
    try:
        manifest = backups.backup(database_url(), dest, default_store(),
                                  signing_key=keys.key_path())
    except SanchikaError as exc:
        raise Fail(str(exc)) from None
    if manifest.get("checkpoint_refused"):
        click.echo(f"warning: the backup has no signed checkpoint: "
                   f"{manifest['checkpoint_refused']}", err=True)
    click.echo(f"backup of the {manifest['database']} database (revision "
               f"{manifest['revision']}) in {dest}: {manifest['counts']['files']} files, "
               f"{manifest['counts']['audit_events']} audit events, {manifest['documents']} "
               f"documents ({manifest['documents_copied']} new); audit head "
               f"{manifest['audit_seq']}:{manifest['audit_hash']}"
               + (f", signed with key {manifest['checkpoint']['key_id']}"
                  if manifest.get("checkpoint") else ""))


@click.command("restore")
@click.argument("src", type=click.Path(file_okay=False, exists=True))
@click.option("--force", is_flag=True, help="replace a database that already holds data")
def restore_command(src, force):
    """Bring a backup made by 'sanchika backup' into the configured database and document
    store, then verify its audit chain."""
    owner = make_engine(roles.owner_url())
    try:
        manifest = backups.restore(src, roles.owner_url(), default_store(), force=force)
        if roles.two_roles():  # PostgreSQL: the application's grants, made again
            roles.prepare(owner, database_url())
    except SanchikaError as exc:
        raise Fail(str(exc)) from None
    finally:
        owner.dispose()
    db = make_engine()
    try:
        with make_sessionmaker(db)() as session:
            verdict = audit.verify(session, anchor=(manifest["audit_seq"], manifest["audit_hash"])
                                   if manifest.get("audit_seq") else None)
    finally:
        db.dispose()
    if not verdict.ok:
        raise Fail(f"restored, but the audit chain is BROKEN at {verdict.problem}")
    click.echo(f"restored {src} (made {manifest['made_at']}); audit chain intact: "
               f"{verdict.events} events, last seq {verdict.last_seq}")


@click.command("close")
@click.argument("number")
@click.option("--as", "login", required=True)
@click.option("--retention", required=True, type=click.Choice(RETENTION, case_sensitive=False),
              help=RETENTION_HELP)
@click.option("--keep-years", type=int, default=None, help="years a C file is kept (default 10)")
@click.option("--remark", default="")
@session_scope
def file_close(session, number, login, retention, keep_years, remark):
    """Close a file (its holder at a step where its route may end, or the head of office with
    a --remark giving the reason) and record its retention category."""
    file = filing.close(session, number=number, user=org.user_by_login(session, login),
                        retention=retention, keep_years=keep_years, remark=remark)
    click.echo(f"{file.number}: closed, category {file.retention}, review on "
               f"{file.review_on:%d-%m-%Y}")


@click.command("record")
@click.argument("number")
@click.option("--as", "login", required=True)
@click.option("--retention", required=True, type=click.Choice(RETENTION, case_sensitive=False),
              help=RETENTION_HELP)
@click.option("--keep-years", type=int, default=None, help="years a C file is kept (default 10)")
@session_scope
def file_record(session, number, login, retention, keep_years):
    """Record a file whose route has ended in its retention category."""
    file = records.record_file(session, number=number, user=org.user_by_login(session, login),
                               retention=retention, keep_years=keep_years)
    click.echo(f"{file.number}: recorded, category {file.retention}, review on "
               f"{file.review_on:%d-%m-%Y}")


@click.command("records")
@click.option("--as", "login", required=True, help="a head of office or administrator")
@click.option("--on", "on", default=None, help="due on or before YYYY-MM-DD (default today)")
@session_scope
def records_command(session, login, on):
    """The record room: closed files to be recorded, and files due for review."""
    offices = records.record_room_offices(session, org.user_by_login(session, login))
    if not offices:
        raise Fail("only a head of office or an administrator keeps a record room")
    try:
        day = date.fromisoformat(on) if on else clock.today()
    except ValueError:
        raise Fail("give the date as YYYY-MM-DD") from None
    for f in records.awaiting_record(session, offices):
        click.echo(f"to record  {f.number}  closed {f.closed_at:%d-%m-%Y}  {f.subject}")
    for f in records.due_for_review(session, offices, day):
        click.echo(f"review     {f.number}  category {f.retention}  review on "
                   f"{f.review_on:%d-%m-%Y}  {f.subject}")


COMMANDS = (verify, chain_record, backup_command, restore_command, records_command)
FILE_COMMANDS = (file_close, file_record)
