"""What the contract suite's cases share: tasks and accounts to make, and ``Rows``, a test's
way around the protocols (ageing tasks, forcing a state, reading the key rows), with one
implementation per backend, so that the cases stay the same on all."""

from __future__ import annotations

import json
from typing import Any, Protocol

from imagegate.accounts.model import SpendCaps
from imagegate.backend import Backend
from imagegate.db.postgres.database import PostgresDatabase, numbered
from imagegate.db.sqlite.database import SqliteDatabase
from imagegate.tasks.memory.database import MemoryDatabase
from imagegate.tasks.model import NewTask
from imagegate.tasks.state import TaskState
from imagegate.wire.surfaces import Surface

REFRAME = "ideogram/v3-reframe"
BANANA = "google/nano-banana"
HOOK = "http://127.0.0.1:9/hook"  # never called: the cases record attempts themselves
DAY_MS = 86_400_000


def new_task(
    account_id: str, task_id: str, price: int = 7000, *, model: str = REFRAME,
    callback: str | None = None, priority: int = 0, key_id: str | None = None,
    caps: SpendCaps | None = None, surface: Surface = Surface.JOBS,
) -> NewTask:
    return NewTask(
        id=task_id, account_id=account_id, model=model,
        param=json.dumps({"model": model, "input": {}}), input={"image_size": "square"},
        callback_url=callback, price_milli=price, priority=priority, key_id=key_id, caps=caps,
        surface=surface,
    )


async def account(backend: Backend, credits: int = 100, name: str = "a") -> str:
    """A new account's id, with ``credits`` (whole credits) granted."""
    made = await backend.store.create_account(
        name=name, key_hash=f"hash-{name}", key_prefix="ig_x", credits_milli=credits * 1000
    )
    return made.id


class Rows(Protocol):
    """Changes and reads no protocol offers, which a case needs to set its scene."""

    async def age(self, task_ids: list[str] | None, ms: int) -> None:
        """Move the tasks' (None: every task's) create time ``ms`` into the past."""

    async def force_state(self, task_ids: list[str] | None, state: TaskState) -> None:
        """Put the tasks (None: every task) in ``state``, as if they had got there."""

    async def settle_callbacks(self, state: str) -> None:
        """Put every callback row in ``state`` (delivered, dead)."""

    async def key_rows(self) -> list[tuple[str, str]]:
        """Every Idempotency-Key row: (key, task id)."""

    async def task_ids(self) -> list[str]:
        """Every task's id, sorted."""


class SqlRows:
    """``Rows`` by SQL on SQLite or PostgreSQL (written with SQLite's ``?``)."""

    def __init__(self, db: SqliteDatabase | PostgresDatabase) -> None:
        self.db = db

    async def _write(self, sql: str, *args: Any) -> None:
        if isinstance(self.db, PostgresDatabase):
            await self.db.execute(numbered(sql), *args)
        else:
            await self.db.write(lambda conn: conn.execute(sql, args))

    async def _read(self, sql: str, *args: Any) -> list[Any]:
        if isinstance(self.db, PostgresDatabase):
            return list(await self.db.fetch(numbered(sql), *args))
        return self.db.conn.execute(sql, args).fetchall()

    async def _each(self, task_ids: list[str] | None, sql: str, *args: Any) -> None:
        if task_ids is None:
            await self._write(sql, *args)
        for task_id in task_ids or ():
            await self._write(sql + " WHERE id = ?", *args, task_id)

    async def age(self, task_ids: list[str] | None, ms: int) -> None:
        await self._each(task_ids, "UPDATE tasks SET create_time = create_time - ?", ms)

    async def force_state(self, task_ids: list[str] | None, state: TaskState) -> None:
        await self._each(task_ids, "UPDATE tasks SET state = ?", state.value)

    async def settle_callbacks(self, state: str) -> None:
        await self._write("UPDATE callbacks SET state = ?", state)

    async def key_rows(self) -> list[tuple[str, str]]:
        rows = await self._read("SELECT key, task_id FROM idempotency_keys ORDER BY key")
        return [(row[0], row[1]) for row in rows]

    async def task_ids(self) -> list[str]:
        return [row[0] for row in await self._read("SELECT id FROM tasks ORDER BY id")]


class MemoryRows:
    """``Rows`` on the in-memory database's rows."""

    def __init__(self, db: MemoryDatabase) -> None:
        self.db = db

    def _tasks(self, task_ids: list[str] | None) -> list[Any]:
        ids = list(self.db.tasks) if task_ids is None else task_ids
        return [self.db.tasks[task_id] for task_id in ids]

    async def age(self, task_ids: list[str] | None, ms: int) -> None:
        for row in self._tasks(task_ids):
            row.create_time -= ms

    async def force_state(self, task_ids: list[str] | None, state: TaskState) -> None:
        for row in self._tasks(task_ids):
            row.state = state
            self.db.settle(row)

    async def settle_callbacks(self, state: str) -> None:
        for entry in self.db.callbacks.values():
            entry.state = state

    async def key_rows(self) -> list[tuple[str, str]]:
        return sorted((key, row.task_id) for (_, key), row in self.db.idempotency.items())

    async def task_ids(self) -> list[str]:
        return sorted(self.db.tasks)


def rows_of(backend: Backend) -> Rows:
    if isinstance(backend.db, MemoryDatabase):
        return MemoryRows(backend.db)
    return SqlRows(backend.db)
