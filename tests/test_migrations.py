"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from workflows.db import Base, make_engine
from workflows.schema import include_name


def test_migrated_schema_matches_the_models(db_url):
    eng = make_engine(db_url)
    with eng.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True,
                                                          "include_name": include_name}),
                                Base.metadata)
    eng.dispose()
    assert diff == []
