"""Signing walked in the browser, in English and Hindi: the dealing assistant of an office that
signs chooses a signing PIN, drafts an order (his approval is refused: orders are the ADM's),
sends the file with his paragraph (a wrong PIN first); the ADM approves and issues the order
with her PIN, and anyone, signed in or not, verifies it from its code and by uploading its
PDF."""


import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from esign_standin import OTP, StandIn
from test_browser import CHROMIUM, serving, walk

pytestmark = pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists()
                                and not __import__("os").environ.get("CI"),
                                reason="Debian's chromium is not installed")

PIN = "saran-pin-2026"
SAID = {"en": {"valid": "Signature valid", "wrong": "signing PIN is wrong", "order": "Valid",
               "exact": "exactly the PDF that was issued", "esigned": "signed with Aadhaar eSign"},
        "hi": {"valid": "हस्ताक्षर वैध", "wrong": "हस्ताक्षर पिन गलत है", "order": "वैध",
               "exact": "ठीक वही पीडीएफ", "esigned": "आधार ई-साइन से हस्ताक्षरित"}}


def draft(page, title, body):
    """On the file page: an order drafted."""
    page.select_option("#draft-kind", "Order")
    page.fill("#draft-title", title)
    page.fill("#draft-body", body)
    page.locator("form[action$='/drafts'] button").click()
    page.wait_for_url("**/files/*")


def approve(page):
    """On the file page: the draft's latest version approved."""
    page.locator("form[action*='/approve'] button").click()
    page.wait_for_url("**/files/*")


def refused_approval(page):
    """A dealing assistant is offered no approval: the draft names who decides (the server
    refuses him too, tests/test_receipt_draft_pages.py)."""
    assert page.locator("form[action*='/approve']").count() == 0
    assert page.locator(".drafts .authority, p.authority").first.is_visible()


def send_on(person, file_url, choice):
    """The file sent on with ``choice`` (with the PIN, where the sender's paragraphs are
    signed)."""
    page = person.page
    if file_url != page.url:
        page.goto(file_url)
    if page.locator("#actions input[name=pin]").count():
        page.fill("#actions input[name=pin]", PIN)
    page.locator(f"#actions button[name=choice][value='{choice}']").click()
    page.wait_for_url(person.base + "/")


def choose_pin(page, base):
    page.goto(base + "/password/signing")
    if page.locator("#choose-pin").count():  # the first walk chooses it
        page.fill("#pin", PIN)
        page.fill("#repeat", PIN)
        page.locator("#choose-pin button").click()
        page.wait_for_url("**/password/signing")


@pytest.fixture(scope="module")
def signing_server(tmp_path_factory):
    yield from serving(tmp_path_factory, ["demo", "--signing", "DDMO", "--signing", "SADAR"])


@pytest.mark.parametrize("language", ["en", "hi"])
def test_sign_send_issue_and_verify_an_order(signing_server, browser, language, request,
                                             tmp_path):
    said = SAID[language]
    with walk(browser, signing_server, language, None, request.node.name) as official:
        ramesh = official("ramesh.singh")
        page = ramesh.page
        choose_pin(page, signing_server)
        page.click("header nav a[href='/files/new']")
        page.fill("#subject", f"Relief to Panapur ({language})")
        page.select_option("#route", "relief_grant")
        page.fill("#note", "Put up the list of 42 families for relief.")
        page.locator("form.card button.primary").click()
        page.wait_for_url("**/files/*")
        file_url = page.url
        draft(page, "Relief to Panapur",
              "Rs 4,000 each to the 42 families. पनापुर के परिवारों को राहत।")
        refused_approval(page)  # orders are the ADM's

        page.fill("#actions input[name=pin]", "not-the-pin")
        page.locator("#actions button[name=choice]").first.click()
        assert said["wrong"] in page.locator(".flash.error").inner_text()
        page.fill("#actions input[name=pin]", PIN)
        page.locator("#actions button[name=choice]").first.click()
        page.wait_for_url(signing_server + "/")
        page.goto(file_url)
        assert said["valid"] in page.locator(".notesheet").inner_text()
        ramesh.sign_off()

        sunita = official("sunita.kumari")  # verifies in the field, and sends it up
        send_on(sunita, file_url, "Verified")
        sunita.sign_off()

        anil = official("anil.sinha")  # the ADM approves and issues the order, signed
        page = anil.page
        choose_pin(page, signing_server)
        page.goto(file_url)
        approve(page)
        page.fill("input[id^=issue-pin-]", PIN)
        page.locator("form[action*='/issue'] button").click()
        page.wait_for_url("**/files/*")
        link = page.locator(".signed-order a[href$='signed.pdf']").get_attribute("href")
        got = anil.context.request.get(signing_server + link)
        assert got.ok and got.headers["content-type"] == "application/pdf"
        pdf = tmp_path / "order.pdf"
        pdf.write_bytes(got.body())
        verify_url = page.locator(".signed-order a[href*='/verify/']").get_attribute("href")
        anil.sign_off()

    anyone = browser.new_context(locale="en-IN")
    try:
        public = anyone.new_page()
        public.goto(signing_server + verify_url)
        if language == "hi":
            public.locator("form.lang button").click()
            public.wait_for_load_state()
        assert said["order"] in public.locator("#order").inner_text()
        public.set_input_files("#pdf", str(pdf))
        public.locator("#upload button").click()
        public.wait_for_selector("#verdict")
        assert said["exact"] in public.locator("#verdict").inner_text()
    finally:
        anyone.close()


@pytest.mark.parametrize("language", ["en", "hi"])
def test_an_order_issued_with_aadhaar_esign_through_the_provider(signing_server, browser,
                                                                 language, request):
    """Sadar's head sets its eSign provider (a stand-in on loopback); the dealing assistant
    drafts an order and sends it up; the head approves and issues it, authenticates at the
    provider with the OTP and comes back issued."""
    with StandIn() as esp, walk(browser, signing_server, language, None,
                                   request.node.name) as official:
        sunita = official("sunita.kumari")
        page = sunita.page
        page.goto(signing_server + "/admin/")
        page.locator("tr", has=page.locator("code", has_text="SADAR")) \
            .locator("a[href$='/settings']").click()
        page.select_option("#provider", "esign")
        page.fill("#esign_url", esp.url)
        page.fill("#esign_asp_id", "SARAN-SADAR")
        page.fill("#esign_certificate",
                  esp.certificate.public_bytes(serialization.Encoding.PEM).decode())
        page.locator("#signing-form button").click()
        page.wait_for_load_state()
        asp = page.context.request.get(signing_server + "/signing/SADAR/asp.pem")
        esp.asp = x509.load_pem_x509_certificate(asp.body())  # registered with the provider
        sunita.sign_off()

        pooja = official("pooja.kumari")
        page = pooja.page
        choose_pin(page, signing_server)  # her paragraph is signed as she sends it
        file_url = pooja.open_file(f"Repair of the record room ({language})")
        draft(page, "Repair sanctioned",
              "Rs 48,500 sanctioned for the roof. छत की मरम्मत स्वीकृत।")
        refused_approval(page)  # orders are the head's
        send_on(pooja, file_url, "Submit")
        pooja.sign_off()
        arvind = official("arvind.mishra")
        send_on(arvind, file_url, "Forward")
        arvind.sign_off()

        sunita = official("sunita.kumari")
        page = sunita.page
        page.goto(file_url)
        approve(page)
        page.locator("form[id^=esign-] button").click()
        page.wait_for_selector("#otp")  # at the provider, sent on by the page's script
        page.fill("#otp", OTP)
        page.click("#authenticate")
        page.wait_for_url("**/files/*")
        assert SAID[language]["esigned"] in page.locator(".flash").inner_text()
        assert page.locator(".signed-order a[href$='signed.pdf']").count() == 1
        sunita.sign_off()
