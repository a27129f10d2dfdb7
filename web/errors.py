"""Error pages: a clear sentence and a way back, never a stack trace."""

from flask import render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException


def init_app(app):
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)


def _http_error(exc):
    messages = {
        400: _("The form has expired or was not complete. Reload the page and try again."),
        403: _("You may not see or do this."),
        404: _("There is no such page or file, or it is not yours to see."),
        413: _("The upload is too large. Documents may be at most 20 MB each."),
    }
    detail = exc.description if exc.code == 403 and exc.description and \
        exc.description != type(exc).description else messages.get(exc.code, exc.name)
    return render_template("errors/error.html", code=exc.code, message=detail,
                           back=request.referrer), exc.code


def _unexpected(exc):
    from flask import current_app
    current_app.logger.exception("unexpected error on %s", request.path)
    return render_template("errors/error.html", code=500,
                           message=_("Something went wrong on our side; nothing was saved half-way. Try again."),
                           back=request.referrer), 500
