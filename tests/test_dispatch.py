"""The dispatch register, on SQLite and PostgreSQL: an issued letter leaves the office once,
with the next dispatch number, by post, by email or by hand; its acknowledgement is recorded
later, once; bad input is refused naming what is wrong; the letter prints as a PDF with its
memo number and the office's Hindi name."""

import io
import re
from datetime import date, datetime, timedelta, timezone

import pytest
from pypdf import PdfReader
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from workflows.errors import InvalidInput, NotAllowed, NotFound
from workflows.files import dispatching, drafts, filing, letters
from workflows.models.guards import ImmutableRow

from test_drafts import at_co

T0 = datetime(2026, 11, 2, 5, 0, tzinfo=timezone.utc)  # a Monday, 10:30 IST
DAY = date(2026, 11, 2)
LATER = T0 + timedelta(days=3)
ADDRESSEE = "The District Magistrate, Saran\nChhapra"


def issued(session, sadar, people, kind="Letter", title="Report on mutation"):
    file = filing.open_file(session, office=sadar, user=people.manoj, route_key="land_mutation",
                            subject="Mutation of Khata 9, Khesra 10", now=T0)
    at_co(session, file, people)  # the head decides letters of the revenue section
    draft = drafts.create_draft(session, number=file.number, user=people.sunita, kind=kind,
                                title=title, body="दाखिल-खारिज की जाँच पूरी हुई।\nSd/-", now=T0)
    drafts.approve_draft(session, draft_id=draft.id, version=1, user=people.sunita, now=T0)
    drafts.issue_draft(session, draft_id=draft.id, user=people.sunita, now=T0)
    return file, draft


def send(session, draft, user, **given):
    fields = dict(mode="By post", addressee=ADDRESSEE, copy_to="The Collector\n\nThe ADM",
                  on=None, now=LATER)
    fields.update(given)
    return dispatching.dispatch_draft(session, draft_id=draft.id, user=user, **fields)


def pdf_text(data):
    """The PDF's text.  fpdf2 maps a shaped cluster's text to its first glyph and leaves the
    cluster's other glyphs (य and the reph of र्य in कार्यालय) out of its ToUnicode map, and
    pypdf reads such a glyph out as its raw code.  The letterhead is drawn first, so its
    glyphs take the first codes, below 32: control characters, dropped here."""
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return re.sub("[\\x00-\\x09\\x0b-\\x1f]", "", text)


def test_an_issued_letter_is_dispatched_once_numbered_and_acknowledged(session, sadar, people):
    file, draft = issued(session, sadar, people)
    assert dispatching.awaiting(session, sadar) == [draft]
    entry = send(session, draft, people.pooja)  # the clerk: staff, not on the file's track
    assert entry.number == f"SADAR/D/{LATER.year}/0001"
    assert (entry.mode, entry.dispatched_on, entry.copies) == (
        "By post", DAY + timedelta(days=3), ["The Collector", "The ADM"])
    assert entry.dispatched_by_post.code == "DA-GEN"
    assert dispatching.awaiting(session, sadar) == []
    assert dispatching.dispatches_on(session, file) == {draft.id: entry}
    dispatching.acknowledge(session, dispatch_id=entry.id, user=people.pooja, on="2026-11-05",
                            by="Receiving clerk, DM office", now=LATER)
    assert (entry.acknowledged_on, entry.acknowledged_by) == (date(2026, 11, 5),
                                                             "Receiving clerk, DM office")
    with pytest.raises(ImmutableRow, match="acknowledged"):
        with session.begin_nested():
            entry.addressee = "Someone else"
            session.flush()
    _, second = issued(session, sadar, people, kind="Order", title="Mutation order")
    other = send(session, second, people.arvind, mode="By hand", on="2026-11-03")
    assert other.number.endswith("/0002")
    assert dispatching.register(session, sadar) == [entry, other]
    hand = dispatching.filters("2026-11-01", "2026-11-04", "By hand")
    assert dispatching.register(session, sadar, hand) == [other]
    assert dispatching.register(session, sadar, dispatching.filters("", "2026-11-02", "")) == []


REFUSED = {
    "unknown mode": (dict(mode="By pigeon"), InvalidInput, "leaves by one of: By post"),
    "no addressee": (dict(addressee="  \n "), InvalidInput, "addressee is empty"),
    "date in the future": (dict(on="2026-11-06"), InvalidInput, "is in the future"),
    "not a date": (dict(on="5 Nov"), InvalidInput, "'5 Nov' is not a date"),
    "before issue": (dict(on="2026-11-01"), InvalidInput, "before the letter was issued"),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_bad_dispatches_are_refused_naming_what_is_wrong(session, sadar, people, case):
    _, draft = issued(session, sadar, people)
    given, error, words = REFUSED[case]
    with pytest.raises(error, match=words):
        send(session, draft, people.pooja, **given)


def test_a_draft_not_issued_twice_or_by_an_outsider_is_not_dispatched(session, sadar, people):
    file, draft = issued(session, sadar, people)
    unissued = drafts.create_draft(session, number=file.number, user=people.sunita,
                                   kind="Letter", title="A reminder", body="Remind.", now=T0)
    with pytest.raises(NotAllowed, match="'A reminder' is not issued yet"):
        send(session, unissued, people.pooja)
    with pytest.raises(NotAllowed, match="only the staff of Circle Office, Sadar"):
        send(session, draft, people.ramesh)  # DDMO's
    entry = send(session, draft, people.pooja)
    with pytest.raises(NotAllowed, match=f"already dispatched as {entry.number}"):
        send(session, draft, people.arvind)
    with pytest.raises(NotFound):
        dispatching.dispatch_draft(session, draft_id=10**9, user=people.pooja, mode="By post",
                                   addressee="x")


def test_bad_acknowledgements_are_refused(session, sadar, people):
    _, draft = issued(session, sadar, people)
    entry = send(session, draft, people.pooja, on="2026-11-04")
    for on, by, words in (("2026-11-03", "Clerk", "before .* was dispatched on 2026-11-04"),
                          ("2026-11-06", "Clerk", "acknowledgement 2026-11-06 is in the future"),
                          ("", "Clerk", "on which day"), ("2026-11-05", " ", "name is empty")):
        with pytest.raises(InvalidInput, match=words):
            dispatching.acknowledge(session, dispatch_id=entry.id, user=people.pooja, on=on,
                                    by=by, now=LATER)
    with pytest.raises(NotAllowed, match="only the staff"):
        dispatching.acknowledge(session, dispatch_id=entry.id, user=people.ramesh,
                                on="2026-11-05", by="Clerk", now=LATER)
    dispatching.acknowledge(session, dispatch_id=entry.id, user=people.pooja, on="2026-11-05",
                            by="Clerk", now=LATER)
    with pytest.raises(NotAllowed, match="recorded already"):
        dispatching.acknowledge(session, dispatch_id=entry.id, user=people.pooja,
                                on="2026-11-05", by="Clerk", now=LATER)
    with pytest.raises(InvalidInput, match="leaves by one of"):
        dispatching.filters(None, None, "Fax")
    with pytest.raises(InvalidInput, match="after it ends"):
        dispatching.filters("2026-11-05", "2026-11-01", None)


def test_the_letter_pdf_carries_the_memo_number_and_the_hindi_letterhead(session, sadar,
                                                                        people):
    _, draft = issued(session, sadar, people)
    entry = send(session, draft, people.pooja)
    letter = letters.letter_of(session, entry)
    # signed by who issued it: the Circle Officer, competent for the section's letters
    assert letter.signature[:2] == ["सुनीता कुमारी", "Sunita Kumari"]
    text = pdf_text(letters.letter_pdf(letter))
    assert entry.number in text and draft.issue_number in text
    assert sadar.name_hi in text and sadar.name in text
    assert "District Magistrate, Saran" in text and "The ADM" in text
    assert "जाँच पूरी हुई" in text and "Circle Officer, Sadar" in text and "सुनीता" in text


def test_an_entry_of_the_register_is_never_removed(session, sadar, people):
    _, draft = issued(session, sadar, people)
    entry = send(session, draft, people.pooja)
    with pytest.raises(ImmutableRow, match="cannot be deleted"):
        with session.begin_nested():
            session.delete(entry)
            session.flush()
    with pytest.raises(DBAPIError, match="never changed or removed"):
        with session.begin_nested():
            session.execute(text("DELETE FROM dispatches"))
    assert dispatching.dispatch_of(session, draft.id) is not None
