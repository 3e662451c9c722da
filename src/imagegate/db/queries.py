"""SQL that SQLite and PostgreSQL share, written with SQLite's ``?`` placeholders (the
PostgreSQL stores number them: ``postgres.database.numbered``): an account's task list and its
usage per model and day.

The task list reads the ``ix_tasks_account_created`` index (account, create time) and pages by
cursor (tasks/listing.py). Usage is read from the tasks themselves plus the ``usage_days`` rows
that retention folds deleted tasks into (accounts/usage.py).
"""

from __future__ import annotations

from typing import Any

from imagegate.tasks.listing import TaskQuery

DAY_MS = 86_400_000


def task_list(query: TaskQuery) -> tuple[str, list[Any]]:
    """The page's statement and its arguments: one row more than the page, so that whether
    there is a next page is known without a COUNT."""
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
    sql = (
        f"SELECT * FROM tasks WHERE {' AND '.join(where)}"
        " ORDER BY create_time DESC, id DESC LIMIT ?"
    )
    args.append(query.limit + 1)
    return sql, args


# A group of tasks as a usage row: (day, model, tasks, succeeded, failed, credits). A failed or
# cancelled task was refunded, so costs nothing; a running one is charged until it fails.
_AGGREGATES = (
    f"(create_time / {DAY_MS}) * {DAY_MS}, model, COUNT(*),"
    " SUM(CASE WHEN state = 'success' THEN 1 ELSE 0 END),"
    " SUM(CASE WHEN state = 'fail' THEN 1 ELSE 0 END),"
    " SUM(CASE WHEN state = 'fail' THEN 0 ELSE price_milli END)"
)
USAGE_LIVE = (
    f"SELECT {_AGGREGATES} FROM tasks"
    " WHERE account_id = ? AND create_time >= ? AND create_time < ? GROUP BY 1, 2"
)
USAGE_FOLDED = (
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


# An operator's grant (accounts/grants.py): the balance moves only if it stays within 0 and
# the most a balance may hold, checked in the UPDATE itself so that concurrent debits cannot
# both pass a check made before either wrote (accounts/grants.py's ``grant_fits``, in SQL).
# No row back: no account, or the grant refused (a SELECT of the balance tells which).
# The casts keep PostgreSQL from typing a bare parameter as a 32-bit integer.
GRANT = (
    "UPDATE accounts SET credits_milli = credits_milli + CAST(? AS BIGINT) WHERE id = ?"
    " AND (CAST(? AS BIGINT) >= 0 OR credits_milli + CAST(? AS BIGINT) >= 0)"
    " AND (CAST(? AS BIGINT) <= 0 OR credits_milli + CAST(? AS BIGINT) <= CAST(? AS BIGINT))"
    " RETURNING credits_milli"
)


def grant_args(account_id: str, delta_milli: int, max_balance_milli: int) -> tuple[Any, ...]:
    """``GRANT``'s arguments."""
    d = delta_milli
    return (d, account_id, d, d, d, d, max_balance_milli)

# The due deadlines (tasks/deadlines.py), read off ix_tasks_cancel_at: its predicate repeated so
# that the partial index applies. A generating task already asked to stop is left to its worker.
SQL_OVERDUE = (
    "SELECT id, account_id FROM tasks WHERE cancel_at IS NOT NULL"
    " AND state IN ('waiting', 'queuing', 'generating') AND cancel_at <= {now}"
    " AND cancel_requested = 0 ORDER BY cancel_at LIMIT {limit}"
)
