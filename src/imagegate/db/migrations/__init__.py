"""Alembic migrations of imagegate's one schema (``db/schema.py``), for SQLite and
PostgreSQL alike. ``db/migrate.py`` runs them; ``alembic revision`` writes new ones (see
``docs/decisions.md``)."""
