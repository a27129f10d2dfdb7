"""The benchmarks keep running (a smoke run; figures are read by people, never asserted)."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from conftest import PG_ADMIN_URL, _pg_ok

ROOT = Path(__file__).resolve().parent.parent


def test_movements_benchmark_runs_and_reports_every_figure():
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks/movements.py"), "--quick",
                          "--json"], capture_output=True, text=True, timeout=600, check=True)
    doc = json.loads(out.stdout)
    for key in ("bare_commit", "naive", "naive_h100", "sanchika", "sanchika_h100",
                "sanchika_h1000", "state_bytes", "state_bytes_h1000", "naive_engine",
                "sanchika_engine", "naive_prepared", "sanchika_prepared"):
        assert doc["results"][key] > 0, key
    # size, not speed: a thousand movements leave the stored state as small as a fresh one,
    # on a single line, inside one part of a file in parts, inside a route called and round
    # the call; and four hundred answers to a circulation leave it as small as when it began
    for ratio in ("state_bytes_h1000 / state_bytes", "state_bytes_part_h1000 / state_bytes_part",
                  "state_bytes_subroute_h1000 / state_bytes_subroute",
                  "state_bytes_call_round_h1000 / state_bytes_call_round",
                  "state_bytes_circ500_late / state_bytes_circ500"):
        assert doc["ratios"][ratio]["met"] is True, ratio
    assert doc["results"]["circulate_500_ms"] > 0
    # what each commit writes: an act's records take more pages than one row of state
    pages = {name: doc["results"]["wal_pages_" + name]
             for name in ("bare_commit", "naive", "sanchika")}
    assert 1 <= pages["bare_commit"] <= pages["naive"] < pages["sanchika"], pages


def test_movements_benchmark_runs_on_postgresql():
    """The same run on a PostgreSQL server: a database of its own, its statistics gathered
    before each round, dropped at the end."""
    if not _pg_ok():
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks/movements.py"), "--quick",
                          "--json", "--database", PG_ADMIN_URL.replace("+psycopg", "")],
                         capture_output=True, text=True, timeout=600, check=True)
    doc = json.loads(out.stdout)
    assert doc["database"] == "postgresql"
    assert all(doc["results"][key] > 0 for key in ("bare_commit", "naive", "sanchika",
                                                   "sanchika_h1000", "sanchika_prepared"))
    assert doc["ratios"]["state_bytes_h1000 / state_bytes"]["met"] is True
    assert not any(key.startswith("wal_pages_") for key in doc["results"])  # SQLite's only


def test_the_signing_benchmark_runs_and_reports_what_signing_adds():
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks/signing.py"), "--rounds", "2",
                          "--json"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    figures = json.loads(out.stdout)
    assert figures["issue_signed_ms"] > 0 and figures["send_signed_ms"] > 0
    assert set(figures) >= {"issue_signature_adds_ms", "send_signature_adds_ms", "unlock_ms"}


def test_the_scale_database_is_one_the_application_serves(tmp_path):
    """A database ``scale.py`` builds is served by the app: an official signs in, opens a file
    of the bulk load from the inbox and sends it on, and a new file opens beside them."""
    if not _pg_ok():
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import scale
    from web import create_app
    from workflows.db import make_sessionmaker
    from webtools import flashes, post, sign_in

    url, engine, _seconds, drop = scale.build_database(PG_ADMIN_URL, 0.01, lambda _m: None,
                                                       per_office=20)
    try:
        # the app on the test's engine, disposed of before the database is dropped
        client = create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": url,
                             "SESSION_FACTORY": make_sessionmaker(engine),
                             "ATTACHMENTS": str(tmp_path / "store")}).test_client()
        sign_in(client, "u2", scale.BENCH_PASSWORD)
        inbox_page = client.get("/").get_data(as_text=True)
        file_id = int(re.search(r'href="/files/(\d+)"', inbox_page).group(1))
        assert client.get(f"/files/{file_id}").status_code == 200
        sent = post(client, f"/files/{file_id}/act", {"choice": "Return", "remark": "See me.",
                                                      "reason": "Waited for the survey."},
                    follow_redirects=True)
        assert "sent on: Return" in flashes(sent)[0]
        with engine.begin() as conn:
            holder = conn.execute(text("SELECT t.post_id FROM tasks t WHERE t.file_id = :f "
                                       "AND t.done_at IS NULL"), {"f": file_id}).scalar_one()
        assert holder != 2  # back with a dealing assistant of the section
        opened = post(client, "/files/new", {"route": "general_noting", "subject": "A new one",
                                             "priority": "Normal"}, follow_redirects=True)
        assert opened.status_code == 200 and "A new one" in opened.get_data(as_text=True)
        # and what the web adds to an act is measured on it
        out = subprocess.run([sys.executable, str(ROOT / "benchmarks/act_overhead.py"), url,
                              "--acts", "4", "--json"], capture_output=True, text=True,
                             timeout=120)
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout)["acts"] == 4
    finally:
        engine.dispose()
        drop()


def test_the_load_benchmark_runs_officials_at_work_and_says_how_many_it_served():
    """A tiny run of ``load.py`` on PostgreSQL: officials sign in, open their inboxes and
    files, search and act through the file page's form, all without an error."""
    if not _pg_ok():
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks/load.py"), "--json",
                          "--database", PG_ADMIN_URL, "--scale", "0.01",
                          "--files-per-office", "20", "--levels", "5", "--ramp", "0.5",
                          "--duration", "2", "--think", "0.3"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    [level] = doc["levels"]
    assert level["officials"] == 5 and level["sign_ins"] == 5
    assert level["errors"] == 0, level["first_errors"]
    assert level["pages"] > 0 and level["acts"] > 0  # acts went through the form (302)
    assert doc["officials_served"] == (5 if level["served"] else 0)


def test_the_page_weight_benchmark_reports_every_page_compressed_and_not():
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks/page_weight.py"), "--scan-kb",
                          "300", "--json"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    pages = json.loads(out.stdout)["pages"]
    assert set(pages) == {"inbox", "file page", "route viewer", "heat map", "editor"}
    for name, page in pages.items():
        assert 0 < page["bytes"] < page["bytes_uncompressed"], name
        assert not page["scan_in_page"], name  # the scan comes when asked for, not with the page
