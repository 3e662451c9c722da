"""Task-record retention (tasks/retention.py) on PostgreSQL, where every process of a fleet
runs a janitor."""

from __future__ import annotations

from imagegate.db.postgres.database import PostgresDatabase
from imagegate.db.queries import fold_sql
from imagegate.db.sqlite.retention import SQL_KEPT_FOR_OTHERS, SQL_TERMINAL

# LATERAL does the same for PostgreSQL: an index range per account, whatever the statistics.
_PG_DOOMED = (
    "SELECT t.id, t.account_id FROM accounts a CROSS JOIN LATERAL"
    " (SELECT t.id, t.account_id FROM tasks t WHERE t.account_id = a.id"
    f" AND t.create_time < $1 AND t.state IN ({SQL_TERMINAL}) AND {SQL_KEPT_FOR_OTHERS}"
    " LIMIT $2) t LIMIT $2"
)

_PG_DELETE = (
    "WITH gone AS (DELETE FROM tasks t WHERE t.id = ANY($1::text[])"
    f" AND t.state IN ({SQL_TERMINAL})"
    f" AND {SQL_KEPT_FOR_OTHERS} RETURNING t.id, t.account_id, t.create_time, t.model, t.state,"
    f" t.price_milli), folded AS ({fold_sql('gone', 'true')})"
    " SELECT id, account_id FROM gone"
)



class PgTaskRetention:
    def __init__(self, db: PostgresDatabase) -> None:
        self.db = db

    async def delete_batch(self, before: int, limit: int) -> int:
        """``delete_batch`` (tasks/retention.py) on PostgreSQL. Every process of a fleet runs a
        janitor: the DELETE decides between two taking the same batch (the second finds the
        rows gone and deletes fewer), and only the rows it deleted lose their own rows."""
        async with self.db.transaction() as conn:
            doomed = await conn.fetch(_PG_DOOMED, before, limit)
            if not doomed:
                return 0
            # Checked again: between the two statements an operator may redeliver a callback
            # (pending again) or cap a key, and the SELECT took no locks. The rows deleted are
            # added to their usage (usage.py) by the same statement.
            deleted = await conn.fetch(_PG_DELETE, [row["id"] for row in doomed])
            ids = [row["id"] for row in deleted]
            await conn.execute(
                "DELETE FROM callback_attempts WHERE task_id = ANY($1::text[])", ids
            )
            await conn.execute("DELETE FROM callbacks WHERE task_id = ANY($1::text[])", ids)
            await conn.execute(
                "DELETE FROM idempotency_keys k USING unnest($1::text[], $2::text[])"
                " AS d(account_id, task_id)"
                " WHERE k.account_id = d.account_id AND k.task_id = d.task_id",
                [row["account_id"] for row in deleted], ids,
            )
        return len(deleted)
