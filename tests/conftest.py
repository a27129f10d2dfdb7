"""Test fixtures: real databases (SQLite always, PostgreSQL when reachable, and required under
CI), migrated with Alembic and loaded with the demo offices once per run; each test works in a
savepoint that is rolled back at teardown."""

import os
import shutil
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from workflows import org
from workflows.db import schema
from workflows.db import make_engine
from workflows.demo import load_demo

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("SANCHIKA_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
# The demo's staff take their posts a year before this day, whatever day the tests run on:
# a test may freeze the clock on any day from 2023 on and find them in post.
DEMO_DAY = date(2024, 1, 1)


def pg_available():
    try:
        eng = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with eng.connect():
            pass
        eng.dispose()
        return True
    except Exception:
        return False


_PG = None


def _pg_ok():
    global _PG
    if _PG is None:
        _PG = pg_available()
        if not _PG and IN_CI:
            raise RuntimeError(f"PostgreSQL is required under CI but {PG_ADMIN_URL} is unreachable")
    return _PG


def fresh_database(kind, tmp_path_factory, template=None):
    """Create an empty database of ``kind`` (on PostgreSQL, a copy of database ``template``
    when given); return (url, drop function)."""
    if kind == "sqlite":
        path = tmp_path_factory.mktemp("db") / "sanchika.db"
        return f"sqlite:///{path}", lambda: None
    name = f"sanchika_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'
                          + (f' TEMPLATE "{template}"' if template else "")))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name

    def drop():
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
    return url, drop


def database_kinds():
    return ["sqlite", "postgresql"]


@pytest.fixture(scope="session", params=database_kinds())
def db_url(request, tmp_path_factory):
    """A migrated database with the demo loaded, one per kind for the whole run."""
    if request.param == "postgresql" and not _pg_ok():
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
    url, drop = fresh_database(request.param, tmp_path_factory)
    eng = make_engine(url)
    schema.upgrade(eng)
    with Session(eng) as session, session.begin():
        load_demo(session, today=DEMO_DAY)
    eng.dispose()
    yield url
    drop()


@pytest.fixture(scope="session")
def db_engine(db_url):
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session(db_engine):
    """A session inside an outer transaction, rolled back after the test."""
    connection = db_engine.connect()
    outer = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint",
                      expire_on_commit=False)
    yield session
    session.close()
    outer.rollback()
    connection.close()


class _Templates:
    """Databases migrated (and with the demo loaded) once per worker, copied for each test
    that commits: PostgreSQL makes a database from a template, SQLite copies the file.
    Migrating and loading the demo anew took 1.8 s per test on PostgreSQL."""

    def __init__(self, tmp_path_factory):
        self.tmp_path_factory, self.made, self.drops = tmp_path_factory, {}, []
        # PostgreSQL's copy is the server writing files while this worker waits: the next
        # copy of each kind is made while the test that got the last one runs
        self.ahead, self.pool = {}, ThreadPoolExecutor(max_workers=1)

    def copy(self, kind, demo):
        source = self.made.get((kind, demo))
        if source is None:
            source = self.made[kind, demo] = self._make(kind, demo)
        if kind == "sqlite":
            path = self.tmp_path_factory.mktemp("db") / "sanchika.db"
            shutil.copyfile(source, path)
            return f"sqlite:///{path}", lambda: None
        made = self.ahead.pop((kind, demo), None)  # one copy of a template at a time
        url, drop = (made.result() if made is not None
                     else fresh_database(kind, self.tmp_path_factory, template=source))
        self.ahead[kind, demo] = self.pool.submit(fresh_database, kind, self.tmp_path_factory,
                                                  template=source)
        return url, drop

    def close(self):
        for made in self.ahead.values():  # copies made ahead that no test asked for
            made.result()[1]()
        self.pool.shutdown()
        for drop in self.drops:
            drop()

    def _make(self, kind, demo):
        url, drop = fresh_database(kind, self.tmp_path_factory)
        self.drops.append(drop)
        eng = make_engine(url)
        schema.upgrade(eng)
        if demo:
            with Session(eng) as session, session.begin():
                load_demo(session, today=DEMO_DAY)
        eng.dispose()  # a template has no connections while it is copied
        return url.removeprefix("sqlite:///") if kind == "sqlite" else url.rsplit("/", 1)[1]


@pytest.fixture(scope="session")
def templates(tmp_path_factory):
    made = _Templates(tmp_path_factory)
    yield made
    made.close()


@pytest.fixture
def empty_db(request, templates):
    """A fresh, migrated, empty database per test, for tests that commit (CLI, processes);
    with the demo loaded when the test asks for ``demo_db`` too."""
    kind = getattr(request, "param", "sqlite")
    if kind == "postgresql" and not _pg_ok():
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
    url, drop = templates.copy(kind, demo="demo_db" in request.fixturenames)
    yield url
    drop()


@pytest.fixture
def demo_db(empty_db):
    """A fresh database with the demo loaded and committed."""
    return empty_db


class People:
    """Demo officials by login: ``people(session).manoj``."""

    def __init__(self, session):
        self._session = session

    def __getattr__(self, short):
        logins = {"anil": "anil.sinha", "priya": "priya.sharma", "ramesh": "ramesh.singh",
                  "vikas": "vikas.kumar", "sunita": "sunita.kumari", "rajesh": "rajesh.prasad",
                  "manoj": "manoj.yadav", "shabnam": "shabnam.parveen", "arvind": "arvind.mishra",
                  "pooja": "pooja.kumari", "kavita": "kavita.devi", "suresh": "suresh.ram",
                  "amit": "amit.ranjan", "neha": "neha.bharti", "meena": "meena.gupta"}
        return org.user_by_login(self._session, logins[short])


@pytest.fixture
def people(session):
    return People(session)


@pytest.fixture
def sadar(session):
    return org.office_by_code(session, "SADAR")


@pytest.fixture
def ddmo(session):
    return org.office_by_code(session, "DDMO")


@pytest.fixture
def app(session, tmp_path):
    """The web app on the test's session (see webtools.make_app)."""
    from webtools import make_app
    return make_app(session, tmp_path)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session", autouse=True)
def authority_keys(tmp_path_factory):
    """Signing authorities' private keys go to a folder of the run's, never to ./instance
    (each key file is named by its key, so the tests share the folder)."""
    from workflows.signing.authority import AUTHORITY_ENV
    os.environ[AUTHORITY_ENV] = str(tmp_path_factory.mktemp("authority"))


def pytest_collection_modifyitems(items):
    """The browser walks run on one worker of a parallel run (pytest-xdist's loadgroup, from
    the Makefile): the demo server, the signing server and chromium then start once, not once
    on each worker."""
    for item in items:
        if item.path.name.startswith("test_browser"):
            item.add_marker(pytest.mark.xdist_group("browser"))


# The browser walks (tests/test_browser*.py) share one server on the demo database: started
# once a module, the three starts of the server cost ~7 s each (init and demo).  Chromium is
# started once a module: Playwright's sync API keeps an event loop running while it lives,
# and a later test of the worker that runs asyncio (pyHanko's validation) could not.
@pytest.fixture(scope="module")
def browser():
    from test_browser import launch
    yield from launch()


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """The real app on waitress, on a fresh demo database, on loopback (test_browser.py)."""
    from test_browser import serving
    yield from serving(tmp_path_factory, ["demo"])
