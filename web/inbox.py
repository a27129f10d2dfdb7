"""The inbox and its tabs: waiting, sent, parked, closed, created by me."""

from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required

from workflows.files import inbox as queries
from workflows.models import PRIORITIES

from .security import transaction

bp = Blueprint("inbox", __name__)


@bp.route("/")
@login_required
def index():
    tab = request.args.get("tab", "inbox")
    if tab not in queries.TABS:
        abort(404)
    priority = request.args.get("priority") or None
    query = request.args.get("q", "")[:200]
    with transaction() as db:
        held = queries.held(db, current_user)
        post_id = _post_filter({p.id for p, _kind in held}) if tab == "inbox" else None
        more = {"post_id": post_id} if post_id is not None else {}
        rows = getattr(queries, tab)(db, current_user, priority=priority, query=query, **more)
        waiting = queries.counts(db, current_user)
        page = render_template("inbox/index.html", tab=tab, tabs=queries.TABS, rows=rows,
                               waiting=waiting, priorities=PRIORITIES, priority=priority or "",
                               q=query, held=held, post_id=post_id)
    return page


def _post_filter(mine: set[int]) -> int | None:
    """The post the inbox is filtered by (``?post=``): one the user holds today, else 404."""
    given = request.args.get("post") or ""
    if not given:
        return None
    if not given.isdigit() or int(given) not in mine:
        abort(404)
    return int(given)
