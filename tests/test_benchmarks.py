"""The benchmarks keep running (a smoke run; figures are read by people, never asserted)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

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
