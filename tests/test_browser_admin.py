"""The route editor in a real browser (Debian's chromium, Playwright): an administrator
changes a step's time limit and publishes (a file opened afterwards travels on the new
version while a file opened before stays on the old one), draws a new route, and has a
condition that could run code refused before publishing a safe one."""

from contextlib import contextmanager

import pytest

from test_browser import CHROMIUM, ARTIFACTS, Official

pytestmark = pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists()
                                and not __import__("os").environ.get("CI"),
                                reason="Debian's chromium is not installed")


def _open_file(browser, server, subject):
    pooja = Official(browser, server, "pooja.kumari", None, "en")
    pooja.sign_in()
    url = pooja.open_file(subject)
    number = pooja.page.locator("h1").inner_text()
    pooja.context.close()
    return url, number


def test_publish_a_new_time_limit_in_the_editor(server, browser, request):
    _url, before = _open_file(browser, server, "Opened before the new version")
    admin = Official(browser, server, "sunita.kumari", None, "en")
    page = admin.page
    with _screenshot_on_failure(admin, "route-editor-failure"):
        _edit_route(admin, "general_noting")
        page.locator("g.djs-element[data-element-id='Task_PutUpNote']").click()
        page.fill("#limit-days", "1")
        page.press("#limit-days", "Tab")
        page.click("#publish-route")
        page.wait_for_selector("#editor-status.ok")
        assert "Version 2 is published" in page.locator("#editor-status").inner_text()
        _url, after = _open_file(browser, server, "Opened after the new version")
        page.click("#published-link")
        page.wait_for_selector("#versions")
        v1 = page.locator("#version-1 .open-files").inner_text()
        v2 = page.locator("#version-2").inner_text()
        assert "time limit 3 → 1" in v2
        assert _number(after) in v2 and _number(after) not in v1
        assert _number(before) in v1 and _number(before) not in v2


@contextmanager
def _screenshot_on_failure(admin, name):
    """Keep a screenshot of the administrator's page in test-artifacts/ when a step fails, and
    close their browser context in any case."""
    try:
        yield
    except Exception:
        ARTIFACTS.mkdir(exist_ok=True)
        admin.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        raise
    finally:
        admin.context.close()


def _to_sadar_routes(admin):
    """Sign in and go, as an administrator would, to the routes of the Sadar circle office."""
    admin.sign_in()
    admin.page.click("header nav a[href='/admin/']")
    admin.page.locator("tr", has_text="SADAR").get_by_role("link", name="Routes").click()


def _edit_route(admin, key):
    """Open the route ``key`` of the Sadar circle office in the editor, ready to draw."""
    _to_sadar_routes(admin)
    admin.page.locator("tr", has_text=key).get_by_role("link", name="Edit").click()
    admin.page.wait_for_selector("#route-editor[data-ready=yes]")


def _number(heading):
    """The file number in the file page's heading."""
    return next(word for word in heading.split() if word.count("/") == 3)


def test_draw_a_new_route_fix_its_problem_publish_it_and_open_a_file_on_it(server, browser):
    admin = Official(browser, server, "sunita.kumari", None, "en")
    page = admin.page
    with _screenshot_on_failure(admin, "new-route-failure"):
        _to_sadar_routes(admin)
        page.fill("#new-key", "leave_sanction")
        page.fill("#new-name", "Leave sanction")
        page.locator("#new-route button").click()
        page.wait_for_selector("#route-editor[data-ready=yes]")
        lane = page.locator("g.djs-element[data-element-id='Lane_First']")
        lane_label = lane.locator("rect.djs-hit-all").first  # the band with the lane's name
        lane_label.click()
        page.fill("#lane-role", "Leave Clerk")  # no post of the office holds it
        page.press("#lane-role", "Tab")
        page.click("#check-route")
        page.wait_for_selector("#editor-status.error")
        assert "holds the role 'Leave Clerk'" in page.locator("#problems").inner_text()
        assert "route-problem" in (lane.get_attribute("class") or "")
        page.locator("g.djs-element[data-element-id='Task_First']").click()
        lane_label.click()
        page.fill("#lane-role", "Dealing Assistant")
        page.press("#lane-role", "Tab")
        page.locator("g.djs-element[data-element-id='Task_First']").click()
        page.fill("#step-name", "Examine the leave application")
        page.fill("#limit-days", "2")
        page.press("#limit-days", "Tab")
        page.locator("g.djs-element[data-element-id='Flow_Done_label']").click()  # its name
        page.fill("#flow-choice", "Sanction and close")
        page.press("#flow-choice", "Tab")
        page.click("#publish-route")
        page.wait_for_selector("#editor-status.ok")
        assert "Version 1 is published" in page.locator("#editor-status").inner_text()
        assert page.locator("#problems li").count() == 0
        # the palette's tools (to draw more steps, lanes and decisions) are icons of the bpmn
        # font: it must have loaded, or the palette is a blank box
        assert page.evaluate("document.fonts.ready.then(() => document.fonts.check('14px bpmn')"
                             " && [...document.fonts].some(f => f.family.includes('bpmn')"
                             " && f.status === 'loaded'))")
    pooja = Official(browser, server, "pooja.kumari", None, "en")
    try:
        pooja.sign_in()
        pooja.page.click("header nav a[href='/files/new']")
        pooja.page.fill("#subject", "Earned leave of 10 days for the record keeper")
        pooja.page.select_option("#route", "leave_sanction")
        pooja.page.locator("form.card button.primary").click()
        pooja.page.wait_for_url("**/files/*")
        body = pooja.page.locator("main").inner_text()
        assert "Examine the leave application" in body
        assert pooja.page.get_by_role("button", name="Sanction and close").count() == 1
    finally:
        pooja.context.close()


def test_a_condition_that_could_run_code_is_refused_and_a_safe_one_published(server, browser):
    admin = Official(browser, server, "sunita.kumari", None, "en")
    page = admin.page
    with _screenshot_on_failure(admin, "route-condition-failure"):
        _edit_route(admin, "land_mutation")
        flow = page.locator("g.djs-element[data-element-id='Flow_CI_Forward']")
        page.locator("g.djs-element[data-element-id='Flow_CI_Forward_label']").click()
        assert page.input_value("#flow-condition") == 'choice == "Forward"'
        page.fill("#flow-condition", '__import__("os").system("id")')
        page.press("#flow-condition", "Tab")
        page.click("#check-route")
        page.wait_for_selector("#editor-status.error")
        problems = page.locator("#problems").inner_text()
        assert "Flow_CI_Forward" in problems and "__import__" in problems
        assert "route-problem" in (flow.get_attribute("class") or "")
        # the flow stays selected (a second click on it would put it down): mend the condition
        page.fill("#flow-condition", "choice == 'Forward'")
        page.press("#flow-condition", "Tab")
        page.click("#publish-route")
        page.wait_for_selector("#editor-status.ok")
        assert "Version 2 is published" in page.locator("#editor-status").inner_text()
        assert "route-problem" not in (flow.get_attribute("class") or "")
        page.click("#published-link")
        page.wait_for_selector("#versions")
        assert ("condition of 'Forward': choice == \"Forward\" → choice == 'Forward'"
                in page.locator("#version-2").inner_text())
        href = page.locator("#version-2 a", has_text="Download").get_attribute("href")
        published = page.request.get(server + href).text()
        assert "choice == 'Forward'" in published and "__import__" not in published
