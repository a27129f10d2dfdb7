"""``sanchika init`` and ``sanchika demo``: the database's schema and the demo offices."""

import click
from sqlalchemy.exc import OperationalError, ProgrammingError

from workflows.audit import keys
from workflows.db import database_url, make_engine, roles, schema
from workflows.errors import SanchikaError

from .checkpoints import make_signing_key
from .common import Fail, database_message, session_scope


@click.command()
def init():
    """Create the database or bring it to the newest schema, and make the key that signs the
    audit chain's checkpoints if there is none.  On PostgreSQL the migrations run as the
    tables' owner (SANCHIKA_OWNER_DATABASE_URL) and the application's role
    (SANCHIKA_DATABASE_URL) is granted what it needs, no more; a role that could switch off
    the guards of the record (a superuser, one owning tables) is refused."""
    db = make_engine(roles.owner_url())
    try:
        role = roles.prepare(db, database_url(), migrate=schema.migrate)
        click.echo(f"database ready at revision {schema.current_revision(db)}: "
                   f"{db.url.render_as_string(hide_password=True)}")
    except SanchikaError as exc:
        raise Fail(str(exc)) from None
    except (OperationalError, ProgrammingError) as exc:
        raise Fail(database_message(exc)) from None
    finally:
        db.dispose()
    if role is not None:
        click.echo(f"the application's role {role} may read and write rows as the application "
                   "does, and owns nothing")
    _signing_key()


def _signing_key():
    path = keys.key_path()
    if not path.exists():
        make_signing_key(path)


@click.command()
@click.option("--signing", "signing", multiple=True, metavar="OFFICE",
              help="give this demo office a signing authority too (repeat for each)")
@session_scope
def demo(session, signing):
    """Load the demo offices of Saran district (running it again changes nothing)."""
    from workflows import org
    from workflows.demo import DEMO_PASSWORD, load_demo
    from workflows.signing import authority
    created = load_demo(session)
    for code in signing:
        office = org.office_by_code(session, code)
        if authority.authority_of(session, office.id) is None:
            authority.create_authority(session, None, office)
            created.append(f"signing authority of {office.code}")
    for line in created:
        click.echo(f"created {line}")
    click.echo(f"demo ready ({len(created)} new items); every demo login's password is "
               f"'{DEMO_PASSWORD}'")


COMMANDS = (init, demo)
FILE_COMMANDS = ()
