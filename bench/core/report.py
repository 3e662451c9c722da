"""The report: machine and versions, the Markdown tables on stdout, the raw figures as JSON."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import platform
import statistics
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from core.e2e import EndToEnd
from core.load import WrkResult
from core.stats import percentile
from core.throughput import LABEL_API, LABEL_BARE, LABEL_WORKER, NOISY_OTHER_CPU_PCT
from machine import cpu_model

GOAL_RATIO = 1 / 3
GOAL_OVERHEAD_P50_MS = 20.0


def machine_info() -> dict[str, str]:
    cpu = cpu_model()
    from importlib.metadata import version

    from imagegate import __version__

    versions = {}
    for module in ("uvicorn", "fastapi", "starlette", "uvloop", "httptools"):
        with contextlib.suppress(Exception):
            versions[module] = version(module)
    wrk_version = subprocess.run(
        ["wrk", "--version"], capture_output=True, text=True, check=False
    ).stdout.splitlines()
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "imagegate": __version__,
        "stack": ", ".join(f"{k} {v}" for k, v in versions.items()),
        "wrk": wrk_version[0].split(" [")[0] if wrk_version else "?",
    }


def ok(flag: bool) -> str:
    return "PASS" if flag else "FAIL"


def median_run(rounds: Sequence[WrkResult]) -> WrkResult:
    """The round with the median rate (its latencies come with it, not mixed across rounds)."""
    return sorted(rounds, key=lambda r: r.rps)[(len(rounds) - 1) // 2]


def _throughput_table(
    args: argparse.Namespace, rounds: Mapping[str, Sequence[WrkResult]]
) -> list[str]:
    runs = {label: median_run(results) for label, results in rounds.items()}

    def errors(label: str) -> str:
        count = sum(r.errors for r in rounds[label])
        return f"{count} **ERRORS**" if count else "0"

    def rate(label: str) -> str:
        text = f"{runs[label].rps:,.0f}"
        if len(rounds[label]) > 1:
            low = min(r.rps for r in rounds[label])
            high = max(r.rps for r in rounds[label])
            text += f" ({low:,.0f}-{high:,.0f})"
        return text

    round_note = (
        f"; median of {args.rounds} rounds (range in brackets), fresh servers each round"
        if args.rounds > 1
        else ""
    )
    out = [
        f"Load: wrk -t1 -c{args.connections} -d{args.duration:g}s --latency after a "
        f"{args.warmup:g} s warm-up, POST JSON{round_note}. "
        "CPU: % of one core during the run, for the server process, the processes it started "
        "(imagegate's engine pool), wrk, and the rest of the machine (other programs and "
        "kernel threads such as disk writeback).",
        "",
        "| Run | req/s | p50 ms | p99 ms | non-2xx + socket errors "
        "| CPU server / its child processes / wrk / rest |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label, r in runs.items():
        out.append(
            f"| {label} | {rate(label)} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | {errors(label)} | "
            f"{r.server_cpu_pct:.0f} / {r.server_children_cpu_pct:.0f} / "
            f"{r.wrk_cpu_pct:.0f} / {r.other_cpu_pct:.0f} |"
        )
    noisy = [
        r for results in rounds.values() for r in results if r.other_cpu_pct > NOISY_OTHER_CPU_PCT
    ]
    if noisy:
        out += [
            "",
            f"Note: the rest of the machine used more than {NOISY_OTHER_CPU_PCT:g}% of a core in "
            f"{len(noisy)} of the measured runs (up to "
            f"{max(r.other_cpu_pct for r in noisy):.0f}%); those figures are less reliable.",
        ]
    worker = runs[LABEL_WORKER]
    states = worker.extra.get("task_states_at_stop", {})
    if states:
        done = states.get("success", 0) + states.get("fail", 0)
        during = worker.extra.get("tasks_finished_during_run", 0)
        line = (
            f"Worker during the embedded-default run: {during} tasks finished in the measured "
            f"{worker.duration_s:.1f} s ({during / worker.duration_s:,.0f}/s)"
        )
        if during:
            # The child processes do the renders; the few in flight at either end blur this.
            engine_ms = 10 * worker.server_children_cpu_pct * worker.duration_s / during
            line += f", {engine_ms:.1f} ms of the server's child processes' CPU per task"
        out += [
            "",
            f"{line}; {done} with the warm-up, {sum(states.values()) - done} still queued or "
            "running at the end.",
        ]
    return out


def report(
    info: Mapping[str, str],
    args: argparse.Namespace,
    rounds: Mapping[str, Sequence[WrkResult]],
    e2e: EndToEnd,
) -> tuple[str, dict[str, Any]]:
    runs = {label: median_run(results) for label, results in rounds.items()}
    bare, create = runs[LABEL_BARE], runs[LABEL_WORKER]
    ratio = create.rps / bare.rps
    render = statistics.median(e2e.render_ms)
    render_thread = statistics.median(e2e.render_thread_ms)
    overhead = [v - render for v in e2e.e2e_ms]
    overhead_p50, overhead_p99 = percentile(overhead, 50), percentile(overhead, 99)
    summary = e2e.summary()
    any_errors = any(r.errors for results in rounds.values() for r in results)
    ratio_ok = ratio >= GOAL_RATIO and not any_errors
    overhead_ok = overhead_p50 < GOAL_OVERHEAD_P50_MS and e2e.failed == 0

    out = [
        f"Machine: {info['nproc']} CPU ({info['cpu']}), Linux {info['kernel']}, "
        f"Python {info['python']}, imagegate {info['imagegate']}, {info['stack']}, "
        f"{info['wrk']}; {info['date']}",
        "",
        *_throughput_table(args, rounds),
        "",
        f"End-to-end: {e2e.tasks} tasks created one at a time (after {args.e2e_warmup} "
        "uncounted), each waited for until its callback arrived; 64x48 PNG uploaded through "
        "/api/file-base64-upload, image_size square (512x512).",
        "",
        "| Figure | Value | Goal | Result |",
        "|---|---:|---:|---|",
        f"| createTask / bare rate, embedded default | {ratio:.2f} | >= 0.33 | {ok(ratio_ok)} |",
    ]
    if LABEL_API in runs:
        api_ratio = runs[LABEL_API].rps / bare.rps
        out.append(
            f"| createTask / bare rate, API only (worker off; for information) | "
            f"{api_ratio:.2f} | (>= 0.33) | ({ok(api_ratio >= GOAL_RATIO)}) |"
        )
    out += [
        f"| end-to-end createTask sent → callback received, p50 / p90 / p99 | "
        f"{summary['e2e_p50_ms']:.1f} / {summary['e2e_p90_ms']:.1f} / "
        f"{summary['e2e_p99_ms']:.1f} ms | | |",
        f"| mock engine render alone, as the server runs it (engine process pool; between "
        f"tasks, median of {len(e2e.render_ms)}) | {render:.1f} ms | | |",
        f"| (the same render in a thread, no process hand-off) | {render_thread:.1f} ms | | |",
        f"| **overhead** = end-to-end - render, p50 | {overhead_p50:.1f} ms | < 20 ms | "
        f"{ok(overhead_ok)} |",
        f"| overhead p99 | {overhead_p99:.1f} ms | | |",
        f"| createTask answer alone (unloaded), p50 / p99 | {summary['create_p50_ms']:.1f} / "
        f"{summary['create_p99_ms']:.1f} ms | | |",
        f"| e2e split, p50 (server's ms stamps): sent → createTime / createTime → "
        f"completeTime / completeTime → callback read | {summary['to_insert_p50_ms']:.1f} / "
        f"{summary['worker_p50_ms']:.1f} / {summary['delivery_p50_ms']:.1f} ms | | |",
        f"| e2e tasks not ending in success | {e2e.failed} of {e2e.tasks} | 0 | "
        f"{ok(e2e.failed == 0)} |",
    ]
    raw: dict[str, Any] = {
        "machine": dict(info),
        "settings": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "throughput": {
            label: {
                "median": asdict(runs[label]) | {"errors": runs[label].errors},
                "rounds": [asdict(r) | {"errors": r.errors} for r in results],
            }
            for label, results in rounds.items()
        },
        "ratio_create_over_bare": ratio,
        "end_to_end": asdict(e2e) | summary,
        "engine_render_median_ms": render,
        "engine_render_thread_median_ms": render_thread,
        "overhead_p50_ms": overhead_p50,
        "overhead_p99_ms": overhead_p99,
        "goals": {"ratio_ge_one_third": ratio_ok, "overhead_p50_lt_20ms": overhead_ok},
    }
    return "\n".join(out), raw
