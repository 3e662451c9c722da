"""The heartbeat writes new progress soon after the engine reports it, not only every third of
a lease: a reframe of a few seconds must show its progress moving, not 10 then 100."""

from __future__ import annotations

import asyncio
import itertools
import time
from types import SimpleNamespace
from typing import Any, cast

from imagegate.tasks.lifecycle import Lifecycle
from imagegate.tasks.model import Task
from imagegate.tasks.store import Beat
from imagegate.worker.heartbeat import PROGRESS_GAP, Heartbeat

# The task as a beat reads it: its id and the progress its record shows.
RUNNING = SimpleNamespace(id="t1", progress=10)


class RecordingLifecycle:
    """Only ``beat``, the one call a heartbeat makes: records (seconds, progress)."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.beats: list[tuple[float, int | None]] = []

    async def beat(self, task: Any, lease_ms: int, progress: int | None = None) -> Beat:
        self.beats.append((time.monotonic() - self.started, progress))
        return Beat.HELD


def _heartbeat(lifecycle: RecordingLifecycle, progress: dict[str, int]) -> Heartbeat:
    """A heartbeat of a 30 s lease on the RUNNING task, reading ``progress``."""
    return Heartbeat(
        cast(Lifecycle, lifecycle), cast(Task, RUNNING), 30_000, progress,
        on_lost=lambda: None, on_cancel=lambda: None,
    )


async def test_new_progress_is_written_within_the_gap_and_beats_stay_apart() -> None:
    lifecycle = RecordingLifecycle()
    progress = {"value": 10}
    beat = _heartbeat(lifecycle, progress)
    beat.start()  # the regular beat is 10 s away
    try:
        await asyncio.sleep(0.05)
        assert lifecycle.beats == []  # nothing new: no write yet
        for value in (30, 50, 70):
            progress["value"] = value
            beat.progressed()
            await asyncio.sleep(PROGRESS_GAP * 1.5)
    finally:
        await beat.stop()
    written = [value for _, value in lifecycle.beats]
    assert written == [30, 50, 70]
    times = [at for at, _ in lifecycle.beats]
    assert min(b - a for a, b in itertools.pairwise(times)) >= PROGRESS_GAP * 0.9


async def test_without_progress_the_first_beat_waits_for_its_interval() -> None:
    lifecycle = RecordingLifecycle()
    beat = _heartbeat(lifecycle, {"value": 10})
    beat.start()
    await asyncio.sleep(PROGRESS_GAP * 2)
    await beat.stop()
    assert lifecycle.beats == []


async def test_a_stop_in_the_same_turn_as_new_progress_ends_the_beat() -> None:
    # The engine's last progress and the end of its task often come together: stop() must end
    # the beat all the same (it once waited forever for a beat that swallowed its cancel).
    lifecycle = RecordingLifecycle()
    beat = _heartbeat(lifecycle, {"value": 10})
    beat.start()
    beat.progressed()  # beats after PROGRESS_GAP, then rests waiting for more progress
    await asyncio.sleep(PROGRESS_GAP * 2.5)
    assert len(lifecycle.beats) == 1  # resting now, between beats

    beat.progressed()
    stopping = asyncio.ensure_future(beat.stop())
    done, _ = await asyncio.wait({stopping}, timeout=5)

    assert done, "stop() did not end the beat"
    beats = len(lifecycle.beats)
    await asyncio.sleep(PROGRESS_GAP * 2)
    assert len(lifecycle.beats) == beats  # and no beat after it
