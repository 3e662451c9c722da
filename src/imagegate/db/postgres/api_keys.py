"""An account's API keys (accounts/store.py's ``ApiKeyStore``) on PostgreSQL."""

from __future__ import annotations

import uuid

from imagegate.accounts.caps import Spend
from imagegate.accounts.model import ApiKey, SpendCaps
from imagegate.accounts.store import NewKey, limit_values
from imagegate.clock import now_ms
from imagegate.db.postgres.caps import pg_spend
from imagegate.db.postgres.database import PostgresDatabase, numbered
from imagegate.db.sqlite.api_keys import (
    SQL_ADD_KEY,
    SQL_DISABLE_ACCOUNT,
    SQL_END_AFTER_GRACE,
    SQL_FIRST_KEY,
    SQL_KEY_BY_ID,
    SQL_REVOKE,
    SQL_SET_LIMITS,
    SQL_SET_WEBHOOK,
)

PG_FIRST_KEY = numbered(SQL_FIRST_KEY)
PG_ADD_KEY = numbered(SQL_ADD_KEY)
PG_KEY_BY_ID = numbered(SQL_KEY_BY_ID)
PG_REVOKE = numbered(SQL_REVOKE)
PG_END_AFTER_GRACE = numbered(SQL_END_AFTER_GRACE)
PG_SET_LIMITS = numbered(SQL_SET_LIMITS)
PG_DISABLE_ACCOUNT = numbered(SQL_DISABLE_ACCOUNT)
PG_SET_WEBHOOK = numbered(SQL_SET_WEBHOOK)


class PgApiKeys:
    """The ``api_keys`` table (and accounts' ``disabled`` flag) on PostgreSQL."""

    def __init__(self, db: PostgresDatabase) -> None:
        self.db = db

    async def by_hash(self, key_hash: str) -> ApiKey | None:
        row = await self.db.fetchrow("SELECT * FROM api_keys WHERE key_hash = $1", key_hash)
        return ApiKey.from_row(row) if row else None

    async def get(self, key_id: str) -> ApiKey | None:
        row = await self.db.fetchrow(PG_KEY_BY_ID, key_id)
        return ApiKey.from_row(row) if row else None

    async def list(self, account_id: str | None = None) -> list[ApiKey]:
        if account_id is None:
            rows = await self.db.fetch("SELECT * FROM api_keys ORDER BY created_at, id")
        else:
            rows = await self.db.fetch(
                "SELECT * FROM api_keys WHERE account_id = $1 ORDER BY created_at, id",
                account_id,
            )
        return [ApiKey.from_row(r) for r in rows]

    async def add(self, new: NewKey) -> ApiKey | None:
        async with self.db.transaction() as conn:
            if await conn.fetchval("SELECT 1 FROM accounts WHERE id = $1", new.account_id) is None:
                return None
            row = await conn.fetchrow(PG_ADD_KEY, *new.values(uuid.uuid4().hex, now_ms()))
        return ApiKey.from_row(row)

    async def revoke(self, key_id: str) -> ApiKey | None:
        row = await self.db.fetchrow(PG_REVOKE, now_ms(), key_id)
        return ApiKey.from_row(row) if row else None

    async def rotate(
        self, key_id: str, new_hash: str, new_prefix: str, grace_ms: int
    ) -> tuple[ApiKey, ApiKey] | None:
        async with self.db.transaction() as conn:
            now = now_ms()
            # FOR UPDATE: a second rotation of the same key waits, and then reads this one's grace.
            before = await conn.fetchrow(PG_KEY_BY_ID + " FOR UPDATE", key_id)
            if before is None:
                return None
            new = NewKey.succeeding(ApiKey.from_row(before), new_hash, new_prefix)
            row = await conn.fetchrow(PG_END_AFTER_GRACE, now + grace_ms, now + grace_ms, key_id)
            old = ApiKey.from_row(row)
            added = await conn.fetchrow(PG_ADD_KEY, *new.values(uuid.uuid4().hex, now))
        return old, ApiKey.from_row(added)

    async def set_limits(
        self, key_id: str, caps: SpendCaps, ip_allow: str | None
    ) -> ApiKey | None:
        row = await self.db.fetchrow(PG_SET_LIMITS, *limit_values(caps, ip_allow, key_id))
        return ApiKey.from_row(row) if row else None

    async def set_webhook(
        self, account_id: str, scheme: str, secret: str | None, *, keep_secret: bool
    ) -> bool:
        async with self.db.transaction() as conn:
            result: str = await conn.execute(
                PG_SET_WEBHOOK, scheme, int(keep_secret), secret, account_id
            )
        return result.split()[-1] != "0"

    async def set_account_disabled(self, account_id: str, disabled: bool) -> bool:
        async with self.db.transaction() as conn:
            result: str = await conn.execute(PG_DISABLE_ACCOUNT, int(disabled), account_id)
        return result.split()[-1] != "0"

    async def spend(self, key: ApiKey) -> Spend:
        return await pg_spend(self.db.pool, key.account_id, key.spend_key, now_ms())
