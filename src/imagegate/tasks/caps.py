"""Per-key spending caps (Kie's sub-key limits): what a key spent in the last hour, the last
day and in all, and the check a create runs inside its own transaction.

A key's spend is the price of the tasks it created, less their refunds (a failed task costs
nothing). It is read from the tasks themselves through the account's index
(``ix_tasks_account_created``) filtered to the key, rather than kept in a counter: nothing to
keep in step with refunds, and a key without caps pays nothing on create. A total cap reads the
account's whole history of tasks, so its cost grows with that history.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from imagegate.catalog.pricing import milli_to_credits
from imagegate.errors import SpendCapReached
from imagegate.tasks.model import SpendCaps

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS

_NET = "t.price_milli - COALESCE(r.delta_milli, 0)"
# {0} hour start, {1} day start, {2} account, {3} since, {4} key: placeholders per database.
_SPEND = (
    f"SELECT COALESCE(SUM(CASE WHEN t.create_time >= {{0}} THEN {_NET} ELSE 0 END), 0),"
    f" COALESCE(SUM(CASE WHEN t.create_time >= {{1}} THEN {_NET} ELSE 0 END), 0),"
    f" COALESCE(SUM({_NET}), 0)"
    " FROM tasks t LEFT JOIN credit_ledger r ON r.task_id = t.id AND r.reason = 'refund'"
    " WHERE t.account_id = {2} AND t.create_time >= {3} AND t.key_id = {4}"
)
SQLITE_SPEND = _SPEND.format("?", "?", "?", "?", "?")
PG_SPEND = _SPEND.format("$1", "$2", "$3", "$4", "$5")


@dataclass(frozen=True, slots=True)
class Spend:
    """Millicredits a key spent in the last hour, the last day, and since it was made."""

    hourly_milli: int
    daily_milli: int
    total_milli: int


def since(caps: SpendCaps | None, now: int) -> int:
    """The start of the widest window the caps need (0: all of time)."""
    if caps is None or caps.total_milli is not None:
        return 0
    return now - (DAY_MS if caps.daily_milli is not None else HOUR_MS)


def _params(account_id: str, key_id: str, now: int, start: int) -> tuple[object, ...]:
    return (now - HOUR_MS, now - DAY_MS, account_id, start, key_id)


def _spend(row: Sequence[Any]) -> Spend:
    return Spend(int(row[0]), int(row[1]), int(row[2]))


def sqlite_spend(
    conn: sqlite3.Connection, account_id: str, key_id: str, now: int, start: int = 0
) -> Spend:
    """The key's spend, counting tasks created since ``start``."""
    return _spend(conn.execute(SQLITE_SPEND, _params(account_id, key_id, now, start)).fetchone())


async def pg_spend(
    conn: asyncpg.Connection | asyncpg.Pool, account_id: str, key_id: str, now: int,
    start: int = 0,
) -> Spend:
    row = await conn.fetchrow(PG_SPEND, *_params(account_id, key_id, now, start))
    return _spend(tuple(row))


def refuse_over(caps: SpendCaps, spend: Spend, price_milli: int) -> None:
    """Raise Kie's 433 naming the cap when this task's price would take the key past it."""
    for label, window, cap, spent in (
        ("hourly", "in the last hour", caps.hourly_milli, spend.hourly_milli),
        ("daily", "in the last 24 hours", caps.daily_milli, spend.daily_milli),
        ("total", "in all", caps.total_milli, spend.total_milli),
    ):
        if cap is not None and spent + price_milli > cap:
            raise SpendCapReached(
                f"Spending cap reached: this API key's {label} cap is "
                f"{milli_to_credits(cap)} credits and it has spent {milli_to_credits(spent)} "
                f"{window}; this task costs {milli_to_credits(price_milli)}"
            )


def check_sqlite(
    conn: sqlite3.Connection, account_id: str, key_id: str, caps: SpendCaps, price_milli: int,
    now: int,
) -> None:
    """The cap check inside SQLite's create transaction: it holds the write lock, so no other
    create (of any process) can slip in between the check and the insert: caps are exact."""
    refuse_over(caps, sqlite_spend(conn, account_id, key_id, now, since(caps, now)), price_milli)


async def check_pg(
    conn: asyncpg.Connection, account_id: str, key_id: str, caps: SpendCaps, price_milli: int,
    now: int,
) -> None:
    """The cap check inside PostgreSQL's create transaction. Locking the key's row makes the
    creates of one capped key take turns (each sees the tasks committed before it), so caps
    are exact across API processes; keys without caps never take the lock."""
    await conn.execute("SELECT 1 FROM api_keys WHERE id = $1 FOR UPDATE", key_id)
    refuse_over(
        caps, await pg_spend(conn, account_id, key_id, now, since(caps, now)), price_milli
    )
