"""The callback outbox (tasks/outbox.py) on PostgreSQL, for a fleet, where several senders
(one per API process) share the rows. A claim leases rows with ``FOR UPDATE SKIP LOCKED``, so
two senders never send one callback at once."""

from __future__ import annotations

from imagegate.clock import now_ms
from imagegate.db.postgres.database import PostgresDatabase, affected, numbered
from imagegate.db.sqlite.outbox import CLAIMED_TASK_FIELDS, SQL_ATTEMPTS, SQL_REDELIVER
from imagegate.tasks.outbox import MAX_ERROR_CHARS, AttemptRow, CallbackRow

_PG_ATTEMPTS = numbered(SQL_ATTEMPTS)
_PG_REDELIVER = numbered(SQL_REDELIVER)


class PgOutbox:
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
            " RETURNING callbacks.*, " + CLAIMED_TASK_FIELDS,
            now, limit, now + lease_ms,
        )
        return sorted((CallbackRow.from_row(r) for r in rows), key=lambda r: r.id)

    # Each outcome and its attempt's history row in one statement (outbox.SQL_LOG_ATTEMPT:
    # the CTE reads the row before the update, so attempts + 1 is this attempt's number).
    # $1 callback id, $2 status, $3 error, $4 duration, $5 now.
    _LOGGED = (
        "WITH logged AS (INSERT INTO callback_attempts (task_id, attempt, at, status, error,"
        " duration_ms) SELECT task_id, attempts + 1, $5::bigint, $2::integer, $3::text,"
        " $4::integer FROM callbacks"
        " WHERE id = $1) "
    )

    async def mark_delivered(self, id: int, status: int, duration_ms: int = 0) -> bool:
        return affected(await self.db.execute(
            self._LOGGED + "UPDATE callbacks SET state = 'delivered', attempts = attempts + 1,"
            " last_status = $2, delivered_at = $5, lease_expires_at = NULL"
            " WHERE id = $1 AND state != 'delivered'",
            id, status, None, duration_ms, now_ms(),
        )) > 0

    async def mark_failed(
        self, id: int, status: int | None, error: str, next_attempt_at: int | None,
        duration_ms: int = 0,
    ) -> bool:
        args = (id, status, error[:MAX_ERROR_CHARS], duration_ms, now_ms())
        if next_attempt_at is None:
            return affected(await self.db.execute(
                self._LOGGED + "UPDATE callbacks SET state = 'dead', attempts = attempts + 1,"
                " last_status = $2, last_error = $3, lease_expires_at = NULL"
                " WHERE id = $1 AND state = 'pending'",
                *args,
            )) > 0
        return affected(await self.db.execute(
            self._LOGGED + "UPDATE callbacks SET attempts = attempts + 1, next_attempt_at = $6,"
            " last_status = $2, last_error = $3, lease_expires_at = NULL"
            " WHERE id = $1 AND state = 'pending'",
            *args, next_attempt_at,
        )) > 0

    async def attempts(self, task_id: str) -> list[AttemptRow]:
        rows = await self.db.fetch(_PG_ATTEMPTS, task_id)
        return [AttemptRow.from_row(r) for r in rows]

    async def redeliver(self, task_id: str) -> bool:
        return affected(await self.db.execute(_PG_REDELIVER, now_ms(), task_id)) > 0

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
