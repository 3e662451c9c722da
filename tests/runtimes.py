"""The tests' runtimes and their shutdown after each test (``runtime_factory``): a runtime
the test left running is stopped, within a bound, before its database is closed.

Closing SQLite first used to hang the whole run when a test failed with a task in flight: the
worker, cancelled when the test's event loop closed, waited forever for its last write (the
task handed back) on the closed database.
"""

from __future__ import annotations

import asyncio

from imagegate.runtime import Runtime

# Runtime.stop() takes well under a second with the tests' zero grace period; the bound is
# there so that a stop that never ends fails its test instead of holding the whole run.
STOP_WITHIN_SECONDS = 30.0


class TrackedRuntime(Runtime):
    """A Runtime that remembers the event loop it was started on and whether it was stopped,
    so the fixture stops only what is still running, and only on its own loop (the client
    tests run theirs on a loop of their own, ``ThreadedApp``)."""

    started_on: asyncio.AbstractEventLoop | None = None
    stopped = False

    async def start(self) -> None:
        # Marked before starting: a start that fails halfway leaves parts running too.
        self.started_on = asyncio.get_running_loop()
        await super().start()

    async def stop(self) -> None:
        self.stopped = True
        await super().stop()


async def shut_down(runtime: TrackedRuntime, within: float = STOP_WITHIN_SECONDS) -> float:
    """Stop ``runtime`` if it was started on this loop and not stopped, waiting ``within``
    seconds at most, then close its SQLite connection if still open. The seconds the stop
    took; AssertionError when it overran (its database is closed all the same, which fails
    what it still waits on)."""
    loop = asyncio.get_running_loop()
    began = loop.time()
    overran = False
    if runtime.started_on is loop and not runtime.stopped:
        stopping = asyncio.ensure_future(runtime.stop())
        # asyncio.wait, not wait_for: wait_for waits for the cancelled stop to end, which is
        # the very wait that must not be unbounded.
        done, _ = await asyncio.wait({stopping}, timeout=within)
        if done:
            stopping.result()  # its error, if any, is the test's
        else:
            stopping.cancel()
            overran = True
    took = loop.time() - began
    db = getattr(runtime, "db", None)  # a SQLite file's; the memory store has nothing to close
    if getattr(db, "conn_closed", True) is False:
        db.close()
    assert not overran, f"the runtime did not stop within {within} s"
    return took
