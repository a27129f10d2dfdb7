"""What signing adds: issuing an order and sending a file with a note paragraph, in an office
that signs against one that does not, measured side by side in one run on one database.

Each operation is one committed transaction through the services the pages call
(``drafts.issue_draft``, ``filing.act``): the DDMO signs, Sadar does not, and the two are
measured in alternating turns so that a machine slowing for a while favours neither.  The
figures are medians in milliseconds; ``*_adds_ms`` is the signed one less the unsigned one.
Opening the official's key with the PIN (argon2id, ``officials.unlock``) is timed alone too.
Run ``python benchmarks/signing.py --help`` for the options.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from databases import create_database  # noqa: E402
from workflows import demo, org  # noqa: E402
from workflows.db import make_engine, make_sessionmaker, schema  # noqa: E402
from workflows.files import drafts, filing, notes  # noqa: E402
from workflows.signing import authority, officials  # noqa: E402

PIN = "bench-pin-2026"
# office code -> (opener, route, its first choice)
OFFICES = {"DDMO": ("ramesh.singh", "relief_grant", "Send for verification"),
           "SADAR": ("pooja.kumari", "general_noting", "Submit")}
# office code -> the moves that bring a file up to the head, who issues its orders
UP_TO_THE_HEAD = {"DDMO": [("ramesh.singh", "Send for verification"),
                           ("sunita.kumari", "Verified")],
                  "SADAR": [("pooja.kumari", "Submit"), ("arvind.mishra", "Forward")]}
HEADS = {"DDMO": "anil.sinha", "SADAR": "sunita.kumari"}
BODY = "Relief of Rs 4,000 each to the 42 families of Panapur. पनापुर के 42 परिवारों को राहत।"


def prepare(url):
    """The demo, the DDMO signing, its dealing assistant's and head's PINs chosen."""
    engine = make_engine(url)
    schema.upgrade(engine)
    factory = make_sessionmaker(engine)
    with factory.begin() as session:
        demo.load_demo(session)
        authority.create_authority(session, None, org.office_by_code(session, "DDMO"))
        for login in ("ramesh.singh", HEADS["DDMO"]):
            officials.choose_pin(session, org.user_by_login(session, login), PIN, PIN)
    return engine, factory


def issue_once(factory, code, store):
    """Open a file, send it up to the head, who drafts and approves an order (not timed),
    then issues it (timed): the competent authority for orders."""
    opener, route, _choice = OFFICES[code]
    login = HEADS[code]
    with factory.begin() as session:
        office = org.office_by_code(session, code)
        file = filing.open_file(session, office=office, user=org.user_by_login(session, opener),
                                route_key=route, subject="Benchmark order")
        for sender, choice in UP_TO_THE_HEAD[code]:
            filing.act(session, number=file.number, user=org.user_by_login(session, sender),
                       choice=choice)
        user = org.user_by_login(session, login)
        draft = drafts.create_draft(session, number=file.number, user=user, kind="Order",
                                    title="Relief", body=BODY)
        drafts.approve_draft(session, draft_id=draft.id, version=1, user=user)
        draft_id = draft.id
    start = time.perf_counter()
    with factory.begin() as session:
        drafts.issue_draft(session, draft_id=draft_id, user=org.user_by_login(session, login),
                           pin=PIN, site_url="http://127.0.0.1:5000/", store=store)
    return (time.perf_counter() - start) * 1000


def send_once(factory, code):
    """Open a file with a paragraph (not timed), then send it on (timed)."""
    login, route, choice = OFFICES[code]
    with factory.begin() as session:
        user, office = org.user_by_login(session, login), org.office_by_code(session, code)
        number = filing.open_file(session, office=office, user=user, route_key=route,
                                  subject="Benchmark file").number
        notes.add_note(session, number=number, user=user, body=BODY)
    start = time.perf_counter()
    with factory.begin() as session:
        filing.act(session, number=number, user=org.user_by_login(session, login),
                   choice=choice, pin=PIN)
    return (time.perf_counter() - start) * 1000


def unlock_once(factory):
    with factory.begin() as session:
        key = officials.key_of(session, org.user_by_login(session, "ramesh.singh"))
        start = time.perf_counter()
        officials.unlock(key, PIN)
    return (time.perf_counter() - start) * 1000


def run(url, rounds):
    """The medians of ``rounds`` alternating turns, in milliseconds."""
    made, drop = create_database(url, prefix="sanchika_bench_signing")
    engine = None
    try:
        with tempfile.TemporaryDirectory(prefix="sanchika_bench_store_") as store:
            os.environ.setdefault(authority.AUTHORITY_ENV, str(Path(store) / "authority"))
            engine, factory = prepare(made)
            times = {k: [] for k in ("issue", "issue_signed", "send", "send_signed", "unlock")}
            for _ in range(rounds):
                times["issue"].append(issue_once(factory, "SADAR", store))
                times["issue_signed"].append(issue_once(factory, "DDMO", store))
                times["send"].append(send_once(factory, "SADAR"))
                times["send_signed"].append(send_once(factory, "DDMO"))
                times["unlock"].append(unlock_once(factory))
    finally:
        if engine is not None:
            engine.dispose()
        drop()
    result = {f"{k}_ms": round(statistics.median(v), 2) for k, v in times.items()}
    result["issue_signature_adds_ms"] = round(result["issue_signed_ms"] - result["issue_ms"], 2)
    result["send_signature_adds_ms"] = round(result["send_signed_ms"] - result["send_ms"], 2)
    result["database"] = "postgresql" if made.startswith("postgresql") else "sqlite"
    result["rounds"] = rounds
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", metavar="URL",
                        help="a postgresql:// server to make a database on (default: SQLite)")
    parser.add_argument("--rounds", type=int, default=20, metavar="N",
                        help="turns of each operation (default 20)")
    parser.add_argument("--json", action="store_true", help="print one JSON object, nothing else")
    args = parser.parse_args(argv)
    result = run(args.database, args.rounds)
    if args.json:
        print(json.dumps(result))
        return
    for name, value in result.items():
        print(f"{name:28} {value}")


if __name__ == "__main__":
    main()
