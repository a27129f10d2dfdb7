"""``sanchika check-route``, ``deploy-route`` and ``routes``: BPMN routes and their versions."""

import sys
from pathlib import Path

import click

import engine
from workflows import org
from workflows.routes import routing

from .common import read_bytes, session_scope


@click.command("check-route")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
def check_route(files):
    """Check BPMN files; print OK or each problem. Exit 1 if any is not valid."""
    bad = False
    for name in files:
        try:
            data = Path(name).read_bytes()
        except OSError as exc:
            click.echo(f"{name}: cannot be read: {exc.strerror}")
            bad = True
            continue
        problems = engine.check_route(data)
        if not problems:
            click.echo(f"OK {name}")
        for problem in problems:
            click.echo(f"{name}: {problem}")
        bad = bad or bool(problems)
    sys.exit(1 if bad else 0)


@click.command("deploy-route")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--office", "office_code", required=True, help="office code, e.g. SADAR")
@session_scope
def deploy_route(session, path, office_code):
    """Check and publish a new version of a route in an office."""
    office = org.office_by_code(session, office_code)
    version = routing.deploy_route(session, office, read_bytes(path))
    click.echo(f"{version.route.key} version {version.version} published in {office.code}")


@click.command()
@session_scope
def routes(session):
    """List routes and their versions."""
    rows = routing.list_routes(session)
    if not rows:
        click.echo("no routes yet; publish one with 'sanchika deploy-route'")
    for route, count, latest in rows:
        click.echo(f"{route.office.code:8} {route.key:20} v{latest:<3} ({count} version"
                   f"{'s' if count != 1 else ''})  {route.name}")


COMMANDS = (check_route, deploy_route, routes)
FILE_COMMANDS = ()
