"""Starting and stopping the servers under test: the bare app and ``imagegate serve --mock``."""

from __future__ import annotations

import base64
import contextlib
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from core.workload import BENCH_DIR, REPO_ROOT

# High enough that the rate limiter always lets requests through, while still being consulted
# on every request, as it is in production.
UNLIMITED_RATE = "100000000/1s"
READY_TIMEOUT_S = 60.0


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


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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
    stack: contextlib.ExitStack,
    label: str,
    extra_env: Mapping[str, str] | None = None,
    *,
    mock: bool = True,
) -> Imagegate:
    """``imagegate serve --mock`` on a fresh data dir, limits out of the way; its API key.
    ``mock=False`` serves the embedded default's routes (classic for the models it serves,
    mock for the rest)."""
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
        [
            imagegate_bin(), "serve", "--port", str(port), "--data-dir", str(data_dir),
            *(["--mock"] if mock else []),
        ],
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


def tasks_finished(data_dir: Path) -> int:
    """Tasks that reached ``success`` or ``fail`` so far, read while the server runs.

    A read-only connection: in WAL mode it neither waits for the server's writes nor delays
    them, and the count is answered from the index on state.
    """
    conn = sqlite3.connect(f"file:{data_dir / 'imagegate.db'}?mode=ro", uri=True)
    try:
        row = conn.execute(
            "SELECT COUNT(*) FROM tasks WHERE state IN ('success', 'fail')"
        ).fetchone()
    finally:
        conn.close()
    return int(row[0])


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
