"""A consultation walked in the browser, in English and Hindi: the dealing assistant sends the
file to three sections at once, each section's holder finds it in their inbox and sends their
comments, the page shows the parts still open, and the head takes it up once all have answered.
"""

import pytest

from test_browser import CHROMIUM, browser, listed, server, walk  # noqa: F401  (fixtures)

pytestmark = pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists()
                                and not __import__("os").environ.get("CI"),
                                reason="Debian's chromium is not installed")

SECTIONS = {"priya.sharma": "Comments of the Relief section",
            "suresh.ram": "Comments of the General section",
            "kavita.devi": "Comments of the Accounts section"}
SAID = {"en": {"Comments of the Relief section": "Comments of the Relief section",
               "Comments of the Accounts section": "Comments of the Accounts section",
               "Comments of the General section": "Comments of the General section",
               "decide": "Consider the comments and decide"},
        "hi": {"Comments of the Relief section": "राहत प्रशाखा का मंतव्य",
               "Comments of the Accounts section": "लेखा प्रशाखा का मंतव्य",
               "Comments of the General section": "सामान्य प्रशाखा का मंतव्य",
               "decide": "मंतव्यों पर विचार कर निर्णय लें"}}


def open_on(page, route, subject):
    """A file opened from the page's New file form on ``route``: its address and number."""
    page.click("header nav a[href='/files/new']")
    page.fill("#subject", subject)
    page.select_option("#route", route)
    page.fill("#note", "Put up for orders.")
    page.locator("form.card button.primary").click()
    page.wait_for_url("**/files/*")
    return page.url, page.locator(".filehead h1").inner_text()


# Each walk in one language, the two languages shared among them (a walk in both took 12 s
# more of a suite near its six minutes); tests/test_browser.py walks a file in both.
@pytest.mark.parametrize("language", ["hi"])
def test_a_consultation_of_three_sections_end_to_end(server, browser, language, request):
    said = SAID[language]
    with walk(browser, server, language, None, request.node.name) as official:
        ramesh = official("ramesh.singh")
        file_url, number = open_on(ramesh.page, "sections_consultation",
                                   f"Revision of the ex-gratia rates ({language})")
        ramesh.act("Send for comments", "For the comments of Relief, Accounts and General.")
        ramesh.sign_off()

        for i, login in enumerate(SECTIONS):
            holder = official(login)
            assert number in listed(holder.page)
            holder.open_from_inbox(number)
            holders = holder.page.locator(".holder").all_inner_texts()
            open_parts = [s for s in SECTIONS.values() if s not in list(SECTIONS.values())[:i]]
            assert len(holders) == len(open_parts)  # every open part and who holds it
            for part in open_parts if len(open_parts) > 1 else ():  # each named by its step
                assert any(said[part] in line for line in holders), (part, holders)
            holder.act("Send comments", f"Comments of {login}: no objection.")
            holder.sign_off()

        anil = official("anil.sinha")
        anil.open_from_inbox(number)
        assert said["decide"] in anil.page.locator("#actions").inner_text()
        track = anil.page.locator(".track").inner_text()
        for login in SECTIONS:
            assert f"Comments of {login}" in track
        anil.page.click(".filehead a[href$='/route']")
        anil.page.wait_for_selector("#diagram[data-ready='1']", timeout=20000)
        assert anil.page.locator(".step-done").count() >= 4  # the put-up and the three parts
        anil.page.goto(file_url)
        anil.act("Approve", "The revised rates are approved.")
        anil.sign_off()


CIRCLES = {"en": {"neha.bharti": "Neha", "amit.ranjan": "Amit", "compile": "Compile the reports"},
           "hi": {"neha.bharti": "नेहा", "amit.ranjan": "अमित", "compile": "प्रतिवेदनों का संकलन करें"}}


@pytest.mark.parametrize("language", ["en"])
def test_a_circulation_to_the_circles_the_head_marks_end_to_end(server, browser, language,
                                                                  request):
    def said(page):  # an official's page is in the language they last chose, kept per official
        return CIRCLES[page.locator("html").get_attribute("lang")]

    with walk(browser, server, language, None, request.node.name) as official:
        ramesh = official("ramesh.singh")
        _url, number = open_on(ramesh.page, "flood_damage_report",
                               f"Damage by the second flood wave ({language})")
        ramesh.act("Put up for approval", "Call for reports drafted.")
        ramesh.sign_off()

        anil = official("anil.sinha")
        anil.open_from_inbox(number)
        page = anil.page
        items = page.locator("fieldset.mark-to .mark-list li")
        assert items.count() == 4  # the three circles and the DDMO's own Circle Officer
        for login in ("neha.bharti", "amit.ranjan"):  # found by name, then ticked
            page.fill("fieldset.mark-to .mark-search", said(page)[login])
            shown = page.locator("fieldset.mark-to .mark-list li:not([hidden])")
            assert shown.count() == 1 + (login == "amit.ranjan")  # Neha, ticked, stays
            shown.locator("input:not(:checked)").check()
        anil.act("Circulate to marked circles", "Report within three days.")
        anil.sign_off()

        for i, login in enumerate(("neha.bharti", "amit.ranjan")):
            officer = official(login)
            assert number in listed(officer.page)  # in the inbox of a circle office
            officer.open_from_inbox(number)
            assert officer.page.locator(".holder").count() == 2 - i
            officer.act("Report sent", f"Report of {login}.")
            officer.sign_off()

        ramesh = official("ramesh.singh")
        ramesh.open_from_inbox(number)
        assert said(ramesh.page)["compile"] in ramesh.page.locator("#actions").inner_text()
        track = ramesh.page.locator(".track").inner_text()
        assert "Report of neha.bharti" in track and "Report of amit.ranjan" in track
        ramesh.sign_off()


VETTING = {"en": {"vet": "Vet the draft", "approve": "Approve the agreement"},
           "hi": {"vet": "प्रारूप का विधिक परीक्षण करें", "approve": "अनुबंध स्वीकृत करें"}}


@pytest.mark.parametrize("language", ["hi"])
def test_a_contract_in_legal_vetting_is_vetted_and_shown_on_the_diagram(server, browser,
                                                                       language, request):
    """A contract goes through its scrutiny to the Law Officer, in the route its route calls;
    she vets it, and the head finds it back in the contract's own route, the call marked done."""
    said = VETTING[language]
    with walk(browser, server, language, None, request.node.name) as official:
        ramesh = official("ramesh.singh")
        page = ramesh.page
        page.click("header nav a[href='/files/new']")
        page.fill("#subject", f"Rate contract for tarpaulins ({language})")
        page.select_option("#route", "supply_contract")
        page.locator("form.card button.primary").click()
        page.wait_for_url("**/files/*")
        file_url = page.url
        number = page.locator(".filehead h1").inner_text()
        ramesh.act("Submit", "Draft agreement put up.")
        ramesh.sign_off()
        for login in ("kavita.devi", "priya.sharma"):
            holder = official(login)
            holder.open_from_inbox(number)
            holder.act("Forward", f"Seen by {login}.")
            holder.sign_off()

        meena = official("meena.gupta")
        page = meena.page
        meena.open_from_inbox(number)
        assert said["vet"] in page.locator("#actions").inner_text()
        page.click(".filehead a[href$='/route']")
        page.wait_for_selector("#diagram[data-ready='1']", timeout=20000)
        assert page.locator("[data-element-id='Call_LegalVetting'].step-current").count() == 1
        assert page.locator("[data-element-id='Task_CheckRates'].step-done").count() == 1
        meena.shot("subroute")
        page.goto(file_url)
        meena.act("Vetted", "Vetted; no legal objection.")
        meena.sign_off()

        anil = official("anil.sinha")
        anil.page.goto(file_url)
        # the head keeps the language he chose in a walk before this one
        actions = anil.page.locator("#actions").inner_text()
        assert any(words["approve"] in actions for words in VETTING.values())
        assert "Vetted; no legal objection." in anil.page.locator(".track").inner_text()
        anil.page.click(".filehead a[href$='/route']")
        anil.page.wait_for_selector("#diagram[data-ready='1']", timeout=20000)
        assert anil.page.locator("[data-element-id='Call_LegalVetting'].step-done").count() == 1
        anil.sign_off()
