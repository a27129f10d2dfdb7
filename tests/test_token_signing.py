"""Signing with a token through PKCS#11, SoftHSM2 standing in for an official's USB token: an
office whose provider is pkcs11 signs paragraphs and orders with a key that never leaves the
token, and the token checks the PIN."""

import os
import shutil
import subprocess

import pytest
from sqlalchemy import select

from workflows.errors import NotFound, WrongPin
from workflows import org
from workflows.files import drafts, filing, notes
from workflows.files.attachments import blob_path
from workflows.models import NoteSignature
from workflows.signing import authority, notes as signed, orders, token

from conftest import IN_CI
from test_signed_orders import approved_order
from test_signing import relief_file, sent_with

TOKEN_PIN = "token-pin-4711"


@pytest.fixture(scope="session")
def softhsm(tmp_path_factory):
    """A token store of the run's, with Ramesh's and Anil's tokens in it and a key made on the token.
    SoftHSM2 reads its configuration once per process, so the store is the run's."""
    if shutil.which("softhsm2-util") is None or not os.path.exists(token.SOFTHSM):
        if IN_CI:
            pytest.fail("softhsm2 is not installed (make softhsm)")
        pytest.skip("softhsm2 is not installed (make softhsm)")
    folder = tmp_path_factory.mktemp("softhsm")
    (folder / "tokens").mkdir()
    conf = folder / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {folder / 'tokens'}\nobjectstore.backend = file\n"
                    "log.level = ERROR\n")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    logins = ("ramesh.singh", "anil.sinha")  # Anil, the ADM, signs the orders
    for login in logins:  # every token first: the library, once loaded, sees no new one
        subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", login,
                        "--pin", TOKEN_PIN, "--so-pin", "so-pin-0000"], check=True,
                       capture_output=True)
    for login in logins:
        token.enrol(token.SOFTHSM, login, TOKEN_PIN)
    return token.SOFTHSM


def token_office(session, office, module):
    return authority.create_authority(session, None, office, "pkcs11", module)


def test_paragraphs_are_signed_on_the_token(session, ddmo, people, softhsm):
    token_office(session, ddmo, softhsm)
    file = relief_file(session, ddmo, people)
    sent_with(session, file, people.ramesh, TOKEN_PIN)
    marks = signed.marks(session, file)
    assert len(marks) == 1 and all(m.valid for m in marks.values())
    assert list(signed.check(session)) == []
    with token.token_session(softhsm, "ramesh.singh", TOKEN_PIN) as opened:
        on_token = token.public_key(opened)
    cert = session.scalars(select(NoteSignature)).one().certificate
    from cryptography import x509
    assert x509.load_pem_x509_certificate(cert.pem.encode()).public_key() == on_token


def test_an_order_is_signed_on_the_token_and_verifies(session, ddmo, people, softhsm,
                                                      tmp_path):
    token_office(session, ddmo, softhsm)
    _file, draft = approved_order(session, ddmo, people)
    drafts.issue_draft(session, draft_id=draft.id, user=people.anil, pin=TOKEN_PIN,
                       store=tmp_path)
    row = orders.signed_order_of(session, draft.id)
    pdf = blob_path(tmp_path, row.sha256).read_bytes()
    assert orders.check_upload(session, pdf).verdict == "exact"


def test_the_token_refuses_a_wrong_pin_and_is_not_locked_by_it(session, ddmo, people, softhsm):
    token_office(session, ddmo, softhsm)
    file = relief_file(session, ddmo, people)
    with pytest.raises(WrongPin, match="token refused"):
        with session.begin_nested():
            sent_with(session, file, people.ramesh, "not-the-pin")
    sent_with(session, file, people.ramesh, TOKEN_PIN)


def test_an_official_without_a_token_is_told_so(session, ddmo, people, softhsm):
    token_office(session, ddmo, softhsm)
    file = relief_file(session, ddmo, people)
    sent_with(session, file, people.ramesh, TOKEN_PIN)
    holder = org.holders_of(session, filing.open_tasks(session, file)[0].post)[0]
    notes.add_note(session, number=file.number, user=holder, body="Verified.")
    with pytest.raises(NotFound, match=f"no token labelled {holder.login}"):
        filing.act(session, number=file.number, user=holder, choice="Forward", pin=TOKEN_PIN)


def test_a_missing_library_is_named(session, ddmo, people, softhsm):
    token_office(session, ddmo, "/nowhere/libpkcs11.so")
    file = relief_file(session, ddmo, people)
    with pytest.raises(NotFound, match="/nowhere/libpkcs11.so cannot be loaded"):
        sent_with(session, file, people.ramesh, TOKEN_PIN)
