"""How long ``sanchika verify`` takes: the chain walk alone (the baseline, what verify did
before it read the record again) and the whole verify (chain, every recorded table, the
documents), on files opened and moved through the application so that everything is chained.

Figures are per 10,000 files, each file opened with a note and moved ``--moves`` times.  With
``--scale S`` the database is instead the one ``benchmarks/scale.py`` builds on PostgreSQL
(at 1: a million files, ten million tasks and movements), chained once by ``sanchika
chain-record``'s ``adopt`` (timed too), and verify is timed on all of it.  Run
``python benchmarks/verify.py --help`` for the options.
"""

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

import scale as scaled  # noqa: E402  (benchmarks/scale.py, beside this file)
from databases import create_database  # noqa: E402
from workflows import audit, demo, org  # noqa: E402
from workflows.audit.rereading import adopt, reread  # noqa: E402
from workflows.db import make_engine, make_sessionmaker, schema  # noqa: E402
from workflows.files import filing  # noqa: E402
from workflows.models import AuditEvent  # noqa: E402

BOUNCE = (("pooja.kumari", "Submit"), ("arvind.mishra", "Return"))


def fill(sessions, files, moves):
    with sessions.begin() as session:
        office = org.office_by_code(session, "SADAR")
        users = {login: org.user_by_login(session, login) for login, _ in BOUNCE}
    for i in range(files):
        with sessions.begin() as session:
            number = filing.open_file(session, office=office, user=users["pooja.kumari"],
                                      route_key="general_noting", subject=f"Benchmark {i}",
                                      first_note="Put up for orders.").number
        for m in range(moves):
            login, choice = BOUNCE[m % 2]
            with sessions.begin() as session:
                filing.act(session, number=number, user=users[login], choice=choice,
                           remark="Benchmark movement.")


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def run(url, files, moves):
    engine = make_engine(url)
    schema.upgrade(engine)
    sessions = make_sessionmaker(engine)
    with sessions.begin() as session:
        demo.load_demo(session)
    fill(sessions, files, moves)
    with sessions() as session:
        events = session.scalar(select(func.count()).select_from(AuditEvent))
        chain_s, verdict = timed(lambda: audit.verify(session))
        reread_s, findings = timed(lambda: reread(session, read_document=lambda sha: None))
    engine.dispose()
    assert verdict.ok and not [f for f in findings if "missing" not in f.what], findings[:5]
    per = 10_000 / files
    return {"files": files, "moves_per_file": moves, "events": events,
            "chain_walk_s_per_10k_files": round(chain_s * per, 2),
            "verify_s_per_10k_files": round((chain_s + reread_s) * per, 2),
            "verify / chain_walk": round((chain_s + reread_s) / chain_s, 2)}


def run_at_scale(url, scale, log):
    """verify on the database of ``scale.py --scale``, after chaining it once."""
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    build_s = scaled.build(engine, max(2, round(200 * scale)), log)
    sizes = scaled.counts(engine)
    log(f"built {sizes} in {build_s:.0f} s; chaining the record")
    adopt_s, chained = timed(lambda: adopt(sessions, batch=5000))
    log(f"chained {chained} rows in {adopt_s:.0f} s; verifying")
    with sessions() as session:
        chain_s, verdict = timed(lambda: audit.verify(session))
        reread_s, findings = timed(lambda: reread(session, read_document=lambda sha: None,
                                                  progress=log))
    engine.dispose()
    assert verdict.ok and not [f for f in findings if "missing" not in f.what], findings[:5]
    return {"scale": scale, "rows": sizes, "rows_chained": chained,
            "chain_record_s": round(adopt_s, 1), "chain_walk_s": round(chain_s, 1),
            "verify_s": round(chain_s + reread_s, 1),
            "verify / chain_walk": round((chain_s + reread_s) / chain_s, 2)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", metavar="URL",
                        help="postgresql:// server to make a temporary database on "
                             "(default: a temporary SQLite file)")
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--moves", type=int, default=10)
    parser.add_argument("--scale", type=float, default=None,
                        help="verify the database scale.py builds at this scale "
                             "(PostgreSQL only; 1 = a million files)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.scale is not None:
        args.database = args.database or "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    url, cleanup = create_database(args.database, prefix="sanchika_verify")
    log = (lambda _m: None) if args.json else (lambda m: print(m, flush=True))
    try:
        doc = (run_at_scale(url, args.scale, log) if args.scale is not None
               else run(url, args.files, args.moves))
    finally:
        cleanup()
    if args.json:
        print(json.dumps(doc, indent=2))
    else:
        for key, value in doc.items():
            print(f"{key:28} {value}")


if __name__ == "__main__":
    main()
