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
        rows = getattr(queries, tab)(db, current_user, priority=priority, query=query)
        waiting = queries.counts(db, current_user)
        page = render_template("inbox/index.html", tab=tab, tabs=queries.TABS, rows=rows,
                               waiting=waiting, priorities=PRIORITIES, priority=priority or "",
                               q=query)
    return page
