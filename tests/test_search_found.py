"""Search beyond file numbers, subjects and notes, on SQLite and PostgreSQL: receipts, drafts,
remarks on the track and document names, in English and Hindi, against the demo's dak (the
PFMS letter 45/2026, the list from Panapur), saying what matched, and never what lies on a
file the user may not open."""

import pytest
from sqlalchemy import select

from workflows.files import attachments, filing, mentions, search
from workflows.org import access
from workflows.models import File
from workflows.errors import NotAllowed
from workflows.demo import RELIEF_FILE

from webtools import make_app, sign_in, text

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def found(session, user, query):
    return {(m.kind, m.file_number or m.receipt_number) for m in
            mentions.mentions(session, user, query)}


@pytest.fixture
def relief(session):
    return session.scalar(select(File).where(File.subject == RELIEF_FILE))


def test_the_demo_dak_is_found_by_sender_place_and_letter_number(session, people, relief):
    ramesh = people.ramesh  # he opened the relief file; the PFMS letter waits with him
    [pfms] = [m for m in mentions.mentions(session, ramesh, "PFMS") if m.kind == "receipt"]
    assert (pfms.sender, pfms.file_id, pfms.office_code) == (
        "PFMS Cell, Finance Department, Bihar", None, "DDMO")
    assert found(session, ramesh, "pfms") == {("receipt", pfms.receipt_number),
                                              ("remark", relief.number)}
    assert found(session, ramesh, "45/2026") == {("receipt", pfms.receipt_number)}
    hindi = found(session, ramesh, "पनापुर")
    assert ("draft", relief.number) in hindi and ("receipt", relief.number) in hindi
    assert found(session, ramesh, "verification report Rinku") == {("draft", relief.number)}
    assert found(session, ramesh, "रिंकू देवी") == {("draft", relief.number)}


def test_what_lies_on_a_file_one_may_not_open_is_not_found(session, people, relief):
    kavita = people.kavita  # Accounts Officer at DDMO: not on the relief file's track
    with pytest.raises(NotAllowed):
        access.check_can_view(session, kavita, relief)
    assert found(session, kavita, "पनापुर") == set()   # the list is in the relief file
    assert {k for k, _ in found(session, kavita, "PFMS")} == {"receipt"}  # in the register
    assert found(session, people.pooja, "PFMS") == set()   # another office's dak
    for login in ("pooja", "manoj", "kavita", "ramesh", "sunita", "anil"):
        user = getattr(people, login)
        for m in mentions.mentions(session, user, "a"):
            if m.file_id is not None:
                access.check_can_view(session, user, session.get(File, m.file_id))


def test_a_document_and_a_remark_are_found_by_their_words(session, sadar, people, tmp_path):
    file = filing.open_file(session, office=sadar, user=people.pooja, route_key="general_noting",
                            subject="Waterlogging in the fields")
    attachments.attach(session, number=file.number, user=people.pooja,
                       filename="Panapur_site_PHOTOS.pdf", data=PDF, store=tmp_path)
    filing.act(session, number=file.number, user=people.pooja, choice="Submit",
               remark="जलजमाव का स्थल निरीक्षण किया गया।")
    assert found(session, people.pooja, "site photos") == {("attachment", file.number)}
    assert found(session, people.arvind, "स्थल निरीक्षण") == {("remark", file.number)}
    assert found(session, people.manoj, "site photos") == set()   # not on his track
    # the file search itself is as it was: by subject, not by what lies on the file
    assert [f.id for f in search.search(session, people.pooja, "waterlogging")] == [file.id]
    assert search.search(session, people.pooja, "site photos") == []


def test_the_search_page_says_what_matched_with_a_link(session, tmp_path, people, relief):
    client = make_app(session, tmp_path).test_client()
    sign_in(client, "ramesh.singh")
    reply = client.get("/search?q=PFMS")
    page, body = text(reply), reply.get_data(as_text=True)
    assert "Receipt DDMO/R/" in page and "PFMS Cell, Finance Department, Bihar" in page
    assert "Remark on the track" in page
    assert f'href="/files/{relief.id}#track-h"' in body
    assert "/receipts/diary?office=DDMO&amp;sender=PFMS" in body
    hindi = client.get("/search?q=पनापुर").get_data(as_text=True)
    assert f'href="/files/{relief.id}/drafts/' in hindi and "Draft" in hindi
    sign_in(client, "kavita.devi")
    nothing = text(client.get("/search?q=पनापुर"))
    assert "Nothing found that you may see." in nothing and relief.number not in nothing
