"""``sanchika receipt ...``: incoming letters diarised, listed while they wait, put into files."""

from pathlib import Path

import click

from workflows.files import attachments, receipts

from workflows import org
from workflows.models import MODES, PRIORITIES

from .common import Fail, read_bytes, session_scope


@click.group("receipt")
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
@session_scope
def receipt_diarise(session, office_code, login, subject, sender, address, letter_number,
                    letter_date, received_on, mode, scan):
    """Diarise an incoming letter; prints its receipt number."""
    document = (Path(scan).name, read_bytes(scan)) if scan else None
    receipt = receipts.diarise_receipt(
        session, office=org.office_by_code(session, office_code),
        user=org.user_by_login(session, login), subject=subject, sender=sender,
        sender_address=address, letter_number=letter_number, letter_date=letter_date,
        received_on=received_on, mode=mode, document=document,
        store=attachments.default_store())
    click.echo(receipt.number)


@receipt_group.command("pending")
@click.option("--as", "login", required=True)
@session_scope
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
@session_scope
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


COMMANDS = (receipt_group,)
FILE_COMMANDS = ()
