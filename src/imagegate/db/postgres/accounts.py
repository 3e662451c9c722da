"""Accounts, their credit ledger and the meta rows (accounts/store.py's ``AccountStore``,
accounts/usage.py's ``UsageGroups``, tasks/switches.py's ``MetaStore``) on PostgreSQL.
db/postgres/tasks.py's store builds on this class."""

from __future__ import annotations

import uuid
from typing import Any

from imagegate.accounts.grants import MAX_BALANCE_MILLI
from imagegate.accounts.model import Account
from imagegate.clock import now_ms
from imagegate.db import queries
from imagegate.db.postgres.api_keys import PG_FIRST_KEY
from imagegate.db.postgres.database import PostgresDatabase, affected, numbered
from imagegate.db.sqlite.accounts import SQL_SWAP_META
from imagegate.errors import GrantRefused

_PG_SWAP_META = tuple(numbered(sql) for sql in SQL_SWAP_META)
_USAGE_LIVE = numbered(queries.USAGE_LIVE)
_USAGE_FOLDED = numbered(queries.USAGE_FOLDED)
_GRANT = numbered(queries.GRANT)


class PgAccounts:
    """Accounts, ledger and meta rows on PostgreSQL."""

    def __init__(self, db: PostgresDatabase) -> None:
        self.db = db

    async def create_account(
        self,
        *,
        name: str,
        key_hash: str,
        key_prefix: str,
        credits_milli: int,
        webhook_secret: str | None = None,
        create_rate: str | None = None,
        query_rate: str | None = None,
    ) -> Account:
        now = now_ms()
        async with self.db.transaction() as conn:
            row = await conn.fetchrow(
                "INSERT INTO accounts (id, name, key_hash, key_prefix, credits_milli,"
                " webhook_secret, create_rate, query_rate, disabled, created_at)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9) RETURNING *",
                uuid.uuid4().hex, name, key_hash, key_prefix, credits_milli, webhook_secret,
                create_rate, query_rate, now,
            )
            # Keys authenticate through api_keys: the account's first key is its first row.
            await conn.execute(
                PG_FIRST_KEY, row["id"], row["id"], key_hash, key_prefix, now
            )
            if credits_milli:
                await conn.execute(
                    "INSERT INTO credit_ledger (account_id, task_id, reason, delta_milli,"
                    " created_at) VALUES ($1, NULL, 'grant', $2, $3)",
                    row["id"], credits_milli, now,
                )
        return Account.from_row(row)

    async def account_by_key_hash(self, key_hash: str) -> Account | None:
        row = await self.db.fetchrow("SELECT * FROM accounts WHERE key_hash = $1", key_hash)
        return Account.from_row(row) if row else None

    async def get_account(self, account_id: str) -> Account | None:
        row = await self.db.fetchrow("SELECT * FROM accounts WHERE id = $1", account_id)
        return Account.from_row(row) if row else None

    async def list_accounts(self) -> list[Account]:
        rows = await self.db.fetch("SELECT * FROM accounts ORDER BY created_at")
        return [Account.from_row(r) for r in rows]

    async def grant_credits(self, account_id: str, delta_milli: int) -> int | None:
        """Add (or with a negative delta, take) credits; the new balance, None if no account;
        ``GrantRefused`` for a balance it would take below zero or past its most. The UPDATE
        checks it on the row it locks: a concurrent debit waits, then is checked again
        against the balance the first one left."""
        async with self.db.transaction() as conn:
            balance = await conn.fetchval(
                _GRANT, *queries.grant_args(account_id, delta_milli, MAX_BALANCE_MILLI)
            )
            if balance is None:
                found = await conn.fetchval(
                    "SELECT credits_milli FROM accounts WHERE id = $1", account_id
                )
                if found is None:
                    return None
                raise GrantRefused(int(found), delta_milli)
            await conn.execute(
                "INSERT INTO credit_ledger (account_id, task_id, reason, delta_milli, created_at)"
                " VALUES ($1, NULL, 'grant', $2, $3)",
                account_id, delta_milli, now_ms(),
            )
            return int(balance)

    async def ledger(self, account_id: str) -> list[dict[str, Any]]:
        rows = await self.db.fetch(
            "SELECT task_id, reason, delta_milli, created_at FROM credit_ledger"
            " WHERE account_id = $1 ORDER BY id",
            account_id,
        )
        return [dict(r) for r in rows]

    # ----------------------------------------------------------------- meta

    async def get_meta(self, key: str) -> str | None:
        row = await self.db.fetchrow("SELECT value FROM meta WHERE key = $1", key)
        return str(row["value"]) if row else None

    async def set_meta(self, key: str, value: str) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO meta (key, value) VALUES ($1, $2)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                key, value,
            )

    async def swap_meta(self, key: str, expected: str | None, value: str) -> bool:
        insert, update = _PG_SWAP_META
        status = await (
            self.db.execute(insert, key, value) if expected is None
            else self.db.execute(update, value, key, expected)
        )
        return affected(status) > 0

    async def has_accounts(self) -> bool:
        return await self.db.fetchrow("SELECT 1 FROM accounts LIMIT 1") is not None

    async def ping(self) -> None:
        """Raise if the database does not answer (the health check)."""
        await self.db.fetchrow("SELECT 1")

    async def usage_groups(
        self, account_id: str, created_from: int, created_to: int
    ) -> list[tuple[Any, ...]]:
        return [
            tuple(row)
            for sql in (_USAGE_LIVE, _USAGE_FOLDED)
            for row in await self.db.fetch(sql, account_id, created_from, created_to)
        ]
