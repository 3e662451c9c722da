"""The worker on in-memory parts: the memory stores (backend.open_memory), MemoryBlobStore,
scripted engines."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from imagegate.accounts.keys import AccountRequest, create_account
from imagegate.backend import Backend, Store, open_memory
from imagegate.engines.base import EngineJob, OutputImage
from imagegate.engines.router import Router
from imagegate.errors import EngineUnavailable, InputRejected
from imagegate.storage.blobstore import MemoryBlobStore
from imagegate.tasks.events import NoEvents
from imagegate.tasks.lifecycle import Lifecycle
from imagegate.tasks.model import NewTask
from imagegate.tasks.state import TaskState
from imagegate.worker.loop import Worker

MODEL = "ideogram/v3-reframe"


class FakeFetcher:
    """Stands in for ImageFetcher: no network; refuses URLs containing 'bad'."""

    def __init__(self) -> None:
        self.fetched: list[str] = []
        self.limits: list[tuple[tuple[str, ...], int | None]] = []

    async def fetch(
        self, url: str, field: str, accepted: tuple[str, ...] = (), max_bytes: int | None = None
    ) -> Any:
        from imagegate.engines.base import SourceImage

        self.fetched.append(url)
        self.limits.append((accepted, max_bytes))
        if "bad" in url:
            raise InputRejected(f"{field}: not an image")
        return SourceImage(url, b"\x89PNG", "image/png", 8, 8)


class Engine:
    def __init__(self, name: str, error: Exception | None = None) -> None:
        self.name, self.error, self.jobs = name, error, []

    def supports(self, model: str) -> bool:
        return True

    async def run(self, job: EngineJob) -> list[OutputImage]:
        self.jobs.append(job)
        if self.error:
            raise self.error
        return [OutputImage(b"one", "image/png", 8, 8), OutputImage(b"two", "image/jpeg", 8, 8)]


def make_worker(
    *engines: Engine, poll_interval: float = 0.01
) -> tuple[Worker, Backend, MemoryBlobStore, FakeFetcher]:
    backend = open_memory()
    store, blobs, fetcher = backend.store, MemoryBlobStore(), FakeFetcher()
    worker = Worker(
        lifecycle=Lifecycle(store), events=NoEvents(),
        router=Router({MODEL: list(engines)}), fetcher=fetcher,  # type: ignore[arg-type]
        blobs=blobs,
        concurrency=1, lease_seconds=30, poll_interval=poll_interval, result_retention_ms=1000,
    )
    return worker, backend, blobs, fetcher


async def submit(backend: Backend, url: str = "https://x/a.png") -> str:
    account, _ = await create_account(backend.store, AccountRequest("a", credits=100))
    await backend.store.create_task(NewTask(
        id="t1", account_id=account.id, model=MODEL, param="{}",
        input={"image_url": url, "image_size": "square", "num_images": "2"},
        callback_url=None, price_milli=14_000,
    ))
    return account.id


async def test_success_stores_every_output_and_records_their_keys() -> None:
    engine = Engine("e1")
    worker, backend, blobs, fetcher = make_worker(engine)
    store = backend.store
    await submit(backend)
    await worker.process(await store.claim("w", 30_000))
    task = await store.get_task("t1")
    assert task.state is TaskState.SUCCESS and task.engine == "e1"
    keys = [f["key"] for f in json.loads(task.result_json)["files"]]
    assert [k.rsplit("/", 1)[1] for k in keys] == ["0.png", "1.jpg"]
    assert [blobs.blobs[k][0] for k in keys] == [b"one", b"two"]
    # The registry rows came with the finish: the janitor and the file routes know them.
    rows = [await backend.files.get(k) for k in keys]
    assert [(r.kind, r.task_id, r.size) for r in rows if r] == [("result", "t1", 3)] * 2
    assert fetcher.fetched == ["https://x/a.png"]
    # The field's own limits go with its URL; the fetcher caps them by the operator's.
    assert fetcher.limits == [(("image/jpeg", "image/png", "image/webp"), 10 * 1024 * 1024)]
    assert engine.jobs[0].images["image_url"][0].mime_type == "image/png"


async def test_failover_records_the_engine_that_served() -> None:
    down, spare = Engine("down", EngineUnavailable("gpu gone")), Engine("spare")
    worker, backend, _, _ = make_worker(down, spare)
    store = backend.store
    await submit(backend)
    await worker.process(await store.claim("w", 30_000))
    task = await store.get_task("t1")
    assert task.state is TaskState.SUCCESS and task.engine == "spare"


async def test_rejected_input_fails_without_running_an_engine_and_refunds() -> None:
    engine = Engine("e1")
    worker, backend, blobs, _ = make_worker(engine)
    store = backend.store
    account_id = await submit(backend, url="https://x/bad.png")
    await worker.process(await store.claim("w", 30_000))
    task = await store.get_task("t1")
    assert task.state is TaskState.FAIL and task.fail_code == "422"
    assert task.fail_msg == "input.image_url: not an image"
    assert engine.jobs == [] and blobs.blobs == {}
    assert (await store.get_account(account_id)).credits_milli == 100_000


async def test_a_notify_wakes_an_idle_slot_at_once() -> None:
    worker, backend, _, _ = make_worker(Engine("e1"), poll_interval=60)
    store = backend.store
    worker.start()
    try:
        await asyncio.sleep(0.05)  # the slot found nothing and waits (a minute, unwoken)
        await submit(backend)
        worker.notify()
        async with asyncio.timeout(5):
            while (await store.get_task("t1")).state is not TaskState.SUCCESS:  # type: ignore[union-attr]
                await asyncio.sleep(0.01)
    finally:
        await worker.stop()


def count_claims(store: Store) -> list[int]:
    """Counts the store's claims from now on: ``[n]``, read as it goes."""
    claims = [0]
    claim = store.claim

    async def counted(*args: Any, **kwargs: Any) -> Any:
        claims[0] += 1
        return await claim(*args, **kwargs)

    store.claim = counted  # type: ignore[method-assign]
    return claims


async def test_wakeups_while_no_slot_is_idle_count_once() -> None:
    worker, backend, _, _ = make_worker(Engine("e1"), poll_interval=60)
    store = backend.store
    claims = count_claims(store)
    for _ in range(100):  # announced while every slot was busy (here: not started)
        worker.notify()
    worker.start()
    try:
        await asyncio.sleep(0.2)
    finally:
        await worker.stop()
    # The first look, and one more for the remembered wake-up; not one per announcement.
    assert claims == [2]


async def test_a_notify_of_several_tasks_wakes_as_many_idle_slots() -> None:
    # A combined create announces its count (db/postgres/creates.py): two tasks wake two of the
    # three idle slots, and the third sleeps on.
    worker, backend, _, _ = make_worker(Engine("e1"), poll_interval=60)
    store = backend.store
    worker.concurrency = 3
    claims = count_claims(store)
    worker.start()
    try:
        await asyncio.sleep(0.1)  # each slot looked once, found nothing and waits
        assert claims == [3]
        worker.notify(2)
        await asyncio.sleep(0.1)
        assert claims == [5]
    finally:
        await worker.stop()


async def test_key_cache_remembers_for_its_ttl_only() -> None:
    from imagegate.accounts.keys import KeyCache, hash_key

    backend = open_memory()
    store = backend.store
    account, key = await create_account(store, AccountRequest("a", credits=1))
    cache = KeyCache(store, backend.api_keys, ttl=60)
    assert (await cache.lookup(hash_key(key))).id == account.id
    assert await backend.api_keys.set_account_disabled(account.id, True)
    assert not (await cache.lookup(hash_key(key))).disabled  # still the remembered row
    cache.forget()
    assert (await cache.lookup(hash_key(key))).disabled
    assert await cache.lookup(hash_key("ig_unknown")) is None
