"""A restarted worker's previous life's leases, handed back (``TaskStore.release_leases``;
worker/identity.py), in SQL both databases share."""

from __future__ import annotations

import sqlite3

from imagegate.clock import now_ms
from imagegate.db.sqlite.database import SqliteDatabase
from imagegate.tasks.state import SQL_CLAIMED

# Back to the queue with new lease tokens, which fence out any write of the old life. Params:
# now, owner. The claimed-state term is the partial index's own (ix_tasks_claimed_lease), so
# only the claimed rows are read.
SQL_RELEASE_LEASES = (
    "UPDATE tasks SET state = 'waiting', progress = 0, lease_owner = NULL,"
    " lease_expires_at = NULL, lease_token = lease_token + 1, update_time = ?"
    f" WHERE {SQL_CLAIMED} AND lease_owner = ? RETURNING id, model"
)


async def release_leases(db: SqliteDatabase, owner: str) -> list[str]:
    """Every task leased to ``owner`` back to ``waiting``, in one transaction; their ids."""

    def tx(conn: sqlite3.Connection) -> list[str]:
        return [str(row[0]) for row in conn.execute(SQL_RELEASE_LEASES, (now_ms(), owner))]

    return await db.write(tx)
