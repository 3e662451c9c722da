"""An account's usage per model per UTC day (``GET /api/v1/usage``).

Usage is read from the tasks themselves plus the ``usage_days`` rows: when the janitor deletes
finished tasks past ``task_retention_days`` (tasks/retention.py) it first adds them up there,
per account, model and day, in the same transaction. So the totals of a day read the same
before and after its tasks are gone, and nothing is counted twice (the SQL: db/queries.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

DAY_MS = 86_400_000


@dataclass(frozen=True, slots=True)
class UsageRow:
    """One model on one UTC day: its tasks by outcome and the credits they cost."""

    day: int  # epoch ms of the day's start, UTC
    model: str
    tasks: int
    succeeded: int
    failed: int
    running: int
    credits_milli: int


class UsageGroups(Protocol):
    """The store's part (db/): (day, model, tasks, succeeded, failed, credits) rows, from the
    live tasks and from ``usage_days``, for tasks created in [from, to)."""

    async def usage_groups(
        self, account_id: str, created_from: int, created_to: int
    ) -> list[tuple[Any, ...]]: ...


async def usage(
    store: UsageGroups, account_id: str, created_from: int, created_to: int
) -> list[UsageRow]:
    """The account's usage per model per UTC day for tasks created in [from, to), whole days
    (``usage_days`` holds whole days only)."""
    totals: dict[tuple[int, str], list[int]] = {}
    groups = await store.usage_groups(account_id, created_from, created_to)
    for day, model, tasks, succeeded, failed, credits in groups:
        into = totals.setdefault((int(day), str(model)), [0, 0, 0, 0])
        for index, value in enumerate((tasks, succeeded, failed, credits)):
            into[index] += int(value or 0)
    return [
        UsageRow(day=day, model=model, tasks=tasks, succeeded=succeeded, failed=failed,
                 running=tasks - succeeded - failed, credits_milli=credits)
        for (day, model), (tasks, succeeded, failed, credits) in sorted(totals.items())
    ]

