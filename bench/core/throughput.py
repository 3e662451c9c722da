"""The throughput runs: wrk against the bare app and imagegate's createTask, on fresh servers."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from core.load import WrkResult, run_wrk, write_lua
from core.servers import (
    ServerProcess,
    start_bare,
    start_imagegate,
    task_states,
    tasks_finished,
    upload_png,
)
from core.workload import CREATE_PATH, create_body

LABEL_BARE = "bare FastAPI hello-world (ceiling)"
LABEL_WORKER = "imagegate createTask, embedded default (worker on)"
LABEL_API = "imagegate createTask, API only (IMAGEGATE_WORKER_CONCURRENCY=0)"
# Above this share of a core used by other programs during a run, the run is flagged.
NOISY_OTHER_CPU_PCT = 10.0


def measure(
    wrk: str,
    label: str,
    url: str,
    lua: Path,
    server: ServerProcess,
    args: argparse.Namespace,
    finished: Callable[[], int] | None = None,
) -> WrkResult:
    """A discarded warm-up run (first requests pay for lazy imports, connection set-up and a
    cold SQLite page cache), then the measured run with the same settings.

    ``finished`` counts the tasks the server has finished; it is read around the measured run
    to tell what the worker got through meanwhile.
    """
    if args.warmup > 0:
        run_wrk(
            wrk,
            label,
            url,
            lua,
            connections=args.connections,
            duration=args.warmup,
            server_pid=server.pid,
        )
    finished_before = finished() if finished else 0
    result = run_wrk(
        wrk,
        label,
        url,
        lua,
        connections=args.connections,
        duration=args.duration,
        server_pid=server.pid,
    )
    if finished:
        result.extra["tasks_finished_during_run"] = finished() - finished_before
    flag = "  <-- ERRORS" if result.errors else ""
    if result.other_cpu_pct > NOISY_OTHER_CPU_PCT:
        flag += "  <-- the machine was busy with other work: figures less reliable"
    print(
        f"  {label}: {result.rps:,.0f} req/s, p50 {result.p50_ms:.2f} ms, "
        f"p99 {result.p99_ms:.2f} ms, non-2xx {result.non_2xx}, "
        f"socket errors {sum(result.socket_errors.values())}, "
        f"CPU: server {result.server_cpu_pct:.0f}%, "
        f"its child processes {result.server_children_cpu_pct:.0f}%, "
        f"wrk {result.wrk_cpu_pct:.0f}%, "
        f"rest of the machine {result.other_cpu_pct:.0f}%{flag}",
        file=sys.stderr,
    )
    return result


def throughput_bare(wrk: str, work_dir: Path, args: argparse.Namespace) -> WrkResult:
    with contextlib.ExitStack() as stack:
        bare = start_bare(stack)
        # The same body and headers as createTask's, shaped like imagegate's own file URL and
        # API key, so both servers read and parse the same bytes.
        fake_url = (
            f"{bare.base_url}/files/uploads/{'0' * 32}/bench/{'0' * 12}-in.png"
            f"?expires=1795555827&sig={'A' * 32}"
        )
        lua = write_lua(
            work_dir / "bare.lua",
            create_body(fake_url),
            {"Authorization": f"Bearer ig_{'A' * 40}"},
        )
        return measure(wrk, LABEL_BARE, bare.base_url + "/hello", lua, bare, args)


def throughput_imagegate(
    wrk: str,
    label: str,
    tag: str,
    png: bytes,
    work_dir: Path,
    args: argparse.Namespace,
    extra_env: Mapping[str, str] | None = None,
) -> WrkResult:
    """createTask under wrk on a fresh ``imagegate serve --mock`` (a fresh, empty queue)."""
    with contextlib.ExitStack() as stack:
        gate = start_imagegate(stack, tag, extra_env)
        image_url = upload_png(gate, png)
        lua = write_lua(
            work_dir / f"create-{tag}.lua",
            create_body(image_url),
            {"Authorization": f"Bearer {gate.api_key}"},
        )
        result = measure(
            wrk,
            label,
            gate.server.base_url + CREATE_PATH,
            lua,
            gate.server,
            args,
            lambda: tasks_finished(gate.data_dir),
        )
        gate.server.stop()
        # What the worker got through while the API was under load (warm-up included).
        result.extra["task_states_at_stop"] = task_states(gate.data_dir)
    return result
