"""PostgreSQL's two roles: ``sanchika init`` migrates as the tables' owner and grants the
application's role what the application does, no more; that role then does an office's work,
and fails to rewrite a movement, to switch a guard trigger off and to silence every trigger.
A role that could switch the guards off is refused by ``init`` with one line.

PostgreSQL only; it runs whenever PostgreSQL is reachable (and under CI=true it must be)."""

import uuid
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from conftest import PG_ADMIN_URL, _pg_ok
from web.cli import main
from workflows import org
from workflows.clock import utcnow
from workflows.db import make_engine, make_sessionmaker
from workflows.deadlines import limits, scheduler
from workflows.files import attachments, drafts, filing, notes, receipts
from workflows.mail import outbox


class Roles:
    """A database of its own owned by a fresh owner role, and a fresh application role."""

    def __init__(self, tmp_path):
        tag = uuid.uuid4().hex[:8]
        self.owner, self.app = f"sanchika_owner_{tag}", f"sanchika_app_{tag}"
        self.database, self.tmp = f"sanchika_roles_{tag}", tmp_path

    def url(self, role):
        return make_url(PG_ADMIN_URL).set(username=role, database=self.database) \
            .render_as_string(hide_password=False)

    def sanchika(self, *args, app=None, owner=None):
        env = {"SANCHIKA_DATABASE_URL": app or self.url(self.app),
               "SANCHIKA_OWNER_DATABASE_URL": owner if owner is not None else self.url(self.owner),
               "SANCHIKA_SIGNING_KEY": str(self.tmp / "signing.key"),
               "SANCHIKA_ATTACHMENTS": str(self.tmp / "store")}
        return CliRunner(env=env).invoke(main, list(args))

    def admin(self, *statements, database=None):
        """Statements run by the cluster's superuser (the test's own set-up and tampering)."""
        eng = create_engine(make_url(PG_ADMIN_URL).set(database=database or self.database),
                            isolation_level="AUTOCOMMIT")
        with eng.connect() as conn:
            for sql in statements:
                conn.execute(text(sql))
        eng.dispose()


@pytest.fixture
def roles(tmp_path):
    if not _pg_ok():
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
    r = Roles(tmp_path)
    server = make_url(PG_ADMIN_URL).database
    r.admin(f"CREATE ROLE {r.owner} LOGIN", f"CREATE ROLE {r.app} LOGIN",
            f"CREATE DATABASE {r.database} OWNER {r.owner}", database=server)
    yield r
    r.admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE datname = '{r.database}' AND pid <> pg_backend_pid()", database=server)
    r.admin(f"DROP OWNED BY {r.app}, {r.owner} CASCADE")
    r.admin(f"DROP DATABASE {r.database}", f"DROP ROLE {r.app}", f"DROP ROLE {r.owner}",
            database=server)


def _refused(result, words):
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert words in result.stderr and "Traceback" not in result.output, result.output
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def _as(url, sql):
    """Run ``sql`` on a connection of ``url``; the database's refusal, as text."""
    eng = create_engine(url)
    try:
        with eng.begin() as conn:
            conn.execute(text(sql))
    except DBAPIError as exc:
        return str(exc.orig)
    finally:
        eng.dispose()
    return None


def _a_day_of_work(url, store):
    """What the application does to the tables, as the application's role."""
    eng = make_engine(url)
    sessions = make_sessionmaker(eng)
    with sessions.begin() as session:
        office, manoj = org.office_by_code(session, "SADAR"), org.user_by_login(session,
                                                                              "manoj.yadav")
        number = filing.open_file(session, office=office, user=manoj, route_key="land_mutation",
                                  subject="Mutation of plot 12", first_note="Put up.").number
        notes.add_note(session, number=number, user=manoj, body="Enquiry done on the spot.")
        attachments.attach(session, number=number, user=manoj, filename="map.pdf",
                           data=b"%PDF-1.4 map", store=store)
        draft = drafts.create_draft(session, number=number, user=manoj, kind="Notice",
                                    title="Notice to the objector", body="Appear on Monday.")
        receipts.diarise_receipt(session, office=office, user=manoj, subject="Petition",
                                 sender="Ram Kumar")
        limits.set_limits(session, office, priorities={"Immediate": 2})
    with sessions.begin() as session:
        limits.set_limits(session, org.office_by_code(session, "SADAR"),
                          priorities={"Immediate": None})  # taken off: the one DELETE
        filing.act(session, number=number, user=org.user_by_login(session, "manoj.yadav"),
                   choice="Submit report", remark="Report enclosed.")
    with sessions.begin() as session:  # the Circle Inspector, competent for notices
        rajesh = org.user_by_login(session, "rajesh.prasad")
        drafts.approve_draft(session, draft_id=draft.id, version=1, user=rajesh)
        drafts.issue_draft(session, draft_id=draft.id, user=rajesh)
    later = utcnow() + timedelta(days=60)
    report = scheduler.escalate_pass(sessions, later)
    outbox.send_pending(sessions, later, outbox.transport_from_settings({}, store.parent))
    eng.dispose()
    return report


def test_the_application_role_works_and_cannot_switch_the_guards_off(roles, tmp_path):
    done = roles.sanchika("init")
    assert done.exit_code == 0, done.output
    assert f"the application's role {roles.app} may read and write rows" in done.output
    assert roles.sanchika("demo").exit_code == 0
    app = roles.url(roles.app)
    escalated = _a_day_of_work(app, tmp_path / "store")
    assert escalated.escalations  # the scheduler's writes are the application's too
    assert roles.sanchika("checkpoint").exit_code == 0
    backup = roles.sanchika("backup", str(tmp_path / "bk"))
    assert backup.exit_code == 0 and "signed with key" in backup.output, backup.output
    verified = roles.sanchika("verify")
    assert verified.exit_code == 0 and "record intact" in verified.output, verified.output
    # a restore runs as the owner and grants the application's role again
    restored = roles.sanchika("restore", "--force", str(tmp_path / "bk"))
    assert restored.exit_code == 0, restored.output
    assert roles.sanchika("checkpoint").exit_code == 0  # the application writes again
    assert roles.sanchika("verify").exit_code == 0

    rewrite = "UPDATE movements SET remark = 'All well.' WHERE remark = 'Report enclosed.'"
    assert "permission denied for table movements" in _as(app, rewrite)
    assert "must be owner of table movements" in _as(
        app, "ALTER TABLE movements DISABLE TRIGGER movements_keep")
    assert 'permission denied to set parameter "session_replication_role"' in _as(
        app, "SET session_replication_role = replica")
    assert "permission denied for table audit_events" in _as(app, "DELETE FROM audit_events")
    assert "permission denied for table audit_checkpoints" in _as(
        app, "DELETE FROM audit_checkpoints")
    # and the trigger holds against the owner, who has every privilege on the table
    assert "rows of movements are never changed or removed" in _as(roles.url(roles.owner),
                                                                   rewrite)
    eng = make_engine(app)
    with Session(eng) as session:
        assert session.execute(text("SELECT count(*) FROM movements WHERE remark = "
                                    "'Report enclosed.'")).scalar() == 1
    eng.dispose()


def test_init_refuses_a_role_that_could_switch_the_guards_off(roles):
    _refused(roles.sanchika("init", owner=""), f"the application's database role {roles.app} "
             "would own the tables: set SANCHIKA_OWNER_DATABASE_URL")
    superuser = make_url(PG_ADMIN_URL).set(database=roles.database).render_as_string(
        hide_password=False)
    _refused(roles.sanchika("init", app=superuser), "is a superuser")
    assert roles.sanchika("init").exit_code == 0
    roles.admin(f"ALTER TABLE notes OWNER TO {roles.app}")
    _refused(roles.sanchika("init"), f"the application's database role {roles.app} owns "
             "sequence notes_id_seq, table notes; the owner's role must own them")
    roles.admin(f"ALTER TABLE notes OWNER TO {roles.owner}",
                f"GRANT {roles.owner} TO {roles.app}")
    _refused(roles.sanchika("init"), f"is a member of the owner's role {roles.owner}")
    roles.admin(f"REVOKE {roles.owner} FROM {roles.app}",
                f"GRANT SET ON PARAMETER session_replication_role TO {roles.app}")
    _refused(roles.sanchika("init"), "may set session_replication_role")
    roles.admin(f"REVOKE SET ON PARAMETER session_replication_role FROM {roles.app}")
    _refused(roles.sanchika("init", app=roles.url("nobody_" + uuid.uuid4().hex[:6])),
             "the application's database (SANCHIKA_DATABASE_URL) cannot be reached")
    assert roles.sanchika("init").exit_code == 0
