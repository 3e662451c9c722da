"""An account's tasks, newest first, a page at a time; and its usage per model per day.

Both read the ``ix_tasks_account_created`` index (account, create time). Paging is by cursor,
not offset: the cursor names the last row shown (its create time and id), so a page never
repeats or skips a task while new ones arrive at the head. The same SQL serves SQLite and
PostgreSQL; only the placeholders differ (``postgres.numbered``).
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Any

from imagegate.errors import ValidationFailed
from imagegate.tasks.model import Task
from imagegate.tasks.pg_store import PostgresStore
from imagegate.tasks.postgres import numbered
from imagegate.tasks.store import SqliteStore

MAX_PAGE = 100
DAY_MS = 86_400_000


@dataclass(frozen=True, slots=True)
class TaskQuery:
    """Which of an account's tasks to list: any of ``states``, of ``model``, created in
    [``created_from``, ``created_to``) (epoch ms), after the ``cursor`` row; ``limit`` rows."""

    account_id: str
    states: tuple[str, ...] = ()
    model: str | None = None
    created_from: int | None = None
    created_to: int | None = None
    cursor: tuple[int, str] | None = None
    limit: int = 20


@dataclass(frozen=True, slots=True)
class TaskPage:
    tasks: list[Task]
    next_cursor: str | None  # None on the last page


def encode_cursor(task: Task) -> str:
    raw = f"{task.create_time}:{task.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, str]:
    """The (create time, id) a cursor names; 422 naming ``cursor`` when it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created, _, task_id = raw.partition(":")
        if not task_id or not re.fullmatch(r"[0-9]{1,15}", created):
            raise ValueError(raw)
        return int(created), task_id
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise ValidationFailed(
            "cursor", "is not a cursor from a previous page (use data.nextCursor as given)"
        ) from exc


async def list_tasks(store: SqliteStore | PostgresStore, query: TaskQuery) -> TaskPage:
    where: list[str] = ["account_id = ?"]
    args: list[Any] = [query.account_id]
    if query.states:
        where.append(f"state IN ({', '.join('?' for _ in query.states)})")
        args.extend(query.states)
    if query.model is not None:
        where.append("model = ?")
        args.append(query.model)
    if query.created_from is not None:
        where.append("create_time >= ?")
        args.append(query.created_from)
    if query.created_to is not None:
        where.append("create_time < ?")
        args.append(query.created_to)
    if query.cursor is not None:
        created, task_id = query.cursor
        where.append("(create_time < ? OR (create_time = ? AND id < ?))")
        args.extend([created, created, task_id])
    # One row more than the page: whether there is a next page, without a COUNT.
    sql = (
        f"SELECT * FROM tasks WHERE {' AND '.join(where)}"
        " ORDER BY create_time DESC, id DESC LIMIT ?"
    )
    args.append(query.limit + 1)
    rows = await _fetch(store, sql, args)
    tasks = [Task.from_row(row) for row in rows[: query.limit]]
    more = len(rows) > query.limit
    return TaskPage(tasks, encode_cursor(tasks[-1]) if more and tasks else None)


@dataclass(frozen=True, slots=True)
class UsageRow:
    """One model on one UTC day: its tasks by outcome and the credits they cost (a failed or
    cancelled task is refunded, so costs nothing; a running one is charged until it fails)."""

    day: int  # epoch ms of the day's start, UTC
    model: str
    tasks: int
    succeeded: int
    failed: int
    running: int
    credits_milli: int


async def usage(
    store: SqliteStore | PostgresStore, account_id: str, created_from: int, created_to: int
) -> list[UsageRow]:
    """The account's usage per model per UTC day for tasks created in [from, to)."""
    sql = (
        f"SELECT (create_time / {DAY_MS}) * {DAY_MS} AS day, model, COUNT(*) AS tasks,"
        " SUM(CASE WHEN state = 'success' THEN 1 ELSE 0 END) AS succeeded,"
        " SUM(CASE WHEN state = 'fail' THEN 1 ELSE 0 END) AS failed,"
        " SUM(CASE WHEN state = 'fail' THEN 0 ELSE price_milli END) AS credits_milli"
        " FROM tasks WHERE account_id = ? AND create_time >= ? AND create_time < ?"
        " GROUP BY 1, 2 ORDER BY 1, 2"
    )
    rows = await _fetch(store, sql, [account_id, created_from, created_to])
    return [
        UsageRow(
            day=int(r["day"]), model=str(r["model"]), tasks=int(r["tasks"]),
            succeeded=int(r["succeeded"]), failed=int(r["failed"]),
            running=int(r["tasks"]) - int(r["succeeded"]) - int(r["failed"]),
            credits_milli=int(r["credits_milli"] or 0),
        )
        for r in rows
    ]


async def _fetch(store: SqliteStore | PostgresStore, sql: str, args: list[Any]) -> list[Any]:
    if isinstance(store, PostgresStore):
        return await store.db.fetch(numbered(sql), *args)
    return list(store.db.conn.execute(sql, args).fetchall())
