"""What the web adds to an act: the file page's POST against the service call it makes, taken
in turns on the open files of a database built by ``scale.py --keep``, in one run.  Each file
is sent back (Return) once, by the official holding it; the file page is read before the
POST, outside the timing.

    .venv/bin/python benchmarks/act_overhead.py postgresql+psycopg://.../sanchika_scale_NNN
"""

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for path in (ROOT, ROOT / "tests", ROOT / "benchmarks"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from sqlalchemy import text  # noqa: E402

from scale import BENCH_PASSWORD  # noqa: E402
from web import create_app  # noqa: E402
from webtools import csrf, sign_in  # noqa: E402
from workflows.db import make_engine, make_sessionmaker  # noqa: E402
from workflows.files import filing  # noqa: E402
from workflows.models import User  # noqa: E402

FORM = {"choice": "Return", "remark": "Please see.", "reason": "Waited for the report."}


def open_files(engine, count):
    """(file id, number, holder's user id) of ``count`` open files at section officers' posts
    (a user's id is their post's in a scale database)."""
    with engine.connect() as conn:
        return conn.execute(text(
            "SELECT f.id, f.number, t.post_id FROM tasks t JOIN files f ON f.id = t.file_id "
            "JOIN posts p ON p.id = t.post_id WHERE f.status = 'open' AND t.done_at IS NULL "
            "AND p.role = 'Section Officer' ORDER BY f.id LIMIT :n"), {"n": count}).all()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", help="a database scale.py built and kept")
    parser.add_argument("--acts", type=int, default=80, help="files acted on, half each way")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    engine = make_engine(args.database)
    sessions = make_sessionmaker(engine)
    store = tempfile.TemporaryDirectory(prefix="sanchika_act_")
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "DATABASE_URL": args.database,
                      "ATTACHMENTS": store.name})
    clients = {}
    timings = {"web_ms": [], "service_ms": []}
    for n, (file_id, number, user_id) in enumerate(open_files(engine, args.acts)):
        if n % 2 == 0:
            if user_id not in clients:
                clients[user_id] = app.test_client()
                sign_in(clients[user_id], f"u{user_id}", BENCH_PASSWORD)
            client = clients[user_id]
            token = csrf(client, f"/files/{file_id}")
            started = time.perf_counter()
            response = client.post(f"/files/{file_id}/act", data={**FORM, "csrf_token": token})
            timings["web_ms"].append((time.perf_counter() - started) * 1000)
            if response.status_code != 302:
                raise SystemExit(f"the act on file {number} answered {response.status_code}")
        else:
            started = time.perf_counter()
            with sessions.begin() as session:
                filing.act(session, number=number, user=session.get(User, user_id), **FORM)
            timings["service_ms"].append((time.perf_counter() - started) * 1000)
    engine.dispose()
    doc = {name: round(statistics.median(values), 1) for name, values in timings.items()}
    doc["ratio"] = round(doc["web_ms"] / doc["service_ms"], 2)
    doc["acts"] = sum(len(v) for v in timings.values())
    print(json.dumps(doc) if args.json else "\n".join(f"{k}: {v}" for k, v in doc.items()))


if __name__ == "__main__":
    main()
