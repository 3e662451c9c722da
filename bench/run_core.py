"""Core benchmark of imagegate's embedded default against the bare HTTP stack it runs on.

One run measures, on this machine:

* **Throughput**: ``wrk`` drives a bare FastAPI hello-world (``bench/bare_app.py``, the
  ceiling) and ``POST /api/v1/jobs/createTask`` of ``imagegate serve --mock`` with the same
  settings (1 thread, N connections, D seconds, a JSON POST from a Lua script); requests per
  second, p50 and p99 latency, and every non-2xx answer or socket error.
  imagegate runs its embedded defaults: the in-process worker renders the tasks created under
  load while the API answers, competing for the same CPU. That is reported as is; a second
  imagegate run with ``IMAGEGATE_WORKER_CONCURRENCY=0`` (API only) is labelled as such.
* **End-to-end**: tasks created one at a time, each waited for until its callback arrives at a
  receiver in this process; createTask send → callback arrival, and that minus the mock
  engine's own render time for the same input (measured in-process): the overhead.

Goals (from the issue): createTask rate >= 1/3 of the bare stack's; overhead p50 < 20 ms.

Run: ``.venv/bin/python bench/run_core.py --duration 10 --connections 32 --e2e-tasks 200``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import datetime as dt
import io
import json
import math
import os
import platform
import re
import resource
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
MODEL = "ideogram/v3-reframe"
CREATE_PATH = "/api/v1/jobs/createTask"
# High enough that the rate limiter always lets requests through, while still being consulted
# on every request, as it is in production.
UNLIMITED_RATE = "100000000/1s"
GOAL_RATIO = 1 / 3
GOAL_OVERHEAD_P50_MS = 20.0
READY_TIMEOUT_S = 60.0
# Above this share of a core used by other programs during a run, the run is flagged.
NOISY_OTHER_CPU_PCT = 10.0


# --------------------------------------------------------------------------- small helpers


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (the value below which ``pct`` % of the samples lie)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(pct / 100 * len(ordered))))
    return ordered[rank - 1]


def png_bytes(width: int, height: int) -> bytes:
    """A small gradient PNG: the input image of every task the bench creates."""
    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its threads, from /proc (Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    # After the ")" that closes comm, utime and stime are fields 12 and 13 (0-based 11, 12).
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def system_busy_seconds() -> float:
    """CPU time all cores spent not idle since boot (/proc/stat), to spot other load."""
    try:
        first = Path("/proc/stat").read_text().splitlines()[0].split()
    except OSError:
        return float("nan")
    # user nice system idle iowait irq softirq: busy is all but idle and iowait. Steal (time
    # the hypervisor gave to other guests) is left out: no program here used it.
    user, nice, system, _idle, _iowait, irq, softirq = (int(v) for v in first[1:8])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def children_cpu_seconds() -> float:
    """CPU time of this process's waited-for children (wrk, once it has exited)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# --------------------------------------------------------------------------- servers


class ServerProcess:
    """A server subprocess whose merged stdout/stderr is collected by a reader thread.

    Reading continuously matters: a server that logs into a full pipe would block mid-run.
    """

    def __init__(
        self,
        name: str,
        argv: list[str],
        env: Mapping[str, str],
        base_url: str,
        cwd: Path = REPO_ROOT,
    ) -> None:
        self.name = name
        self.base_url = base_url
        self.lines: list[str] = []
        self._cond = threading.Condition()
        self.proc = subprocess.Popen(
            argv,
            env=dict(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        )
        self._reader = threading.Thread(target=self._read, name=f"{name}-stdout", daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._cond:
                self.lines.append(line.rstrip("\n"))
                self._cond.notify_all()

    def tail(self, n: int = 30) -> str:
        with self._cond:
            return "\n".join(self.lines[-n:])

    def wait_for_line(self, pattern: re.Pattern[str], timeout: float) -> int:
        """Index of the first output line matching ``pattern``; raises when the server dies."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for index, line in enumerate(self.lines):
                    if pattern.search(line):
                        return index
                if self.proc.poll() is not None:
                    raise RuntimeError(f"{self.name} exited early:\n{self.tail()}")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"{self.name}: no line matching {pattern.pattern!r}")
                self._cond.wait(min(remaining, 0.5))

    def wait_http_ok(self, path: str, timeout: float = READY_TIMEOUT_S) -> None:
        """Poll ``path`` until it answers 200: announce lines come before the port is bound."""
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"{self.name} exited early:\n{self.tail()}")
                with contextlib.suppress(httpx.HTTPError):
                    if client.get(self.base_url + path).status_code == 200:
                        return
                time.sleep(0.1)
        raise TimeoutError(f"{self.name} did not answer {path} within {timeout:g} s")

    def stop(self) -> None:
        """SIGINT first (uvicorn's graceful shutdown, imagegate's lifespan stop), then kill."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._reader.join(timeout=5)


def base_env() -> dict[str, str]:
    env = dict(os.environ)
    # Announce lines must reach the pipe at once, not when a block buffer fills.
    env["PYTHONUNBUFFERED"] = "1"
    # A stray imagegate.toml or IMAGEGATE_* in the caller's shell must not change the run.
    for key in list(env):
        if key.startswith("IMAGEGATE_"):
            del env[key]
    return env


def start_bare(stack: contextlib.ExitStack) -> ServerProcess:
    port = free_port()
    server = ServerProcess(
        "bare",
        [sys.executable, str(BENCH_DIR / "bare_app.py"), "--port", str(port)],
        base_env(),
        f"http://127.0.0.1:{port}",
    )
    stack.callback(server.stop)
    server.wait_http_ok("/hello")
    return server


@dataclass
class Imagegate:
    server: ServerProcess
    api_key: str
    data_dir: Path


_KEY_LINE = re.compile(r"API key of account 'default'")
_LISTENING = re.compile(r"listening on (\S+)")


def imagegate_bin() -> str:
    beside = Path(sys.executable).parent / "imagegate"
    if beside.exists():
        return str(beside)
    found = shutil.which("imagegate")
    if found is None:
        raise SystemExit("imagegate is not installed in this environment (pip install -e .)")
    return found


def start_imagegate(
    stack: contextlib.ExitStack, label: str, extra_env: Mapping[str, str] | None = None
) -> Imagegate:
    """``imagegate serve --mock`` on a fresh data dir, limits out of the way; its API key."""
    data_dir = Path(tempfile.mkdtemp(prefix=f"imagegate-bench-{label}-"))
    stack.callback(shutil.rmtree, data_dir, True)
    port = free_port()
    env = base_env()
    env.update(
        {
            "IMAGEGATE_MOCK_LATENCY": "0",
            "IMAGEGATE_CREATE_RATE": UNLIMITED_RATE,
            "IMAGEGATE_QUERY_RATE": UNLIMITED_RATE,
            "IMAGEGATE_DEFAULT_ACCOUNT_CREDITS": "1e12",
            # The bench's own image and callback receiver live on loopback.
            "IMAGEGATE_URL_ALLOWLIST": "127.0.0.1",
            "IMAGEGATE_LOG_LEVEL": "warning",
        }
    )
    env.update(extra_env or {})
    server = ServerProcess(
        f"imagegate[{label}]",
        [imagegate_bin(), "serve", "--port", str(port), "--data-dir", str(data_dir), "--mock"],
        env,
        f"http://127.0.0.1:{port}",
        # The data dir as cwd: no stray ./imagegate.toml can change the embedded defaults.
        cwd=data_dir,
    )
    stack.callback(server.stop)
    index = server.wait_for_line(_KEY_LINE, READY_TIMEOUT_S)
    server.wait_for_line(_LISTENING, READY_TIMEOUT_S)
    api_key = server.lines[index + 1].strip()
    server.wait_http_ok("/healthz")
    return Imagegate(server, api_key, data_dir)


def upload_png(gate: Imagegate, data: bytes) -> str:
    """Upload the input image through imagegate's own base64 endpoint; its downloadUrl."""
    response = httpx.post(
        gate.server.base_url + "/api/file-base64-upload",
        headers={"Authorization": f"Bearer {gate.api_key}"},
        json={
            "base64Data": base64.b64encode(data).decode(),
            "uploadPath": "bench",
            "fileName": "in.png",
        },
        timeout=10,
    )
    response.raise_for_status()
    return str(response.json()["data"]["downloadUrl"])


def task_states(data_dir: Path) -> dict[str, int]:
    """How many tasks ended in each state (read after the server stopped)."""
    db = data_dir / "imagegate.db"
    if not db.exists():
        return {}
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute("SELECT state, COUNT(*) FROM tasks GROUP BY state").fetchall()
    finally:
        conn.close()
    return {str(state): int(count) for state, count in rows}


# --------------------------------------------------------------------------- wrk


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
    # Shares of one core (100 = one core) during the measured run: the server process (all
    # its threads), wrk itself, and the rest of the machine (other programs, kernel threads),
    # which should be ~0: other load makes the figures worth less, so it is reported.
    server_cpu_pct: float
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
    cpu_before = process_cpu_seconds(server_pid)
    busy_before = system_busy_seconds()
    wrk_before = children_cpu_seconds()
    wall_before = time.monotonic()
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    wall = time.monotonic() - wall_before
    cpu_used = process_cpu_seconds(server_pid) - cpu_before
    wrk_used = children_cpu_seconds() - wrk_before
    other = system_busy_seconds() - busy_before - cpu_used - wrk_used
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
        server_cpu_pct=100 * cpu_used / wall,
        wrk_cpu_pct=100 * wrk_used / wall,
        # The bench process itself idles in subprocess.run: this is other programs and kernel
        # threads (disk writeback of the server's SQLite WAL shows up here).
        other_cpu_pct=max(0.0, 100 * other / wall),
        wrk_text_rps=float(text_rps.group(1)) if text_rps else None,
    )


def measure(
    wrk: str,
    label: str,
    url: str,
    lua: Path,
    server: ServerProcess,
    args: argparse.Namespace,
) -> WrkResult:
    """A discarded warm-up run (first requests pay for lazy imports, connection set-up and a
    cold SQLite page cache), then the measured run with the same settings."""
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
    result = run_wrk(
        wrk,
        label,
        url,
        lua,
        connections=args.connections,
        duration=args.duration,
        server_pid=server.pid,
    )
    flag = "  <-- ERRORS" if result.errors else ""
    if result.other_cpu_pct > NOISY_OTHER_CPU_PCT:
        flag += "  <-- the machine was busy with other work: figures less reliable"
    print(
        f"  {label}: {result.rps:,.0f} req/s, p50 {result.p50_ms:.2f} ms, "
        f"p99 {result.p99_ms:.2f} ms, non-2xx {result.non_2xx}, "
        f"socket errors {sum(result.socket_errors.values())}, "
        f"CPU: server {result.server_cpu_pct:.0f}%, wrk {result.wrk_cpu_pct:.0f}%, "
        f"rest of the machine {result.other_cpu_pct:.0f}%{flag}",
        file=sys.stderr,
    )
    return result


def create_body(image_url: str, callback_url: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": MODEL,
        "input": {"image_url": image_url, "image_size": "square"},
    }
    if callback_url:
        body["callBackUrl"] = callback_url
    return body


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
        result = measure(wrk, label, gate.server.base_url + CREATE_PATH, lua, gate.server, args)
        gate.server.stop()
        # What the worker got through while the API was under load (warm-up included).
        result.extra["task_states_at_stop"] = task_states(gate.data_dir)
    return result


# --------------------------------------------------------------------------- end-to-end


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
    tasks: int
    failed: int
    e2e_ms: list[float]
    create_ms: list[float]  # createTask sent → its answer read
    render_ms: list[float]
    # From the server's millisecond stamps (same machine, same clock): sent → createTime,
    # createTime → completeTime (queue, fetch, engine, store), completeTime → callback read.
    to_insert_ms: list[float]
    worker_ms: list[float]
    delivery_ms: list[float]

    def summary(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for name, values in (
            ("e2e", self.e2e_ms),
            ("create", self.create_ms),
            ("render", self.render_ms),
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
        from imagegate.engines.mock import MockEngine

        spec = get_model(MODEL)
        assert spec is not None
        # The server's validated input (URL included: it is hashed into the picture).
        validated = spec.validate({"image_url": image_url, "image_size": "square"})
        with Image.open(io.BytesIO(png)) as img:
            width, height = img.size
        source = SourceImage(image_url, png, "image/png", width, height)
        self._engine = MockEngine(latency=0.0)
        self._job = EngineJob("bench", MODEL, validated, {"image_url": [source]})
        self._runner = asyncio.Runner()

    def once(self) -> float:
        """One ``MockEngine.run`` (its thread hop included, as in the server), in ms."""

        async def timed() -> float:
            start = time.perf_counter()
            await self._engine.run(self._job)
            return (time.perf_counter() - start) * 1000

        return self._runner.run(timed())

    def close(self) -> None:
        self._runner.close()


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
        result = EndToEnd(0, 0, [], [], [], [], [], [])
        # The first tasks pay one-off costs (font loading, first connections); not counted.
        for index in range(args.e2e_warmup + args.e2e_tasks):
            sent, sent_wall_ms = time.perf_counter(), time.time() * 1000
            response = client.post(CREATE_PATH, content=body, headers=headers)
            answered = time.perf_counter()
            response.raise_for_status()
            task_id = response.json()["data"]["taskId"]
            arrival = receiver.wait(task_id, timeout=60)
            render = timer.once()
            if index < args.e2e_warmup:
                continue
            result.tasks += 1
            if arrival.code != 200 or arrival.state != "success":
                result.failed += 1
            result.e2e_ms.append((arrival.at - sent) * 1000)
            result.create_ms.append((answered - sent) * 1000)
            result.render_ms.append(render)
            created, completed = arrival.create_time_ms, arrival.complete_time_ms
            if created is not None and completed is not None:
                result.to_insert_ms.append(created - sent_wall_ms)
                result.worker_ms.append(float(completed - created))
                result.delivery_ms.append(arrival.wall_ms - completed)
    return result


# --------------------------------------------------------------------------- report


def machine_info() -> dict[str, str]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    from imagegate import __version__

    versions = {}
    for module in ("uvicorn", "fastapi", "starlette", "uvloop", "httptools"):
        with contextlib.suppress(Exception):
            from importlib.metadata import version

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


LABEL_BARE = "bare FastAPI hello-world (ceiling)"
LABEL_WORKER = "imagegate createTask, embedded default (worker on)"
LABEL_API = "imagegate createTask, API only (IMAGEGATE_WORKER_CONCURRENCY=0)"


def median_run(rounds: Sequence[WrkResult]) -> WrkResult:
    """The round with the median rate (its latencies come with it, not mixed across rounds)."""
    return sorted(rounds, key=lambda r: r.rps)[(len(rounds) - 1) // 2]


def report(
    info: Mapping[str, str],
    args: argparse.Namespace,
    rounds: Mapping[str, Sequence[WrkResult]],
    e2e: EndToEnd,
) -> tuple[str, dict[str, Any]]:
    runs = {label: median_run(results) for label, results in rounds.items()}
    bare, create = runs[LABEL_BARE], runs[LABEL_WORKER]
    ratio = create.rps / bare.rps
    render_ms = e2e.render_ms
    render = statistics.median(render_ms)
    overhead = [v - render for v in e2e.e2e_ms]
    overhead_p50, overhead_p99 = percentile(overhead, 50), percentile(overhead, 99)
    summary = e2e.summary()
    any_errors = any(r.errors for results in rounds.values() for r in results)
    ratio_ok = ratio >= GOAL_RATIO and not any_errors
    overhead_ok = overhead_p50 < GOAL_OVERHEAD_P50_MS and e2e.failed == 0

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
        f"Machine: {info['nproc']} CPU ({info['cpu']}), Linux {info['kernel']}, "
        f"Python {info['python']}, imagegate {info['imagegate']}, {info['stack']}, "
        f"{info['wrk']}; {info['date']}",
        "",
        f"Load: wrk -t1 -c{args.connections} -d{args.duration:g}s --latency after a "
        f"{args.warmup:g} s warm-up, POST JSON{round_note}. "
        "CPU: % of one core during the run, for the server process, wrk, and the rest of the "
        "machine (other programs and kernel threads such as disk writeback).",
        "",
        "| Run | req/s | p50 ms | p99 ms | non-2xx + socket errors | CPU server / wrk / rest |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label, r in runs.items():
        out.append(
            f"| {label} | {rate(label)} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | {errors(label)} | "
            f"{r.server_cpu_pct:.0f} / {r.wrk_cpu_pct:.0f} / {r.other_cpu_pct:.0f} |"
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
    states = create.extra.get("task_states_at_stop", {})
    if states:
        done = states.get("success", 0) + states.get("fail", 0)
        out += [
            "",
            f"Worker during the embedded-default run (warm-up included): {done} tasks "
            f"finished, {sum(states.values()) - done} still queued or running at the end.",
        ]
    out += [
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
        f"| mock engine render alone (in-process, between tasks, median of {len(render_ms)}) | "
        f"{render:.1f} ms | | |",
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
        "overhead_p50_ms": overhead_p50,
        "overhead_p99_ms": overhead_p99,
        "goals": {"ratio_ge_one_third": ratio_ok, "overhead_p50_lt_20ms": overhead_ok},
    }
    return "\n".join(out), raw


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
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
