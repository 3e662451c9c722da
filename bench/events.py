"""What open live event streams cost createTask (issue 22 point 1): one API process (the
embedded default on SQLite, ``imagegate serve --mock`` with its worker off, so every task stays
waiting and its stream stays open), createTask's rate with no event stream open and with
``--streams`` (1,000) open, each on a task of its own, and their ratio. Goal: within 10 %.

Run from the repository root: ``.venv/bin/python bench/events.py`` (docs/performance.md).

The creates go over ``--concurrency`` keep-alive connections of a minimal HTTP/1.1 client on
asyncio (cheap against the server, so the rate is the server's); ``--creates`` of them per
measurement after a warm-up. The streams are held by a child process of this script (raw
sockets: they send their request, read their first event, then only read), so holding them
costs the load generator nothing. Rounds alternate none / streams in A B B A order, and the
median of each kind is reported, with the machine's load average before and after, and the
server's CPU over a quiet stretch with and without the streams (what they cost by themselves).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from core.servers import Imagegate, start_imagegate
from machine import cpu_model, load_average

BODY = json.dumps({"model": "google/nano-banana", "input": {"prompt": "a lighthouse"}}).encode()


async def _answer(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    status = int((await reader.readline()).split()[1])
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return status, await reader.readexactly(length)


async def creates(
    port: int, key: str, count: int, concurrency: int
) -> tuple[float, int, list[str]]:
    """``count`` createTasks over ``concurrency`` connections: seconds, failures, task ids."""
    request = (
        f"POST /api/v1/jobs/createTask HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Authorization: Bearer {key}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(BODY)}\r\n\r\n"
    ).encode() + BODY
    left = count
    failed = 0
    ids: list[str] = []

    async def connection() -> None:
        nonlocal left, failed
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while left > 0:
                left -= 1
                writer.write(request)
                status, body = await _answer(reader)
                answer = json.loads(body)
                if status != 200 or answer.get("code") != 200:
                    failed += 1
                else:
                    ids.append(answer["data"]["taskId"])
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(concurrency)))
    return time.perf_counter() - started, failed, ids


# ---------------------------------------------------------------- the stream holder (child)


async def hold(port: int, key: str, task_ids: list[str]) -> None:
    """Open a stream per task, say "ready" once each has its first event, then read until
    stdin closes."""
    async def one(task_id: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            f"GET /api/v1/jobs/events?taskId={task_id} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Authorization: Bearer {key}\r\nAccept: text/event-stream\r\n\r\n".encode()
        )
        seen = b""
        while b"event: state" not in seen:
            chunk = await reader.read(4096)
            if not chunk:
                raise SystemExit(f"stream of {task_id} closed: {seen[:300]!r}")
            seen += chunk
        return reader, writer

    opened: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    for start in range(0, len(task_ids), 100):  # in batches: no accept-queue overflow
        opened += await asyncio.gather(*(one(t) for t in task_ids[start:start + 100]))
    print("ready", flush=True)

    async def drain(reader: asyncio.StreamReader) -> None:
        while await reader.read(4096):
            pass

    drains = [asyncio.create_task(drain(r)) for r, _ in opened]
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    for task in drains:
        task.cancel()
    for _, writer in opened:
        writer.close()


@contextlib.contextmanager
def streams_open(port: int, key: str, ids_file: Path) -> Iterator[None]:
    """The holder child process with its streams open, until the block ends."""
    child = subprocess.Popen(
        [sys.executable, __file__, "--hold", str(port), key, str(ids_file)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        line = child.stdout.readline() if child.stdout else ""
        if line.strip() != "ready":
            raise SystemExit(f"the stream holder did not get ready: {line!r}")
        yield
    finally:
        if child.stdin:
            child.stdin.close()
        try:
            child.wait(timeout=20)
        except subprocess.TimeoutExpired:
            child.kill()


# ---------------------------------------------------------------- the measurement


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of the process so far (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def idle_cpu(pid: int, seconds: float) -> float:
    """The share of a core the process used over ``seconds`` of no requests."""
    before = cpu_seconds(pid)
    time.sleep(seconds)
    return (cpu_seconds(pid) - before) / seconds


def measure(gate: Imagegate, args: argparse.Namespace) -> tuple[float, int]:
    port = int(gate.server.base_url.rsplit(":", 1)[1])
    seconds, failed, _ = asyncio.run(creates(port, gate.api_key, args.creates, args.concurrency))
    return args.creates / seconds, failed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--creates", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1000)
    parser.add_argument("--settle", type=float, default=3.0,
                        help="seconds between opening the streams and measuring")
    parser.add_argument("--idle", type=float, default=20.0,
                        help="seconds of no requests over which the server's CPU is read")
    args = parser.parse_args()
    load_before = load_average()
    with contextlib.ExitStack() as stack:
        gate = start_imagegate(stack, "events", {"IMAGEGATE_WORKER_CONCURRENCY": "0"})
        port = int(gate.server.base_url.rsplit(":", 1)[1])
        print(f"server {gate.server.base_url}; warming up", file=sys.stderr)
        measure(gate, argparse.Namespace(**{**vars(args), "creates": args.warmup}))
        _, failed, ids = asyncio.run(creates(port, gate.api_key, args.streams, 16))
        if failed:
            raise SystemExit(f"{failed} of the streams' tasks were refused")
        ids_file = gate.data_dir / "stream-tasks.txt"
        ids_file.write_text("\n".join(ids))
        rates: dict[str, list[float]] = {"none": [], "streams": []}
        failures = 0
        # What the streams cost with nothing else going on: heartbeats and timer re-reads.
        pid = gate.server.pid
        idle_none = idle_cpu(pid, args.idle)
        with streams_open(port, gate.api_key, ids_file):
            time.sleep(args.settle)
            idle_held = idle_cpu(pid, args.idle)
        time.sleep(args.settle)
        for round_no in range(args.rounds):
            # A B B A ...: a drift over the run (the tasks table grows by every measurement)
            # falls on both kinds alike.
            kinds = ("none", "streams") if round_no % 2 == 0 else ("streams", "none")
            for kind in kinds:
                if kind == "none":
                    rate, failed = measure(gate, args)
                else:
                    with streams_open(port, gate.api_key, ids_file):
                        time.sleep(args.settle)
                        rate, failed = measure(gate, args)
                    time.sleep(args.settle)  # the server closes the streams it was holding
                rates[kind].append(rate)
                failures += failed
                print(f"round {round_no + 1}: {kind} {rate:,.0f}/s", file=sys.stderr)
    none, held = statistics.median(rates["none"]), statistics.median(rates["streams"])
    ratio = held / none
    print(f"machine: {cpu_model()}, load average before {load_before}, after {load_average()}")
    print(f"createTask, {args.creates} creates over {args.concurrency} connections, worker off,"
          f" median of {args.rounds} rounds; failures {failures}")
    print(f"  no event stream open:   {none:8,.0f} req/s  (rounds: "
          f"{', '.join(f'{r:,.0f}' for r in rates['none'])})")
    print(f"  {args.streams:,} streams open:    {held:8,.0f} req/s  (rounds: "
          f"{', '.join(f'{r:,.0f}' for r in rates['streams'])})")
    print(f"  ratio: {ratio:.3f} (goal >= 0.90: {'met' if ratio >= 0.9 else 'NOT met'})")
    print(f"server CPU with no request for {args.idle:g} s: {idle_none:.1%} of a core with no"
          f" stream, {idle_held:.1%} with {args.streams:,} streams open")
    return 0 if ratio >= 0.9 and not failures else 1


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--hold":
        asyncio.run(hold(int(sys.argv[2]), sys.argv[3], Path(sys.argv[4]).read_text().split()))
    else:
        sys.exit(main())
