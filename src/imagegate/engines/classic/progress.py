"""Progress across the process boundary: one byte of shared memory per job.

The engine's work runs in a CpuPool process, which can return nothing until it is done. The
engine (parent) creates a one-byte block, passes its name along with the work; the work
(child) writes its percent there and the engine polls it. A single byte is written and read
atomically, so no lock is needed, and a block costs no more than its name to pass.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from multiprocessing import shared_memory
from types import TracebackType


class ProgressBlock:
    """The parent's side: created per job, polled while the work runs, unlinked at the end."""

    def __init__(self) -> None:
        self._shm = shared_memory.SharedMemory(create=True, size=1)
        self._buf = _buffer(self._shm)
        self._buf[0] = 0

    @property
    def name(self) -> str:
        return self._shm.name

    def read(self) -> int:
        """The percent the work last wrote, 0-100."""
        return int(self._buf[0])

    async def relay(self, report: Callable[[int], None], interval: float) -> None:
        """Call ``report`` with each new percent, checking every ``interval`` seconds, until
        cancelled; the caller relays the last value itself once the work has returned."""
        last = 0
        while True:
            await asyncio.sleep(interval)
            value = self.read()
            if value > last:
                last = value
                report(value)

    def close(self) -> None:
        self._shm.close()
        # The work may still hold the block (its task cancelled): its mapping stays valid
        # after the unlink, and its writes simply go unread.
        with contextlib.suppress(FileNotFoundError):
            self._shm.unlink()

    def __enter__(self) -> ProgressBlock:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class ProgressWriter:
    """The child's side: writes fractions 0.0-1.0 as percents, never going backwards.

    With no name, or a block already gone (the engine gave up on the job), nobody is listening
    and writes are dropped.
    """

    def __init__(self, name: str | None) -> None:
        self._shm: shared_memory.SharedMemory | None = None
        self._buf: memoryview | None = None
        self._percent = 0
        if name is not None:
            # Attaching registers the name with the resource tracker a second time; spawned
            # processes share the parent's tracker, which keeps a set, so the parent's unlink
            # still clears it.
            with contextlib.suppress(FileNotFoundError):
                self._shm = shared_memory.SharedMemory(name=name)
                self._buf = _buffer(self._shm)

    def write(self, fraction: float) -> None:
        percent = max(0, min(100, int(fraction * 100)))
        if percent <= self._percent:
            return
        self._percent = percent
        if self._buf is not None:
            self._buf[0] = percent

    def close(self) -> None:
        self._buf = None
        if self._shm is not None:
            self._shm.close()
            self._shm = None


def _buffer(shm: shared_memory.SharedMemory) -> memoryview:
    # The block's own view (closing the block releases it), not a new export of it.
    buf = shm.buf
    assert buf is not None  # None only after close()
    return buf
