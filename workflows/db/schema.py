"""Creating and migrating the database with Alembic, from code (``sanchika init``) or tests."""

from pathlib import Path

from alembic import command
from alembic.config import Config

import migrations

MIGRATIONS = Path(migrations.__file__).parent


def alembic_config(url=None, connection=None):
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine):
    """Bring the database behind ``engine`` to the newest schema."""
    with engine.begin() as connection:
        # "heads": branches made side by side (one per feature) are all applied
        command.upgrade(alembic_config(connection=connection), "heads")


def current_revision(engine):
    from alembic.migration import MigrationContext
    with engine.connect() as connection:
        return ", ".join(sorted(MigrationContext.configure(connection).get_current_heads()))


def include_name(name, type_, parent_names):
    """For comparing the schema with the models: leave out the full-text search objects that
    migration 0006 makes outside the models (FTS5 tables on SQLite, GIN indexes on PostgreSQL)."""
    return not (name or "").startswith(("search_", "ix_search_"))
