"""Who is signed in (Flask-Login), forms' CSRF tokens (Flask-WTF) and the sign-in throttle
(Flask-Limiter): every view goes through here."""

import os
from contextlib import contextmanager

from flask import abort, current_app, g, has_request_context, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from workflows.mail import notices
from workflows import org
from workflows.org import access, orgchart, second_factor, sessions, tokens
from workflows.errors import NotAllowed, NotFound, SanchikaError

from .i18n import say

login_manager = LoginManager()
login_manager.login_view = "auth.sign_in"
login_manager.login_message = None  # the sign-in page says enough
csrf = CSRFProtect()
limiter = Limiter(get_remote_address)
#: Requests a page makes by itself (polls): they do not keep a session from going idle.
UNSEEN = ("navigation.waiting_json",)  # storage: RATELIMIT_STORAGE_URI (memory:// by default)


def settings():
    """The defaults of what this module reads from the config (create_app's config wins)."""
    return dict(
        # Flask-WTF: _check_csrf decides which requests need the token (the JSON API with a
        # bearer token and no cookie does not); a token lasts as long as its session.
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=None,
        # Flask-Limiter: refused sign-ins per login and per client address.  Several workers
        # share the counts through e.g. redis://host:6379 (docs/deploy.md).
        RATELIMIT_STORAGE_URI=os.environ.get("SANCHIKA_RATELIMIT_STORAGE_URI", "memory://"),
        RATELIMIT_SWALLOW_ERRORS=True,  # a store out of reach is logged; sign-in goes on
        # Logins of heads of office and administrators let in without a second factor: for a
        # demo or a test only (the demo's are published with their password); an office
        # leaves it empty.  SANCHIKA_SECOND_FACTOR_EXEMPT=login,login
        SECOND_FACTOR_EXEMPT=tuple(login.strip().lower() for login in os.environ.get(
            "SANCHIKA_SECOND_FACTOR_EXEMPT", "").split(",") if login.strip()),
        # Reverse proxies in front (nginx: 1) whose X-Forwarded-For/-Proto are believed, so
        # that the client address counted is the official's, not the proxy's.
        PROXIES=int(os.environ.get("SANCHIKA_PROXIES", "0") or 0),
    )


def init_app(app):
    if app.config["PROXIES"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXIES"],
                                x_proto=app.config["PROXIES"])
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    app.before_request(_load_user_first)
    app.before_request(_check_csrf)
    app.after_request(_commit_unended)
    app.after_request(_headers)
    app.teardown_request(_roll_back_unended)


@contextmanager
def transaction():
    """The request's one transaction (``with transaction() as db:``): begun by whatever needed
    the database first (the signed-in user's loading, the header), committed when the view's
    block ends and rolled back if it raises.  A block inside another shares it; a block after
    the first ended begins another.  Outside a request (the CLI), a transaction of its own."""
    if not has_request_context():
        with current_app.extensions["sanchika.sessionmaker"].begin() as db:
            yield db
        return
    db = request_session()
    g.sanchika_depth += 1
    try:
        yield db
    except BaseException:
        g.sanchika_depth -= 1
        if not g.sanchika_depth:
            _end(commit=False)
        raise
    g.sanchika_depth -= 1
    if not g.sanchika_depth:
        _end(commit=True)


def request_session():
    """The session of the request's transaction, begun now if nothing has begun it; for the
    work done before the view (who is signed in, the header), which the view's block ends."""
    db = g.get("sanchika_db")
    if db is None:
        db = g.sanchika_db = current_app.extensions["sanchika.sessionmaker"]()
        g.sanchika_depth = 0
        db.begin()
    return db


def _end(*, commit):
    db = g.pop("sanchika_db")
    try:
        if commit:
            db.commit()
        else:
            # the signed-in official stays as loaded for the page that says what went wrong
            # (a rollback expires what its session holds)
            user = g.get("sanchika_user")
            if user is not None and user in db:
                db.expunge(user)
            db.rollback()
    finally:
        db.close()


def _commit_unended(response):
    """Commit what was done before a view that needed no transaction of its own (a session
    noted as seen), before the response leaves."""
    if g.get("sanchika_db") is not None:
        _end(commit=True)
    return response


def _roll_back_unended(_exc):
    if g.get("sanchika_db") is not None:
        _end(commit=False)


def _load_user_first():
    """Flask-Login loads the user when first asked; ask before the view, so that the loading
    (and noting a token's use) is done in the request's transaction before the view's work.
    Static files need no one."""
    if request.endpoint not in ("static", "vendor.asset"):
        current_user.is_authenticated  # noqa: B018 (the attribute's lookup loads the user)


@login_manager.user_loader
def _user_for_session(token):
    """The official whose live session the cookie names (an ended, idle or unknown one names
    no one), whether they must enrol a second factor before anything else, and whether they
    administer an office (``g.administers``)."""
    if is_api():
        return None  # a browser's signed-in cookie never lends its rights to a script
    db = request_session()
    user = sessions.user_for(db, token, idle=current_app.config["PERMANENT_SESSION_LIFETIME"],
                             seen=request.endpoint not in UNSEEN)
    g.enrol_first = user is not None and second_factor.must_enrol(
        db, user, current_app.config["SECOND_FACTOR_EXEMPT"])
    # for the navigation
    g.administers = user is not None and orgchart.is_administrator(db, user)
    # whether they are of an office's staff, who work its dispatch register
    g.works_dispatch = user is not None and bool(org.posts_of(db, user))
    g.sanchika_user = user
    return user


@login_manager.request_loader
def _user_for_bearer_token(request):
    """An API call with a bearer token acts as the token's user."""
    token = bearer_token() if is_api() else None
    if token is None:
        return None
    g.sanchika_user = tokens.user_for_token(request_session(), token)
    return g.sanchika_user


def is_api():
    return request.path.startswith("/api/")


def bearer_token():
    """The token of an ``Authorization: Bearer <token>`` header, or None."""
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _check_csrf():
    """Every form needs its CSRF token (WTF_CSRF_CHECK_DEFAULT is off so that this hook
    decides).  A script calling the API without a session cookie has nothing to forge, nor has
    a request no one is signed in to (the API then answers 401); a browser that is signed in
    and sends a token too must still send the CSRF token."""
    if is_api() and (current_app.config["SESSION_COOKIE_NAME"] not in request.cookies
                     or not current_user.is_authenticated):
        return
    if request.endpoint == "signing.esign_answer":
        return  # the eSign provider's answer, posted from its site: its XML signature vouches
    csrf.protect()


def site_url():
    """The address links in mail and on signed orders start with (SANCHIKA_BASE_URL, else the
    one this request came to)."""
    return notices.base_url(request.host_url)


def content_policy(form_to=""):
    """The pages' Content-Security-Policy; ``form_to``, an origin a form may post to besides
    the site (the eSign provider's, on the one page that sends there)."""
    return ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            f"frame-ancestors 'none'; form-action 'self'{' ' + form_to if form_to else ''}")


def _headers(response):
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Content-Security-Policy", content_policy())
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
        return access.file_for(db, current_user, file_id)
    except SanchikaError as exc:
        refuse(exc)


def administered_office(db, office_id):
    """The office ``office_id`` if the signed-in user administers it; otherwise 403."""
    office = orgchart.office_by_id(db, office_id)
    try:
        orgchart.require_admin(db, current_user, office)
    except SanchikaError:
        abort(403)
    return office
