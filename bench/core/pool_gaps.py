"""What the classic engine's lane costs the reframes: the pool's idle time between two of them.

With the lane (worker/lanes.py) the worker claims the next reframe only once the last one has
ended, so the engine process waits meanwhile for the next task's claim, input fetch and
hand-off. This runs the embedded default's runtime in this process (SQLite, the classic
engine on one process), the inputs on a loopback server, and times each ``ClassicEngine.run``:
a gap is the time from one run's end to the next one's start. Without lanes the runs overlap
(four slots queue on the pool), so there is no gap to measure.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any


@dataclass
class PoolGaps:
    reframes: int
    run_median_s: float  # one ClassicEngine.run, queueing in the pool included
    gap_median_ms: float
    gap_max_ms: float
    gaps_total_s: float
    wall_s: float  # first task created to last run ended


def _serve(png: bytes) -> tuple[HTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(png)))
            self.end_headers()
            self.wfile.write(png)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, name="pool-gaps-input", daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/in.png"


async def _measure(png: bytes, reframes: int, speed: str, timeout: float) -> PoolGaps:
    from imagegate.accounts.keys import AccountRequest, create_account
    from imagegate.runtime import Runtime
    from imagegate.settings import Settings
    from imagegate.tasks.model import NewTask

    server, url = _serve(png)
    data_dir = Path(tempfile.mkdtemp(prefix="imagegate-bench-gaps-"))
    runtime = Runtime(Settings(
        data_dir=data_dir, url_allowlist=["127.0.0.1"], public_url="http://127.0.0.1",
        mock=False, log_level="warning",
    ))
    classic = runtime.engines.get("classic")
    run = classic.run
    spans: list[tuple[float, float]] = []

    async def timed(job: Any) -> Any:
        start = time.perf_counter()
        images = await run(job)
        spans.append((start, time.perf_counter()))
        return images

    classic.run = timed  # type: ignore[method-assign]
    await runtime.start()
    try:
        owner, _ = await create_account(runtime.store, AccountRequest("bench", credits=10**6))
        created = time.perf_counter()
        for index in range(reframes):
            made = await runtime.lifecycle.create(NewTask(
                id=f"gap{index}", account_id=owner.id, model="ideogram/v3-reframe", param="{}",
                input={"image_url": url, "image_size": "square_hd", "rendering_speed": speed,
                       "num_images": "1", "seed": index, "style": "AUTO"},
                callback_url=None, price_milli=0,
            ))
            runtime.events.publish(made.events)
        async with asyncio.timeout(timeout):
            while len(spans) < reframes:
                await asyncio.sleep(0.05)
    finally:
        await runtime.stop()
        server.shutdown()
    spans.sort()
    gaps = [max(0.0, spans[i + 1][0] - spans[i][1]) for i in range(len(spans) - 1)]
    return PoolGaps(
        reframes=reframes,
        run_median_s=statistics.median(end - start for start, end in spans),
        gap_median_ms=statistics.median(gaps) * 1000 if gaps else 0.0,
        gap_max_ms=max(gaps, default=0.0) * 1000,
        gaps_total_s=sum(gaps),
        wall_s=spans[-1][1] - created,
    )


def pool_gaps(png: bytes, reframes: int, speed: str, timeout: float) -> PoolGaps:
    """Time ``reframes`` reframes run by the in-process runtime; their gaps."""
    return asyncio.run(_measure(png, reframes, speed, timeout))
