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

    from . import auth, errors, files, i18n, inbox, outbox, receipts, vendor
    from . import api, tokens
    security.init_app(app)
    i18n.init_app(app)
    errors.init_app(app)
    from . import account, admin
    admin.init_app(app)
    account.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(inbox.bp)
    app.register_blueprint(outbox.bp)
    app.register_blueprint(files.bp)
    app.register_blueprint(receipts.bp)
    app.register_blueprint(vendor.bp)
    from . import reports
    app.register_blueprint(reports.bp)
    app.register_blueprint(reports.search_bp)
    from . import records
    app.register_blueprint(records.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(tokens.bp)
    return app


def _instance_secret(app):
    """A secret kept in the instance folder, made once, so sessions survive restarts."""
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
