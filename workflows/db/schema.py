"""Creating and migrating the database with Alembic, from code (``sanchika init``) or tests."""

from importlib.util import find_spec
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.environment import NameFilterParentNames, NameFilterType
from sqlalchemy import Connection, Engine


def migrations_dir() -> Path:
    """Where the Alembic scripts are: the ``migrations`` package found on the import path as
    an import would find it (in the checkout or in site-packages), without running it; the
    migrations import ``workflows``, not the other way round."""
    spec = find_spec("migrations")
    for location in (spec.submodule_search_locations or []) if spec else []:
        if (Path(location) / "env.py").is_file():
            return Path(location)
    raise RuntimeError("Sanchika's Alembic migrations are not installed beside workflows")


def alembic_config(url: str | None = None, connection: Connection | None = None) -> Config:
    """Alembic's configuration for Sanchika's migrations, on ``url`` or an open ``connection``."""
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine: Engine) -> None:
    """Bring the database behind ``engine`` to the newest schema."""
    with engine.begin() as connection:
        migrate(connection)


def migrate(connection: Connection) -> None:
    """Bring the database to the newest schema in the transaction of ``connection``."""
    # "heads": branches made side by side (one per feature) are all applied
    command.upgrade(alembic_config(connection=connection), "heads")


def current_revision(engine: Engine) -> str:
    """The revisions the database behind ``engine`` is at, comma-separated."""
    from alembic.migration import MigrationContext
    with engine.connect() as connection:
        return ", ".join(sorted(MigrationContext.configure(connection).get_current_heads()))


def include_name(name: str | None, type_: NameFilterType,
                 parent_names: NameFilterParentNames) -> bool:
    """For comparing the schema with the models: leave out the full-text search objects that
    migration 0006 makes outside the models (FTS5 tables on SQLite, GIN indexes on PostgreSQL)."""
    return not (name or "").startswith(("search_", "ix_search_"))
