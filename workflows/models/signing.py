"""Signing: each office's certificate authority, officials' keys and certificates, the
signatures on note paragraphs, and the signed PDFs of issued orders and letters.

The authority's private key is kept outside the database (``workflows.signing.authority``);
an official's private key is kept here, encrypted under a PIN that only they know, so the
server cannot sign for them.  A certificate is made for one holding of one post: it names the
official and the post, and ending the holding revokes it.
"""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, UTCDateTime
from .office import Office, Post
from .people import PostHolding, User

PROVIDERS = ("builtin", "pkcs11", "esign")  # how an office's officials sign (a setting per office)


class SigningAuthority(Base):
    """An office's certificate authority: its certificate, and which key file is its key."""

    __tablename__ = "signing_authorities"

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), unique=True)
    key_id: Mapped[str] = mapped_column(String(16))  # names the key file
    certificate: Mapped[str] = mapped_column(Text)   # PEM
    provider: Mapped[str] = mapped_column(String(16), default="builtin")
    token_module: Mapped[str | None] = mapped_column(String(300))  # PKCS#11 library path
    # Aadhaar eSign (CCA eSign API 2.1): the provider's address, the office's id there, and the
    # provider's certificate (PEM), which signs its answers and issues signers' certificates
    esign_url: Mapped[str | None] = mapped_column(String(300))
    esign_asp_id: Mapped[str | None] = mapped_column(String(64))
    esign_certificate: Mapped[str | None] = mapped_column(Text)
    # the office's own certificate as an ASP (its RSA key a file beside the authority's),
    # registered with the provider, which checks the requests' signatures with it
    esign_asp_certificate: Mapped[str | None] = mapped_column(Text)
    crl_number: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    office: Mapped[Office] = relationship()


class SigningKey(Base):
    """An official's own key pair; the private half encrypted under their signing PIN."""

    __tablename__ = "signing_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    public_key: Mapped[str] = mapped_column(Text)        # PEM
    sealed_key: Mapped[bytes] = mapped_column(LargeBinary)  # AES-GCM nonce + ciphertext
    salt: Mapped[bytes] = mapped_column(LargeBinary)
    kdf: Mapped[str] = mapped_column(String(64))         # argon2id and its parameters
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class Certificate(Base):
    """A certificate for one official's holding of one post, issued by the office's authority."""

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    serial: Mapped[str] = mapped_column(String(40), unique=True)  # hex
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    holding_id: Mapped[int] = mapped_column(ForeignKey("post_holdings.id"), index=True)
    pem: Mapped[str] = mapped_column(Text)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime())
    not_after: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revocation_reason: Mapped[str | None] = mapped_column(String(200))

    user: Mapped[User] = relationship()
    post: Mapped[Post] = relationship()
    holding: Mapped[PostHolding] = relationship()


class NoteSignature(Base):
    """The signature of one note paragraph, made when its author sent the file on.  What is
    signed is the paragraph's record digest (``signing.notes.message``)."""

    __tablename__ = "note_signatures"

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("notes.id"), unique=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"))
    digest: Mapped[str] = mapped_column(String(64))
    signature: Mapped[bytes] = mapped_column(LargeBinary)
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime())

    certificate: Mapped[Certificate] = relationship()


class SignedOrder(Base):
    """The signed PDF of an issued draft; its bytes are a stored document named by sha256."""

    __tablename__ = "signed_orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id"), unique=True)
    short_code: Mapped[str] = mapped_column(String(16), unique=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime())

    certificate: Mapped[Certificate] = relationship()


class RevokedOrder(Base):
    """An issued order taken back: revoked by the competent authority with a reason, or
    superseded by a later order that names it.  Written once; the order's PDF is unchanged,
    and the verification page says so."""

    __tablename__ = "revoked_orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    signed_order_id: Mapped[int] = mapped_column(ForeignKey("signed_orders.id"), unique=True)
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("signed_orders.id"))
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    by_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    by_post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))


class EsignRequest(Base):
    """An order sent to the eSign provider to be signed: its PDF prepared with room for the
    signature, and the number it takes when the signature comes back (kept for the draft, so a
    request that fails and is tried again issues under the same number)."""

    __tablename__ = "esign_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    txn: Mapped[str] = mapped_column(String(64), unique=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"))
    issue_number: Mapped[str] = mapped_column(String(64))
    short_code: Mapped[str] = mapped_column(String(16))
    prepared: Mapped[bytes] = mapped_column(LargeBinary)  # the PDF with its signature's room
    digest: Mapped[str] = mapped_column(String(64))  # of the PDF's signed byte ranges (hex)
    region_start: Mapped[int] = mapped_column(Integer)
    region_end: Mapped[int] = mapped_column(Integer)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("signed_orders.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    outcome: Mapped[str | None] = mapped_column(String(300))  # signed, or why not
