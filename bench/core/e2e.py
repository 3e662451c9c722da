"""End-to-end: tasks created one at a time, each timed until its callback reaches a receiver."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

import httpx
from PIL import Image

from core.servers import start_imagegate, upload_png
from core.stats import percentile
from core.workload import CREATE_PATH, MODEL, create_body

if TYPE_CHECKING:
    from imagegate.engines.mock import MockEngine


@dataclass
class Arrival:
    at: float  # time.perf_counter() when the whole body had been read
    wall_ms: float  # the same instant on the epoch clock, to compare with the server's stamps
    code: int
    state: str
    create_time_ms: int | None
    complete_time_ms: int | None


class CallbackReceiver:
    """Records when each task's callback arrives, keyed by ``data.taskId``."""

    def __init__(self) -> None:
        self.arrivals: dict[str, Arrival] = {}
        self.cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            # HTTP/1.1 so the sender can keep its connection open, as a real receiver allows.
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                at, wall_ms = time.perf_counter(), time.time() * 1000
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")
                try:
                    body = json.loads(raw)
                    data = body["data"]
                    arrival = Arrival(
                        at,
                        wall_ms,
                        int(body["code"]),
                        str(data["state"]),
                        data.get("createTime"),
                        data.get("completeTime"),
                    )
                    task_id = str(data["taskId"])
                except (ValueError, KeyError, TypeError):
                    return
                with receiver.cond:
                    # At-least-once delivery: keep the first arrival.
                    receiver.arrivals.setdefault(task_id, arrival)
                    receiver.cond.notify_all()

            def log_message(self, format: str, *args: Any) -> None:
                return  # one line per callback would drown the report

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                # A sender closing its idle keep-alive connection resets it; not an error.
                if not isinstance(sys.exc_info()[1], ConnectionError):
                    super().handle_error(request, client_address)

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/callback"
        self._thread = threading.Thread(
            target=self.server.serve_forever, name="callback-receiver", daemon=True
        )

    def __enter__(self) -> CallbackReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait(self, task_id: str, timeout: float) -> Arrival:
        deadline = time.monotonic() + timeout
        with self.cond:
            while task_id not in self.arrivals:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"no callback for task {task_id} within {timeout:g} s")
                self.cond.wait(remaining)
            return self.arrivals[task_id]


@dataclass
class EndToEnd:
    tasks: int = 0
    failed: int = 0
    e2e_ms: list[float] = field(default_factory=list)
    create_ms: list[float] = field(default_factory=list)  # createTask sent → its answer read
    # MockEngine.run as the server runs it (its process pool), and the same in a thread.
    render_ms: list[float] = field(default_factory=list)
    render_thread_ms: list[float] = field(default_factory=list)
    # From the server's millisecond stamps (same machine, same clock): sent → createTime,
    # createTime → completeTime (queue, fetch, engine, store), completeTime → callback read.
    to_insert_ms: list[float] = field(default_factory=list)
    worker_ms: list[float] = field(default_factory=list)
    delivery_ms: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for name, values in (
            ("e2e", self.e2e_ms),
            ("create", self.create_ms),
            ("render", self.render_ms),
            ("render_thread", self.render_thread_ms),
            ("to_insert", self.to_insert_ms),
            ("worker", self.worker_ms),
            ("delivery", self.delivery_ms),
        ):
            for pct in (50, 90, 99):
                out[f"{name}_p{pct}_ms"] = percentile(values, pct)
        return out


class RenderTimer:
    """Times the mock engine alone, in this process, on the same input as the e2e tasks.

    This is the part of end-to-end time that is the engine's and not imagegate's. It is timed
    between e2e tasks, not in a separate phase, so both see the same load on the machine.
    """

    def __init__(self, png: bytes, image_url: str) -> None:
        from imagegate.catalog import get_model
        from imagegate.engines.base import EngineJob, SourceImage
        from imagegate.engines.cpu import CpuPool
        from imagegate.engines.mock import MockEngine
        from imagegate.settings import Settings

        spec = get_model(MODEL)
        assert spec is not None
        # The server's validated input (URL included: it is hashed into the picture).
        validated = spec.validate({"image_url": image_url, "image_size": "square"})
        with Image.open(io.BytesIO(png)) as img:
            width, height = img.size
        source = SourceImage(image_url, png, "image/png", width, height)
        # The embedded default's pool (IMAGEGATE_ENGINE_PROCESSES), read from the settings
        # model rather than this shell's environment, which the servers do not see either.
        processes = int(Settings.model_fields["engine_processes"].default)
        self._pool = CpuPool(processes)
        self._pool.start()
        self._engine = MockEngine(latency=0.0, cpu=self._pool)
        # The render in a thread of this process, as the server did before the process pool:
        # the engine's CPU alone, without the hand-off to another process.
        self._thread_engine = MockEngine(latency=0.0, cpu=CpuPool(0))
        self._job = EngineJob("bench", MODEL, validated, {"image_url": [source]})
        self._runner = asyncio.Runner()

    def once(self) -> tuple[float, float]:
        """One ``MockEngine.run`` as the server runs it, then one in a thread; in ms."""

        async def timed(engine: MockEngine) -> float:
            start = time.perf_counter()
            await engine.run(self._job)
            return (time.perf_counter() - start) * 1000

        return self._runner.run(timed(self._engine)), self._runner.run(timed(self._thread_engine))

    def close(self) -> None:
        self._runner.close()
        self._pool.shutdown()


def end_to_end(png: bytes, args: argparse.Namespace) -> EndToEnd:
    """Sequential tasks with a callback each, on a fresh embedded-default imagegate."""
    with contextlib.ExitStack() as stack:
        receiver = stack.enter_context(CallbackReceiver())
        gate = start_imagegate(stack, "e2e")
        image_url = upload_png(gate, png)
        timer = RenderTimer(png, image_url)
        stack.callback(timer.close)
        body = json.dumps(create_body(image_url, receiver.url)).encode()
        headers = {"Authorization": f"Bearer {gate.api_key}", "Content-Type": "application/json"}
        client = stack.enter_context(httpx.Client(base_url=gate.server.base_url, timeout=30))
        result = EndToEnd()
        # The first tasks pay one-off costs (font loading, first connections); not counted.
        for index in range(args.e2e_warmup + args.e2e_tasks):
            sent, sent_wall_ms = time.perf_counter(), time.time() * 1000
            response = client.post(CREATE_PATH, content=body, headers=headers)
            answered = time.perf_counter()
            response.raise_for_status()
            task_id = response.json()["data"]["taskId"]
            arrival = receiver.wait(task_id, timeout=60)
            render, render_thread = timer.once()
            if index < args.e2e_warmup:
                continue
            result.tasks += 1
            if arrival.code != 200 or arrival.state != "success":
                result.failed += 1
            result.e2e_ms.append((arrival.at - sent) * 1000)
            result.create_ms.append((answered - sent) * 1000)
            result.render_ms.append(render)
            result.render_thread_ms.append(render_thread)
            created, completed = arrival.create_time_ms, arrival.complete_time_ms
            if created is not None and completed is not None:
                result.to_insert_ms.append(created - sent_wall_ms)
                result.worker_ms.append(float(completed - created))
                result.delivery_ms.append(arrival.wall_ms - completed)
    return result
