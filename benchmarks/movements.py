"""Movements per second: Sanchika's filing service against a naive SpiffWorkflow app.

Every figure is operations per second, one operation being one committed transaction on the
same database: a bare movement row (the floor), a naive app that stores SpiffWorkflow's full
default serialization per file, and ``workflows.files.filing.act``; each on fresh files and on files
with a long history.  Opening a file (``filing.open_file``, ``sanchika_open``) is measured too,
for information.  Fresh files are measured two ways: with a fresh file opened between every
two operations (the figures the targets name) and on files prepared before each turn
(``*_prepared``, see ``Supply``).  They are measured in turns (see ``Rounds``), so that a
machine slowing down for a while does not favour one of them.  Run
``python benchmarks/movements.py --help`` for the options.
"""

import argparse
import functools
import json
import math
import platform
import statistics
import sys
import time
from collections import deque
from datetime import timedelta
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GENERAL_NOTING = ROOT / "bpmn" / "general_noting.bpmn"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from SpiffWorkflow.bpmn import BpmnWorkflow  # noqa: E402
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer  # noqa: E402
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser  # noqa: E402
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG  # noqa: E402
from SpiffWorkflow.util.task import TaskState  # noqa: E402
from sqlalchemy import (Column, Integer, MetaData, Table, Text, func,  # noqa: E402
                        insert, select)

from databases import create_database  # noqa: E402
from workflows import clock, demo, org  # noqa: E402
from workflows.files import filing  # noqa: E402
from workflows.db import schema  # noqa: E402
from workflows.db import analyze, make_engine, make_sessionmaker  # noqa: E402
from workflows.models import (File, Movement, Office, Post, PostHolding,  # noqa: E402
                              User)

# The general noting route bounced between its first two steps: step name -> (login, choice).
BOUNCE = {"Put up note": ("pooja.kumari", "Submit"),
          "Examine and comment": ("arvind.mishra", "Return")}
FIRST_STEP = "Put up note"
NEXT_STEP = {"Put up note": "Examine and comment", "Examine and comment": "Put up note"}
NAIVE = Table("bench_naive_state", MetaData(),
              Column("id", Integer, primary_key=True), Column("state", Text))
#: The issue's floor for ``sanchika / naive``, by database: a commit costs more of an act's time
#: on SQLite (a sync of its log) than on PostgreSQL, where each statement is a round trip.
SPEED_TARGET = {"sqlite": 1.5, "postgresql": 1.2}
TARGETS = [  # name, numerator, denominator, comparison, target (None: for information)
    ("sanchika / naive", "sanchika", "naive", ">=", SPEED_TARGET),
    ("sanchika_engine / naive_engine", "sanchika_engine", "naive_engine", ">=", None),
    ("sanchika_h100 / naive_h100", "sanchika_h100", "naive_h100", ">=", None),
    ("sanchika_prepared / naive_prepared", "sanchika_prepared", "naive_prepared", ">=", None),
    ("sanchika_h1000 / sanchika", "sanchika_h1000", "sanchika", ">=", 0.8),
    ("state_bytes_h1000 / state_bytes", "state_bytes_h1000", "state_bytes", "<=", 1.2),
    # a file in parts (the DDMO's consultation of three sections), bounced inside one part
    ("sanchika_part / sanchika", "sanchika_part", "sanchika", ">=", None),
    ("sanchika_part_h1000 / sanchika_part", "sanchika_part_h1000", "sanchika_part", ">=", 0.8),
    ("state_bytes_part_h1000 / state_bytes_part", "state_bytes_part_h1000", "state_bytes_part",
     "<=", 1.2),
    # a circulation to every Circle Officer of the district, 500 posts added to the demo's:
    # an answer among the last hundred against one among the first hundred
    ("sanchika_circ500 / sanchika", "sanchika_circ500", "sanchika", ">=", None),
    ("sanchika_circ500_late / sanchika_circ500", "sanchika_circ500_late", "sanchika_circ500",
     ">=", 0.8),
    ("state_bytes_circ500_late / state_bytes_circ500", "state_bytes_circ500_late",
     "state_bytes_circ500", "<=", 1.2),
    # a file in a route called by its route (the DDMO's supply contract calls legal vetting),
    # bounced inside the called route, and sent round the call again and again
    ("sanchika_subroute / sanchika", "sanchika_subroute", "sanchika", ">=", None),
    ("sanchika_subroute_h1000 / sanchika_subroute", "sanchika_subroute_h1000",
     "sanchika_subroute", ">=", 0.8),
    ("state_bytes_subroute_h1000 / state_bytes_subroute", "state_bytes_subroute_h1000",
     "state_bytes_subroute", "<=", 1.2),
    ("sanchika_call_round_h1000 / sanchika_call_round", "sanchika_call_round_h1000",
     "sanchika_call_round", ">=", 0.8),
    ("state_bytes_call_round_h1000 / state_bytes_call_round", "state_bytes_call_round_h1000",
     "state_bytes_call_round", "<=", 1.2),
]
CIRCLE_POSTS = 500
#: The movements of a long history (the "_h1000" figures).
LONG = 1000
#: A smoke run's (``--quick``): the same code paths, shorter histories, fewer posts.
QUICK_LONG, QUICK_CIRCLE_POSTS, QUICK_SECONDS = 60, 30, 0.05


class Rounds:
    """Measurements taken in turns: each round measures every operation for its share of the
    time, and each figure is the median of its rounds.  A machine that slows down for a while
    slows every operation alike, so the ratios stay fair."""

    def __init__(self):
        self.operations = {}

    def add(self, name, op, reset=None, every=2, supply=None):
        """``reset`` (untimed) runs inside the measurement every ``every`` ops; a ``supply``
        (see ``Supply``) is filled before each turn instead, outside it."""
        self.operations[name] = (op, reset, every, supply)

    def run(self, seconds, rounds, before_round=None):
        """The median rate of each operation; ``before_round`` (untimed) runs before each
        round."""
        rates = {name: [] for name in self.operations}
        share = seconds / rounds
        for _ in range(rounds):
            if before_round is not None:
                before_round()
            for name, (op, reset, every, supply) in self.operations.items():
                if supply is not None:
                    supply.fill(share * (rates[name][-1] if rates[name] else 2000))
                rates[name].append(measure(op, share, reset, every))
        return {name: statistics.median(values) for name, values in rates.items()}


class Supply:
    """Fresh subjects (a file just opened, a row of state just stored) for an operation that is
    measured on fresh state, each used ``every`` times.  They are made before each turn, not
    between the operations measured (``naive_prepared``, ``sanchika_prepared``).

    ``naive`` and ``sanchika``, the figures the targets name, are measured as before: a fresh
    file is opened (a fresh row stored) between every two operations, untimed.  The act after
    a pause pays for it: the database server's process sat idle while the client worked, and
    caches are cold; the longer the opening (``sanchika_open``), the more ``sanchika`` trails
    ``sanchika_h100``.  It also keeps the naive app on one row, always in the database's
    cache.  The prepared figures measure both on many files, with nothing else run in
    between."""

    def __init__(self, make, use, every=2, settle=None):
        self.make, self.use, self.every, self.settle = make, use, every, settle
        self.ready, self.current, self.uses = deque(), None, 0

    def fill(self, ops):
        """Make enough subjects for about ``ops`` operations (half as many again, to spare),
        then ``settle`` (on SQLite: checkpoint the write-ahead log, so that the pages written
        making them are not copied into the database during the operations measured).  The
        prepared operations are measured in turns of their own, after the others, so that
        making their subjects does not change the conditions of the others."""
        wanted = math.ceil(ops * 1.5 / self.every) + 2
        if wanted > len(self.ready):
            self.ready.extend(self.make(wanted - len(self.ready)))
        if self.settle is not None:
            self.settle()

    def op(self):
        if self.current is None or self.uses == self.every:
            if not self.ready:  # ran short: made here, between the operations measured
                self.ready.extend(self.make(8))
            self.current, self.uses = self.ready.popleft(), 0
        self.use(self.current)
        self.uses += 1


def measure(op, seconds, reset=None, every=2, min_ops=5):
    """Ops per second of ``op`` over ``seconds`` of its own time, after one warm-up call.

    ``reset`` (untimed) runs every ``every`` ops to keep the history bounded."""
    op()
    if reset:
        reset()
    ops, spent = 0, 0.0
    while spent < seconds or ops < min_ops:
        start = time.perf_counter()
        op()
        spent += time.perf_counter() - start
        ops += 1
        if reset and ops % every == 0:
            reset()
    return ops / spent


# -- the database ---------------------------------------------------------------------------

def setup(url):
    engine = make_engine(url)
    schema.upgrade(engine)
    sessions = make_sessionmaker(engine)
    with sessions.begin() as session:
        demo.load_demo(session)
        any_file = session.scalar(select(File.id).order_by(File.id).limit(1))
    NAIVE.create(engine)
    return engine, sessions, any_file


# -- the naive app --------------------------------------------------------------------------

class Naive:
    """SpiffWorkflow used directly, default configuration, the full JSON stored per file."""

    def __init__(self, engine):
        parser = SpiffBpmnParser()
        parser.add_bpmn_file(str(GENERAL_NOTING))
        self.spec = parser.get_spec("general_noting")
        self.serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
        self.engine = engine

    def fresh(self):
        wf = BpmnWorkflow(self.spec)
        wf.do_engine_steps()
        return self.serializer.serialize_json(wf)

    def step(self, state):
        wf = self.serializer.deserialize_json(state)
        [task] = wf.get_tasks(state=TaskState.READY, manual=True)
        task.data["choice"] = BOUNCE[task.task_spec.bpmn_name][1]
        task.run()
        wf.do_engine_steps()
        return self.serializer.serialize_json(wf)

    def put(self, row, state):
        with self.engine.begin() as conn:
            conn.execute(NAIVE.delete().where(NAIVE.c.id == row))
            conn.execute(NAIVE.insert().values(id=row, state=state))

    def rows(self, state, n):
        """``n`` new rows holding ``state``; their ids."""
        with self.engine.begin() as conn:
            first = (conn.scalar(select(func.max(NAIVE.c.id))) or 0) + 1
            conn.execute(NAIVE.insert(), [{"id": first + i, "state": state} for i in range(n)])
        return list(range(first, first + n))

    def op(self, row):
        with self.engine.begin() as conn:
            state = conn.scalar(select(NAIVE.c.state).where(NAIVE.c.id == row))
            conn.execute(NAIVE.update().where(NAIVE.c.id == row).values(state=self.step(state)))


# -- Sanchika -------------------------------------------------------------------------------

class Mover:
    """A file of the SADAR general noting route, bounced between its dealing assistant and
    section officer.  The two users are loaded once (``act`` reads only their ids and names)."""

    def __init__(self, sessions):
        self.sessions = sessions
        with sessions.begin() as session:
            self.users = {login: org.user_by_login(session, login) for login, _ in BOUNCE.values()}
        self.number, self.step, self.movements = None, FIRST_STEP, 0

    def open(self, subject="Benchmark file"):
        self.number, self.step, self.movements = self.open_files(1, subject)[0], FIRST_STEP, 0

    def open_files(self, n, subject="Benchmark file"):
        """Open ``n`` files, each in its own transaction as an official would; their numbers."""
        numbers = []
        for _ in range(n):
            with self.sessions.begin() as session:
                numbers.append(filing.open_file(
                    session, office=org.office_by_code(session, "SADAR"),
                    user=self.users[BOUNCE[FIRST_STEP][0]], route_key="general_noting",
                    subject=subject).number)
        return numbers

    def take(self, number):
        """Move on to the fresh file ``number`` (the next of a ``Supply``)."""
        if number != self.number:
            self.number, self.step = number, FIRST_STEP
        self.act()

    def act(self):
        login, choice = BOUNCE[self.step]
        with self.sessions.begin() as session:
            filing.act(session, number=self.number, user=self.users[login], choice=choice,
                       remark="Benchmark movement.")
        self.step, self.movements = NEXT_STEP[self.step], self.movements + 1

    def bounce(self, movements):
        for _ in range(movements):
            self.act()
        with self.sessions.begin() as session:
            file = filing.lock_file(session, self.number)
            actual = filing.open_tasks(session, file)[0].step_name
        if actual != self.step:
            raise RuntimeError(f"file {self.number} is at '{actual}', expected '{self.step}'")

    def state_bytes(self):
        with self.sessions.begin() as session:
            state = session.scalar(select(File.workflow_state).where(File.number == self.number))
        return len(state.encode("utf-8"))


def open_at_ddmo(sessions, users, route_key, subject, acts):
    """A file of the DDMO opened by its dealing assistant on ``route_key`` and sent on by
    ``acts`` ((login, choice), in one transaction); its number and the last act."""
    with sessions.begin() as session:
        number = filing.open_file(session, office=org.office_by_code(session, "DDMO"),
                                  user=users["ramesh.singh"], route_key=route_key,
                                  subject=subject).number
        for login, choice in acts:
            acted = filing.act(session, number=number, user=users[login], choice=choice)
    return number, acted


class PartMover(Mover):
    """A file of the DDMO's consultation of three sections, sent for comments, and then
    bounced inside the Accounts part (Accounts asks for papers, the dealing assistant supplies
    them) while the Relief and General parts stay open."""

    BOUNCE = {"Comments of the Accounts section": ("kavita.devi", "Ask for papers"),
              "Supply papers to Accounts": ("ramesh.singh", "Papers supplied")}
    FIRST = "Comments of the Accounts section"
    NEXT = {"Comments of the Accounts section": "Supply papers to Accounts",
            "Supply papers to Accounts": "Comments of the Accounts section"}

    def __init__(self, sessions):
        self.sessions = sessions
        with sessions.begin() as session:
            self.users = {login: org.user_by_login(session, login)
                          for login, _ in self.BOUNCE.values()}
        self.number, self.step, self.movements = None, self.FIRST, 0

    def open(self, subject="Benchmark consultation"):
        number, _acted = open_at_ddmo(self.sessions, self.users, "sections_consultation",
                                      subject, [("ramesh.singh", "Send for comments")])
        self.number, self.step, self.movements = number, self.FIRST, 0

    def act(self):
        login, choice = self.BOUNCE[self.step]
        with self.sessions.begin() as session:
            filing.act(session, number=self.number, user=self.users[login], choice=choice,
                       remark="Benchmark movement.")
        self.step, self.movements = self.NEXT[self.step], self.movements + 1

    def bounce(self, movements):
        for _ in range(movements):
            self.act()
        with self.sessions.begin() as session:
            steps = {t.step_name for t in filing.open_tasks(session,
                                                            filing.lock_file(session, self.number))}
        expected = self.expected()
        if steps != expected:
            raise RuntimeError(f"file {self.number} is at {sorted(steps)}, expected "
                               f"{sorted(expected)}")

    def expected(self):
        return {self.step, "Comments of the Relief section", "Comments of the General section"}


class SubrouteMover(PartMover):
    """A file of the DDMO's supply contract route, through its scrutiny (an embedded
    sub-process) and into the route it calls, legal vetting; then bounced inside the called
    route (the Law Officer asks for clarification, the dealing assistant gives it)."""

    BOUNCE = {"Vet the draft": ("meena.gupta", "Ask for clarification"),
              "Give clarification": ("ramesh.singh", "Clarification given")}
    FIRST = "Vet the draft"
    NEXT = {"Vet the draft": "Give clarification", "Give clarification": "Vet the draft"}
    TO_FIRST = (("ramesh.singh", "Submit"), ("kavita.devi", "Forward"),
                ("priya.sharma", "Forward"))

    def __init__(self, sessions):
        super().__init__(sessions)
        with sessions.begin() as session:
            self.users.update({login: org.user_by_login(session, login)
                               for login, _ in self.TO_FIRST})

    def open(self, subject="Benchmark contract"):
        number, _acted = open_at_ddmo(self.sessions, self.users, "supply_contract", subject,
                                      self.TO_FIRST)
        self.number, self.step, self.movements = number, self.FIRST, 0

    def expected(self):
        return {self.step}


class CallRoundMover(SubrouteMover):
    """The same file, objected to in legal vetting and sent round the scrutiny and into the
    call again: every fourth movement enters the called route anew."""

    BOUNCE = {"Vet the draft": ("meena.gupta", "Object"),
              "Put up draft agreement": ("ramesh.singh", "Submit"),
              "Check rates and funds": ("kavita.devi", "Forward"),
              "Examine the agreement": ("priya.sharma", "Forward")}
    NEXT = {"Vet the draft": "Put up draft agreement",
            "Put up draft agreement": "Check rates and funds",
            "Check rates and funds": "Examine the agreement",
            "Examine the agreement": "Vet the draft"}


class CircMover(Mover):
    """A call for flood damage reports of the DDMO, circulated to every Circle Officer of the
    district (the demo's three and those ``add_circle_posts`` made, each held by an official
    of their own), answered one post after another.  ``answered`` posts answer before it is measured;
    when only ``spare`` are left to answer, a fresh call is circulated (untimed)."""

    def __init__(self, sessions, answered=0, spare=3):
        self.sessions, self.answered, self.spare = sessions, answered, spare
        with sessions.begin() as session:
            self.users = {login: org.user_by_login(session, login)
                          for login in ("ramesh.singh", "anil.sinha")}
            self.by_post = {post_id: login for post_id, login in session.execute(
                select(PostHolding.post_id, User.login).join(User, User.id == PostHolding.user_id)
                .join(Post, Post.id == PostHolding.post_id)
                .where(Post.role == "Circle Officer"))}
        self.number, self.waiting, self.movements, self.circulating = None, [], 0, []

    def open(self, subject="Benchmark call for reports"):
        start = time.perf_counter()
        number, acted = open_at_ddmo(self.sessions, self.users, "flood_damage_report", subject,
                                     [("ramesh.singh", "Put up for approval"),
                                      ("anil.sinha", "Circulate to every circle")])
        self.circulating.append(time.perf_counter() - start)
        self.number, self.movements = number, 0
        self.waiting = [self.by_post[p] for p in acted.to_post_ids]
        with self.sessions.begin() as session:
            self.recipients = {login: org.user_by_login(session, login)
                               for login in self.waiting}
        for _ in range(self.answered):
            self.act()

    def act(self):
        login = self.waiting.pop()
        with self.sessions.begin() as session:
            filing.act(session, number=self.number, user=self.recipients[login],
                       choice="Report sent", remark="Benchmark report.")
        self.movements += 1

    def refill(self):
        if len(self.waiting) <= self.spare:
            self.open()


def add_circle_posts(sessions, count=CIRCLE_POSTS):
    """``count`` more Circle Officers in an office of Saran district, each with an official."""
    with sessions.begin() as session:
        saran = org.office_by_code(session, "SARAN")
        office = Office(code="BENCH", name="Benchmark circles", kind="office",
                        parent_id=saran.id)
        session.add(office)
        session.flush()
        password = org.user_by_login(session, "sunita.kumari").password_hash
        for i in range(count):
            post = Post(office_id=office.id, code=f"CO-{i}", title=f"Circle Officer {i}",
                        role="Circle Officer")
            user = User(login=f"bench.co{i}", name=f"Circle Officer {i}",
                        email=f"bench.co{i}@saran.example", password_hash=password)
            session.add_all([post, user])
            session.flush()
            session.add(PostHolding(post_id=post.id, user_id=user.id,
                                    from_date=clock.today() - timedelta(days=1)))


def bench_circulation(sessions, rounds, results, posts=CIRCLE_POSTS):
    """An answer among the first fifth of ``posts`` against one among the last fifth."""
    add_circle_posts(sessions, posts)
    fifth = posts // 5
    first = CircMover(sessions, spare=posts - fifth)
    first.open()
    results["state_bytes_circ500"] = first.state_bytes()
    rounds.add("sanchika_circ500", first.act, reset=first.refill, every=1)
    late = CircMover(sessions, answered=posts - fifth, spare=3)
    late.open()
    results["state_bytes_circ500_late"] = late.state_bytes()
    rounds.add("sanchika_circ500_late", late.act, reset=late.refill, every=1)
    return {"circulate_500_ms": first, "sanchika_circ500_late": late}


def bench_parts(sessions, rounds, results, long=LONG):
    movers = {}
    for name, kind, subject in (
            ("part", PartMover, "Benchmark consultation bounced 1000 times inside a part"),
            ("subroute", SubrouteMover, "Benchmark contract bounced 1000 times inside legal "
                                        "vetting"),
            ("call_round", CallRoundMover, "Benchmark contract sent 1000 times round its call")):
        fresh = kind(sessions)
        fresh.open()
        results[f"state_bytes_{name}"] = fresh.state_bytes()
        rounds.add(f"sanchika_{name}", fresh.act, reset=fresh.open)
        mover = kind(sessions)
        mover.open(subject)
        mover.bounce(long)
        results[f"state_bytes_{name}_h1000"] = mover.state_bytes()
        rounds.add(f"sanchika_{name}_h1000", mover.act)
        movers[f"sanchika_{name}_h1000"] = mover
    return movers


# -- the run --------------------------------------------------------------------------------

def bench_naive(engine, rounds, results, prepared):
    naive = Naive(engine)
    for name, history, row in (("naive", 0, 1), ("naive_h100", 100, 2)):
        base = naive.fresh()
        for _ in range(history):
            base = naive.step(base)
        results[name.replace("naive", "naive_state_bytes")] = len(base.encode("utf-8"))
        naive.put(row, base)
        rounds.add(name, lambda row=row: naive.op(row),
                   reset=lambda row=row, base=base: naive.put(row, base))
        if history == 0:
            supply = Supply(lambda n, base=base: naive.rows(base, n), naive.op,
                            settle=lambda: _settle(engine))
            prepared.add("naive_prepared", supply.op, supply=supply)


def bench_engine_only(rounds):
    """The engine's share of one movement, without a database: load the stored text, complete
    the step, store the text again.  Sanchika's path keeps the last instance in memory, as
    ``act`` does; the naive path deserializes and serializes the full default JSON."""
    import engine as sanchika_engine
    naive = Naive(None)
    state = {"naive": naive.fresh()}

    def naive_step():
        state["naive"] = naive.step(state["naive"])
    rounds.add("naive_engine", naive_step, reset=lambda: state.update(naive=naive.fresh()))
    route = sanchika_engine.parse_route(GENERAL_NOTING.read_bytes())
    choices = {step: choice for step, (_login, choice) in BOUNCE.items()}
    state["ours"] = sanchika_engine.dump(sanchika_engine.start(route))

    def our_step():
        instance = sanchika_engine.load(route, state["ours"])
        [step] = sanchika_engine.ready_steps(instance)
        sanchika_engine.complete(instance, step.task_id, choices[step.name])
        state["ours"] = sanchika_engine.dump(instance)
    rounds.add("sanchika_engine", our_step)


def bench_sanchika(engine, sessions, rounds, results, prepared, long=LONG):
    fresh = Mover(sessions)
    fresh.open()
    results["state_bytes"] = fresh.state_bytes()
    rounds.add("sanchika", fresh.act, reset=fresh.open)
    mover = Mover(sessions)
    supply = Supply(mover.open_files, mover.take, settle=lambda: _settle(engine))
    prepared.add("sanchika_prepared", supply.op, supply=supply)
    # opening a file (with its office looked up, as the CLI does), for information
    prepared.add("sanchika_open", functools.partial(mover.open_files, 1))
    movers = {}
    for name, history in (("sanchika_h100", 100), ("sanchika_h1000", long)):
        mover = movers[name] = Mover(sessions)
        mover.open(f"Benchmark file bounced {history} times")
        mover.bounce(history)
        if name == "sanchika_h1000":
            results["state_bytes_h1000"] = mover.state_bytes()
        rounds.add(name, mover.act)
    return movers


def run(url, seconds, rounds=20, long=LONG, circle_posts=CIRCLE_POSTS):
    """Every figure, measured in ``rounds`` turns of ``seconds`` each; the long histories
    ("_h1000") are ``long`` movements, the circulation goes to ``circle_posts`` posts."""
    url, cleanup = create_database(url)
    engine = None
    results = {}
    try:
        engine, sessions, file_id = setup(url)
        # the floor, the naive app and Sanchika share one engine: SQLite in WAL with
        # synchronous=FULL, PostgreSQL with psycopg's defaults and a ping of pooled connections

        bare_row = insert(Movement.__table__).values(file_id=file_id, kind="bench",
                                                     remark="Bare commit.")

        def bare():  # the floor: no session, no unit of work, one statement and the commit
            with engine.begin() as conn:
                conn.execute(bare_row)
        turns, prepared = Rounds(), Rounds()  # the prepared pair in turns of their own, after
        turns.add("bare_commit", bare)
        bench_naive(engine, turns, results, prepared)
        bench_engine_only(turns)
        movers = bench_sanchika(engine, sessions, turns, results, prepared, long)
        movers.update(bench_parts(sessions, turns, results, long))
        circulating = bench_circulation(sessions, turns, results, circle_posts)
        # PostgreSQL, before each round: the planner's statistics brought up to date, as
        # autovacuum keeps them in a database in service.  This database is minutes old and
        # grows through the run; planned on no statistics, the read of an act scanned every
        # open task (the prepared turns' thousands of fresh files) for the one file acted on.
        before_round = functools.partial(analyze, engine)
        results.update(turns.run(seconds, rounds, before_round))
        results.update(prepared.run(seconds, rounds, before_round))
        if engine.dialect.name == "sqlite":
            for name in ("bare_commit", "naive", "sanchika"):
                op, reset, every, _supply = turns.operations[name]
                results["wal_pages_" + name] = wal_pages(engine, op, reset, every)
        for name, mover in movers.items():
            results[name + "_history_after"] = mover.movements
        results["circle_posts"] = circle_posts
        results["circulate_500_ms"] = round(1000 * statistics.median(
            circulating["circulate_500_ms"].circulating), 1)
        return engine.dialect.name, results
    finally:
        if engine is not None:
            engine.dispose()
        cleanup()


def wal_pages(engine, op, reset=None, every=2, times=20):
    """SQLite: the database pages one operation writes to the write-ahead log, all of which
    its commit writes and syncs (median over ``times`` operations, each measured alone)."""
    counts = []
    for i in range(times):
        if reset and i % every == 0:
            reset()
        _checkpoint(engine, "TRUNCATE")  # an empty log
        op()
        counts.append(_checkpoint(engine, "PASSIVE"))
    return statistics.median(counts)


def _settle(engine):
    if engine.dialect.name == "sqlite":
        _checkpoint(engine, "PASSIVE")


def _checkpoint(engine, mode):
    """Run a checkpoint outside any transaction; the number of pages the log held."""
    connection = engine.raw_connection()
    try:
        busy, logged, _copied = connection.driver_connection.execute(
            f"PRAGMA wal_checkpoint({mode})").fetchone()
    finally:
        connection.close()
    if busy:
        raise RuntimeError("the write-ahead log could not be checkpointed")
    return logged


def ratios(results, database):
    out = {}
    for name, top, bottom, how, target in TARGETS:
        value = results[top] / results[bottom]
        if isinstance(target, dict):
            target = target[database]
        if target is None:
            out[name] = {"value": round(value, 3), "target": None, "met": None}
            continue
        met = value >= target if how == ">=" else value <= target
        out[name] = {"value": round(value, 3), "target": f"{how} {target}", "met": met}
    return out


def budget(results, database):
    """What the speed target leaves an act, in milliseconds, beside what a transaction holding
    one insert (``bare_commit``) and the engine's share (``sanchika_engine``) cost by
    themselves in the same run."""
    target = SPEED_TARGET[database]
    return {"act_at_target_ms": round(1000 / (target * results["naive"]), 3),
            "act_ms": round(1000 / results["sanchika"], 3),
            "bare_commit_ms": round(1000 / results["bare_commit"], 3),
            "engine_ms": round(1000 / results["sanchika_engine"], 3)}


def report(doc):
    print(f"Sanchika movements benchmark: {doc['database']}, Python {doc['python']}, "
          f"SpiffWorkflow {doc['spiffworkflow']}, {doc['seconds']} s per measurement "
          f"in {doc['rounds']} rounds (median)")
    print(f"\n{'measurement':<28}{'value':>14}")
    for name, value in doc["results"].items():
        unit = ("bytes" if "bytes" in name else "movements" if "history" in name
                else "pages" if "pages" in name else "ms" if name.endswith("_ms") else "ops/s")
        print(f"{name:<28}{value:>14,} {unit}")
    print(f"\n{'ratio':<34}{'value':>8}  {'target':<8} met")
    for name, r in doc["ratios"].items():
        met = "-" if r["met"] is None else ("yes" if r["met"] else "NO")
        print(f"{name:<34}{r['value']:>8.3f}  {r['target'] or 'info':<8} {met}")
    b = doc["budget"]
    print(f"\nAt the target an act may take {b['act_at_target_ms']} ms; it takes {b['act_ms']} ms. "
          f"A bare commit takes {b['bare_commit_ms']} ms and the engine's share "
          f"{b['engine_ms']} ms.")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", metavar="URL",
                        help="postgresql:// server to make a temporary database on "
                             "(default: a temporary SQLite file)")
    parser.add_argument("--seconds", type=float, default=2.0, metavar="S",
                        help="time budget per measurement (default 2)")
    parser.add_argument("--rounds", type=int, default=20, metavar="N",
                        help="measure in N turns, each operation after the other, and report "
                             "the median of each (default 20: short turns keep the operations "
                             "compared close in time, on a machine whose disk speed drifts)")
    parser.add_argument("--quick", action="store_true",
                        help="a short smoke run (0.05 s each, one round; long histories of "
                             f"{QUICK_LONG} movements, a circulation to {QUICK_CIRCLE_POSTS} "
                             "posts)")
    parser.add_argument("--json", action="store_true", help="print one JSON object, nothing else")
    args = parser.parse_args(argv)
    if args.quick:
        database, results = run(args.database, QUICK_SECONDS, 1, QUICK_LONG, QUICK_CIRCLE_POSTS)
        seconds, rounds = QUICK_SECONDS, 1
    else:
        seconds, rounds = args.seconds, max(1, args.rounds)
        database, results = run(args.database, seconds, rounds)
    doc = {"database": database, "python": platform.python_version(),
           "spiffworkflow": version("SpiffWorkflow"), "seconds": seconds, "rounds": rounds,
           "results": {k: (round(v, 1) if isinstance(v, float) else v)
                       for k, v in results.items()},
           "ratios": ratios(results, database), "budget": budget(results, database)}
    if args.json:
        print(json.dumps(doc, indent=2))
    else:
        report(doc)


if __name__ == "__main__":
    main()
