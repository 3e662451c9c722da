"""An account's tasks, newest first, a page at a time (its usage: usage.py).

Paging is by cursor, not offset: the cursor names the last row shown (its create time and id),
so a page never repeats or skips a task while new ones arrive at the head. The statement is
db/queries.py's, on the ``ix_tasks_account_created`` index (account, create time).
"""

from __future__ import annotations

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


# A cursor is the last row shown, as ``<create time ms>:<task id>``: readable rather than
# opaque, so the OpenAPI document can say exactly which cursors are valid (any position is:
# the next page starts after it, whether or not that task still exists).
CURSOR_PATTERN = r"^[0-9]{1,15}:[0-9A-Za-z_.-]{1,128}$"


def encode_cursor(task: Task) -> str:
    return f"{task.create_time}:{task.id}"


def decode_cursor(cursor: str) -> tuple[int, str]:
    """The (create time, id) a cursor names; 422 naming ``cursor`` when it is not one."""
    if not re.fullmatch(CURSOR_PATTERN, cursor):
        raise ValidationFailed(
            "cursor", "is not a cursor from a previous page (use data.nextCursor as given)"
        )
    created, _, task_id = cursor.partition(":")
    return int(created), task_id


class TaskRows(Protocol):
    """The store's part of a listing (db/): up to ``query.limit + 1`` tasks, newest first."""

    async def list_tasks(self, query: TaskQuery) -> list[Task]: ...


async def list_tasks(store: TaskRows, query: TaskQuery) -> TaskPage:
    """A page of the account's tasks, and the cursor of the next (None on the last page)."""
    rows = await store.list_tasks(query)
    tasks = rows[: query.limit]
    more = len(rows) > query.limit
    return TaskPage(tasks, encode_cursor(tasks[-1]) if more and tasks else None)
