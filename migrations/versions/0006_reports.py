"""reports: full-text search over file numbers, subjects and note text

SQLite: FTS5 tables kept in step with ``files`` and ``notes`` by triggers (Devanagari vowel
signs and viramas kept inside words).  PostgreSQL: GIN indexes on to_tsvector('simple', ...),
the expressions workflows/search.py queries.  These objects are not models: tests compare the
schema with workflows.db.schema.include_name, which leaves out names starting "search_"/"ix_search_".

Revision ID: 0006
Revises: 0004
Create Date: 2026-11-26
"""

import unicodedata

from alembic import op


revision = '0006'
down_revision = '0004'
branch_labels = None
depends_on = None

MARKS = "".join(chr(c) for c in range(0x0900, 0x0980)
                if unicodedata.category(chr(c)) in ("Mn", "Mc"))
TOKENIZE = f"unicode61 remove_diacritics 0 tokenchars '{MARKS}'"
FILES_TEXT = "(replace(number, '/', ' ') || ' ' || subject)"

SQLITE = [
    f'CREATE VIRTUAL TABLE search_files USING fts5(number, subject, content=\'files\', '
    f'content_rowid=\'id\', tokenize="{TOKENIZE}")',
    f'CREATE VIRTUAL TABLE search_notes USING fts5(body, content=\'notes\', '
    f'content_rowid=\'id\', tokenize="{TOKENIZE}")',
    "CREATE TRIGGER search_files_ai AFTER INSERT ON files BEGIN "
    "INSERT INTO search_files(rowid, number, subject) VALUES (new.id, new.number, new.subject); END",
    "CREATE TRIGGER search_files_ad AFTER DELETE ON files BEGIN "
    "INSERT INTO search_files(search_files, rowid, number, subject) "
    "VALUES ('delete', old.id, old.number, old.subject); END",
    "CREATE TRIGGER search_files_au AFTER UPDATE OF number, subject ON files BEGIN "
    "INSERT INTO search_files(search_files, rowid, number, subject) "
    "VALUES ('delete', old.id, old.number, old.subject); "
    "INSERT INTO search_files(rowid, number, subject) VALUES (new.id, new.number, new.subject); END",
    "CREATE TRIGGER search_notes_ai AFTER INSERT ON notes BEGIN "
    "INSERT INTO search_notes(rowid, body) VALUES (new.id, new.body); END",
    "CREATE TRIGGER search_notes_ad AFTER DELETE ON notes BEGIN "
    "INSERT INTO search_notes(search_notes, rowid, body) VALUES ('delete', old.id, old.body); END",
    "CREATE TRIGGER search_notes_au AFTER UPDATE OF body ON notes BEGIN "
    "INSERT INTO search_notes(search_notes, rowid, body) VALUES ('delete', old.id, old.body); "
    "INSERT INTO search_notes(rowid, body) VALUES (new.id, new.body); END",
    "INSERT INTO search_files(search_files) VALUES ('rebuild')",
    "INSERT INTO search_notes(search_notes) VALUES ('rebuild')",
]

POSTGRESQL = [
    f"CREATE INDEX ix_search_files ON files USING gin (to_tsvector('simple', {FILES_TEXT}))",
    "CREATE INDEX ix_search_notes ON notes USING gin (to_tsvector('simple', body))",
]


def upgrade():
    dialect = op.get_bind().dialect.name
    for statement in SQLITE if dialect == "sqlite" else POSTGRESQL if dialect == "postgresql" else []:
        op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in ("search_files_ai", "search_files_ad", "search_files_au",
                     "search_notes_ai", "search_notes_ad", "search_notes_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS search_files")
        op.execute("DROP TABLE IF EXISTS search_notes")
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_search_files")
        op.execute("DROP INDEX IF EXISTS ix_search_notes")
