"""Acceptance fixtures: ``imagegate serve`` as a real subprocess, driven over real HTTP.

Every server started here is killed at teardown, whatever the test did. Helpers are handed out
through fixtures (``servers``, ``shared``, ``receiver_factory``, ``image_host``) so test modules
import nothing from this file.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from loopback import Receiver, free_port

IMAGEGATE = Path(sys.executable).parent / "imagegate"

# Settings every acceptance server runs with (short leases, polls and backoffs keep it fast).
BASE_ENV = {
    "IMAGEGATE_URL_ALLOWLIST": "127.0.0.1",
    "IMAGEGATE_LEASE_SECONDS": "2",
    "IMAGEGATE_POLL_INTERVAL_SECONDS": "0.2",
    "IMAGEGATE_CALLBACK_BACKOFF_BASE_SECONDS": "0.2",
    # The lifecycle tests need fast, failable engines: the mock. test_serve_reframe.py starts
    # its server with IMAGEGATE_MOCK=0 to drive the real reframe engine.
    "IMAGEGATE_MOCK": "1",
    # A stopped server hands its running tasks back at once (teardown stays fast);
    # test_operations_shutdown.py tests the grace period itself.
    "IMAGEGATE_SHUTDOWN_GRACE_SECONDS": "0",
}
START_TIMEOUT = 30.0
KEY_LINE_MARKER = "API key of account 'default'"
# recordInfo allows 10 requests per second per key; stay well under it.
QUERY_SPACING = 0.15


# Resolved here, not in the child: between fork and exec only the bound call runs.
_PRCTL = ctypes.CDLL(None).prctl if sys.platform.startswith("linux") else None
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child before exec: SIGKILL it if the test process dies without a teardown."""
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, int(signal.SIGKILL))


def server_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """os.environ without any IMAGEGATE_* of the machine, plus the acceptance settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMAGEGATE_")}
    env.update(BASE_ENV)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


# ------------------------------------------------------------------ the server process


class ServerProcess:
    """One ``imagegate serve`` subprocess; its stdout and stderr go to a log file."""

    def __init__(self, data_dir: Path, port: int, env: dict[str, str], log_path: Path) -> None:
        self.data_dir = data_dir
        self.port = port
        self.base_url = f"http://127.0.0.1:{port}"
        self.log_path = log_path
        self._log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [str(IMAGEGATE), "serve", "--port", str(port), "--data-dir", str(data_dir)],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            # No imagegate.toml of the repository (or anywhere else) is picked up.
            cwd=data_dir.parent,
            preexec_fn=_die_with_parent,
        )

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_healthy(self, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"imagegate serve exited with {self.proc.returncode}:\n{self.output()}"
                )
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.base_url}/healthz", timeout=1.0).status_code == 200:
                    return
            time.sleep(0.05)
        raise AssertionError(f"imagegate serve did not answer /healthz:\n{self.output()}")

    def printed_key(self) -> str | None:
        """The default account's key as printed on first start, or None if none was."""
        lines = self.output().splitlines()
        for index, line in enumerate(lines):
            if KEY_LINE_MARKER in line:
                return lines[index + 1].strip()
        return None

    def sigkill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self._log.close()

    @property
    def db_path(self) -> Path:
        return self.data_dir / "imagegate.db"


class Servers:
    """Starts servers and remembers them, so teardown kills every one."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.started: list[ServerProcess] = []

    def start(
        self,
        data_dir: Path | None = None,
        port: int | None = None,
        env: dict[str, str] | None = None,
        *,
        wait: bool = True,
    ) -> ServerProcess:
        data_dir = data_dir or self.root / f"data{len(self.started)}"
        data_dir.parent.mkdir(parents=True, exist_ok=True)
        log = self.root / f"serve{len(self.started)}.log"
        server = ServerProcess(data_dir, port or free_port(), server_env(env), log)
        self.started.append(server)
        if wait:
            server.wait_healthy()
        return server

    def close(self) -> None:
        for server in self.started:
            server.stop()


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[Servers]:
    made = Servers(tmp_path)
    try:
        yield made
    finally:
        made.close()


def keys_create(data_dir: Path, name: str, credits: float, *extra: str) -> str:
    """``imagegate keys create`` against ``data_dir``; the printed key (its last line)."""
    done = subprocess.run(
        [str(IMAGEGATE), "keys", "create", "--name", name, "--credits", f"{credits:g}",
         *extra, "--data-dir", str(data_dir)],
        capture_output=True, text=True, env=server_env(), cwd=data_dir.parent, timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    key = done.stdout.strip().splitlines()[-1].strip()
    assert key and " " not in key, done.stdout
    return key


# ------------------------------------------------------------------ the API over HTTP


class Api:
    """The jobs API of one server, as one account (its key)."""

    _last_query: dict[str, float] = {}
    _query_lock = threading.Lock()

    def __init__(self, server: ServerProcess, key: str) -> None:
        self.server = server
        self.key = key
        self.http = httpx.Client(base_url=server.base_url, timeout=15.0)

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def create(self, body: dict[str, Any] | str | bytes) -> httpx.Response:
        if isinstance(body, dict):
            return self.http.post("/api/v1/jobs/createTask", json=body, headers=self.auth)
        return self.http.post(
            "/api/v1/jobs/createTask",
            content=body,
            headers={**self.auth, "Content-Type": "application/json"},
        )

    def create_ok(self, body: dict[str, Any] | str | bytes) -> str:
        response = self.create(body)
        assert response.status_code == 200, response.text
        answer = response.json()
        assert answer["code"] == 200 and answer["msg"] == "success", answer
        assert set(answer["data"]) == {"taskId", "recordId"}, answer
        assert answer["data"]["recordId"] == answer["data"]["taskId"]
        return str(answer["data"]["taskId"])

    def record(self, task_id: str) -> httpx.Response:
        # Space the queries of one key so the 10/s recordInfo limit is never hit.
        with self._query_lock:
            wait = self._last_query.get(self.key, 0.0) + QUERY_SPACING - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self._last_query[self.key] = time.monotonic()
        return self.http.get("/api/v1/jobs/recordInfo", params={"taskId": task_id},
                             headers=self.auth)

    def record_data(self, task_id: str) -> dict[str, Any]:
        response = self.record(task_id)
        assert response.status_code == 200, response.text
        answer = response.json()
        assert answer["code"] == 200 and answer["msg"] == "success", answer
        return dict(answer["data"])

    def wait_state(
        self, task_id: str, states: tuple[str, ...] = ("success", "fail"), timeout: float = 20.0
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        data: dict[str, Any] = {}
        while time.monotonic() < deadline:
            data = self.record_data(task_id)
            if data["state"] in states:
                return data
        raise AssertionError(f"task {task_id} not in {states} after {timeout} s: {data}")

    def balance(self) -> float:
        response = self.http.get("/api/v1/chat/credit", headers=self.auth)
        assert response.status_code == 200, response.text
        answer = response.json()
        assert answer["code"] == 200 and answer["msg"] == "success", answer
        return float(answer["data"])

    def close(self) -> None:
        self.http.close()


@dataclass
class Shared:
    """The module's long-lived server and its default account."""

    server: ServerProcess
    api: Api
    servers: Servers
    apis: list[Api] = field(default_factory=list)

    def api_for(self, key: str) -> Api:
        api = Api(self.server, key)
        self.apis.append(api)
        return api


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shared]:
    """One server for the tests that need no special settings (killed at teardown)."""
    made = Servers(tmp_path_factory.mktemp("shared"))
    try:
        server = made.start()
        key = server.printed_key()
        assert key, server.output()
        result = Shared(server, Api(server, key), made)
        yield result
        for api in [result.api, *result.apis]:
            api.close()
    finally:
        made.close()


# ------------------------------------------------------------------ loopback HTTP peers


@pytest.fixture
def receiver_factory() -> Iterator[Any]:
    made: list[Receiver] = []

    def factory(port: int = 0) -> Receiver:
        receiver = Receiver(port)
        made.append(receiver)
        return receiver

    yield factory
    for receiver in made:
        receiver.close()


@pytest.fixture(scope="module")
def image_host() -> Iterator[Receiver]:
    """A module-wide loopback peer: serves the input images and receives callbacks."""
    host = Receiver()
    host.serve_image("/input.png")
    yield host
    host.close()


# ------------------------------------------------------------------ the database file


def query_db(db_path: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Read the server's SQLite file directly (WAL: readers never block the server)."""
    conn = sqlite3.connect(db_path, timeout=10)
    try:
        return [tuple(row) for row in conn.execute(sql, params).fetchall()]
    finally:
        conn.close()


@pytest.fixture
def db() -> Any:
    return query_db


@pytest.fixture
def make_key() -> Any:
    return keys_create


@pytest.fixture
def make_api() -> Any:
    return Api


@pytest.fixture
def imagegate_command() -> Path:
    """The ``imagegate`` executable of this environment (for commands other than serve)."""
    return IMAGEGATE


@pytest.fixture
def env_for() -> Any:
    """``env_for(extra)``: the environment acceptance processes run with, plus ``extra``."""
    return server_env


@pytest.fixture(name="free_port")
def free_port_fixture() -> Any:
    return free_port
