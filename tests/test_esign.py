"""Issuing an order with Aadhaar eSign: the request goes, signed by the office, to a stand-in of
an eSign provider over HTTP on loopback; the provider's signed answer issues the order, whose
PDF then verifies; a refused or forged answer issues nothing and the number waits for it."""

import html
import re
import urllib.error
import urllib.parse
import urllib.request

import pytest
from cryptography.hazmat.primitives import serialization
from sqlalchemy import select

from workflows.errors import InvalidInput, NotAllowed
from workflows.files import drafts
from workflows.files.attachments import blob_path
from workflows.models import Draft, EsignRequest
from workflows.signing import authority, esigning, orders
from workflows.signing.authority import Esign

from esign_standin import OTP, StandIn
from test_signed_orders import approved_order
from webtools import post, sign_in, text

SITE = "http://127.0.0.1:5000/"


@pytest.fixture
def provider(session, ddmo):
    made = authority.create_authority(session, None, ddmo)
    with StandIn() as esp:
        pem = esp.certificate.public_bytes(serialization.Encoding.PEM).decode()
        authority.set_provider(session, None, ddmo, "esign",
                               esign=Esign(esp.url, "SARAN-DDMO", pem))
        esp.asp = authority.asp_identity(made)[1]  # the office registers its ASP certificate
        yield esp


def post_form(url, fields):
    data = urllib.parse.urlencode(fields).encode()
    with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=10) as reply:
        return reply.read().decode()


def through_the_provider(sent, otp):
    """What the official's browser does: post the request, give the OTP, bring back the form."""
    page = post_form(sent.url, {"eSignRequest": sent.request.decode(), "aspTxnID": sent.txn})
    txn = re.search(r"name=txn value='([^']+)'", page).group(1)
    back = post_form(sent.url + "/otp", {"txn": txn, "otp": otp})
    return html.unescape(re.search(r'name=eSignResponse value="([^"]*)"', back).group(1))


def test_an_order_issued_with_esign_verifies(session, ddmo, people, provider, tmp_path):
    _file, draft = approved_order(session, ddmo, people)
    sent = esigning.send_for_esign(session, draft_id=draft.id, user=people.anil,
                                   site_url=SITE)
    assert draft.status == "approved" and draft.issue_number is None  # not yet
    answer = through_the_provider(sent, OTP)
    done = esigning.finish_esign(session, answer, tmp_path)
    assert done.refusal is None and draft.status == "issued"
    signed = orders.signed_order_of(session, draft.id)
    pdf = blob_path(tmp_path, signed.sha256).read_bytes()
    checked = orders.check_upload(session, pdf)
    assert checked.verdict == "exact" and checked.order.signer.id == people.anil.id
    with pytest.raises(NotAllowed, match="answered already"):
        esigning.finish_esign(session, answer, tmp_path)  # the same answer posted again


def test_a_refused_otp_issues_nothing_and_the_number_waits(session, ddmo, people, provider,
                                                           tmp_path):
    _file, draft = approved_order(session, ddmo, people)
    sent = esigning.send_for_esign(session, draft_id=draft.id, user=people.anil,
                                   site_url=SITE)
    done = esigning.finish_esign(session, through_the_provider(sent, "000000"), tmp_path)
    assert done.refusal and "OTP" in done.refusal and draft.status == "approved"
    first = session.scalars(select(EsignRequest)).one()
    again = esigning.send_for_esign(session, draft_id=draft.id, user=people.anil,
                                    site_url=SITE)
    esigning.finish_esign(session, through_the_provider(again, OTP), tmp_path)
    assert session.get(Draft, draft.id).issue_number == first.issue_number


def test_a_forged_or_changed_answer_is_refused(session, ddmo, people, provider, tmp_path):
    _file, draft = approved_order(session, ddmo, people)
    sent = esigning.send_for_esign(session, draft_id=draft.id, user=people.anil,
                                   site_url=SITE)
    answer = through_the_provider(sent, OTP)
    changed = re.sub(r"(<UserX509Certificate>)(.)", lambda m: m.group(1) +
                     ("A" if m.group(2) != "A" else "B"), answer, count=1)
    with pytest.raises(InvalidInput, match="not signed by the office's eSign provider"):
        esigning.finish_esign(session, changed, tmp_path)
    with pytest.raises(InvalidInput, match="not XML"):
        esigning.finish_esign(session, "<EsignResp", tmp_path)
    assert draft.status == "approved"


def test_an_esign_office_does_not_issue_with_a_pin(session, ddmo, people, provider, tmp_path):
    _file, draft = approved_order(session, ddmo, people)
    with pytest.raises(NotAllowed, match="eSign"):
        drafts.issue_draft(session, draft_id=draft.id, user=people.anil, pin="whatever-1",
                           store=tmp_path)


def test_the_pages_send_the_order_to_the_provider_and_take_its_answer(session, app, ddmo,
                                                                      people, provider,
                                                                      tmp_path):
    app.config["ATTACHMENTS"] = str(tmp_path)
    file, draft = approved_order(session, ddmo, people)
    client = app.test_client()
    sign_in(client, "anil.sinha")
    page = client.get(f"/files/{file.id}").get_data(as_text=True)
    assert f'id="esign-{draft.id}"' in page and "issue-pin-" not in page
    sent = post(client, f"/files/{file.id}/drafts/{draft.id}/esign", {})
    assert sent.status_code == 200
    assert f"form-action 'self' {provider.url.rsplit('/', 1)[0]}" in \
        sent.headers["Content-Security-Policy"]
    body = sent.get_data(as_text=True)
    assert f'action="{provider.url}"' in body
    request_xml = html.unescape(re.search(r'name="eSignRequest" value="([^"]*)"', body).group(1))
    txn = re.search(r'name="aspTxnID" value="([^"]*)"', body).group(1)
    back = post_form(provider.url, {"eSignRequest": request_xml})
    form_txn = re.search(r"name=txn value='([^']+)'", back).group(1)
    answer = post_form(provider.url + "/otp", {"txn": form_txn, "otp": OTP})
    response = html.unescape(re.search(r'name=eSignResponse value="([^"]*)"', answer).group(1))
    anonymous = app.test_client()  # posted from the provider's site: no cookie of ours
    taken = anonymous.post("/esign/answer", data={"eSignResponse": response})
    assert taken.status_code == 303 and "Set-Cookie" not in taken.headers
    assert taken.headers["Location"].endswith(f"/esign/done/{txn}")
    done = client.get(taken.headers["Location"])
    assert done.status_code == 302
    said = text(client.get(done.headers["Location"]))
    assert "signed with Aadhaar eSign" in said and "Signed PDF" in said
    junk = anonymous.post("/esign/answer", data={"eSignResponse": "<EsignResp txn='x'/>"})
    assert junk.status_code == 400 and "no eSign request x" in junk.get_data(as_text=True)


def test_an_administrator_sets_the_esign_provider(session, app, ddmo, people):
    client = app.test_client()
    sign_in(client, "vikas.kumar")
    bad = post(client, f"/admin/offices/{ddmo.id}/settings", dict(
        what="signing", provider="esign", esign_url="ftp://x", esign_asp_id="A"))
    assert "provider's address" in text(client.get(bad.headers["Location"]))
    assert authority.authority_of(session, ddmo.id) is None  # nothing half set up


def test_the_office_signs_its_requests_with_its_registered_rsa_key(session, app, ddmo, people,
                                                                   provider):
    made = authority.authority_of(session, ddmo.id)
    key, cert = authority.asp_identity(made)
    assert key.key_size == 2048 and cert.issuer == authority.authority_certificate(made).subject
    published = app.test_client().get("/signing/DDMO/asp.pem")
    assert published.status_code == 200 and published.data.decode() == made.esign_asp_certificate
    _file, draft = approved_order(session, ddmo, people)
    sent = esigning.send_for_esign(session, draft_id=draft.id, user=people.anil,
                                   site_url=SITE)
    assert b"rsa-sha256" in sent.request
    provider.asp = authority.authority_certificate(made)  # a provider holding another cert
    with pytest.raises(urllib.error.HTTPError):
        through_the_provider(sent, OTP)
