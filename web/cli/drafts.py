"""``sanchika file draft`` and ``sanchika draft ...``: letters and orders drafted on a file,
approved and issued."""

import click

from workflows.files import drafts

from workflows import org
from workflows.models import DRAFT_KINDS

from .common import session_scope


@click.command("draft")
@click.argument("number")
@click.option("--as", "login", required=True)
@click.option("--kind", required=True, type=click.Choice(list(DRAFT_KINDS)))
@click.option("--title", required=True)
@click.option("--text", "body", required=True, help="the text of the letter or order")
@session_scope
def file_draft(session, number, login, kind, title, body):
    """Start a draft letter or order on a file you hold; prints the draft's id."""
    draft = drafts.create_draft(session, number=number, user=org.user_by_login(session, login),
                                kind=kind, title=title, body=body)
    click.echo(f"{number}: draft {draft.id} ({draft.kind}) version 1")


@click.group("draft")
def draft_group():
    """Drafts on files: approve a version and issue it."""


@draft_group.command("approve")
@click.argument("draft_id", type=int)
@click.option("--version", required=True, type=int)
@click.option("--as", "login", required=True)
@session_scope
def draft_approve(session, draft_id, version, login):
    """Approve one version of a draft on a file you hold."""
    drafts.approve_draft(session, draft_id=draft_id, version=version,
                         user=org.user_by_login(session, login))
    click.echo(f"draft {draft_id}: version {version} approved")


@draft_group.command("issue")
@click.argument("draft_id", type=int)
@click.option("--as", "login", required=True)
@session_scope
def draft_issue(session, draft_id, login):
    """Issue an approved draft; prints its issue number."""
    draft = drafts.issue_draft(session, draft_id=draft_id, user=org.user_by_login(session, login))
    click.echo(draft.issue_number)


COMMANDS = (draft_group,)
FILE_COMMANDS = (file_draft,)
