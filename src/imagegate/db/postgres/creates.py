"""createTask on PostgreSQL, combined: the creates that arrive while one is being written are
written together, in one statement.

Every create of an account debits the same account row, so concurrent creates queue on its
row lock, and each pays a statement, a commit and a wake-up of the waiters. One statement for
all the creates waiting at that moment takes the account row once per batch: the debit (the
sum of the batch's prices), the fair-queuing clock (one slot per task, tasks/fairness.py), a
ledger row and a task row per create, and the NOTIFY that wakes the workers. One batch is
written at a time; a lone create waits for nobody (it is a batch of one), and under load the
batches grow by themselves while the previous one commits.

Credits are checked per account in the order the creates arrived: the batch takes the longest
prefix of each account's creates that its balance covers. A create past that prefix is not
refused on the batch's word: it is written again alone (``PostgresStore._insert``), which
debits it if the balance still covers it and answers 402 with the balance otherwise, exactly
as a create written alone would be.

Only the plain create is combined: one with an Idempotency-Key or under a key's spending caps
needs its own transaction (pg_store.PostgresStore.create_task).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from imagegate.clock import now_ms
from imagegate.db.postgres.database import PostgresDatabase
from imagegate.db.signals import TASKS_CHANNEL
from imagegate.tasks.fairness import SLOT_MS
from imagegate.tasks.model import NewTask, Task

# A bound on one statement's size (its arrays), far above what one API process gathers in the
# time of one commit.
MAX_BATCH = 256

# $1..$10: one array per column of the creates, in arrival order; $11 now (ms); $12 the slot;
# $13 the channel. Workers are woken once per model, with the count (``wake_payload``). The
# batch's accounts are locked in id order: two API processes writing batches of the same
# accounts then queue, where locking in any order could deadlock them.
_SQL = (
    "WITH req AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[],"
    " $5::text[], $6::text[], $7::bigint[], $8::int[], $9::text[], $10::text[],"
    " $14::bigint[], $15::bigint[], $16::text[])"
    " WITH ORDINALITY AS r(id, account_id, model, param, input, callback_url, price, priority,"
    " key_id, surface, cancel_at, retention, webhook_events, ord)),"
    " acct AS (SELECT id, credits_milli, GREATEST(fair_clock, $11) AS clock FROM accounts"
    " WHERE id IN (SELECT account_id FROM req) ORDER BY id FOR UPDATE),"
    " run AS (SELECT req.*, acct.credits_milli AS balance, acct.clock,"
    " sum(req.price) OVER w AS spent, row_number() OVER w AS k"
    " FROM req JOIN acct ON acct.id = req.account_id"
    " WINDOW w AS (PARTITION BY req.account_id ORDER BY req.ord)),"
    " ok AS (SELECT * FROM run WHERE spent <= balance),"
    " debit AS (UPDATE accounts SET credits_milli = accounts.credits_milli - s.total,"
    " fair_clock = s.clock + s.n * $12 FROM (SELECT account_id, max(clock) AS clock,"
    " sum(price) AS total, count(*) AS n FROM ok GROUP BY account_id) s"
    " WHERE accounts.id = s.account_id),"
    " ledger AS (INSERT INTO credit_ledger (account_id, task_id, reason, delta_milli,"
    " created_at) SELECT account_id, id, 'debit', -price, $11 FROM ok WHERE price > 0),"
    " task AS (INSERT INTO tasks (id, account_id, model, state, param, input, callback_url,"
    " progress, price_milli, create_time, update_time, attempts, lease_token, priority,"
    " fair_key, key_id, surface, cancel_at, result_retention_ms, webhook_events) SELECT id,"
    " account_id, model, 'waiting', param, input, callback_url, 0, price, $11, $11, 0, 0,"
    " priority, clock + k * $12, key_id, surface, cancel_at, retention, webhook_events"
    " FROM ok ORDER BY ord RETURNING *),"
    " woke AS (SELECT pg_notify($13, model || ' ' || count(*)) FROM ok GROUP BY model)"
    " SELECT task.* FROM task WHERE (SELECT count(*) FROM woke) >= 0"
)


class CreateCombiner:
    """Writes the plain creates of one process in batches (see the module's docstring)."""

    def __init__(
        self, db: PostgresDatabase, alone: Callable[[NewTask], Awaitable[Task]]
    ) -> None:
        self.db = db
        self.alone = alone  # the single create: for those past their account's prefix
        self._waiting: list[tuple[NewTask, asyncio.Future[Task]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def create(self, new: NewTask) -> Task:
        future: asyncio.Future[Task] = asyncio.get_running_loop().create_future()
        # Read even when the caller has gone, so a refusal nobody awaits is not logged as
        # an exception never retrieved.
        future.add_done_callback(_consume)
        self._waiting.append((new, future))
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_all(), name="imagegate-creates")
        # Shielded: a caller that goes away (its client hung up) does not take the batch with
        # it; its task is created or refused all the same, as a create alone would be.
        return await asyncio.shield(future)

    async def _write_all(self) -> None:
        try:
            while self._waiting:
                batch = self._waiting[:MAX_BATCH]
                del self._waiting[:MAX_BATCH]
                await self._write(batch)
        finally:
            self._writer = None

    async def _write(self, batch: list[tuple[NewTask, asyncio.Future[Task]]]) -> None:
        try:
            columns = _columns([new for new, _ in batch])
            rows = await self.db.fetch(_SQL, *columns[:10], now_ms(), SLOT_MS, TASKS_CHANNEL,
                                       *columns[10:])
            made = {row["id"]: Task.from_row(row) for row in rows}
        except Exception as exc:
            # Every create of the batch hears why (none may wait forever).
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for new, future in batch:
            task = made.get(new.id)
            if task is not None:
                future.set_result(task)
            else:
                # Past the account's prefix: its own statement decides, exactly.
                _settle(future, asyncio.ensure_future(self.alone(new)))


def _consume(future: asyncio.Future[Task]) -> None:
    if not future.cancelled():
        future.exception()


def _settle(future: asyncio.Future[Task], alone: asyncio.Future[Task]) -> None:
    def done(result: asyncio.Future[Task]) -> None:
        if future.done():
            return
        if result.cancelled():
            future.cancel()
        elif (exc := result.exception()) is not None:
            future.set_exception(exc)
        else:
            future.set_result(result.result())

    alone.add_done_callback(done)


def _columns(creates: list[NewTask]) -> list[list[Any]]:
    return [
        [c.id for c in creates],
        [c.account_id for c in creates],
        [c.model for c in creates],
        [c.param for c in creates],
        [json.dumps(c.input, separators=(",", ":")) for c in creates],
        [c.callback_url for c in creates],
        [c.price_milli for c in creates],
        [c.priority for c in creates],
        [c.key_id for c in creates],
        [c.surface.value for c in creates],
        [c.cancel_at for c in creates],  # $14, $15: after the scalars $11-$13
        [c.result_retention_ms for c in creates],
        [c.webhook_events for c in creates],
    ]
