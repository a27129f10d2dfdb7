"""Signing with a token (a USB DSC, a hardware security module) through PKCS#11, for an office
whose provider is ``pkcs11``: the private key never leaves the token, and the token checks the
PIN itself.

The office names the tokens' PKCS#11 library; an official's token is the one labelled with
their login, and their key on it the one labelled ``sanchika`` (an ECDSA P-256 pair; ``enrol``
makes one on a fresh token).  The office's authority certifies the token's public key for each
holding, as it does a key kept here.  python-pkcs11 (which pyHanko's PKCS#11 signer is built
on) reaches the token; SoftHSM2 stands in for one in the tests.
"""

import hashlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import cast

import pkcs11
import pkcs11.types
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import load_der_public_key
from pkcs11 import Attribute, KeyType, Mechanism, ObjectClass
from pkcs11.util.ec import encode_ec_public_key, encode_named_curve_parameters
from pyhanko.sign.pkcs11 import PKCS11Signer

from ..errors import NotAllowed, NotFound, WrongPin
from .pdf import asn1

SOFTHSM = "/usr/lib/softhsm/libsofthsm2.so"  # Debian's softhsm2
KEY_LABEL = "sanchika"


@contextmanager
def token_session(module: str, token_label: str, pin: str | None) -> Iterator[pkcs11.Session]:
    """A session on the official's token, signed in with ``pin``; closed after use."""
    if not pin:
        raise WrongPin("write your token's PIN to sign")
    try:
        library = pkcs11.lib(module)
    except (OSError, RuntimeError):
        raise NotFound("the PKCS#11 library %(path)s cannot be loaded", path=module) from None
    try:
        token = library.get_token(token_label=token_label)
    except pkcs11.NoSuchToken:
        raise NotFound("no token labelled %(label)s is present: plug in your token",
                       label=token_label) from None
    try:
        session = token.open(user_pin=pin, rw=True)
    except pkcs11.PinIncorrect:
        raise WrongPin("the token refused the PIN") from None
    except pkcs11.PinLocked:
        raise NotAllowed("the token %(label)s is locked after wrong PINs: its issuer unlocks it",
                         label=token_label) from None
    try:
        yield session
    finally:
        session.close()


def public_key(session: pkcs11.Session) -> ec.EllipticCurvePublicKey:
    """The public half of the official's key on the token."""
    try:
        key = session.get_key(ObjectClass.PUBLIC_KEY, KeyType.EC, label=KEY_LABEL)
    except (pkcs11.NoSuchKey, pkcs11.MultipleObjectsReturned):
        raise NotFound("the token holds no signing key labelled %(label)s",
                       label=KEY_LABEL) from None
    found = load_der_public_key(encode_ec_public_key(cast(pkcs11.PublicKey, key)))
    if not isinstance(found, ec.EllipticCurvePublicKey):
        raise NotFound("the token's key %(label)s is not an ECDSA key", label=KEY_LABEL)
    return found


def sign(session: pkcs11.Session, data: bytes) -> bytes:
    """The ECDSA (SHA-256, DER) signature of ``data`` by the token's key; the token is given
    the digest (the raw mechanism, which every token has)."""
    key = cast(pkcs11.types.SignMixin,
               session.get_key(ObjectClass.PRIVATE_KEY, KeyType.EC, label=KEY_LABEL))
    raw = key.sign(hashlib.sha256(data).digest(), mechanism=Mechanism.ECDSA)
    half = len(raw) // 2
    return encode_dss_signature(int.from_bytes(raw[:half], "big"),
                                int.from_bytes(raw[half:], "big"))


def pdf_signer(session: pkcs11.Session, certificate: x509.Certificate,
               chain: Sequence[x509.Certificate]) -> PKCS11Signer:
    """pyHanko's signer on the token's key, with the certificate the office gave it."""
    return PKCS11Signer(session, key_label=KEY_LABEL, signing_cert=asn1(certificate),
                        ca_chain=[asn1(c) for c in chain], other_certs_to_pull=None,
                        use_raw_mechanism=True)


def enrol(module: str, token_label: str, pin: str) -> ec.EllipticCurvePublicKey:
    """Make the signing key pair on a token that has none (an administrator's step when a
    token is handed out); the public key, either way."""
    with token_session(module, token_label, pin) as session:
        try:
            return public_key(session)
        except NotFound:
            pass
        parameters = session.create_domain_parameters(
            KeyType.EC, {Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")},
            local=True)
        parameters.generate_keypair(store=True, label=KEY_LABEL)
        return public_key(session)
