"""Error pages: a clear sentence and a way back, never a stack trace."""

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from workflows.errors import NotAllowed, NotFound, SanchikaError

from .i18n import say


def init_app(app):
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(SanchikaError, _refused)
    app.register_error_handler(Exception, _unexpected)


def _refused(exc):
    """A refusal no view turned into a message (an unknown id in an address, say): 404 for
    what is not there, 403 for what is not allowed, 400 for the rest, in the user's language."""
    code = 404 if isinstance(exc, NotFound) else 403 if isinstance(exc, NotAllowed) else 400
    if request.path.startswith("/api/"):
        return jsonify(error=str(exc)), code
    message = _messages()[404] if code == 404 else say(exc)
    return render_template("errors/error.html", code=code, message=message,
                           back=request.referrer), code


def _messages():
    return {
        400: _("The form has expired or was not complete. Reload the page and try again."),
        403: _("You may not see or do this."),
        404: _("There is no such page or file, or it is not yours to see."),
        413: _("The upload is too large. Documents may be at most 20 MB each."),
        429: _("Too many tries in a short time. Wait a few minutes and try again."),
    }


def _http_error(exc):
    if request.path.startswith("/api/"):
        return _api_error(exc)
    detail = exc.description if exc.code == 403 and exc.description and \
        exc.description != type(exc).description else _messages().get(exc.code, exc.name)
    return render_template("errors/error.html", code=exc.code, message=detail,
                           back=request.referrer), exc.code


def _unexpected(exc):
    from flask import current_app
    current_app.logger.exception("unexpected error on %s", request.path)
    if request.path.startswith("/api/"):
        return jsonify(error="something went wrong on our side; nothing was saved"), 500
    return render_template("errors/error.html", code=500,
                           message=_("Something went wrong on our side; nothing was saved half-way. Try again."),
                           back=request.referrer), 500


def _api_error(exc):
    """The JSON API answers in JSON, even for a wrong address or an expired form token."""
    messages = {400: "the request is malformed or its CSRF token is missing",
                401: "sign in: send 'Authorization: Bearer <token>'",
                404: "no such resource, or it is not yours to see",
                405: "this method is not allowed here",
                413: "the request is too large",
                429: "too many requests; wait and try again"}
    message = messages.get(exc.code, exc.name.lower())
    if exc.description and exc.description != type(exc).description:
        message = exc.description
    response = jsonify(error=message)
    response.status_code = exc.code or 500
    if exc.code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="sanchika"'
    if exc.code == 405 and hasattr(exc, "valid_methods") and exc.valid_methods:
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response
