"""Accounts and their ledger (``AccountStore``) and API keys (``ApiKeyStore``) on every
backend: an account with its first key and grant, grants, keys added, revoked, rotated (the
spend carried on), limited and turned off with their account, and a key's spend by window.

Folded here: test_pg_store.py's meta-and-grants case (its meta part: test_contract_meta.py)."""

from __future__ import annotations

import asyncio

from imagegate.accounts.keys import AccountRequest, KeyLimits, add_key, create_account, hash_key
from imagegate.accounts.model import SpendCaps
from imagegate.accounts.store import NewKey
from imagegate.backend import Backend
from imagegate.tasks.cancel import cancel_task

from contract_kit import Rows, account, new_task


async def test_an_account_comes_with_its_first_key_and_its_grant(backend: Backend) -> None:
    store = backend.store
    assert not await store.has_accounts()
    made, key = await create_account(store, AccountRequest("alice", credits=2.5,
                                                           webhook_secret="s", create_rate="5/s"))
    assert (made.name, made.credits_milli, made.webhook_secret, made.create_rate) == (
        "alice", 2500, "s", "5/s",
    )
    assert not made.disabled and made.query_rate is None and made.key is None
    assert await store.has_accounts()
    assert await store.get_account(made.id) == made
    assert await store.account_by_key_hash(hash_key(key)) == made
    assert await store.account_by_key_hash("unknown") is None
    assert await store.get_account("unknown") is None
    first = await backend.api_keys.by_hash(hash_key(key))
    assert first is not None and (first.id, first.account_id, first.name) == (
        made.id, made.id, "first key",
    )
    assert first.key_prefix == key[:10] and first.spend_key == made.id and not first.caps
    assert [(r["task_id"], r["reason"], r["delta_milli"]) for r in await store.ledger(made.id)] == [
        (None, "grant", 2500),
    ]


async def test_grants_move_the_balance_and_the_ledger(backend: Backend) -> None:
    store = backend.store
    owner = await account(backend, credits=1)
    assert await store.grant_credits(owner, 2500) == 3500
    assert await store.grant_credits(owner, -500) == 3000
    assert await store.grant_credits("nobody", 1) is None
    assert (await store.account_by_key_hash("hash-a")).id == owner  # type: ignore[union-attr]
    assert [a.id for a in await store.list_accounts()] == [owner]
    assert [r["delta_milli"] for r in await store.ledger(owner)] == [1000, 2500, -500]
    assert await store.ledger("nobody") == []


async def test_accounts_are_listed_oldest_first(backend: Backend) -> None:
    ids = []
    for name in ("a", "b", "c"):
        ids.append(await account(backend, name=name))
        await asyncio.sleep(0.002)
    assert [a.id for a in await backend.store.list_accounts()] == ids


async def test_keys_are_added_listed_and_revoked_once(backend: Backend) -> None:
    keys = backend.api_keys
    owner, other = await account(backend), await account(backend, name="b")
    assert await keys.add(NewKey("nobody", "hash-x", "ig_x")) is None
    await asyncio.sleep(0.002)
    limits = KeyLimits(SpendCaps(1000, None, 5000), "10.0.0.0/8", 2**50)
    added = await add_key(keys, owner, "ci", limits)
    assert added is not None
    row, key = added
    assert (row.name, row.caps, row.ip_allow, row.expires_at) == (
        "ci", SpendCaps(1000, None, 5000), "10.0.0.0/8", 2**50,
    )
    assert row.revoked_at is None and row.spend_key == row.id and row.valid_at(0)
    assert await keys.by_hash(hash_key(key)) == row and await keys.get(row.id) == row
    assert await keys.get("unknown") is None and await keys.by_hash("unknown") is None
    assert [k.id for k in await keys.list(owner)] == [owner, row.id]
    assert {k.id for k in await keys.list()} == {owner, row.id, other}
    revoked = await keys.revoke(row.id)
    assert revoked is not None and revoked.revoked_at is not None
    await asyncio.sleep(0.002)
    again = await keys.revoke(row.id)
    assert again is not None and again.revoked_at == revoked.revoked_at  # the first time stays
    assert not again.valid_at(revoked.revoked_at + 1)
    assert await keys.revoke("unknown") is None


async def test_a_rotation_keeps_the_keys_limits_and_spend_and_ends_the_old_one(
    backend: Backend,
) -> None:
    keys = backend.api_keys
    owner = await account(backend)
    old = await keys.add(NewKey(owner, "hash-old", "ig_old", "ci", SpendCaps(None, 9000, None)))
    assert old is not None
    await backend.store.create_task(new_task(owner, "t1", 4000, key_id=old.spend_key,
                                             caps=old.caps))
    rotated = await keys.rotate(old.id, "hash-new", "ig_new", 60_000)
    assert rotated is not None
    before, new = rotated
    assert before.id == old.id and before.expires_at is not None
    assert before.expires_at - before.created_at >= 60_000
    assert (new.name, new.caps, new.spend_key, new.key_prefix) == (
        "ci", old.caps, old.id, "ig_new",
    )
    assert await keys.by_hash("hash-new") == new
    # The spend carries on across the rotation: the new key's tasks count with the old's.
    await backend.store.create_task(new_task(owner, "t2", 4000, key_id=new.spend_key,
                                             caps=new.caps))
    assert (await keys.spend(new)).daily_milli == 8000
    # A grace of 0 ends it now; a key that expired sooner keeps its own end.
    ended = await keys.rotate(new.id, "hash-newer", "ig_newer", 0)
    assert ended is not None and not ended[0].valid_at(ended[0].expires_at or 0)
    soon = await keys.add(NewKey(owner, "hash-soon", "ig_soon", expires_at=1))
    assert soon is not None
    kept = await keys.rotate(soon.id, "hash-later", "ig_later", 60_000)
    assert kept is not None and kept[0].expires_at == 1 and kept[1].expires_at == 1
    assert await keys.rotate("unknown", "h", "p", 0) is None


async def test_limits_and_an_accounts_keys_turned_off(backend: Backend) -> None:
    keys = backend.api_keys
    owner = await account(backend)
    limited = await keys.set_limits(owner, SpendCaps(1, 2, 3), "127.0.0.1/32")
    assert limited is not None and (limited.caps, limited.ip_allow) == (
        SpendCaps(1, 2, 3), "127.0.0.1/32",
    )
    cleared = await keys.set_limits(owner, SpendCaps(), None)
    assert cleared is not None and not cleared.caps and cleared.ip_allow is None
    assert await keys.set_limits("unknown", SpendCaps(), None) is None
    assert await keys.set_account_disabled(owner, True)
    assert (await backend.store.get_account(owner)).disabled  # type: ignore[union-attr]
    assert await keys.set_account_disabled(owner, True)  # already off: still the account
    assert await keys.set_account_disabled(owner, False)
    assert not (await backend.store.get_account(owner)).disabled  # type: ignore[union-attr]
    assert not await keys.set_account_disabled("unknown", True)


async def test_a_keys_spend_is_its_tasks_less_their_refunds(backend: Backend, rows: Rows) -> None:
    keys = backend.api_keys
    owner = await account(backend)
    key = await keys.add(NewKey(owner, "hash-k", "ig_k"))
    assert key is not None
    for task_id in ("t1", "t2", "t3"):
        await backend.store.create_task(new_task(owner, task_id, 3000, key_id=key.spend_key))
    await backend.store.create_task(new_task(owner, "other-key", 3000))
    await cancel_task(backend.store, owner, "t2")
    spend = await keys.spend(key)
    assert (spend.hourly_milli, spend.daily_milli, spend.total_milli) == (6000, 6000, 6000)
    await rows.age(["t3"], 2 * 3_600_000)  # out of the hour, in the day
    await rows.age(["t1"], 2 * 86_400_000)  # out of the day, in all
    spend = await keys.spend(key)
    assert (spend.hourly_milli, spend.daily_milli, spend.total_milli) == (0, 3000, 6000)
