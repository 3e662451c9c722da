"""An operator's grants on every backend (``AccountStore.grant_credits``): a debit goes down
to zero and no further, a credit up to the most a balance may hold, a refused grant says the
balance and leaves no trace, and concurrent debits never take a balance below zero together
(issue 20, point 4: a debit once made 100 into -950)."""

from __future__ import annotations

import asyncio

import pytest

from imagegate.accounts.grants import MAX_BALANCE_MILLI
from imagegate.backend import Backend
from imagegate.errors import GrantRefused, InsufficientCredits

from contract_kit import account, new_task


async def grants_of(backend: Backend, account_id: str) -> list[int]:
    return [r["delta_milli"] for r in await backend.store.ledger(account_id)
            if r["reason"] == "grant"]


async def test_a_debit_goes_down_to_zero_and_no_further(backend: Backend) -> None:
    store = backend.store
    owner = await account(backend, credits=100)
    with pytest.raises(GrantRefused) as refused:
        await store.grant_credits(owner, -1_050_000)
    assert (refused.value.balance_milli, refused.value.delta_milli) == (100_000, -1_050_000)
    assert (await store.get_account(owner)).credits_milli == 100_000  # type: ignore[union-attr]
    assert await grants_of(backend, owner) == [100_000]  # the refusal wrote no ledger row
    assert await store.grant_credits(owner, -99_999) == 1
    with pytest.raises(GrantRefused):
        await store.grant_credits(owner, -2)
    assert await store.grant_credits(owner, -1) == 0
    with pytest.raises(GrantRefused) as empty:
        await store.grant_credits(owner, -1)
    assert empty.value.balance_milli == 0
    assert await store.grant_credits(owner, 5) == 5
    assert await grants_of(backend, owner) == [100_000, -99_999, -1, 5]
    assert await store.grant_credits("nobody", -1) is None  # no account: None, not a refusal


async def test_a_credit_stops_at_the_most_a_balance_may_hold(backend: Backend) -> None:
    store = backend.store
    owner = await account(backend, credits=0)
    assert await store.grant_credits(owner, MAX_BALANCE_MILLI) == MAX_BALANCE_MILLI
    with pytest.raises(GrantRefused) as refused:
        await store.grant_credits(owner, 1)
    assert refused.value.balance_milli == MAX_BALANCE_MILLI
    # A debit of the whole balance, as large as a grant may be, still fits the column's type.
    assert await store.grant_credits(owner, -MAX_BALANCE_MILLI) == 0


async def test_concurrent_debits_never_take_a_balance_below_zero(backend: Backend) -> None:
    store = backend.store
    owner = await account(backend, credits=100)
    results = await asyncio.gather(
        *(store.grant_credits(owner, -30_000) for _ in range(12)), return_exceptions=True
    )
    granted = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, GrantRefused)]
    assert len(granted) == 3 and len(refused) == 9, results
    assert sorted(granted, reverse=True) == [70_000, 40_000, 10_000]
    assert all(r.balance_milli == 10_000 for r in refused)
    assert (await store.get_account(owner)).credits_milli == 10_000  # type: ignore[union-attr]
    assert await grants_of(backend, owner) == [100_000, -30_000, -30_000, -30_000]


async def test_debits_racing_task_creates_share_one_balance(backend: Backend) -> None:
    """An operator's debit and the tasks' own debits (create's 402) check the same row: all
    together they never spend more than the balance."""
    owner = await account(backend, credits=50)
    outcomes = await asyncio.gather(
        *(backend.store.create_task(new_task(owner, f"t{n}", price=7000)) for n in range(6)),
        *(backend.store.grant_credits(owner, -9_000) for _ in range(4)),
        return_exceptions=True,
    )
    spent = sum(7000 for o in outcomes[:6] if not isinstance(o, BaseException))
    spent += sum(9000 for o in outcomes[6:] if isinstance(o, int))
    balance = (await backend.store.get_account(owner)).credits_milli  # type: ignore[union-attr]
    assert balance == 50_000 - spent and balance >= 0
    failures = [o for o in outcomes if isinstance(o, BaseException)]
    # 42 credits of tasks and 36 of debits asked of 50: some must have been refused, by name.
    assert failures and all(isinstance(o, InsufficientCredits | GrantRefused) for o in failures)
