"""The JSON API (/api/v1): other systems open files, diarise receipts, act on steps and read
the track with a user's token, under exactly that user's rights.

Every answer is JSON; a refusal is ``{"error": "..."}`` with 400 (bad input), 401 (no valid
token), 403 (not allowed), 404 (no such thing, or not yours to see) or 409 (the file moved).
"""

import base64
import binascii
import functools

from flask import Blueprint, abort, current_app, jsonify, request
from flask_login import current_user
from sqlalchemy import select

from workflows import access, attachments, filing, inbox, org, receipts, workspace
from workflows.errors import FileMoved, InvalidInput, NotAllowed, NotFound
from workflows.models import File

from . import openapi
from .security import transaction

bp = Blueprint("api", __name__, url_prefix="/api/v1")

MAX_ID = 2**31 - 1
STATUS = {FileMoved: 409, NotFound: 404, NotAllowed: 403, InvalidInput: 400}


def api_view(view):
    """A token is required; a refusal from the services becomes JSON with its status."""
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:  # on /api/ only a bearer token signs one in
            abort(401)
        try:
            return view(*args, **kwargs)
        except (FileMoved, NotFound, NotAllowed, InvalidInput) as exc:
            status = next(code for kind, code in STATUS.items() if isinstance(exc, kind))
            return jsonify(error=str(exc)), status
    return wrapped


@bp.route("/openapi.json")
def openapi_document():
    return jsonify(openapi.DOCUMENT)


@bp.route("/files", methods=["POST"])
@api_view
def open_file():
    body = _body()
    with transaction() as db:
        office = _office(db, _text(body, "office"))
        file = filing.open_file(db, office=office, user=current_user, route_key=_text(body, "route"),
                                subject=_text(body, "subject"),
                                priority=_text(body, "priority") or "Normal",
                                category=_text(body, "category"), first_note=_text(body, "note"))
        result = _file_json(db, file)
    return jsonify(result), 201


@bp.route("/files/<path:ref>")
@api_view
def show_file(ref):
    with transaction() as db:
        file = _file(db, ref)
        result = _file_json(db, file)
    return jsonify(result)


@bp.route("/files/<int:file_id>/track")
@api_view
def track(file_id):
    with transaction() as db:
        file = _file(db, str(file_id))
        result = {"number": file.number, "track": _track(db, file)}
    return jsonify(result)


@bp.route("/files/<int:file_id>/act", methods=["POST"])
@api_view
def act(file_id):
    body = _body()
    with transaction() as db:
        file = _file(db, str(file_id))
        filing.act(db, number=file.number, user=current_user, choice=_text(body, "choice"),
                   remark=_text(body, "remark"), reason=_text(body, "reason"),
                   task_id=_id(body, "task_id"), to_post_id=_id(body, "to_post_id"))
        result = _file_json(db, file)
    return jsonify(result)


@bp.route("/inbox")
@api_view
def waiting():
    with transaction() as db:
        rows = inbox.inbox(db, current_user, priority=request.args.get("priority") or None,
                           query=_clean(request.args.get("q", ""), "q")[:200])
        result = [{"file_id": r.file.id, "number": r.file.number, "subject": r.file.subject,
                   "priority": r.file.priority, "task_id": r.task.id, "step": r.task.step_name,
                   "post": r.post.title, "since": _iso(r.task.since), "due_at": _iso(r.task.due_at),
                   "overdue": r.overdue, "pending_days": r.pending_days, "sender": r.sender}
                  for r in rows]
    return jsonify(files=result)


@bp.route("/receipts", methods=["POST"])
@api_view
def diarise():
    body = _body()
    with transaction() as db:
        office = _office(db, _text(body, "office"))
        receipt = receipts.diarise_receipt(
            db, office=office, user=current_user, subject=_text(body, "subject"),
            sender=_text(body, "sender"), sender_address=_text(body, "sender_address"),
            letter_number=_text(body, "letter_number"),
            letter_date=_text(body, "letter_date") or None,
            received_on=_text(body, "received_on") or None,
            mode=_text(body, "mode") or "Portal", document=_document(body),
            store=current_app.config.get("ATTACHMENTS") or attachments.default_store())
        result = {"id": receipt.id, "number": receipt.number, "subject": receipt.subject,
                  "sender": receipt.sender_name, "received_on": receipt.received_on.isoformat(),
                  "mode": receipt.mode, "status": receipt.status,
                  "holder_post": receipt.holder_post.title,
                  "document": receipt.document_filename}
    return jsonify(result), 201


def _body():
    """The request's fields: a JSON object, or a form (multipart for a receipt's letter)."""
    if request.mimetype == "application/json":
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise InvalidInput("the body must be a JSON object")
        return body
    return request.form.to_dict()


def _clean(value, name):
    """Text the database can keep: no NUL, no lone surrogates."""
    if "\x00" in value:
        raise InvalidInput("'%(name)s' contains a NUL character", name=name)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput("'%(name)s' is not valid Unicode text", name=name) from None
    return value


def _text(body, name):
    value = body.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput("'%(name)s' must be a string", name=name)
    return _clean(value, name)


def _id(body, name):
    value = body.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
        raise InvalidInput("'%(name)s' must be a positive whole number", name=name)
    return value


def _office(db, code):
    """The office named by ``code``, or the caller's first office when none is named."""
    offices = sorted({p.office for p in org.posts_of(db, current_user)}, key=lambda o: o.code)
    if not offices:
        raise NotAllowed("you hold no post in any office")
    if not code:
        return offices[0]
    office = next((o for o in offices if o.code == code.strip()), None)
    if office is None:
        raise NotFound("no office with the code '%(code)s' among yours", code=code)
    return office


def _file(db, ref):
    """The file by id or by number, if the caller may see it."""
    ref = _clean(ref, "file").strip()
    if ref.isdigit() and len(ref) < 11:
        file = db.get(File, int(ref)) if int(ref) <= MAX_ID else None
    else:
        file = db.scalar(select(File).where(File.number == ref))
    if file is None:
        raise NotFound("no such file")
    access.check_can_view(db, current_user, file)
    return file


def _document(body):
    """The scanned letter: a multipart part "document", or JSON ``{"filename", "content_base64"}``."""
    upload = request.files.get("document")
    if upload is not None and upload.filename:
        return upload.filename, upload.read()
    item = body.get("document") if isinstance(body, dict) else None
    if item is None or item == "":
        return None
    if not isinstance(item, dict):
        raise InvalidInput("'document' must be an object with filename and content_base64")
    filename, content = _text(item, "filename"), _text(item, "content_base64")
    try:
        data = base64.b64decode(content, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("the document's content_base64 is not base64") from None
    return filename, data


def _iso(moment):
    return moment.isoformat() if moment is not None else None


def _post(post):
    return {"id": post.id, "title": post.title} if post is not None else None


def _track(db, file):
    return [{"id": m.id, "kind": m.kind, "at": _iso(m.at), "from_post": _post(m.from_post),
             "from_user": m.from_user.name if m.from_user else None, "to_post": _post(m.to_post),
             "step": m.step_name, "choice": m.choice, "remark": m.remark}
            for m in filing.track(db, file)]


def _file_json(db, file):
    """The file, who holds it, the choices open to the caller now, and its track."""
    view = workspace.file_view(db, current_user, file)
    return {
        "id": file.id, "number": file.number, "subject": file.subject,
        "priority": file.priority, "category": file.category, "status": file.status,
        "outcome": file.outcome or None, "office": file.office.code,
        "created_at": _iso(file.created_at),
        "holders": [{"task_id": t.id, "step": t.step_name, "post": _post(t.post),
                     "since": _iso(t.since), "due_at": _iso(t.due_at),
                     "users": [u.name for u in users]} for t, users in view.holders],
        "choices": [{"task_id": a.task_id, "step": a.step_name, "post": _post(a.post),
                     "choices": [{"choice": c, "next_role": role,
                                  "posts": [_post(p) for p in posts]}
                                 for c, role, posts in a.choices]} for a in view.actions],
        "track": _track(db, file),
    }
