"""Signing in and out: passwords, sessions, and the day's attendance.

Nothing here locks a login after wrong passwords: a stranger could then keep its holder out of
their own office.  How often anyone may guess is the web's throttle (per login and client, and
per client address), which lets the holder in from where they signed in before."""

from datetime import datetime
from types import SimpleNamespace

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import audit, clock, org
from ..clock import utcnow
from ..errors import InvalidInput, NotAllowed
from ..models import Attendance, Office, Post, User
from . import sessions

# A hash to check a password against when the login is unknown, so that the answer takes as
# long as for a known login (made on first use: argon2 takes a moment).
_STAND_IN: list[str] = []


class SignInRefused(NotAllowed):
    """Wrong login or password (one answer for both, so that logins cannot be discovered)."""


def check_password(session: Session, login: str | None, password: str | None) -> User:
    """The active user with this login and password, or SignInRefused.  An unknown login, a
    disabled one and a wrong password get the same answer in the same time."""
    user = session.scalar(select(User).where(User.login == (login or "").strip().lower()))
    if user is None or not user.active:
        if not _STAND_IN:
            _STAND_IN.append(org.hash_password(sessions.digest("stand-in")))
        org.check_password(SimpleNamespace(password_hash=_STAND_IN[0]), password)
        raise SignInRefused("The login or password is wrong.")
    if not org.check_password(user, password):
        audit.record(session, "user.sign_in_failed", user)
        raise SignInRefused("The login or password is wrong.")
    org.rehash(user, password or "")
    return user


def sign_in(session: Session, user: User, *, user_agent: str = "", address: str = "",
            now: datetime | None = None) -> str:
    """``user`` is signed in (their password, and second factor if they have one, checked):
    the day's first sign-in is recorded and a session begins.  Returns its token."""
    now = now or utcnow()
    day = clock.today(now=now)
    row = session.scalar(select(Attendance).where(Attendance.user_id == user.id,
                                                  Attendance.day == day))
    if row is None:
        try:
            with session.begin_nested():
                session.add(Attendance(user_id=user.id, day=day, signed_in_at=now))
        except IntegrityError:
            pass  # signed in at the same moment in another window: the first time stands
    token = sessions.start(session, user, user_agent=user_agent, address=address, now=now)
    audit.record(session, "user.signed_in", user)
    session.flush()
    return token


def sign_off(session: Session, user: User, token: str | None, everywhere: bool = False,
             now: datetime | None = None) -> None:
    """Record the sign-off time for today (the last one counts) and end the session ``token``
    names; ``everywhere`` ends every session of the user."""
    now = now or utcnow()
    row = session.scalar(select(Attendance).where(Attendance.user_id == user.id,
                                                  Attendance.day == clock.today(now=now)))
    if row is not None:
        row.signed_off_at = now
    if everywhere:
        sessions.end_all(session, user, sessions.EVERYWHERE, now=now)
    else:
        sessions.end_current(session, token, now=now)
    audit.record(session, "user.signed_off_everywhere" if everywhere else "user.signed_off", user)


def change_password(session: Session, user: User, current: str, new: str, repeat: str,
                    token: str | None = None) -> None:
    """A new password for ``user``; every session of theirs but ``token``'s (the browser
    that changed it) ends: whoever knew the old password is signed out."""
    if not org.check_password(user, current):
        raise InvalidInput("the current password is wrong")
    if new == current and new == repeat:
        raise InvalidInput("the new password must differ from the current one")
    use_password(session, user, checked_password(new, repeat), "user.password_changed",
                 keep=token)


def checked_password(new: str, repeat: str) -> str:
    """The hash of ``new``, a password an official chose, if it will do: typed the same twice
    and long enough (refused otherwise, with nothing changed)."""
    if new != repeat:
        raise InvalidInput("the two new passwords differ")
    return org.hash_password(new)


def use_password(session: Session, user: User, password_hash: str, action: str,
                 keep: str | None = None) -> None:
    """Give ``user`` the password of ``password_hash`` (from ``checked_password``); every
    session of theirs but ``keep``'s (the browser that changed it) ends: whoever knew the old
    password is signed out."""
    user.password_hash = password_hash
    sessions.end_all(session, user, sessions.PASSWORD, keep=keep)
    user.must_change_password = False
    audit.record(session, action, user)


def attendance_today(session: Session, office: Office, viewer: User,
                     now: datetime | None = None) -> list[tuple[User, Post, Attendance | None]]:
    """Everyone holding a post in ``office`` today with their sign-in and sign-off times.
    Only the head of the office or its administrator may see it."""
    from . import attendance
    return attendance.office_day(session, office, viewer, clock.office_today(office, now))
