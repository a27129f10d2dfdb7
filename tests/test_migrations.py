"""The Alembic migrations build exactly the schema the models describe, on both databases, and
PostgreSQL's storage settings do what they are there for."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from datetime import datetime, timezone

from sqlalchemy import text

from workflows.files import filing
from workflows import demo, org
from workflows.db import Base, make_engine, make_sessionmaker
from workflows.db.schema import include_name
from workflows.models import Section


def test_migrated_schema_matches_the_models(db_url):
    eng = make_engine(db_url)
    with eng.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True,
                                                          "include_name": include_name}),
                                Base.metadata)
    eng.dispose()
    assert diff == []


@pytest.mark.parametrize("empty_db", ["postgresql"], indirect=True)
def test_movements_rewrite_a_files_row_on_its_own_page_on_postgresql(demo_db):
    # Every movement rewrites the file's row.  PostgreSQL's packing of files (migration 0012)
    # leaves room on each page for a new version, so that a movement writes no index entries:
    # counted over each movement's own transaction, as an office's officials act.  One file
    # per page is moved: later ones on the same page find room only once the page sheds the
    # old versions, which waits on every transaction of the server (other tests' included).
    eng = make_engine(demo_db)
    sessions = make_sessionmaker(eng)
    numbers = []
    for n in range(60):  # several pages of rows, each as full as inserting leaves it
        with sessions.begin() as session:
            numbers.append(filing.open_file(
                session, office=org.office_by_code(session, "SADAR"),
                user=org.user_by_login(session, "shabnam.parveen"), route_key="land_mutation",
                subject=f"Mutation of Khata {n}").number)
    with eng.connect() as connection:
        placed = connection.execute(text(
            "SELECT number, (ctid::text::point)[0] FROM files WHERE number = ANY(:numbers) "
            "ORDER BY ctid"), {"numbers": numbers}).all()
    first_on_page = list({page: number for number, page in reversed(placed)}.values())
    assert len(first_on_page) >= 5 and len(first_on_page) < len(numbers)
    counted = text("SELECT pg_stat_get_xact_tuples_updated('files'::regclass), "
                   "pg_stat_get_xact_tuples_hot_updated('files'::regclass)")
    updated = in_place = 0
    for number in first_on_page:
        with sessions.begin() as session:  # the counts so far on this connection, and after
            before = session.execute(counted).one()
            filing.act(session, number=number, user=org.user_by_login(session, "shabnam.parveen"),
                       choice="Submit report")
            after = session.execute(counted).one()
            updated, in_place = updated + after[0] - before[0], in_place + after[1] - before[1]
    eng.dispose()
    assert updated == len(first_on_page) and in_place == updated


@pytest.mark.parametrize("empty_db", ["sqlite", "postgresql"], indirect=True)
def test_officials_made_before_session_tokens_each_get_their_own(empty_db):
    """Migration 0014 gives every existing user a session token of their own, unlike any
    other, and goes back down cleanly."""
    from alembic import command
    from workflows.db.schema import alembic_config
    eng = make_engine(empty_db)
    with eng.begin() as connection:
        command.downgrade(alembic_config(connection=connection), "0013")
    with eng.begin() as connection:
        for login in ("asha.devi", "binod.kumar", "chandan.roy"):
            connection.execute(text(
                "INSERT INTO users (login, name, name_hi, email, mobile, password_hash, active, "
                "must_change_password, failed_logins, language, created_at) VALUES (:login, "
                ":login, '', '', '', 'x', true, false, 0, 'en', '2026-11-01 10:00:00+00:00')"),
                {"login": login})
    with eng.begin() as connection:  # 0020 replaces the tokens by sessions of their own
        command.upgrade(alembic_config(connection=connection), "0014")
    with eng.connect() as connection:
        tokens = connection.execute(text("SELECT session_token FROM users")).scalars().all()
    assert len(tokens) == 3 and len(set(tokens)) == 3 and all(len(t) >= 40 for t in tokens)
    with eng.begin() as connection:
        command.downgrade(alembic_config(connection=connection), "0013")
    with eng.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM users")).scalar() == 3
    eng.dispose()


@pytest.mark.parametrize("empty_db", ["sqlite", "postgresql"], indirect=True)
def test_file_numbers_go_on_unbroken_across_the_one_counter_table(demo_db):
    """Migration 0018 moves the sections' file counters into number_counters and back down."""
    from alembic import command
    from workflows.db.schema import alembic_config, upgrade
    eng = make_engine(demo_db)
    counted = text("SELECT office_id, kind, year, last FROM number_counters "
                   "WHERE kind LIKE 'file:%' ORDER BY office_id, kind, year")
    with eng.connect() as connection:
        before = connection.execute(counted).all()
    assert before and all(last > 0 for *_, last in before)
    with eng.begin() as connection:
        command.downgrade(alembic_config(connection=connection), "0014")  # below 0018
    with eng.connect() as connection:
        kept = connection.execute(text(
            "SELECT office_id, 'file:' || CAST(section_id AS VARCHAR(11)), year, last "
            "FROM file_counters ORDER BY office_id, section_id, year")).all()
        assert connection.execute(counted).all() == []
    assert sorted(kept) == sorted(before)
    upgrade(eng)
    with eng.connect() as connection:
        assert connection.execute(counted).all() == before
    with make_sessionmaker(eng).begin() as session:
        sadar, manoj = org.office_by_code(session, "SADAR"), org.user_by_login(session,
                                                                              "manoj.yadav")
        office_id, kind, year, last = next(row for row in before if row[0] == sadar.id)
        section = session.get(Section, int(kind.removeprefix("file:")))
        opened = filing.open_file(session, office=sadar, user=manoj, route_key="land_mutation",
                                  subject="Mutation of Khata 12", section=section,
                                  now=datetime(year, 6, 1, 5, 0, tzinfo=timezone.utc))
    assert opened.number == f"SADAR/{section.code}/{year}/{last + 1:04d}"
    eng.dispose()


@pytest.mark.parametrize("empty_db", ["sqlite", "postgresql"], indirect=True)
def test_password_links_come_and_go_with_migration_0021(empty_db):
    from alembic import command
    from sqlalchemy import inspect
    from workflows.db.schema import alembic_config, upgrade
    eng = make_engine(empty_db)
    assert "password_links" in inspect(eng).get_table_names()
    with eng.begin() as connection:
        command.downgrade(alembic_config(connection=connection), "0018")
    assert "password_links" not in inspect(eng).get_table_names()
    upgrade(eng)
    assert "password_links" in inspect(eng).get_table_names()
    eng.dispose()


def test_sessions_replace_the_one_token_per_official_and_go_back_down(demo_db):
    """Migration 0020: the officials stay, their session tokens and lock columns go, the tables
    of sessions, second factors and recovery codes come; going down gives each official a
    token of their own again, and up again works."""
    from alembic import command
    from sqlalchemy import inspect
    from workflows.db.schema import alembic_config, upgrade
    eng = make_engine(demo_db)
    with eng.connect() as connection:
        logins = connection.execute(text("SELECT login FROM users ORDER BY id")).scalars().all()
        columns = {c["name"] for c in inspect(connection).get_columns("users")}
        tables = set(inspect(connection).get_table_names())
    assert len(logins) == len(demo.STAFF) and not columns & {"session_token", "failed_logins", "locked_until"}
    assert {"sign_in_sessions", "second_factors", "recovery_codes"} <= tables
    with make_sessionmaker(eng).begin() as session:  # a session, a factor, codes: all go down
        from workflows.org import second_factor, sessions
        manoj = org.user_by_login(session, "manoj.yadav")
        sessions.start(session, manoj, user_agent="test")
        second_factor.begin(session, manoj)
    with eng.begin() as connection:
        command.downgrade(alembic_config(connection=connection), "0018")
    with eng.connect() as connection:
        rows = connection.execute(text(
            "SELECT login, session_token, failed_logins FROM users ORDER BY id")).all()
        tables = set(inspect(connection).get_table_names())
    assert [login for login, _t, _f in rows] == logins
    assert len({token for _l, token, _f in rows}) == len(logins) and all(len(t) >= 40 for _l, t, _f in rows)
    assert {failed for *_, failed in rows} == {0}
    assert not tables & {"sign_in_sessions", "second_factors", "recovery_codes"}
    upgrade(eng)
    with eng.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM sign_in_sessions")).scalar() == 0
    eng.dispose()


def test_checkpoints_are_never_changed_or_removed_and_the_table_goes_back_down(empty_db):
    """Migration 0019 makes the table of signed checkpoints, whose rows the database refuses
    to change or delete (as it does audit events'), and takes it away again going down."""
    from alembic import command
    from sqlalchemy import inspect
    from sqlalchemy.exc import DatabaseError
    from workflows.db.schema import alembic_config, upgrade
    eng = make_engine(empty_db)
    with eng.begin() as connection:
        connection.execute(text(
            "INSERT INTO audit_checkpoints (seq, hash, at, key_id, signature) VALUES "
            "(0, :h, '2026-12-03 05:00:00+00:00', '0123456789abcdef', 'c2lnbmVk')"),
            {"h": "0" * 64})
    for sql in ("UPDATE audit_checkpoints SET seq = 5", "DELETE FROM audit_checkpoints"):
        with pytest.raises(DatabaseError, match="rows of audit_checkpoints are never changed"):
            with eng.begin() as connection:
                connection.execute(text(sql))
    with eng.connect() as connection:
        assert connection.execute(text("SELECT seq FROM audit_checkpoints")).scalar() == 0
    with eng.begin() as connection:
        command.downgrade(alembic_config(connection=connection), "0018")
    assert "audit_checkpoints" not in inspect(eng).get_table_names()
    upgrade(eng)
    assert "audit_checkpoints" in inspect(eng).get_table_names()
    eng.dispose()
