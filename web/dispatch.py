"""The dispatch register (प्रेषण पंजी) of an office: issued letters and orders waiting to leave,
those that left (by date range and mode), dispatching one, recording its acknowledgement, and
the letter itself, to print (a page and a PDF).  For the office's staff."""

from flask import (Blueprint, Response, abort, flash, g, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from workflows.errors import FileMoved, InvalidInput, NotAllowed, NotFound
from workflows.files import dispatching, letters
from workflows.models import DISPATCH_MODES

from .i18n import say
from .security import refuse, transaction

bp = Blueprint("dispatch", __name__, url_prefix="/dispatch")


def init_app(app):
    """Register the pages, and ``works_dispatch()`` for the navigation (the user loader
    finds it, in its transaction: ``security._user_for_session``)."""
    app.register_blueprint(bp)
    app.jinja_env.globals["works_dispatch"] = lambda: g.get("works_dispatch", False)


@bp.route("/")
@login_required
def index():
    status = 200
    with transaction() as db:
        offices = dispatching.staffed_offices(db, current_user)
        if not offices:
            abort(403, _("You hold no post in any office."))
        office = next((o for o in offices if o.code == request.args.get("office")), offices[0])
        try:
            chosen = dispatching.filters(request.args.get("start"), request.args.get("end"),
                                         request.args.get("mode"))
        except InvalidInput as exc:
            flash(say(exc), "error")
            chosen, status = dispatching.Filters(), 400
        page = render_template(
            "dispatch/index.html", offices=offices, office=office, chosen=chosen,
            modes=DISPATCH_MODES, waiting=dispatching.awaiting(db, office),
            entries=dispatching.register(db, office, chosen), args=request.args)
    return page, status


def _back(entry_office_code=None):
    """Where a form of the register or of a file page sends the official back to."""
    file_id = request.form.get("file_id", "")
    if file_id.isdigit():
        return redirect(url_for("files.show", file_id=int(file_id)) + "#drafts")
    return redirect(url_for("dispatch.index", office=entry_office_code))


@bp.route("/drafts/<int:draft_id>", methods=["POST"])
@login_required
def dispatch_draft(draft_id):
    form = request.form
    try:
        with transaction() as db:
            entry = dispatching.dispatch_draft(
                db, draft_id=draft_id, user=current_user, mode=form.get("mode"),
                addressee=form.get("addressee"), copy_to=form.get("copy_to"),
                on=form.get("on") or None)
            number, code = entry.number, entry.office.code
    except NotFound:
        abort(404)
    except (FileMoved, InvalidInput, NotAllowed) as exc:
        flash(say(exc), "error")
        return _back()
    flash(_("Dispatched as %(number)s.", number=number), "info")
    return _back(code)


@bp.route("/<int:dispatch_id>/acknowledge", methods=["POST"])
@login_required
def acknowledge(dispatch_id):
    try:
        with transaction() as db:
            entry = dispatching.acknowledge(db, dispatch_id=dispatch_id, user=current_user,
                                            on=request.form.get("on"),
                                            by=request.form.get("by"))
            number, code = entry.number, entry.office.code
    except NotFound:
        abort(404)
    except (FileMoved, InvalidInput, NotAllowed) as exc:
        flash(say(exc), "error")
        return _back()
    flash(_("Acknowledgement of %(number)s recorded.", number=number), "info")
    return _back(code)


def _letter(db, dispatch_id):
    try:
        entry = dispatching.entry_for(db, current_user, dispatch_id)
    except (NotFound, NotAllowed) as exc:
        refuse(exc)
    return entry, letters.letter_of(db, entry)


@bp.route("/<int:dispatch_id>/letter")
@login_required
def letter(dispatch_id):
    with transaction() as db:
        entry, sheet = _letter(db, dispatch_id)
        return render_template("dispatch/letter.html", entry=entry, letter=sheet,
                               labels=letters.LABELS)


@bp.route("/<int:dispatch_id>/letter.pdf")
@login_required
def letter_pdf(dispatch_id):
    with transaction() as db:
        entry, sheet = _letter(db, dispatch_id)
        body, name = letters.letter_pdf(sheet), entry.number.replace("/", "-")
    return Response(body, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}.pdf"'})
