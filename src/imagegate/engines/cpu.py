"""CpuPool: where engines run CPU-heavy work, outside the process that serves the API.

Image work holds the GIL for long stretches (text rendering, resampling in Python), and in the
API's own process it stalls the event loop: with the mock engine rendering in threads, the
embedded server answered 2.5 times fewer createTask requests (bench/run_core.py). A pool of
worker processes keeps that work off the loop. ``processes=0`` runs the work in threads of
this process instead, for tests and for machines where an extra process is unwelcome.

Each engine that needs the CPU has a pool of its own (``CpuPools``): with one shared pool, a
mock task's 40 ms render waited behind every reframe queued before it (bench/cpu_starvation.py).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from imagegate.errors import EngineUnavailable

T = TypeVar("T")


def _ready() -> int:
    return os.getpid()


# Numerical libraries' own thread pools, held to one thread in each engine process.
_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _set_up_process(parent: int) -> None:
    """Runs first in each worker process."""
    # One task per process at a time, and as many processes as the operator configured: a
    # BLAS pool of one thread per core in every process only fights the others for the cores
    # (an eigendecomposition in the classic engine took 0.76 s instead of 0.01 s that way).
    # Set before NumPy is first imported here, which is when those libraries read them.
    for variable in _THREAD_VARIABLES:
        os.environ.setdefault(variable, "1")
    _exit_with_parent(parent)


def _exit_with_parent(parent: int) -> None:
    """Exit this worker process when the server is gone.

    A server killed with SIGKILL cannot shut its pool down, and an idle worker would otherwise
    wait on its queue forever, an orphan (seen after the SIGKILL acceptance test).
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="imagegate-parent-watch", daemon=True).start()


class CpuPool:
    """Runs picklable functions in worker processes (or threads when ``processes`` is 0)."""

    def __init__(self, processes: int) -> None:
        self.processes = processes
        self._executor: ProcessPoolExecutor | None = None

    def start(self) -> None:
        """Start the processes now, so the first task does not pay for their start-up."""
        if self.processes and self._executor is None:
            # spawn, not fork: the server has threads (SQLite checkpoints, the event loop's
            # executors), and forking a threaded process can copy a held lock.
            self._executor = ProcessPoolExecutor(
                self.processes,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_set_up_process,
                initargs=(os.getpid(),),
            )
            for _ in range(self.processes):
                self._executor.submit(_ready)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        if not self.processes:
            return await asyncio.to_thread(fn, *args)
        self.start()
        executor = self._executor
        assert executor is not None
        try:
            return await asyncio.get_running_loop().run_in_executor(executor, fn, *args)
        except BrokenProcessPool as exc:
            # A worker process died (killed, out of memory): this task may go to another
            # engine or be retried, and the next one gets a fresh pool instead of a broken one.
            if self._executor is executor:
                self._executor = None
                executor.shutdown(wait=False, cancel_futures=True)
            raise EngineUnavailable(f"engine process died: {exc}") from exc

    def shutdown(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None


class CpuPools:
    """The pools of the engines that need the CPU, one each, ``processes`` processes per pool
    (IMAGEGATE_ENGINE_PROCESSES): a queue of one engine's work never delays another's."""

    def __init__(self, processes: int) -> None:
        self.processes = processes
        self._pools: dict[str, CpuPool] = {}

    def pool(self, engine: str, most: int | None = None) -> CpuPool:
        """``engine``'s pool, made on first use; of at most ``most`` processes when given (the
        mock engine's renders need one)."""
        if engine not in self._pools:
            processes = self.processes if most is None else min(most, self.processes)
            self._pools[engine] = CpuPool(processes)
        return self._pools[engine]

    def start(self) -> None:
        """Start every pool made so far (the engines are built before the worker starts)."""
        for pool in self._pools.values():
            pool.start()

    def shutdown(self) -> None:
        for pool in self._pools.values():
            pool.shutdown()
