"""The header of every page: what waits for the signed-in official (files and dak), the links
they may follow, and the small JSON the page polls (``waiting.js``) to learn of arrivals.

What the header needs is found before the view, in the request's transaction, as
``g.administers`` is (web.security)."""

from datetime import datetime, timedelta, timezone

from flask import Blueprint, g, jsonify, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from workflows.clock import utcnow
from workflows.files import records, waiting
from workflows.org import attendance

from .i18n import _script as digits
from .i18n import loc, num
from .security import request_session, transaction

bp = Blueprint("navigation", __name__)
POLL = "navigation.waiting_json"
#: how far back a poll may ask (a page left open overnight is told of today's arrivals only)
FURTHEST = timedelta(hours=12)


def init_app(app):
    app.register_blueprint(bp)
    app.before_request(_note_header)
    app.context_processor(lambda: {"header": g.get("header")})
    app.jinja_env.filters["digits"] = digits


def _note_header():
    """The header's counts and links, for the pages a signed-in official sees."""
    g.header = None
    if (request.method != "GET" or request.endpoint in ("static", "vendor.asset", POLL)
            or request.path.startswith("/api/") or not current_user.is_authenticated):
        return
    db = request_session()
    counts = waiting.waiting(db, current_user)
    g.header = {
        "waiting": label(counts),
        "since": utcnow().isoformat(timespec="seconds"),
        "holds_post": g.get("works_dispatch", False),  # found by the user loader
        "attendance": bool(attendance.offices_seen(db, current_user)),
        "record_room": bool(records.record_room_offices(db, current_user)),
    }


def label(counts):
    """ "Inbox: 7 files · Dak: 2 receipts", in the reader's language and digits."""
    files = ngettext("Inbox: %(count)s file", "Inbox: %(count)s files", counts.files,
                     count=num(counts.files))
    dak = ngettext("Dak: %(count)s receipt", "Dak: %(count)s receipts", counts.dak,
                   count=num(counts.dak))
    return f"{files} · {dak}"


def _since():
    """The moment a poll asks from (``?since=``, an ISO time with its zone), or None when
    not given; a bad one is a ValueError."""
    given = request.args.get("since", "").strip()
    if not given:
        return None
    # a "+" of the zone left unescaped in the address arrives as a space
    moment = datetime.fromisoformat(given.replace(" ", "+").replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(given)
    return max(moment.astimezone(timezone.utc), utcnow() - FURTHEST)


def _notice(arrival):
    sender = ", ".join(name for name in (loc(arrival.sender), loc(arrival.sender_post, "title"))
                       if name) or _("the office")
    if arrival.returned:
        return _("File %(number)s was returned by %(sender)s", number=arrival.number,
                 sender=sender)
    return _("File %(number)s arrived from %(sender)s", number=arrival.number, sender=sender)


@bp.route("/inbox/waiting.json")
def waiting_json():
    """Counts and the files that arrived since ``?since=``: polled by the page, and not
    counted as the official's activity (web.security leaves the session's idle time alone)."""
    if not current_user.is_authenticated:
        return jsonify(error=_("Sign in to see what waits for you.")), 401
    try:
        since = _since()
    except ValueError:
        return jsonify(error=_("since must be a time like 2026-04-01T10:00:00+05:30")), 400
    now = utcnow()
    with transaction() as db:
        counts = waiting.waiting(db, current_user)
        arrived = waiting.arrivals_since(db, current_user, since) if since else []
        answer = {"files": counts.files, "dak": counts.dak, "label": label(counts),
                  "now": now.isoformat(timespec="seconds"),
                  "arrivals": [{"number": a.number, "returned": a.returned,
                                "url": url_for("files.show", file_id=a.file_id),
                                "notice": _notice(a)} for a in arrived]}
    return jsonify(answer)
