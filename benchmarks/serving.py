"""Shared by the load benchmark and the fault test: a gunicorn on loopback over a database, and
officials with files to act on."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from sqlalchemy.orm import Session

from workflows import clock, org
from workflows.files import filing
from workflows.org import tokens
from workflows.db import make_engine

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(url, port, workers=4, instance=None, log=None):
    """gunicorn serving web.wsgi:app in its own process group (so it can be killed whole)."""
    env = dict(os.environ, SANCHIKA_DATABASE_URL=url, SANCHIKA_SECRET_KEY="bench",
               PYTHONPATH=str(ROOT))
    if instance:
        env["SANCHIKA_ATTACHMENTS"] = str(Path(instance) / "store")
    process = subprocess.Popen(
        [str(GUNICORN), "-w", str(workers), "-b", f"127.0.0.1:{port}", "--graceful-timeout", "2",
         "--timeout", "60", "web.wsgi:app"], cwd=ROOT, env=env, start_new_session=True,
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


def officials_for(url, count, files_each, office="SADAR", section="REV"):
    """``count`` Revenue Karmacharis of their own (login load.NNN, the demo password), each
    holding a post of their own with ``files_each`` files waiting; return
    [(login, token, file ids)]."""
    from datetime import timedelta
    from workflows.demo import DEMO_PASSWORD
    from workflows.models import Post, PostHolding, User
    engine = make_engine(url)
    result = []
    with Session(engine, expire_on_commit=False) as session, session.begin():
        place = org.office_by_code(session, office)
        rev = org.section_by_code(session, place, section)
        password = org.hash_password(DEMO_PASSWORD)
        for i in range(count):
            login = f"load.{i:03d}"
            user = User(login=login, name=f"Load Official {i}", password_hash=password)
            post = Post(office_id=place.id, section_id=rev.id, code=f"RK-L{i}",
                        title=f"Revenue Karmachari, load {i}", role="Revenue Karmachari")
            session.add_all([user, post])
            session.flush()
            session.add(PostHolding(post_id=post.id, user_id=user.id, kind="regular",
                                    from_date=clock.today() - timedelta(days=1)))
            ids = [filing.open_file(session, office=place, user=user, route_key="land_mutation",
                                    subject=f"Load test file {i}.{j}").id
                   for j in range(files_each)]
            _row, token = tokens.create_token(session, user, "load")
            result.append((login, token, ids))
    engine.dispose()
    return result
