"""The file pages: open a file, the workspace (notes, documents, drafts, track, actions), the
route diagram, and every action an official takes on a file."""

import time
from urllib.parse import quote

from flask import (Blueprint, Response, abort, current_app, flash, jsonify, redirect,
                   render_template, request, url_for)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_babel import lazy_gettext as _l
from flask_limiter import RateLimitExceeded
from flask_login import current_user, login_required

from workflows.files import attachments, filing, notes, receipts, workspace
from workflows import org
from workflows.routes import routing
from workflows.errors import FileMoved, InvalidInput, NotAllowed, NotFound, SanchikaError
from workflows.models import DISPATCH_MODES, DRAFT_KINDS, PRIORITIES
from workflows.files.tracking import step_states

from . import throttle
from .i18n import drawn_in_language, num as digits, say
from .security import refuse, transaction, visible_file

bp = Blueprint("files", __name__, url_prefix="/files")


@bp.errorhandler(RateLimitExceeded)
def _pins_throttled(exc):
    """Too many wrong PINs: the file page again, saying until when signing waits."""
    flash(exc.description, "error")
    wait, _time = throttle.retry_after(time.time())
    return _page(request.view_args["file_id"], form={}), 429, {"Retry-After": str(wait)}


def document_store():
    return current_app.config.get("ATTACHMENTS") or attachments.default_store()


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    with transaction() as db:
        offices = {p.office for p in org.posts_of(db, current_user)}
        office = _chosen_office(db, offices)
        routes = [r for r, _count, _latest in routing.list_routes(db, office)] if office else []
        form = request.form if request.method == "POST" else {}
        if request.method == "POST":
            try:
                with db.begin_nested():
                    file = filing.open_file(
                        db, office=office, user=current_user, route_key=form.get("route", ""),
                        subject=form.get("subject", ""), priority=form.get("priority", "Normal"),
                        category=form.get("category", ""), first_note=form.get("note", ""))
                    for upload in request.files.getlist("documents"):
                        if upload and upload.filename:
                            attachments.attach(db, number=file.number, user=current_user,
                                               filename=upload.filename, data=upload.read(),
                                               store=document_store())
                flash(_("File %(number)s opened.", number=file.number), "info")
                return redirect(url_for("files.show", file_id=file.id))
            except (InvalidInput, NotAllowed, NotFound) as exc:
                flash(say(exc), "error")
        page = render_template("files/new.html", offices=sorted(offices, key=lambda o: o.code),
                               office=office, routes=routes, priorities=PRIORITIES, form=form)
    return page, (400 if request.method == "POST" else 200)


def _chosen_office(db, offices):
    code = request.values.get("office")
    for office in offices:
        if office.code == code:
            return office
    return sorted(offices, key=lambda o: o.code)[0] if offices else None


@bp.route("/<int:file_id>")
@login_required
def show(file_id):
    return _page(file_id, form={})


def _page(file_id, form):
    """The file page, with ``form`` (what the official typed) in its forms."""
    with transaction() as db:
        file = visible_file(db, file_id)
        filing.mark_opened(db, file, current_user)
        view = workspace.file_view(db, current_user, file)
        page = render_template("files/show.html", v=view, form=form, draft_kinds=DRAFT_KINDS,
                               dispatch_modes=DISPATCH_MODES)
    return page


def act_on(file_id, action):
    """Run ``action(db, file)`` for a file the user may see and flash what it says.  A refusal
    sends the official back to the file page with the refusal and what they typed; success
    returns None so the view picks where to go next.

    The action is the request's only write, so a refusal rolls back the whole transaction
    (no savepoint: on PostgreSQL that would cost two round trips more, and send the action's
    writes apart from its COMMIT)."""
    try:
        with transaction() as db:
            file = visible_file(db, file_id)
            message = action(db, file)
    except (FileMoved, InvalidInput, NotAllowed) as exc:
        throttle.note_wrong_pin(exc)
        flash(say(exc), "error")
        # the file page again, at once, with what the official typed: it stays out of the
        # address (a 70 KB remark made a 70 KB Location header) and out of the logs
        kept = {k: v for k, v in request.form.items()
                if k in ("remark", "reason", "note", "task_id", "put_up_reason")}
        return _page(file_id, form=kept), 409 if isinstance(exc, FileMoved) else 400
    if message:
        flash(str(message), "info")
    return None


def back(file_id):
    """Back to the file page, after an action done."""
    return redirect(url_for("files.show", file_id=file_id) + "#actions")


@bp.route("/<int:file_id>/act", methods=["POST"])
@login_required
@throttle.pin_guard
def act(file_id):
    form = request.form

    def run(db, file):
        to_post = form.get("to_post") or None
        filing.act(db, number=file.number, user=current_user, choice=form.get("choice", ""),
                   remark=form.get("remark", ""), reason=form.get("reason", ""),
                   task_id=form.get("task_id"), mark_to=form.getlist("mark_to"),
                   pin=form.get("pin"),
                   to_post_id=int(to_post) if to_post and to_post.isdigit() else None)
        return _("File %(number)s sent on: %(choice)s.", number=file.number,
                 choice=form.get("choice", ""))
    return act_on(file_id, run) or redirect(url_for("inbox.index"))


@bp.route("/<int:file_id>/notes", methods=["POST"])
@login_required
def add_note(file_id):
    def run(db, file):
        paragraph = request.form.get("paragraph")
        if paragraph and paragraph.isdigit():
            notes.edit_note(db, number=file.number, paragraph=int(paragraph), user=current_user,
                            body=request.form.get("note", ""))
            return _("Note paragraph %(n)s saved.", n=paragraph)
        note = notes.add_note(db, number=file.number, user=current_user,
                              body=request.form.get("note", ""),
                              task_id=request.form.get("task_id") or None)
        return _("Note paragraph %(n)s added.", n=note.number)
    return act_on(file_id, run) or back(file_id)


@bp.route("/<int:file_id>/documents", methods=["POST"])
@login_required
def attach(file_id):
    def run(db, file):
        uploads = [u for u in request.files.getlist("documents") if u and u.filename]
        if not uploads:
            raise InvalidInput("Choose a document to attach.")
        for upload in uploads:
            attachments.attach(db, number=file.number, user=current_user, filename=upload.filename,
                               data=upload.read(), store=document_store())
        return ngettext("%(count)s document attached.", "%(count)s documents attached.",
                        len(uploads), count=digits(len(uploads)))
    return act_on(file_id, run) or back(file_id)


@bp.route("/<int:file_id>/documents/<int:attachment_id>")
@login_required
def document(file_id, attachment_id):
    item, data = stored(file_id, lambda db: attachments.read_attachment(db, attachment_id,
                                                                         document_store()))
    return inline(data, item.content_type, item.filename)


def stored(file_id, read):
    """A document of the file ``file_id`` read by ``read(db)`` -> (row, bytes), if the user may
    see the file and the document is the file's own."""
    with transaction() as db:
        file = visible_file(db, file_id)
        try:
            item, data = read(db)
        except SanchikaError as exc:
            refuse(exc)
        if item.file_id != file.id:
            abort(404)
    return item, data


def inline(data, content_type, filename):
    """A stored document, shown in the page (or downloaded with ?download=1), never run."""
    response = Response(data, mimetype=content_type)
    disposition = "attachment" if request.args.get("download") else "inline"
    response.headers["Content-Disposition"] = (f"{disposition}; filename*=UTF-8''"
                                               f"{quote(filename, safe='')}")
    response.headers["Cache-Control"] = "private, max-age=86400"
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'self'"
    return response


def _simple(verb, service, done, by_part=False):
    def view(file_id):
        def run(db, file):
            part = {"task_id": request.form.get("task_id") or None} if by_part else {}
            service(db, number=file.number, user=current_user, remark=request.form.get("remark", ""),
                    **part)  # park and unpark: the part named, when the official holds several
            return done
        return act_on(file_id, run) or back(file_id)
    view.__name__ = verb
    bp.add_url_rule(f"/<int:file_id>/{verb}", verb, login_required(view), methods=["POST"])


_simple("park", filing.park, _l("File parked."), by_part=True)
_simple("unpark", filing.unpark, _l("File taken up again."), by_part=True)


@bp.route("/<int:file_id>/close", methods=["POST"])
@login_required
def close(file_id):
    def run(db, file):
        filing.close(db, number=file.number, user=current_user,
                     retention=request.form.get("retention", ""),
                     keep_years=request.form.get("keep_years") or None,
                     remark=request.form.get("remark", ""))
        return _("File closed.")
    return act_on(file_id, run) or back(file_id)


_simple("reopen", filing.reopen, _l("File reopened."))


@bp.route("/<int:file_id>/pull-back", methods=["POST"])
@login_required
def pull_back(file_id):
    def run(db, file):
        filing.pull_back(db, number=file.number, user=current_user)
        return _("File %(number)s pulled back.", number=file.number)
    return act_on(file_id, run) or back(file_id)


@bp.route("/<int:file_id>/route")
@login_required
def diagram(file_id):
    with transaction() as db:
        file = visible_file(db, file_id)
        page = render_template("files/diagram.html", file=file,
                               route=file.route_version.route, version=file.route_version)
    return page


@bp.route("/<int:file_id>/route.bpmn")
@login_required
def route_xml(file_id):
    with transaction() as db:
        file = visible_file(db, file_id)
        xml = drawn_in_language(file.route_version.xml)
    return Response(xml, mimetype="application/xml",
                    headers={"Cache-Control": "private, max-age=86400"})


@bp.route("/<int:file_id>/route-state.json")
@login_required
def route_state(file_id):
    with transaction() as db:
        file = visible_file(db, file_id)
        return jsonify(step_states(db, file))


@bp.route("/<int:file_id>/receipts/<int:receipt_id>/letter")
@login_required
def receipt_letter(file_id, receipt_id):
    item, data = stored(file_id, lambda db: receipts.read_receipt_document(db, receipt_id,
                                                                            document_store()))
    return inline(data, item.document_type, item.document_filename)
