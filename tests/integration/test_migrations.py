"""One schema, managed by migrations: on SQLite and on PostgreSQL the migrated schema matches
``db/schema.py``, and a database made before migrations existed is taken over."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.ext.asyncio import create_async_engine

from imagegate.db import migrate
from imagegate.db.sqlite.database import SqliteDatabase


def _check_migrated(connection: Connection) -> None:
    migrate.run_migrations(connection)
    assert migrate.current_revision(connection) == migrate.head_revision()
    assert migrate.differences(connection) == []


def test_the_migrations_make_the_schema_of_the_models_on_sqlite(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'migrated.db'}")
    with engine.begin() as connection:
        _check_migrated(connection)
    engine.dispose()


async def test_the_migrations_make_the_schema_of_the_models_on_postgresql(
    postgres_url: str,
) -> None:
    engine = create_async_engine(postgres_url.replace("postgresql://", "postgresql+asyncpg://"))
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_check_migrated)
        # Twice, as N processes starting together would: the second finds nothing to do.
        async with engine.begin() as connection:
            assert await connection.run_sync(migrate.upgrade_postgres) == migrate.head_revision()
    finally:
        await engine.dispose()


def test_a_fresh_sqlite_database_is_created_at_the_head(tmp_path: Path) -> None:
    path = tmp_path / "fresh.db"
    SqliteDatabase(str(path)).close()
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        assert migrate.current_revision(connection) == migrate.head_revision()
        assert migrate.differences(connection) == []
    engine.dispose()


def test_a_database_from_before_migrations_is_stamped_and_keeps_its_rows(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        # What every install had before migrations: the baseline's tables, no version table.
        command.upgrade(migrate.alembic_config(connection), migrate.BASELINE)
        connection.execute(text("DROP TABLE alembic_version"))
        connection.execute(text("INSERT INTO meta (key, value) VALUES ('admin_key_hash', 'h')"))
        connection.execute(text(
            "INSERT INTO tasks (id, account_id, model, state, param, input, progress,"
            " price_milli, create_time, update_time, attempts, lease_token)"
            " VALUES ('t1', 'a', 'm', 'waiting', '{}', '{}', 0, 0, 1234, 1234, 0, 0)"
        ))
    engine.dispose()
    SqliteDatabase(str(path)).close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT value FROM meta").fetchone() == ("h",)
        # 0002 keeps the queue's order: an old task's fair key is its create time.
        assert conn.execute("SELECT fair_key, priority FROM tasks").fetchone() == (1234, 0)
        version = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    assert version == (migrate.head_revision(),)


def test_every_migration_downgrades_to_an_empty_database(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'down.db'}")
    with engine.begin() as connection:
        migrate.run_migrations(connection)
        command.downgrade(migrate.alembic_config(connection), "base")
        tables = set(connection.dialect.get_table_names(connection))
    engine.dispose()
    assert tables <= {"alembic_version"}
