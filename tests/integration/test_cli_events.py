"""The CLI's progress display follows a task's live events: ``imagegate task wait`` against a
real imagegate on loopback (tests/upstreams.py) shows each state and the progress of a task
as its events arrive, reading no recordInfo after the first look at the task. The HTTP
transport is only watched (every request the CLI sends is recorded), never replaced."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from imagegate.cli.main import app

from upstreams import UpstreamImagegate


@pytest.fixture
def slow(tmp_path: Path) -> Iterator[UpstreamImagegate]:
    server = UpstreamImagegate(tmp_path / "slow", mock_latency=2.0, lease_seconds=0.9)
    yield server
    server.close()


def test_task_wait_shows_progress_from_the_events(
    slow: UpstreamImagegate, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[str] = []
    handle = httpx.HTTPTransport.handle_request

    def watched(self: httpx.HTTPTransport, request: httpx.Request) -> Any:
        sent.append(request.url.path)
        return handle(self, request)

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", watched)
    made = httpx.post(slow.url("/api/v1/jobs/createTask"), headers=slow.auth,
                      json={"model": "google/nano-banana", "input": {"prompt": "a kite"}})
    task_id = made.json()["data"]["taskId"]
    sent.clear()
    result = CliRunner().invoke(app, [
        "task", "wait", task_id, "-o", str(tmp_path / "out"),
        "--base-url", slow.base_url, "--api-key", slow.api_key,
    ])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith(f"task {task_id}")]
    states = [line.split()[2] for line in lines]
    assert "generating" in states and states[-1] == "success", lines
    percents = [int(line.split()[3].rstrip("%")) for line in lines]
    assert any(10 < p < 100 for p in percents), lines  # the engine's report, as an event
    # One look at the task (task wait reads it first), then the events; no polling.
    assert sent.count("/api/v1/jobs/recordInfo") == 1 and "/api/v1/jobs/events" in sent
    assert list((tmp_path / "out").iterdir())
