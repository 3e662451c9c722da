"""Task-record retention: finished tasks past ``task_retention_days`` are deleted, one bounded
batch per transaction, together with the rows that exist only for them (the callback outbox
row, its delivery attempts, an Idempotency-Key naming them). One class per database; the
janitor (storage/janitor.py) drives them and counts what they delete.

What stays:

- The account's usage: the deleted tasks are added to ``usage_days`` per model and day in the
  transaction that deletes them (usage.py), so ``/api/v1/usage`` reads the same after.
- The credit ledger. It is the accounts' history of charges and refunds; its ``task_id`` is
  plain text with no foreign key (schema.py), so a ledger row outlives its task and still says
  which task it was for.
- Tasks still live (waiting, queuing, generating), whatever their age: they are paid for and
  will run. And a finished task whose callback is still being retried: its delivery would fail
  to find the record it describes, and the operator's view of it would vanish mid-retry.
- The tasks of a key with a total spending cap, while the key is not revoked: the cap sums the
  key's tasks (tasks/caps.py), so deleting them would hand the key its budget again.
- Result files (``files`` rows with a task_id). Each has its own expiry, and the file sweep
  removes the blob before the row; deleting the row here would leave a blob nobody knows of.

Age is counted from the task's creation, not its completion: ``ix_tasks_account_created``
(account_id, create_time) then finds the old rows account by account without a new index on
the tasks table, which every createTask and finish would pay for. Tasks end within minutes of
their creation, so the two clocks differ by far less than a day.
"""

from __future__ import annotations

import sqlite3

from imagegate.tasks.postgres import PostgresDatabase
from imagegate.tasks.sqlite import SqliteDatabase
from imagegate.tasks.state import TERMINAL_STATES
from imagegate.tasks.usage import fold_sql

_TERMINAL = ", ".join(sorted(f"'{state.value}'" for state in TERMINAL_STATES))
# A callback not yet delivered nor given up holds its task's record; so does a key's total cap.
_KEPT_FOR_OTHERS = (
    "NOT EXISTS (SELECT 1 FROM callbacks c WHERE c.task_id = t.id AND c.state = 'pending')"
    " AND NOT EXISTS (SELECT 1 FROM api_keys k WHERE COALESCE(k.spend_key_id, k.id) = t.key_id"
    " AND k.total_cap_milli IS NOT NULL AND k.revoked_at IS NULL)"
)

# CROSS JOIN makes SQLite's planner keep accounts as the outer loop, so each account's old
# tasks are one range of ix_tasks_account_created rather than a scan of the whole table.
_SQLITE_DOOMED = (
    "SELECT t.id, t.account_id FROM accounts a CROSS JOIN tasks t ON t.account_id = a.id"
    f" WHERE t.create_time < ? AND t.state IN ({_TERMINAL}) AND {_KEPT_FOR_OTHERS}"
    " LIMIT ?"
)
# LATERAL does the same for PostgreSQL: an index range per account, whatever the statistics.
_PG_DOOMED = (
    "SELECT t.id, t.account_id FROM accounts a CROSS JOIN LATERAL"
    " (SELECT t.id, t.account_id FROM tasks t WHERE t.account_id = a.id"
    f" AND t.create_time < $1 AND t.state IN ({_TERMINAL}) AND {_KEPT_FOR_OTHERS}"
    " LIMIT $2) t LIMIT $2"
)

_PG_DELETE = (
    f"WITH gone AS (DELETE FROM tasks t WHERE t.id = ANY($1::text[]) AND t.state IN ({_TERMINAL})"
    f" AND {_KEPT_FOR_OTHERS} RETURNING t.id, t.account_id, t.create_time, t.model, t.state,"
    f" t.price_milli), folded AS ({fold_sql('gone', 'true')})"
    " SELECT id, account_id FROM gone"
)


class SqliteTaskRetention:
    def __init__(self, db: SqliteDatabase) -> None:
        self.db = db

    async def delete_batch(self, before: int, limit: int) -> int:
        """Delete up to ``limit`` finished tasks created before ``before`` (epoch ms), and
        their own rows, in one transaction; how many tasks were deleted."""

        def tx(conn: sqlite3.Connection) -> int:
            doomed = conn.execute(_SQLITE_DOOMED, (before, limit)).fetchall()
            if not doomed:
                return 0
            ids = [row["id"] for row in doomed]
            marks = ", ".join("?" * len(ids))
            conn.execute(f"DELETE FROM callback_attempts WHERE task_id IN ({marks})", ids)
            conn.execute(f"DELETE FROM callbacks WHERE task_id IN ({marks})", ids)
            # By account: the key's primary key (account_id, key) narrows each delete.
            conn.executemany(
                "DELETE FROM idempotency_keys WHERE account_id = ? AND task_id = ?",
                [(row["account_id"], row["id"]) for row in doomed],
            )
            # Their usage outlives them (usage.py): added up before they go, in this transaction.
            conn.execute(fold_sql("tasks", f"id IN ({marks})"), ids)
            return conn.execute(f"DELETE FROM tasks WHERE id IN ({marks})", ids).rowcount

        return await self.db.write(tx)


class PgTaskRetention:
    def __init__(self, db: PostgresDatabase) -> None:
        self.db = db

    async def delete_batch(self, before: int, limit: int) -> int:
        """``SqliteTaskRetention.delete_batch`` on PostgreSQL. Every process of a fleet runs a
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


TaskRetention = SqliteTaskRetention | PgTaskRetention


def open_retention(db: SqliteDatabase | PostgresDatabase) -> TaskRetention:
    if isinstance(db, SqliteDatabase):
        return SqliteTaskRetention(db)
    return PgTaskRetention(db)
