"""Accounts, their credit ledger and the meta rows (accounts/store.py's ``AccountStore``,
accounts/usage.py's ``UsageGroups``, tasks/switches.py's ``MetaStore``) on SQLite.

Each public method is one transaction. db/sqlite/tasks.py's store builds on this class: a
task's debit and refund move the same account rows, in the task's own transaction.
"""

from __future__ import annotations

import sqlite3
import uuid
from typing import Any

from imagegate.accounts.grants import MAX_BALANCE_MILLI
from imagegate.accounts.model import Account
from imagegate.clock import now_ms
from imagegate.db import queries
from imagegate.db.sqlite.api_keys import SQL_FIRST_KEY
from imagegate.db.sqlite.database import SqliteDatabase
from imagegate.errors import GrantRefused

# A meta row set only if it still holds what the writer read (switches.py's read-modify-write):
# one statement for the first write of a key, one for a later one; each atomic on both databases.
SQL_SWAP_META = (
    "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
    "UPDATE meta SET value = ? WHERE key = ? AND value = ?",
)



class SqliteAccounts:
    """Accounts, ledger and meta rows on one SQLite database."""

    def __init__(self, db: SqliteDatabase) -> None:
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
        return await self.db.write(
            lambda conn: self._create_account(
                conn, name, key_hash, key_prefix, credits_milli, webhook_secret,
                create_rate, query_rate,
            )
        )

    @staticmethod
    def _create_account(
        conn: sqlite3.Connection,
        name: str,
        key_hash: str,
        key_prefix: str,
        credits_milli: int,
        webhook_secret: str | None,
        create_rate: str | None,
        query_rate: str | None,
    ) -> Account:
        account_id = uuid.uuid4().hex
        now = now_ms()
        row = conn.execute(
            "INSERT INTO accounts (id, name, key_hash, key_prefix, credits_milli, webhook_secret,"
            " create_rate, query_rate, disabled, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?) RETURNING *",
            (account_id, name, key_hash, key_prefix, credits_milli, webhook_secret,
             create_rate, query_rate, now),
        ).fetchone()
        # Keys authenticate through api_keys: the account's first key is its first row there.
        conn.execute(SQL_FIRST_KEY, (account_id, account_id, key_hash, key_prefix, now))
        if credits_milli:
            conn.execute(
                "INSERT INTO credit_ledger (account_id, task_id, reason, delta_milli, created_at)"
                " VALUES (?, NULL, 'grant', ?, ?)",
                (account_id, credits_milli, now),
            )
        return Account.from_row(row)

    async def account_by_key_hash(self, key_hash: str) -> Account | None:
        row = self.db.conn.execute(
            "SELECT * FROM accounts WHERE key_hash = ?", (key_hash,)
        ).fetchone()
        return Account.from_row(row) if row else None

    async def get_account(self, account_id: str) -> Account | None:
        row = self.db.conn.execute(
            "SELECT * FROM accounts WHERE id = ?", (account_id,)
        ).fetchone()
        return Account.from_row(row) if row else None

    async def list_accounts(self) -> list[Account]:
        rows = self.db.conn.execute("SELECT * FROM accounts ORDER BY created_at").fetchall()
        return [Account.from_row(r) for r in rows]

    async def grant_credits(self, account_id: str, delta_milli: int) -> int | None:
        """Add (or with a negative delta, take) credits; the new balance, None if no account;
        ``GrantRefused`` for a balance it would take below zero or past its most (checked in
        the UPDATE, under the database's one writer)."""

        def tx(conn: sqlite3.Connection) -> int | None:
            row = conn.execute(
                queries.GRANT, queries.grant_args(account_id, delta_milli, MAX_BALANCE_MILLI)
            ).fetchone()
            if row is None:
                found = conn.execute(
                    "SELECT credits_milli FROM accounts WHERE id = ?", (account_id,)
                ).fetchone()
                if found is None:
                    return None
                raise GrantRefused(int(found[0]), delta_milli)
            conn.execute(
                "INSERT INTO credit_ledger (account_id, task_id, reason, delta_milli, created_at)"
                " VALUES (?, NULL, 'grant', ?, ?)",
                (account_id, delta_milli, now_ms()),
            )
            return int(row[0])

        return await self.db.write(tx)

    async def ledger(self, account_id: str) -> list[dict[str, Any]]:
        rows = self.db.conn.execute(
            "SELECT task_id, reason, delta_milli, created_at FROM credit_ledger"
            " WHERE account_id = ? ORDER BY id",
            (account_id,),
        ).fetchall()
        return [dict(r) for r in rows]

    # ----------------------------------------------------------------- meta

    async def get_meta(self, key: str) -> str | None:
        row = self.db.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else None

    async def set_meta(self, key: str, value: str) -> None:
        await self.db.write(
            lambda conn: conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )
        )

    async def swap_meta(self, key: str, expected: str | None, value: str) -> bool:
        """Set ``key`` to ``value`` only if it still holds ``expected`` (None: no row yet);
        False when another writer changed it first (switches.py reads again and retries)."""
        insert, update = SQL_SWAP_META
        statement, params = (
            (insert, (key, value)) if expected is None else (update, (value, key, expected))
        )
        changed = await self.db.write(lambda conn: conn.execute(statement, params).rowcount)
        return bool(changed)

    async def has_accounts(self) -> bool:
        return self.db.conn.execute("SELECT 1 FROM accounts LIMIT 1").fetchone() is not None

    async def ping(self) -> None:
        """Raise if the database does not answer (the health check)."""
        self.db.conn.execute("SELECT 1").fetchone()

    async def usage_groups(
        self, account_id: str, created_from: int, created_to: int
    ) -> list[tuple[Any, ...]]:
        """The usage rows of live tasks and of ``usage_days`` (accounts/usage.py adds them)."""
        args = (account_id, created_from, created_to)
        return [
            tuple(row)
            for sql in (queries.USAGE_LIVE, queries.USAGE_FOLDED)
            for row in self.db.conn.execute(sql, args).fetchall()
        ]
