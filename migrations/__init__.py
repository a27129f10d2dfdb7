"""Alembic migrations for Sanchika's database (SQLite and PostgreSQL alike)."""
