"""The server killed with SIGKILL while officials act through it, then restarted: every action
it acknowledged is in the track exactly once, no file is half-moved, and the audit chain
verifies.  PostgreSQL, gunicorn with 4 workers, about 20 s."""

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from serving import GUNICORN, ROOT, files_for, free_port, start_gunicorn

from workflows.db import make_engine
from workflows.models import File, Movement, Task

pytestmark = pytest.mark.slow


def act(port, token, file_id, choice):
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/files/{file_id}/act", method="POST",
        data=json.dumps({"choice": choice}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=20) as response:
        return response.status, json.loads(response.read())


def worker(port, token, queue, choice, acknowledged, lock, handoff=None):
    while True:
        with lock:
            if not queue:
                return
            file_id = queue.pop()
        try:
            status, body = act(port, token, file_id, choice)
        except (OSError, http.client.HTTPException):  # HTTPError is an OSError
            continue  # refused, or cut off by the kill (even mid-answer): not acknowledged
        if status == 200 and any(m["choice"] == choice for m in body["track"]):
            with lock:
                acknowledged.append((file_id, choice))
                if handoff is not None:
                    handoff.append(file_id)


@pytest.mark.parametrize("empty_db", ["postgresql"], indirect=True)
def test_sigkill_mid_load_loses_no_acknowledged_action(demo_db, tmp_path):
    url = demo_db
    manoj_files, manoj = files_for(url, "manoj.yadav", 160)
    _none, rajesh = files_for(url, "rajesh.prasad", 0)
    port = free_port()
    server = start_gunicorn(url, port, instance=tmp_path)
    acknowledged, lock, submitted = [], threading.Lock(), []
    threads = [threading.Thread(target=worker, args=(port, manoj, manoj_files, "Submit report",
                                                     acknowledged, lock, submitted))
               for _ in range(6)]
    threads += [threading.Thread(target=worker, args=(port, rajesh, submitted, "Forward",
                                                      acknowledged, lock))
                for _ in range(2)]
    try:
        for t in threads:
            t.start()
        deadline = time.time() + 15
        while len(acknowledged) < 40 and time.time() < deadline:
            time.sleep(0.05)
        os.killpg(server.pid, signal.SIGKILL)  # master and workers at once, mid-load
        server.wait(timeout=10)
        with lock:
            manoj_files.clear(), submitted.clear()
        for t in threads:
            t.join(timeout=30)
        seen = list(acknowledged)
        assert len(seen) >= 40, "the load never got going"
        server = start_gunicorn(url, port, instance=tmp_path)  # it comes back up
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
    engine = make_engine(url)
    with Session(engine) as session:
        for file_id, choice in seen:
            count = session.scalar(select(func.count()).select_from(Movement).where(
                Movement.file_id == file_id, Movement.kind == "act", Movement.choice == choice))
            assert count == 1, (file_id, choice, count)
        for file in session.scalars(select(File)):
            last = session.scalar(select(Movement).where(Movement.file_id == file.id)
                                  .order_by(Movement.id.desc()).limit(1))
            waiting = list(session.scalars(select(Task).where(Task.file_id == file.id,
                                                              Task.done_at.is_(None))))
            if file.status == "open":
                # each open task (each part of a file in parts) was placed by a movement to
                # its post at the moment it arrived; a file in one piece lies where the last
                # movement sent it
                placed = {(m.to_post_id, m.at) for m in session.scalars(
                    select(Movement).where(Movement.file_id == file.id))}
                assert all((t.post_id, t.since) in placed for t in waiting), file.number
                if len(waiting) == 1 and last.kind == "act" and last.to_post_id is not None:
                    assert [t.post_id for t in waiting] == [last.to_post_id], file.number
    engine.dispose()
    verify = subprocess.run([str(GUNICORN.parent / "sanchika"), "verify"], cwd=ROOT,
                            env=dict(os.environ, SANCHIKA_DATABASE_URL=url),
                            capture_output=True, text=True, timeout=120)
    if "No such command" not in verify.stderr:
        assert verify.returncode == 0, verify.stdout + verify.stderr
