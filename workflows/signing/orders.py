"""Signed orders and letters: issuing a draft in an office that signs makes its PDF, signed
(PAdES) by the issuing official as the post they issue it from, with a QR code and a short
code that lead to the public verification page; and that page's checks.

The signed PDF is a stored document (the content store, named by its sha256), its row a part
of the record.  Signing happens inside the issuing transaction: if it fails (a wrong PIN, a
revoked certificate), the draft stays approved and its number is not taken.
"""

import secrets
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cryptography import x509
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import audit, org
from ..clock import office_today, utcnow
from ..errors import InvalidInput, Moment, NotAllowed, NotFound, named
from ..files.attachments import blob_path, keep
from ..models import (Certificate, Draft, File, Office, Post, RevokedOrder, SignedOrder,
                      SigningAuthority, User)
from . import authority as authorities
from .officials import Unlocked, signer_for
from .pdf import OrderSheet, check_pdf, order_pdf, sign_pdf

# Crockford's base32: no I, L, O or U to misread on paper
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
MAX_REASON = 1000
SECOND = timedelta(seconds=1)
KIND_HI = {"Letter": "पत्र", "Order": "आदेश", "Office memorandum": "कार्यालय ज्ञाप",
           "Notice": "सूचना"}


def short_code() -> str:
    """A new short code for an order, as printed under its QR code: K7Q2-M9XD."""
    code = "".join(secrets.choice(ALPHABET) for _ in range(8))
    return f"{code[:4]}-{code[4:]}"


def normal_code(text: str | None) -> str:
    """A short code as typed (lower case, spaces, O for 0, I or L for 1), as printed."""
    raw = "".join((text or "").upper().split()).replace("-", "")
    raw = raw.translate(str.maketrans("OIL", "011"))
    return f"{raw[:4]}-{raw[4:]}" if len(raw) == 8 else raw


@dataclass(frozen=True)
class Prepared:
    """An order about to be numbered and signed: the key opened, what it replaces found."""

    signer: Unlocked
    replaces: SignedOrder | None


def prepare(session: Session, *, file: File, user: User, post_id: int, pin: str | None,
            supersedes: str | None, now: datetime) -> Prepared | None:
    """Open the issuer's key and find the order ``supersedes`` names, before the draft takes
    a number (a wrong PIN or a wrong number refuses it then); None where the office does not
    sign."""
    authority = authorities.authority_of(session, file.office_id)
    if authority is None:
        if supersedes:
            raise NotAllowed("%(office)s does not sign its orders, so none can be superseded",
                             office=named(file.office))
        return None
    if authority.provider == "esign":
        raise NotAllowed("%(office)s signs its orders with Aadhaar eSign: issue this one "
                         "through the eSign provider", office=named(file.office))
    replaces = in_force(session, file.office, supersedes) if supersedes else None
    return Prepared(signer_for(session, user, post_id, pin, now), replaces)


def sign_order(session: Session, prepared: Prepared, *, draft: Draft, file: File, body: str,
               user: User, now: datetime, site_url: str, store: Path | str) -> SignedOrder:
    """The signed PDF of ``draft`` just numbered, kept in ``store``; its QR code leads to
    ``site_url``'s verification page."""
    signer = prepared.signer
    code = new_code(session)
    sheet = order_sheet(draft, file, user, signer.certificate.post, body, code, site_url, now)
    with signer.pdf_signer() as pdf_signer:
        signed = sign_pdf(order_pdf(sheet), pdf_signer, location=file.office.name,
                          name=user.name, reason=f"{draft.kind} {draft.issue_number}")
    return keep_signed(session, draft=draft, file=file, user=user, pdf=signed, code=code,
                       certificate=signer.certificate, replaces=prepared.replaces,
                       store=store, now=now)


def new_code(session: Session) -> str:
    """A short code no order has yet."""
    code = short_code()
    while session.scalar(select(SignedOrder.id).where(SignedOrder.short_code == code)):
        code = short_code()
    return code


def order_sheet(draft: Draft, file: File, user: User, post: Post, body: str, code: str,
                site_url: str, now: datetime) -> OrderSheet:
    """What the PDF of ``draft`` (numbered) says, issued by ``user`` as ``post``."""
    office = file.office
    return OrderSheet(office_name=office.name, office_name_hi=office.name_hi or None,
                      issue_number=str(draft.issue_number), kind=draft.kind,
                      kind_hi=KIND_HI.get(draft.kind, draft.kind), title=draft.title, body=body,
                      issued_on=office_today(office, now), post_title=post.title,
                      signer_name=user.name, verify_url=f"{site_url.rstrip('/')}/verify/{code}",
                      short_code=code)


def keep_signed(session: Session, *, draft: Draft, file: File, user: User, pdf: bytes, code: str,
                certificate: Certificate, replaces: SignedOrder | None, store: Path | str,
                now: datetime) -> SignedOrder:
    """Keep the signed ``pdf`` of ``draft`` (in ``store``, its row in the record) and mark
    the order it ``replaces`` superseded."""
    row = SignedOrder(draft_id=draft.id, short_code=code, sha256=keep(store, pdf),
                      size=len(pdf), certificate_id=certificate.id, signed_at=now)
    session.add(row)
    session.flush()
    audit.record(session, "order.signed", user, file, draft=draft.id, short_code=code,
                 sha256=row.sha256, serial=certificate.serial)
    if replaces is not None:
        session.add(RevokedOrder(signed_order_id=replaces.id, superseded_by_id=row.id, at=now,
                                 reason=f"superseded by {draft.issue_number}",
                                 by_user_id=user.id, by_post_id=certificate.post_id))
        session.flush()
    return row


def revoke_order(session: Session, *, draft_id: int, user: User, reason: str | None,
                 now: datetime | None = None) -> RevokedOrder:
    """Revoke an issued order, with a reason: by the head of its office, or by the official
    holding the post that issued it.  Its PDF stays as it was; the verification page says
    it is revoked, from when and why."""
    now = now or utcnow()
    signed = signed_order_of(session, draft_id)
    if signed is None:
        raise NotFound("no signed order with the draft id %(id)s", id=draft_id)
    issued_order = _issued(session, signed)
    if issued_order.ended is not None:
        raise NotAllowed("%(number)s is no longer in force: it was revoked or superseded on "
                         "%(day)s", number=issued_order.draft.issue_number,
                         day=Moment(issued_order.ended.at))
    reason = " ".join((reason or "").split())
    if not reason:
        raise InvalidInput("say why the order is revoked: the reason is shown to anyone who "
                           "verifies it")
    if len(reason) > MAX_REASON:
        raise InvalidInput("the reason is longer than %(limit)s characters", limit=MAX_REASON)
    post = _revoking_post(session, user, issued_order, now)
    row = RevokedOrder(signed_order_id=signed.id, reason=reason, at=now, by_user_id=user.id,
                       by_post_id=post.id)
    session.add(row)
    session.flush()
    file = session.get(File, issued_order.draft.file_id)
    audit.record(session, "order.revoked", user, file, draft=draft_id,
                 issue_number=issued_order.draft.issue_number, reason=reason)
    return row


def _revoking_post(session: Session, user: User, order: "Issued", now: datetime) -> Post:
    posts = [p for p in org.posts_of(session, user, office_today(order.office, now))
             if p.office_id == order.office.id]
    post = next((p for p in posts if p.id == order.draft.issued_by_post_id), None)
    post = post or next((p for p in posts if p.is_head), None)
    if post is None:
        raise NotAllowed("only the head of %(office)s or the holder of %(post)s may revoke "
                         "%(number)s", office=named(order.office),
                         post=named(order.post, "title"), number=order.draft.issue_number)
    return post


def in_force(session: Session, office: Office, number: str) -> SignedOrder:
    """The signed order of ``office`` numbered ``number``, still in force (to supersede);
    refused otherwise."""
    number = " ".join(number.split()).upper()
    row = session.scalar(select(SignedOrder).join(Draft, Draft.id == SignedOrder.draft_id)
                         .join(File, File.id == Draft.file_id)
                         .where(Draft.issue_number == number, File.office_id == office.id))
    if row is None:
        raise InvalidInput("%(office)s issued no signed order %(number)s to supersede",
                           office=named(office), number=number)
    if _issued(session, row).ended is not None:
        raise NotAllowed("%(number)s is no longer in force and cannot be superseded",
                         number=number)
    return row


@dataclass(frozen=True)
class Issued:
    """What the public page shows of an issued order."""

    order: SignedOrder
    draft: Draft
    office: Office
    post: Post
    signer: User
    ended: RevokedOrder | None  # revoked or superseded, if it was
    superseded_by: str | None  # the number of the order that replaced it

    @property
    def status(self) -> str:
        """valid, revoked or superseded."""
        if self.ended is None:
            return "valid"
        return "superseded" if self.ended.superseded_by_id else "revoked"


def issued(session: Session, code: str | None) -> Issued | None:
    """The issued order with short code ``code`` (as typed), or None."""
    row = session.scalar(select(SignedOrder).where(SignedOrder.short_code == normal_code(code)))
    return None if row is None else _issued(session, row)


def signed_on_file(session: Session, file: File) -> dict[int, Issued]:
    """The signed orders of ``file``, by draft id."""
    rows = session.scalars(select(SignedOrder).join(Draft, Draft.id == SignedOrder.draft_id)
                           .where(Draft.file_id == file.id))
    return {row.draft_id: _issued(session, row) for row in rows}


def signed_pdf(session: Session, draft_id: int, store: Path | str) -> tuple[Draft, bytes]:
    """The draft and the bytes of its signed PDF (the caller checks the reader may see it)."""
    row = signed_order_of(session, draft_id)
    draft = session.get(Draft, draft_id)
    if row is None or draft is None:
        raise NotFound("no signed order with the draft id %(id)s", id=draft_id)
    try:
        return draft, blob_path(store, row.sha256).read_bytes()
    except FileNotFoundError:
        raise NotFound("the signed PDF of %(number)s is missing from the document store",
                       number=draft.issue_number) from None


def signed_order_of(session: Session, draft_id: int) -> SignedOrder | None:
    return session.scalar(select(SignedOrder).where(SignedOrder.draft_id == draft_id))


@dataclass(frozen=True)
class Upload:
    """What the public page says of a PDF uploaded to it."""

    verdict: str  # exact | tampered | unsigned | untrusted | not a pdf | revoked | unknown
    order: Issued | None = None  # the order it is, or that the signature names
    signed_at: datetime | None = None


def check_upload(session: Session, data: bytes) -> Upload:
    """Whether ``data`` is exactly an order issued here, and if not, what it is."""
    result = check_pdf(data, _roots(session))
    row = session.scalar(select(SignedOrder).where(SignedOrder.sha256 == result.sha256))
    if row is not None and result.status == "valid":
        return Upload("exact", _issued(session, row), result.signed_at)
    if result.status != "valid":
        return Upload(result.status, None, result.signed_at)
    cert = session.scalar(select(Certificate).where(
        Certificate.serial == f"{result.signer_serial:x}"))
    if cert is None:
        return Upload("untrusted", None, result.signed_at)
    when = result.signed_at
    # a PDF tells its signing time to the second: one in the second of the revocation counts
    if cert.revoked_at is not None and (when is None or cert.revoked_at < when + SECOND):
        return Upload("revoked", None, when)
    return Upload("unknown", None, when)  # an office's signature on a PDF it never issued


def _issued(session: Session, row: SignedOrder) -> Issued:
    draft, file = session.execute(select(Draft, File).join(File, File.id == Draft.file_id)
                                  .where(Draft.id == row.draft_id)).one()  # never deleted
    cert = row.certificate
    ended = session.scalar(select(RevokedOrder).where(RevokedOrder.signed_order_id == row.id))
    later = None
    if ended is not None and ended.superseded_by_id is not None:
        later = session.scalar(select(Draft.issue_number).join(
            SignedOrder, SignedOrder.draft_id == Draft.id)
            .where(SignedOrder.id == ended.superseded_by_id))
    return Issued(row, draft, file.office, cert.post, cert.user, ended, later)


def _roots(session: Session) -> Sequence[x509.Certificate]:
    """Whom an issued order's signature may chain to: the offices' authorities, and the eSign
    providers of the offices that sign with eSign."""
    roots = []
    for authority in session.scalars(select(SigningAuthority)):
        roots.append(authorities.authority_certificate(authority))
        if authority.esign_certificate:
            roots.append(x509.load_pem_x509_certificate(authority.esign_certificate.encode()))
    return roots


def check(session: Session, read_document: Callable[[str], bytes | None]
          ) -> Iterator[tuple[str, int, str, str | None]]:
    """Every signed order whose stored PDF is missing, differs from its sha256 or no longer
    verifies against its office's certificate, as (kind, row id, what, file number)."""
    roots = _roots(session)
    rows = session.execute(select(SignedOrder, Draft.issue_number, File.number)
                           .join(Draft, Draft.id == SignedOrder.draft_id)
                           .join(File, File.id == Draft.file_id).order_by(SignedOrder.id))
    for row, issue_number, number in rows:
        data = read_document(row.sha256)
        if data is None:
            yield "signed order", row.id, f"the PDF of {issue_number} is missing", number
            continue
        result = check_pdf(data, roots)
        if result.sha256 != row.sha256:
            yield "signed order", row.id, f"the PDF of {issue_number} was changed", number
        elif result.status != "valid":
            yield ("signed order", row.id,
                   f"the PDF of {issue_number} does not verify ({result.status})", number)
