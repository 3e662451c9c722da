"""Live task events in the PostgreSQL fleet: two API processes (two runtimes, each served by
its own uvicorn on loopback) on one database. The task is created through one, whose worker
runs it; its events arrive on a stream opened on the other, woken by NOTIFY on
``imagegate_task_events`` (the other's timer re-read and heartbeat are set a minute away, so
nothing else could deliver them in time). Skipped, with the reason, where PostgreSQL does not
answer."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from imagegate.api.app import create_app
from imagegate.client.core import EventParser, TaskEvent
from imagegate.runtime import Runtime
from imagegate.settings import Settings

from upstreams import LOOPBACK, ServedApp

MODEL = "google/nano-banana"


def settings(data_dir: Path, url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": data_dir, "database_url": url, "url_allowlist": [LOOPBACK],
        "public_url": "http://testserver", "poll_interval_seconds": 0.05,
        "janitor_interval_seconds": 3600, "engine_processes": 0, "mock": True,
        "create_rate": "1000/1s", "query_rate": "1000/1s", "shutdown_grace_seconds": 0,
    }
    return Settings(**{**values, **overrides})


@pytest.fixture
def fleet(postgres_url: str, tmp_path: Path) -> Iterator[tuple[ServedApp, ServedApp, str]]:
    """(the process that creates and runs tasks, an API-only process, the account's key)."""
    # The first start (keys, default account) once, as a fleet's first process makes them.
    setup = Runtime(settings(tmp_path / "setup", postgres_url))

    async def first() -> str:
        made = await setup.first_start()
        assert setup.backend is not None
        await setup.backend.close()
        assert made.default_key
        return made.default_key

    key = asyncio.run(first())
    maker = Runtime(settings(tmp_path / "maker", postgres_url, worker_concurrency=1,
                             mock_latency=2.0, lease_seconds=1.2))
    # Its heartbeat and timer re-read a minute away: only NOTIFY can wake its streams.
    watcher = Runtime(settings(tmp_path / "watcher", postgres_url, worker_concurrency=0,
                               events_recheck_seconds=60.0, events_heartbeat_seconds=60.0))
    served = [ServedApp(create_app(maker)), ServedApp(create_app(watcher))]
    try:
        yield served[0], served[1], key
    finally:
        for app in served:
            app.close()


def test_a_task_created_through_one_process_streams_its_events_on_another(
    fleet: tuple[ServedApp, ServedApp, str],
) -> None:
    maker, watcher, key = fleet
    auth = {"Authorization": f"Bearer {key}"}
    made = httpx.post(maker.url("/api/v1/jobs/createTask"), headers=auth,
                      json={"model": MODEL, "input": {"prompt": "a harbour"}})
    assert made.json()["code"] == 200, made.text
    task_id = made.json()["data"]["taskId"]
    parser = EventParser()
    events: list[TaskEvent] = []
    started = time.monotonic()
    with httpx.stream("GET", watcher.url("/api/v1/jobs/events"), params={"taskId": task_id},
                      headers=auth, timeout=30) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            event = parser.feed(line)
            if event is not None:
                events.append(event)
    took = time.monotonic() - started
    states = [e.data["state"] for e in events if e.event == "state"]
    assert states[0] in ("waiting", "queuing", "generating")
    assert "generating" in states and states[-1] == "success"
    assert [e.event for e in events][-1] == "record"
    assert events[-1].data["taskId"] == task_id and events[-1].data["state"] == "success"
    # Each move reached the other process at once: the task takes 2 s, the timer 45 s or more.
    assert took < 10, f"{took:.1f} s: the events came by the timer, not by NOTIFY"
