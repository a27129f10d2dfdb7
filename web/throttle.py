"""The throttle on signing in (the password, then the second factor's code), on Flask-Limiter:
only refused attempts (401) count, and past a limit the answer is 429 at once (no worker
waits), with the same message whether the login exists or not.

Nothing locks a login: a stranger's wrong guesses must not keep its holder out.  Attempts are
counted per login and client address, and per address; a browser that has signed in rightly
as a login (a signed "known device" cookie, set at each successful sign-in) counts apart, per
login and device, so the holder still signs in where they usually do while a stranger is held
up, and from another address too.  A guesser spreading over many addresses meets a larger
limit per login, which the holder's own devices escape as well.
"""

import secrets
from datetime import datetime, timedelta

from flask import current_app, g, request
from flask_babel import gettext as _
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.datastructures import MultiDict

from workflows.clock import IST
from workflows.errors import WrongPin

from .security import limiter

DEVICE_COOKIE = "sanchika_device"
DEVICE_FOR = timedelta(days=90)
DEVICE_LOGINS = 5  # logins remembered by one browser (a shared computer in an office)


def settings():
    """The defaults of what this module reads from the config (in Flask-Limiter's notation)."""
    return dict(
        SIGN_IN_LIMIT_PER_LOGIN="10 per 15 minutes",     # one login from one address
        SIGN_IN_LIMIT_PER_ADDRESS="30 per 15 minutes",   # any logins from one address
        SIGN_IN_LIMIT_PER_DEVICE="10 per 15 minutes",    # one login from its known browser
        SIGN_IN_LIMIT_EVERYWHERE="100 per hour",         # one login from unknown browsers
        SIGNING_PIN_LIMIT="5 per 15 minutes",            # wrong signing PINs of one official
        VERIFY_LIMIT="30 per minute",                     # PDFs checked from one address
    )


def guard(login_of):
    """Decorate a sign-in step whose refusals (401) count against the login ``login_of()``
    names; a refused step that is past a limit answers 429."""
    def known():
        return device_of(login_of()) is not None

    def unknown():
        return not known()

    def login_here():
        return f"{_key(login_of())}@{request.remote_addr}"

    def device():
        return f"{_key(login_of())}#{device_of(login_of())}"

    limits = (("SIGN_IN_LIMIT_PER_LOGIN", login_here, known, _too_many_for_login),
              ("SIGN_IN_LIMIT_PER_ADDRESS", _address, known, _too_many_from_here),
              ("SIGN_IN_LIMIT_EVERYWHERE", lambda: _key(login_of()), known, _too_many_for_login),
              ("SIGN_IN_LIMIT_PER_DEVICE", device, unknown, _too_many_for_login))

    def decorate(view):
        for name, key, exempt, message in limits:
            view = limiter.limit(_setting(name), methods=["POST"], key_func=key,
                                 exempt_when=exempt, deduct_when=_refused,
                                 error_message=message)(view)  # type: ignore[arg-type]
        return view
    return decorate


def pin_guard(view):
    """Decorate a view that signs with the official's PIN: wrong PINs (``note_wrong_pin``)
    count against the official, and past ``SIGNING_PIN_LIMIT`` a PIN is not tried until the
    window has passed.  Nothing else is held up: the official still opens, notes and holds
    their files, and sends those with nothing to sign."""
    return limiter.limit(_setting("SIGNING_PIN_LIMIT"), methods=["POST"], key_func=_official,
                         exempt_when=_no_pin, deduct_when=lambda _response: g.get("wrong_pin"),
                         error_message=_too_many_pins)(view)  # type: ignore[arg-type]


def note_wrong_pin(refusal):
    """Count ``refusal`` against the official if it is a wrong PIN (or password)."""
    if isinstance(refusal, WrongPin):
        g.wrong_pin = True


def _official():
    return f"pin:{current_user.get_id()}"


def _no_pin():
    given = request.get_json(silent=True) if request.is_json else request.form
    return not isinstance(given, dict | MultiDict) or not any(
        given.get(name) for name in ("pin", "old_pin", "password"))


def _too_many_pins():
    return _("Too many wrong PINs; signing waits until %(time)s IST. Your files stay with you "
             "meanwhile.", time=_until())


def device_of(login):
    """The id of this browser if it has signed in rightly as ``login`` (within 90 days)."""
    data = _device_cookie()
    if data is None or login not in data["logins"]:
        return None
    return data["id"]


def remember_device(response, login):
    """Mark this browser as one that signed in rightly as ``login``."""
    data = _device_cookie() or {"id": secrets.token_urlsafe(12), "logins": []}
    logins = [other for other in data["logins"] if other != login][-(DEVICE_LOGINS - 1):]
    value = _serializer().dumps({"id": data["id"], "logins": [*logins, login]})
    response.set_cookie(DEVICE_COOKIE, value, max_age=int(DEVICE_FOR.total_seconds()),
                        httponly=True, samesite="Lax",
                        secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


def retry_after(now):
    """Seconds until the limit that was hit lets this client try again, and that time in IST."""
    reset_at = limiter.current_limit.reset_at
    return (max(1, int(reset_at - now)),
            datetime.fromtimestamp(reset_at, IST).strftime("%H:%M"))


def _device_cookie():
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return None
    try:
        data = _serializer().loads(raw, max_age=int(DEVICE_FOR.total_seconds()))
    except BadSignature:
        return None
    if (not isinstance(data, dict) or not isinstance(data.get("id"), str)
            or not isinstance(data.get("logins"), list)):
        return None
    return data


def _serializer():
    return URLSafeTimedSerializer(current_app.secret_key, salt="sanchika.known-device")


def _setting(name):
    return lambda: current_app.config[name]


def _key(login):
    return "login:" + (login or "")[:64]


def _address():
    return request.remote_addr or ""


def _refused(response):
    """Only a refused attempt counts; signing in does not (a whole office signs in from one
    address)."""
    return response.status_code == 401


def _until():
    return retry_after(0)[1]


def _too_many_for_login():
    return _("Too many wrong sign-ins for this login; try again after %(time)s IST.",
             time=_until())


def _too_many_from_here():
    return _("Too many wrong sign-ins from this computer; try again after %(time)s IST.",
             time=_until())
