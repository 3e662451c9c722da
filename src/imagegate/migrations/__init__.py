"""Alembic migrations of imagegate's one schema (``tasks/schema.py``), for SQLite and
PostgreSQL alike. ``tasks/migrate.py`` runs them; ``alembic revision`` writes new ones (see
``docs/decisions.md``)."""
