"""The wheel is the product: built with ``python -m build`` (the sdist, then the wheel from the
sdist), installed with pip into a fresh virtual environment outside the checkout, it creates a
database, loads the demo and serves every page, the route editor's bpmn-js, Hindi, and the
PDF with its Devanagari font, with nothing of the checkout in reach."""

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

import pytest
from filelock import FileLock

# Building and installing with pip (dependencies from PyPI) take a minute or two before the
# first test; the fixtures' time counts against that test's timeout.
# One worker runs them all (pytest-xdist's loadgroup, from the Makefile), so the other goes on
# with the rest of the suite instead of waiting for the build.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900), pytest.mark.xdist_group("wheel")]

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "sanchika-demo"


def _run(*args, **kwargs):
    done = subprocess.run(args, capture_output=True, text=True, timeout=600, **kwargs)
    assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
    return done


def _shared(tmp_path_factory, worker_id):
    """A folder of this run that every worker of a parallel run sees (pytest-xdist's way)."""
    base = tmp_path_factory.getbasetemp()
    return base if worker_id == "master" else base.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory, worker_id):
    """The wheel, built once per run: workers share it, and a second build at once would race
    the first over the checkout's build files."""
    shared = _shared(tmp_path_factory, worker_id)
    with FileLock(shared / "wheel.lock"):
        if not list((shared / "dist").glob("sanchika-*.whl")):
            _run(sys.executable, "-m", "build", "--outdir", str(shared / "dist"), str(ROOT))
    (built,) = (shared / "dist").glob("sanchika-*.whl")
    return built


@pytest.fixture(scope="module")
def place(tmp_path_factory, worker_id, wheel):
    """A fresh virtual environment with the wheel installed (once per run, shared by the
    workers), and an empty working folder and database of the worker's own."""
    shared = _shared(tmp_path_factory, worker_id)
    bin_dir = shared / "installed" / "venv" / "bin"
    assert not bin_dir.is_relative_to(ROOT)
    with FileLock(shared / "installed.lock"):
        if not (bin_dir / "sanchika").exists():
            _run(sys.executable, "-m", "venv", str(bin_dir.parent))
            _run(str(bin_dir / "python"), "-m", "pip", "install", "--quiet", "--no-compile",
                 str(wheel))  # modules compile as they are first imported
    base = tmp_path_factory.mktemp("installed")
    work = base / "work"
    work.mkdir()
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("SANCHIKA_", "PYTHON", "VIRTUAL_ENV"))}
    env.update(SANCHIKA_DATABASE_URL=f"sqlite:///{base / 'sanchika.db'}",
               PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}")
    return bin_dir, work, env


@pytest.fixture(scope="module")
def server(place):
    bin_dir, work, env = place
    for command in ("init", "demo"):
        _run(str(bin_dir / "sanchika"), command, cwd=work, env=env)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = work / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen([str(bin_dir / "sanchika"), "serve", "--host", "127.0.0.1",
                                    "--port", str(port), "--no-scheduler"], cwd=work,
                                   # the demo's head walks the pages without a second factor
                                   env={**env, "SANCHIKA_SECOND_FACTOR_EXEMPT": "sunita.kumari"},
                                   stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/sign-in", timeout=5).close()
                break
            except OSError:
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "the server did not answer in 60 s"
                time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Browser:
    """Just enough of a browser: cookies, redirects, and the pages' CSRF tokens."""

    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path):
        try:
            with self.opener.open(self.base + path, timeout=30) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers, exc.read()

    def post(self, path, fields, token_from="/"):
        page = self.get(token_from)[2].decode()
        fields = {**fields, "csrf_token": re.search(
            r'name="csrf_token" value="([^"]+)"', page).group(1)}
        data = urllib.parse.urlencode(fields).encode()
        with self.opener.open(self.base + path, data=data, timeout=30) as response:
            return response.status, response.read().decode()


def _signed_in(server, login):
    browser = Browser(server)
    status, page = browser.post("/sign-in", {"login": login, "password": PASSWORD},
                                token_from="/sign-in")
    assert status == 200 and "sign-off" in page, page[:500]
    return browser


def _links(page):
    for href in re.findall(r'href="(/[^"#]*)', page):
        if not href.startswith(("//", "/static/", "/vendor/")):
            yield href.replace("&amp;", "&")


def test_the_wheel_carries_what_the_product_needs(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("web/templates/base.html", "web/static/vendor/bpmn-modeler.js",
                   "web/static/vendor/LICENSE-bpmn-js.txt",
                   "web/translations/hi/LC_MESSAGES/messages.mo",
                   "workflows/routes/shipped/land_mutation.bpmn", "workflows/reports/fonts/Lohit-Devanagari.ttf",
                   "workflows/reports/fonts/OFL.txt", "migrations/env.py"):
        assert needed in names
    assert not {n for n in names if n.endswith(".po") or n.startswith(("tests/", "bpmn/"))}


def test_init_and_demo_from_the_installed_command(place, server):
    bin_dir, work, env = place
    again = _run(str(bin_dir / "sanchika"), "demo", cwd=work, env=env).stdout
    assert "demo ready (0 new items)" in again
    shown = _run(str(bin_dir / "sanchika"), "routes", cwd=work, env=env).stdout
    assert "land_mutation" in shown and "relief_grant" in shown


def test_the_code_and_the_font_come_from_the_installed_package(place):
    bin_dir, work, env = place
    found = _run(str(bin_dir / "python"), "-c",
                 "import web, workflows.db.schema as s, workflows.reports.pdf_export as p; "
                 "print(web.__file__); print(s.migrations_dir()); print(p.font_path())",
                 cwd=work, env=env).stdout.split()
    site = bin_dir.parent.resolve()
    for path in map(Path, found):
        assert path.resolve().is_relative_to(site) and path.exists(), path
    assert found[2].endswith("workflows/reports/fonts/Lohit-Devanagari.ttf")


def test_every_page_an_official_reaches_answers(server):
    browser = _signed_in(server, "sunita.kumari")  # head and administrator of SADAR
    seen, queue, failed = set(), ["/", "/admin/", "/admin/outbox/"], []
    while queue and len(seen) < 300:  # the demo's pages are about a hundred
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        status, headers, body = browser.get(path)
        if status != 200:
            failed.append((path, status))
        elif headers.get_content_type() == "text/html":
            queue.extend(link for link in _links(body.decode()) if link not in seen)
    assert not failed and not queue
    assert any(p.startswith("/files/") for p in seen) and "/reports/" in seen
    editor = [p for p in seen if "/routes/editor" in p]
    assert editor, "the route editor is linked from the administration pages"
    page = browser.get(editor[0])[2].decode()
    for asset in re.findall(r'(?:src|href)="(/vendor/[^"]+)"', page):
        status, headers, body = browser.get(asset)
        assert status == 200 and len(body) > 1000, asset
    assert "/vendor/bpmn-modeler.js" in page


def test_bpmn_js_is_served_from_the_package(server):
    status, headers, body = Browser(server).get("/vendor/bpmn-modeler.js")
    assert status == 200 and body.startswith(b"/*! bpmn-js - bpmn-modeler v")
    status, _, font = Browser(server).get("/vendor/bpmn-font/font/bpmn.woff2")
    assert status == 200 and font.startswith(b"wOF2")


def test_hindi_after_the_language_switch(server):
    browser = _signed_in(server, "manoj.yadav")
    assert "आवक" not in browser.get("/")[2].decode()
    status, page = browser.post("/language", {"language": "hi"})
    assert status == 200 and 'lang="hi"' in page
    assert "आवक" in page and "आवतियाँ" in page  # Inbox, Receipts: from the compiled catalog


def test_the_pdf_of_a_file_is_drawn_with_the_packaged_font(server):
    browser = _signed_in(server, "sunita.kumari")
    inbox = browser.get("/")[2].decode()
    file_id = re.search(r'href="/files/(\d+)"', inbox).group(1)
    status, headers, pdf = browser.get(f"/reports/file/{file_id}.pdf")
    assert status == 200 and pdf.startswith(b"%PDF")
    assert b"Lohit" in pdf
