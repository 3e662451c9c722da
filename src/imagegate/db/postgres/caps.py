"""A key's spend (accounts/caps.py) on PostgreSQL."""

from __future__ import annotations

import asyncpg

from imagegate.accounts.caps import Spend, refuse_over, since
from imagegate.accounts.model import SpendCaps
from imagegate.db.sqlite.caps import SQL_SPEND, spend_of, spend_params

PG_SPEND = SQL_SPEND.format("$1", "$2", "$3", "$4", "$5")


async def pg_spend(
    conn: asyncpg.Connection | asyncpg.Pool, account_id: str, key_id: str, now: int,
    start: int = 0,
) -> Spend:
    row = await conn.fetchrow(PG_SPEND, *spend_params(account_id, key_id, now, start))
    return spend_of(tuple(row))


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
