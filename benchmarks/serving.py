"""Shared by the load benchmark and the fault test: a gunicorn on loopback over a database, and
files for an official to act on."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from sqlalchemy.orm import Session

from workflows import org
from workflows.files import filing
from workflows.org import tokens
from workflows.db import make_engine

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(url, port, workers=4, instance=None, log=None, threads=1):
    """gunicorn serving web.wsgi:app in its own process group (so it can be killed whole);
    with ``threads`` over 1, gthread workers of that many threads each."""
    env = dict(os.environ, SANCHIKA_DATABASE_URL=url, SANCHIKA_SECRET_KEY="bench",
               PYTHONPATH=str(ROOT))
    if instance:
        env["SANCHIKA_ATTACHMENTS"] = str(Path(instance) / "store")
    threaded = ["-k", "gthread", "--threads", str(threads)] if threads > 1 else []
    process = subprocess.Popen(
        [str(GUNICORN), "-w", str(workers), *threaded, "-b", f"127.0.0.1:{port}",
         "--graceful-timeout", "2", "--timeout", "60", "web.wsgi:app"], cwd=ROOT, env=env, start_new_session=True,
        stdout=log or subprocess.DEVNULL, stderr=log or subprocess.DEVNULL)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=2)
            return process
        except OSError:
            if process.poll() is not None:
                raise RuntimeError("gunicorn exited at start") from None
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer within 30 s")


def files_for(url, login, count, route="land_mutation", office="SADAR"):
    """Open ``count`` files held by ``login``; return (their ids, a token for ``login``)."""
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session, session.begin():
        user = org.user_by_login(session, login)
        place = org.office_by_code(session, office)
        ids = [filing.open_file(session, office=place, user=user, route_key=route,
                                subject=f"Load test file {i}").id for i in range(count)]
        _row, token = tokens.create_token(session, user, "load")
    engine.dispose()
    return ids, token
