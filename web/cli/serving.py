"""``sanchika serve`` and ``sanchika scheduler``: the processes that run Sanchika."""

import ipaddress
import os
import socket

import click

from workflows.mail import notices, outbox

from workflows.deadlines import scheduler
from workflows.db import make_engine, make_sessionmaker
from workflows.errors import SanchikaError

from .common import Fail


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@click.option("--no-scheduler", is_flag=True,
              help="do not run the escalation and mail jobs here (run 'sanchika scheduler')")
def serve(host, port, threads, no_scheduler):
    """Serve the web app on a production WSGI server (waitress), with the scheduler."""
    from waitress import serve as waitress_serve
    from web import create_app
    _checkpoint_every()
    record_address(host, port)
    app = create_app()
    if not no_scheduler:
        scheduler.start_background(app.extensions["sanchika.sessionmaker"],
                                   lambda: outbox.transport_from_settings(app.config,
                                                                          app.instance_path))
    if app.config["SECOND_FACTOR_EXEMPT"]:
        click.echo("warning: signing in without a second factor: "
                   + ", ".join(app.config["SECOND_FACTOR_EXEMPT"])
                   + " (SANCHIKA_SECOND_FACTOR_EXEMPT; for a demo only)", err=True)
    click.echo(f"Sanchika serving on http://{host}:{port}/  (Ctrl+C to stop)")
    waitress_serve(app, host=host, port=port, threads=threads, ident="Sanchika")


@click.command("scheduler")
def scheduler_command():
    """Run the escalation and mail jobs in this process (with several web workers)."""
    every = _checkpoint_every()
    if not os.environ.get("SANCHIKA_BASE_URL"):
        click.echo("warning: SANCHIKA_BASE_URL is not set; links in escalation mail will "
                   f"start with {notices.DEFAULT_BASE_URL}", err=True)
    db = make_engine()
    click.echo(f"Sanchika scheduler: escalation and mail every {scheduler.INTERVAL} s, "
               f"a signed checkpoint every {every} s (Ctrl+C to stop)")
    try:
        scheduler.run_blocking(make_sessionmaker(db), outbox.transport_from_settings)
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        db.dispose()


def record_address(host, port):
    """Mail sent by this process links to the address it serves on, unless SANCHIKA_BASE_URL
    names another (a proxy's)."""
    if os.environ.get("SANCHIKA_BASE_URL"):
        return
    if not host or _unspecified(host):  # every interface: the machine's name reaches it
        host = socket.getfqdn()
    elif ":" in host:
        host = f"[{host}]"
    os.environ["SANCHIKA_BASE_URL"] = f"http://{host}:{port}"


def _unspecified(host):
    try:
        return ipaddress.ip_address(host).is_unspecified
    except ValueError:  # a name
        return False


def _checkpoint_every():
    try:
        return scheduler.checkpoint_interval()
    except SanchikaError as exc:
        raise Fail(str(exc)) from None


COMMANDS = (serve, scheduler_command)
FILE_COMMANDS = ()
