"""An account's task list (``TaskRows``: paging by cursor, filters) and its usage per model and
day (``UsageGroups``) on every backend.

Folded here: test_pg_task_list.py's paging and usage case."""

from __future__ import annotations

import asyncio

from imagegate.accounts.usage import DAY_MS, usage
from imagegate.backend import Backend
from imagegate.tasks.cancel import cancel_task
from imagegate.tasks.listing import TaskQuery, decode_cursor, list_tasks
from imagegate.tasks.state import TaskState
from imagegate.tasks.store import Finish

from contract_kit import BANANA, REFRAME, account, new_task


async def test_pages_newest_first_without_repeats_and_filters(backend: Backend) -> None:
    store = backend.store
    owner, other = await account(backend), await account(backend, name="b")
    for index in range(5):
        await store.create_task(new_task(owner, f"t{index}", 4000, model=BANANA))
        await asyncio.sleep(0.002)  # distinct create times, as tasks made apart have
    await store.create_task(new_task(owner, "reframe", 4000))
    await store.create_task(new_task(other, "theirs", 4000, model=BANANA))
    seen: list[str] = []
    query = TaskQuery(account_id=owner, limit=2)
    while True:
        page = await list_tasks(store, query)
        seen += [task.id for task in page.tasks]
        if page.next_cursor is None:
            break
        query = TaskQuery(account_id=owner, limit=2, cursor=decode_cursor(page.next_cursor))
    assert seen == ["reframe", *[f"t{i}" for i in reversed(range(5))]]
    await cancel_task(store, owner, "t1")
    failed = await list_tasks(store, TaskQuery(account_id=owner, states=("fail", "success")))
    assert [task.id for task in failed.tasks] == ["t1"] and failed.next_cursor is None
    only = await list_tasks(store, TaskQuery(account_id=owner, model=REFRAME))
    assert [task.id for task in only.tasks] == ["reframe"]
    third = await store.get_task("t2")
    assert third is not None
    window = await list_tasks(store, TaskQuery(
        account_id=owner, created_from=third.create_time, created_to=third.create_time + 1
    ))
    assert [task.id for task in window.tasks] == ["t2"]
    assert (await list_tasks(store, TaskQuery(account_id="nobody"))).tasks == []


async def test_a_row_holds_one_more_than_the_page(backend: Backend) -> None:
    owner = await account(backend)
    for index in range(3):
        await backend.store.create_task(new_task(owner, f"t{index}", 0))
    assert len(await backend.store.list_tasks(TaskQuery(account_id=owner, limit=2))) == 3
    assert len(await backend.store.list_tasks(TaskQuery(account_id=owner, limit=5))) == 3


async def test_usage_counts_tasks_and_credits_per_model_per_day(backend: Backend) -> None:
    store = backend.store
    owner, other = await account(backend), await account(backend, name="b")
    for index in range(5):
        await store.create_task(new_task(owner, f"t{index}", 4000, model=BANANA))
    await store.create_task(new_task(owner, "reframe", 7000))
    await store.create_task(new_task(other, "theirs", 4000, model=BANANA))
    await cancel_task(store, owner, "t1")
    claim = await store.claim("w", 30_000, models=[REFRAME])
    assert claim is not None
    await store.finish("reframe", claim.lease_token, Finish(TaskState.SUCCESS, "{}"))
    rows = await usage(store, owner, 0, 2**62)
    day = (claim.create_time // DAY_MS) * DAY_MS
    assert [(r.day, r.model, r.tasks, r.succeeded, r.failed, r.running, r.credits_milli)
            for r in rows] == [
        (day, BANANA, 5, 0, 1, 4, 16_000),  # the cancelled one costs nothing
        (day, REFRAME, 1, 1, 0, 0, 7000),
    ]
    assert await usage(store, owner, 0, day) == []  # before the day
    assert await store.usage_groups("nobody", 0, 2**62) == []
