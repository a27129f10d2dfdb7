"""A file walked from the dealing assistant to the head of office in a real browser (Debian's
chromium driven by Playwright), with a return in the middle, in English and in Hindi.

The screenshots the walk takes are the ones in docs/officer-guide.md (`make guide` refreshes
them there; an ordinary run keeps them in test-artifacts/guide/), so the guide shows the pages
as they are.  When a step fails, a screenshot of the page is kept in test-artifacts/.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"
# `make guide` writes the screenshots into the guide; an ordinary run keeps them aside.
SHOTS = (ROOT / "docs" / "images" if os.environ.get("SANCHIKA_GUIDE_SHOTS")
         else ARTIFACTS / "guide")
SANCHIKA = str(Path(sys.executable).parent / "sanchika")

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists() and not os.environ.get("CI"),
                                reason="Debian's chromium is not installed (make test installs it)")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serving(tmp_path_factory, demo):
    """Serve the app on a fresh database loaded by the ``demo`` command given; yield its
    address."""
    home = tmp_path_factory.mktemp("browser")
    env = {**os.environ, "SANCHIKA_DATABASE_URL": f"sqlite:///{home}/sanchika.db",
           "SANCHIKA_INSTANCE": str(home / "instance"),
           # the demo's heads and administrators walk through without a second factor
           "SANCHIKA_SECOND_FACTOR_EXEMPT":
               "anil.sinha,vikas.kumar,sunita.kumari,amit.ranjan,neha.bharti"}
    for command in (["init"], demo):
        subprocess.run([SANCHIKA, *command], env=env, cwd=ROOT, check=True, capture_output=True)
    port = _free_port()
    log = open(home / "server.log", "wb")
    proc = subprocess.Popen([SANCHIKA, "serve", "--port", str(port)], env=env, cwd=ROOT,
                            stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(base + "/sign-in", timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    yield base
    proc.terminate()
    proc.wait(timeout=10)
    log.close()


def launch():
    """Debian's chromium under Playwright (the ``browser`` fixture of tests/conftest.py)."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield chromium
        chromium.close()


class Official:
    """One official at their own browser window."""

    def __init__(self, browser, base, login, shots, language):
        self.context = browser.new_context(viewport={"width": 1280, "height": 860},
                                           locale="en-IN")
        self.page = self.context.new_page()
        self.base, self.login, self.shots, self.language = base, login, shots, language

    def shot(self, name):
        if self.shots is not None:
            SHOTS.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(SHOTS / f"{self.language}-{name}.png"), full_page=True)

    def sign_in(self):
        page = self.page
        page.goto(self.base + "/sign-in")
        switch = page.locator("form.lang button")
        if switch.get_attribute("value") == self.language:  # the official picks the language
            switch.click()
            page.wait_for_load_state()
        page.fill("#login", self.login)
        page.fill("#password", "sanchika-demo")
        if self.login == "pooja.kumari":
            self.shot("sign-in")
        page.locator("form.card button[type=submit]").click()
        page.wait_for_url(self.base + "/")
        if page.locator("html").get_attribute("lang") != self.language:
            # an official who chose the other language in an earlier walk keeps it: switch
            page.locator("header form.lang button").click()
            page.wait_for_load_state()

    def open_file(self, subject):
        page = self.page
        page.click("header nav a[href='/files/new']")
        page.fill("#subject", subject)
        page.select_option("#route", "general_noting")
        page.select_option("#priority", "Top Priority")
        page.fill("#note", "The record room roof leaks; estimate of Rs 48,500 from the PWD.")
        self.shot("new-file")
        page.locator("form.card button.primary").click()
        page.wait_for_url("**/files/*")
        return page.url

    def open_from_inbox(self, number):
        page = self.page
        if not on_inbox(page, self.base):  # from the inbox already open, as an official would
            page.goto(self.base + "/")
        page.get_by_role("link", name=number).click()
        page.wait_for_url("**/files/*")

    def act(self, choice, remark):
        page = self.page
        page.fill("#actions form[action$='/act'] textarea[name=remark]", remark)
        button = page.locator(f"#actions button[name=choice][value='{choice}']")
        ending = "ending" in (button.get_attribute("class") or "")
        button.click()
        if ending:  # a choice that ends the file is asked again, on a page of its own
            page.wait_for_selector("#confirm-choice")
            assert remark in page.locator("#confirm-choice").inner_text()
            page.locator("#confirm-choice button.danger").click()
        page.wait_for_url(self.base + "/")

    def sign_off(self):
        self.page.locator("header form:not(.lang) button").click()
        self.page.wait_for_url("**/sign-in")
        self.context.close()


def on_inbox(page, base):
    """Whether the page is the inbox's own tab (any filter)."""
    path, _, query = page.url.partition("?")
    return path == base + "/" and ("tab=" not in query or "tab=inbox" in query)


def count_in(label):
    """The first number in a label, in Latin or Devanagari digits."""
    return int(re.search(r"\d+", label).group())  # int() reads "३" as 3


def in_hindi(text, *words):
    """The text is Hindi: the words given are in it, and its numbers are in Devanagari."""
    for word in words:
        assert word in text, (word, text)
    assert re.search("[०-९]", text) and not re.search("[0-9]", text), text


def listed(page):
    """The file numbers and subjects in the page's list (not in its messages)."""
    return " ".join(page.locator("main table.list").all_inner_texts())


@contextmanager
def walk(browser, base, language, shots, name):
    """Officials signing in one after another at windows of their own, as ``official(login)``;
    when a step fails, each open page is kept as a screenshot in test-artifacts/ (``name``),
    and every window is closed at the end."""
    officials = []

    def official(login):
        person = Official(browser, base, login, shots, language)
        officials.append(person)
        person.sign_in()
        return person

    try:
        yield official
    except Exception:
        ARTIFACTS.mkdir(exist_ok=True)
        for person in officials:
            if not person.page.is_closed():
                person.page.screenshot(path=str(ARTIFACTS / f"{name}-{person.login}.png"),
                                       full_page=True)
        raise
    finally:
        for person in officials:
            if not person.page.is_closed():
                person.context.close()


WORDS = {
    "en": {"submit": "Submit", "return": "Return", "forward": "Forward", "approve": "Approve",
           "inbox": "Inbox", "track": "Track", "closed": "closed",
           "route": "General noting"},
    "hi": {"submit": "प्रस्तुत करें", "return": "वापस करें", "forward": "अग्रसारित करें",
           "approve": "अनुमोदित करें", "inbox": "आवक", "track": "ट्रैक", "closed": "बंद",
           "route": "सामान्य टिप्पणी"},
}


@pytest.mark.parametrize("language", ["en", "hi"])
def test_a_file_walks_from_dealing_assistant_to_head_of_office(server, browser, language,
                                                              request):
    words = WORDS[language]
    with walk(browser, server, language, True, request.node.name) as official:
        pooja = official("pooja.kumari")
        file_url = pooja.open_file(f"Roof repair of the record room ({language})")
        number = pooja.page.locator(".filehead h1").inner_text()
        assert words["submit"] in pooja.page.locator("#actions").inner_text()
        pooja.shot("workspace")
        arvind = official("arvind.mishra")  # at his desk, the inbox open, as the file is sent
        waiting = watch_for_arrivals(arvind)
        pooja.act("Submit", "Put up for approval of the estimate.")
        assert number not in listed(pooja.page)  # gone from her inbox
        pooja.page.goto(server + "/?tab=sent")
        assert number in listed(pooja.page)
        pooja.shot("sent")
        pooja.page.click("header nav a[href='/handover/']")  # her own menu: leave handover
        assert pooja.page.locator("#handover-form select[name=colleague] option").count() > 1
        pooja.shot("handover")
        pooja.sign_off()

        sees_the_file_arrive(arvind, number, waiting,
                             {"en": "Pooja Kumari", "hi": "पूजा कुमारी"}[language])
        assert number in listed(arvind.page)
        arvind.shot("inbox")
        arvind.open_from_inbox(number)
        actions = arvind.page.locator("#actions").inner_text()
        assert words["forward"] in actions and words["return"] in actions
        arvind.act("Return", "Attach the PWD estimate itself, not a summary.")
        arvind.sign_off()

        pooja = official("pooja.kumari")
        on_a_phone_and_on_paper(pooja, number)
        if language == "en":  # back at her step, done once: the diagram marks it where it is
            pooja.page.click(".filehead a[href$='/route']")
            pooja.page.wait_for_selector("#diagram[data-ready='1']", timeout=20000)
            here = pooja.page.locator(".step-current:not(.djs-connection) .djs-visual > *").first
            assert here.evaluate("e => getComputedStyle(e).stroke") == "rgb(211, 84, 0)"
            pooja.page.go_back()
        body = pooja.page.locator("main").inner_text()
        assert "Attach the PWD estimate itself" in body  # the remark is on the track
        pooja.page.fill("form.card textarea#note", "Estimate attached as received from the PWD.")
        pooja.page.locator("form.card:has(#note) button").click()
        draft = pooja.page.locator(".para.draft textarea")  # hers to change until she sends it
        assert draft.input_value() == "Estimate attached as received from the PWD."
        pooja.act("Submit", "Estimate attached.")
        pooja.sign_off()

        arvind = official("arvind.mishra")
        arvind.open_from_inbox(number)
        # beyond the route: put up to the Circle Officer, who acts on the Head Clerk's step
        put_up = arvind.page.locator("details.put-up")
        put_up.locator("summary").click()
        put_up.locator("textarea[name=put_up_reason]").fill("Recommended; the CO should "
                                                            "see the estimate now.")
        with arvind.page.expect_navigation():
            put_up.locator("form[action$='/put-up'] button").click()
        assert "Recommended; the CO" in arvind.page.locator(".track").inner_text()
        arvind.sign_off()

        sunita = official("sunita.kumari")
        filters_the_inbox_by_post(sunita, number)
        sunita.open_from_inbox(number)
        assert sunita.page.locator("form[action$='/put-back']").count() == 1
        sunita.shot("put-up")
        sunita.act("Forward", "Seen at my level; for decision.")
        sunita.open_from_inbox(number)
        assert words["approve"] in sunita.page.locator("#actions").inner_text()
        sunita.shot("decide")
        sunita.page.click(".filehead a[href$='/route']")
        sunita.page.wait_for_selector("#diagram[data-ready='1']", timeout=20000)
        assert sunita.page.locator(".step-current").count() >= 1
        assert sunita.page.locator(".step-done").count() >= 2
        sunita.shot("route")
        # the route's heat map, drawn by the same viewer: the file is at a step of it now
        sunita.page.goto(sunita.base + "/reports/")
        sadar = sunita.page.locator("select[name=office] option", has_text=re.compile("Sadar|सदर"))
        sunita.page.goto(sunita.base + "/reports/?office=" + sadar.get_attribute("value"))
        sunita.page.locator("a[href*='/reports/routes/']", has_text=words["route"]).first.click()
        sunita.page.wait_for_selector("#diagram[data-ready='1']", timeout=20000)
        assert sunita.page.locator(".heat.busy").count() >= 1
        sunita.page.goto(file_url)
        sunita.act("Approve", "Approved. Get the work done before the monsoon.")
        sunita.sign_off()

        pooja = official("pooja.kumari")
        pooja.open_from_inbox(number)
        pooja.act("Close", "Work order issued; file recorded.")
        pooja.page.goto(file_url)
        head = pooja.page.locator(".filehead").inner_text()
        assert words["closed"] in head
        track = pooja.page.locator(".track").inner_text()
        for remark in ("Put up for approval", "Attach the PWD estimate", "Recommended; the CO",
                       "Approved.", "Work order issued"):
            assert remark in track
        pooja.shot("closed")
        pooja.sign_off()


def on_a_phone_and_on_paper(official, number):
    """The inbox and the file page on a 360 px phone: nothing wider than the screen, the links
    folded behind "Menu", the action first; then the file page printed: no navigation, no
    buttons, the note sheet and the track."""
    page = official.page
    page.set_viewport_size({"width": 360, "height": 740})
    wide = "document.documentElement.scrollWidth"
    assert page.evaluate(wide) <= 360, "the inbox is wider than the phone"
    nav = page.locator("header nav")
    assert nav.is_hidden()
    page.click("label.menu-button")
    assert nav.is_visible() and nav.locator("a").first.is_visible()
    page.click("label.menu-button")
    assert nav.is_hidden()
    official.open_from_inbox(number)
    assert page.evaluate(wide) <= 360, "the file page is wider than the phone"
    actions, notes = (page.locator(s).bounding_box() for s in ("#actions", ".notesheet"))
    assert actions["y"] < notes["y"]
    track = page.locator(".track tbody tr").first.bounding_box()
    assert track["x"] >= 0 and track["x"] + track["width"] <= 360
    page.emulate_media(media="print")
    assert nav.is_hidden() and page.locator("header").is_hidden()
    assert page.locator("#actions").is_hidden() and page.locator("button:visible").count() == 0
    assert page.locator(".notesheet").is_visible() and page.locator(".track").is_visible()
    page.emulate_media(media="screen")
    page.set_viewport_size({"width": 1280, "height": 860})


def watch_for_arrivals(person):
    """The official's inbox, its script's clock under the test's hand; the header's count of
    files and dak waiting."""
    page = person.page
    page.clock.install()  # the page polls every 45 s: the test moves its clock on instead
    page.reload()
    label = page.locator("header #waiting").inner_text()
    if person.language == "hi":
        in_hindi(label, "आवक", "डाक")
    return label


def sees_the_file_arrive(person, number, waiting, sender):
    """Without a reload, a notice names the file and its sender and the header counts one
    file more than it did (``waiting``); the count leads to the inbox."""
    from playwright.sync_api import expect

    page = person.page
    page.clock.run_for(46_000)  # one turn of the poll
    notice = page.locator("#arrivals .arrival a")
    expect(notice).to_contain_text(number, timeout=5000)
    assert sender in notice.inner_text()
    label = page.locator("header #waiting").inner_text()
    assert count_in(label) == count_in(waiting) + 1, (waiting, label)
    if person.language == "hi":
        in_hindi(label, "आवक")
    page.locator("header #waiting").click()
    page.wait_for_url(person.base + "/")


def filters_the_inbox_by_post(person, number):
    """An official holding two posts filters the inbox by each: the file is listed under the
    post it came to, not under the other; the page is left on the file's post."""
    page = person.page
    choices = page.locator("form.filters select[name=post] option:not([value=''])")
    posts = {o.get_attribute("value"): o.inner_text() for o in choices.all()}
    assert len(posts) == 2, posts  # her own Circle Officer's post and the relief verification

    def came_to(title):
        return re.search(r"verification|सत्यापन", title) is None

    for value, title in sorted(posts.items(), key=lambda p: came_to(p[1])):
        page.select_option("form.filters select[name=post]", value)
        page.locator("form.filters button[type=submit]").click()
        page.wait_for_url(f"**post={value}*")
        assert (number in listed(page)) == came_to(title), (title, listed(page))


def test_chromium_is_debians(browser):
    assert shutil.which("chromium") == CHROMIUM and browser.version
