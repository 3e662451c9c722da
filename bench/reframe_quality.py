"""Reframe quality: the classic engine at each speed against baselines, on real photographs.

Each photo is cut to a band of another aspect, reframed back to its own size by every method,
and the synthesised area alone is scored against the real photo (SSIM, gradient statistics,
Lab colour histogram, large-scale error at 1/16; ``bench/reframe/metrics.py`` says what each
catches). Writes
``docs/reframe_quality.md`` and ``docs/reframe_contact_sheet.png`` and prints the tables.

Run from the repository root: ``.venv/bin/python bench/reframe_quality.py`` (a few minutes
on one core for 14 photos cut two ways; ``--photos 2`` for a smoke run).
"""

from __future__ import annotations

import argparse
import datetime as dt
import shlex
import sys
import time
from collections.abc import Sequence
from pathlib import Path

# ``reframe`` is the package beside this file: run as a script, Python puts bench/ first on
# sys.path, so no path set-up is needed here (as for bench/run_core.py and its ``core``).
# Nothing above imports numpy: the package limits BLAS/OpenMP to one thread before it loads.
from reframe import report, sheet, single_thread
from reframe.baselines import new_area, source_intact
from reframe.methods import METHODS
from reframe.metrics import Scores, score
from reframe.photos import PHOTOS, load_cases

REPORT_NAME = "reframe_quality.md"
SHEET_NAME = "reframe_contact_sheet.png"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--photos", type=int, default=len(PHOTOS), help=f"use the first N of {len(PHOTOS)}"
    )
    parser.add_argument(
        "--methods",
        default=",".join(METHODS),
        help="comma-separated subset of: " + ", ".join(METHODS),
    )
    parser.add_argument("--out-dir", type=Path, default=Path("docs"), help="where to write")
    parser.add_argument("--seed", type=int, default=0, help="seed given to every method")
    parser.add_argument("--no-sheet", action="store_true", help="skip the contact sheet")
    args = parser.parse_args(argv)
    args.methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = [m for m in args.methods if m not in METHODS]
    if unknown or not args.methods:
        parser.error(f"unknown method(s) {unknown}; choose from {', '.join(METHODS)}")
    if not 1 <= args.photos <= len(PHOTOS):
        parser.error(f"--photos must be 1..{len(PHOTOS)}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    # One thread for OpenCV as for BLAS (see reframe/__init__.py): comparable timings.
    single_thread()
    # Before any work of ours: the load average then says what else was running.
    machine_line = report.machine()
    started_at = dt.datetime.now(dt.UTC)
    cases = load_cases(args.photos)
    scores: dict[str, list[Scores]] = {m: [] for m in args.methods}
    seconds: dict[str, list[float]] = {m: [] for m in args.methods}
    rows = []
    started = time.perf_counter()
    for case in cases:
        mask = new_area(case.size, case.box)
        crop = case.crop
        images = [case.truth]
        for name in args.methods:
            t0 = time.perf_counter()
            result = METHODS[name](crop, case.size, case.box, args.seed)
            elapsed = time.perf_counter() - t0
            if result.shape != case.truth.shape:
                raise SystemExit(
                    f"{name} on {case.name}: shape {result.shape}, expected {case.truth.shape}"
                )
            # A method that moves or alters the source would be scored on the wrong pixels.
            if not source_intact(result, crop, case.box):
                raise SystemExit(f"{name} on {case.name}: the source is not intact in its box")
            scores[name].append(score(result, case.truth, mask))
            seconds[name].append(elapsed)
            images.append(result)
            s = scores[name][-1]
            print(
                f"{case.name:>25} {name:<17} {elapsed:6.2f} s  SSIM {s.ssim:.3f}  "
                f"gradient {s.gradient:.3f}  colour {s.colour:.3f}  large {s.large:.1f}",
                file=sys.stderr,
            )
        rows.append(sheet.Row(case.name, case.box, images))

    args.out_dir.mkdir(parents=True, exist_ok=True)
    sheet_path = None
    if not args.no_sheet:
        sheet_path = args.out_dir / SHEET_NAME
        height, size = sheet.save(sheet_path, rows, ["truth", *args.methods])
        print(
            f"wrote {sheet_path} ({size / 1e6:.2f} MB, thumbnails {height} px tall)",
            file=sys.stderr,
        )
    command = shlex.join([".venv/bin/python", "bench/reframe_quality.py", *sys.argv[1:]])
    text = report.markdown(
        cases,
        scores,
        seconds,
        command=command,
        seed=args.seed,
        sheet=sheet_path.as_posix() if sheet_path else None,
        machine_line=machine_line,
        started=started_at,
    )
    report_path = args.out_dir / REPORT_NAME
    report_path.write_text(text)
    print(text)
    print(f"wrote {report_path}; total {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
