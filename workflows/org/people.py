"""Signing in and out: passwords, the lock after wrong guesses, sessions, and the day's
attendance."""

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import audit, clock, org
from ..clock import IST, utcnow
from ..errors import InvalidInput, NotAllowed
from ..models import Attendance, Post, PostHolding, User
from ..models.people import new_session_token

LOCK_AFTER = 6       # wrong passwords in a row that lock the login
LOCK_FOR = timedelta(minutes=15)


class SignInRefused(NotAllowed):
    """Wrong login or password, or a locked login."""


def sign_in(session, login, password, now=None):
    """Check a login and password; record the day's sign-in. Wrong guesses in a row lock the
    login for a while; the same message is given for an unknown login so that logins cannot be
    discovered.  (How often anyone may guess is the web's throttle, not this function's.)"""
    now = now or utcnow()
    user = session.scalar(select(User).where(User.login == (login or "").strip().lower()))
    if user is None or not user.active:
        raise SignInRefused("The login or password is wrong.")
    if user.locked_until is not None and user.locked_until > now:
        local = user.locked_until.astimezone(IST).strftime("%H:%M")
        raise SignInRefused("This login is locked after repeated wrong passwords; try again "
                            "after %(time)s IST or ask the administrator.", time=local)
    if not org.check_password(user, password):
        user.failed_logins += 1
        audit.record(session, "user.sign_in_failed", user, failures=user.failed_logins)
        if user.failed_logins >= LOCK_AFTER:
            user.locked_until, user.failed_logins = now + LOCK_FOR, 0
            raise SignInRefused("Too many wrong passwords: this login is locked for "
                                "%(minutes)s minutes.",
                                minutes=int(LOCK_FOR.total_seconds() // 60))
        left = LOCK_AFTER - user.failed_logins
        if left == 1:
            raise SignInRefused("The login or password is wrong. %(left)s more wrong attempt "
                                "will lock it.", left=left)
        raise SignInRefused("The login or password is wrong. %(left)s more wrong attempts "
                            "will lock it.", left=left)
    user.failed_logins, user.locked_until = 0, None
    day = clock.today(now=now)
    row = session.scalar(select(Attendance).where(Attendance.user_id == user.id,
                                                  Attendance.day == day))
    if row is None:
        try:
            with session.begin_nested():
                session.add(Attendance(user_id=user.id, day=day, signed_in_at=now))
        except IntegrityError:
            pass  # signed in at the same moment in another window: the first time stands
    audit.record(session, "user.signed_in", user)
    session.flush()
    return user


def user_for_session(session: Session, token: str | None) -> User | None:
    """The active user whose sessions ``token`` names, or None (a token made stale by a new
    password or by signing off everywhere names no one)."""
    if not token:
        return None
    return session.scalar(select(User).where(User.session_token == token, User.active))


def sign_off(session, user, everywhere=False, now=None):
    """Record the sign-off time for today (the last one counts).  ``everywhere`` also ends the
    user's sessions in every other browser."""
    now = now or utcnow()
    row = session.scalar(select(Attendance).where(Attendance.user_id == user.id,
                                                  Attendance.day == clock.today(now=now)))
    if row is not None:
        row.signed_off_at = now
    if everywhere:
        user.session_token = new_session_token()
    audit.record(session, "user.signed_off_everywhere" if everywhere else "user.signed_off", user)


def change_password(session, user, current, new, repeat):
    if not org.check_password(user, current):
        raise InvalidInput("the current password is wrong")
    if new == current and new == repeat:
        raise InvalidInput("the new password must differ from the current one")
    use_password(session, user, checked_password(new, repeat), "user.password_changed")


def checked_password(new, repeat):
    """The hash of ``new``, a password an official chose, if it will do: typed the same twice
    and long enough (refused otherwise, with nothing changed)."""
    if new != repeat:
        raise InvalidInput("the two new passwords differ")
    return org.hash_password(new)


def use_password(session, user, password_hash, action):
    """Give ``user`` the password of ``password_hash`` (from ``checked_password``)."""
    user.password_hash = password_hash
    user.session_token = new_session_token()  # whoever knew the old password is signed out
    user.must_change_password = False
    audit.record(session, action, user)


def attendance_today(session, office, viewer, now=None):
    """Everyone holding a post in ``office`` today with their sign-in and sign-off times.
    Only the head of the office or its administrator may see it."""
    now = now or utcnow()
    if not any(p.office_id == office.id and (p.is_head or p.is_admin)
               for p in org.posts_of(session, viewer, clock.today(now=now))):
        raise NotAllowed("only the head of office or its administrator sees attendance")
    day = clock.office_today(office, now)
    staff = session.execute(
        select(User, Post).join(PostHolding, PostHolding.user_id == User.id)
        .join(Post, Post.id == PostHolding.post_id)
        .where(Post.office_id == office.id, org.held_on(day)).order_by(Post.id)).all()
    rows = {a.user_id: a for a in session.scalars(
        select(Attendance).where(Attendance.day == day,
                                 Attendance.user_id.in_([u.id for u, _p in staff])))}
    return [(user, post, rows.get(user.id)) for user, post in staff]
