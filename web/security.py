"""Sessions, sign-in checks and CSRF: every view goes through here."""

import functools
import hmac
import secrets

from flask import abort, current_app, g, redirect, request, session, url_for

from workflows.org import access, orgchart, tokens
from workflows.errors import NotAllowed, NotFound, SanchikaError
from workflows.models import User

from .i18n import say


def init_app(app):
    app.before_request(_load_user)
    app.before_request(_check_csrf)
    app.after_request(_headers)
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.context_processor(lambda: {"current_user": g.get("user")})


def transaction():
    """One transaction for one request's work (``with transaction() as db:``)."""
    return current_app.extensions["sanchika.sessionmaker"].begin()


def start_session(user):
    """A fresh session for ``user`` (a new one at every sign-in, so no old token survives)."""
    lang = session.get("lang")
    session.clear()
    session["user_id"] = user.id
    session["pw"] = user.password_hash[-16:]
    if lang:
        session["lang"] = lang
    session.permanent = True


def _load_user():
    g.user = None
    g.via_token = False
    if request.endpoint == "static":
        return
    if is_api() and bearer_token() is not None:
        _load_token_user()
        return
    user_id = session.get("user_id")
    if user_id is None:
        return
    with transaction() as db:
        user = db.get(User, user_id)
        if user is not None and user.active and session.get("pw") == user.password_hash[-16:]:
            g.user = user
        else:
            session.clear()
    session.permanent = True


def is_api():
    return request.path.startswith("/api/")


def bearer_token():
    """The token of an ``Authorization: Bearer <token>`` header, or None."""
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _has_session_cookie():
    return current_app.config["SESSION_COOKIE_NAME"] in request.cookies


def _load_token_user():
    """An API call with a bearer token acts as the token's user; the session is not read, so
    a browser's signed-in cookie never lends its rights to a script."""
    with transaction() as db:
        user = tokens.user_for_token(db, bearer_token())
    if user is not None:
        g.user, g.via_token = user, True


def login_required(view):
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if g.user is None:
            return redirect(url_for("auth.sign_in", next=request.path))
        return view(*args, **kwargs)
    return wrapped


def csrf_token():
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def _check_csrf():
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    if is_api() and (not _has_session_cookie() or g.user is None):
        return  # no cookie, or no one signed in: nothing to forge; the API then answers 401
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
    if not hmac.compare_digest(sent, session.get("csrf", "")) or not sent:
        abort(400, "The form has expired. Go back, reload the page and try again.")


def _headers(response):
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; form-action 'self'")
    return response


def refuse(exc):
    """Turn a refusal into the right status: 404 for what the user may not know exists, 403
    (in the user's language) for what they may not see or do."""
    if isinstance(exc, NotFound):
        abort(404)
    if isinstance(exc, NotAllowed):
        abort(403, say(exc))
    raise exc


def visible_file(db, file_id):
    """The file ``file_id`` if the signed-in user may see it; otherwise 404 or 403."""
    try:
        return access.file_for(db, g.user, file_id)
    except SanchikaError as exc:
        refuse(exc)


def administered_office(db, office_id):
    """The office ``office_id`` if the signed-in user administers it; otherwise 403."""
    office = orgchart.office_by_id(db, office_id)
    try:
        orgchart.require_admin(db, g.user, office)
    except SanchikaError:
        abort(403)
    return office
