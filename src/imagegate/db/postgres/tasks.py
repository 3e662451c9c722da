"""The task store on PostgreSQL: the same operations and guarantees as ``store.SqliteStore``,
for N API processes and M workers sharing one database.

Each method is one transaction. The queue is the tasks table: a claim takes one row with
``FOR UPDATE SKIP LOCKED`` (workers never wait on each other's rows), a lease token fences a
worker that comes back after its lease was taken over, and a task is finished by a conditional
UPDATE, so it ends once. Creating a task NOTIFYs ``imagegate_tasks`` in its transaction, so
idle workers wake when it commits instead of polling; the plain creates of one process are
written together, several per statement (db/postgres/creates.py).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import asyncpg

from imagegate.catalog.pricing import milli_to_credits
from imagegate.clock import now_ms
from imagegate.db import queries
from imagegate.db.postgres import caps, leases
from imagegate.db.postgres.accounts import PgAccounts
from imagegate.db.postgres.creates import CreateCombiner
from imagegate.db.postgres.database import PostgresDatabase, affected, numbered
from imagegate.db.signals import TASKS_CHANNEL
from imagegate.db.sqlite.tasks import SQL_CANCEL_NOW, SQL_CANCEL_REQUEST, SQL_QUEUE_CALLBACK
from imagegate.errors import InsufficientCredits
from imagegate.tasks import idempotency
from imagegate.tasks.cancel import CANCEL_CHANNEL, CANCELED_MSG, Cancelled
from imagegate.tasks.fairness import SLOT_MS
from imagegate.tasks.listing import TaskQuery
from imagegate.tasks.model import IdempotencyKey, NewTask, Task
from imagegate.tasks.state import PROGRESS, SQL_CLAIMED, TaskState, sql_sources
from imagegate.tasks.store import Beat, Finish

_PG_QUEUE_CALLBACK = numbered(SQL_QUEUE_CALLBACK)

# Leases are on the database's clock: workers on several machines agree on it, not on theirs.
# now() (the statement's start in autocommit), not clock_timestamp(): a stable value can bound
# an index scan, a volatile one is a filter over every claimed row.
_NOW = "(extract(epoch from now()) * 1000)::bigint"


class PostgresStore(PgAccounts):
    """Tasks, idempotency keys and callback rows (and, from ``PgAccounts``, accounts, ledger and
    meta rows) on PostgreSQL: the backend's one store object (backend.py's ``Store``)."""

    def __init__(self, db: PostgresDatabase) -> None:
        super().__init__(db)
        self._creates = CreateCombiner(db, self._insert_alone)

    # ----------------------------------------------------------------- tasks

    async def create_task(self, new: NewTask, key: IdempotencyKey | None = None) -> Task:
        """As ``SqliteStore.create_task``: key, debit and insert in one transaction (402 when
        short, the key's task on a repeat), plus the NOTIFY that wakes a worker."""
        capped = bool(new.caps) and new.key_id is not None
        if key is None and not capped:
            return await self._creates.create(new)  # written with its concurrent peers
        async with self.db.transaction() as conn:
            now = now_ms()
            if key is not None and not await self._claim_key(conn, new, key, now):
                row = await conn.fetchrow(
                    "SELECT task_id, request_hash, expires_ms FROM idempotency_keys"
                    " WHERE account_id = $1 AND key = $2",
                    new.account_id, key.key,
                )
                task_id = idempotency.judge(row, key, now)
                existing = await conn.fetchrow("SELECT * FROM tasks WHERE id = $1", task_id)
                if existing is None:  # pragma: no cover - a key row is written with its task
                    raise RuntimeError(f"Idempotency-Key row without its task {task_id}")
                return Task.from_row(existing)
            if capped:
                assert new.caps is not None and new.key_id is not None
                await caps.check_pg(
                    conn, new.account_id, new.key_id, new.caps, new.price_milli, now
                )
            # Short of credits raises inside the transaction: the key's claim rolls back too.
            return await self._insert(conn, new)

    async def _insert_alone(self, new: NewTask) -> Task:
        async with self.db.pool.acquire() as conn:
            return await self._insert(conn, new)

    @staticmethod
    async def _insert(conn: asyncpg.Connection, new: NewTask) -> Task:
        """The debit (and the account's fair-queuing clock, tasks/fairness.py), the ledger
        row, the task and its NOTIFY in one statement: one round trip, and the account row
        (every create of the account updates it) locked only for it, in autocommit."""
        now = now_ms()
        row = await conn.fetchrow(
            "WITH acct AS (UPDATE accounts SET credits_milli = credits_milli - $1,"
            " fair_clock = GREATEST(fair_clock, $2) + $3"
            " WHERE id = $4 AND credits_milli >= $1 RETURNING fair_clock),"
            " ledger AS (INSERT INTO credit_ledger (account_id, task_id, reason,"
            " delta_milli, created_at) SELECT $4, $5, 'debit', -$1, $2 FROM acct"
            " WHERE $1 > 0),"
            " task AS (INSERT INTO tasks (id, account_id, model, state, param, input,"
            " callback_url, progress, price_milli, create_time, update_time, attempts,"
            " lease_token, priority, fair_key, key_id, surface, cancel_at, result_retention_ms,"
            " webhook_events) SELECT $5, $4, $6, 'waiting', $7, $8, $9, 0, $1, $2, $2, 0, 0,"
            " $10, acct.fair_clock, $12, $13, $14, $15, $16 FROM acct"
            " RETURNING *),"
            " woke AS (SELECT pg_notify($11, $6) FROM task)"
            " SELECT task.* FROM task, woke",
            new.price_milli, now, SLOT_MS, new.account_id, new.id, new.model, new.param,
            json.dumps(new.input, separators=(",", ":")), new.callback_url, new.priority,
            TASKS_CHANNEL, new.key_id, new.surface.value, new.cancel_at,
            new.result_retention_ms, new.webhook_events,
        )
        if row is not None:
            return Task.from_row(row)
        balance = await conn.fetchval(
            "SELECT credits_milli FROM accounts WHERE id = $1", new.account_id
        )
        have = milli_to_credits(balance) if balance is not None else 0
        raise InsufficientCredits(
            f"Insufficient credits: this task costs "
            f"{milli_to_credits(new.price_milli)}, the balance is {have}"
        )

    @staticmethod
    async def _claim_key(
        conn: asyncpg.Connection, new: NewTask, key: IdempotencyKey, now: int
    ) -> bool:
        # idempotency.claim's statement: a dead row is taken over, a live one wins.
        taken = await conn.fetchval(
            "INSERT INTO idempotency_keys (account_id, key, task_id, request_hash, created_ms,"
            " expires_ms) VALUES ($1, $2, $3, $4, $5, $6)"
            " ON CONFLICT (account_id, key) DO UPDATE SET task_id = excluded.task_id,"
            " request_hash = excluded.request_hash, created_ms = excluded.created_ms,"
            " expires_ms = excluded.expires_ms WHERE idempotency_keys.expires_ms <= $5"
            " RETURNING task_id",
            new.account_id, key.key, new.id, key.request_hash, now, now + key.window_ms,
        )
        return taken is not None

    async def keyed_task(self, account_id: str, key: IdempotencyKey) -> Task | None:
        row = await self.db.fetchrow(
            "SELECT task_id, request_hash, expires_ms FROM idempotency_keys"
            " WHERE account_id = $1 AND key = $2",
            account_id, key.key,
        )
        task_id = idempotency.judge(row, key, now_ms())
        return None if task_id is None else await self.get_task(task_id, account_id)

    async def forget_expired_keys(self, now: int | None = None) -> int:
        async with self.db.transaction() as conn:
            result = await conn.execute(
                "DELETE FROM idempotency_keys WHERE expires_ms <= $1",
                now if now is not None else now_ms(),
            )
        return affected(result)

    async def get_task(self, task_id: str, account_id: str | None = None) -> Task | None:
        if account_id is None:
            row = await self.db.fetchrow("SELECT * FROM tasks WHERE id = $1", task_id)
        else:
            row = await self.db.fetchrow(
                "SELECT * FROM tasks WHERE id = $1 AND account_id = $2", task_id, account_id
            )
        return Task.from_row(row) if row else None

    async def claim(
        self,
        worker_id: str,
        lease_ms: int,
        models: Sequence[str] | None = None,
        exclude: Sequence[str] = (),
    ) -> Task | None:
        """Take a task whose lease expired, else the next fair one (tasks/fairness.py), into
        ``queuing`` (of ``models`` only, when given, never of ``exclude``). SKIP LOCKED: rows
        another worker is claiming are passed over, not waited for."""
        only = ""
        args: list[Any] = [worker_id, lease_ms, PROGRESS[TaskState.QUEUING]]
        if models is not None:
            args.append(list(models))
            only += f" AND model = ANY(${len(args)}::text[])"
        if exclude:
            args.append(list(exclude))
            only += f" AND model <> ALL(${len(args)}::text[])"
        m = only.replace("model", "t.model")
        async with self.db.pool.acquire() as conn:
            # One statement, one round trip: an expired lease if there is one, else the next
            # fair slot and its account's most urgent task, which swap keys when they differ
            # (tasks/fairness.py).
            row = await conn.fetchrow(
                f"WITH expired AS (SELECT id FROM tasks WHERE {SQL_CLAIMED}"
                f" AND lease_expires_at < {_NOW}{only} LIMIT 1 FOR UPDATE SKIP LOCKED),"
                " slot AS (SELECT id, account_id FROM tasks WHERE state = 'waiting'"
                f"{only} AND NOT EXISTS (SELECT 1 FROM expired)"
                " ORDER BY fair_key LIMIT 1 FOR UPDATE SKIP LOCKED),"
                " best AS (SELECT t.id, t.fair_key FROM tasks t"
                f" WHERE t.account_id = (SELECT account_id FROM slot) AND t.state = 'waiting'{m}"
                " ORDER BY t.priority DESC, t.create_time, t.id LIMIT 1"
                " FOR UPDATE OF t SKIP LOCKED),"
                " swapped AS (UPDATE tasks SET fair_key = best.fair_key FROM slot, best"
                " WHERE tasks.id = slot.id AND slot.id <> best.id RETURNING tasks.id),"
                " picked AS (SELECT id FROM expired UNION ALL SELECT id FROM best)"
                f" {self._TAKE}",
                *args,
            )
        return Task.from_row(row) if row is not None else None

    # Claims the task in ``picked`` ($1 worker, $2 lease ms, $3 progress). By a scalar id, not
    # a join with ``picked``: a join's plan, cached by the connection while the table was
    # still empty, scanned the whole table on every claim once it had grown (3 ms a claim
    # with 20,000 tasks); an id is always a primary-key lookup.
    _TAKE = (
        "UPDATE tasks SET state = 'queuing', progress = $3, lease_owner = $1,"
        f" lease_token = lease_token + 1, lease_expires_at = {_NOW} + $2,"
        f" attempts = attempts + 1, update_time = {_NOW}"
        " WHERE tasks.id = (SELECT id FROM picked LIMIT 1) RETURNING tasks.*"
    )

    async def _update(self, sql: str, *args: Any) -> bool:
        # One statement is its own transaction: no BEGIN/COMMIT round trips around it.
        async with self.db.pool.acquire() as conn:
            return affected(await conn.execute(sql, *args)) == 1

    async def start_generating(self, task_id: str, token: int, engine: str | None) -> bool:
        return await self._update(
            "UPDATE tasks SET state = 'generating', progress = GREATEST(progress, $1),"
            " engine = $2, update_time = $3 WHERE id = $4 AND lease_token = $5"
            f" AND {sql_sources(TaskState.GENERATING)}",
            PROGRESS[TaskState.GENERATING], engine, now_ms(), task_id, token,
        )

    async def set_engine(self, task_id: str, token: int, engine: str) -> bool:
        return await self._update(
            "UPDATE tasks SET engine = $1, update_time = $2 WHERE id = $3 AND lease_token = $4"
            " AND state = 'generating'",
            engine, now_ms(), task_id, token,
        )

    async def heartbeat(
        self, task_id: str, token: int, lease_ms: int, progress: int | None = None
    ) -> Beat:
        async with self.db.pool.acquire() as conn:
            return Beat.of(await conn.fetchrow(
                f"UPDATE tasks SET lease_expires_at = {_NOW} + $1, update_time = $2,"
                " progress = GREATEST(progress, COALESCE($3, progress))"
                f" WHERE id = $4 AND lease_token = $5 AND {SQL_CLAIMED}"
                " RETURNING cancel_requested",
                lease_ms, now_ms(), progress, task_id, token,
            ))

    async def finish(self, task_id: str, token: int, outcome: Finish) -> Task | None:
        """As ``SqliteStore.finish``: the final state, a failure's refund, the result files'
        rows and the callback row, atomically; None when the lease token is stale.

        A task without a callback URL (the statement says so itself) finishes in one
        statement, autocommit. One with a URL needs its callback row, which keeps the balance
        after the refund, so it is finished again by the same statement inside a transaction,
        followed by the row; so is a success that settles a hold (``refund_milli``), with its
        refund before the row."""
        args = _finish_args(task_id, token, outcome)
        sql = _finish_sql(outcome.state)
        settle = outcome.refund_milli if outcome.state is TaskState.SUCCESS else 0
        async with self.db.pool.acquire() as conn:
            if not settle:
                row = await conn.fetchrow(sql, *args, False)
                if row is not None:
                    return Task.from_row(row)
            async with conn.transaction():
                row = await conn.fetchrow(sql, *args, True)
                if row is None:
                    return None
                task = Task.from_row(row)
                if await _refund(conn, task, settle, int(args[5])):  # $6: its time
                    # A settled hold: the task's price becomes what it cost.
                    task = Task.from_row(await conn.fetchrow(
                        "UPDATE tasks SET price_milli = price_milli - $1 WHERE id = $2"
                        " RETURNING *", settle, task.id,
                    ))
                await queue_callback(conn, task)
                return task

    async def release(self, task_id: str, token: int) -> bool:
        return await self._update(
            "UPDATE tasks SET state = 'waiting', progress = 0, lease_owner = NULL,"
            f" lease_expires_at = NULL, update_time = $1 WHERE id = $2 AND lease_token = $3"
            f" AND {SQL_CLAIMED}",
            now_ms(), task_id, token,
        )

    async def release_leases(self, owner: str) -> list[str]:
        """Hand every task leased to ``owner`` back to ``waiting``, each with a new token
        (a restarted worker's previous life left them: db/postgres/leases.py)."""
        return await leases.release_leases(self.db, owner)

    async def overdue(self, now: int, limit: int) -> list[tuple[str, str]]:
        """The live tasks past their Cancel-After deadline (tasks/deadlines.py)."""
        rows = await self.db.fetch(queries.SQL_OVERDUE.format(now="$1", limit="$2"), now, limit)
        return [(str(row["id"]), str(row["account_id"])) for row in rows]

    async def cancel(
        self, account_id: str, task_id: str, msg: str = CANCELED_MSG
    ) -> Cancelled | None:
        """As ``SqliteStore.cancel``; a cancel request of a generating task also NOTIFYs
        ``imagegate_cancel``, so whichever worker process runs it learns at once."""
        async with self.db.transaction() as conn:
            now = now_ms()
            row = await conn.fetchrow(
                SQL_CANCEL_NOW.format(now="$1", msg="$2", id="$3", account="$4"),
                now, msg, task_id, account_id,
            )
            if row is not None:
                task = Task.from_row(row)
                await _refund(conn, task, task.price_milli, now)
                await queue_callback(conn, task)
                return Cancelled(task, ended=True)
            row = await conn.fetchrow(
                SQL_CANCEL_REQUEST.format(now="$1", id="$2", account="$3"),
                now, task_id, account_id,
            )
            if row is not None:
                await conn.execute("SELECT pg_notify($1, $2)", CANCEL_CHANNEL, task_id)
                return Cancelled(Task.from_row(row), ended=False)
        return None

    async def list_tasks(self, query: TaskQuery) -> list[Task]:
        sql, args = queries.task_list(query)
        return [Task.from_row(row) for row in await self.db.fetch(numbered(sql), *args)]

    async def count_by_state(self) -> dict[str, int]:
        rows = await self.db.fetch("SELECT state, COUNT(*) AS n FROM tasks GROUP BY state")
        return {str(r["state"]): int(r["n"]) for r in rows}


async def _refund(conn: asyncpg.Connection, task: Task, amount: int, now: int) -> bool:
    """Give ``amount`` of the task's price back, once (the ledger's unique (task, reason)), in
    the caller's transaction: a cancel's whole price, a settled hold's rest; whether it was."""
    if not amount:
        return False
    refunded = await conn.fetchval(
        "INSERT INTO credit_ledger (account_id, task_id, reason, delta_milli, created_at)"
        " VALUES ($1, $2, 'refund', $3, $4) ON CONFLICT (task_id, reason) DO NOTHING"
        " RETURNING id",
        task.account_id, task.id, amount, now,
    )
    if refunded is None:
        return False
    await conn.execute(
        "UPDATE accounts SET credits_milli = credits_milli + $1 WHERE id = $2",
        amount, task.account_id,
    )
    return True


async def queue_callback(conn: asyncpg.Connection, task: Task) -> None:
    """The finished task's callback row, if it asked for one, in the caller's transaction
    (after any refund, so the balance it keeps includes it)."""
    if not task.notifies("completed"):  # no URL, or webhookEvents without "completed"
        return
    balance = await conn.fetchval(
        "SELECT credits_milli FROM accounts WHERE id = $1", task.account_id
    )
    await conn.execute(
        _PG_QUEUE_CALLBACK, task.id, task.account_id, task.callback_url, task.surface.value,
        int(balance or 0), task.complete_time, task.complete_time,
    )


def _finish_sql(state: TaskState) -> str:
    """The final state ($1..$8), a failure's refund (the unique (task_id, reason) pair makes a
    second impossible), and the result files' rows ($9..$17, one array per column) in chained
    CTEs; $18 false restricts it to a task without a callback URL."""
    return (
        "WITH done AS (UPDATE tasks SET state = $1::varchar, result_json = $2,"
        " fail_code = $3, fail_msg = $4, engine = COALESCE($5, engine),"
        " progress = CASE WHEN $1 = 'success' THEN 100 ELSE progress END,"
        " complete_time = $6, cost_time = $6 - create_time, update_time = $6,"
        " lease_owner = NULL, lease_expires_at = NULL"
        f" WHERE id = $7 AND lease_token = $8 AND {sql_sources(state)}"
        " AND (callback_url IS NULL OR $18) RETURNING *),"
        " refund AS (INSERT INTO credit_ledger (account_id, task_id, reason, delta_milli,"
        " created_at) SELECT account_id, id, 'refund', price_milli, $6 FROM done"
        " WHERE state = 'fail' AND price_milli > 0"
        " ON CONFLICT (task_id, reason) DO NOTHING RETURNING account_id, delta_milli),"
        " credited AS (UPDATE accounts SET credits_milli = credits_milli + refund.delta_milli"
        " FROM refund WHERE accounts.id = refund.account_id),"
        " stored AS (INSERT INTO files (key, account_id, kind, task_id, file_name, mime_type,"
        " size, created_at, expires_at) SELECT f.* FROM done, unnest($9::text[],"
        " $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::bigint[],"
        " $16::bigint[], $17::bigint[])"
        " AS f(key, account_id, kind, task_id, file_name, mime_type, size, created_at,"
        " expires_at)"
        " ON CONFLICT (key) DO UPDATE SET size = excluded.size,"
        " mime_type = excluded.mime_type, expires_at = excluded.expires_at)"
        " SELECT * FROM done"
    )


def _finish_args(task_id: str, token: int, outcome: Finish) -> list[Any]:
    columns: list[list[Any]] = [list(c) for c in zip(*(f.values() for f in outcome.files),
                                                     strict=True)] or [[] for _ in range(9)]
    return [
        outcome.state.value, outcome.result_json, outcome.fail_code, outcome.fail_msg,
        outcome.engine, now_ms(), task_id, token, *columns,
    ]
