"""``sanchika init`` and ``sanchika demo``: the database's schema and the demo offices."""

import click
from sqlalchemy.exc import OperationalError

from workflows.audit import keys
from workflows.db import schema
from workflows.db import make_engine
from workflows.errors import SanchikaError

from .common import Fail, database_message, session_scope


@click.command()
def init():
    """Create the database or bring it to the newest schema, and make the key that signs the
    audit chain's checkpoints if there is none."""
    db = make_engine()
    try:
        schema.upgrade(db)
        click.echo(f"database ready at revision {schema.current_revision(db)}: "
                   f"{db.url.render_as_string(hide_password=True)}")
    except OperationalError as exc:
        raise Fail(database_message(exc)) from None
    finally:
        db.dispose()
    _signing_key()


def _signing_key():
    path = keys.key_path()
    if path.exists():
        return
    try:
        public = keys.new_key(path)
    except SanchikaError as exc:
        raise Fail(str(exc)) from None
    click.echo(f"signing key {public.key_id} made at {path} (readable by its owner only); "
               f"its public key is in {keys.keyring_path(path)}: keep a copy elsewhere")


@click.command()
@session_scope
def demo(session):
    """Load the demo offices of Saran district (running it again changes nothing)."""
    from workflows.demo import DEMO_PASSWORD, load_demo
    created = load_demo(session)
    for line in created:
        click.echo(f"created {line}")
    click.echo(f"demo ready ({len(created)} new items); every demo login's password is "
               f"'{DEMO_PASSWORD}'")


COMMANDS = (init, demo)
FILE_COMMANDS = ()
