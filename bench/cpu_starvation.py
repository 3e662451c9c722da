"""CPU starvation: 2-second mock tasks' end-to-end latency, alone and behind a queue of reframes.

Issue 20, point 15: in the embedded default, tasks on the mock engine took 38-55 s instead of
2 s while CPU reframes ran. This runs ``imagegate serve`` with the embedded default's routes
(SQLite, the classic engine for reframes and upscales, the mock engine for the rest, 4 worker
slots, ``IMAGEGATE_ENGINE_PROCESSES=1``) and ``IMAGEGATE_MOCK_LATENCY=2``, twice, on a fresh
data dir each time:

- *alone*: a stream of mock tasks (``google/nano-banana``, one every ``--interval`` seconds, a
  different prompt each, so each one renders its image) and nothing else;
- *behind reframes*: ``--reframes`` reframes (a 600x400 photograph to ``square_hd``, BALANCED)
  created at once, then the same stream of mock tasks, by the same account (the harder case:
  fair queuing between accounts does not help it).

Each task has a ``callBackUrl`` on a receiver in this process; end-to-end is createTask sent →
its callback read. The report gives the mock tasks' p50, p90 and worst, how many reframes had
finished when the last mock task did (the queue they ran beside), and when the last reframe
finished (the reframes' own throughput, which the fix must not spend). The machine's load moves
that last figure by tens of seconds, so the lane's own cost is measured apart, in this process:
the classic pool's idle time between consecutive reframes (``core/pool_gaps.py``;
``--gap-reframes 0`` skips it, as for a server without lanes, whose runs overlap).

Run from the repository root: ``.venv/bin/python bench/cpu_starvation.py``
(docs/performance.md, "CPU engines beside the others"). The server runs the imagegate that
``PYTHONPATH`` or the environment provides; the report names the source it ran.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import json
import os
import platform
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

from core.e2e import CallbackReceiver
from core.pool_gaps import PoolGaps, pool_gaps
from core.servers import start_imagegate, upload_png
from core.stats import percentile
from core.workload import CREATE_PATH
from machine import cpu_model, load_average

MOCK_MODEL = "google/nano-banana"
REFRAME_MODEL = "ideogram/v3-reframe"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--reframes", type=int, default=16, help="reframes queued at once")
    parser.add_argument("--mock-tasks", type=int, default=10, help="mock tasks in the stream")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between mock tasks")
    parser.add_argument("--mock-latency", type=float, default=2.0, help="IMAGEGATE_MOCK_LATENCY")
    parser.add_argument("--speed", default="BALANCED", help="the reframes' rendering_speed")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds to wait for all")
    parser.add_argument(
        "--gap-reframes", type=int, default=8,
        help="reframes for the in-process measure of the pool's idle gaps (0: skip it)",
    )
    parser.add_argument("--json", type=Path, help="write the raw figures here")
    args = parser.parse_args(argv)
    if args.reframes < 1 or args.mock_tasks < 1 or args.interval < 0:
        parser.error("--reframes and --mock-tasks must be positive, --interval not negative")
    return args


@dataclass
class Phase:
    """One server's run: the mock tasks' end-to-end times and the reframes' progress."""

    name: str
    mock_ms: list[float] = field(default_factory=list)
    mock_failed: int = 0
    reframes: int = 0
    reframes_failed: int = 0
    # Reframes whose callback had come when the last mock task's did.
    reframes_done_at_last_mock: int = 0
    # Seconds from the first reframe created to the last reframe's callback.
    reframes_span_s: float = float("nan")


def photo_png() -> bytes:
    """A real photograph (scikit-image's coffee, 600x400): the reframes' source."""
    from skimage import data

    buffer = io.BytesIO()
    Image.fromarray(data.coffee()).save(buffer, "PNG")
    return buffer.getvalue()


def run_phase(name: str, args: argparse.Namespace, reframes: int) -> Phase:
    """A fresh embedded-default server: ``reframes`` queued at once, then the mock stream."""
    phase = Phase(name, reframes=reframes)
    env = {"IMAGEGATE_MOCK_LATENCY": f"{args.mock_latency:g}", "IMAGEGATE_LOG_LEVEL": "warning"}
    with contextlib.ExitStack() as stack:
        receiver = stack.enter_context(CallbackReceiver())
        gate = start_imagegate(stack, name.replace(" ", "-"), env, mock=False)
        client = stack.enter_context(httpx.Client(base_url=gate.server.base_url, timeout=30))
        headers = {"Authorization": f"Bearer {gate.api_key}"}

        def create(model: str, task_input: dict[str, Any]) -> str:
            body = {"model": model, "input": task_input, "callBackUrl": receiver.url}
            response = client.post(CREATE_PATH, json=body, headers=headers)
            response.raise_for_status()
            answer = response.json()
            if answer.get("code") != 200:
                raise RuntimeError(f"createTask {model}: {answer}")
            return str(answer["data"]["taskId"])

        reframe_ids: list[str] = []
        started = time.perf_counter()
        if reframes:
            image_url = upload_png(gate, photo_png())
            started = time.perf_counter()
            for _ in range(reframes):
                reframe_ids.append(create(REFRAME_MODEL, {
                    "image_url": image_url, "image_size": "square_hd",
                    "rendering_speed": args.speed,
                }))
        sent: dict[str, float] = {}
        for index in range(args.mock_tasks):
            if index:
                time.sleep(args.interval)
            at = time.perf_counter()
            sent[create(MOCK_MODEL, {"prompt": f"a lighthouse at dusk, bench task {index}"})] = at
        for task_id, at in sent.items():
            arrival = receiver.wait(task_id, timeout=args.timeout)
            phase.mock_ms.append((arrival.at - at) * 1000)
            phase.mock_failed += arrival.state != "success"
        last_mock = max(receiver.arrivals[task_id].at for task_id in sent)
        phase.reframes_done_at_last_mock = sum(
            1 for task_id in reframe_ids
            if task_id in receiver.arrivals and receiver.arrivals[task_id].at <= last_mock
        )
        if reframe_ids:
            ends = [receiver.wait(task_id, timeout=args.timeout) for task_id in reframe_ids]
            phase.reframes_failed = sum(arrival.state != "success" for arrival in ends)
            phase.reframes_span_s = max(arrival.at for arrival in ends) - started
        print(f"{name}: done", file=sys.stderr)
    return phase


def source_of_server() -> str:
    """Where the server's imagegate is imported from (PYTHONPATH first, as the server sees)."""
    import imagegate

    return str(Path(imagegate.__file__).resolve().parent.parent)


def report(args: argparse.Namespace, phases: list[Phase], gaps: PoolGaps | None) -> str:
    lines = [
        f"Machine: {os.cpu_count()} vCPU ({cpu_model()}), Python {platform.python_version()},"
        f" load average before the run {args.load}; imagegate from {source_of_server()};"
        f" {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M UTC}.",
        "",
        f"{args.mock_tasks} mock tasks ({MOCK_MODEL}, IMAGEGATE_MOCK_LATENCY={args.mock_latency:g},"
        f" one every {args.interval:g} s); reframes: {REFRAME_MODEL}, 600x400 → square_hd,"
        f" {args.speed}, all queued before the first mock task.",
        "",
        "| Run | mock p50 | mock p90 | mock worst | failed | reframes done when the last"
        " mock task was | last reframe done after |",
        "|---|---|---|---|---|---|---|",
    ]
    for phase in phases:
        span = (
            f"{phase.reframes_span_s:.1f} s" if phase.reframes else "-"
        )
        done = f"{phase.reframes_done_at_last_mock} of {phase.reframes}" if phase.reframes else "-"
        failed = phase.mock_failed + phase.reframes_failed
        lines.append(
            f"| {phase.name} | {percentile(phase.mock_ms, 50) / 1000:.2f} s"
            f" | {percentile(phase.mock_ms, 90) / 1000:.2f} s"
            f" | {max(phase.mock_ms) / 1000:.2f} s | {failed} | {done} | {span} |"
        )
    if gaps is not None:
        lines += [
            "",
            f"The classic pool's idle time between reframes (in-process, {gaps.reframes}"
            f" reframes, {args.speed}): median {gaps.gap_median_ms:.1f} ms, worst"
            f" {gaps.gap_max_ms:.1f} ms, {gaps.gaps_total_s:.2f} s in all against"
            f" {gaps.wall_s:.1f} s of reframing (a run: median {gaps.run_median_s:.2f} s).",
        ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    args.load = load_average()
    phases = [
        run_phase("alone", args, reframes=0),
        run_phase(f"behind {args.reframes} reframes", args, reframes=args.reframes),
    ]
    gaps = None
    if args.gap_reframes > 1:
        print("pool gaps: in process", file=sys.stderr)
        gaps = pool_gaps(photo_png(), args.gap_reframes, args.speed, args.timeout)
    print(report(args, phases, gaps), flush=True)
    if args.json:
        raw = {"args": {k: v for k, v in vars(args).items() if k != "json"},
               "phases": [asdict(phase) for phase in phases],
               "pool_gaps": asdict(gaps) if gaps is not None else None}
        args.json.write_text(json.dumps(raw, indent=2) + "\n")
    return 0 if all(not phase.mock_failed and not phase.reframes_failed for phase in phases) else 1


if __name__ == "__main__":
    sys.exit(main())
