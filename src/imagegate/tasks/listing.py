"""An account's tasks, newest first, a page at a time (its usage: usage.py).

Paging is by cursor, not offset: the cursor names the last row shown (its create time and id),
so a page never repeats or skips a task while new ones arrive at the head. The statement is
db/queries.py's, on the ``ix_tasks_account_created`` index (account, create time).
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Protocol

from imagegate.errors import ValidationFailed
from imagegate.tasks.model import Task

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


class TaskRows(Protocol):
    """The store's part of a listing (db/): up to ``query.limit + 1`` tasks, newest first."""

    async def list_tasks(self, query: TaskQuery) -> list[Task]: ...


async def list_tasks(store: TaskRows, query: TaskQuery) -> TaskPage:
    """A page of the account's tasks, and the cursor of the next (None on the last page)."""
    rows = await store.list_tasks(query)
    tasks = rows[: query.limit]
    more = len(rows) > query.limit
    return TaskPage(tasks, encode_cursor(tasks[-1]) if more and tasks else None)
