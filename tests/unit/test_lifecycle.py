"""Every transition of tasks/lifecycle.py on the in-memory stores: create (idempotency, debit,
ledger row), claim, start, failover, beat, succeed (its files and callback row), fail and cancel
(refunded once), release, a stale lease refused; and the events each move returns for its
caller to publish after the commit."""

from __future__ import annotations

import json

import pytest

from imagegate.backend import Backend, open_memory
from imagegate.errors import InputRejected, InsufficientCredits, NotFound, ValidationFailed
from imagegate.tasks.cancel import CANCELED, CANCELED_MSG
from imagegate.tasks.events import (
    CallbackQueued,
    CancelRequested,
    TaskChanged,
    TaskCreated,
    TaskEnded,
)
from imagegate.tasks.files import StoredFile
from imagegate.tasks.lifecycle import Lifecycle
from imagegate.tasks.model import IdempotencyKey, NewTask, Task
from imagegate.tasks.state import TaskState
from imagegate.tasks.store import Beat
from imagegate.wire.surfaces import Surface

MODEL = "google/nano-banana"
HOOK = "https://example.test/hook"


@pytest.fixture
def backend() -> Backend:
    return open_memory()


@pytest.fixture
def lifecycle(backend: Backend) -> Lifecycle:
    return Lifecycle(backend.store)


async def account(backend: Backend, credits: int = 10) -> str:
    made = await backend.store.create_account(
        name="a", key_hash="hash-a", key_prefix="ig_a", credits_milli=credits * 1000
    )
    return made.id


def new_task(owner: str, task_id: str = "t1", callback: str | None = HOOK) -> NewTask:
    return NewTask(id=task_id, account_id=owner, model=MODEL, param=json.dumps({"model": MODEL}),
                   input={"prompt": "a lighthouse"}, callback_url=callback, price_milli=4000)


async def ledger(backend: Backend, owner: str, task_id: str = "t1") -> list[tuple[str, int]]:
    return [(r["reason"], r["delta_milli"]) for r in await backend.store.ledger(owner)
            if r["task_id"] == task_id]


async def balance(backend: Backend, owner: str) -> int:
    account = await backend.store.get_account(owner)
    assert account is not None
    return account.credits_milli


async def claimed(lifecycle: Lifecycle, owner: str) -> Task:
    await lifecycle.create(new_task(owner))
    task = await lifecycle.claim("w", 30_000)
    assert task is not None
    return task


async def test_create_debits_writes_the_ledger_and_announces_the_task(
    backend: Backend, lifecycle: Lifecycle
) -> None:
    owner = await account(backend)
    created = await lifecycle.create(new_task(owner))
    assert created.made and created.task.state is TaskState.WAITING
    assert created.events == (TaskCreated(created.task),)
    assert await balance(backend, owner) == 6000
    assert await ledger(backend, owner) == [("debit", -4000)]


async def test_a_keyed_repeat_gets_the_first_task_with_nothing_debited_or_announced(
    backend: Backend, lifecycle: Lifecycle
) -> None:
    owner = await account(backend)
    key = IdempotencyKey("k", "0" * 64, 60_000)
    first = await lifecycle.create(new_task(owner, "t1"), key)
    repeat = await lifecycle.create(new_task(owner, "t2"), key)
    assert first.made and not repeat.made and repeat.events == ()
    assert repeat.task.id == "t1" and await backend.store.get_task("t2") is None
    assert await balance(backend, owner) == 6000
    with pytest.raises(ValidationFailed, match="another request"):
        await lifecycle.create(new_task(owner, "t3"), IdempotencyKey("k", "1" * 64, 60_000))


async def test_a_short_balance_refuses_the_create(backend: Backend, lifecycle: Lifecycle) -> None:
    owner = await account(backend, credits=3)
    with pytest.raises(InsufficientCredits):
        await lifecycle.create(new_task(owner))
    assert await backend.store.get_task("t1") is None and await ledger(backend, owner) == []


async def test_claim_start_failover_and_beat_under_the_lease(
    backend: Backend, lifecycle: Lifecycle
) -> None:
    owner = await account(backend)
    task = await claimed(lifecycle, owner)
    assert task.state is TaskState.QUEUING and task.lease_token == 1
    assert await lifecycle.claim("w2", 30_000) is None  # claimed once
    assert await lifecycle.start(task, "first")
    assert await lifecycle.switch_engine(task, "spare")
    assert await lifecycle.beat(task, 30_000, progress=40) is Beat.HELD
    assert await lifecycle.beat(task, 30_000, progress=20) is Beat.HELD
    now = await backend.store.get_task("t1")
    assert now is not None and (now.state, now.engine, now.progress) == (
        TaskState.GENERATING, "spare", 40,
    )


async def test_succeed_ends_the_task_with_its_files_and_queues_its_callback(
    backend: Backend, lifecycle: Lifecycle
) -> None:
    owner = await account(backend)
    task = await claimed(lifecycle, owner)
    files = (StoredFile(key="results/t1/0.png", account_id=owner, kind="result", task_id="t1",
                        file_name="0.png", mime_type="image/png", size=3, created_at=1,
                        expires_at=99),)
    ended = await lifecycle.succeed(task, engine="mock", files=files)
    assert ended is not None
    assert ended.task.state is TaskState.SUCCESS and ended.task.progress == 100
    assert json.loads(ended.task.result_json or "") == {
        "files": [{"key": "results/t1/0.png", "expires": 99}],
    }
    assert ended.events == (TaskEnded(task, ended.task), CallbackQueued("t1"))
    assert await backend.files.get("results/t1/0.png") == files[0]
    row = await backend.outbox.get("t1")
    assert row is not None and (row.url, row.surface, row.balance_milli) == (
        HOOK, Surface.JOBS, 6000,
    )
    assert await ledger(backend, owner) == [("debit", -4000)]  # charged, not refunded
    # Ended once: a second end under the same lease is refused.
    assert await lifecycle.fail(task, "500", "late") is None
    assert not await lifecycle.beat(task, 30_000)


@pytest.mark.parametrize(
    ("cost", "charged"),
    [(1500, 1500), (0, 0), (4000, 4000), (9000, 4000), (-5, 0), (None, 4000)],
)
async def test_a_success_settles_a_held_price_to_its_cost_never_above_the_hold(
    backend: Backend, lifecycle: Lifecycle, cost: int | None, charged: int
) -> None:
    # A pass-through task priced by its upstream: 4000 held at create, settled at the end.
    owner = await account(backend)
    task = await claimed(lifecycle, owner)
    ended = await lifecycle.succeed(task, engine="kie", files=(), cost_milli=cost)
    assert ended is not None and ended.task.state is TaskState.SUCCESS
    assert ended.task.price_milli == charged
    assert await balance(backend, owner) == 10_000 - charged
    given_back = [("refund", 4000 - charged)] if charged < 4000 else []
    assert await ledger(backend, owner) == [("debit", -4000), *given_back]
    # The callback row keeps the balance after the settlement.
    row = await backend.outbox.get("t1")
    assert row is not None and row.balance_milli == 10_000 - charged
    assert await lifecycle.fail(task, "500", "late") is None  # and nothing is refunded again
    assert await balance(backend, owner) == 10_000 - charged


async def test_fail_refunds_once_and_a_task_without_a_url_queues_no_callback(
    backend: Backend, lifecycle: Lifecycle
) -> None:
    owner = await account(backend)
    await lifecycle.create(new_task(owner, callback=None))
    task = await lifecycle.claim("w", 30_000)
    assert task is not None
    ended = await lifecycle.fail_with(task, InputRejected("input.image_url: not an image"))
    assert ended is not None and ended.events == (TaskEnded(task, ended.task),)
    assert (ended.task.state, ended.task.fail_code, ended.task.fail_msg) == (
        TaskState.FAIL, "422", "input.image_url: not an image",
    )
    assert await balance(backend, owner) == 10_000
    assert await ledger(backend, owner) == [("debit", -4000), ("refund", 4000)]
    assert await lifecycle.fail(task, "500", "again") is None
    assert await ledger(backend, owner) == [("debit", -4000), ("refund", 4000)]
    assert await backend.outbox.get("t1") is None


async def test_a_stale_lease_changes_nothing(backend: Backend, lifecycle: Lifecycle) -> None:
    owner = await account(backend)
    first = await claimed(lifecycle, owner)
    assert await lifecycle.release(first)  # handed back: the token moves on at the next claim
    second = await lifecycle.claim("w2", 30_000)
    assert second is not None and second.lease_token == first.lease_token + 1
    assert not await lifecycle.start(first, "mock")
    assert not await lifecycle.switch_engine(first, "mock")
    assert not await lifecycle.release(first)
    assert await lifecycle.succeed(first, engine="mock", files=()) is None
    assert await lifecycle.fail(first, "500", "late") is None
    now = await backend.store.get_task("t1")
    assert now is not None and now.state is TaskState.QUEUING


async def test_cancel_of_a_waiting_task_ends_it_refunded_with_its_callback(
    backend: Backend, lifecycle: Lifecycle
) -> None:
    owner = await account(backend)
    await lifecycle.create(new_task(owner))
    cancel = await lifecycle.cancel(owner, "t1")
    assert cancel.ended and cancel.events == (TaskChanged("t1"), CallbackQueued("t1"))
    assert (cancel.task.state, cancel.task.fail_code, cancel.task.fail_msg) == (
        TaskState.FAIL, CANCELED, CANCELED_MSG,
    )
    assert await balance(backend, owner) == 10_000
    row = await backend.outbox.get("t1")
    assert row is not None and row.balance_milli == 10_000  # after the refund
    with pytest.raises(ValidationFailed, match="already finished"):
        await lifecycle.cancel(owner, "t1")
    with pytest.raises(NotFound):
        await lifecycle.cancel(owner, "no-such-task")


async def test_cancel_of_a_generating_task_asks_its_worker_which_ends_it(
    backend: Backend, lifecycle: Lifecycle
) -> None:
    owner = await account(backend)
    task = await claimed(lifecycle, owner)
    assert await lifecycle.start(task, "mock")
    cancel = await lifecycle.cancel(owner, "t1")
    assert not cancel.ended and cancel.events == (CancelRequested("t1"),)
    assert cancel.task.state is TaskState.GENERATING
    assert await ledger(backend, owner) == [("debit", -4000)]  # nothing refunded yet
    assert await lifecycle.beat(task, 30_000) is Beat.CANCEL
    ended = await lifecycle.cancelled(task)
    assert ended is not None and ended.task.fail_code == CANCELED
    assert ended.events == (TaskEnded(task, ended.task), CallbackQueued("t1"))
    assert await ledger(backend, owner) == [("debit", -4000), ("refund", 4000)]


async def test_release_hands_a_claimed_task_back_to_the_queue(
    backend: Backend, lifecycle: Lifecycle
) -> None:
    owner = await account(backend)
    task = await claimed(lifecycle, owner)
    assert await lifecycle.start(task, "mock")
    assert await lifecycle.release(task)
    now = await backend.store.get_task("t1")
    assert now is not None and (now.state, now.progress) == (TaskState.WAITING, 0)
    again = await lifecycle.claim("w2", 30_000)
    assert again is not None and again.id == "t1" and again.attempts == 2
