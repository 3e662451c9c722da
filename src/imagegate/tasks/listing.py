"""An account's tasks, newest first, a page at a time (its usage: usage.py).

It reads the ``ix_tasks_account_created`` index (account, create time). Paging is by cursor,
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
    rows = await fetch_rows(store, sql, args)
    tasks = [Task.from_row(row) for row in rows[: query.limit]]
    more = len(rows) > query.limit
    return TaskPage(tasks, encode_cursor(tasks[-1]) if more and tasks else None)


async def fetch_rows(
    store: SqliteStore | PostgresStore, sql: str, args: list[Any]
) -> list[Any]:
    """``sql`` (written with ``?`` placeholders) on either database."""
    if isinstance(store, PostgresStore):
        return await store.db.fetch(numbered(sql), *args)
    return list(store.db.conn.execute(sql, args).fetchall())
