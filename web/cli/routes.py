"""``sanchika check-route``, ``deploy-route`` and ``routes``: BPMN routes and their versions."""

import sys
from pathlib import Path

import click

import engine
from workflows import org
from workflows.routes import publishing, routing

from .common import Fail, read_bytes, session_scope


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


@click.command("move-files")
@click.argument("key")
@click.option("--office", "office_code", required=True, help="office code, e.g. DDMO")
@click.option("--from", "source_no", required=True, type=int, help="the older version")
@click.option("--as", "login", required=True, help="login of an administrator of the office")
@click.option("--dry-run", is_flag=True, help="only say which files would move and why not")
@session_scope
def move_files(session, key, office_code, source_no, login, dry_run):
    """Move the open files of an older version of a route to its newest version; a file in
    parts moves only if every open part has its step there (the dry run names those that
    have not)."""
    office = org.office_by_code(session, office_code)
    user = org.user_by_login(session, login)
    route = routing.route_by_key(session, office, key)
    source = publishing.version_of(session, route, source_no)
    target = publishing.latest(session, route)
    if target is None or source.version >= target.version:
        raise Fail(f"version {source_no} of {key} is its newest; there is nowhere to move to")
    if dry_run:
        publishing.route_of(session, route.id, user)  # an administrator's dry run only
        plan = publishing.plan_move(session, source, target)
    else:
        plan = publishing.move_files(session, source, target, user)
    verb = "would move" if dry_run else "moved"
    for item in plan:
        said = verb if item.can_move else f"stays: {item.reason}"
        click.echo(f"{item.number}  [{' | '.join(item.parts) or item.step_name}]  {said}")
    moved = sum(1 for p in plan if p.can_move)
    click.echo(f"{moved} of {len(plan)} open files {verb} from version {source.version} to "
               f"{target.version}" + (" (dry run: nothing moved)" if dry_run else ""))


COMMANDS = (check_route, deploy_route, routes, move_files)
FILE_COMMANDS = ()
