"""Task-record retention (tasks/retention.py says what goes and what stays) on SQLite, and
the conditions both databases share."""

from __future__ import annotations

import sqlite3

from imagegate.db.queries import fold_sql
from imagegate.db.sqlite.database import SqliteDatabase
from imagegate.tasks.state import TERMINAL_STATES

SQL_TERMINAL = ", ".join(sorted(f"'{state.value}'" for state in TERMINAL_STATES))
# A callback not yet delivered nor given up holds its task's record; so does a key's total cap.
SQL_KEPT_FOR_OTHERS = (
    "NOT EXISTS (SELECT 1 FROM callbacks c WHERE c.task_id = t.id AND c.state = 'pending')"
    " AND NOT EXISTS (SELECT 1 FROM api_keys k WHERE COALESCE(k.spend_key_id, k.id) = t.key_id"
    " AND k.total_cap_milli IS NOT NULL AND k.revoked_at IS NULL)"
)

# CROSS JOIN makes SQLite's planner keep accounts as the outer loop, so each account's old
# tasks are one range of ix_tasks_account_created rather than a scan of the whole table.
_SQLITE_DOOMED = (
    "SELECT t.id, t.account_id FROM accounts a CROSS JOIN tasks t ON t.account_id = a.id"
    f" WHERE t.create_time < ? AND t.state IN ({SQL_TERMINAL}) AND {SQL_KEPT_FOR_OTHERS}"
    " LIMIT ?"
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
