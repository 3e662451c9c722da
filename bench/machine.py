"""What machine a benchmark ran on, recorded beside every figure it prints.

Timings depend on the CPU, the library versions and what else the machine was doing (the load
average), so every report names them; the benchmarks share these helpers.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo ("unknown CPU" where there is none)."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown CPU"


def versions(packages: Iterable[tuple[str, str]]) -> str:
    """ "numpy 2.4.6, opencv 5.0.0" for (label, distribution) pairs; missing ones are left out."""
    found = []
    for label, distribution in packages:
        with contextlib.suppress(PackageNotFoundError):
            found.append(f"{label} {version(distribution)}")
    return ", ".join(found)


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, "0.75, 0.75, 0.93"."""
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())
