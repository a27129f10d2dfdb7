"""Signed note paragraphs: when an official sends a file on, the paragraphs they wrote since
they received it are signed with their key, as the post they send it from.

What is signed is the paragraph's record digest (the sha256 of its file, number, author,
post, text, time and part: ``models.records``), so a paragraph changed afterwards no longer
matches its signature, whatever else was changed with it.  ``check`` is ``sanchika verify``'s
reading of every signature.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Certificate, File, Note, NoteSignature, SigningAuthority, User
from ..models.records import KINDS, digest
from . import authority as authorities
from .officials import signer_for

PREFIX = b"sanchika note paragraph v1\n"
PAGE = 1000


def message(note_digest: str) -> bytes:
    """The bytes signed for a paragraph whose record digest is ``note_digest``."""
    return PREFIX + note_digest.encode("ascii")


def note_digest(note: Note) -> str:
    return digest("note", {column: getattr(note, column) for column in KINDS["note"].read})


def sign_notes(session: Session, *, file_id: int, office_id: int, user: User, post_id: int,
               pin: str | None, now: datetime) -> int:
    """Sign ``user``'s paragraphs on the file not yet sent (before they are frozen), when the
    office signs; the number signed.  A wrong PIN stops the sending (WrongPin)."""
    if authorities.authority_of(session, office_id) is None:
        return 0
    notes = list(session.scalars(select(Note).where(
        Note.file_id == file_id, Note.author_id == user.id, Note.frozen_at.is_(None))
        .order_by(Note.number)))
    if not notes:
        return 0
    signer = signer_for(session, user, post_id, pin, now)
    for note in notes:
        value = note_digest(note)
        session.add(NoteSignature(note_id=note.id, certificate_id=signer.certificate.id,
                                  digest=value, signature=signer.sign(message(value)),
                                  signed_at=now))
    session.flush()
    return len(notes)


@dataclass(frozen=True)
class Mark:
    """What the note sheet shows beside a paragraph: who signed it, and whether it holds."""

    signer: str
    post: str
    post_hi: str
    signed_at: datetime
    valid: bool


def marks(session: Session, file: File) -> dict[int, Mark]:
    """The signature of each signed paragraph of ``file``, by note id."""
    rows = session.execute(
        select(Note, NoteSignature, Certificate).join(NoteSignature, NoteSignature.note_id == Note.id)
        .join(Certificate, Certificate.id == NoteSignature.certificate_id)
        .where(Note.file_id == file.id))
    authority = authorities.authority_of(session, file.office_id)
    issuer = authorities.authority_certificate(authority) if authority else None
    found: dict[int, Mark] = {}
    for note, signed, cert in rows:
        mine = issuer if cert.office_id == file.office_id else None
        valid = _problem(note, signed, cert, mine) is None
        found[note.id] = Mark(cert.user.name, cert.post.title, cert.post.title_hi,
                              signed.signed_at, valid)
    return found


def check(session: Session) -> Iterator[tuple[str, int, str, str | None]]:
    """Every signature that does not hold, and every paragraph sent unsigned since its office
    began to sign, as (kind, row id, what, file number)."""
    issuer = _issuers(session)
    last = 0
    while True:
        rows = session.execute(
            select(NoteSignature, Note, Certificate, File.number)
            .join(Note, Note.id == NoteSignature.note_id)
            .join(Certificate, Certificate.id == NoteSignature.certificate_id)
            .join(File, File.id == Note.file_id)
            .where(NoteSignature.id > last).order_by(NoteSignature.id).limit(PAGE)).all()
        for signed, note, cert, number in rows:
            problem = _problem(note, signed, cert, issuer.get(cert.office_id))
            if problem:
                yield "note signature", signed.id, problem, number
        if len(rows) < PAGE:
            break
        last = rows[-1][0].id
    unsigned = session.execute(
        select(Note.id, File.number).join(File, File.id == Note.file_id)
        .join(SigningAuthority, SigningAuthority.office_id == File.office_id)
        .outerjoin(NoteSignature, NoteSignature.note_id == Note.id)
        .where(Note.frozen_at >= SigningAuthority.created_at, NoteSignature.id.is_(None)))
    for note_id, number in unsigned:
        yield "note", note_id, "sent unsigned although its office signs", number


def _problem(note: Note, signed: NoteSignature, cert: Certificate,
             issuer: x509.Certificate | None) -> str | None:
    if note_digest(note) != signed.digest:
        return f"paragraph {note.number} changed after it was signed"
    certificate = x509.load_pem_x509_certificate(cert.pem.encode())
    if issuer is None:
        return "its office has no signing authority"
    try:
        certificate.verify_directly_issued_by(issuer)
        public = certificate.public_key()
        if not isinstance(public, ec.EllipticCurvePublicKey):  # certify() makes no other
            return f"paragraph {note.number} is signed with a key of another kind"
        public.verify(signed.signature, message(signed.digest), ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError, TypeError):
        return f"the signature of paragraph {note.number} does not verify"
    if cert.revoked_at is not None and cert.revoked_at <= signed.signed_at:
        return (f"paragraph {note.number} was signed after its certificate was revoked "
                f"({cert.revoked_at:%Y-%m-%d %H:%M} UTC)")
    if not cert.not_before <= signed.signed_at <= cert.not_after:
        return f"paragraph {note.number} was signed outside its certificate's validity"
    return None


def _issuers(session: Session) -> dict[int, x509.Certificate]:
    return {a.office_id: authorities.authority_certificate(a)
            for a in session.scalars(select(SigningAuthority))}
