"""An official's signing key, kept under a PIN only they know, and the signer it unlocks.

The key pair (ECDSA P-256) is made when the official first chooses a PIN.  The private key
is sealed with AES-GCM under a key derived from the PIN by argon2id, so the server holds it
but cannot use it: every signature needs the PIN, given by the official as they sign.  A
wrong PIN is refused here and throttled by the pages (``web.throttle``), never by locking the
official out.  A forgotten PIN is replaced with the official's password: a new key pair, and
the certificates of the old one revoked (what it signed before stays valid).
"""

import os
from dataclasses import dataclass
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import datetime
from typing import cast

from argon2.low_level import Type, hash_secret_raw
from cryptography import x509
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pyhanko.sign.signers import Signer
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import audit, org
from ..clock import office_today, utcnow
from ..errors import InvalidInput, Moment, NotAllowed, NotFound, WrongPin, named
from ..models import Certificate, Post, PostHolding, SigningAuthority, SigningKey, User
from . import authority as authorities, token
from .pdf import key_signer

PIN_MIN, PIN_MAX = 8, 64
# The passwords' argon2id setting (about 40 ms here; RFC 9106's t=3, 64 MiB took 108 ms of
# every act that signs, a core's worth at a district's pace), named with each sealed key so
# that a key sealed under older parameters still opens and is sealed again under these.
KDF = org.ARGON2
KDF_NAME = "argon2id$v=19$m={memory_cost},t={time_cost},p={parallelism}".format(**KDF)


@dataclass(frozen=True)
class Unlocked:
    """What signs for one official as one post, for as long as one request needs it: a key
    opened here, or a token signed in to."""

    certificate: Certificate
    cert: x509.Certificate
    issuer: x509.Certificate
    sign: Callable[[bytes], bytes]  # the ECDSA (SHA-256, DER) signature of some bytes
    pdf_signer: Callable[[], AbstractContextManager[Signer]]  # pyHanko's, while it is open


def key_of(session: Session, user: User) -> SigningKey | None:
    """The official's signing key, or None before they choose a PIN."""
    return session.scalar(select(SigningKey).where(SigningKey.user_id == user.id))


def choose_pin(session: Session, user: User, pin: str | None, repeated: str | None,
               now: datetime | None = None) -> SigningKey:
    """The official's first signing PIN: makes their key pair."""
    now = now or utcnow()
    if key_of(session, user) is not None:
        raise NotAllowed("you already have a signing PIN; change it, or replace it if forgotten")
    private = ec.generate_private_key(ec.SECP256R1())
    key = SigningKey(user_id=user.id, created_at=now, kdf=KDF_NAME,
                     **_sealed(user, private, _checked_pin(pin, repeated)))
    session.add(key)
    session.flush()
    audit.record(session, "signing.key_made", user, None)
    return key


def change_pin(session: Session, user: User, old_pin: str | None, pin: str | None,
               repeated: str | None) -> None:
    """Seal the same key under a new PIN; certificates and signatures are unchanged."""
    key = _require_key(session, user)
    private = unlock(key, old_pin)
    for column, value in _sealed(user, private, _checked_pin(pin, repeated)).items():
        setattr(key, column, value)
    key.kdf = KDF_NAME
    audit.record(session, "signing.pin_changed", user, None)


def replace_key(session: Session, user: User, password: str | None, pin: str | None,
                repeated: str | None, now: datetime | None = None) -> None:
    """A forgotten PIN: with the official's password, a new key pair under a new PIN, and every
    certificate of the old key revoked from now."""
    now = now or utcnow()
    key = _require_key(session, user)
    if not org.check_password(user, password):
        raise WrongPin("the password is wrong")
    new_pin = _checked_pin(pin, repeated)
    certs = list(session.scalars(select(Certificate).where(
        Certificate.user_id == user.id, Certificate.revoked_at.is_(None))))
    for cert in certs:
        authority = authorities.authority_of(session, cert.office_id)
        if authority is not None:
            authorities.revoke(session, authority, [cert], now, "key replaced (PIN forgotten)")
    private = ec.generate_private_key(ec.SECP256R1())
    for column, value in _sealed(user, private, new_pin).items():
        setattr(key, column, value)
    key.kdf, key.created_at = KDF_NAME, now
    audit.record(session, "signing.key_replaced", user, None, revoked=len(certs))


def unlock(key: SigningKey, pin: str | None) -> ec.EllipticCurvePrivateKey:
    """The private key, opened with ``pin``; WrongPin otherwise."""
    if not pin:
        raise WrongPin("write your signing PIN to sign")
    sealer = AESGCM(_derived(pin, key.salt, _parameters(key.kdf)))
    try:
        der = sealer.decrypt(key.sealed_key[:12], key.sealed_key[12:], _bound(key.user_id))
    except InvalidTag:
        raise WrongPin("the signing PIN is wrong") from None
    # an ECDSA key, as _sealed seals only those
    return cast(ec.EllipticCurvePrivateKey, serialization.load_der_private_key(der, None))


def signer_for(session: Session, user: User, post_id: int, pin: str | None,
               now: datetime | None = None) -> Unlocked:
    """What signs for ``user`` as the holder of post ``post_id`` now: their key opened with
    ``pin`` and the certificate of this holding (made at its first use, or again when the
    last one expired).  A revoked certificate cannot sign."""
    now = now or utcnow()
    post = session.get(Post, post_id)
    if post is None:
        raise NotFound("no post with the id %(id)s", id=post_id)
    authority = authorities.require_authority(session, post.office)
    holding = holding_of(session, user, post, now)
    issuer = authorities.authority_certificate(authority)
    if authority.provider == "pkcs11":
        return _on_token(session, authority, holding, pin, issuer, now)
    key = _require_key(session, user)
    private = unlock(key, pin)
    if key.kdf != KDF_NAME:  # sealed under older parameters: sealed again under these
        for column, value in _sealed(user, private, pin or "").items():
            setattr(key, column, value)
        key.kdf = KDF_NAME
    row = _current_certificate(session, authority, holding, private.public_key(), now)
    cert = x509.load_pem_x509_certificate(row.pem.encode())
    return Unlocked(row, cert, issuer,
                    lambda data: private.sign(data, ec.ECDSA(hashes.SHA256())),
                    lambda: nullcontext(key_signer(private, cert, [issuer])))


def _on_token(session: Session, authority: SigningAuthority, holding: PostHolding,
              pin: str | None, issuer: x509.Certificate, now: datetime) -> Unlocked:
    """The official's token (labelled with their login) signs; the PIN is the token's."""
    module, label = authority.token_module or token.SOFTHSM, holding.user.login
    with token.token_session(module, label, pin) as opened:  # the PIN is checked now
        public = token.public_key(opened)
    row = _current_certificate(session, authority, holding, public, now)
    cert = x509.load_pem_x509_certificate(row.pem.encode())

    def sign(data: bytes) -> bytes:
        with token.token_session(module, label, pin) as opened:
            return token.sign(opened, data)

    @contextmanager
    def pdf_signer() -> Iterator[Signer]:
        with token.token_session(module, label, pin) as opened:
            yield token.pdf_signer(opened, cert, [issuer])
    return Unlocked(row, cert, issuer, sign, pdf_signer)


def _current_certificate(session: Session, authority: SigningAuthority, holding: PostHolding,
                         public: ec.EllipticCurvePublicKey, now: datetime) -> Certificate:
    latest = session.scalar(select(Certificate).where(Certificate.holding_id == holding.id)
                            .order_by(Certificate.id.desc()).limit(1))
    if latest is not None and latest.revoked_at is not None and latest.revoked_at <= now:
        raise NotAllowed("your certificate for %(post)s was revoked on %(day)s (%(reason)s) "
                         "and cannot sign", post=named(holding.post, "title"),
                         day=Moment(latest.revoked_at),
                         reason=latest.revocation_reason or "")
    if latest is None or latest.not_after <= now or not _certifies(latest, public):
        latest = authorities.certify(session, authority, holding, public, now)
    return latest


def _certifies(cert: Certificate, public: ec.EllipticCurvePublicKey) -> bool:
    return x509.load_pem_x509_certificate(cert.pem.encode()).public_key() == public


def holding_of(session: Session, user: User, post: Post, now: datetime) -> PostHolding:
    """The holding through which ``user`` holds ``post`` now; refused if they do not."""
    holding = session.scalar(select(PostHolding).where(
        PostHolding.user_id == user.id, PostHolding.post_id == post.id,
        org.held_on(office_today(post.office, now))).order_by(PostHolding.id.desc()).limit(1))
    if holding is None:
        raise NotAllowed("you do not hold %(post)s today and cannot sign as it",
                         post=named(post, "title"))
    return holding


def _require_key(session: Session, user: User) -> SigningKey:
    key = key_of(session, user)
    if key is None:
        raise NotAllowed("you have no signing PIN yet: choose one on your account page")
    return key


def _checked_pin(pin: str | None, repeated: str | None) -> str:
    pin = pin or ""
    if not PIN_MIN <= len(pin) <= PIN_MAX:
        raise InvalidInput("a signing PIN has %(least)s to %(most)s characters",
                           least=PIN_MIN, most=PIN_MAX)
    if len(set(pin)) < 3:
        raise InvalidInput("a signing PIN needs at least three different characters")
    if pin != (repeated or ""):
        raise InvalidInput("the two PINs differ: write the same PIN twice")
    return pin


def _sealed(user: User, private: ec.EllipticCurvePrivateKey, pin: str) -> dict[str, object]:
    salt, nonce = os.urandom(16), os.urandom(12)
    der = private.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    public = private.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
    sealed = nonce + AESGCM(_derived(pin, salt)).encrypt(nonce, der, _bound(user.id))
    return dict(sealed_key=sealed, salt=salt, public_key=public.decode())


def _derived(pin: str, salt: bytes, parameters: dict[str, int] = KDF) -> bytes:
    return hash_secret_raw(pin.encode("utf-8"), salt, hash_len=32, type=Type.ID, **parameters)


def _parameters(kdf: str) -> dict[str, int]:
    """The argon2id parameters named in ``kdf`` ("argon2id$v=19$m=...,t=...,p=...")."""
    names = {"m": "memory_cost", "t": "time_cost", "p": "parallelism"}
    given = dict(item.split("=") for item in kdf.rsplit("$", 1)[-1].split(","))
    return {names[k]: int(v) for k, v in given.items()}


def _bound(user_id: int) -> bytes:
    """Bound to its owner: a sealed key copied to another official's row does not open."""
    return f"sanchika signing key of user {user_id}".encode()
