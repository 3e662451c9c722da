"""The stores' protocols implemented on SQLite (db/sqlite/) and PostgreSQL (db/postgres/), the
schema and its Alembic migrations. SQL is written only here."""
