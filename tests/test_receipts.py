"""Receipts (incoming letters), on SQLite and PostgreSQL: diarised with a number per office and
year, kept at a post, sent on, and put into a new or an existing file."""

import hashlib
import json
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from workflows.files import attachments, filing, receipts
from workflows.errors import InvalidInput, NotAllowed, NotFound
from workflows.models import AuditEvent, Post
from workflows.models.guards import ImmutableRow

T0 = datetime(2026, 11, 2, 5, 0, tzinfo=timezone.utc)  # a Monday, 10:30 IST
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def diarise(session, office, user, now=T0, **kw):
    fields = dict(subject="Encroachment on public land near Daulatganj ghat",
                  sender="Ram Prasad Rai", sender_address="Village Daulatganj, Chhapra",
                  letter_number="Nil", letter_date=date(2026, 10, 28), mode="By hand")
    fields.update(kw)
    return receipts.diarise_receipt(session, office=office, user=user, now=now, **fields)


def post(session, office, code):
    return session.scalar(select(Post).where(Post.office_id == office.id, Post.code == code))


def _said(detail):
    """What an event says of its action (without the digests of the rows it wrote)."""
    return {k: v for k, v in json.loads(detail).items() if k != "records"}


def actions(session, **where):
    session.commit()  # audit events are written at commit
    rows = session.scalars(select(AuditEvent).where(AuditEvent.action.like("receipt.%"))
                           .order_by(AuditEvent.id))
    return [(e.action, _said(e.detail)) for e in rows
            if all(getattr(e, k) == v for k, v in where.items())]


def test_receipts_are_numbered_per_office_and_local_year(session, sadar, ddmo, people):
    first = diarise(session, sadar, people.pooja)
    second = diarise(session, sadar, people.manoj, subject="Second letter")
    elsewhere = diarise(session, ddmo, people.ramesh)
    assert first.number.startswith("SADAR/R/2026/")
    assert int(second.number[-4:]) == int(first.number[-4:]) + 1
    assert elsewhere.number.startswith("DDMO/R/2026/")
    # 31 December, 19:00 UTC is already 1 January in Chhapra: the new year's first receipt
    new_year = diarise(session, sadar, people.pooja, now=datetime(2026, 12, 31, 19, 0,
                                                                   tzinfo=timezone.utc))
    assert new_year.number == "SADAR/R/2027/0001"
    assert new_year.received_on == date(2027, 1, 1)
    assert (first.status, first.holder_post.code, first.diarised_by_post.code) == (
        "pending", "DA-GEN", "DA-GEN")
    assert (first.sender_name, first.mode, first.diarised_at) == ("Ram Prasad Rai", "By hand", T0)
    assert [r.number for r in receipts.receipts_pending(session, people.pooja)] == [
        first.number, new_year.number]


def test_scanned_letter_is_checked_and_kept_by_content(session, sadar, people, tmp_path):
    receipt = diarise(session, sadar, people.pooja, document=("C:\\scan\\letter.pdf", PDF),
                      store=tmp_path)
    assert (receipt.document_filename, receipt.document_type, receipt.document_size) == (
        "letter.pdf", "application/pdf", len(PDF))
    assert receipt.document_sha256 == hashlib.sha256(PDF).hexdigest()
    assert attachments.blob_path(tmp_path, receipt.document_sha256).read_bytes() == PDF
    _meta, data = receipts.read_receipt_document(session, receipt.id, tmp_path)
    assert data == PDF
    plain = diarise(session, sadar, people.pooja)
    with pytest.raises(NotFound, match="has no scanned letter"):
        receipts.read_receipt_document(session, plain.id, tmp_path)


@pytest.mark.parametrize("document, words", [
    (("photo.pdf", PNG), "holds image/png but is named .pdf"),
    (("setup.exe", b"MZ\x90\x00" + b"\x00" * 64), "is not a PDF, PNG, JPEG or TIFF"),
    (("empty.pdf", b""), "is empty"),
    (("big.pdf", b"%PDF-" + b"0" * (attachments.MAX_BYTES + 1)), "the limit is 20 MB"),
])
def test_bad_scans_are_refused_and_nothing_is_kept(session, sadar, people, tmp_path,
                                                  document, words):
    with pytest.raises(InvalidInput, match=words):
        diarise(session, sadar, people.pooja, document=document, store=tmp_path)
    assert not any(tmp_path.iterdir())
    assert receipts.receipts_pending(session, people.pooja) == []


@pytest.mark.parametrize("changes, words", [
    (dict(subject="   "), "the subject is empty"),
    (dict(sender=""), "the sender is missing"),
    (dict(letter_date=date(2026, 11, 3)), "the letter date 2026-11-03 is in the future"),
    (dict(received_on="2026-11-05"), "the date of receipt 2026-11-05 is in the future"),
    (dict(received_on=date(2026, 10, 20)), "dated 2026-10-28, after it was received on"),
    (dict(letter_date="28/10/2026"), "is not a date like"),
    (dict(mode="Pigeon"), "mode 'Pigeon' is not one of: By post, By hand, Email"),
    (dict(subject="x" * 501), "subject is longer than 500"),
])
def test_bad_input_is_refused_with_one_clear_message(session, sadar, people, changes, words):
    with pytest.raises(InvalidInput, match=words):
        diarise(session, sadar, people.pooja, **changes)


def test_one_without_a_post_in_the_office_cannot_diarise(session, sadar, people):
    with pytest.raises(NotAllowed, match="holds no post in Circle Office, Sadar"):
        diarise(session, sadar, people.ramesh)


def test_a_receipt_sent_on_is_opened_into_a_new_file_with_its_letter(
        session, sadar, people, tmp_path):
    receipt = diarise(session, sadar, people.pooja, document=("letter.pdf", PDF), store=tmp_path)
    receipts.send_receipt(session, receipt_id=receipt.id, user=people.pooja,
                          to_post_id=post(session, sadar, "RK-1").id)
    assert receipts.receipts_pending(session, people.pooja) == []
    assert receipts.receipts_pending(session, people.manoj) == [receipt]
    with pytest.raises(NotAllowed, match="is with Revenue Karmachari, Halka 1, not with Pooja"):
        receipts.open_file_from_receipt(session, receipt_id=receipt.id, user=people.pooja,
                                        route_key="general_noting")
    later = T0 + timedelta(hours=2)
    file = receipts.open_file_from_receipt(session, receipt_id=receipt.id, user=people.manoj,
                                           route_key="land_mutation", priority="Priority",
                                           now=later)
    assert (file.subject, file.priority, file.number[:14]) == (
        receipt.subject, "Priority", "SADAR/REV/2026")
    assert (receipt.status, receipt.file_id, receipt.filed_by_id, receipt.filed_at) == (
        "in file", file.id, people.manoj.id, later)
    assert receipts.receipts_of(session, file) == [receipt]
    assert receipts.receipts_pending(session, people.manoj) == []
    [scan] = attachments.attachments_of(session, file)
    assert (scan.filename, scan.sha256, scan.uploaded_by_id) == (
        "letter.pdf", receipt.document_sha256, people.manoj.id)
    assert [a for a, _ in actions(session, office_id=sadar.id)] == [
        "receipt.diarised", "receipt.sent", "receipt.filed"]
    assert actions(session, file_id=file.id) == [("receipt.filed", {"receipt": receipt.number})]


def test_a_receipt_goes_into_an_existing_file_held_by_its_holder(session, sadar, people):
    file = filing.open_file(session, office=sadar, user=people.manoj, route_key="land_mutation",
                            subject="Mutation of Khata 9", now=T0)
    first = diarise(session, sadar, people.manoj)
    second = diarise(session, sadar, people.manoj, subject="Reminder on the same matter")
    receipts.put_in_file(session, receipt_id=second.id, number=file.number, user=people.manoj)
    receipts.put_in_file(session, receipt_id=first.id, number=file.number, user=people.manoj)
    assert receipts.receipts_of(session, file) == [second, first]
    assert attachments.attachments_of(session, file) == []  # no scans, no documents
    with pytest.raises(NotAllowed, match=f"receipt {first.number} is already in file "
                                         f"{file.number}"):
        receipts.put_in_file(session, receipt_id=first.id, number=file.number,
                             user=people.manoj)


def test_putting_in_a_file_needs_the_file_and_the_receipt_in_the_same_hands(
        session, sadar, people):
    file = filing.open_file(session, office=sadar, user=people.manoj, route_key="land_mutation",
                            subject="Mutation of Khata 9", now=T0)
    at_pooja = diarise(session, sadar, people.pooja)
    with pytest.raises(NotAllowed, match="is with Dealing Assistant, General, not with Manoj"):
        receipts.put_in_file(session, receipt_id=at_pooja.id, number=file.number,
                             user=people.manoj)
    with pytest.raises(NotAllowed, match=f"only the official holding file {file.number}"):
        receipts.put_in_file(session, receipt_id=at_pooja.id, number=file.number,
                             user=people.pooja)
    filing.act(session, number=file.number, user=people.manoj, choice="Submit report",
               now=T0 + timedelta(hours=1))
    at_manoj = diarise(session, sadar, people.manoj)
    with pytest.raises(NotAllowed, match="only the official holding file"):  # it moved on
        receipts.put_in_file(session, receipt_id=at_manoj.id, number=file.number,
                             user=people.manoj)
    assert receipts.receipts_of(session, file) == []
    with pytest.raises(NotFound, match="no receipt with the id 999999"):
        receipts.put_in_file(session, receipt_id=999999, number=file.number, user=people.manoj)


def test_another_offices_file_is_refused(session, sadar, ddmo, people):
    # Sunita is Circle Officer of Sadar and verifies relief for DDMO: she holds both
    relief = filing.open_file(session, office=ddmo, user=people.ramesh,
                              route_key="relief_grant", subject="Flood relief: house damage")
    filing.act(session, number=relief.number, user=people.ramesh, choice="Send for verification")
    receipt = diarise(session, sadar, people.sunita)
    with pytest.raises(NotAllowed, match=f"file {relief.number} belongs to District Disaster "
                                         "Management Office, Saran, not to Circle Office"):
        receipts.put_in_file(session, receipt_id=receipt.id, number=relief.number,
                             user=people.sunita)
    with pytest.raises(NotAllowed, match="can be sent only to a post of Circle Office, Sadar"):
        receipts.send_receipt(session, receipt_id=receipt.id, user=people.sunita,
                              to_post_id=post(session, ddmo, "DA-REL").id)
    assert receipt.status == "pending"


def test_a_receipt_in_a_file_is_final_and_no_receipt_is_deleted(session, sadar, people):
    receipt = diarise(session, sadar, people.manoj)
    receipts.open_file_from_receipt(session, receipt_id=receipt.id, user=people.manoj,
                                    route_key="land_mutation")
    with pytest.raises(ImmutableRow, match="is in file and cannot be changed"):
        with session.begin_nested():
            receipt.subject = "Something else"
            session.flush()
    pending = diarise(session, sadar, people.manoj)
    with pytest.raises(ImmutableRow, match="cannot be deleted"):
        with session.begin_nested():
            session.delete(pending)
            session.flush()
