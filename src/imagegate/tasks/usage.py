"""An account's usage per model per UTC day (``GET /api/v1/usage``), and the fold that keeps it
once retention deletes task records.

Usage is read from the tasks themselves (through ``ix_tasks_account_created``), plus the
``usage_days`` rows: when the janitor deletes finished tasks past ``task_retention_days``
(retention.py) it first adds them up there, per account, model and day, in the same
transaction. So the totals of a day read the same before and after its tasks are gone, and
nothing is counted twice. The same SQL serves SQLite and PostgreSQL (``postgres.numbered``).
"""

from __future__ import annotations

from dataclasses import dataclass

from imagegate.tasks.listing import fetch_rows
from imagegate.tasks.pg_store import PostgresStore
from imagegate.tasks.store import SqliteStore

DAY_MS = 86_400_000

# A group of tasks as a usage row: (day, model, tasks, succeeded, failed, credits). A failed or
# cancelled task was refunded, so costs nothing; a running one is charged until it fails.
_AGGREGATES = (
    f"(create_time / {DAY_MS}) * {DAY_MS}, model, COUNT(*),"
    " SUM(CASE WHEN state = 'success' THEN 1 ELSE 0 END),"
    " SUM(CASE WHEN state = 'fail' THEN 1 ELSE 0 END),"
    " SUM(CASE WHEN state = 'fail' THEN 0 ELSE price_milli END)"
)
_LIVE = (
    f"SELECT {_AGGREGATES} FROM tasks"
    " WHERE account_id = ? AND create_time >= ? AND create_time < ? GROUP BY 1, 2"
)
_FOLDED = (
    "SELECT day, model, tasks, succeeded, failed, credits_milli FROM usage_days"
    " WHERE account_id = ? AND day >= ? AND day < ?"
)


def fold_sql(source: str, where: str) -> str:
    """The statement that adds the finished tasks of ``source`` matching ``where`` to
    ``usage_days`` (retention.py runs it on the tasks it is about to delete)."""
    return (
        "INSERT INTO usage_days (account_id, day, model, tasks, succeeded, failed,"
        f" credits_milli) SELECT account_id, {_AGGREGATES} FROM {source} WHERE {where}"
        " GROUP BY 1, 2, 3 ON CONFLICT (account_id, day, model) DO UPDATE SET"
        " tasks = usage_days.tasks + excluded.tasks,"
        " succeeded = usage_days.succeeded + excluded.succeeded,"
        " failed = usage_days.failed + excluded.failed,"
        " credits_milli = usage_days.credits_milli + excluded.credits_milli"
    )


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


async def usage(
    store: SqliteStore | PostgresStore, account_id: str, created_from: int, created_to: int
) -> list[UsageRow]:
    """The account's usage per model per UTC day for tasks created in [from, to), whole days
    (``usage_days`` holds whole days only)."""
    args = [account_id, created_from, created_to]
    totals: dict[tuple[int, str], list[int]] = {}
    for rows in (await fetch_rows(store, _LIVE, args), await fetch_rows(store, _FOLDED, args)):
        for day, model, tasks, succeeded, failed, credits in (tuple(r) for r in rows):
            into = totals.setdefault((int(day), str(model)), [0, 0, 0, 0])
            for index, value in enumerate((tasks, succeeded, failed, credits)):
                into[index] += int(value or 0)
    return [
        UsageRow(day=day, model=model, tasks=tasks, succeeded=succeeded, failed=failed,
                 running=tasks - succeeded - failed, credits_milli=credits)
        for (day, model), (tasks, succeeded, failed, credits) in sorted(totals.items())
    ]

