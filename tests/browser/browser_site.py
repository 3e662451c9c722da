"""A real ``imagegate serve`` and the system's chromium, for the browser tests and for
bench/screenshots.py. Playwright drives Debian's chromium (``apt-get install chromium``);
nothing is downloaded (never ``playwright install``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from loopback import free_port

IMAGEGATE = Path(sys.executable).parent / "imagegate"
CHROMIUM_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
ADMIN_KEY = "ig_admin_browser_tests_0123456789"
KEY_LINE_MARKER = "API key of account 'default'"
START_TIMEOUT = 30.0
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def chromium() -> str | None:
    """The system's chromium, or None when this machine has none."""
    for path in CHROMIUM_PATHS:
        if os.access(path, os.X_OK):
            return path
    return shutil.which("chromium")


def unavailable() -> str | None:
    """Why the browser tests cannot run here (None: they can)."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install -e '.[test]')"
    if chromium() is None:
        return "no chromium on this machine (as root, script/test installs Debian's chromium)"
    return None


@dataclass
class Site:
    """A running server: its URL, the default account's key and the admin key."""

    base_url: str
    key: str
    admin_key: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextlib.contextmanager
def serve(data_dir: Path, **env: str) -> Iterator[Site]:
    """``imagegate serve`` on a free port over ``data_dir``: the classic engine reframes, every
    other model runs on the mock engine. Killed on exit, whatever happened."""
    port = free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir.parent / f"{data_dir.name}-serve.log"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("IMAGEGATE_")}
    environment.update({
        "IMAGEGATE_URL_ALLOWLIST": "127.0.0.1",
        "IMAGEGATE_MOCK": "0",
        "IMAGEGATE_ADMIN_KEY": ADMIN_KEY,
        "IMAGEGATE_POLL_INTERVAL_SECONDS": "0.1",
        "IMAGEGATE_SHUTDOWN_GRACE_SECONDS": "0",
        "PYTHONUNBUFFERED": "1",
        **env,
    })
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [str(IMAGEGATE), "serve", "--port", str(port), "--data-dir", str(data_dir)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=environment,
            cwd=data_dir.parent,  # no imagegate.toml of the repository is picked up
        )
        try:
            site = Site(f"http://127.0.0.1:{port}", "", ADMIN_KEY, process, log_path)
            _wait_healthy(site)
            site.key = _printed_key(site.output())
            yield site
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=5)


def _wait_healthy(site: Site) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if site.process.poll() is not None:
            raise AssertionError(f"imagegate serve exited:\n{site.output()}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{site.base_url}/healthz", timeout=1.0).status_code == 200:
                return
        time.sleep(0.05)
    raise AssertionError(f"imagegate serve did not answer /healthz:\n{site.output()}")


def _printed_key(output: str) -> str:
    lines = output.splitlines()
    for index, line in enumerate(lines):
        if KEY_LINE_MARKER in line:
            return lines[index + 1].strip()
    raise AssertionError(f"no API key printed:\n{output}")


@contextlib.contextmanager
def browser() -> Iterator[Any]:
    """Headless chromium, the system's own."""
    from playwright.sync_api import sync_playwright

    path = chromium()
    assert path is not None, unavailable()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path, headless=True)
        try:
            yield launched
        finally:
            launched.close()
