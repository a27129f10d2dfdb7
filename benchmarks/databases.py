"""A database of its own for one benchmark run: a temporary SQLite file, or a fresh database on
a PostgreSQL server (made beside the server's own, dropped afterwards)."""

import os
import tempfile

from sqlalchemy import text
from sqlalchemy.engine import make_url

from workflows.db import make_engine


def create_database(url, prefix="sanchika_bench"):
    """Return (url to use, cleanup): a temporary SQLite file, or a fresh PostgreSQL database."""
    if url is None:
        folder = tempfile.TemporaryDirectory(prefix=prefix + "_")
        return f"sqlite:///{folder.name}/bench.db", folder.cleanup
    if not url.startswith("postgresql"):
        raise SystemExit("--database takes a postgresql:// URL (or nothing, for SQLite)")
    name = f"{prefix}_{os.getpid()}"
    server = make_engine(make_url(url).set(database="postgres").render_as_string(False),
                         isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()
    return make_url(url).set(database=name).render_as_string(False), drop
