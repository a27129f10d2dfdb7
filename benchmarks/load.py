"""Load on loopback: N simulated officials at once against gunicorn (4 workers) on a fresh
PostgreSQL database.  Each official (a Revenue Karmachari of their own, with files at their
post) signs in to the pages, then loops: inbox page, open a file page, act on it through the
API.  Page times exclude the sign-in, which is timed on its own (argon2 is slow on purpose).  Prints p50/p95 page time, actions per second and errors (JSON with
--json).  Bounded by --run-time.

    .venv/bin/python benchmarks/load.py --users 200 --run-time 60
"""

import argparse
import http.cookiejar
import json
import re
import statistics
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from serving import free_port, officials_for, start_gunicorn  # noqa: E402

from workflows.db import schema  # noqa: E402
from workflows.db import make_engine  # noqa: E402
from workflows.demo import DEMO_PASSWORD, load_demo  # noqa: E402

ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def fresh_database(name):
    admin = create_engine(ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = ADMIN.rsplit("/", 1)[0] + "/" + name
    engine = make_engine(url)
    schema.upgrade(engine)
    with Session(engine) as session, session.begin():
        load_demo(session)
    engine.dispose()
    return url


def drop_database(name):
    admin = create_engine(ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


class Official(threading.Thread):
    """One simulated official: pages with a cookie jar, actions with a token."""

    def __init__(self, port, login, token, files, until, stats):
        super().__init__(daemon=True)
        self.base, self.login, self.token = f"http://127.0.0.1:{port}", login, token
        self.files, self.until, self.stats = files, until, stats
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def page(self, path, data=None, record=True):
        started = time.perf_counter()
        try:
            with self.opener.open(self.base + path, data=data, timeout=60) as response:
                body = response.read().decode()
            if record:
                self.stats["pages"].append(time.perf_counter() - started)
            return body
        except (OSError, urllib.error.HTTPError) as exc:
            self.stats["errors"].append(f"{path}: {exc}")
            return ""

    def run(self):
        form = self.page("/sign-in")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        if token is None:
            return
        started = time.perf_counter()
        self.page("/sign-in", urllib.parse.urlencode({
            "login": self.login, "password": DEMO_PASSWORD,
            "csrf_token": token.group(1)}).encode(), record=False)
        self.stats["sign_ins"].append(time.perf_counter() - started)
        while time.time() < self.until and self.files:
            self.page("/")
            file_id = self.files.pop()
            self.page(f"/files/{file_id}")
            started = time.perf_counter()
            request = urllib.request.Request(
                f"{self.base}/api/v1/files/{file_id}/act", method="POST",
                data=json.dumps({"choice": "Submit report"}).encode(),
                headers={"Authorization": f"Bearer {self.token}",
                         "Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=60) as response:
                    response.read()
                self.stats["actions"].append(time.perf_counter() - started)
            except (OSError, urllib.error.HTTPError) as exc:
                self.stats["errors"].append(f"act {file_id}: {exc}")


def _p95(samples):
    ordered = sorted(samples)
    return ordered[int(len(ordered) * 0.95)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--run-time", type=float, default=60)
    parser.add_argument("--files-each", type=int, default=10)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    url = fresh_database("sanchika_load")
    # Each simulated official is a Revenue Karmachari of their own, with files at their post.
    staff = officials_for(url, args.users, args.files_each)
    port = free_port()
    server = start_gunicorn(url, port, workers=args.workers)
    stats = {"pages": [], "sign_ins": [], "actions": [], "errors": []}
    started = time.time()
    officials = [Official(port, login, token, list(ids), started + args.run_time, stats)
                 for login, token, ids in staff]
    try:
        for o in officials:
            o.start()
        for o in officials:
            o.join(args.run_time + 120)
    finally:
        server.terminate()
        server.wait(30)
        drop_database("sanchika_load")
    elapsed = time.time() - started
    pages = sorted(stats["pages"])
    result = {"users": args.users, "workers": args.workers, "seconds": round(elapsed, 1),
              "pages": len(pages), "actions": len(stats["actions"]),
              "actions_per_s": round(len(stats["actions"]) / elapsed, 1),
              "pages_per_s": round(len(pages) / elapsed, 1),
              "page_p50_ms": round(statistics.median(pages) * 1000, 1) if pages else None,
              "page_p95_ms": round(pages[int(len(pages) * 0.95)] * 1000, 1) if pages else None,
              "sign_in_p95_ms": round(_p95(stats["sign_ins"]) * 1000, 1) if stats["sign_ins"] else None,
              "action_p95_ms": round(_p95(stats["actions"]) * 1000, 1) if stats["actions"] else None,
              "errors": len(stats["errors"]), "first_errors": stats["errors"][:5]}
    print(json.dumps(result) if args.json else "\n".join(f"{k}: {v}" for k, v in result.items()))
    return 1 if stats["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
