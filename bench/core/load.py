"""wrk: finding or installing it, its Lua request script, one run and its parsed figures."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.cpu import children_cpu_seconds, system_busy_seconds, tree_cpu_seconds


def ensure_wrk() -> str:
    """The wrk binary; installed from Debian's package when missing and running as root."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise SystemExit(
            "wrk is not installed. Install it (Debian/Ubuntu: `sudo apt-get install -y wrk`) "
            "and run the benchmark again."
        )
    print("wrk is missing; installing it with apt-get", file=sys.stderr)
    install = ["apt-get", "install", "-y", "-q", "wrk"]
    apt_env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if subprocess.run(install, env=apt_env, check=False).returncode != 0:
        # A fresh container often has empty package lists.
        subprocess.run(["apt-get", "update", "-q"], env=apt_env, check=True)
        subprocess.run(install, env=apt_env, check=True)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("apt-get reported success but wrk is still not on PATH")
    return found


def lua_long_string(text: str) -> str:
    """``text`` as a Lua long-bracket literal that cannot be closed early by its content."""
    level = 0
    while f"]{'=' * level}]" in text:
        level += 1
    eq = "=" * level
    return f"[{eq}[{text}]{eq}]"


# The done hook prints exact figures (wrk's text rounds to two digits and mixes units).
_LUA_DONE = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%.0f,"duration_us":%.0f,"bytes":%.0f,' ..
    '"p50_us":%.1f,"p90_us":%.1f,"p99_us":%.1f,"max_us":%.1f,"mean_us":%.1f,' ..
    '"err_connect":%.0f,"err_read":%.0f,"err_write":%.0f,"err_status":%.0f,' ..
    '"err_timeout":%.0f}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean,
    e.connect, e.read, e.write, e.status, e.timeout))
end
"""


def write_lua(path: Path, body: Mapping[str, Any], headers: Mapping[str, str]) -> Path:
    lines = ['wrk.method = "POST"', f"wrk.body = {lua_long_string(json.dumps(body))}"]
    for name, value in {"Content-Type": "application/json", **headers}.items():
        # The spaces keep "[" + "[[" from reading as the start of a long string.
        lines.append(f"wrk.headers[ {lua_long_string(name)} ] = {lua_long_string(value)}")
    path.write_text("\n".join(lines) + "\n" + _LUA_DONE)
    return path


@dataclass
class WrkResult:
    label: str
    url: str
    connections: int
    duration_s: float
    requests: int
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float
    non_2xx: int
    socket_errors: dict[str, int]
    # Shares of one core (100 = one core) during the measured run: the server's own process
    # (all its threads); the processes it started (imagegate's engine pool and the
    # multiprocessing resource tracker; none for the bare app); wrk itself; and the rest of
    # the machine (other programs, kernel threads), which should be ~0: other load makes the
    # figures worth less, so it is reported.
    server_cpu_pct: float
    server_children_cpu_pct: float
    wrk_cpu_pct: float
    other_cpu_pct: float
    wrk_text_rps: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def errors(self) -> int:
        return self.non_2xx + sum(self.socket_errors.values())


def run_wrk(
    wrk: str,
    label: str,
    url: str,
    lua: Path,
    *,
    connections: int,
    duration: float,
    server_pid: int,
) -> WrkResult:
    argv = [
        wrk,
        "-t1",
        f"-c{connections}",
        f"-d{duration:g}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(lua),
        url,
    ]
    server_before = tree_cpu_seconds(server_pid)
    busy_before = system_busy_seconds()
    wrk_before = children_cpu_seconds()
    wall_before = time.monotonic()
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    wall = time.monotonic() - wall_before
    server_after = tree_cpu_seconds(server_pid)
    main_used = server_after.main - server_before.main
    children_used = server_after.children - server_before.children
    wrk_used = children_cpu_seconds() - wrk_before
    other = system_busy_seconds() - busy_before - main_used - children_used - wrk_used
    # wrk runs on (with a GET and no body) after a Lua error, so any stderr means a bad run.
    if done.returncode != 0 or done.stderr.strip():
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    match = re.search(r"^BENCH_JSON (\{.*\})$", done.stdout, re.M)
    if match is None:
        raise RuntimeError(f"wrk printed no BENCH_JSON line:\n{done.stdout}\n{done.stderr}")
    raw = json.loads(match.group(1))
    # Cross-checks against wrk's own text: the same requests/sec and non-2xx counts.
    text_rps = re.search(r"^Requests/sec:\s+([\d.]+)", done.stdout, re.M)
    non_2xx_text = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", done.stdout)
    non_2xx = int(raw["err_status"])
    if non_2xx_text is not None:
        non_2xx = max(non_2xx, int(non_2xx_text.group(1)))
    seconds = raw["duration_us"] / 1e6
    return WrkResult(
        label=label,
        url=url,
        connections=connections,
        duration_s=seconds,
        requests=int(raw["requests"]),
        rps=raw["requests"] / seconds,
        p50_ms=raw["p50_us"] / 1000,
        p90_ms=raw["p90_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
        mean_ms=raw["mean_us"] / 1000,
        non_2xx=non_2xx,
        socket_errors={k: int(raw[f"err_{k}"]) for k in ("connect", "read", "write", "timeout")},
        server_cpu_pct=100 * main_used / wall,
        server_children_cpu_pct=100 * children_used / wall,
        wrk_cpu_pct=100 * wrk_used / wall,
        # The bench process itself idles in subprocess.run: this is other programs and kernel
        # threads (disk writeback of the server's SQLite WAL shows up here).
        other_cpu_pct=max(0.0, 100 * other / wall),
        wrk_text_rps=float(text_rps.group(1)) if text_rps else None,
    )
