"""Signing, as officials and the public meet it: an official's signing PIN (choose it, change
it, replace a forgotten one with the password), the office's certificate and its revocation
list, published for anyone, and the public page that verifies an issued order."""

from flask import (Blueprint, Response, abort, current_app, flash, redirect, render_template,
                   request, url_for)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from workflows import org
from workflows.errors import InvalidInput, NotAllowed, NotFound, SanchikaError
from workflows.files.attachments import default_store
from workflows.models import User
from workflows.signing import authority, esign, esigning, officials, orders

from . import throttle
from .i18n import say
from .security import limiter, transaction

bp = Blueprint("signing", __name__)


@bp.route("/password/signing", methods=["GET", "POST"])
@login_required
@throttle.pin_guard
def pin_page():
    status = 200
    with transaction() as db:
        user = db.get(User, current_user.id)
        if request.method == "POST":
            try:
                with db.begin_nested():
                    _change(db, user)
            except (InvalidInput, NotAllowed) as exc:
                throttle.note_wrong_pin(exc)
                flash(say(exc), "error")
                status = 400
        page = render_template("auth/signing.html", key=officials.key_of(db, user))
    if request.method == "POST" and status == 200:
        return redirect(url_for("signing.pin_page"))
    return page, status, {"Cache-Control": "no-store"}


def _change(db, user):
    form = request.form
    action = form.get("do", "")
    if action == "choose":
        officials.choose_pin(db, user, form.get("pin"), form.get("repeat"))
        flash(_("Your signing PIN is set: you sign with it as you send files and issue orders."),
              "ok")
    elif action == "change":
        officials.change_pin(db, user, form.get("old_pin"), form.get("pin"), form.get("repeat"))
        flash(_("Your signing PIN is changed."), "ok")
    elif action == "replace":
        officials.replace_key(db, user, form.get("password"), form.get("pin"),
                              form.get("repeat"))
        flash(_("You have a new signing key and PIN; the certificates of the old key are "
                "revoked, and what you signed with it stays valid."), "ok")
    else:
        abort(400)


@bp.route("/signing/<code>/authority.pem")
def authority_pem(code):
    """The office's certificate, for readers to trust its signed orders."""
    with transaction() as db:
        pem = authority.require_authority(db, _office(db, code)).certificate
    return Response(pem, mimetype="application/x-pem-file", headers={
        "Content-Disposition": f'attachment; filename="{code.upper()}-authority.pem"'})


@bp.route("/signing/<code>/asp.pem")
def asp_pem(code):
    """The office's certificate as an eSign ASP, to register with its eSign provider."""
    with transaction() as db:
        pem = authority.require_authority(db, _office(db, code)).esign_asp_certificate
    if not pem:
        abort(404)
    return Response(pem, mimetype="application/x-pem-file", headers={
        "Content-Disposition": f'attachment; filename="{code.upper()}-asp.pem"'})


@bp.route("/signing/<code>/crl")
def revocation_list(code):
    """The office's certificate revocation list (DER), made as it is asked for."""
    with transaction() as db:
        data = authority.crl(db, _office(db, code))
    return Response(data, mimetype="application/pkix-crl", headers={
        "Content-Disposition": f'attachment; filename="{code.upper()}.crl"',
        "Cache-Control": "max-age=300"})


def _verify_limit():
    return current_app.config["VERIFY_LIMIT"]


# Anyone may check a PDF; each is read through (pyHanko), so one address is held to a pace
@bp.route("/verify", methods=["GET", "POST"])
@limiter.limit(_verify_limit, methods=["POST"])
def verify():
    """The public verification page: a short code typed, or a PDF uploaded."""
    if request.method == "GET" and request.args.get("code"):
        return redirect(url_for("signing.verify_code", code=orders.normal_code(
            request.args["code"])))
    return _verification(None)


@bp.route("/verify/<code>", methods=["GET", "POST"])
@limiter.limit(_verify_limit, methods=["POST"])
def verify_code(code):
    """What the QR code on an order leads to: the order's number, date, post and status."""
    return _verification(code)


def _verification(code):
    upload = request.files.get("pdf") if request.method == "POST" else None
    if request.method == "POST" and (upload is None or not upload.filename):
        flash(_("Choose the PDF to check."), "error")
    with transaction() as db:
        order = orders.issued(db, code) if code else None
        checked = orders.check_upload(db, upload.read()) if upload and upload.filename else None
        page = render_template("signing/verify.html", code=code, order=order, checked=checked)
    return page, 404 if code and order is None else 200


@bp.route("/esign/answer", methods=["POST"])
def esign_answer():
    """The eSign provider's answer, posted by the official's browser from the provider's site
    (so without this site's cookies: nothing here may set one, or it would sign them off)."""
    document = request.form.get("eSignResponse", "")
    try:
        with transaction() as db:
            txn = esign.txn_of(document)
            esigning.finish_esign(db, document, current_app.config.get("ATTACHMENTS")
                                  or default_store())
    except SanchikaError as exc:
        return Response(f"{exc}\n", status=400, mimetype="text/plain")
    return redirect(url_for("signing.esign_done", txn=txn), code=303)


@bp.route("/esign/done/<txn>")
@login_required
def esign_done(txn):
    """Back from the eSign provider, with this site's cookies: say how it went."""
    with transaction() as db:
        done = esigning.outcome(db, txn, current_user)
        if done is None:
            abort(404)
        draft, outcome = done
        if outcome == "signed":
            flash(_("Issued as %(number)s, signed with Aadhaar eSign.",
                    number=draft.issue_number), "ok")
        else:
            flash(_("The eSign provider did not sign the order, which stays approved: "
                    "%(why)s", why=outcome), "error")
        file_id = draft.file_id
    return redirect(url_for("files.show", file_id=file_id) + "#drafts")


def _office(db, code):
    try:
        office = org.office_by_code(db, code)
        authority.require_authority(db, office)
    except NotFound:
        abort(404)
    return office
