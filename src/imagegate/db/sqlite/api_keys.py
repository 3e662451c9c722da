"""An account's API keys (accounts/store.py's ``ApiKeyStore``) on SQLite, and the statements
both databases share. Each method is one transaction. Only hashes are stored (accounts/keys.py
makes the keys)."""

from __future__ import annotations

import sqlite3
import uuid

from imagegate.accounts.caps import Spend
from imagegate.accounts.model import ApiKey, SpendCaps
from imagegate.accounts.store import NewKey, limit_values
from imagegate.clock import now_ms
from imagegate.db.sqlite.caps import sqlite_spend
from imagegate.db.sqlite.database import SqliteDatabase

# The account's first key, written with the account (db/sqlite/tasks.py, db/postgres/tasks.py): its
# id is the account's, as migration 0003's backfill made it for accounts that existed before.
SQL_FIRST_KEY = (
    "INSERT INTO api_keys (id, account_id, name, key_hash, key_prefix, created_at)"
    " VALUES (?, ?, 'first key', ?, ?, ?)"
)
SQL_ADD_KEY = (
    "INSERT INTO api_keys (id, account_id, name, key_hash, key_prefix, created_at, expires_at,"
    " hourly_cap_milli, daily_cap_milli, total_cap_milli, ip_allow, spend_key_id)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *"
)
SQL_KEY_BY_ID = "SELECT * FROM api_keys WHERE id = ?"
SQL_REVOKE = (
    "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ? RETURNING *"
)
# A rotated key ends at the end of its grace, or sooner when it was to expire before.
SQL_END_AFTER_GRACE = (
    "UPDATE api_keys SET expires_at = CASE WHEN expires_at IS NULL OR expires_at > ?"
    " THEN ? ELSE expires_at END WHERE id = ? RETURNING *"
)
SQL_SET_LIMITS = (
    "UPDATE api_keys SET hourly_cap_milli = ?, daily_cap_milli = ?, total_cap_milli = ?,"
    " ip_allow = ? WHERE id = ? RETURNING *"
)
SQL_DISABLE_ACCOUNT = "UPDATE accounts SET disabled = ? WHERE id = ?"
# The scheme, and the secret unless the second parameter (keep it) is 1.
SQL_SET_WEBHOOK = (
    "UPDATE accounts SET webhook_scheme = ?,"
    " webhook_secret = CASE WHEN ? = 1 THEN webhook_secret ELSE ? END WHERE id = ?"
)


class SqliteApiKeys:
    """The ``api_keys`` table (and accounts' ``disabled`` flag) on SQLite."""

    def __init__(self, db: SqliteDatabase) -> None:
        self.db = db

    async def by_hash(self, key_hash: str) -> ApiKey | None:
        row = self.db.conn.execute(
            "SELECT * FROM api_keys WHERE key_hash = ?", (key_hash,)
        ).fetchone()
        return ApiKey.from_row(row) if row else None

    async def get(self, key_id: str) -> ApiKey | None:
        row = self.db.conn.execute(SQL_KEY_BY_ID, (key_id,)).fetchone()
        return ApiKey.from_row(row) if row else None

    async def list(self, account_id: str | None = None) -> list[ApiKey]:
        """Every key (of ``account_id`` when given), oldest first."""
        if account_id is None:
            rows = self.db.conn.execute("SELECT * FROM api_keys ORDER BY created_at, id")
        else:
            rows = self.db.conn.execute(
                "SELECT * FROM api_keys WHERE account_id = ? ORDER BY created_at, id",
                (account_id,),
            )
        return [ApiKey.from_row(r) for r in rows.fetchall()]

    async def add(self, new: NewKey) -> ApiKey | None:
        """Add a key to the account; None when there is no such account."""

        def tx(conn: sqlite3.Connection) -> ApiKey | None:
            if conn.execute(
                "SELECT 1 FROM accounts WHERE id = ?", (new.account_id,)
            ).fetchone() is None:
                return None
            row = conn.execute(SQL_ADD_KEY, new.values(uuid.uuid4().hex, now_ms())).fetchone()
            return ApiKey.from_row(row)

        return await self.db.write(tx)

    async def revoke(self, key_id: str) -> ApiKey | None:
        """Revoke the key now (a second revoke keeps the first time); None if unknown."""
        row = await self.db.write(
            lambda conn: conn.execute(SQL_REVOKE, (now_ms(), key_id)).fetchone()
        )
        return ApiKey.from_row(row) if row else None

    async def rotate(
        self, key_id: str, new_hash: str, new_prefix: str, grace_ms: int
    ) -> tuple[ApiKey, ApiKey] | None:
        """Replace the key: a new key with the same name, caps, allow-list, expiry and spend
        (``NewKey.succeeding``), and the old one valid for ``grace_ms`` more. (old, new) in one
        transaction; None if unknown."""

        def tx(conn: sqlite3.Connection) -> tuple[ApiKey, ApiKey] | None:
            now = now_ms()
            before = conn.execute(SQL_KEY_BY_ID, (key_id,)).fetchone()
            if before is None:
                return None
            new = NewKey.succeeding(ApiKey.from_row(before), new_hash, new_prefix)
            row = conn.execute(
                SQL_END_AFTER_GRACE, (now + grace_ms, now + grace_ms, key_id)
            ).fetchone()
            old = ApiKey.from_row(row)
            added = conn.execute(SQL_ADD_KEY, new.values(uuid.uuid4().hex, now)).fetchone()
            return old, ApiKey.from_row(added)

        return await self.db.write(tx)

    async def set_limits(
        self, key_id: str, caps: SpendCaps, ip_allow: str | None
    ) -> ApiKey | None:
        """Replace the key's caps and allow-list; None if unknown."""
        row = await self.db.write(
            lambda conn: conn.execute(
                SQL_SET_LIMITS, limit_values(caps, ip_allow, key_id)
            ).fetchone()
        )
        return ApiKey.from_row(row) if row else None

    async def set_webhook(
        self, account_id: str, scheme: str, secret: str | None, *, keep_secret: bool
    ) -> bool:
        """The account's webhook scheme and (unless kept) secret; False if no such account."""
        count = await self.db.write(
            lambda conn: conn.execute(
                SQL_SET_WEBHOOK, (scheme, int(keep_secret), secret, account_id)
            ).rowcount
        )
        return bool(count)

    async def set_account_disabled(self, account_id: str, disabled: bool) -> bool:
        """Turn every key of the account off (or on again); False if no such account."""
        count = await self.db.write(
            lambda conn: conn.execute(
                SQL_DISABLE_ACCOUNT, (int(disabled), account_id)
            ).rowcount
        )
        return bool(count)

    async def spend(self, key: ApiKey) -> Spend:
        """What the key spent in the last hour, day, and in all, with the keys it replaced."""
        return sqlite_spend(self.db.conn, key.account_id, key.spend_key, now_ms())
