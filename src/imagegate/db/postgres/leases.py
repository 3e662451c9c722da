"""A restarted worker's previous life's leases, handed back on PostgreSQL
(``TaskStore.release_leases``; worker/identity.py): the SQLite statement, and a NOTIFY per
model so that every worker of the fleet that serves it wakes, as after a create."""

from __future__ import annotations

from collections import Counter

from imagegate.clock import now_ms
from imagegate.db.postgres.database import PostgresDatabase, numbered
from imagegate.db.signals import TASKS_CHANNEL
from imagegate.db.sqlite.leases import SQL_RELEASE_LEASES

_RELEASE_LEASES = numbered(SQL_RELEASE_LEASES)


async def release_leases(db: PostgresDatabase, owner: str) -> list[str]:
    """Every task leased to ``owner`` back to ``waiting``, in one transaction; their ids."""
    async with db.transaction() as conn:
        rows = await conn.fetch(_RELEASE_LEASES, now_ms(), owner)
        for model, count in Counter(row["model"] for row in rows).items():
            await conn.execute("SELECT pg_notify($1, $2)", TASKS_CHANNEL, f"{model} {count}")
    return [str(row["id"]) for row in rows]
