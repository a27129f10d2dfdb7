"""Sanchika's web app: pages for officers and administrators."""

import os
import secrets
from datetime import timedelta
from pathlib import Path

from flask import Flask

from workflows.db import DEFAULT_INSTANCE, make_engine, make_sessionmaker


def create_app(config=None):
    """Build the app. ``config`` may set DATABASE_URL, SECRET_KEY, ATTACHMENTS, TESTING...

    Creating the app starts nothing in the background: the scheduler is started by
    ``sanchika serve`` or ``sanchika scheduler`` only.
    """
    from . import security, throttle
    app = Flask(__name__, instance_path=str(Path(DEFAULT_INSTANCE).resolve()))
    app.config.update(
        DATABASE_URL=None,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=os.environ.get("SANCHIKA_SECURE_COOKIES", "") == "1",
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=30),
        MAX_CONTENT_LENGTH=64 * 1024 * 1024,  # larger uploads are refused with a message by the service
        SEND_FILE_MAX_AGE_DEFAULT=timedelta(days=7),
        # how long a mailed link to choose a password stays good, from when it was sent
        PASSWORD_LINK_DAYS=int(os.environ.get("SANCHIKA_PASSWORD_LINK_DAYS") or 3),
        **security.settings(),
        **throttle.settings(),
    )
    app.config.update(config or {})
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = os.environ.get("SANCHIKA_SECRET_KEY") or _instance_secret(app)
    factory = app.config.get("SESSION_FACTORY")  # tests hand in one bound to their transaction
    if factory is None:
        factory = make_sessionmaker(make_engine(app.config["DATABASE_URL"]))
    app.extensions["sanchika.sessionmaker"] = factory

    _register(app)
    return app


def _register(app):
    """The app's extensions and blueprints."""
    # their views hang on the file pages' blueprint
    from . import copies, drafts, putting_up  # noqa: F401
    from . import diary  # noqa: F401  (its views hang on the receipts' blueprint)
    from . import (account, admin, api, attendance, auth, dispatch, errors, files, handover,
                   i18n, inbox, navigation, outbox, receipts, records, reports, security,
                   signing, tokens, vendor)
    security.init_app(app)
    i18n.init_app(app)
    errors.init_app(app)
    admin.init_app(app)
    account.init_app(app)
    navigation.init_app(app)
    dispatch.init_app(app)
    for bp in (auth.bp, inbox.bp, outbox.bp, files.bp, receipts.bp, vendor.bp, reports.bp,
               reports.search_bp, records.bp, api.bp, tokens.bp, signing.bp, attendance.bp,
               handover.bp):
        app.register_blueprint(bp)


def _instance_secret(app):
    """A secret kept in the instance folder, made once, so sessions survive restarts."""
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
