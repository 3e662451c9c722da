"""Core benchmark of imagegate's embedded default against the bare HTTP stack it runs on.

Run from the repository root: ``.venv/bin/python bench/run_core.py`` (docs/performance.md).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

# ``core`` is the package beside this file: run as a script, Python puts bench/ first on
# sys.path, so no path set-up is needed here.
from core.e2e import end_to_end
from core.load import WrkResult, ensure_wrk
from core.report import machine_info, report
from core.throughput import (
    LABEL_API,
    LABEL_BARE,
    LABEL_WORKER,
    throughput_bare,
    throughput_imagegate,
)
from core.workload import png_bytes


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per wrk run")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of discarded load")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    parser.add_argument(
        "--rounds", type=int, default=1, help="repeat the throughput runs; report the median"
    )
    parser.add_argument("--e2e-tasks", type=int, default=200, help="sequential tasks timed")
    parser.add_argument("--e2e-warmup", type=int, default=5, help="sequential tasks not timed")
    parser.add_argument(
        "--no-api-only",
        dest="api_only",
        action="store_false",
        help="skip the extra createTask run with the worker off",
    )
    parser.add_argument("--json", type=Path, help="write the raw figures here")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.duration <= 0 or args.connections < 1 or args.e2e_tasks < 1:
        parser.error("--rounds, --duration, --connections and --e2e-tasks must be positive")
    return args


@contextlib.contextmanager
def sigterm_as_exit() -> Iterator[None]:
    """SIGTERM unwinds like Ctrl-C, so subprocesses and temp dirs are cleaned up."""

    def handler(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    wrk = ensure_wrk()
    png = png_bytes(64, 48)
    with sigterm_as_exit(), contextlib.ExitStack() as stack:
        work_dir = Path(tempfile.mkdtemp(prefix="imagegate-bench-"))
        stack.callback(shutil.rmtree, work_dir, True)
        info = machine_info()
        rounds: dict[str, list[WrkResult]] = {LABEL_BARE: [], LABEL_WORKER: []}
        if args.api_only:
            rounds[LABEL_API] = []
        for index in range(args.rounds):
            # Interleaved rounds: a burst of other load on the machine hits every kind of run
            # alike instead of one of them. Fresh imagegate servers each round, because the
            # backlog that the worker leaves behind would make later rounds unlike the first.
            print(f"throughput (wrk), round {index + 1} of {args.rounds}", file=sys.stderr)
            rounds[LABEL_BARE].append(throughput_bare(wrk, work_dir, args))
            rounds[LABEL_WORKER].append(
                throughput_imagegate(wrk, LABEL_WORKER, "worker", png, work_dir, args)
            )
            if args.api_only:
                rounds[LABEL_API].append(
                    throughput_imagegate(
                        wrk,
                        LABEL_API,
                        "api-only",
                        png,
                        work_dir,
                        args,
                        {"IMAGEGATE_WORKER_CONCURRENCY": "0"},
                    )
                )
        print("end-to-end (sequential tasks with callbacks)", file=sys.stderr)
        e2e = end_to_end(png, args)
        table, raw = report(info, args, rounds, e2e)
        print(table, flush=True)
        if args.json:
            args.json.write_text(json.dumps(raw, indent=2) + "\n")
            print(f"raw figures written to {args.json}", file=sys.stderr)
        return 0 if all(raw["goals"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
