"""Two officials at once, and a process killed mid-action: one wins, nothing is half-written."""

import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflows import clock, org
from workflows.files import filing
from workflows.db import make_engine, make_sessionmaker
from workflows.models import File, Movement, Post, PostHolding, Task

BOTH = pytest.mark.parametrize("empty_db", ["sqlite", "postgresql"], indirect=True)


def _setup_shared_post(url, files):
    """Give Arvind additional charge of RK-1 (Manoj's post) and open ``files`` files at RK-1."""
    eng = make_engine(url)
    numbers = []
    with Session(eng) as session, session.begin():
        sadar = org.office_by_code(session, "SADAR")
        rk1 = session.scalar(select(Post).where(Post.office_id == sadar.id, Post.code == "RK-1"))
        arvind = org.user_by_login(session, "arvind.mishra")
        session.add(PostHolding(post_id=rk1.id, user_id=arvind.id, kind="charge",
                                from_date=clock.today() - timedelta(days=1)))
        manoj = org.user_by_login(session, "manoj.yadav")
        for i in range(files):
            numbers.append(filing.open_file(session, office=sadar, user=manoj,
                                            route_key="land_mutation",
                                            subject=f"Race {i}").number)
    eng.dispose()
    return numbers


def _act_at_once(url, login, numbers, choice, barrier, results):
    eng = make_engine(url)
    maker = make_sessionmaker(eng)
    for number in numbers:
        barrier.wait(timeout=60)
        try:
            with maker.begin() as session:
                filing.act(session, number=number, user=org.user_by_login(session, login),
                           choice=choice, remark=f"by {login}")
            results.put((number, login, "ok"))
        except Exception as exc:
            results.put((number, login, f"{type(exc).__name__}: {exc}"))
    eng.dispose()


def race(url, logins, numbers, choice):
    """Two officials (``logins``), each in a process of their own, act with ``choice`` on each
    file of ``numbers`` at the same instant; each file's two outcomes ("ok", or the refusal
    as "Kind: message"), by number."""
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    workers = [ctx.Process(target=_act_at_once,
                           args=(url, login, numbers, choice, barrier, results))
               for login in logins]
    for w in workers:
        w.start()
    outcomes = [results.get(timeout=120) for _ in range(2 * len(numbers))]
    for w in workers:
        w.join(timeout=60)
    by_file: dict[str, list[str]] = {}
    for number, _login, outcome in outcomes:
        by_file.setdefault(number, []).append(outcome)
    return by_file


@BOTH
def test_two_officials_acting_at_once_one_wins_the_other_is_told(demo_db):
    numbers = _setup_shared_post(demo_db, files=8)
    by_file = race(demo_db, ("manoj.yadav", "arvind.mishra"), numbers, "Submit report")
    for number, seen in by_file.items():
        assert sorted(o == "ok" for o in seen) == [False, True], (number, seen)
        [lost] = [o for o in seen if o != "ok"]
        assert lost.startswith("FileMoved: the file has moved"), lost
    eng = make_engine(demo_db)
    with Session(eng) as session:
        for number in numbers:
            file = session.scalar(select(File).where(File.number == number))
            moves = session.scalar(select(func.count()).select_from(Movement)
                                   .where(Movement.file_id == file.id))
            open_tasks = filing.open_tasks(session, file)
            assert moves == 2 and [t.step_name for t in open_tasks] == ["Check enquiry report"]
    eng.dispose()


KILLED_ACTOR = textwrap.dedent("""
    import sys, time
    from workflows.files import filing
    from workflows import org
    from workflows.db import make_engine, make_sessionmaker
    url, number = sys.argv[1], sys.argv[2]
    maker = make_sessionmaker(make_engine(url))
    with maker.begin() as session:
        filing.act(session, number=number, user=org.user_by_login(session, "manoj.yadav"),
                   choice="Submit report", remark="never committed")
        session.flush()
        print("ACTED", flush=True)
        time.sleep(120)
""")


def _snapshot(url, number):
    eng = make_engine(url)
    with Session(eng) as session:
        file = session.scalar(select(File).where(File.number == number))
        moves = session.scalar(select(func.count()).select_from(Movement)
                               .where(Movement.file_id == file.id))
        tasks = session.execute(select(Task.id, Task.step_name, Task.done_at)
                                .where(Task.file_id == file.id).order_by(Task.id)).all()
        snap = (file.row_version, file.workflow_state, file.status, moves, tasks)
    eng.dispose()
    return snap


@BOTH
def test_a_process_killed_mid_action_leaves_the_file_exactly_as_before(demo_db):
    [number] = _setup_shared_post(demo_db, files=1)
    before = _snapshot(demo_db, number)
    proc = subprocess.Popen([sys.executable, "-c", KILLED_ACTOR, demo_db, number],
                            stdout=subprocess.PIPE, text=True, cwd=os.getcwd())
    try:
        assert proc.stdout.readline().strip() == "ACTED"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
        proc.stdout.close()
    assert _snapshot(demo_db, number) == before
    # and the file is not stuck: the next official can act at once
    maker = make_sessionmaker(make_engine(demo_db))
    with maker.begin() as session:
        filing.act(session, number=number, user=org.user_by_login(session, "manoj.yadav"),
                   choice="Submit report")
    assert _snapshot(demo_db, number)[3] == 2
    maker.kw["bind"].dispose()
