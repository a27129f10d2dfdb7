"""How many officials one machine serves: officials as they work, against gunicorn on loopback,
over the database ``scale.py`` builds (statistics gathered first, a database of its own).

Each simulated official (a thread with a cookie jar) arrives at a random moment within
``--ramp`` seconds and signs in (timed apart: argon2 is slow on purpose), then until the run
ends opens a page every ``--think`` seconds or so (exponential think time): the inbox, a file of
their inbox, sometimes a search; about once every three pages (once a minute at the default
think time) they act on the file they have open through the file page's form, as a browser
would (its CSRF token, a remark, a reason when the file is past its limit; a section officer
returns or forwards it), and the browser follows the redirect to the inbox.  Section officers
of every office are picked first (their inboxes hold the open files), then dealing assistants
(who get files as the section officers return them).

Each level of ``--levels`` is a fresh gunicorn over the same database: the ramp, then
``--duration`` seconds measured at steady state.  Per level it prints pages, page p50/p95, act
p95, sign-in p95, errors and the CPU the server's processes used, then the largest level with
page p95 under 1 s and errors under 1 % ("officials served").  JSON with ``--json``.

    .venv/bin/python benchmarks/load.py --levels 200,500,1000
"""

import argparse
import http.cookiejar
import json
import os
import platform
import random
import re
import statistics
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scale  # scale.py puts the project on the path for serving's imports
from serving import free_port, start_gunicorn

SERVED_P95 = 1.0  # seconds: the page p95 a level must stay under to count as served
FILE_SHARE = 0.6  # of the pages an official with files opens, the share that are a file
FILE_LINK = re.compile(r'href="/files/(\d+)"')
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
TASK = re.compile(r'name="task_id" value="([^"]+)"')
CHOICE = re.compile(r'name="choice" value="([^"]+)"')
TICK = os.sysconf("SC_CLK_TCK")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect comes back as it is: the browser's next page is fetched (and timed) apart."""

    def redirect_request(self, *_args, **_kwargs):
        return None


class Browser:
    """One official's browser: a cookie jar; every request is recorded (kind, start, seconds,
    status), failures with what went wrong."""

    def __init__(self, base, record):
        self.base, self.record = base, record
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect())

    def fetch(self, kind, path, form=None, expect=200):
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        started, wall = time.perf_counter(), time.time()
        try:
            with self.opener.open(self.base + path, data=data, timeout=60) as response:
                status, body = response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            status, body = exc.code, exc.read().decode(errors="replace")
        except OSError as exc:
            status, body = 0, str(exc)
        self.record(kind, wall, time.perf_counter() - started,
                    None if status == expect else f"{kind} {path}: {status} {body[:120]!r}")
        return body if status == expect else None


def act_form(page, file_id):
    """What the file page's first action form holds: (csrf token, task id, choices, whether a
    reason is asked), or None when the official has no step on the file."""
    start = page.find(f'action="/files/{file_id}/act"')
    if start < 0:
        return None
    form = page[start:page.find("</form>", start)]
    token, task = TOKEN.search(form), TASK.search(form)
    if token is None or task is None:
        return None
    return token.group(1), task.group(1), CHOICE.findall(form), 'name="reason"' in form


class Official(threading.Thread):
    """One official at work from ``arrive`` (seconds after the start) until ``stop`` is set."""

    def __init__(self, base, login, officer, arrive, args, record, stop):
        super().__init__(daemon=True)
        self.browser, self.login, self.officer = Browser(base, record), login, officer
        self.arrive, self.args, self.stop = arrive, args, stop
        self.random = random.Random(f"{args.seed}:{login}")
        self.files, self.open_file = [], None

    def run(self):
        if self.stop.wait(self.arrive) or not self.sign_in():
            return
        self.inbox()  # where signing in leads
        # a step every --think seconds: an act on the file open on the screen (the step after
        # a file page, at odds that make acts the share of steps --act-every asks for), or a
        # page; an act's step is the form's POST and the inbox it leads to, so pages keep to
        # one a step and acts to one every --act-every seconds
        share = min(0.5, self.args.think / (self.args.act_every or 3 * self.args.think))
        odds = min(1.0, share / (FILE_SHARE * (1 - share)))
        while not self.stop.wait(self.random.expovariate(1 / self.args.think)):
            if self.open_file and self.random.random() < odds:
                self.act(*self.open_file)
            else:
                self.browse()

    def sign_in(self):
        page = self.browser.fetch("sign_in_form", "/sign-in")
        token = TOKEN.search(page or "")
        if token is None:
            return False
        return self.browser.fetch("sign_in", "/sign-in", {
            "login": self.login, "password": scale.BENCH_PASSWORD,
            "csrf_token": token.group(1)}, expect=302) is not None

    def browse(self):
        """One page: a file of the inbox (three times in five, when there is one), a search
        (one time in four of the rest) or the inbox."""
        self.open_file = None
        if self.files and self.random.random() < FILE_SHARE:
            file_id = self.random.choice(self.files)
            page = self.browser.fetch("file", f"/files/{file_id}")
            form = act_form(page or "", file_id)
            self.open_file = (file_id, form) if form else None
            if form is None:
                self.files.remove(file_id)
        elif self.random.random() < 1 / 4:
            words = self.random.choice([scale.ENGLISH, scale.HINDI])
            self.browser.fetch("search", "/search?" + urllib.parse.urlencode(
                {"q": self.random.choice(words)}))
        else:
            self.inbox()

    def inbox(self):
        page = self.browser.fetch("inbox", "/")
        if page is not None:
            self.files = sorted({int(n) for n in FILE_LINK.findall(page)})

    def act(self, file_id, form):
        token, task, choices, needs_reason = form
        wanted = [c for c in choices if c in ("Return", "Forward")] if self.officer else []
        fields = {"csrf_token": token, "task_id": task,
                  "choice": self.random.choice(wanted or choices[:1] or [""]),
                  "remark": "Seen. Put up with the report."}
        if needs_reason:
            fields["reason"] = "Waited for the field report."
        self.open_file = None
        if self.browser.fetch("act", f"/files/{file_id}/act", fields, expect=302) is not None:
            if file_id in self.files:
                self.files.remove(file_id)
            self.inbox()  # where the form's redirect leads


def picked(offices, count):
    """The ``count`` officials of a level, as (login, is a section officer): the section
    officers of every office first, then the dealing assistants, taken office by office."""
    posts = list(range(2, 7)) + list(range(7, scale.POSTS + 1))
    order = [(o * scale.POSTS + p, p <= 6) for p in posts for o in range(offices)]
    if count > len(order):
        raise SystemExit(f"{count} officials asked, the database has {len(order)} to pick")
    return [(f"u{user}", officer) for user, officer in order[:count]]


def cpu_seconds(pids):
    """User and system CPU seconds used so far by each of ``pids`` (from /proc)."""
    used = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        used[pid] = (int(fields[11]) + int(fields[12])) / TICK
    return used


def children(pid):
    """The process ``pid`` and its children (gunicorn's master and workers)."""
    found = [pid]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


def machine_busy():
    """CPU seconds the whole machine has spent busy (all processes, other users' too)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / TICK


class Gauges:
    """CPU used between ``start()`` and ``stop()``: the server (gunicorn), the database's
    backends of this run, the load generator itself and the whole machine."""

    def __init__(self, server_pid, engine):
        self.server_pid, self.engine = server_pid, engine

    def backends(self):
        with self.engine.connect() as conn:
            return [pid for (pid,) in conn.execute(text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()"))]

    def snapshot(self):
        return (cpu_seconds(children(self.server_pid)), cpu_seconds(self.backends()),
                time.process_time(), machine_busy(), time.time())

    def start(self):
        self.before = self.snapshot()

    def stop(self):
        (server0, db0, own0, all0, t0), (server1, db1, own1, all1, t1) = self.before, self.snapshot()
        seconds = t1 - t0

        def delta(before, after):
            return sum(v - before.get(pid, 0) for pid, v in after.items()) / seconds
        return {"server_cpu_cores": round(delta(server0, server1), 2),
                "db_cpu_cores": round(delta(db0, db1), 2),
                "load_generator_cpu_cores": round((own1 - own0) / seconds, 2),
                "machine_cpu_cores": round((all1 - all0) / seconds, 2)}


def percentile(samples, fraction):
    ordered = sorted(samples)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] * 1000, 1) \
        if ordered else None


def summary(count, samples, window, cpu):
    """A level's figures from its recorded requests: pages and acts begun within the measured
    window, every sign-in, every error."""
    start, end = window
    inside = [s for s in samples if start <= s[1] < end]
    pages = [s[2] for s in inside if s[0] in ("inbox", "file", "search")]
    acts = [s[2] for s in inside if s[0] == "act"]
    sign_ins = [s[2] for s in samples if s[0] == "sign_in"]
    errors = [s[3] for s in samples if s[3]]
    doc = {"officials": count, "pages": len(pages),
           "pages_per_s": round(len(pages) / (end - start), 1),
           "page_p50_ms": round(statistics.median(pages) * 1000, 1) if pages else None,
           "page_p95_ms": percentile(pages, 0.95), "acts": len(acts),
           "act_p95_ms": percentile(acts, 0.95),
           "sign_ins": len(sign_ins), "sign_in_p95_ms": percentile(sign_ins, 0.95),
           "by_page_p95_ms": {kind: percentile([s[2] for s in inside if s[0] == kind], 0.95)
                              for kind in ("inbox", "file", "search")},
           "errors": len(errors), "first_errors": errors[:5], **cpu}
    doc["served"] = bool(pages) and doc["page_p95_ms"] < SERVED_P95 * 1000 \
        and len(errors) <= 0.01 * len(samples)
    return doc


def run_level(url, engine, offices, count, args):
    """One level: a fresh gunicorn, ``count`` officials over the ramp, ``--duration`` measured."""
    samples, stop = [], threading.Event()

    def record(kind, wall, seconds, error):
        samples.append((kind, wall, seconds, error))  # list.append is atomic in CPython

    port = free_port()
    server = start_gunicorn(url, port, workers=args.workers, threads=args.threads)
    rng = random.Random(args.seed)
    try:
        crowd = [Official(f"http://127.0.0.1:{port}", login, officer,
                          rng.uniform(0, args.ramp), args, record, stop)
                 for login, officer in picked(offices, count)]
        started = time.time()
        for official in crowd:
            official.start()
        gauges = Gauges(server.pid, engine)
        time.sleep(max(0.0, started + args.ramp - time.time()))
        gauges.start()
        window = (time.time(), time.time() + args.duration)
        time.sleep(args.duration)
        cpu = gauges.stop()
        stop.set()
        for official in crowd:
            official.join(70)
    finally:
        server.terminate()
        server.wait(30)
    return summary(count, samples, window, cpu)


def measure(args, log):
    """Build the database, run every level on it, drop it; the whole report."""
    url, engine, build_seconds, drop = scale.build_database(
        args.database, args.scale, log, args.files_per_office, prefix="sanchika_load")
    try:
        rows = scale.counts(engine)
        levels = []
        for count in args.levels:
            log(f"level {count}: ramp {args.ramp:g} s, measured {args.duration:g} s")
            levels.append(run_level(url, engine, rows["offices"], count, args))
            log(json.dumps(levels[-1], ensure_ascii=False))
    finally:
        engine.dispose()
        drop()
    served = [level["officials"] for level in levels if level["served"]]
    return {"scale": args.scale, "rows": rows, "build_seconds": round(build_seconds, 1),
            "workers": args.workers, "threads": args.threads, "ramp_s": args.ramp,
            "duration_s": args.duration, "think_s": args.think,
            "act_every_s": args.act_every or 3 * args.think, "levels": levels,
            "officials_served": max(served) if served else 0,
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                        "load_average": os.getloadavg()}}


def report(doc):
    print(f"scale {doc['scale']}: {doc['rows']} (built in {doc['build_seconds']} s); gunicorn "
          f"{doc['workers']} workers x {doc['threads']} threads on {doc['machine']['cpus']} "
          f"cores; think {doc['think_s']:g} s, an act every {doc['act_every_s']:g} s")
    columns = ("officials", "pages", "pages_per_s", "page_p50_ms", "page_p95_ms", "act_p95_ms",
               "sign_in_p95_ms", "errors", "server_cpu_cores", "db_cpu_cores",
               "machine_cpu_cores")
    print(" ".join(f"{c:>{max(9, len(c))}}" for c in columns))
    for level in doc["levels"]:
        print(" ".join(f"{str(level[c]):>{max(9, len(c))}}" for c in columns))
        for error in level["first_errors"]:
            print("   ", error)
    print(f"officials served (page p95 under {SERVED_P95:g} s): {doc['officials_served']}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", metavar="URL", default=scale.DEFAULT_PG,
                        help="a PostgreSQL server URL; a database of its own is made beside it")
    parser.add_argument("--scale", type=float, default=0.1,
                        help="as scale.py's: 0.1 = 20 offices, 100,000 files (the default)")
    parser.add_argument("--files-per-office", type=int, default=scale.FILES_PER_OFFICE)
    parser.add_argument("--levels", default="200,500,1000",
                        type=lambda v: [int(n) for n in v.split(",")],
                        help="officials at once, one fresh server run each")
    parser.add_argument("--ramp", type=float, default=60, help="seconds the arrivals spread over")
    parser.add_argument("--duration", type=float, default=60, help="seconds measured after it")
    parser.add_argument("--think", type=float, default=20, help="mean seconds between pages")
    parser.add_argument("--act-every", type=float, default=None,
                        help="mean seconds between acts (default 3 x --think)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--threads", type=int, default=1,
                        help="threads per worker (more than 1: gunicorn's gthread workers)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print one JSON object, nothing else")
    args = parser.parse_args(argv)
    threading.stack_size(512 * 1024)  # a thousand officials' threads
    log = (lambda _m: None) if args.json else (lambda m: print(m, file=sys.stderr, flush=True))
    doc = measure(args, log)
    print(json.dumps(doc, ensure_ascii=False, indent=1)) if args.json else report(doc)


if __name__ == "__main__":
    main()
