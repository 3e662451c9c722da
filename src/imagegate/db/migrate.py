"""The schema's migrations (Alembic, ``imagegate/migrations``), run on SQLite and PostgreSQL.

``db/schema.py`` is the one definition; each change to it comes with a migration, and a
test checks that the migrated schema matches it on both databases. Bringing a database to
the head revision:

- a fresh database is created from the metadata and stamped with the head revision (the same
  tables the migrations make, as the test shows, in one step instead of one per revision: the
  embedded server and the tests start many fresh databases);
- a database made before migrations existed (tables, no ``alembic_version``) is stamped with
  the baseline, then upgraded;
- any other runs the migrations it lacks.

On PostgreSQL the whole upgrade holds an advisory lock, so N processes starting at once
migrate once.
"""

from __future__ import annotations

import logging
from functools import cache

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, create_engine, inspect, text

from imagegate.db.schema import metadata

log = logging.getLogger(__name__)

BASELINE = "0001"
# pg_advisory_xact_lock's key: any constant shared by every imagegate process.
_MIGRATION_LOCK = 0x1A6E_0001


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration for imagegate's migrations, on ``connection`` when given."""
    config = Config()
    config.set_main_option("script_location", "imagegate.db:migrations")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@cache
def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package ships its migrations
        raise RuntimeError("imagegate.db.migrations has no revisions")
    return head


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(connection: Connection) -> str:
    """Bring the database on ``connection`` to the head revision (see the module docstring);
    the revision it was at before, or "" for a fresh database."""
    tables = set(inspect(connection).get_table_names())
    if "alembic_version" not in tables:
        if "tasks" not in tables:
            metadata.create_all(connection)
            command.stamp(alembic_config(connection), head_revision())
            return ""
        command.stamp(alembic_config(connection), BASELINE)
    before = current_revision(connection) or ""
    if before != head_revision():
        command.upgrade(alembic_config(connection), "head")
        log.info("database schema upgraded from revision %s to %s", before, head_revision())
    return before


def upgrade_sqlite(path: str) -> str:
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            # WAL first, outside any transaction (the mode is kept in the file): the server's
            # connections then never have to switch it while another one reads.
            connection.exec_driver_sql("PRAGMA journal_mode=WAL")
            connection.commit()
            with connection.begin():
                return upgrade(connection)
    finally:
        engine.dispose()


def upgrade_postgres(connection: Connection) -> str:
    """``upgrade`` under the migration lock (released when the transaction ends)."""
    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
    return upgrade(connection)


def run_migrations(connection: Connection) -> None:
    """Every migration from an empty database to the head, one by one (the parity test)."""
    command.upgrade(alembic_config(connection), "head")


def differences(connection: Connection) -> list[object]:
    """What the database's schema lacks or has beyond ``schema.py``: empty when they match."""
    return list(compare_metadata(MigrationContext.configure(connection), metadata))
