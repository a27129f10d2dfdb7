"""Signed orders: issuing a draft in an office that signs makes a PAdES PDF signed by the
issuer as their post, with a QR code and short code leading to the public verification page,
which tells an exact copy from a changed, unsigned or foreign PDF.  Nothing is half-issued."""

import io
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows import org
from workflows.db import make_engine
from workflows.errors import InvalidInput, NotAllowed
from workflows.files import drafts, filing
from workflows.files.attachments import blob_path
from workflows.models import Draft, SignedOrder
from workflows.signing import authority, officials, orders
from workflows.signing.officials import WrongPin
from workflows.signing.pdf import OrderSheet, order_pdf, sign_pdf

from conftest import People
from test_record_verify import _verify
from test_signing import PIN, relief_file_at_adm, signing_office
from webtools import csrf, post, sign_in, text

BODY = ("Relief of Rs 4,000 each is sanctioned to the 42 families of Panapur.\n"
        "पनापुर के 42 परिवारों को प्रति परिवार 4,000 रुपये की राहत स्वीकृत की जाती है।")


def approved_order(session, ddmo, people):
    file = relief_file_at_adm(session, ddmo, people)
    draft = drafts.create_draft(session, number=file.number, user=people.anil, kind="Order",
                                title="Relief to Panapur", body=BODY)
    drafts.approve_draft(session, draft_id=draft.id, version=1, user=people.anil)
    return file, draft


def issued_order(session, ddmo, people, store):
    signing_office(session, ddmo)
    officials.choose_pin(session, people.anil, PIN, PIN)
    file, draft = approved_order(session, ddmo, people)
    drafts.issue_draft(session, draft_id=draft.id, user=people.anil, pin=PIN,
                       site_url="http://127.0.0.1:5000/", store=store)
    signed = orders.signed_order_of(session, draft.id)
    return file, draft, signed, blob_path(store, signed.sha256).read_bytes()


def test_an_issued_order_is_a_signed_pdf_with_its_code(session, ddmo, people, tmp_path):
    file, draft, signed, pdf = issued_order(session, ddmo, people, tmp_path)
    assert draft.status == "issued" and signed.size == len(pdf)
    words = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert draft.issue_number in words and signed.short_code in words
    assert f"/verify/{signed.short_code}" in words
    checked = orders.check_upload(session, pdf)
    assert checked.verdict == "exact" and checked.order.draft.id == draft.id
    assert checked.order.signer.id == people.anil.id


def test_a_failed_signature_leaves_the_draft_approved_and_the_number_free(session, ddmo,
                                                                          people, tmp_path):
    signing_office(session, ddmo)
    officials.choose_pin(session, people.anil, PIN, PIN)
    file, draft = approved_order(session, ddmo, people)
    with pytest.raises(WrongPin):
        with session.begin_nested():
            drafts.issue_draft(session, draft_id=draft.id, user=people.anil, pin="wrong-pin",
                               store=tmp_path)
    session.expire_all()
    again = session.get(Draft, draft.id)
    assert again.status == "approved" and again.issue_number is None
    assert session.scalars(select(SignedOrder)).all() == []
    drafts.issue_draft(session, draft_id=draft.id, user=people.anil, pin=PIN, store=tmp_path)
    assert again.issue_number.endswith("/0001")  # the number the failure did not take


def test_the_checks_tell_each_bad_pdf_apart(session, ddmo, people, tmp_path):
    _file, _draft, signed, pdf = issued_order(session, ddmo, people, tmp_path)
    middle = len(pdf) // 3
    changed = pdf[:middle] + bytes([pdf[middle] ^ 1]) + pdf[middle + 1:]
    assert orders.check_upload(session, changed).verdict == "tampered"
    assert orders.check_upload(session, b"not a pdf at all").verdict == "not a pdf"
    unsigned = blank_pdf()
    assert orders.check_upload(session, unsigned).verdict == "unsigned"


def test_another_offices_pdf_is_named_as_such(session, ddmo, sadar, people, tmp_path):
    _file, _draft, _signed, pdf = issued_order(session, ddmo, people, tmp_path)
    theirs = authority.authority_of(session, ddmo.id)
    session.delete(theirs)  # as seen from an installation that does not know the DDMO
    session.flush()
    assert orders.check_upload(session, pdf).verdict == "untrusted"


def test_a_pdf_signed_outside_sanchika_is_flagged_and_more_so_after_revocation(
        session, ddmo, people, tmp_path):
    """Someone with the official's key and PIN signs a PDF of their own, never issued."""
    file, _draft, signed, _pdf = issued_order(session, ddmo, people, tmp_path)
    unlocked = officials.signer_for(session, people.anil, signed.certificate.post_id, PIN)
    sheet = OrderSheet(office_name=ddmo.name, office_name_hi=None, issue_number="DDMO/ORDER/X",
                       kind="Order", kind_hi="आदेश", title="Forged", body="Pay the bearer.",
                       issued_on=date(2026, 1, 1), post_title="Anyone", signer_name="Anyone",
                       verify_url="http://127.0.0.1/verify/AAAA-AAAA", short_code="AAAA-AAAA")
    with unlocked.pdf_signer() as signer:
        forged = sign_pdf(order_pdf(sheet), signer, reason="x", location="x", name="x")
    assert orders.check_upload(session, forged).verdict == "unknown"
    authority.revoke(session, authority.authority_of(session, ddmo.id), [unlocked.certificate],
                     unlocked.certificate.not_before, "compromised")
    assert orders.check_upload(session, forged).verdict == "revoked"


def test_a_revoked_certificate_cannot_issue(session, ddmo, people, tmp_path):
    signing_office(session, ddmo)
    officials.choose_pin(session, people.anil, PIN, PIN)
    file, draft = approved_order(session, ddmo, people)
    post_id = filing.open_tasks(session, file)[0].post_id
    unlocked = officials.signer_for(session, people.anil, post_id, PIN)
    authority.revoke(session, authority.authority_of(session, ddmo.id), [unlocked.certificate],
                     unlocked.certificate.not_before, "compromised")
    with pytest.raises(NotAllowed, match="revoked"):
        drafts.issue_draft(session, draft_id=draft.id, user=people.anil, pin=PIN,
                           store=tmp_path)


def test_pyhanko_validates_the_order_against_the_offices_certificate(session, ddmo, people,
                                                                     tmp_path):
    _file, _draft, _signed, pdf = issued_order(session, ddmo, people, tmp_path)
    (tmp_path / "order.pdf").write_bytes(pdf)
    (tmp_path / "ca.pem").write_text(authority.authority_of(session, ddmo.id).certificate)
    pyhanko = Path(sys.executable).parent / "pyhanko"
    def validate(name):
        return subprocess.run([str(pyhanko), "sign", "validate", "--trust", str(tmp_path / "ca.pem"),
                               "--trust-replace", "--no-revocation-check", str(tmp_path / name)],
                              capture_output=True, text=True, timeout=120)
    done = validate("order.pdf")
    assert done.returncode == 0, done.stdout + done.stderr
    assert ":INTACT:TRUSTED,UNTOUCHED" in done.stdout
    middle = len(pdf) // 3
    (tmp_path / "changed.pdf").write_bytes(pdf[:middle] + bytes([pdf[middle] ^ 1])
                                           + pdf[middle + 1:])
    refused = validate("changed.pdf")
    assert refused.returncode != 0 and ":INVALID" in refused.stdout


def test_the_public_page_verifies_by_code_and_by_upload(session, app, ddmo, people, tmp_path):
    app.config["ATTACHMENTS"] = str(tmp_path)
    _file, draft, signed, pdf = issued_order(session, ddmo, people, tmp_path)
    client = app.test_client()  # nobody signed in
    page = client.get(f"/verify/{signed.short_code}")
    assert page.status_code == 200
    said = text(page)
    assert draft.issue_number in said and "Valid" in said and people.anil.name in said
    typed = client.get("/verify", query_string={"code": signed.short_code.lower().replace("-", "")})
    assert typed.headers["Location"].endswith(f"/verify/{signed.short_code}")
    assert client.get("/verify/ZZZZ-ZZZZ").status_code == 404
    exact = upload(client, f"/verify/{signed.short_code}", pdf)
    assert "exactly the PDF that was issued" in text(exact)
    changed = pdf.replace(b"Panapur", b"Panapux", 1) if b"Panapur" in pdf else pdf + b"\n%x"
    bad = upload(client, "/verify", changed)
    assert "changed after it was signed" in text(bad)


def test_the_file_page_issues_with_the_pin(session, app, ddmo, people, tmp_path):
    app.config["ATTACHMENTS"] = str(tmp_path)
    signing_office(session, ddmo)
    officials.choose_pin(session, people.anil, PIN, PIN)
    file, draft = approved_order(session, ddmo, people)
    client = app.test_client()
    sign_in(client, "anil.sinha")
    assert 'id="issue-pin-' in client.get(f"/files/{file.id}").get_data(as_text=True)
    wrong = post(client, f"/files/{file.id}/drafts/{draft.id}/issue", dict(pin="wrong-pin-1"))
    assert wrong.status_code == 400 and session.get(Draft, draft.id).status == "approved"
    done = post(client, f"/files/{file.id}/drafts/{draft.id}/issue", dict(pin=PIN))
    assert done.status_code == 302
    signed = orders.signed_order_of(session, draft.id)
    assert signed is not None and blob_path(tmp_path, signed.sha256).exists()


def upload(client, path, data):
    """A PDF given to the public page by someone not signed in."""
    return client.post(path, data={"csrf_token": csrf(client, "/verify"),
                                   "pdf": (io.BytesIO(data), "order.pdf")},
                       content_type="multipart/form-data")


def blank_pdf():
    from fpdf import FPDF
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(0, 10, "An order typed elsewhere")
    return bytes(pdf.output())


def test_an_order_revoked_or_superseded_says_so_on_its_page(session, app, ddmo, people,
                                                            tmp_path):
    file, draft, signed, _pdf = issued_order(session, ddmo, people, tmp_path)
    with pytest.raises(NotAllowed, match="only the head"):
        orders.revoke_order(session, draft_id=draft.id, user=people.priya, reason="Wrong list")
    with pytest.raises(InvalidInput, match="say why"):
        orders.revoke_order(session, draft_id=draft.id, user=people.anil, reason="  ")
    second = drafts.create_draft(session, number=file.number, user=people.anil, kind="Order",
                                 title="Relief to Panapur, revised", body=BODY + "\n(revised)")
    drafts.approve_draft(session, draft_id=second.id, version=1, user=people.anil)
    with pytest.raises(InvalidInput, match="no signed order"):
        drafts.issue_draft(session, draft_id=second.id, user=people.anil, pin=PIN,
                           store=tmp_path, supersedes="DDMO/ORDER/1999/0001")
    drafts.issue_draft(session, draft_id=second.id, user=people.anil, pin=PIN, store=tmp_path,
                       supersedes=draft.issue_number.lower())
    client = app.test_client()
    said = text(client.get(f"/verify/{signed.short_code}"))
    assert f"Superseded by {second.issue_number}" in said
    with pytest.raises(NotAllowed, match="no longer in force"):
        orders.revoke_order(session, draft_id=draft.id, user=people.anil, reason="Twice")
    newer = orders.signed_order_of(session, second.id)
    orders.revoke_order(session, draft_id=second.id, user=people.anil,  # the head
                        reason="Funds withdrawn by the state")
    said = text(client.get(f"/verify/{newer.short_code}"))
    assert "Revoked on" in said and "Funds withdrawn by the state" in said


@pytest.mark.parametrize("empty_db", ["sqlite", "postgresql"], indirect=True)
def test_verify_reads_every_signed_order_again(demo_db, tmp_path):
    eng = make_engine(demo_db)
    with Session(eng) as session, session.begin():
        ddmo = org.office_by_code(session, "DDMO")
        _file, draft, signed, pdf = issued_order(session, ddmo, People(session), tmp_path)
        sha, number = signed.sha256, draft.issue_number
    eng.dispose()
    result = _verify(demo_db, tmp_path)
    assert result.exit_code == 0, result.output + result.stderr
    path = blob_path(tmp_path, sha)
    path.write_bytes(pdf[:-20] + b"%% changed on disk\n")
    result = _verify(demo_db, tmp_path)
    assert result.exit_code == 1 and f"the PDF of {number} was changed" in result.stderr
    path.unlink()
    result = _verify(demo_db, tmp_path)
    assert f"the PDF of {number} is missing" in result.stderr


def test_the_public_page_holds_one_address_to_a_pace(session, app, ddmo, people, tmp_path):
    app.config["VERIFY_LIMIT"] = "2 per minute"
    client = app.test_client()
    for _ in range(2):
        assert upload(client, "/verify", b"not a pdf").status_code == 200
    assert upload(client, "/verify", b"not a pdf").status_code == 429
    assert client.get("/verify").status_code == 200  # looking up a code is not held up
