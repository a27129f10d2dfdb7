"""``sanchika checkpoint`` and ``sanchika keys``: the audit chain's head signed with a key kept
outside the database, copies of the checkpoints for a second place, and the keys themselves;
and what ``sanchika verify`` says of the checkpoints."""

from pathlib import Path

import click

from workflows.audit import checkpoints, keys
from workflows.db import make_engine, make_sessionmaker
from workflows.errors import SanchikaError

from .common import Fail, ist


@click.command("checkpoint")
@click.option("--export", "folder", default=None, type=click.Path(file_okay=False),
              help="also append every checkpoint not yet there to DIR/checkpoints.jsonl, with "
                   "the public keys in DIR/public-keys.pem (a second place: another office, "
                   "the district)")
def checkpoint_command(folder):
    """Sign the audit chain's head now (after walking the chain from the last checkpoint)."""
    path = keys.key_path()
    db = make_engine()
    try:
        sessions = make_sessionmaker(db)
        signer = keys.load_signer(path)
        with checkpoints.snapshot(sessions) as session:
            row = checkpoints.make_checkpoint(session, signer, keys.public_keys(path))
        click.echo(f"checkpoint {row.id}: event {row.seq}, hash {row.hash}, signed "
                   f"{ist(row.at)} with key {row.key_id}")
        if folder:
            with sessions() as session:
                there, added, total = checkpoints.export(session, Path(folder),
                                                         keys.public_keys(path), signer.key_id)
            click.echo(f"exported to {there}: {added} new, {total} in all")
    except SanchikaError as exc:
        raise Fail(str(exc)) from None
    finally:
        db.dispose()


@click.group("keys")
def keys_group():
    """The key that signs the audit chain's checkpoints (SANCHIKA_SIGNING_KEY, or
    instance/signing.key), kept outside the database."""


@keys_group.command("new")
def keys_new():
    """Make the signing key (refused if there is one: rotate it instead)."""
    make_signing_key(keys.key_path())


def make_signing_key(path):
    """Make the signing key at ``path`` and say where it and its public key are (``init``
    makes it too, when there is none)."""
    try:
        public = keys.new_key(path)
    except SanchikaError as exc:
        raise Fail(str(exc)) from None
    click.echo(f"signing key {public.key_id} made at {path} (readable by its owner only); "
               f"its public key is in {keys.keyring_path(path)}: keep a copy elsewhere")


@keys_group.command("show")
def keys_show():
    """Print the public keys (the current one first, then those rotated out), as PEM: what
    'sanchika verify --public-key' reads."""
    path = keys.key_path()
    try:
        current = keys.load_signer(path).key_id
        found = keys.public_keys(path)
    except SanchikaError as exc:
        raise Fail(str(exc)) from None
    found.sort(key=lambda k: k.key_id != current)
    click.echo(keys.keyring_text(found, current), nl=False)


@keys_group.command("rotate")
def keys_rotate():
    """Replace the signing key by a new one; the old public key is kept, so that the
    checkpoints it signed still verify."""
    path = keys.key_path()
    try:
        old, new = keys.rotate_key(path)
    except SanchikaError as exc:
        raise Fail(str(exc)) from None
    click.echo(f"signing key {new.key_id} replaces {old.key_id} at {path}; {old.key_id}'s "
               f"public key is kept in {keys.keyring_path(path)}")


def read_checks(exported, public_key):
    """What ``verify`` checks the checkpoints with, read before the database is opened so
    that a bad file is told at once: (exported checkpoints or None, keys, where from)."""
    try:
        if public_key:
            found, where = keys.read_public_keys(Path(public_key)), public_key
        else:
            path = keys.key_path()
            found, where = keys.public_keys(path), str(keys.keyring_path(path))
        copy = checkpoints.read_export(Path(exported)) if exported else None
    except SanchikaError as exc:
        raise Fail(str(exc)) from None
    return copy, found, where


def check_all(session, copy, found, where):
    """The stored checkpoints, and the exported copy if given, held against their signatures
    and the chain: [(label, Report)]."""
    sets = [("stored checkpoints", checkpoints.stored(session))]
    if copy is not None:
        sets.append(("exported checkpoints", copy))
    return [(label, checkpoints.check(session, signed, found, where))
            for label, signed in sets]


def tell_checks(checked):
    """What holds to stdout, what does not to stderr."""
    for label, report in checked:
        for problem in report.problems:
            click.echo(f"{label}: BROKEN: {problem}", err=True)
        if not report.checked:
            click.echo(f"{label}: none (the scheduler signs the chain's head every few "
                       "minutes; 'sanchika checkpoint' signs it now)")
        elif report.ok:
            last = report.vouched
            click.echo(f"{label}: {report.checked} signed, all hold; the last vouches for "
                       f"event {last.seq}, signed {ist(last.at)} with key {last.key_id}")


COMMANDS = (checkpoint_command, keys_group)
FILE_COMMANDS = ()
