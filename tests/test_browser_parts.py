"""A consultation walked in the browser, in English and Hindi: the dealing assistant sends the
file to three sections at once, each section's holder finds it in their inbox and sends their
comments, the page shows the parts still open, and the head takes it up once all have answered.
"""

import re

import pytest

from test_browser import CHROMIUM, in_hindi, listed, walk

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
        marks_a_copy(ramesh.page, "अपर समाहर्ता (आपदा प्रबंधन)", "अवलोकनार्थ: दरों का संशोधन")
        ramesh.act("Send for comments", "For the comments of Relief, Accounts and General.")
        finds_the_dak_in_hindi(ramesh)
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
        sees_the_copy_and_marks_it_seen(anil, number, "अवलोकनार्थ: दरों का संशोधन")
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
        finds_the_pfms_letter(ramesh)
        ramesh.sign_off()

        anil = official("anil.sinha")
        reads_the_attendance(anil, "Ramesh Kumar Singh")
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
        assert said["approve"] in anil.page.locator("#actions").inner_text()
        assert "Vetted; no legal objection." in anil.page.locator(".track").inner_text()
        anil.page.click(".filehead a[href$='/route']")
        anil.page.wait_for_selector("#diagram[data-ready='1']", timeout=20000)
        assert anil.page.locator("[data-element-id='Call_LegalVetting'].step-done").count() == 1
        issues_and_dispatches_a_letter(anil, file_url)
        anil.sign_off()


# The registers and pages an office's day needs, walked as steps of the walks above (a walk of
# their own would sign the same officials in again).

def marks_a_copy(page, post, remark):
    """On the file page of a file the official holds: a copy marked to ``post`` for
    information (the page in Hindi), shown on the file."""
    page.select_option("#copy-to", label=post)
    page.fill("#copy-remark", remark)
    page.locator("form.mark-copy button").click()
    page.wait_for_url("**/files/*")
    in_hindi(page.locator(".flash").first.inner_text(), "सूचनार्थ प्रति")  # "१ सूचनार्थ प्रति ..."
    assert post in page.locator("ul.copies").inner_text()


def sees_the_copy_and_marks_it_seen(person, number, remark):
    """The copy waits in the colleague's For information tab with its remark; marked seen,
    it leaves the tab."""
    page = person.page
    page.click("nav.tabs a[href*='tab=information']")
    page.wait_for_url("**tab=information*")
    row = page.locator("main table.list tr", has_text=number)
    assert remark in row.locator(".remark").inner_text()
    assert "सूचनार्थ प्रति" in row.inner_text()
    row.get_by_role("button", name="देखा गया चिह्नित करें").click()
    page.wait_for_url("**tab=information*")
    assert number in page.locator(".flash").inner_text()  # "संचिका ... देखी गई चिह्नित हुई।"
    assert number not in listed(page)


def search(page, words):
    """The header's search box, as an official types into it."""
    box = page.locator("header form.search input[name=q]")
    box.fill(words)
    box.press("Enter")
    page.wait_for_url("**/search?q=*")
    return page.locator("table.mentions")


def finds_the_dak_in_hindi(person):
    """Hindi words and a letter number find the dak and the draft that say them; the diary
    register, from the receipts page, lists every receipt with where it is now."""
    page = person.page
    found = search(page, "पनापुर")
    assert found.locator("tr.found-receipt", has_text="मुखिया, ग्राम पंचायत पनापुर").count() == 1
    assert found.locator("tr.found-draft", has_text="Verification report").count() == 1
    found = search(page, "45/2026")
    assert "आवती DDMO/R/" in found.locator("tr.found-receipt").inner_text()
    page.click("header nav a[href='/receipts/']")
    page.get_by_role("link", name="आवती पंजी: कार्यालय की सभी आवतियाँ").click()
    page.wait_for_url("**/receipts/diary*")
    in_hindi(page.locator("main h1").inner_text() + page.locator("#today-h").inner_text(),
             "आवती पंजी", "आज")
    pfms = page.locator("table.diary tr", has_text="PFMS Cell")
    assert "सहायक, राहत के पास" in pfms.inner_text()  # with the dealing assistant, Relief
    panapur = page.locator("table.diary tr", has_text="मुखिया, ग्राम पंचायत पनापुर")
    assert "संचिका" in panapur.locator("td").last.inner_text()  # put into the relief file


def finds_the_pfms_letter(person):
    """"PFMS" finds the letter in the register and the remark on the file; the receipt's
    link opens the diary register at its sender, the letter with the dealing assistant."""
    page = person.page
    found = search(page, "PFMS")
    assert found.locator("tr.found-remark", has_text="checked on PFMS").count() == 1
    receipt = found.locator("tr.found-receipt", has_text="PFMS Cell, Finance Department")
    receipt.get_by_role("link", name="Diary register").click()
    page.wait_for_url("**/receipts/diary?*sender=*")
    row = page.locator("table.diary tbody tr")
    assert row.count() == 1 and "45/2026" in row.inner_text()
    assert "With Dealing Assistant, Relief" in row.inner_text()


def reads_the_attendance(person, name):
    """The head's attendance of the day lists ``name`` signed in; the month of that
    official has today's sign-in, and its sheet downloads."""
    page = person.page
    page.click("header nav a[href='/attendance']")
    page.wait_for_url("**/attendance*")
    assert "Attendance today" in page.locator("main h1").inner_text()
    row = page.locator("main table.list tr", has_text=name)
    assert "Not signed in" not in row.inner_text()
    row.get_by_role("link", name="Month").click()
    page.wait_for_url("**/attendance/month?*")
    assert name in page.locator("main h1").inner_text()
    present = re.search(r"(\d+) days? present", page.locator("main").inner_text())
    assert present and int(present.group(1)) >= 1  # today at least
    sheet = page.get_by_role("link", name="Download as CSV").get_attribute("href")
    got = person.context.request.get(person.base + sheet)
    assert got.ok and got.headers["content-type"].startswith("text/csv")
    assert "ramesh.singh" in got.text()


def issues_and_dispatches_a_letter(person, file_url):
    """The head drafts a letter on the file, approves and issues it, dispatches it from the
    dispatch register and opens the letter to print: it carries its memo number (Hindi)."""
    page = person.page
    page.goto(file_url)
    page.select_option("#draft-kind", "Letter")
    page.fill("#draft-title", "तिरपाल की आपूर्ति का अनुबंध")
    page.fill("#draft-body", "अनुबंध की प्रति संलग्न है। Copy of the agreement enclosed.")
    page.locator("form[action$='/drafts'] button").click()
    page.wait_for_url("**/files/*")
    page.locator("form[action*='/approve'] button").click()
    page.wait_for_url("**/files/*")
    page.locator("form[action*='/issue'] button").click()
    page.wait_for_url("**/files/*")
    page.click("header nav a[href='/dispatch/']")
    page.wait_for_url("**/dispatch/*")
    waiting = page.locator("article.draft-item", has_text="तिरपाल की आपूर्ति का अनुबंध")
    waiting.locator("textarea[name=addressee]").fill("M/s Sharma Traders\nChhapra")
    waiting.locator("textarea[name=copy_to]").fill("Accounts Officer, DDMO Saran")
    waiting.locator("select[name=mode]").select_option("By post")
    waiting.locator("button[type=submit]").click()
    page.wait_for_url("**/dispatch/*")
    memo = page.locator(".flash").inner_text().split()[0]  # "<memo> के रूप में प्रेषित।"
    assert "प्रेषित" in page.locator(".flash").inner_text() and memo.count("/") >= 2
    entry = page.locator("table.dispatch-register tr", has_text=memo)
    in_hindi(entry.locator("td").nth(1).inner_text())  # the day, in Devanagari digits
    assert "Accounts Officer, DDMO Saran" in entry.inner_text()
    entry.get_by_role("link", name="छापने के लिए पत्र").click()
    page.wait_for_url("**/dispatch/*/letter")
    letter = page.locator("article.letter").inner_text()
    assert memo in letter and "M/s Sharma Traders" in letter and "Copy of the agreement" in letter
