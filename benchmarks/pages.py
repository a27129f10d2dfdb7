"""The pages a head of office and a busy section officer open all day, at a district's size,
each against a floor measured in the same run: a view of the same app that looks up one file
by its key and renders a tiny template, asked the same way (Flask's test client, signed in,
so the floor pays for the session and the header as every page does).

    .venv/bin/python benchmarks/scale.py --database postgresql://postgres@127.0.0.1:5432/test \\
        --scale 0.1 --keep
    .venv/bin/python benchmarks/pages.py postgresql://postgres@127.0.0.1:5432/sanchika_scale_NNN

The head is the head of office 1, the section officer the post of office 1 with the most open
files (user ids are post ids in a scale database); figures are medians in milliseconds.
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

from flask import Blueprint, render_template_string  # noqa: E402
from sqlalchemy import text  # noqa: E402

from scale import BENCH_PASSWORD  # noqa: E402
from web import create_app  # noqa: E402
from web.security import transaction  # noqa: E402
from webtools import sign_in  # noqa: E402
from workflows.db import make_engine  # noqa: E402
from workflows.models import File  # noqa: E402

#: issue 25's targets, in milliseconds
TARGETS = {"pendency": 150, "dashboard": 150, "inbox": 40, "search": 100, "heat_json": 50}
floor = Blueprint("bench_floor", __name__)


@floor.route("/bench/floor/<int:file_id>")
def one_file(file_id):
    with transaction() as db:
        number = db.get(File, file_id).number
    return render_template_string("<p>{{ number }}</p>", number=number)


def _cast(database):
    """The head's office, the busiest section officer there, and a route of that office."""
    engine = make_engine(database)
    with engine.connect() as conn:
        office, code = conn.execute(text("SELECT id, code FROM offices ORDER BY id LIMIT 1")).one()
        busy, files = conn.execute(text(
            "SELECT t.post_id, count(*) FROM tasks t JOIN posts p ON p.id = t.post_id "
            "WHERE t.done_at IS NULL AND p.office_id = :o GROUP BY t.post_id "
            "ORDER BY count(*) DESC LIMIT 1"), {"o": office}).one()
        route = conn.scalar(text("SELECT id FROM routes WHERE office_id = :o ORDER BY id LIMIT 1"),
                            {"o": office})
        head = conn.scalar(text("SELECT id FROM posts WHERE office_id = :o AND is_head "
                                "ORDER BY id LIMIT 1"), {"o": office})
    engine.dispose()
    return {"office": code, "head": head, "busy": busy, "busy_files": files, "route": route}


def _timed(client, path, runs):
    """(median ms, median ms of this process's CPU, bytes) of asking for ``path``; the CPU
    time is the worker's own, which other work on the machine leaves nearly alone."""
    client.get(path)  # the first asks fill caches (templates, catalogs, statements)
    times, cpu, size = [], [], 0
    for _run in range(runs):
        started, used = time.perf_counter(), time.process_time()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - used) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}")
        size = len(response.get_data())
    return statistics.median(times), statistics.median(cpu), size


def measure(database, runs):
    cast = _cast(database)
    store = tempfile.TemporaryDirectory(prefix="sanchika_pages_")
    # the head signs in without enrolling a second factor, as a demo's may
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "DATABASE_URL": database,
                      "ATTACHMENTS": store.name, "SECOND_FACTOR_EXEMPT": (f"u{cast['head']}",)})
    app.register_blueprint(floor)
    head, busy = app.test_client(), app.test_client()
    for client, user in ((head, cast["head"]), (busy, cast["busy"])):
        if sign_in(client, f"u{user}", BENCH_PASSWORD).status_code != 302:
            raise SystemExit(f"u{user} could not sign in")
    office = f"office={cast['office']}"
    pages = {
        "floor": (head, "/bench/floor/1"),
        "inbox": (busy, "/"),
        "dashboard": (head, f"/reports/?{office}"),
        "pendency": (head, f"/reports/pendency?{office}"),
        "heat_json": (head, f"/reports/routes/{cast['route']}/heat.json?{office}"),
        "search": (head, "/search?q=राहत+flood"),
    }
    figures = {name: _timed(client, path, runs) for name, (client, path) in pages.items()}
    store.cleanup()
    return cast, figures


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", help="a database scale.py built and kept")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    cast, figures = measure(args.database, args.runs)
    base, base_cpu = figures["floor"][:2]
    doc = {"cast": cast, "floor_ms": round(base, 2), "floor_cpu_ms": round(base_cpu, 2),
           "pages": {name: {
               "ms": round(ms, 1), "x_floor": round(ms / base, 1), "cpu_ms": round(cpu, 1),
               "kb": round(size / 1024, 1), "target_ms": TARGETS.get(name),
               "met": ms <= TARGETS[name] if name in TARGETS else None}
               for name, (ms, cpu, size) in figures.items() if name != "floor"}}
    if args.json:
        print(json.dumps(doc))
        return
    print(f"{cast}\nfloor {base:.2f} ms, {base_cpu:.2f} ms of CPU")
    print(f"{'page':12} {'ms':>8} {'x floor':>8} {'CPU ms':>8} {'KB':>7} {'target':>7}  met")
    for name, row in doc["pages"].items():
        print(f"{name:12} {row['ms']:8.1f} {row['x_floor']:8.1f} {row['cpu_ms']:8.1f} "
              f"{row['kb']:7.1f} {row['target_ms'] or '':>7}  {row['met']}")


if __name__ == "__main__":
    main()
