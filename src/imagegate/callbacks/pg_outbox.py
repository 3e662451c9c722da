"""The callback outbox on PostgreSQL: ``outbox.CallbackOutbox``'s operations for a fleet, where
several senders (one per API process) share the rows. A claim leases rows with ``FOR UPDATE
SKIP LOCKED``, so two senders never send one callback at once."""

from __future__ import annotations

from imagegate.callbacks.outbox import MAX_ERROR_CHARS, CallbackRow
from imagegate.tasks.pg_store import affected
from imagegate.tasks.postgres import PostgresDatabase
from imagegate.tasks.time import now_ms


class PgCallbackOutbox:
    """Claims due callbacks under a lease and records how each attempt went."""

    def __init__(self, db: PostgresDatabase) -> None:
        self.db = db

    async def claim_due(self, limit: int, lease_ms: int) -> list[CallbackRow]:
        if limit <= 0:
            return []
        now = now_ms()
        rows = await self.db.fetch(
            "WITH due AS (SELECT id FROM callbacks WHERE state = 'pending'"
            " AND next_attempt_at <= $1 AND (lease_expires_at IS NULL OR lease_expires_at < $1)"
            " ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED)"
            " UPDATE callbacks SET lease_expires_at = $3 FROM due WHERE callbacks.id = due.id"
            " RETURNING callbacks.*",
            now, limit, now + lease_ms,
        )
        return sorted((CallbackRow.from_row(r) for r in rows), key=lambda r: r.id)

    async def mark_delivered(self, id: int, status: int) -> bool:
        return affected(await self.db.execute(
            "UPDATE callbacks SET state = 'delivered', attempts = attempts + 1,"
            " last_status = $1, delivered_at = $2, lease_expires_at = NULL"
            " WHERE id = $3 AND state != 'delivered'",
            status, now_ms(), id,
        )) > 0

    async def mark_failed(
        self, id: int, status: int | None, error: str, next_attempt_at: int | None
    ) -> bool:
        if next_attempt_at is None:
            return affected(await self.db.execute(
                "UPDATE callbacks SET state = 'dead', attempts = attempts + 1,"
                " last_status = $1, last_error = $2, lease_expires_at = NULL"
                " WHERE id = $3 AND state = 'pending'",
                status, error[:MAX_ERROR_CHARS], id,
            )) > 0
        return affected(await self.db.execute(
            "UPDATE callbacks SET attempts = attempts + 1, next_attempt_at = $1,"
            " last_status = $2, last_error = $3, lease_expires_at = NULL"
            " WHERE id = $4 AND state = 'pending'",
            next_attempt_at, status, error[:MAX_ERROR_CHARS], id,
        )) > 0

    async def get(self, task_id: str) -> CallbackRow | None:
        row = await self.db.fetchrow("SELECT * FROM callbacks WHERE task_id = $1", task_id)
        return None if row is None else CallbackRow.from_row(row)

    async def list_for_account(
        self, account_id: str, *, state: str | None = None, limit: int = 100
    ) -> list[CallbackRow]:
        rows = await self.db.fetch(
            "SELECT * FROM callbacks WHERE account_id = $1 AND ($2::text IS NULL OR state = $2)"
            " ORDER BY id DESC LIMIT $3",
            account_id, state, limit,
        )
        return [CallbackRow.from_row(r) for r in rows]

    async def pending_count(self) -> int:
        row = await self.db.fetchrow("SELECT COUNT(*) AS n FROM callbacks WHERE state = 'pending'")
        return int(row["n"])

    async def next_due_at(self) -> int | None:
        row = await self.db.fetchrow(
            "SELECT MIN(GREATEST(next_attempt_at, COALESCE(lease_expires_at, 0))) AS due"
            " FROM callbacks WHERE state = 'pending'"
        )
        return None if row["due"] is None else int(row["due"])
