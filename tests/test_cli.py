"""The sanchika command: what administrators and scripts do, and every way it can go wrong."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from web.cli import main

ROOT = Path(__file__).resolve().parent.parent
SANCHIKA = str(Path(sys.executable).parent / "sanchika")


@pytest.fixture
def cli(demo_db):
    runner = CliRunner(env={"SANCHIKA_DATABASE_URL": demo_db})

    def run(*args):
        result = runner.invoke(main, list(args), catch_exceptions=False)
        return result
    return run


def fails_cleanly(result, words):
    assert result.exit_code == 1, result.output
    assert words in result.stderr, result.stderr
    assert "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_open_act_show_walk_a_file(cli):
    opened = cli("file", "open", "--office", "sadar", "--route", "land_mutation",
                 "--subject", "Mutation of Khata 5", "--priority", "Immediate", "--as", "manoj.yadav",
                 "--note", "Petition with sale deed.")
    assert opened.exit_code == 0, opened.output
    number = opened.stdout.strip()
    assert number.startswith("SADAR/REV/")
    moved = cli("file", "act", number, "--as", "manoj.yadav", "--choice", "Submit report",
                "--remark", "Spot verified")
    assert moved.exit_code == 0
    assert "Circle Inspector, Sadar" in moved.stdout
    shown = cli("file", "show", number)
    assert shown.exit_code == 0
    for words in ("Mutation of Khata 5", "Immediate", "Status   open",
                  "With     Circle Inspector, Sadar (Rajesh Prasad)",
                  "choices: Forward, Return", "[Submit report]", "remark: Spot verified",
                  "1. Petition with sale deed."):
        assert words in shown.stdout, shown.stdout


@pytest.mark.parametrize("args, words", [
    (["file", "act", "{n}", "--as", "nobody", "--choice", "Forward"], "no active user with the login 'nobody'"),
    (["file", "act", "{n}", "--as", "manoj.yadav", "--choice", "Approve"], "'Approve' is not a choice"),
    (["file", "act", "{n}", "--as", "rajesh.prasad", "--choice", "Forward"], "is with Revenue Karmachari, Halka 1"),
    (["file", "act", "NO/SUCH/2026/0001", "--as", "manoj.yadav", "--choice", "Forward"], "no file numbered"),
    (["file", "open", "--office", "SADAR", "--route", "passport", "--subject", "x", "--as", "manoj.yadav"], "no route 'passport'"),
    (["file", "open", "--office", "PATNA", "--route", "land_mutation", "--subject", "x", "--as", "manoj.yadav"], "no office with the code 'PATNA'"),
    (["file", "open", "--office", "SADAR", "--route", "land_mutation", "--subject", " ", "--as", "manoj.yadav"], "subject is empty"),
    (["file", "open", "--office", "SADAR", "--route", "land_mutation", "--subject", "x", "--priority", "Urgent", "--as", "manoj.yadav"], "priority 'Urgent'"),
    (["file", "open", "--office", "SADAR", "--route", "land_mutation", "--subject", "x", "--as", "priya.sharma"], "holds no post in Circle Office"),
    (["file", "show", "NO/SUCH/2026/0001"], "no file numbered"),
    (["file", "pull-back", "{n}", "--as", "rajesh.prasad"], "only the last sender"),
    (["file", "close", "{n}", "--as", "rajesh.prasad", "--retention", "C"], "is closed by the official holding it at a step where its route may end"),
    (["file", "unpark", "{n}", "--as", "manoj.yadav"], "is not parked"),
    (["deploy-route", "/no/such.bpmn", "--office", "SADAR"], "cannot be read"),
    (["deploy-route", "tests/routes/two_step.bpmn", "--office", "PATNA"], "no office"),
])
def test_every_mistake_gets_one_clear_line_and_exit_1(cli, args, words):
    number = cli("file", "open", "--office", "SADAR", "--route", "land_mutation", "--subject",
                 "Test file", "--as", "manoj.yadav").stdout.strip()
    fails_cleanly(cli(*[a.replace("{n}", number) for a in args]), words)


def test_deploy_route_publishes_versions_and_refuses_bad_ones(cli, tmp_path):
    route = ROOT / "tests/routes/two_step.bpmn"
    first = cli("deploy-route", str(route), "--office", "SADAR")
    assert first.stdout.strip() == "two_step version 1 published in SADAR"
    again = cli("deploy-route", str(route), "--office", "SADAR")
    assert again.stdout.strip() == "two_step version 1 published in SADAR"  # same XML: no new version
    changed = tmp_path / "two_step.bpmn"
    changed.write_text(route.read_text().replace('value="3"', 'value="4"'))
    assert "version 2" in cli("deploy-route", str(changed), "--office", "SADAR").stdout
    listing = cli("routes").stdout
    assert "two_step" in listing and "v2" in listing and "(2 versions)" in listing
    bad = tmp_path / "bad.bpmn"
    bad.write_text(route.read_text().replace('choice == "Approve"', "__import__('os')"))
    fails_cleanly(cli("deploy-route", str(bad), "--office", "SADAR"), "F_Approve")


def test_check_route_prints_ok_or_problems_and_sets_exit_code(tmp_path):
    runner = CliRunner()
    good = ROOT / "bpmn/general_noting.bpmn"
    ok = runner.invoke(main, ["check-route", str(good)])
    assert (ok.exit_code, ok.stdout.strip()) == (0, f"OK {good}")
    junk = tmp_path / "junk.bpmn"
    junk.write_bytes(b"\x00\x01 not xml")
    missing = tmp_path / "missing.bpmn"
    result = runner.invoke(main, ["check-route", str(good), str(junk), str(missing)])
    assert result.exit_code == 1
    lines = result.stdout.strip().splitlines()
    assert lines[0] == f"OK {good}"
    assert lines[1].startswith(f"{junk}: ") and "XML" in lines[1]
    assert lines[2].startswith(f"{missing}: cannot be read")


def test_commands_on_a_database_not_set_up_say_so(tmp_path):
    runner = CliRunner(env={"SANCHIKA_DATABASE_URL": f"sqlite:///{tmp_path}/new.db"})
    result = runner.invoke(main, ["routes"])
    fails_cleanly(result, "run 'sanchika init' first")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_init_demo_twice_and_serve_from_a_fresh_directory(tmp_path):
    env = {**os.environ, "SANCHIKA_DATABASE_URL": f"sqlite:///{tmp_path}/s.db",
           "SANCHIKA_INSTANCE": str(tmp_path / "instance")}
    def run(*args):
        return subprocess.run([SANCHIKA, *args], env=env, cwd=tmp_path, capture_output=True,
                              text=True, timeout=120)
    assert "database ready at revision" in run("init").stdout
    first = run("demo", "--signing", "DDMO")  # as `make run` does
    assert first.returncode == 0 and "created file SADAR/REV/" in first.stdout
    assert "created signing authority of DDMO" in first.stdout
    second = run("demo", "--signing", "DDMO")
    assert second.returncode == 0 and "(0 new items)" in second.stdout
    assert run("init").returncode == 0  # migrating an up-to-date database is harmless
    port = _free_port()
    log = open(tmp_path / "serve.log", "wb")
    server = subprocess.Popen([SANCHIKA, "serve", "--port", str(port)], env=env, cwd=tmp_path,
                              stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/sign-in", timeout=2) as r:
                    assert r.status == 200
                    assert r.headers["Server"] == "Sanchika"  # waitress, not the dev server
                    assert "Sign in" in r.read().decode()
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("the server did not answer")
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


def test_notes_and_documents_from_the_command_line(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("SANCHIKA_ATTACHMENTS", str(tmp_path / "store"))
    number = cli("file", "open", "--office", "SADAR", "--route", "land_mutation", "--subject",
                 "With papers", "--as", "manoj.yadav").stdout.strip()
    assert "note paragraph 1 added" in cli("file", "note", number, "--as", "manoj.yadav",
                                           "--text", "खतियान की प्रति संलग्न है।").stdout
    deed = tmp_path / "deed.pdf"
    deed.write_bytes(b"%PDF-1.4\n%%EOF\n")
    assert "attached deed.pdf (application/pdf" in cli("file", "attach", number, str(deed),
                                                       "--as", "manoj.yadav").stdout
    shown = cli("file", "show", number).stdout
    assert "1. खतियान की प्रति संलग्न है।" in shown and "(draft)" in shown
    assert "deed.pdf (application/pdf" in shown
    fake = tmp_path / "virus.pdf"
    fake.write_bytes(b"MZ\x90\x00 this is a program")
    fails_cleanly(cli("file", "attach", number, str(fake), "--as", "manoj.yadav"),
                  "'virus.pdf' is not a PDF")


def test_serve_warns_when_logins_are_let_in_without_a_second_factor(monkeypatch, tmp_path):
    import waitress
    monkeypatch.setattr(waitress, "serve", lambda app, **kw: None)  # no server, just the words
    env = {"SANCHIKA_DATABASE_URL": f"sqlite:///{tmp_path}/x.db", "SANCHIKA_SECRET_KEY": "t"}
    quiet = CliRunner(env=env).invoke(main, ["serve", "--no-scheduler"], catch_exceptions=False)
    assert quiet.exit_code == 0 and "second factor" not in quiet.output
    demo = CliRunner(env={**env, "SANCHIKA_SECOND_FACTOR_EXEMPT": "sunita.kumari, Anil.Sinha"})
    warned = demo.invoke(main, ["serve", "--no-scheduler"], catch_exceptions=False)
    assert ("warning: signing in without a second factor: sunita.kumari, anil.sinha"
            in warned.output)
