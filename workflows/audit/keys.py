"""The key that signs the audit chain's checkpoints, kept outside the database.

The private key is a PEM file (PKCS#8, Ed25519) that only its owner can read (mode 0600), at
``SANCHIKA_SIGNING_KEY`` or ``signing.key`` in the instance folder.  Beside it,
``<key>.pub`` keeps the public key of every key that ever signed here, the current one and
those rotated out, so that old checkpoints still verify; it is what a second place (another
office, the district) needs to check an exported copy.  A key is named by its id: the first
16 hex digits of the sha256 of its raw public key, so a public key names itself.
"""

import base64
import hashlib
import os
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (Ed25519PrivateKey,
                                                               Ed25519PublicKey)

from ..clock import utcnow
from ..db import DEFAULT_INSTANCE
from ..errors import InvalidInput, NotAllowed, NotFound

KEY_ENV = "SANCHIKA_SIGNING_KEY"
_PEM = re.compile(rb"-----BEGIN PUBLIC KEY-----.+?-----END PUBLIC KEY-----", re.S)


def key_path() -> Path:
    """Where the signing key is: ``SANCHIKA_SIGNING_KEY``, or the instance folder's."""
    return Path(os.environ.get(KEY_ENV) or DEFAULT_INSTANCE / "signing.key")


def keyring_path(path: Path) -> Path:
    """The public keys kept beside the private key ``path``."""
    return path.with_name(path.name + ".pub")


@dataclass(frozen=True)
class PublicKey:
    key_id: str
    key: Ed25519PublicKey = field(compare=False)  # the id names the key

    def verifies(self, signature: bytes, message: bytes) -> bool:
        try:
            self.key.verify(signature, message)
        except InvalidSignature:
            return False
        return True

    def pem(self) -> str:
        return self.key.public_bytes(serialization.Encoding.PEM,
                                     serialization.PublicFormat.SubjectPublicKeyInfo).decode()


@dataclass(frozen=True)
class Signer:
    """The private key, ready to sign."""

    public: PublicKey
    private: Ed25519PrivateKey

    @property
    def key_id(self) -> str:
        return self.public.key_id

    def sign(self, message: bytes) -> str:
        """The Ed25519 signature of ``message``, in base64."""
        return base64.b64encode(self.private.sign(message)).decode()


def public_of(key: Ed25519PublicKey) -> PublicKey:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return PublicKey(hashlib.sha256(raw).hexdigest()[:16], key)


def new_key(path: Path, now: datetime | None = None) -> PublicKey:
    """Make a signing key at ``path`` (refused if one is there) and add its public key to
    the keyring beside it; the new key's public half."""
    if path.exists():
        raise NotAllowed("a signing key is already at %(path)s; use 'sanchika keys rotate' to "
                         "replace it", path=str(path))
    private = Ed25519PrivateKey.generate()
    _write_private(path, private, replace=False)
    public = public_of(private.public_key())
    _keep_public(path, public, now or utcnow())
    return public


def rotate_key(path: Path, now: datetime | None = None) -> tuple[PublicKey, PublicKey]:
    """Replace the signing key at ``path`` by a new one; the old one's public key stays in
    the keyring, so that the checkpoints it signed still verify.  (old, new) public keys."""
    old = load_signer(path).public
    _keep_public(path, old, now or utcnow())  # kept even if the keyring had lost it
    private = Ed25519PrivateKey.generate()
    _write_private(path, private, replace=True)
    new = public_of(private.public_key())
    _keep_public(path, new, now or utcnow())
    return old, new


def load_signer(path: Path) -> Signer:
    """The signing key at ``path``, or a refusal saying what is wrong with the file."""
    try:
        mode = path.stat().st_mode
        data = path.read_bytes()
    except FileNotFoundError:
        raise NotFound("there is no signing key at %(path)s; make one with 'sanchika keys "
                       "new' (or set SANCHIKA_SIGNING_KEY to where it is)",
                       path=str(path)) from None
    except OSError as exc:
        raise InvalidInput("the signing key %(path)s cannot be read: %(why)s", path=str(path),
                           why=exc.strerror or str(exc)) from None
    if os.name == "posix" and mode & 0o077:
        raise NotAllowed("the signing key %(path)s can be read by others (mode %(mode)s); "
                         "make it private: chmod 600 %(path)s", path=str(path),
                         mode=oct(mode & 0o777)[2:])
    try:
        private = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        private = None
    if not isinstance(private, Ed25519PrivateKey):
        raise InvalidInput("%(path)s is not an Ed25519 signing key (an unencrypted PEM made "
                           "by 'sanchika keys new')", path=str(path))
    return Signer(public_of(private.public_key()), private)


def public_keys(path: Path) -> list[PublicKey]:
    """The public keys of this instance: the keyring beside the key at ``path`` and the
    key itself (when it can be read); empty when there are none."""
    found = read_public_keys(keyring_path(path)) if keyring_path(path).exists() else []
    try:
        current = load_signer(path).public
    except (NotFound, InvalidInput, NotAllowed):
        return found
    return found if current in found else [current, *found]


def read_public_keys(path: Path) -> list[PublicKey]:
    """The Ed25519 public keys in the PEM file ``path`` (one or more blocks), or a refusal."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInput("the public key file %(path)s cannot be read: %(why)s",
                           path=str(path), why=exc.strerror or str(exc)) from None
    keys = []
    for block in _PEM.findall(data):
        try:
            key = serialization.load_pem_public_key(block)
        except (ValueError, UnsupportedAlgorithm):
            key = None
        if not isinstance(key, Ed25519PublicKey):
            raise InvalidInput("%(path)s holds a public key that is not an Ed25519 key",
                               path=str(path))
        keys.append(public_of(key))
    if not keys:
        raise InvalidInput("%(path)s holds no public key (a PEM block as 'sanchika keys show' "
                           "prints)", path=str(path))
    return list(dict.fromkeys(keys))


def keyring_text(keys: list[PublicKey], current: str | None = None) -> str:
    """Public keys as PEM blocks, each under a line naming it (what ``keys show`` prints)."""
    lines = []
    for key in keys:
        state = "current" if key.key_id == current else "kept"
        lines.append(f"# Sanchika signing key {key.key_id} ({state})\n{key.pem()}")
    return "".join(lines)


def _keep_public(path: Path, public: PublicKey, now: datetime) -> None:
    ring = keyring_path(path)
    kept = read_public_keys(ring) if ring.exists() else []
    if public in kept:
        return
    before = ring.read_text() if kept else ""
    _replace(ring, before + f"# Sanchika signing key {public.key_id}, made "
             f"{now:%Y-%m-%d %H:%M} UTC\n{public.pem()}", 0o644)


def _write_private(path: Path, private: Ed25519PrivateKey, replace: bool) -> None:
    data = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())
    if replace:
        _replace(path, data.decode(), 0o600)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise InvalidInput("the signing key cannot be written to %(path)s: %(why)s",
                           path=str(path), why=exc.strerror or str(exc)) from None
    with os.fdopen(fd, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())


def _replace(path: Path, text: str, mode: int) -> None:
    """Write ``text`` to ``path`` at once (a new file renamed over it), with ``mode``."""
    part = path.with_name(path.name + ".part")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        part.unlink(missing_ok=True)
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        with os.fdopen(fd, "w") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(part, path)
    except OSError as exc:
        raise InvalidInput("%(path)s cannot be written: %(why)s", path=str(path),
                           why=exc.strerror or str(exc)) from None
