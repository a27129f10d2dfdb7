"""The dispatch pages: the register in the navigation of the office's staff, dispatching from
the file page and from the register, refusals as flashes in the user's language, the letter
to print (a page and a PDF), the register filtered by dates and mode, and the whole file's
PDF carrying the dispatch."""

import io
from datetime import datetime, timezone

import pytest
import time_machine
from pypdf import PdfReader

from workflows.files import dispatching

from test_dispatch import ADDRESSEE, issued, pdf_text
from webtools import flashes, make_app, post, sign_in, text

NOW = datetime(2026, 11, 5, 6, 0, tzinfo=timezone.utc)  # 11:30 IST, three days after T0


@pytest.fixture
def app(session, tmp_path):
    return make_app(session, tmp_path)


def client_of(app, login):
    client = app.test_client()
    sign_in(client, login)
    return client


@time_machine.travel(NOW, tick=False)
def test_the_clerk_dispatches_from_the_register_and_records_the_acknowledgement(
        session, sadar, people, app):
    file, draft = issued(session, sadar, people)
    clerk = client_of(app, "pooja.kumari")
    page = clerk.get("/dispatch/")
    assert page.status_code == 200 and 'href="/dispatch/"' in page.get_data(as_text=True)
    assert draft.issue_number in text(page) and "Issued, waiting to be dispatched" in text(page)
    refused = post(clerk, f"/dispatch/drafts/{draft.id}", {"mode": "By pigeon",
                                                             "addressee": ADDRESSEE},
                   follow_redirects=True)
    assert flashes(refused) == ["a letter leaves by one of: By post, By email, By hand; "
                                "not 'By pigeon'"]
    done = post(clerk, f"/dispatch/drafts/{draft.id}", {
        "mode": "By hand", "addressee": ADDRESSEE, "copy_to": "The ADM"}, follow_redirects=True)
    entry = dispatching.dispatch_of(session, draft.id)
    assert flashes(done) == [f"Dispatched as {entry.number}."]
    assert "District Magistrate, Saran" in text(done) and "Nothing issued is waiting" in text(done)
    twice = post(clerk, f"/dispatch/drafts/{draft.id}", {"mode": "By post", "addressee": "x"},
                 follow_redirects=True)
    assert "already dispatched" in flashes(twice)[0]
    early = post(clerk, f"/dispatch/{entry.id}/acknowledge", {"on": "2026-11-01", "by": "DM"},
                 follow_redirects=True)
    assert "before" in flashes(early)[0] and "was dispatched on 2026-11-05" in flashes(early)[0]
    post(clerk, f"/dispatch/{entry.id}/acknowledge", {"on": "2026-11-05", "by": "DM's clerk"})
    session.refresh(entry)
    assert entry.acknowledged_by == "DM's clerk"
    by_post = clerk.get("/dispatch/?mode=By+post")
    assert "Nothing was dispatched in these dates." in text(by_post)
    assert entry.number in text(clerk.get("/dispatch/?start=2026-11-05&end=2026-11-05"))
    bad = clerk.get("/dispatch/?start=2026-11-09&end=2026-11-01")
    assert bad.status_code == 400 and "after it ends" in flashes(bad)[0]
    assert post(clerk, "/dispatch/drafts/999999", {"mode": "By post"}).status_code == 404


@time_machine.travel(NOW, tick=False)
def test_the_file_page_dispatches_and_links_the_letter_and_the_whole_file(
        session, sadar, people, app):
    file, draft = issued(session, sadar, people)
    manoj = client_of(app, "manoj.yadav")
    page = manoj.get(f"/files/{file.id}").get_data(as_text=True)
    assert f'href="/reports/file/{file.id}.pdf"' in page and "Dispatch this letter" in page
    assert "Dispatch this letter" in text(manoj.get(f"/files/{file.id}/drafts/{draft.id}"))
    future = post(manoj, f"/dispatch/drafts/{draft.id}", {
        "mode": "By post", "addressee": ADDRESSEE, "on": "2026-11-06", "file_id": file.id})
    assert future.headers["Location"].endswith(f"/files/{file.id}#drafts")
    post(manoj, f"/dispatch/drafts/{draft.id}", {"mode": "By email", "file_id": file.id,
                                                  "addressee": ADDRESSEE})
    entry = dispatching.dispatch_of(session, draft.id)
    assert f"Dispatched as {entry.number} on" in text(
        manoj.get(f"/files/{file.id}/drafts/{draft.id}"))
    shown = manoj.get(f"/files/{file.id}")
    assert f"Dispatched as {entry.number} on" in text(shown)
    letter = manoj.get(f"/dispatch/{entry.id}/letter")
    assert letter.status_code == 200
    for words in (sadar.name_hi, sadar.name, entry.number, "पत्रांक / Memo No.",
                  "The District Magistrate, Saran", "Manoj Kumar Yadav", "ईमेल द्वारा"):
        assert words in text(letter)
    pdf = manoj.get(f"/dispatch/{entry.id}/letter.pdf")
    assert pdf.mimetype == "application/pdf" and entry.number in pdf_text(pdf.data)
    whole = manoj.get(f"/reports/file/{file.id}.pdf")
    words = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(whole.data)).pages)
    assert f"{entry.number} · 05-11-2026 · By email" in words
    outsider = client_of(app, "ramesh.singh")  # of another office, never on the file
    assert outsider.get(f"/dispatch/{entry.id}/letter").status_code == 404
    assert outsider.get("/dispatch/999999/letter.pdf").status_code == 404


@time_machine.travel(NOW, tick=False)
def test_the_register_speaks_hindi(session, sadar, people, app):
    _, draft = issued(session, sadar, people)
    clerk = client_of(app, "pooja.kumari")
    post(clerk, "/language", {"language": "hi"})
    page = clerk.get("/dispatch/")
    assert "प्रेषण पंजी" in text(page) and "निर्गत, प्रेषण की प्रतीक्षा में" in text(page)
    refused = post(clerk, f"/dispatch/drafts/{draft.id}", {"mode": "By post", "addressee": " "},
                   follow_redirects=True)
    assert flashes(refused) == ["बताएँ कि पत्र किसे जाता है: प्राप्तकर्ता खाली है"]
