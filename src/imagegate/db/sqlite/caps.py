"""A key's spend (accounts/caps.py) on SQLite, and the statement both databases share."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from imagegate.accounts.caps import DAY_MS, HOUR_MS, Spend, refuse_over, since
from imagegate.accounts.model import SpendCaps

_NET = "t.price_milli - COALESCE(r.delta_milli, 0)"
# {0} hour start, {1} day start, {2} account, {3} since, {4} key: placeholders per database.
SQL_SPEND = (
    f"SELECT COALESCE(SUM(CASE WHEN t.create_time >= {{0}} THEN {_NET} ELSE 0 END), 0),"
    f" COALESCE(SUM(CASE WHEN t.create_time >= {{1}} THEN {_NET} ELSE 0 END), 0),"
    f" COALESCE(SUM({_NET}), 0)"
    " FROM tasks t LEFT JOIN credit_ledger r ON r.task_id = t.id AND r.reason = 'refund'"
    " WHERE t.account_id = {2} AND t.create_time >= {3} AND t.key_id = {4}"
)
SQLITE_SPEND = SQL_SPEND.format("?", "?", "?", "?", "?")



def spend_params(account_id: str, key_id: str, now: int, start: int) -> tuple[object, ...]:
    return (now - HOUR_MS, now - DAY_MS, account_id, start, key_id)


def spend_of(row: Sequence[Any]) -> Spend:
    return Spend(int(row[0]), int(row[1]), int(row[2]))


def sqlite_spend(
    conn: sqlite3.Connection, account_id: str, key_id: str, now: int, start: int = 0
) -> Spend:
    """The key's spend, counting tasks created since ``start``."""
    return spend_of(conn.execute(SQLITE_SPEND, spend_params(account_id, key_id, now, start))
                    .fetchone())


def check_sqlite(
    conn: sqlite3.Connection, account_id: str, key_id: str, caps: SpendCaps, price_milli: int,
    now: int,
) -> None:
    """The cap check inside SQLite's create transaction: it holds the write lock, so no other
    create (of any process) can slip in between the check and the insert: caps are exact."""
    refuse_over(caps, sqlite_spend(conn, account_id, key_id, now, since(caps, now)), price_milli)
