"""The diffusers engine's batcher, on plain payloads: which requests share a forward pass."""

from __future__ import annotations

import asyncio

from imagegate.engines.diffusers.batcher import Batcher, Entry


class Recorder:
    """A run function that records each batch's payloads and answers each with its own."""

    def __init__(self, delay: float = 0.0) -> None:
        self.batches: list[list[str]] = []
        self.delay = delay

    async def __call__(self, batch: list[Entry[str]]) -> list[str]:
        self.batches.append([entry.payload for entry in batch])
        await asyncio.sleep(self.delay)
        return [f"done {entry.payload}" for entry in batch]


def _ignore(_percent: int) -> None:
    return None


async def test_compatible_requests_share_a_batch_and_others_do_not() -> None:
    run = Recorder()
    batcher: Batcher[str, str] = Batcher(run, batch_size=4, window=0.05)
    results = await asyncio.gather(
        batcher.submit("a", 1, "a1", _ignore),
        batcher.submit("b", 1, "b1", _ignore),
        batcher.submit("a", 2, "a2", _ignore),
    )
    assert results == ["done a1", "done b1", "done a2"]
    assert run.batches == [["a1", "a2"], ["b1"]]


async def test_a_batch_holds_at_most_batch_size_images_and_never_splits_a_request() -> None:
    run = Recorder()
    batcher: Batcher[str, str] = Batcher(run, batch_size=3, window=0.05)
    await asyncio.gather(
        batcher.submit("a", 2, "a2", _ignore),
        batcher.submit("a", 2, "b2", _ignore),
        batcher.submit("a", 1, "c1", _ignore),
        batcher.submit("a", 5, "d5", _ignore),
    )
    # a2 + c1 fill 3; b2 waits for the next batch; d5 (more than a batch) runs alone.
    assert run.batches == [["a2", "c1"], ["b2"], ["d5"]]


async def test_a_cancelled_waiter_leaves_the_queue_and_errors_reach_every_waiter() -> None:
    run = Recorder(delay=0.05)
    batcher: Batcher[str, str] = Batcher(run, batch_size=1, window=0.0)
    first = asyncio.create_task(batcher.submit("a", 1, "first", _ignore))
    second = asyncio.create_task(batcher.submit("a", 1, "second", _ignore))
    await asyncio.sleep(0.01)  # first runs; second waits
    second.cancel()
    assert await first == "done first"
    await asyncio.sleep(0.06)
    assert run.batches == [["first"]]

    async def failing(batch: list[Entry[str]]) -> list[str]:
        raise RuntimeError("boom")

    broken: Batcher[str, str] = Batcher(failing, batch_size=2, window=0.02)
    outcomes = await asyncio.gather(
        broken.submit("a", 1, "x", _ignore), broken.submit("a", 1, "y", _ignore),
        return_exceptions=True,
    )
    assert [str(outcome) for outcome in outcomes] == ["boom", "boom"]


class TooBig(Exception):
    """Stands for out of GPU memory: what the batcher is told to split on."""


async def test_a_batch_out_of_memory_is_run_again_one_request_at_a_time() -> None:
    # Two images fit; three do not, and "huge" does not fit even alone.
    batches: list[list[str]] = []

    async def run(batch: list[Entry[str]]) -> list[str]:
        batches.append([entry.payload for entry in batch])
        if sum(entry.size for entry in batch) > 2:
            raise TooBig("out of memory")
        return [f"done {entry.payload}" for entry in batch]

    batcher: Batcher[str, str] = Batcher(
        run, batch_size=8, window=0.05, split_on=lambda exc: isinstance(exc, TooBig)
    )
    outcomes = await asyncio.gather(
        batcher.submit("a", 1, "x", _ignore),
        batcher.submit("a", 3, "huge", _ignore),
        batcher.submit("a", 2, "y", _ignore),
        return_exceptions=True,
    )
    assert outcomes[0] == "done x" and outcomes[2] == "done y"
    assert isinstance(outcomes[1], TooBig)
    assert batches == [["x", "huge", "y"], ["x"], ["huge"], ["y"]]

    # Errors it is not told to split on reach every waiter of the batch at once.
    unsplit: Batcher[str, str] = Batcher(run, batch_size=8, window=0.05)
    batches.clear()
    outcomes = await asyncio.gather(
        unsplit.submit("a", 2, "p", _ignore), unsplit.submit("a", 2, "q", _ignore),
        return_exceptions=True,
    )
    assert all(isinstance(outcome, TooBig) for outcome in outcomes)
    assert batches == [["p", "q"]]


async def test_closing_the_batcher_releases_the_waiters_of_the_running_batch() -> None:
    # The running batch has left the queue: closing must still answer its waiters, or their
    # tasks would wait forever on a batch that nobody finishes.
    run = Recorder(delay=10.0)
    batcher: Batcher[str, str] = Batcher(run, batch_size=1, window=0.0)
    running = asyncio.create_task(batcher.submit("a", 1, "running", _ignore))
    queued = asyncio.create_task(batcher.submit("a", 1, "queued", _ignore))
    await asyncio.sleep(0.01)
    assert run.batches == [["running"]]
    await batcher.aclose()
    async with asyncio.timeout(1):
        outcomes = await asyncio.gather(running, queued, return_exceptions=True)
    assert all(isinstance(outcome, asyncio.CancelledError) for outcome in outcomes)
