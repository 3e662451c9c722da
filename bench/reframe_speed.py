"""Classic reframe engine: speed and peak memory on one core, 1024-pixel outputs.

The goal being checked: on one core of this machine, 1024-pixel outputs from a 768-pixel
source, TURBO at most 0.5 s, BALANCED at most 2 s, QUALITY at most 10 s per image, and peak
memory under 500 MB.

Every (speed, case) runs in a fresh child process (this script with ``--child``) pinned to one
core with ``os.sched_setaffinity``, with OMP/OpenBLAS/MKL limited to one thread through the
environment (set before numpy is imported, which is the only time they are read) and
``cv2.setNumThreads(1)``. The child loads a real photograph, does one warm-up reframe, then
``--runs`` timed ones; the time is ``reframe_array`` alone. Encoding the result as PNG (the
engine's own ``codec.encode``) is timed separately and is not part of the goal. Memory is the
child's peak resident set (``VmHWM``: unlike ``ru_maxrss`` it does not carry the parent's peak
across the fork), interpreter and imports included, beside the resident set after the imports
and photo loading, before the first reframe.

Run from the repository root: ``.venv/bin/python bench/reframe_speed.py`` (add
``--write docs/performance.md`` to put the figures in that file's section on the engine).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from machine import cpu_model, load_average, versions

SPEEDS = ("TURBO", "BALANCED", "QUALITY")
GOAL_SECONDS = {"TURBO": 0.5, "BALANCED": 2.0, "QUALITY": 10.0}
GOAL_PEAK_MB = 500.0
# (name, source (width, height), canvas (width, height)): the 1024-pixel outputs from a
# 768-pixel source, covering bands above/below and left/right and a source smaller than the
# canvas (scaled up) as well as larger (scaled down).
CASES = (
    ("square_hd", (768, 512), (1024, 1024)),
    ("landscape_16_9", (768, 768), (1024, 576)),
    ("landscape_4_3", (512, 768), (1024, 768)),
    ("portrait_16_9", (768, 576), (576, 1024)),
)
PHOTOS = ("astronaut", "chelsea", "coffee", "rocket")
SECTION = "## Classic reframe engine: speed and memory"
SINGLE_THREAD_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs after one warm-up")
    parser.add_argument(
        "--speeds", default=",".join(SPEEDS), help="comma-separated subset of " + ",".join(SPEEDS)
    )
    parser.add_argument(
        "--cases",
        default=",".join(c[0] for c in CASES),
        help="comma-separated subset of " + ",".join(c[0] for c in CASES),
    )
    parser.add_argument("--photo", choices=PHOTOS, default="astronaut", help="source photograph")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--core",
        type=int,
        default=max(os.sched_getaffinity(0)),
        help="the core children are pinned to (default: the last one this process may use)",
    )
    parser.add_argument("--write", type=Path, help="replace or add the section in this file")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    # The child's side: one (speed, case) measured, one JSON line printed.
    parser.add_argument("--child", nargs=2, metavar=("SPEED", "CASE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.speeds = [s.strip().upper() for s in args.speeds.split(",") if s.strip()]
    args.cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    if not args.speeds or any(s not in SPEEDS for s in args.speeds):
        parser.error(f"--speeds must be a subset of {','.join(SPEEDS)}")
    names = [c[0] for c in CASES]
    if not args.cases or any(c not in names for c in args.cases):
        parser.error(f"--cases must be a subset of {','.join(names)}")
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if args.core not in os.sched_getaffinity(0):
        parser.error(f"--core {args.core} is not one this process may run on")
    return args


# --- child --------------------------------------------------------------------------------


def _status_mb(field: str) -> float:
    """A memory figure of this process from /proc/self/status (VmRSS now, VmHWM peak), MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def child(speed: str, case: str, args: argparse.Namespace) -> dict[str, Any]:
    # Pin before anything heavy is imported, so no thread pool is ever sized for more cores.
    os.sched_setaffinity(0, {args.core})
    import time

    import cv2
    import numpy as np
    from skimage import data

    from imagegate.engines.classic.codec import encode as encode_png
    from imagegate.engines.classic.reframe import reframe_array

    cv2.setNumThreads(1)
    (source_w, source_h), size = next((s, c) for n, s, c in CASES if n == case)
    photo = getattr(data, args.photo)()
    # Scale the photo to cover the source size (Lanczos), then cut the centre: a real
    # photograph at exactly the source's size.
    scale = max(source_w / photo.shape[1], source_h / photo.shape[0])
    covered = cv2.resize(
        photo,
        (
            max(source_w, round(photo.shape[1] * scale)),
            max(source_h, round(photo.shape[0] * scale)),
        ),
        interpolation=cv2.INTER_LANCZOS4,
    )
    top = (covered.shape[0] - source_h) // 2
    left = (covered.shape[1] - source_w) // 2
    source = np.ascontiguousarray(covered[top : top + source_h, left : left + source_w])
    del photo, covered
    rss_before = _status_mb("VmRSS")

    reframe_array(source, size, speed=speed, seed=args.seed)  # warm-up: first-call costs
    seconds, cpu, encode = [], [], []
    for _ in range(args.runs):
        t0, c0 = time.perf_counter(), time.process_time()
        result = reframe_array(source, size, speed=speed, seed=args.seed)
        seconds.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        t0 = time.perf_counter()
        png = encode_png(result, "png", {})
        encode.append(time.perf_counter() - t0)
    if result.shape != (size[1], size[0], 3):
        raise RuntimeError(f"reframe_array returned {result.shape} for {size}")
    peak = _status_mb("VmHWM")
    return {
        "speed": speed,
        "case": case,
        "source": [source_w, source_h],
        "canvas": list(size),
        "seconds": seconds,
        "cpu_seconds": cpu,
        "png_seconds": encode,
        "png_bytes": len(png),
        "rss_after_imports_mb": rss_before,
        "peak_rss_mb": peak,
        "core": sorted(os.sched_getaffinity(0)),
    }


# --- parent -------------------------------------------------------------------------------


def measure(speed: str, case: str, args: argparse.Namespace) -> dict[str, Any]:
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        speed,
        case,
        "--runs",
        str(args.runs),
        "--photo",
        args.photo,
        "--seed",
        str(args.seed),
        "--core",
        str(args.core),
    ]
    env = {**os.environ, **SINGLE_THREAD_ENV}
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"child {speed} {case} failed ({done.returncode}):\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def machine_info() -> dict[str, str]:
    packages = versions(
        (("numpy", "numpy"), ("opencv", "opencv-python-headless"), ("Pillow", "pillow"))
    )
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu_model(),
        "cores": str(os.cpu_count()),
        "software": f"Python {platform.python_version()}, {packages}",
        "load": load_average(),
    }


def passes(row: dict[str, Any]) -> tuple[bool, bool]:
    """(time goal met, memory goal met): every timed run within the goal, not just the median."""
    return max(row["seconds"]) <= GOAL_SECONDS[row["speed"]], row["peak_rss_mb"] < GOAL_PEAK_MB


def table(rows: Sequence[dict[str, Any]]) -> list[str]:
    lines = [
        "| Speed | Case | Source → canvas | Median s | Max s | Median CPU s | Goal s "
        "| PNG encode s | RSS after imports MB | Peak RSS MB | Result |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        time_ok, memory_ok = passes(row)
        if time_ok and memory_ok:
            result = "PASS"
        else:
            failed = [w for w, ok in (("time", time_ok), ("memory", memory_ok)) if not ok]
            result = f"**FAIL** ({', '.join(failed)})"
        (sw, sh), (cw, ch) = row["source"], row["canvas"]
        lines.append(
            f"| {row['speed']} | {row['case']} | {sw}x{sh} → {cw}x{ch} "
            f"| {statistics.median(row['seconds']):.3f} | {max(row['seconds']):.3f} "
            f"| {statistics.median(row['cpu_seconds']):.3f} "
            f"| {GOAL_SECONDS[row['speed']]:g} | {statistics.median(row['png_seconds']):.3f} "
            f"| {row['rss_after_imports_mb']:.0f} | {row['peak_rss_mb']:.0f} | {result} |"
        )
    return lines


def section(
    rows: Sequence[dict[str, Any]],
    info: dict[str, str],
    command: str,
    runs: int,
    photo: str,
    core: int,
) -> str:
    met = all(all(passes(r)) for r in rows)
    failed = [f"{r['speed']} {r['case']}" for r in rows if not all(passes(r))]
    verdict = "**All goals met.**" if met else f"**Not met** for: {', '.join(failed)}."
    if len(rows) < len(SPEEDS) * len(CASES):
        verdict += f" (Only {len(rows)} of the {len(SPEEDS) * len(CASES)} speed/case pairs run.)"
    return "\n".join(
        [
            SECTION,
            "",
            "Goal: on one core of this machine, 1024-pixel outputs from a 768-pixel source: "
            f"TURBO at most {GOAL_SECONDS['TURBO']:g} s, BALANCED at most "
            f"{GOAL_SECONDS['BALANCED']:g} s, QUALITY at most {GOAL_SECONDS['QUALITY']:g} s per "
            f"image, peak memory under {GOAL_PEAK_MB:g} MB.",
            "",
            f"Measured {info['date']} on {info['cpu']} ({info['cores']} cores, load average "
            f"{info['load']} at the start; {info['software']}) with:",
            "",
            "```",
            command,
            "```",
            "",
            f"Each row is a fresh child process pinned to core {core} "
            "(`os.sched_setaffinity`), with `OMP_NUM_THREADS`, `OPENBLAS_NUM_THREADS` and "
            "`MKL_NUM_THREADS` at 1 and `cv2.setNumThreads(1)`. The source is skimage's "
            f"`{photo}` photograph scaled (Lanczos) to cover the source size and cut from the "
            f"centre. One warm-up, then {runs} timed runs of `reframe_array` alone; a row "
            "passes when its slowest run is within the goal and the peak RSS is under the "
            "limit. *PNG encode* is the engine's own encoder (`codec.encode`) on the result "
            "(median), not part of the goal. *Peak RSS* is the child's `VmHWM`, so it includes the "
            "interpreter, numpy, OpenCV, scikit-image and the engine's imports; *RSS after "
            "imports* is the resident set once those are loaded, before the first reframe. "
            "*CPU s* is the child's processor time over the same runs (`time.process_time`): "
            "when other work keeps the machine busy, wall time grows by the wait for the core "
            "and CPU time far less, so CPU time is what compares runs made under other loads.",
            "",
            *table(rows),
            "",
            verdict,
            "",
        ]
    )


def write_section(path: Path, text: str) -> None:
    """Replace the section (its heading up to the next level-2 heading) or append it."""
    lines = path.read_text().splitlines(keepends=True) if path.exists() else []
    start = next((i for i, line in enumerate(lines) if line.rstrip("\n") == SECTION), None)
    if start is None:
        before = "".join(lines).rstrip("\n")
        path.write_text(before + "\n\n" + text if before else text)
        return
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    after = "".join(lines[end:])
    path.write_text("".join(lines[:start]) + text + ("\n" + after if after else ""))


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        print(json.dumps(child(*args.child, args)))
        return 0
    info = machine_info()
    rows = []
    for speed in args.speeds:
        for case in args.cases:
            row = measure(speed, case, args)
            rows.append(row)
            print(
                f"{speed:>8} {case:<15} median {statistics.median(row['seconds']):.3f} s, "
                f"max {max(row['seconds']):.3f} s, CPU median "
                f"{statistics.median(row['cpu_seconds']):.3f} s, peak {row['peak_rss_mb']:.0f} MB",
                file=sys.stderr,
            )
    command = shlex.join([".venv/bin/python", "bench/reframe_speed.py", *sys.argv[1:]])
    text = section(rows, info, command, args.runs, args.photo, args.core)
    print(text)
    if args.write:
        write_section(args.write, text)
        print(f"wrote the section to {args.write}", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "rows": rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
