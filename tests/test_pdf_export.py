"""The file's PDF exports whatever a note, a subject or a draft can hold: long runs of
punctuation and emoji (which overflowed fpdf2's bidirectional-text recursion), the longest
draft, and Hindi with English.  Each PDF is opened and its text read back.  SQLite and
PostgreSQL."""

import io
import unicodedata
from datetime import datetime, timezone

import pytest
from pypdf import PdfReader

from workflows.files import drafts, filing, notes
from workflows.reports import pdf_export

from test_drafts import at_co
from webtools import make_app, sign_in

T0 = datetime(2026, 11, 2, 5, 0, tzinfo=timezone.utc)
MIXED = ("जमाबंदी पंजी की प्रति संलग्न है; क्षेत्र का सत्यापन किया गया। "
         "The circle inspector verified the boundary on 2 November.\n") * 40


@pytest.fixture
def client(session, tmp_path):
    client = make_app(session, tmp_path).test_client()
    sign_in(client, "manoj.yadav")
    return client


def open_file(session, sadar, people, subject="Mutation of Khata 9, Khesra 10"):
    return filing.open_file(session, office=sadar, user=people.manoj, route_key="land_mutation",
                            subject=subject, now=T0)


def export(client, file):
    reply = client.get(f"/reports/file/{file.id}.pdf")
    assert reply.status_code == 200 and reply.mimetype == "application/pdf"
    assert reply.data.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(reply.data)).pages


def read_back(client, file):
    return "\n".join(page.extract_text() for page in export(client, file))


@pytest.mark.parametrize("body, char, count", [
    ("-" * 1000, "-", 1000),
    (". " * 500, ".", 500),
    ("😀" * 3000, None, 0),
    ("=" * notes.MAX_NOTE, "=", notes.MAX_NOTE),
    ("👨\u200d👩\u200d👧" * 700 + "क्षत्रिय" * 100, None, 0),
])
def test_a_note_of_any_text_that_can_be_saved_exports(session, sadar, people, client,
                                                       body, char, count):
    file = open_file(session, sadar, people)
    notes.add_note(session, number=file.number, user=people.manoj, body=body, now=T0)
    text = read_back(client, file)
    assert file.number in text and "Note sheet" in text and "Track with holding times" in text
    if char:
        assert text.count(char) >= count


def test_a_subject_of_punctuation_exports(session, sadar, people, client):
    file = open_file(session, sadar, people, subject="-" * 500)
    assert read_back(client, file).count("-") >= 500


@pytest.mark.slow
def test_the_longest_draft_a_file_can_issue_exports(session, sadar, people, client):
    file = open_file(session, sadar, people)
    body = ("-" * 999 + "\n") * (drafts.MAX_BODY // 1000)
    assert len(body) == drafts.MAX_BODY
    at_co(session, file, people, now=T0)  # the head of office issues orders
    draft = drafts.create_draft(session, number=file.number, user=people.sunita, kind="Order",
                                title="An order", body=body, now=T0)
    drafts.approve_draft(session, draft_id=draft.id, version=1, user=people.sunita, now=T0)
    drafts.issue_draft(session, draft_id=draft.id, user=people.sunita, now=T0)
    pages = export(client, file)
    assert len(pages) > 30                 # reading back every page would take seconds more
    start = pages[1].extract_text()
    assert "Drafts issued" in start and draft.issue_number in start and start.count("-") > 1000
    assert "Holding time excludes periods" in pages[-1].extract_text()


def test_hindi_and_english_still_render(session, sadar, people, client):
    file = open_file(session, sadar, people)
    notes.add_note(session, number=file.number, user=people.manoj, body=MIXED, now=T0)
    text = read_back(client, file)
    assert text.count("The circle inspector verified the boundary") == 40
    assert "जमाबंदी" in text and "सत्यापन" in text


def test_pieces_keep_words_conjuncts_and_emoji_sequences_whole():
    assert "".join(pdf_export.pieces(MIXED)) == MIXED
    assert all(len(p) <= pdf_export.PIECE for p in pdf_export.pieces(MIXED))
    assert all(p.endswith((" ", "\n")) for p in list(pdf_export.pieces(MIXED))[:-1])
    conjuncts = list(pdf_export.pieces("क्षत्रिय" * 100))  # no space: cut between letters
    assert len(conjuncts) > 1
    for before, after in zip(conjuncts, conjuncts[1:], strict=False):
        assert not before.endswith("\u094d")                    # a halant keeps its conjunct
        assert not unicodedata.category(after[0]).startswith("M")  # and a matra its letter
    family = "👨\u200d👩\u200d👧" * 100
    cuts = list(pdf_export.pieces(family))
    assert len(cuts) > 1 and all(p.startswith("👨") for p in cuts)
