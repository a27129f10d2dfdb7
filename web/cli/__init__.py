"""The ``sanchika`` command: everything an administrator or a script needs.

Each command is one transaction.  A mistake (a wrong login, a choice the route does not offer,
a file held by someone else) prints one line and exits 1, never a traceback.

The commands live in modules by concern; each lists its commands in ``COMMANDS`` (put on the
``sanchika`` group) and ``FILE_COMMANDS`` (put on ``sanchika file``), and this package is the
only place that puts them there.  No module of the package imports it back.
"""

import click

from . import (checkpoints, database, drafts, escalation, files, receipts, records, routes,
               serving, signing, tokens)

MODULES = (database, routes, files, receipts, drafts, escalation, records, checkpoints, tokens,
           signing, serving)


@click.group()
def main():
    """Sanchika e-Office: files on digital tracks."""


@main.group("file")
def file_group():
    """Open, move and look at files."""


def _register():
    for module in MODULES:
        for command in module.COMMANDS:
            main.add_command(command)
        for command in module.FILE_COMMANDS:
            file_group.add_command(command)


_register()
