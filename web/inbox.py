"""The inbox: every file waiting for a post the official holds."""

from zoneinfo import ZoneInfo

from flask import Blueprint, g, render_template

from workflows.db import utcnow
from workflows.inbox import inbox, last_sender

from .security import login_required, transaction

bp = Blueprint("inbox", __name__)
IST = ZoneInfo("Asia/Kolkata")


@bp.route("/")
@login_required
def index():
    with transaction() as db:
        rows = inbox(db, g.user)
        senders = last_sender(db, [f.id for _t, f, _p in rows])
        now = utcnow()
        items = [{
            "number": file.number, "subject": file.subject, "priority": file.priority,
            "post": post.title, "step": task.step_name,
            "since": task.since.astimezone(IST).strftime("%d-%m-%Y %H:%M"),
            "days": (now - task.since).days,
            "overdue": task.due_at is not None and task.due_at < now,
            "from": (senders[file.id].from_user.name
                     if file.id in senders and senders[file.id].from_user else ""),
        } for task, file, post in rows]
    return render_template("inbox/index.html", items=items)
