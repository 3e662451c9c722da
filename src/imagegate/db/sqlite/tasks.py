"""The task store (tasks/store.py) on SQLite: tasks, accounts, the credit ledger and the
callback outbox rows.

Each public method is one transaction. The lifecycle's rules (which state may follow which,
what a failure refunds, when a callback is due) are written in tasks/state.py; here they are
only enforced, by conditional UPDATEs that refuse a move from the wrong state or by a worker
whose lease token is stale.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

from imagegate.catalog.pricing import milli_to_credits
from imagegate.clock import now_ms
from imagegate.db import queries
from imagegate.db.sqlite import caps, idempotency, leases
from imagegate.db.sqlite.accounts import SqliteAccounts
from imagegate.db.sqlite.files import SQL_UPSERT_FILE
from imagegate.errors import InsufficientCredits
from imagegate.tasks.cancel import CANCELED, CANCELED_MSG, Cancelled
from imagegate.tasks.fairness import SLOT_MS
from imagegate.tasks.listing import TaskQuery
from imagegate.tasks.model import IdempotencyKey, NewTask, Task
from imagegate.tasks.state import PROGRESS, SQL_CLAIMED, TaskState, sql_sources
from imagegate.tasks.store import Beat, Finish

# cancelTask (tasks/cancel.py): a task not yet running ends at once, its lease token moved on
# so the worker that claimed it finds its lease gone; a generating one is asked to stop.
SQL_CANCEL_NOW = (
    "UPDATE tasks SET state = 'fail', fail_code = '" + CANCELED + "', fail_msg = {msg},"
    " complete_time = {now}, cost_time = {now} - create_time, update_time = {now},"
    " lease_owner = NULL, lease_expires_at = NULL, lease_token = lease_token + 1"
    " WHERE id = {id} AND account_id = {account} AND state IN ('waiting', 'queuing')"
    " RETURNING *"
)
SQL_CANCEL_REQUEST = (
    "UPDATE tasks SET cancel_requested = 1, update_time = {now}"
    " WHERE id = {id} AND account_id = {account} AND state = 'generating' RETURNING *"
)

# A finished task's callback row (tasks/outbox.py): what the sender renders the body from.
# Params: task id, account, url, surface, balance after the task, now, now.
SQL_QUEUE_CALLBACK = (
    "INSERT INTO callbacks (task_id, account_id, url, surface, balance_milli, state, attempts,"
    " next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?)"
    " ON CONFLICT (task_id) DO NOTHING"
)


class SqliteStore(SqliteAccounts):
    """Tasks (and, from ``SqliteAccounts``, accounts, ledger and meta rows) on one SQLite
    database: the backend's one store object (backend.py's ``Store``)."""

    # ----------------------------------------------------------------- tasks

    async def create_task(self, new: NewTask, key: IdempotencyKey | None = None) -> Task:
        """Debit the price and insert the task in one transaction (402 when short).

        With ``key``, the same transaction claims the account's Idempotency-Key for the task
        first: when a live row holds the key already (a repeat, or the winner of a race), the
        task it made is returned instead and nothing is debited or inserted (``task.id`` then
        differs from ``new.id``); a key used for another request is refused (422).
        """

        def tx(conn: sqlite3.Connection) -> Task:
            now = now_ms()
            if key is not None and not idempotency.claim(conn, new.account_id, key, new.id, now):
                task_id = idempotency.live_task_id(conn, new.account_id, key, now)
                row = conn.execute("SELECT * FROM tasks WHERE id = ?", (task_id,)).fetchone()
                if row is None:  # pragma: no cover - a key row is only written with its task
                    raise RuntimeError(f"Idempotency-Key row without its task {task_id}")
                return Task.from_row(row)
            if new.caps and new.key_id is not None:
                caps.check_sqlite(
                    conn, new.account_id, new.key_id, new.caps, new.price_milli, now
                )
            # One UPDATE of the account row: the debit (when priced) and the fair-queuing
            # clock (tasks/fairness.py), which gives the task its place in the queue.
            moved = conn.execute(
                "UPDATE accounts SET credits_milli = credits_milli - ?,"
                " fair_clock = MAX(fair_clock, ?) + ?"
                " WHERE id = ? AND credits_milli >= ? RETURNING fair_clock",
                (new.price_milli, now, SLOT_MS, new.account_id, new.price_milli),
            ).fetchone()
            if moved is None:
                balance = conn.execute(
                    "SELECT credits_milli FROM accounts WHERE id = ?", (new.account_id,)
                ).fetchone()
                have = milli_to_credits(balance[0]) if balance else 0
                raise InsufficientCredits(
                    f"Insufficient credits: this task costs "
                    f"{milli_to_credits(new.price_milli)}, the balance is {have}"
                )
            if new.price_milli:
                conn.execute(
                    "INSERT INTO credit_ledger (account_id, task_id, reason, delta_milli,"
                    " created_at) VALUES (?, ?, 'debit', ?, ?)",
                    (new.account_id, new.id, -new.price_milli, now),
                )
            row = conn.execute(
                "INSERT INTO tasks (id, account_id, model, state, param, input, callback_url,"
                " progress, price_milli, create_time, update_time, attempts, lease_token,"
                " priority, fair_key, key_id, surface, cancel_at, result_retention_ms,"
                " webhook_events)"
                " VALUES (?, ?, ?, 'waiting', ?, ?, ?, 0, ?, ?, ?, 0, 0, ?, ?, ?, ?, ?, ?, ?)"
                " RETURNING *",
                (new.id, new.account_id, new.model, new.param,
                 json.dumps(new.input, separators=(",", ":")), new.callback_url,
                 new.price_milli, now, now, new.priority, int(moved[0]), new.key_id,
                 new.surface.value, new.cancel_at, new.result_retention_ms,
                 new.webhook_events),
            ).fetchone()
            return Task.from_row(row)

        return await self.db.write(tx)

    async def keyed_task(self, account_id: str, key: IdempotencyKey) -> Task | None:
        """The task the account's live Idempotency-Key made for this same request; None when
        the key is unknown or past its window; 422 when it was used for another request."""
        task_id = idempotency.live_task_id(self.db.conn, account_id, key, now_ms())
        return None if task_id is None else await self.get_task(task_id, account_id)

    async def forget_expired_keys(self, now: int | None = None) -> int:
        """Delete the Idempotency-Keys past their window; how many were deleted."""
        return await idempotency.forget_expired(self.db, now if now is not None else now_ms())

    async def get_task(self, task_id: str, account_id: str | None = None) -> Task | None:
        """The task, or None if unknown or (when ``account_id`` is given) another account's."""
        if account_id is None:
            row = self.db.conn.execute("SELECT * FROM tasks WHERE id = ?", (task_id,)).fetchone()
        else:
            row = self.db.conn.execute(
                "SELECT * FROM tasks WHERE id = ? AND account_id = ?", (task_id, account_id)
            ).fetchone()
        return Task.from_row(row) if row else None

    async def claim(
        self,
        worker_id: str,
        lease_ms: int,
        models: Sequence[str] | None = None,
        exclude: Sequence[str] = (),
    ) -> Task | None:
        """Take a task whose lease expired, else the next fair one (tasks/fairness.py), into
        ``queuing`` (of ``models`` only, when given: a worker serves the models it has
        engines for; never of ``exclude``: those whose engine is busy in this worker).

        Each claim increments ``lease_token``; later writes of this worker carry the token, so
        a worker that was presumed dead and comes back cannot overwrite the new owner's work.
        """

        def tx(conn: sqlite3.Connection) -> Task | None:
            now = now_ms()
            # Expired leases first (they are the oldest work), then the oldest waiting task.
            # Two indexed lookups: one query with OR would sort the whole queue every claim.
            only, names = "", (*(models or ()), *exclude)
            if models is not None:
                only = f" AND model IN ({', '.join('?' * len(models)) or 'NULL'})"
            if exclude:
                only += f" AND model NOT IN ({', '.join('?' * len(exclude))})"
            # Expired leases first (they are the oldest work), then the next fair slot.
            found = conn.execute(
                f"SELECT id FROM tasks WHERE {SQL_CLAIMED} AND lease_expires_at < ?{only} LIMIT 1",
                (now, *names),
            ).fetchone()
            if found is None:
                found = self._next_fair(conn, only, names)
            if found is None:
                return None
            row = conn.execute(
                "UPDATE tasks SET state = 'queuing', progress = ?, lease_owner = ?,"
                " lease_token = lease_token + 1, lease_expires_at = ?, attempts = attempts + 1,"
                " update_time = ? WHERE id = ? RETURNING *",
                (PROGRESS[TaskState.QUEUING], worker_id, now + lease_ms, now, found[0]),
            ).fetchone()
            return Task.from_row(row) if row else None

        return await self.db.write(tx)

    @staticmethod
    def _next_fair(
        conn: sqlite3.Connection, only: str, names: tuple[str, ...]
    ) -> sqlite3.Row | None:
        """The waiting task to run next: the smallest fair key's account, its most urgent
        task; the two swap keys when they differ (tasks/fairness.py)."""
        slot = conn.execute(
            f"SELECT id, account_id, fair_key FROM tasks WHERE state = 'waiting'{only}"
            " ORDER BY fair_key LIMIT 1",
            names,
        ).fetchone()
        if slot is None:
            return None
        best = conn.execute(
            f"SELECT id, fair_key FROM tasks WHERE state = 'waiting' AND account_id = ?{only}"
            " ORDER BY priority DESC, create_time, id LIMIT 1",
            (slot["account_id"], *names),
        ).fetchone()
        if best["id"] != slot["id"]:
            conn.execute(
                "UPDATE tasks SET fair_key = ? WHERE id = ?", (best["fair_key"], slot["id"])
            )
        return best  # type: ignore[no-any-return]

    async def start_generating(self, task_id: str, token: int, engine: str | None) -> bool:
        """``queuing`` → ``generating``; False if the lease was lost."""

        def tx(conn: sqlite3.Connection) -> bool:
            cur = conn.execute(
                "UPDATE tasks SET state = 'generating', progress = MAX(progress, ?), engine = ?,"
                " update_time = ? WHERE id = ? AND lease_token = ?"
                f" AND {sql_sources(TaskState.GENERATING)}",
                (PROGRESS[TaskState.GENERATING], engine, now_ms(), task_id, token),
            )
            return cur.rowcount == 1

        return await self.db.write(tx)

    async def set_engine(self, task_id: str, token: int, engine: str) -> bool:
        """Record the engine now working on a generating task (a failover changes it);
        False if the lease was lost."""

        def tx(conn: sqlite3.Connection) -> bool:
            cur = conn.execute(
                "UPDATE tasks SET engine = ?, update_time = ? WHERE id = ? AND lease_token = ?"
                " AND state = 'generating'",
                (engine, now_ms(), task_id, token),
            )
            return cur.rowcount == 1

        return await self.db.write(tx)

    async def heartbeat(
        self, task_id: str, token: int, lease_ms: int, progress: int | None = None
    ) -> Beat:
        """Extend the lease (and record progress): LOST (falsy) if another worker holds it
        now, CANCEL when the account asked for the task to stop (tasks/cancel.py)."""

        def tx(conn: sqlite3.Connection) -> Beat:
            now = now_ms()
            row = conn.execute(
                "UPDATE tasks SET lease_expires_at = ?, update_time = ?,"
                " progress = MAX(progress, COALESCE(?, progress))"
                f" WHERE id = ? AND lease_token = ? AND {SQL_CLAIMED} RETURNING cancel_requested",
                (now + lease_ms, now, progress, task_id, token),
            ).fetchone()
            return Beat.of(row)

        return await self.db.write(tx)

    async def finish(self, task_id: str, token: int, outcome: Finish) -> Task | None:
        """End a claimed task: its final state, the refund of a failure, the callback row.

        All in one transaction; None when the lease token is stale (someone else finishes it).
        """

        def tx(conn: sqlite3.Connection) -> Task | None:
            now = now_ms()
            row = conn.execute(
                "UPDATE tasks SET state = ?, result_json = ?, fail_code = ?, fail_msg = ?,"
                " engine = COALESCE(?, engine), progress = CASE WHEN ? = 'success' THEN 100"
                " ELSE progress END, complete_time = ?, cost_time = ? - create_time,"
                " update_time = ?, lease_owner = NULL, lease_expires_at = NULL"
                f" WHERE id = ? AND lease_token = ? AND {sql_sources(outcome.state)}"
                " RETURNING *",
                (outcome.state.value, outcome.result_json, outcome.fail_code, outcome.fail_msg,
                 outcome.engine, outcome.state.value, now, now, now, task_id, token),
            ).fetchone()
            if row is None:
                return None
            conn.executemany(SQL_UPSERT_FILE, [file.values() for file in outcome.files])
            task = Task.from_row(row)
            if outcome.state is TaskState.SUCCESS and outcome.refund_milli > 0:
                task = self._settle(conn, task, outcome.refund_milli, now)
            return self._after_terminal(conn, task, now)

        return await self.db.write(tx)

    async def release(self, task_id: str, token: int) -> bool:
        """Hand a claimed task back to ``waiting`` (a worker shutting down cleanly), so the
        next worker takes it at once instead of after the lease expires."""

        def tx(conn: sqlite3.Connection) -> bool:
            cur = conn.execute(
                "UPDATE tasks SET state = 'waiting', progress = 0, lease_owner = NULL,"
                " lease_expires_at = NULL, update_time = ?"
                f" WHERE id = ? AND lease_token = ? AND {SQL_CLAIMED}",
                (now_ms(), task_id, token),
            )
            return cur.rowcount == 1

        return await self.db.write(tx)

    async def release_leases(self, owner: str) -> list[str]:
        """Hand every task leased to ``owner`` back to ``waiting``, each with a new token
        (a restarted worker's previous life left them: db/sqlite/leases.py)."""
        return await leases.release_leases(self.db, owner)

    async def cancel(
        self, account_id: str, task_id: str, msg: str = CANCELED_MSG
    ) -> Cancelled | None:
        """tasks/cancel.py's two moves in one transaction: a task not yet running ends now
        (refunded, its callback row queued, its lease token moved on), a generating one gets
        ``cancel_requested``; None when neither applies (unknown, another account's, finished)."""

        def tx(conn: sqlite3.Connection) -> Cancelled | None:
            now = now_ms()
            row = conn.execute(
                SQL_CANCEL_NOW.format(now="?", id="?", account="?", msg="?"),
                (msg, now, now, now, task_id, account_id),
            ).fetchone()
            if row is not None:
                task = self._after_terminal(conn, Task.from_row(row), now)
                return Cancelled(task, ended=True)
            row = conn.execute(
                SQL_CANCEL_REQUEST.format(now="?", id="?", account="?"),
                (now, task_id, account_id),
            ).fetchone()
            return Cancelled(Task.from_row(row), ended=False) if row is not None else None

        return await self.db.write(tx)

    async def overdue(self, now: int, limit: int) -> list[tuple[str, str]]:
        """The live tasks past their Cancel-After deadline (tasks/deadlines.py)."""
        rows = self.db.conn.execute(
            queries.SQL_OVERDUE.format(now="?", limit="?"), (now, limit)
        ).fetchall()
        return [(str(row["id"]), str(row["account_id"])) for row in rows]

    @staticmethod
    def _settle(conn: sqlite3.Connection, task: Task, refund: int, now: int) -> Task:
        """A success's ``Finish.refund_milli``: given back once (its ledger row is the task's
        one refund) and taken off the task's price, in the finish's transaction."""
        refunded = conn.execute(
            "INSERT INTO credit_ledger (account_id, task_id, reason, delta_milli, created_at)"
            " VALUES (?, ?, 'refund', ?, ?) ON CONFLICT (task_id, reason) DO NOTHING",
            (task.account_id, task.id, refund, now),
        ).rowcount
        if not refunded:
            return task
        conn.execute(
            "UPDATE accounts SET credits_milli = credits_milli + ? WHERE id = ?",
            (refund, task.account_id),
        )
        row = conn.execute(
            "UPDATE tasks SET price_milli = price_milli - ? WHERE id = ? RETURNING *",
            (refund, task.id),
        ).fetchone()
        return Task.from_row(row)

    @staticmethod
    def _after_terminal(conn: sqlite3.Connection, task: Task, now: int) -> Task:
        """A terminal move's refund (a failure's, once) and callback row, in its transaction:
        the row keeps the balance after the refund, the body's ``remainedCredits``."""
        if task.state is TaskState.FAIL and task.price_milli:
            # The unique (task_id, reason) pair makes a second refund impossible.
            refunded = conn.execute(
                "INSERT INTO credit_ledger (account_id, task_id, reason, delta_milli, created_at)"
                " VALUES (?, ?, 'refund', ?, ?) ON CONFLICT (task_id, reason) DO NOTHING",
                (task.account_id, task.id, task.price_milli, now),
            ).rowcount
            if refunded:
                conn.execute(
                    "UPDATE accounts SET credits_milli = credits_milli + ? WHERE id = ?",
                    (task.price_milli, task.account_id),
                )
        # A request whose webhookEvents leave "completed" out gets no final callback.
        if task.notifies("completed"):
            balance_row = conn.execute(
                "SELECT credits_milli FROM accounts WHERE id = ?", (task.account_id,)
            ).fetchone()
            balance = int(balance_row[0]) if balance_row else 0
            conn.execute(SQL_QUEUE_CALLBACK, (
                task.id, task.account_id, task.callback_url, task.surface.value, balance, now,
                now,
            ))
        return task

    async def list_tasks(self, query: TaskQuery) -> list[Task]:
        """Up to ``query.limit + 1`` of the account's tasks, newest first (tasks/listing.py)."""
        sql, args = queries.task_list(query)
        return [Task.from_row(row) for row in self.db.conn.execute(sql, args).fetchall()]

    async def count_by_state(self) -> dict[str, int]:
        rows = self.db.conn.execute(
            "SELECT state, COUNT(*) FROM tasks GROUP BY state"
        ).fetchall()
        return {str(r[0]): int(r[1]) for r in rows}
