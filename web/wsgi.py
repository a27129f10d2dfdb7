"""The WSGI entry point for gunicorn (``gunicorn -w 4 web.wsgi:app``).  No scheduler runs in
the workers: run ``sanchika scheduler`` beside them (see docs/deploy.md)."""

from web import create_app

app = create_app()
