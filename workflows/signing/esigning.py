"""Issuing an order with Aadhaar eSign, for an office whose provider is ``esign``: two legs
with the official's browser between them.

1. ``send_for_esign``: the order's PDF is drawn with its number and prepared with room for a
   signature; the request for the hash of what the signature covers goes, signed by the office,
   to the eSign provider (the page posts it there).  The number is taken now, because the PDF
   carries it, and kept on the request for this draft: a request refused or abandoned and sent
   again issues under the same number, and no other order gets it.
2. ``finish_esign``: the provider posts its signed answer back; the signature it carries is put
   into the prepared PDF, which must then verify against the provider's certificate, and only
   then is the draft issued.  A refusal (a wrong OTP, say) leaves the draft approved.

Note paragraphs in such an office are signed with the officials' own keys under their PINs
(an OTP for every file sent would stop the office's day).
"""

import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import audit
from ..clock import utcnow
from ..errors import NotAllowed, NotFound, named
from ..files import drafts
from ..models import (Certificate, Draft, EsignRequest, File, Post, SignedOrder,
                      SigningAuthority, User)
from . import authority as authorities, esign, orders
from .officials import holding_of
from .pdf import Prepared, check_pdf, finish_external, order_pdf, prepare_external


@dataclass(frozen=True)
class Sent:
    """What the page posts to the eSign provider."""

    url: str
    request: bytes
    txn: str
    file_id: int


def send_for_esign(session: Session, *, draft_id: int, user: User, site_url: str,
                   supersedes: str | None = None, now: datetime | None = None) -> Sent:
    """Prepare the approved draft's PDF and the eSign request for it."""
    now = now or utcnow()
    draft, file, post_id = drafts.issuable(session, draft_id, user)
    authority = _esign_authority(session, file)
    replaces = orders.in_force(session, file.office, supersedes) if supersedes else None
    earlier = session.scalar(select(EsignRequest).where(EsignRequest.draft_id == draft.id)
                             .order_by(EsignRequest.id.desc()).limit(1))
    number = earlier.issue_number if earlier else drafts.next_issue_number(session, draft, file,
                                                                           now)
    code = earlier.short_code if earlier else orders.new_code(session)
    post = session.get(Post, post_id)
    if post is None:
        raise NotFound("no post with the id %(id)s", id=post_id)
    sheet = replace(orders.order_sheet(draft, file, user, post, drafts.approved_text(
        session, draft) or "", code, site_url, now), issue_number=number)
    prepared = prepare_external(order_pdf(sheet), reason=f"{draft.kind} {number}",
                                location=file.office.name, name=user.name)
    txn = uuid.uuid4().hex
    asp_key, asp_certificate = authorities.asp_identity(authority)
    request = esign.request_xml(
        asp_id=authority.esign_asp_id or "", txn=txn, digest=prepared.digest,
        doc_info=f"{draft.kind} {number}", response_url=f"{site_url.rstrip('/')}/esign/answer",
        key=asp_key, certificate=asp_certificate, now=now)
    session.add(EsignRequest(
        txn=txn, draft_id=draft.id, user_id=user.id, post_id=post_id, issue_number=number,
        short_code=code, prepared=prepared.pdf, digest=prepared.digest.hex(),
        region_start=prepared.region_start, region_end=prepared.region_end,
        supersedes_id=replaces.id if replaces else None, created_at=now))
    session.flush()
    audit.record(session, "order.esign_requested", user, file, draft=draft.id, txn=txn,
                 issue_number=number)
    return Sent(authority.esign_url or "", request, txn, file.id)


@dataclass(frozen=True)
class Finished:
    """How an eSign answer ended: the draft, and why it was not issued (None if it was)."""

    draft: Draft
    refusal: str | None


def finish_esign(session: Session, document: bytes | str, store: Path | str,
                 now: datetime | None = None) -> Finished:
    """Issue the draft the provider's answer ``document`` signs, or say why not."""
    now = now or utcnow()
    txn = esign.txn_of(document)
    request = session.scalar(select(EsignRequest).where(EsignRequest.txn == txn))
    if request is None:
        raise NotFound("no eSign request %(txn)s was sent from here", txn=txn)
    if request.outcome is not None:
        raise NotAllowed("the eSign request %(txn)s was answered already", txn=txn)
    user = session.get(User, request.user_id)
    if user is None:  # a request names its official, who is never deleted
        raise NotFound("no official with the id %(id)s", id=request.user_id)
    draft, file, post_id = drafts.issuable(session, request.draft_id, user)
    authority = _esign_authority(session, file)
    provider = x509.load_pem_x509_certificate((authority.esign_certificate or "").encode())
    answer = esign.read_answer(document, provider)
    if answer.txn != txn:
        raise NotAllowed("the eSign answer's signed transaction is not the one it names")
    if not answer.signed or answer.certificate is None:
        return _refused(session, request, draft, file, user, answer.error or "refused")
    prepared = Prepared(request.prepared, bytes.fromhex(request.digest), request.region_start,
                        request.region_end)
    try:
        pdf = finish_external(prepared, answer.cms)
    except ValueError:
        return _refused(session, request, draft, file, user, "the signature does not fit")
    checked = check_pdf(pdf, [provider])
    if checked.status != "valid" or checked.signer_serial != answer.certificate.serial_number:
        return _refused(session, request, draft, file, user,
                        f"the signed PDF does not verify ({checked.status})")
    row = _certificate(session, answer.certificate, user, post_id, file, now)
    drafts.mark_issued(session, draft, file, user, post_id, request.issue_number, now)
    orders.keep_signed(session, draft=draft, file=file, user=user, pdf=pdf,
                       code=request.short_code, certificate=row, store=store, now=now,
                       replaces=session.get(SignedOrder, request.supersedes_id)
                       if request.supersedes_id else None)
    request.outcome = "signed"
    session.flush()
    return Finished(draft, None)


def outcome(session: Session, txn: str, user: User) -> tuple[Draft, str] | None:
    """The draft of ``user``'s eSign request ``txn`` and how it ended ("signed", or why not;
    "waiting" while the provider has not answered); None if it is not theirs."""
    request = session.scalar(select(EsignRequest).where(EsignRequest.txn == txn,
                                                        EsignRequest.user_id == user.id))
    if request is None:
        return None
    draft = session.get(Draft, request.draft_id)
    if draft is None:
        return None
    return draft, (request.outcome or "waiting").removeprefix("not signed: ")


def _refused(session: Session, request: EsignRequest, draft: Draft, file: File, user: User,
             why: str) -> Finished:
    request.outcome = f"not signed: {why}"[:300]
    audit.record(session, "order.esign_refused", user, file, draft=draft.id, txn=request.txn,
                 why=why[:300])
    session.flush()
    return Finished(draft, why)


def _certificate(session: Session, cert: x509.Certificate, user: User, post_id: int,
                 file: File, now: datetime) -> Certificate:
    """The provider's certificate of the signer, kept as the record's certificates are."""
    serial = f"{cert.serial_number:x}"
    row = session.scalar(select(Certificate).where(Certificate.serial == serial))
    if row is not None:
        return row
    post = session.get(Post, post_id)
    if post is None:
        raise NotFound("no post with the id %(id)s", id=post_id)
    holding = holding_of(session, user, post, now)
    row = Certificate(serial=serial, office_id=file.office_id, user_id=user.id, post_id=post_id,
                      holding_id=holding.id, not_before=cert.not_valid_before_utc,
                      not_after=cert.not_valid_after_utc,
                      pem=cert.public_bytes(serialization.Encoding.PEM).decode())
    session.add(row)
    session.flush()
    return row


def _esign_authority(session: Session, file: File) -> SigningAuthority:
    authority = authorities.authority_of(session, file.office_id)
    if authority is None or authority.provider != "esign":
        raise NotAllowed("%(office)s does not sign its orders with eSign",
                         office=named(file.office))
    if not (authority.esign_url and authority.esign_asp_id and authority.esign_certificate):
        raise NotAllowed("%(office)s has no eSign provider set: its address, the office's ASP "
                         "id there and the provider's certificate", office=named(file.office))
    return authority
