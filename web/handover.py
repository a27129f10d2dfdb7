"""Leave handover, from the official's own menu: hand one's posts to a colleague for dates,
see the handovers made, end one early or cancel one not yet begun."""

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from workflows import clock
from workflows.errors import InvalidInput, NotAllowed, NotFound
from workflows.models import User
from workflows.org import handover

from .i18n import day as _shown, loc, say
from .security import transaction

bp = Blueprint("handover", __name__, url_prefix="/handover")


@bp.route("/", methods=["GET", "POST"])
@login_required
def index():
    form = request.form if request.method == "POST" else {}
    status = 200
    with transaction() as db:
        me = db.get(User, current_user.id)
        if request.method == "POST":
            try:
                with db.begin_nested():
                    made = handover.hand_over(
                        db, user=me, post_ids=form.getlist("post"),
                        to_user_id=form.get("colleague"), from_date=_day("from_date"),
                        to_date=_day("to_date"))
                flash(_("Your charge passes to %(colleague)s from %(start)s to %(end)s; they "
                        "have been told.", colleague=loc(made[0].user),
                        start=_shown(made[0].from_date), end=_shown(made[0].to_date)), "ok")
                return redirect(url_for("handover.index"))
            except (InvalidInput, NotAllowed, NotFound) as exc:
                flash(say(exc), "error")
                status = 400
        page = _page(db, me, form)
    return page, status


@bp.route("/<int:holding_id>/end", methods=["POST"])
@login_required
def end(holding_id):
    with transaction() as db:
        try:
            with db.begin_nested():
                done = handover.end_handover(db, user=db.get(User, current_user.id),
                                             holding_id=holding_id)
        except NotFound:
            abort(404)
        except NotAllowed as exc:
            flash(say(exc), "error")
            return redirect(url_for("handover.index"))
        if done.state == "cancelled":
            flash(_("The handover of %(post)s to %(colleague)s is cancelled.",
                    post=loc(done.holding.post, "title"), colleague=loc(done.holding.user)),
                  "ok")
        else:
            flash(_("The handover of %(post)s to %(colleague)s has ended: the post is yours "
                    "again from today.", post=loc(done.holding.post, "title"),
                    colleague=loc(done.holding.user)), "ok")
    return redirect(url_for("handover.index"))


def _page(db, me, form):
    posts = handover.own_posts(db, me)
    offices = list({p.office_id: p.office for p in posts}.values())
    today = clock.office_today(offices[0]) if offices else clock.today()
    allowed = [p for p in posts if p.office.handover_days > 0]
    return render_template(
        "handover/index.html", posts=allowed, offices=offices, today=today, form=form,
        colleagues=handover.colleagues(db, me, allowed, today) if allowed else [],
        handovers=handover.handovers_of(db, me, today))


def _day(name):
    text = request.form.get(name, "").strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput("'%(text)s' is not a date (YYYY-MM-DD)", text=text) from None
