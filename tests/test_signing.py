"""Signed note paragraphs: an office's signing authority, an official's key under a PIN only
they know, the paragraphs they wrote signed as they send the file on, and `sanchika verify`
reading every signature.  SQLite and PostgreSQL."""

from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID
from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows import clock, org
from workflows.org import orgchart
from workflows.db import make_engine
from workflows.demo import DEMO_PASSWORD
from workflows.errors import InvalidInput, NotAllowed
from workflows.files import filing, notes
from workflows.models import Certificate, NoteSignature
from workflows.signing import authority, officials
from workflows.signing import notes as signed
from workflows.signing.officials import WrongPin

from test_record_verify import _behind_the_back, _verify
from test_api import bearer
from webtools import post, sign_in, text

PIN = "4711-saran"
BOTH = pytest.mark.parametrize("empty_db", ["sqlite", "postgresql"], indirect=True)


def signing_office(session, office):
    return authority.create_authority(session, None, office)


def relief_file(session, ddmo, people):
    return filing.open_file(session, office=ddmo, user=people.ramesh, route_key="relief_grant",
                            subject="Relief to flood-hit families of Panapur",
                            first_note="Put up the list of 42 families for relief.")


def relief_file_at_adm(session, ddmo, people):
    """A relief file sent up to the ADM, the competent authority for the DDMO's orders (no
    paragraph on it to sign on the way)."""
    file = filing.open_file(session, office=ddmo, user=people.ramesh, route_key="relief_grant",
                            subject="Relief to flood-hit families of Panapur")
    filing.act(session, number=file.number, user=people.ramesh, choice="Send for verification")
    filing.act(session, number=file.number, user=people.sunita, choice="Verified")
    return file


def test_paragraphs_are_signed_as_the_file_is_sent(session, ddmo, people):
    signing_office(session, ddmo)
    officials.choose_pin(session, people.ramesh, PIN, PIN)
    file = relief_file(session, ddmo, people)
    notes.add_note(session, number=file.number, user=people.ramesh, body="Funds are available.")
    filing.act(session, number=file.number, user=people.ramesh, choice="Send for verification", pin=PIN)
    marks = signed.marks(session, file)
    assert len(marks) == 2 and all(m.valid for m in marks.values())
    assert {m.signer for m in marks.values()} == {people.ramesh.name}
    cert = session.scalars(select(Certificate)).one()
    x509_cert = x509.load_pem_x509_certificate(cert.pem.encode())
    subject = {a.oid: a.value for a in x509_cert.subject}
    assert subject[NameOID.COMMON_NAME] == people.ramesh.name
    assert subject[NameOID.TITLE] == cert.post.title
    assert subject[NameOID.ORGANIZATION_NAME] == ddmo.name
    assert list(signed.check(session)) == []


def sent_with(session, file, user, pin, choice="Send for verification"):
    return filing.act(session, number=file.number, user=user, choice=choice, pin=pin)


def test_a_wrong_pin_is_refused_and_the_file_stays(session, ddmo, people):
    signing_office(session, ddmo)
    officials.choose_pin(session, people.ramesh, PIN, PIN)
    file = relief_file(session, ddmo, people)
    for pin in ("4711-sarna", None, ""):
        with pytest.raises(WrongPin):
            with session.begin_nested():
                sent_with(session, file, people.ramesh, pin)
    assert [t.post_id for t in filing.open_tasks(session, file)] == [
        org.acting_post(session, people.ramesh, ddmo).id]
    assert session.scalars(select(NoteSignature)).all() == []
    sent_with(session, file, people.ramesh, PIN)  # the right PIN still works: nothing locked


def test_an_office_that_does_not_sign_sends_as_before(session, sadar, ddmo, people):
    file = relief_file(session, ddmo, people)
    sent_with(session, file, people.ramesh, None)
    assert session.scalars(select(NoteSignature)).all() == []


def test_signing_needs_a_pin_chosen_first_and_a_good_one(session, ddmo, people):
    signing_office(session, ddmo)
    file = relief_file(session, ddmo, people)
    with pytest.raises(NotAllowed, match="no signing PIN yet"):
        sent_with(session, file, people.ramesh, PIN)
    for pin, again, why in (("1234", "1234", "8 to 64"), ("11111111", "11111111", "three"),
                            (PIN, PIN + "x", "differ")):
        with pytest.raises(InvalidInput, match=why):
            officials.choose_pin(session, people.ramesh, pin, again)
    key = officials.choose_pin(session, people.ramesh, PIN, PIN)
    assert PIN.encode() not in key.sealed_key and b"PRIVATE" not in key.sealed_key
    with pytest.raises(NotAllowed, match="already"):
        officials.choose_pin(session, people.ramesh, PIN, PIN)


def test_a_sealed_key_opens_only_for_its_owner(session, ddmo, people):
    mine = officials.choose_pin(session, people.ramesh, PIN, PIN)
    theirs = officials.choose_pin(session, people.priya, PIN, PIN)
    theirs.sealed_key, theirs.salt = mine.sealed_key, mine.salt  # copied behind the back
    with pytest.raises(WrongPin):
        officials.unlock(theirs, PIN)
    assert officials.unlock(mine, PIN) is not None


def test_a_new_pin_keeps_the_key_and_a_forgotten_one_replaces_it(session, ddmo, people):
    signing_office(session, ddmo)
    officials.choose_pin(session, people.ramesh, PIN, PIN)
    file = relief_file(session, ddmo, people)
    sent_with(session, file, people.ramesh, PIN)
    officials.change_pin(session, people.ramesh, PIN, "new-pin-2026", "new-pin-2026")
    with pytest.raises(WrongPin):
        officials.change_pin(session, people.ramesh, PIN, "other-pin-1", "other-pin-1")
    first = session.scalars(select(Certificate)).one()
    assert first.revoked_at is None
    with pytest.raises(WrongPin, match="password"):
        officials.replace_key(session, people.ramesh, "not-it", "third-pin-3", "third-pin-3")
    officials.replace_key(session, people.ramesh, DEMO_PASSWORD, "third-pin-3", "third-pin-3")
    assert first.revoked_at is not None and "forgotten" in first.revocation_reason
    assert all(m.valid for m in signed.marks(session, file).values())  # signed before


def test_the_end_of_a_holding_revokes_its_certificate_and_the_crl_lists_it(session, ddmo,
                                                                           people):
    signing_office(session, ddmo)
    officials.choose_pin(session, people.ramesh, PIN, PIN)
    file = relief_file(session, ddmo, people)
    sent_with(session, file, people.ramesh, PIN)
    cert = session.scalars(select(Certificate)).one()
    holding = cert.holding
    today = clock.office_today(ddmo)
    orgchart.end_holding(session, people.vikas, holding, today)
    assert cert.revoked_at == authority.day_after(ddmo, today)
    later = cert.revoked_at + timedelta(minutes=1)
    crl = x509.load_der_x509_crl(authority.crl(session, ddmo, later))
    issuer = authority.authority_certificate(authority.authority_of(session, ddmo.id))
    assert crl.is_signature_valid(issuer.public_key())
    assert crl.get_revoked_certificate_by_serial_number(int(cert.serial, 16)) is not None
    assert x509.load_der_x509_crl(authority.crl(session, ddmo, cert.revoked_at
                                                - timedelta(minutes=1))) \
        .get_revoked_certificate_by_serial_number(int(cert.serial, 16)) is None


def test_a_revoked_certificate_cannot_sign_and_says_so(session, ddmo, people):
    signing_office(session, ddmo)
    officials.choose_pin(session, people.ramesh, PIN, PIN)
    file = relief_file(session, ddmo, people)
    now = clock.utcnow()
    post = org.acting_post(session, people.ramesh, ddmo)
    unlocked = officials.signer_for(session, people.ramesh, post.id, PIN, now)
    authority.revoke(session, authority.authority_of(session, ddmo.id), [unlocked.certificate],
                     now, "compromised")
    with pytest.raises(NotAllowed, match="revoked on .*compromised"):
        sent_with(session, file, people.ramesh, PIN)


def _a_signed_day(url):
    """The DDMO signs; Ramesh puts up a file with two paragraphs and sends it on."""
    eng = make_engine(url)
    with Session(eng) as session, session.begin():
        ddmo, ramesh = org.office_by_code(session, "DDMO"), org.user_by_login(session,
                                                                            "ramesh.singh")
        signing_office(session, ddmo)
        officials.choose_pin(session, ramesh, PIN, PIN)
        file = filing.open_file(session, office=ddmo, user=ramesh, route_key="relief_grant",
                                subject="Relief to Panapur", first_note="Put up the list.")
        notes.add_note(session, number=file.number, user=ramesh, body="Funds are available.")
        sent_with(session, file, ramesh, PIN)
        number = file.number
    eng.dispose()
    return number


@BOTH
def test_verify_checks_every_signature(demo_db, tmp_path):
    number = _a_signed_day(demo_db)
    result = _verify(demo_db, tmp_path)
    assert result.exit_code == 0, result.output + result.stderr
    _behind_the_back(demo_db, "UPDATE notes SET body = 'No funds.' "
                              "WHERE body = 'Funds are available.'",
                     "UPDATE certificates SET revoked_at = not_before")
    result = _verify(demo_db, tmp_path)
    assert result.exit_code == 1
    said = result.output + result.stderr
    assert f"file {number}: note signature" in said
    assert "paragraph 2 changed after it was signed" in said
    assert "paragraph 1 was signed after its certificate was revoked" in said
    assert "certificate" in said and "record differs" in said  # the chain names the change too


@BOTH
def test_verify_names_a_signature_taken_away(demo_db, tmp_path):
    number = _a_signed_day(demo_db)
    _behind_the_back(demo_db, "DELETE FROM note_signatures WHERE id = (SELECT MIN(id) "
                              "FROM note_signatures)")
    result = _verify(demo_db, tmp_path)
    assert result.exit_code == 1
    assert f"file {number}: note" in result.stderr
    assert "sent unsigned although its office signs" in result.stderr


def test_the_file_page_asks_for_the_pin_signs_and_shows_the_signatures(session, app, ddmo,
                                                                      people):
    signing_office(session, ddmo)
    file = relief_file(session, ddmo, people)
    client = app.test_client()
    sign_in(client, "ramesh.singh")
    page = client.get(f"/files/{file.id}").get_data(as_text=True)
    assert "Choose your signing PIN first." in page
    assert post(client, "/password/signing", dict(do="choose", pin=PIN, repeat=PIN)).status_code == 302
    page = client.get(f"/files/{file.id}").get_data(as_text=True)
    assert 'name="pin"' in page
    task_id = filing.open_tasks(session, file)[0].id
    wrong = post(client, f"/files/{file.id}/act", dict(task_id=task_id,
                 choice="Send for verification", pin="not-my-pin"))
    assert wrong.status_code == 400 and "signing PIN is wrong" in text(wrong), text(wrong)[:400]
    sent = post(client, f"/files/{file.id}/act", dict(task_id=task_id,
                choice="Send for verification", pin=PIN))
    assert sent.status_code == 302
    page = text(client.get(f"/files/{file.id}"))
    assert page.count("Signature valid") == 1 and people.ramesh.name in page


def test_wrong_pins_are_throttled_without_locking_the_official_out(session, app, ddmo, people):
    signing_office(session, ddmo)
    officials.choose_pin(session, people.ramesh, PIN, PIN)
    file = relief_file(session, ddmo, people)
    client = app.test_client()
    sign_in(client, "ramesh.singh")
    task_id = filing.open_tasks(session, file)[0].id
    act = dict(task_id=task_id, choice="Send for verification")
    for _ in range(5):
        assert post(client, f"/files/{file.id}/act", dict(act, pin="wrong-pin-0")).status_code == 400
    held = post(client, f"/files/{file.id}/act", dict(act, pin=PIN))
    assert held.status_code == 429 and "Too many wrong PINs" in text(held)
    assert client.get(f"/files/{file.id}").status_code == 200  # the file is still theirs
    assert post(client, f"/files/{file.id}/notes", dict(note="Still working on it.")).status_code == 302
    other = client.application.test_client()
    sign_in(other, "priya.sharma")  # another official is not held up
    assert post(other, "/password/signing", dict(do="choose", pin=PIN, repeat=PIN)).status_code == 302


def test_the_office_publishes_its_certificate_and_crl(session, app, ddmo):
    signing_office(session, ddmo)
    client = app.test_client()  # nobody signed in
    pem = client.get("/signing/DDMO/authority.pem")
    assert pem.status_code == 200
    issuer = x509.load_pem_x509_certificate(pem.data)
    crl = client.get("/signing/ddmo/crl")
    assert crl.status_code == 200 and crl.mimetype == "application/pkix-crl"
    assert x509.load_der_x509_crl(crl.data).is_signature_valid(issuer.public_key())
    assert client.get("/signing/SADAR/crl").status_code == 404  # Sadar does not sign
    assert client.get("/signing/NOWHERE/authority.pem").status_code == 404


def test_an_administrator_sets_up_the_offices_signing(session, app, ddmo, people):
    client = app.test_client()
    sign_in(client, "vikas.kumar")
    html = client.get(f"/admin/offices/{ddmo.id}/settings").get_data(as_text=True)
    assert html.index("<main") < html.index('id="signing-form"')  # on the page, not its title
    assert "The office does not sign yet" in text(client.get(f"/admin/offices/{ddmo.id}/settings"))
    done = post(client, f"/admin/offices/{ddmo.id}/settings", dict(what="signing",
                                                                  provider="builtin"))
    assert done.status_code == 302
    made = authority.authority_of(session, ddmo.id)
    assert made is not None and made.provider == "builtin"
    assert "since" in text(client.get(f"/admin/offices/{ddmo.id}/settings"))
    bad = post(client, f"/admin/offices/{ddmo.id}/settings", dict(what="signing",
                                                                 provider="pkcs11"))
    assert "PKCS#11 library" in text(client.get(bad.headers["Location"]))
    assert authority.authority_of(session, ddmo.id).provider == "builtin"


def test_the_api_takes_the_pin_and_refuses_a_wrong_one(session, client, ddmo, people):
    signing_office(session, ddmo)
    officials.choose_pin(session, people.ramesh, PIN, PIN)
    file = relief_file(session, ddmo, people)
    headers = bearer(session, people.ramesh)
    act = {"choice": "Send for verification"}
    refused = client.post(f"/api/v1/files/{file.id}/act", json=dict(act, pin="wrong-pin-0"),
                          headers=headers)
    assert refused.status_code == 403 and "PIN is wrong" in refused.json["error"]
    missing = client.post(f"/api/v1/files/{file.id}/act", json=act, headers=headers)
    assert missing.status_code == 403 and "signing PIN" in missing.json["error"]
    sent = client.post(f"/api/v1/files/{file.id}/act", json=dict(act, pin=PIN), headers=headers)
    assert sent.status_code == 200, sent.json
    assert len(signed.marks(session, file)) == 1


def test_a_key_sealed_under_older_parameters_opens_and_is_sealed_again(session, ddmo, people):
    signing_office(session, ddmo)
    key = officials.choose_pin(session, people.ramesh, PIN, PIN)
    older = dict(time_cost=1, memory_cost=8192, parallelism=1)
    private = officials.unlock(key, PIN)
    sealed = officials._sealed(people.ramesh, private, PIN)
    nonce, salt = sealed["sealed_key"][:12], sealed["salt"]
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    der = private.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    key.sealed_key = nonce + AESGCM(officials._derived(PIN, salt, older)).encrypt(
        nonce, der, officials._bound(people.ramesh.id))
    key.salt, key.kdf = salt, "argon2id$v=19$m=8192,t=1,p=1"
    file = relief_file(session, ddmo, people)
    sent_with(session, file, people.ramesh, PIN)
    assert key.kdf == officials.KDF_NAME and officials.unlock(key, PIN) is not None


def test_the_command_sets_up_an_office_and_writes_its_crl(empty_db, tmp_path):
    from click.testing import CliRunner
    from web.cli import main
    env = {"SANCHIKA_DATABASE_URL": empty_db}
    runner = CliRunner(env=env)
    assert runner.invoke(main, ["demo"]).exit_code == 0
    made = runner.invoke(main, ["signing", "setup", "ddmo"])
    assert made.exit_code == 0 and "DDMO: signing authority" in made.output
    again = runner.invoke(main, ["signing", "setup", "DDMO"])
    assert again.exit_code != 0 and "already has a signing authority" in again.output
    tokens = runner.invoke(main, ["signing", "setup", "SADAR", "--provider", "pkcs11"])
    assert tokens.exit_code != 0 and "PKCS#11 library" in tokens.output
    written = runner.invoke(main, ["signing", "crl", "DDMO", "-o", str(tmp_path / "d.crl")])
    assert written.exit_code == 0
    assert len(x509.load_der_x509_crl((tmp_path / "d.crl").read_bytes())) == 0  # none revoked


def test_the_files_pdf_says_who_signed_each_paragraph(session, ddmo, people):
    import io
    from pypdf import PdfReader
    from workflows.reports.pdf_export import file_pdf
    signing_office(session, ddmo)
    officials.choose_pin(session, people.ramesh, PIN, PIN)
    file = relief_file(session, ddmo, people)
    sent_with(session, file, people.ramesh, PIN)
    words = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(file_pdf(session, file))).pages)
    assert "Signed / " in words and people.ramesh.name in words.split("Signed / ", 1)[1]
