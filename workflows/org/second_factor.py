"""A second factor for signing in: time-based one-time codes (RFC 6238, with pyotp) from an
authenticator app, and ten recovery codes that stand in for it once each.

An official enrols from their password page: a secret is made and shown, and it is in force only
once a code made from it is given back.  Heads of office and administrators must have one (the
web sends them to enrol after the password step); for others it is a choice.  A code is taken
at most once: the step of the last code taken is kept, and a code of that step or an earlier
one is refused even within its window.  How often anyone may guess is the web's throttle.
"""

import hashlib
import hmac
import secrets
from collections.abc import Collection
from datetime import datetime

import pyotp
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from .. import audit, clock, org
from ..clock import utcnow
from ..db import for_update
from ..errors import InvalidInput, NotAllowed
from ..models import Post, PostHolding, RecoveryCode, SecondFactor, User

ISSUER = "Sanchika"
STEP = 30                # seconds a code stands for (RFC 6238's default)
WINDOW = 1               # steps either side taken, for a clock a little off
RECOVERY_COUNT = 10
RECOVERY_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"   # no 0/o, 1/l/i to misread
RECOVERY_LENGTH = 16     # 16 of 31 letters: 79 bits each


def required(session: Session, user: User, exempt: Collection[str] = ()) -> bool:
    """Whether ``user`` must sign in with a second factor: they hold a post of head of office
    or administrator today, and their login is not in ``exempt`` (a demo's or a test's own
    setting, never an office's)."""
    if user.login in exempt:
        return False
    return session.scalar(
        select(Post.id).join(PostHolding, PostHolding.post_id == Post.id)
        .where(PostHolding.user_id == user.id, org.held_on(clock.today()),
               Post.is_head.is_(True) | Post.is_admin.is_(True)).limit(1)) is not None


def enrolled(session: Session, user: User) -> SecondFactor | None:
    """``user``'s second factor if it is in force (confirmed), else None."""
    row = session.get(SecondFactor, user.id)
    return row if row is not None and row.confirmed_at is not None else None


def must_enrol(session: Session, user: User, exempt: Collection[str] = ()) -> bool:
    return enrolled(session, user) is None and required(session, user, exempt)


def begin(session: Session, user: User, now: datetime | None = None) -> SecondFactor:
    """The secret ``user`` is enrolling with: the one made earlier and not yet confirmed (the
    page may be opened again after scanning), else a new one."""
    row = session.get(SecondFactor, user.id)
    if row is not None and row.confirmed_at is not None:
        raise InvalidInput("you have a second factor already")
    if row is None:
        row = SecondFactor(user_id=user.id, secret=pyotp.random_base32(),
                           created_at=now or utcnow())
        session.add(row)
        session.flush()
    return row


def provisioning_uri(row: SecondFactor, user: User) -> str:
    """The ``otpauth://`` address an authenticator app reads (from the QR code)."""
    return pyotp.TOTP(row.secret).provisioning_uri(name=user.login, issuer_name=ISSUER)


def confirm(session: Session, user: User, code: str, now: datetime | None = None) -> list[str]:
    """Put the secret being enrolled into force with a code made from it; returns the ten
    recovery codes, to be shown once (only their SHA-256 is kept)."""
    now = now or utcnow()
    row = session.get(SecondFactor, user.id)
    if row is None or row.confirmed_at is not None:
        raise InvalidInput("open the second factor page again to enrol")
    step = _step_of(row, code, now)
    if step is None:
        raise InvalidInput("the code is wrong or has expired; give the one the app shows now")
    row.last_step, row.confirmed_at = step, now
    audit.record(session, "user.second_factor_enrolled", user)
    return _new_recovery_codes(session, user, now)


def check(session: Session, user: User, code: str, now: datetime | None = None) -> bool:
    """Whether ``code`` is a code of ``user``'s authenticator not taken before, or one of their
    unused recovery codes; either is then used up."""
    now = now or utcnow()
    row = session.scalar(for_update(select(SecondFactor).where(
        SecondFactor.user_id == user.id, SecondFactor.confirmed_at.is_not(None)), session))
    if row is None:
        return False
    step = _step_of(row, code, now)
    if step is not None:
        row.last_step = step
        session.flush()
        return True
    used = session.execute(update(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None),
        RecoveryCode.code_sha256 == _digest(_recovery_form(code))).values(used_at=now))
    if used.rowcount:  # type: ignore[attr-defined]
        audit.record(session, "user.recovery_code_used", user, left=recovery_left(session, user))
        return True
    return False


def renew_recovery_codes(session: Session, user: User, code: str,
                         now: datetime | None = None) -> list[str]:
    """Ten new recovery codes in place of the old, for a current code of the authenticator."""
    now = now or utcnow()
    row = enrolled(session, user)
    step = _step_of(row, code, now) if row is not None else None
    if row is None or step is None:
        raise InvalidInput("the code is wrong or has expired; give the one the app shows now")
    row.last_step = step
    audit.record(session, "user.recovery_codes_renewed", user)
    return _new_recovery_codes(session, user, now)


def turn_off(session: Session, user: User, password: str, exempt: Collection[str] = ()) -> None:
    """Stop asking ``user`` for a second factor (their password again), unless they must
    have one."""
    if required(session, user, exempt):
        raise NotAllowed("heads of office and administrators must keep a second factor")
    if not org.check_password(user, password):
        raise InvalidInput("the current password is wrong")
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    session.execute(delete(SecondFactor).where(SecondFactor.user_id == user.id))
    audit.record(session, "user.second_factor_off", user)


def recovery_left(session: Session, user: User) -> int:
    return len(session.scalars(select(RecoveryCode.id).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))).all())


def _step_of(row: SecondFactor, code: str, now: datetime) -> int | None:
    """The step of ``now`` (or one either side) whose code ``code`` is, if it is later than the
    last step taken; else None."""
    code = "".join((code or "").split())
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(row.secret, interval=STEP)
    current = int(now.timestamp()) // STEP
    for step in range(current - WINDOW, current + WINDOW + 1):
        if row.last_step is not None and step <= row.last_step:
            continue
        if hmac.compare_digest(totp.at(step * STEP), code):
            return step
    return None


def _new_recovery_codes(session: Session, user: User, now: datetime) -> list[str]:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = ["".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
             for _ in range(RECOVERY_COUNT)]
    session.add_all(RecoveryCode(user_id=user.id, code_sha256=_digest(code), created_at=now)
                    for code in codes)
    session.flush()
    return ["-".join(code[i:i + 4] for i in range(0, RECOVERY_LENGTH, 4)) for code in codes]


def _recovery_form(code: str) -> str:
    return "".join(c for c in (code or "").lower() if c.isalnum())


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8", "surrogatepass")).hexdigest()
