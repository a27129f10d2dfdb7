"""``sanchika token``: API tokens for scripts and other systems (a portal feeding files in)."""

import click

from workflows import org
from workflows.org import tokens

from .common import ist, session_scope


@click.group("token")
def token_group():
    """API tokens: a token acts with exactly the rights of its user."""


@token_group.command("create")
@click.option("--as", "login", required=True, help="login of the official the token acts as")
@click.option("--name", default="", help="what the token is for, e.g. 'RTPS portal'")
@session_scope
def token_create(session, login, name):
    """Make a token; it is printed once and never shown again."""
    row, token = tokens.create_token(session, org.user_by_login(session, login), name)
    click.echo(f"token {row.id} '{row.name}' for {login} (shown once; keep it secret):",
               err=True)
    click.echo(token)


@token_group.command("list")
@click.option("--as", "login", required=True)
@session_scope
def token_list(session, login):
    """A user's tokens, with when each was last used and whether it is revoked."""
    for row in tokens.tokens_of(session, org.user_by_login(session, login)):
        state = f"revoked {ist(row.revoked_at)}" if row.revoked_at else "live"
        used = ist(row.last_used_at) if row.last_used_at else "never used"
        click.echo(f"{row.id}\t{row.name}\t{state}\t{used}")


@token_group.command("revoke")
@click.argument("token_id", type=int)
@click.option("--as", "login", required=True)
@session_scope
def token_revoke(session, token_id, login):
    """Revoke one of the user's tokens."""
    tokens.revoke_token(session, org.user_by_login(session, login), token_id)
    click.echo(f"token {token_id} revoked")


COMMANDS = (token_group,)
FILE_COMMANDS = ()
