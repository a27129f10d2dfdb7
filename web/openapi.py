"""The OpenAPI document of /api/v1, made by spectree from the Pydantic models that check the API's
input (web/api_schemas.py), and ``operation``, which puts an API view under both: a token, the
content types the operation takes, its fields checked, every refusal JSON with its status.

A refusal is ``{"error": "..."}``; input that does not fit its schema also lists
``problems`` (the field and what is wrong with it), so a script can tell which field to mend.
"""

import functools

from flask import abort, current_app, jsonify, request
from flask_login import current_user
from spectree import Response, SecurityScheme, SecuritySchemeData, SpecTree
from werkzeug.exceptions import BadRequest

from workflows.errors import FileMoved, InvalidInput, NotAllowed, NotFound

from . import throttle
from .api_schemas import Error

STATUS = {FileMoved: 409, NotFound: 404, NotAllowed: 403, InvalidInput: 400}
JSON = "application/json"
FORMS = ("multipart/form-data", "application/x-www-form-urlencoded")


def _answer_bad_input(_request, response, error, _instance, _adapter):
    """spectree's hook after the check of the input: say what is wrong, and where."""
    if error is None:
        return
    problems = [{"field": _where(e["loc"]), "message": e["msg"]}
                for e in error.errors(include_url=False, include_context=False,
                                      include_input=False)]
    said = "; ".join(f"'{p['field']}': {p['message']}" if p["field"] else p["message"]
                     for p in problems)
    response.set_data(current_app.json.dumps({"error": said, "problems": problems}))
    response.mimetype = JSON


def _answer_bad_output(_request, response, error, _instance, _adapter):
    """spectree's hook after the check of the answer: an answer that does not match the
    document is our fault; it is logged and said so (the work may well have been done)."""
    if error is None:
        return
    current_app.logger.error("%s answered outside its description: %s", request.path, error)
    response.set_data(current_app.json.dumps({
        "error": "something went wrong on our side: the answer did not match the API's "
                 "description. What was asked may have been done: read it again before "
                 "trying again"}))
    response.mimetype = JSON


def _where(location):
    return ".".join(str(part) for part in location)


spec = SpecTree(
    "flask", mode="strict", annotations=True, title="Sanchika API", version="1",
    description="Open files, diarise receipts, act on steps and read the track with a user's "
                "token and that user's rights. Make a token on the 'API tokens' page or with "
                "'sanchika token create --as LOGIN'. Fields not described here are ignored.",
    security_schemes=[SecurityScheme(name="bearer", data=SecuritySchemeData(
        type="http", scheme="bearer", description="a token from the 'API tokens' page"))],
    security={"bearer": []},
    validation_error_status=400, validation_error_model=Error,
    before=_answer_bad_input, after=_answer_bad_output,
    naming_strategy=lambda model: model.__name__,
    nested_naming_strategy=lambda _parent, child: child)


def operation(answer, *, status=200, json=None, form=None, query=None, refusals=(), path=None):
    """Put an API view under the document: ``answer`` is the model of what it returns with
    ``status``; ``json``, ``form`` and ``query`` the models of what it takes; ``refusals`` the
    statuses of the services' refusals it may give besides 400 and 401; ``path`` describes
    the parameters in its URL."""
    codes = {400, 401, *refusals} | ({415} if json or form else set())
    responses = Response(**{f"HTTP_{status}": answer}, **{f"HTTP_{c}": Error for c in codes})

    def decorate(view):
        checked = spec.validate(json=json, form=form, query=query, resp=responses,
                                operation_id=view.__name__,
                                path_parameter_descriptions=path)(view)

        @functools.wraps(checked)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:  # on /api/ only a bearer token signs one in
                abort(401)
            if json or form:
                refused = _refuse_body(JSON if json else None, FORMS if form else ())
                if refused is not None:
                    return refused
            try:
                return checked(*args, **kwargs)
            except (FileMoved, NotFound, NotAllowed, InvalidInput) as exc:
                throttle.note_wrong_pin(exc)
                code = next(code for kind, code in STATUS.items() if isinstance(exc, kind))
                return jsonify(error=str(exc)), code
        return wrapped
    return decorate


def _refuse_body(json, forms):
    """A refusal for a body of a type the operation does not take, or JSON that is no object."""
    if request.mimetype == json:
        if not request.get_data():
            return jsonify(error="the body is empty: send a JSON object"), 400
        try:
            body = request.get_json()
        except BadRequest:
            return jsonify(error="the body is not valid JSON"), 400
        except RecursionError:
            return jsonify(error="the body is nested too deeply"), 400
        if not isinstance(body, dict):
            return jsonify(error="the body must be a JSON object"), 400
        return None
    if request.mimetype in forms:
        return None
    taken = " or ".join(([json] if json else []) + list(forms))
    sent = request.mimetype or "no Content-Type"
    return jsonify(error=f"the body must be sent as {taken}, not {sent}"), 415


def document():
    """The OpenAPI document, made once from the views under ``operation``."""
    return spec.spec
