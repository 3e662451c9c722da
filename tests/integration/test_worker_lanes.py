"""A queue of CPU tasks never delays tasks on other engines (issue 20, point 15).

The worker over a real store (memory, a SQLite file, PostgreSQL where one answers), with a CPU
engine of one place that blocks each run until the test lets it finish, as the classic engine
on one process does for seconds: no timing is asserted, only what ran and what waited.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from imagegate.accounts.keys import AccountRequest, create_account
from imagegate.backend import Backend
from imagegate.engines.base import EngineJob, OutputImage, SourceImage
from imagegate.engines.router import Router
from imagegate.storage.blobstore import MemoryBlobStore
from imagegate.tasks.events import NoEvents
from imagegate.tasks.lifecycle import Lifecycle
from imagegate.tasks.model import NewTask
from imagegate.tasks.state import TaskState
from imagegate.worker.loop import Worker

REFRAME = "ideogram/v3-reframe"
BANANA = "google/nano-banana"
IMAGE = OutputImage(b"\x89PNG", "image/png", 8, 8)


class BlockingCpuEngine:
    """A CPU engine with ``capacity`` places (the classic engine on that many processes):
    each run waits for a ``finish`` token, so the test decides when each task ends."""

    name = "cpu"

    def __init__(self, capacity: int | None = 1) -> None:
        if capacity is not None:
            self.capacity = capacity  # absent: an engine that declares no bound
        self.finish = asyncio.Semaphore(0)
        self.started: list[str] = []
        self.running = 0
        self.most = 0  # the most runs at once

    def supports(self, model: str) -> bool:
        return model == REFRAME

    async def run(self, job: EngineJob) -> list[OutputImage]:
        self.started.append(job.task_id)
        self.running += 1
        self.most = max(self.most, self.running)
        try:
            await self.finish.acquire()
        finally:
            self.running -= 1
        return [IMAGE]


class QuickEngine:
    """The mock engine's part here: done at once, on no bounded resource."""

    name = "mock"

    def supports(self, model: str) -> bool:
        return True

    async def run(self, job: EngineJob) -> list[OutputImage]:
        return [IMAGE]


class Fetcher:
    """Input images without a network."""

    async def fetch(
        self, url: str, field: str, accepted: tuple[str, ...] = (), max_bytes: int | None = None
    ) -> SourceImage:
        return SourceImage(url, b"\x89PNG", "image/png", 8, 8)


@pytest.fixture(params=["memory", "sqlite", "postgres"])
async def backend(
    request: pytest.FixtureRequest, open_backend_named: Callable[..., Any]
) -> AsyncIterator[Backend]:
    async with open_backend_named(request.param) as opened:
        yield opened


def make_worker(backend: Backend, cpu: BlockingCpuEngine) -> Worker:
    """The embedded default's shape: 4 slots, reframes on the CPU engine, the rest on mock."""
    return Worker(
        lifecycle=Lifecycle(backend.store), events=NoEvents(),
        router=Router({REFRAME: [cpu], BANANA: [QuickEngine()]}),
        fetcher=Fetcher(),  # type: ignore[arg-type]
        blobs=MemoryBlobStore(), concurrency=4, lease_seconds=30, poll_interval=0.02,
        result_retention_ms=60_000,
    )


async def account(backend: Backend, name: str) -> str:
    made, _ = await create_account(backend.store, AccountRequest(name, credits=1000))
    return made.id


async def submit(backend: Backend, account_id: str, task_id: str, model: str) -> None:
    task_input = (
        {"image_url": "https://x/a.png", "image_size": "square"} if model == REFRAME
        else {"prompt": "a lighthouse"}
    )
    await backend.store.create_task(NewTask(
        id=task_id, account_id=account_id, model=model, param="{}", input=task_input,
        callback_url=None, price_milli=1000,
    ))
    await asyncio.sleep(0.002)  # distinct create times, as tasks made apart have


async def state(backend: Backend, task_id: str) -> TaskState:
    task = await backend.store.get_task(task_id)
    assert task is not None
    return task.state


async def until(check: Callable[[], Any], what: str) -> None:
    """Wait for ``check()`` to hold; the timeout only stops a broken run from hanging."""
    async with asyncio.timeout(20):
        while not await check():
            await asyncio.sleep(0.01)
    assert await check(), what


async def test_a_mock_task_after_queued_cpu_tasks_ends_while_they_still_wait(
    backend: Backend,
) -> None:
    cpu = BlockingCpuEngine(capacity=1)
    worker = make_worker(backend, cpu)
    owner = await account(backend, "a")
    reframes = [f"r{index}" for index in range(6)]
    for task_id in reframes:
        await submit(backend, owner, task_id, REFRAME)
    # Created after them, by the same account: the fair queue alone would run it last.
    await submit(backend, owner, "m", BANANA)
    worker.start()
    try:
        async def mock_done_and_first_running() -> bool:
            return await state(backend, "m") is TaskState.SUCCESS and cpu.started == ["r0"]

        await until(mock_done_and_first_running, "the mock task ended beside the first reframe")
        # One CPU task holds one slot; the other five wait in the queue, not in slots.
        assert worker.lanes.held() == {"cpu": 1}
        assert [await state(backend, t) for t in reframes[1:]] == [TaskState.WAITING] * 5
        assert await state(backend, "r0") in (TaskState.QUEUING, TaskState.GENERATING)
        # Let them run: one at a time, in their queue's order, every one of them.
        for _ in reframes:
            cpu.finish.release()

        async def all_done() -> bool:
            return all([await state(backend, t) is TaskState.SUCCESS for t in reframes])

        await until(all_done, "every reframe ended")
        assert cpu.started == reframes and cpu.most == 1
        assert worker.lanes.held() == {"cpu": 0}
    finally:
        await worker.stop()


async def test_without_a_declared_capacity_cpu_tasks_take_every_slot(backend: Backend) -> None:
    """The starvation itself (before lanes): four blocked CPU tasks hold the four slots and the
    mock task waits for them; the case above is what a declared capacity changes."""
    cpu = BlockingCpuEngine(capacity=None)
    worker = make_worker(backend, cpu)
    owner = await account(backend, "a")
    for index in range(6):
        await submit(backend, owner, f"r{index}", REFRAME)
    await submit(backend, owner, "m", BANANA)
    worker.start()
    try:
        async def four_running() -> bool:
            return len(cpu.started) == 4

        await until(four_running, "every slot took a reframe")
        assert not worker.lanes.bounded
        assert await state(backend, "m") is TaskState.WAITING  # no slot is left to claim it
    finally:
        for _ in range(6):
            cpu.finish.release()
        await worker.stop()


async def test_cpu_tasks_stay_fair_between_accounts(backend: Backend) -> None:
    """Passing CPU tasks over keeps their turns: once the lane frees, the accounts alternate
    as the fair queue orders them (tasks/fairness.py)."""
    cpu = BlockingCpuEngine(capacity=1)
    worker = make_worker(backend, cpu)
    first, second = await account(backend, "a"), await account(backend, "b")
    for index in range(3):
        await submit(backend, first, f"a{index}", REFRAME)
    for index in range(3):
        await submit(backend, second, f"b{index}", REFRAME)
    worker.start()
    try:
        for count in range(1, 7):
            async def started(count: int = count) -> bool:
                return len(cpu.started) == count

            await until(started, f"reframe {count} started")
            assert cpu.running == 1
            cpu.finish.release()
        assert cpu.started == ["a0", "b0", "a1", "b1", "a2", "b2"]
    finally:
        await worker.stop()
