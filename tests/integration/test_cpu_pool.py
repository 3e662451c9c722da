"""Engines' CPU work in a separate process: same images as in threads, off the API's process."""

from __future__ import annotations

import os

from imagegate.engines.base import EngineJob
from imagegate.engines.cpu import CpuPool, _ready
from imagegate.engines.mock import MockEngine

JOB = EngineJob(
    "t1", "ideogram/v3-reframe",
    {"image_url": "https://example.com/a.png", "image_size": "square", "num_images": "2",
     "seed": 3, "rendering_speed": "TURBO", "style": "AUTO"},
)


async def test_process_pool_runs_elsewhere_and_renders_the_same_images() -> None:
    pool = CpuPool(processes=1)
    try:
        assert await pool.run(_ready) != os.getpid()
        in_process = await MockEngine(cpu=pool).run(JOB)
    finally:
        pool.shutdown()
    in_thread = await MockEngine().run(JOB)
    assert [i.data for i in in_process] == [i.data for i in in_thread]
    assert len(in_process) == 2


async def test_zero_processes_means_threads_of_this_process() -> None:
    pool = CpuPool(processes=0)
    assert await pool.run(_ready) == os.getpid()
    pool.shutdown()  # nothing to shut down; must not fail


def _die() -> None:
    os._exit(1)


async def test_a_dead_worker_process_is_an_engine_failure_and_the_pool_recovers() -> None:
    import pytest

    from imagegate.errors import EngineUnavailable

    pool = CpuPool(processes=1)
    try:
        with pytest.raises(EngineUnavailable, match="engine process died"):
            await pool.run(_die)
        assert await pool.run(_ready) != os.getpid()  # a fresh pool serves the next task
    finally:
        pool.shutdown()


def test_engine_processes_exit_when_the_server_is_killed(tmp_path) -> None:
    import signal
    import subprocess
    import sys
    import time

    # A parent that starts a pool, reports its worker's pid, then waits to be SIGKILLed.
    script = tmp_path / "parent.py"
    script.write_text(
        "import asyncio, time\n"
        "from imagegate.engines.cpu import CpuPool, _ready\n"
        "async def main():\n"
        "    pool = CpuPool(1)\n"
        "    print(await pool.run(_ready), flush=True)\n"
        "    time.sleep(60)\n"
        "if __name__ == '__main__':\n"
        "    asyncio.run(main())\n"
    )
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        child = int(parent.stdout.readline())
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(child, 0)
            except ProcessLookupError:
                break
            # Reap it if it became our zombie; otherwise it is init's to reap.
            time.sleep(0.2)
        else:
            raise AssertionError(f"engine process {child} outlived its killed parent")
    finally:
        parent.kill()
