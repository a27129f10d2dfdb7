"""Reports at scale: the inbox, the office dashboard, the pendency report and a search on a large
PostgreSQL database, each timed as a ratio against a plain primary-key lookup in the same run.

At ``--scale 1`` it builds 200 offices, 20,000 posts and users, 1,000,000 files with one note
each, 10,000,000 tasks and over 10,000,000 movements, with PostgreSQL itself
(INSERT ... SELECT FROM generate_series), in a temporary database it drops at the end.
Run ``python benchmarks/scale.py --help`` for the options.
"""

import argparse
import hashlib
import json
import os
import platform
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import select, text  # noqa: E402
from databases import create_database  # noqa: E402

from workflows.reports import dashboard  # noqa: E402
from workflows.files import inbox, mentions, search  # noqa: E402
from workflows import reports  # noqa: E402
from workflows.db import schema  # noqa: E402
from workflows.db import make_engine, make_sessionmaker  # noqa: E402
from engine import SPIFF_VERSION  # noqa: E402
from workflows import org  # noqa: E402
from workflows.db import Base  # noqa: E402
from workflows.files import filing  # noqa: E402
from workflows.models import File, Office, User  # noqa: E402

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BENCH_PASSWORD = "bench-password"  # noqa: S105 (every official's, in a benchmark's database)
POSTS, SECTIONS, FILES_PER_OFFICE, STEPS = 100, 5, 5000, 10
# name, target in milliseconds on a 2-core machine
TUNED = ("random_page_cost = 1.1", "jit = off")  # docs/deploy.md, section 8
TARGETS = {"inbox": 50, "dashboard": 500, "pendency_report": 1000, "search": 300}
ENGLISH = ["flood", "relief", "mutation", "pension", "tender", "repair", "land", "school",
           "road", "grant", "audit", "salary", "transfer", "election", "survey", "budget",
           "court", "well", "bridge", "ration"]
HINDI = ["बाढ़", "राहत", "भूमि", "पेंशन", "निविदा", "मरम्मत", "विद्यालय", "सड़क", "अनुदान",
         "अंकेक्षण", "वेतन", "स्थानांतरण", "निर्वाचन", "सर्वेक्षण", "बजट"]


def _array(words):
    return "ARRAY[" + ",".join("'" + w + "'" for w in words) + "]"


def build_sql(offices, per_office=FILES_PER_OFFICE):
    """The statements that fill the database, in order (ids computed, so no lookups)."""
    files = offices * per_office
    en, hi, n_en, n_hi = _array(ENGLISH), _array(HINDI), len(ENGLISH), len(HINDI)
    xml = (ROOT / "bpmn" / "general_noting.bpmn").read_text().replace("'", "''")
    # per file f: k (index in office), o (office), s (section), g (hours between steps)
    per_file = f"""(f - 1) % {per_office} AS k, (f - 1) / {per_office} + 1 AS o,
        1 + ((f - 1) % {per_office}) % {SECTIONS} AS s, 6 + (f * 37) % 90 AS g"""
    return [
        f"""INSERT INTO offices (id, code, name, name_hi, kind, timezone, limit_days,
            weekly_offs, grace_days)
            SELECT o, 'B' || lpad(o::text, 3, '0'), 'Bench office ' || o, '', 'office',
                   'Asia/Kolkata', 7, '6', 2 FROM generate_series(1, {offices}) o""",
        f"""INSERT INTO sections (id, office_id, code, name, name_hi)
            SELECT (o - 1) * {SECTIONS} + s, o, 'S' || s, 'Section ' || s, ''
            FROM generate_series(1, {offices}) o, generate_series(1, {SECTIONS}) s""",
        f"""INSERT INTO posts (id, office_id, section_id, code, title, title_hi, role,
            reports_to_id, is_head, is_admin)
            SELECT (o - 1) * {POSTS} + p, o,
                   CASE WHEN p = 1 THEN NULL ELSE (o - 1) * {SECTIONS} + 1 + (p - 2) % {SECTIONS} END,
                   'P' || p, 'Post ' || p || ', office ' || o, '',
                   CASE WHEN p = 1 THEN 'Head of Office' WHEN p <= 6 THEN 'Section Officer'
                        ELSE 'Dealing Assistant' END,
                   CASE WHEN p = 1 THEN NULL WHEN p <= 6 THEN (o - 1) * {POSTS} + 1
                        ELSE (o - 1) * {POSTS} + 2 + (p - 2) % {SECTIONS} END,
                   p = 1, false
            FROM generate_series(1, {offices}) o, generate_series(1, {POSTS}) p""",
        """INSERT INTO users (id, login, name, name_hi, email, mobile, password_hash, active,
            must_change_password, language, created_at)
            SELECT id, 'u' || id, 'Official ' || id, '', '', '', 'x', true, false, 'en', now()
            FROM posts""",
        """INSERT INTO post_holdings (id, post_id, user_id, from_date, kind)
            SELECT id, id, id, DATE '2020-01-01', 'regular' FROM posts""",
        """INSERT INTO routes (id, office_id, key, name)
            SELECT id, id, 'general_noting', 'General noting' FROM offices""",
        f"""INSERT INTO route_versions (id, route_id, version, sha256, xml, published_at)
            SELECT id, id, 1, repeat('0', 64), convert_to('{xml}', 'UTF8'), now() FROM routes""",
        # statuses: 18% open, 2% parked, 80% closed; the last stay of an open file is recent
        f"""CREATE UNLOGGED TABLE bench_files AS
            SELECT f, k, o, s, g,
                   CASE WHEN k % 50 < 9 THEN 'open' WHEN k % 50 = 9 THEN 'parked'
                        ELSE 'closed' END AS status,
                   now() - make_interval(hours => g * {STEPS})
                         - CASE WHEN k % 50 < 10 THEN make_interval(days => (f * 11) % 45)
                                ELSE make_interval(days => ((f % 365) * 7919) % 365) END AS created_at
            FROM (SELECT f, {per_file} FROM generate_series(1, {files}) f) x""",
        f"""INSERT INTO files (id, number, office_id, section_id, subject, category, priority,
            status, outcome, route_version_id, created_by_id, created_by_post_id, created_at,
            closed_at, workflow_state, previous_state, engine_version, row_version)
            SELECT f, 'B' || lpad(o::text, 3, '0') || '/S' || s || '/2026/' || lpad(k::text, 6, '0'),
                   o, (o - 1) * {SECTIONS} + s,
                   initcap(({en})[1 + (f * 31) % {n_en}]) || ' ' || ({hi})[1 + (f * 17) % {n_hi}]
                     || ' ' || ({en})[1 + (f * 7) % {n_en}] || ', case ' || f,
                   '', CASE k % 20 WHEN 0 THEN 'Immediate' WHEN 1 THEN 'Top Priority'
                       WHEN 2 THEN 'Priority' ELSE 'Normal' END,
                   status, CASE WHEN status = 'closed' THEN 'Closed' ELSE '' END, o,
                   (o - 1) * {POSTS} + 6 + s, (o - 1) * {POSTS} + 6 + s, created_at,
                   CASE WHEN status = 'closed' THEN created_at + make_interval(hours => g * {STEPS}) END,
                   '', '', '', 1
            FROM bench_files""",
        f"""INSERT INTO notes (id, file_id, number, author_id, author_post_id, body, created_at,
            updated_at, frozen_at)
            SELECT f, f, 1, (o - 1) * {POSTS} + 6 + s, (o - 1) * {POSTS} + 6 + s,
                   'Put up for orders on ' || ({en})[1 + (f * 13) % {n_en}] || '. '
                     || ({hi})[1 + (f * 23) % {n_hi}] || ' के संबंध में आदेश हेतु प्रस्तुत।',
                   created_at, created_at, created_at FROM bench_files""",
        # stays: even steps with a dealing assistant of the section, odd ones with its officer
        f"""CREATE UNLOGGED TABLE bench_tasks AS
            SELECT (f - 1) * {STEPS} + j + 1 AS id, f, j, o, s, status,
                   created_at + make_interval(hours => g * j) AS since,
                   CASE WHEN j = {STEPS - 1} AND status <> 'closed' THEN NULL
                        ELSE created_at + make_interval(hours => g * (j + 1)) END AS done_at,
                   (o - 1) * {POSTS} + CASE WHEN j % 2 = 1 THEN 1 + s
                        ELSE 6 + s + 5 * ((f / 5 + j) % 18) END AS post_id
            FROM bench_files, generate_series(0, {STEPS - 1}) j""",
        """INSERT INTO tasks (id, file_id, engine_task_id, step_id, step_name, role, post_id,
            since, due_at, limit_days, escalation_level, done_at, done_by_id, outcome, choice)
            SELECT id, f, md5(id::text)::uuid::text,
                   CASE WHEN j % 2 = 0 THEN 'Task_PutUpNote' ELSE 'Task_ExamineAndComment' END,
                   CASE WHEN j % 2 = 0 THEN 'Put up note' ELSE 'Examine and comment' END,
                   CASE WHEN j % 2 = 0 THEN 'Dealing Assistant' ELSE 'Section Officer' END,
                   post_id, since, since + interval '7 days', 7,
                   CASE WHEN done_at IS NULL AND f % 10 = 0 THEN 1 ELSE 0 END,
                   done_at, CASE WHEN done_at IS NOT NULL THEN post_id END,
                   CASE WHEN done_at IS NULL THEN '' WHEN j = 9 THEN 'closed' ELSE 'acted' END,
                   CASE WHEN done_at IS NULL THEN '' WHEN j % 2 = 0 THEN 'Submit'
                        ELSE 'Return' END
            FROM bench_tasks""",
        """INSERT INTO movements (id, file_id, kind, from_post_id, from_user_id, to_post_id,
            step_name, choice, remark, at)
            SELECT id, f, CASE WHEN j = 0 THEN 'open' ELSE 'act' END,
                   lag(post_id) OVER (PARTITION BY f ORDER BY j),
                   lag(post_id) OVER (PARTITION BY f ORDER BY j), post_id,
                   CASE WHEN j % 2 = 0 THEN 'Put up note' ELSE 'Examine and comment' END,
                   CASE WHEN j = 0 THEN '' WHEN j % 2 = 1 THEN 'Submit' ELSE 'Return' END, '',
                   since FROM bench_tasks""",
        f"""INSERT INTO movements (id, file_id, kind, from_post_id, from_user_id, to_post_id,
            step_name, choice, remark, at)
            SELECT {files * STEPS} + f, f, CASE WHEN status = 'closed' THEN 'close' ELSE 'park' END,
                   post_id, post_id, post_id, '', '', '',
                   CASE WHEN status = 'closed' THEN done_at ELSE since + interval '1 hour' END
            FROM bench_tasks WHERE j = {STEPS - 1} AND status IN ('closed', 'parked')""",
        """INSERT INTO escalations (id, task_id, file_id, level, holder_post_id, to_post_id,
            cause, due_at, fired_at)
            SELECT t.id, t.id, t.file_id, 1, t.post_id, t.post_id, 'limit', t.due_at, t.due_at
            FROM tasks t WHERE t.escalation_level = 1""",
        "DROP TABLE bench_files", "DROP TABLE bench_tasks",
    ]


BIG_TABLES = ("files", "notes", "tasks", "movements", "escalations")


def build(engine, offices, log, per_office=FILES_PER_OFFICE):
    """Migrate, drop the big tables' plain indexes, fill, re-create the indexes, analyse."""
    schema.upgrade(engine)
    started = time.perf_counter()
    with engine.begin() as conn:
        indexes = conn.execute(text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
            "AND tablename = ANY(:t) AND indexname NOT IN (SELECT conname FROM pg_constraint)"),
            {"t": list(BIG_TABLES)}).all()
        for name, _definition in indexes:
            conn.execute(text(f'DROP INDEX "{name}"'))
        conn.execute(text("SET session_replication_role = replica"))  # no FK checks while filling
        for statement in build_sql(offices, per_office):
            step = time.perf_counter()
            conn.execute(text(statement))
            log(f"  {statement.split()[0].lower()} {statement.split()[2]}: "
                f"{time.perf_counter() - step:.1f} s")
    with engine.begin() as conn:
        for name, definition in indexes:
            step = time.perf_counter()
            conn.execute(text(definition))
            log(f"  index {name}: {time.perf_counter() - step:.1f} s")
    make_servable(engine, log)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
        # the server settings docs/deploy.md advises (section 8), for connections made after
        for setting in TUNED:
            conn.execute(text(f'ALTER DATABASE "{engine.url.database}" SET {setting}'))
    engine.dispose()  # the connections pooled before would not have them
    return time.perf_counter() - started


def make_servable(engine, log):
    """What the bulk load leaves out and the application needs to serve the database: each
    route version's real sha256 (a version is checked against it when a file is loaded), the
    tables' id sequences moved past the rows loaded with their ids, a password every
    official can sign in with (``BENCH_PASSWORD``), and for each open file a stored state at
    its open step: one file is opened and sent on through the application, in a transaction
    rolled back afterwards, and its state is given to every open file with its own task's
    engine id put in the place of the template's."""
    started = time.perf_counter()
    xml = (ROOT / "bpmn" / "general_noting.bpmn").read_bytes()
    with engine.begin() as conn:
        conn.execute(text("UPDATE route_versions SET sha256 = :sha"),
                     {"sha": hashlib.sha256(xml).hexdigest()})
        for table in Base.metadata.sorted_tables:
            if "id" in table.c and table.c.id.primary_key and table.c.id.autoincrement:
                conn.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"(SELECT COALESCE(max(id), 0) + 1 FROM {table.name}), false)"))
        conn.execute(text("UPDATE users SET password_hash = :hash"),
                     {"hash": org.hash_password(BENCH_PASSWORD)})
    state, task_id = _template_state(make_sessionmaker(engine))
    with engine.begin() as conn:
        conn.execute(text(
            "UPDATE files SET workflow_state = "
            "replace(:state, :task, replace(t.engine_task_id, '-', '')), "
            "engine_version = :version FROM tasks t "
            "WHERE t.file_id = files.id AND t.done_at IS NULL"),
            {"state": state, "task": task_id, "version": SPIFF_VERSION})
    log(f"  made servable: {time.perf_counter() - started:.1f} s")


def _template_state(sessions):
    """The stored state of a file of office 1 sent on to its examining step (where every open
    file of the bulk load lies), and that step's engine task id; nothing of it is kept."""
    with sessions() as session:
        office, opener = session.get(Office, 1), session.get(User, 7)  # a dealing assistant
        file = filing.open_file(session, office=office, user=opener,
                                route_key="general_noting", subject="Template")
        filing.act(session, number=file.number, user=opener, choice="Submit")
        [task] = filing.open_tasks(session, file)
        assert task.step_id == "Task_ExamineAndComment", task.step_id
        found = file.workflow_state, uuid.UUID(task.engine_task_id).hex
        session.rollback()
    # the stored state names its tasks by their ids in hex: the open one once
    assert found[0].count(found[1]) == 1, "the stored state's form has changed"
    return found


def counts(engine):
    with engine.connect() as conn:
        return {t: conn.scalar(text(f"SELECT count(*) FROM {t}"))
                for t in ("offices", "users", "files", "tasks", "movements", "notes")}


def timed(sessions, op, runs):
    """Median milliseconds of ``op(session)``, each in its own transaction, after a warm-up."""
    with sessions.begin() as session:
        op(session)
    times = []
    for i in range(runs):
        with sessions.begin() as session:
            start = time.perf_counter()
            op(session, i) if op.__code__.co_argcount > 1 else op(session)
            times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def pendency_report(session, head):
    scope = reports.scope_for(session, head)
    days = reports.WorkingDays(session, scope.office)
    now = reports.pending_now(session, scope, days=days)
    held = reports.hours_held(session, scope)
    latest = reports.stays_done(session, scope, days=days, latest=(0, 100))  # the first page
    return (reports.by_official(session, scope, now, held),
            reports.step_table(session, scope, held=held), latest)


def measure(sessions, files, runs):
    with sessions.begin() as session:
        head = session.get(User, 1)            # head of office 1
        busy = session.get(User, 2)            # section officer, section 1 of office 1
        session.expunge_all()
    figures = {
        "pk_lookup": timed(sessions, lambda s, i=0: s.execute(
            select(File).where(File.id == 1 + (i * 7919) % files)).scalar_one(), runs * 10),
        "inbox": timed(sessions, lambda s: inbox.inbox(s, s.merge(busy, load=False)), runs),
        "dashboard": timed(sessions, lambda s: dashboard.dashboard(
            s, reports.scope_for(s, s.merge(head, load=False))), runs),
        "pendency_report": timed(sessions, lambda s: pendency_report(
            s, s.merge(head, load=False)), runs),
        "search": timed(sessions, lambda s: search.search(
            s, s.merge(head, load=False), "राहत flood"), runs),
        "search_official": timed(sessions, lambda s: search.search(
            s, s.merge(busy, load=False), "बाढ़"), runs),
        "search_number": timed(sessions, lambda s: search.search(
            s, s.merge(head, load=False), "B001/S1/2026/000010"), runs),
        # receipts, drafts, remarks and document names, which the search page adds
        "search_mentions": timed(sessions, lambda s: mentions.mentions(
            s, s.merge(head, load=False), "राहत flood"), runs),
    }
    with sessions.begin() as session:
        inbox_rows = len(inbox.inbox(session, session.merge(busy, load=False)))
    return figures, inbox_rows


def build_database(url, scale, log, per_office=FILES_PER_OFFICE, prefix="sanchika_scale"):
    """A database of its own on the server of ``url`` (named ``prefix`` and the process id),
    built at ``scale`` and servable by the application: (its URL, its engine, the build's
    seconds, a function that drops it)."""
    offices = max(2, round(200 * scale))
    target, drop = create_database(url, prefix=prefix)
    engine = make_engine(target)
    try:
        return target, engine, build(engine, offices, log, per_office), drop
    except BaseException:
        engine.dispose()
        drop()
        raise


def run(url, scale, runs, log, per_office=FILES_PER_OFFICE, keep=False):
    target, engine, build_seconds, drop = build_database(url, scale, log, per_office)
    try:
        sizes = counts(engine)
        figures, inbox_rows = measure(make_sessionmaker(engine), sizes["files"], runs)
    finally:
        engine.dispose()
        if keep:
            log(f"kept: {target} (every official's password: {BENCH_PASSWORD})")
        else:
            drop()
    base = figures["pk_lookup"]
    results = {name: {"ms": round(ms, 2), "ratio_to_pk": round(ms / base, 1),
                      "target_ms": TARGETS.get(name),
                      "met": None if name not in TARGETS else ms < TARGETS[name]}
               for name, ms in figures.items()}
    return {"scale": scale, "rows": sizes, "build_seconds": round(build_seconds, 1),
            "busy_inbox_rows": inbox_rows, "results": results,
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version()}}


def report(doc):
    print(f"scale {doc['scale']}: {doc['rows']} built in {doc['build_seconds']} s")
    print(f"{'figure':<18}{'ms':>10}{'x pk lookup':>14}{'target ms':>11}  met")
    for name, r in doc["results"].items():
        print(f"{name:<18}{r['ms']:>10.2f}{r['ratio_to_pk']:>14.1f}"
              f"{r['target_ms'] or '':>11}  {'' if r['met'] is None else r['met']}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", metavar="URL", default=DEFAULT_PG,
                        help="a PostgreSQL server URL; a temporary database is made next to it")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="1 = 200 offices, 1,000,000 files, 10,000,000 movements")
    parser.add_argument("--files-per-office", type=int, default=FILES_PER_OFFICE, metavar="N",
                        help=f"files in each office (default {FILES_PER_OFFICE})")
    parser.add_argument("--keep", action="store_true",
                        help="keep the database afterwards, to serve it (its URL is printed)")
    parser.add_argument("--runs", type=int, default=7, help="timed runs of each query")
    parser.add_argument("--json", action="store_true", help="print one JSON object, nothing else")
    args = parser.parse_args(argv)
    log = (lambda _m: None) if args.json else (lambda m: print(m, flush=True))
    doc = run(args.database, args.scale, args.runs, log, args.files_per_office, args.keep)
    print(json.dumps(doc, ensure_ascii=False, indent=1)) if args.json else report(doc)


if __name__ == "__main__":
    main()
