"""An office's signing authority: a certificate authority of its own, whose certificate the
office's readers trust, and which certifies each official's key for each post they hold.

The authority's private key (ECDSA P-256) is a PEM file kept outside the database, readable
only by its owner (mode 0600), in ``SANCHIKA_AUTHORITY_DIR`` (or ``authority/`` in the
instance folder), named by the key's id; the database keeps the certificate and which key
file is the office's.  A certificate names the official, the post and the office, runs no
longer than the holding (and at most two years), and is revoked when the holding ends; the
certificate revocation list (CRL) lists every certificate revoked by then.
"""

import hashlib
import os
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.x509.oid import NameOID
from sqlalchemy import select
from sqlalchemy.orm import Session
from zoneinfo import ZoneInfo

from .. import audit
from ..clock import utcnow
from ..db import DEFAULT_INSTANCE
from ..errors import InvalidInput, NotAllowed, NotFound, named
from ..models import PROVIDERS, Certificate, Office, PostHolding, SigningAuthority, User

AUTHORITY_ENV = "SANCHIKA_AUTHORITY_DIR"
AUTHORITY_YEARS = 10
CERTIFICATE_DAYS = 730


def authority_dir() -> Path:
    """Where the authorities' private keys are kept."""
    return Path(os.environ.get(AUTHORITY_ENV) or DEFAULT_INSTANCE / "authority")


def authority_of(session: Session, office_id: int) -> SigningAuthority | None:
    """The office's signing authority, or None when the office does not sign."""
    return session.scalar(select(SigningAuthority).where(SigningAuthority.office_id == office_id))


def create_authority(session: Session, user: User | None, office: Office,
                     provider: str = "builtin", token_module: str | None = None,
                     now: datetime | None = None) -> SigningAuthority:
    """Make ``office``'s signing authority: a new key (written to its file) and a
    self-signed certificate.  From then on its officials sign what they send and issue."""
    now = now or utcnow()
    if authority_of(session, office.id) is not None:
        raise NotAllowed("%(office)s already has a signing authority", office=named(office))
    _check_provider(provider, token_module)
    key = ec.generate_private_key(ec.SECP256R1())
    key_id = _key_id(key.public_key())
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "IN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, office.name),
                      x509.NameAttribute(NameOID.COMMON_NAME,
                                         f"{office.name} signing authority")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=365 * AUTHORITY_YEARS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_usage(sign=True, certify=True), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .sign(key, hashes.SHA256()))
    _write_key(key, key_id)
    authority = SigningAuthority(office_id=office.id, key_id=key_id, provider=provider,
                                 token_module=token_module, crl_number=0, created_at=now,
                                 certificate=cert.public_bytes(serialization.Encoding.PEM).decode())
    session.add(authority)
    session.flush()
    audit.record(session, "signing.authority_created", user, None, office=office.code,
                 key_id=key_id, provider=provider)
    return authority


def set_provider(session: Session, user: User | None, office: Office, provider: str,
                 token_module: str | None = None, esign: "Esign | None" = None
                 ) -> SigningAuthority:
    """Choose how ``office``'s officials sign: keys kept here under their PIN, tokens, or
    (for orders) Aadhaar eSign through a provider."""
    authority = require_authority(session, office)
    _check_provider(provider, token_module, esign)
    authority.provider, authority.token_module = provider, token_module
    if esign is not None:
        authority.esign_url, authority.esign_asp_id = esign.url, esign.asp_id
        authority.esign_certificate = esign.certificate
        if authority.esign_asp_certificate is None:
            authority.esign_asp_certificate = _asp_certificate(authority, office)
    audit.record(session, "signing.provider_set", user, None, office=office.code,
                 provider=provider)
    return authority


def require_authority(session: Session, office: Office) -> SigningAuthority:
    authority = authority_of(session, office.id)
    if authority is None:
        raise NotFound("%(office)s has no signing authority", office=named(office))
    return authority


def asp_identity(authority: SigningAuthority) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    """The office's key and certificate as an eSign ASP, which sign its eSign requests."""
    if not authority.esign_asp_certificate:
        raise NotFound("the office has no eSign ASP certificate: set its eSign provider")
    cert = x509.load_pem_x509_certificate(authority.esign_asp_certificate.encode())
    public = cert.public_key()
    if not isinstance(public, rsa.RSAPublicKey):
        raise NotAllowed("the office's eSign ASP key is not an RSA key")
    key = _read_key(f"asp-{_key_id(public)}")
    if not isinstance(key, rsa.RSAPrivateKey):
        raise NotAllowed("the office's eSign ASP key is not an RSA key")
    return key, cert


def _asp_certificate(authority: SigningAuthority, office: Office) -> str:
    """An RSA key (as registered eSign providers expect) and a certificate for it from the
    office's authority, which the office registers with its provider."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    _write_key(key, f"asp-{_key_id(key.public_key())}")
    issuer = authority_certificate(authority)
    now = utcnow()
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "IN"),
                                     x509.NameAttribute(NameOID.ORGANIZATION_NAME, office.name),
                                     x509.NameAttribute(NameOID.COMMON_NAME,
                                                        f"{office.name} eSign ASP")]))
            .issuer_name(issuer.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=CERTIFICATE_DAYS))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_usage(sign=True, certify=False), critical=True)
            .sign(_authority_key(authority), hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def authority_certificate(authority: SigningAuthority) -> x509.Certificate:
    return x509.load_pem_x509_certificate(authority.certificate.encode())


def certify(session: Session, authority: SigningAuthority, holding: PostHolding,
            public_key: ec.EllipticCurvePublicKey, now: datetime) -> Certificate:
    """A certificate for ``public_key`` as the holder of ``holding``'s post, from now to the
    end of the holding (at most two years)."""
    office, post, user = authority.office, holding.post, holding.user
    ends = now + timedelta(days=CERTIFICATE_DAYS)
    if holding.to_date is not None:
        ends = min(ends, day_after(office, holding.to_date))
    issuer = authority_certificate(authority)
    serial = x509.random_serial_number()
    subject = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "IN"),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, office.name),
                         x509.NameAttribute(NameOID.TITLE, post.title),
                         x509.NameAttribute(NameOID.COMMON_NAME, user.name)])
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer.subject)
            .public_key(public_key).serial_number(serial)
            .not_valid_before(now - timedelta(minutes=5)).not_valid_after(ends)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_usage(sign=True, certify=False), critical=True)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                issuer.public_key()), critical=False)  # type: ignore[arg-type]
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key),
                           critical=False)
            .sign(_authority_key(authority), hashes.SHA256()))
    row = Certificate(serial=f"{serial:x}", office_id=office.id, user_id=user.id,
                      post_id=post.id, holding_id=holding.id, not_before=now, not_after=ends,
                      pem=cert.public_bytes(serialization.Encoding.PEM).decode())
    session.add(row)
    session.flush()
    audit.record(session, "signing.certified", user, None, serial=row.serial, post=post.code)
    return row


def revoke(session: Session, authority: SigningAuthority, certificates: list[Certificate],
           at: datetime, reason: str) -> None:
    """Revoke ``certificates`` from ``at`` (now or later) with ``reason``; the next CRL lists
    them from ``at`` on."""
    for cert in certificates:
        if cert.revoked_at is None or cert.revoked_at > at:
            cert.revoked_at, cert.revocation_reason = at, reason[:200]
            audit.record(session, "signing.revoked", None, None, serial=cert.serial,
                         reason=reason[:200])
    if certificates:
        authority.crl_number += 1


def revoke_holding(session: Session, holding: PostHolding, reason: str) -> None:
    """The holding ends on its ``to_date``: its certificates are revoked from the next day."""
    authority = authority_of(session, holding.post.office_id)
    if authority is None or holding.to_date is None:
        return
    certs = list(session.scalars(select(Certificate).where(Certificate.holding_id == holding.id)))
    revoke(session, authority, certs, day_after(authority.office, holding.to_date), reason)


def crl(session: Session, office: Office, now: datetime | None = None) -> bytes:
    """The office's certificate revocation list (DER), signed by its authority: every
    certificate revoked by ``now``, valid for a day."""
    now = now or utcnow()
    authority = require_authority(session, office)
    issuer = authority_certificate(authority)
    builder = (x509.CertificateRevocationListBuilder().issuer_name(issuer.subject)
               .last_update(now).next_update(now + timedelta(days=1))
               .add_extension(x509.CRLNumber(authority.crl_number), critical=False))
    revoked = session.scalars(select(Certificate).where(
        Certificate.office_id == office.id, Certificate.revoked_at <= now)
        .order_by(Certificate.id))
    for cert in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(int(cert.serial, 16))
            .revocation_date(cert.revoked_at or now).build())  # selected as revoked
    return builder.sign(_authority_key(authority), hashes.SHA256()).public_bytes(
        serialization.Encoding.DER)


def day_after(office: Office, day: date) -> datetime:
    """The first instant after the office's local ``day``, in UTC."""
    start = datetime.combine(day, time(0), ZoneInfo(office.timezone))
    return (start + timedelta(days=1)).astimezone(timezone.utc)


@dataclass(frozen=True)
class Esign:
    """An office's eSign provider: where requests go, the office's id there, and the
    provider's certificate (PEM)."""

    url: str
    asp_id: str
    certificate: str


def _check_provider(provider: str, token_module: str | None, esign: Esign | None = None
                    ) -> None:
    if provider not in PROVIDERS:
        raise NotAllowed("officials sign with one of: %(providers)s; not '%(provider)s'",
                         providers=", ".join(PROVIDERS), provider=provider)
    if provider == "pkcs11" and not token_module:
        raise NotAllowed("signing with tokens needs the token's PKCS#11 library")
    if provider != "esign":
        return
    if esign is None or not esign.url.startswith(("https://", "http://")) or not esign.asp_id:
        raise InvalidInput("eSign needs the provider's address (https://...) and the office's "
                           "ASP id there")
    try:
        x509.load_pem_x509_certificate(esign.certificate.encode())
    except ValueError:
        raise InvalidInput("the eSign provider's certificate is not a PEM certificate") \
            from None


def _usage(*, sign: bool, certify: bool) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=sign, content_commitment=not certify,
                         key_encipherment=False, data_encipherment=False, key_agreement=False,
                         key_cert_sign=certify, crl_sign=certify, encipher_only=False,
                         decipher_only=False)


def _key_id(public_key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.DER,
                                  serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(raw).hexdigest()[:16]


def _write_key(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey, key_id: str) -> None:
    folder = authority_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    fd = os.open(folder / f"{key_id}.key", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)


def _read_key(key_id: str) -> PrivateKeyTypes:
    path = authority_dir() / f"{key_id}.key"
    try:
        return serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        raise NotFound("the signing authority's key %(path)s is missing: restore it from the "
                       "office's backup of its keys", path=str(path)) from None


def _authority_key(authority: SigningAuthority) -> ec.EllipticCurvePrivateKey:
    key = _read_key(authority.key_id)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise NotAllowed("the signing authority's key %(path)s is not an ECDSA key",
                         path=str(authority_dir() / f"{authority.key_id}.key"))
    return key
