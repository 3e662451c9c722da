"""``GET /api/v1/jobs/events`` on the embedded default, through a real uvicorn server on
loopback (tests/upstreams.py): a task's stream shows its states, its progress and its final
record in order and ends; ``Last-Event-ID`` resumes; heartbeats come on an idle stream; a
cancel reaches a stream at once; refusals come in the jobs envelope before any stream."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from imagegate.client.core import EventParser, TaskEvent

from upstreams import UpstreamImagegate

MODEL = "google/nano-banana"
BODY = {"model": MODEL, "input": {"prompt": "a lighthouse at dusk"}}


@pytest.fixture
def slow(tmp_path: Path) -> Iterator[UpstreamImagegate]:
    """An imagegate whose mock engine takes 3 s, with a progress report halfway, and a lease
    short enough that the heartbeat writes that progress while the task runs."""
    server = UpstreamImagegate(tmp_path / "slow", mock_latency=3.0, lease_seconds=1.2)
    yield server
    server.close()


@pytest.fixture
def idle(tmp_path: Path) -> Iterator[UpstreamImagegate]:
    """An imagegate without a worker (tasks stay waiting), with 0.2 s heartbeats."""
    server = UpstreamImagegate(
        tmp_path / "idle", worker_concurrency=0, events_heartbeat_seconds=0.2
    )
    yield server
    server.close()


def create(server: UpstreamImagegate) -> str:
    answer = httpx.post(server.url("/api/v1/jobs/createTask"), json=BODY, headers=server.auth)
    assert answer.json()["code"] == 200, answer.text
    return str(answer.json()["data"]["taskId"])


def read_stream(
    server: UpstreamImagegate, task_id: str, *, headers: dict[str, str] | None = None,
    until: str | None = None, timeout: float = 20.0,
) -> tuple[httpx.Response, list[str], list[TaskEvent]]:
    """The stream's answer, its raw lines and its events, read to its end (or to the first
    line equal to ``until``)."""
    lines: list[str] = []
    events: list[TaskEvent] = []
    parser = EventParser()
    with httpx.stream(
        "GET", server.url("/api/v1/jobs/events"), params={"taskId": task_id},
        headers={**server.auth, **(headers or {})}, timeout=timeout,
    ) as response:
        for line in response.iter_lines():
            lines.append(line)
            event = parser.feed(line)
            if event is not None:
                events.append(event)
            if until is not None and line == until:
                break
    return response, lines, events


def test_a_tasks_stream_shows_its_states_progress_and_record_in_order_then_ends(
    slow: UpstreamImagegate,
) -> None:
    task_id = create(slow)
    response, lines, events = read_stream(slow, task_id)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["x-accel-buffering"] == "no"
    assert lines[0] == "retry: 2000"
    names = [e.event for e in events]
    states = [e.data["state"] for e in events if e.event == "state"]
    # The current state first, then each change in order, and the record last, once.
    assert states[-1] == "success" and "generating" in states
    assert states == sorted(states, key=["waiting", "queuing", "generating", "success"].index)
    assert names[-1] == "record" and names.count("record") == 1
    progress = [e for e in events if e.event == "progress"]
    assert progress, f"no progress event while the engine ran: {names}"
    assert names.index("progress") > states.index("generating")
    assert all(e.data["taskId"] == task_id for e in events)
    assert 10 < progress[0].data["progress"] < 100
    ids = [int(e.id or "") for e in events]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    # The record is recordInfo's data, exactly.
    record = httpx.get(
        slow.url("/api/v1/jobs/recordInfo"), params={"taskId": task_id}, headers=slow.auth
    ).json()["data"]
    assert events[-1].data == {**record, "resultJson": events[-1].data["resultJson"]}
    assert events[-1].data["state"] == "success" and "resultUrls" in record["resultJson"]


def test_last_event_id_resumes_after_what_was_seen(slow: UpstreamImagegate) -> None:
    task_id = create(slow)
    _, _, first = read_stream(slow, task_id)
    middle = next(e for e in first if e.event == "progress")
    # Resuming after the progress event: nothing before it again, the rest as it is now.
    _, _, resumed = read_stream(slow, task_id, headers={"Last-Event-ID": str(middle.id)})
    assert [e.event for e in resumed] == ["state", "record"]
    assert resumed[0].data["state"] == "success"
    assert all(int(e.id or "") > int(middle.id or "") for e in resumed)
    # Resuming after the last state: only the final record, which is always sent.
    final_state = [e for e in first if e.event == "state"][-1]
    _, _, tail = read_stream(slow, task_id, headers={"Last-Event-ID": str(final_state.id)})
    assert [e.event for e in tail] == ["record"]
    # The query parameter does the same, for clients that cannot set the header.
    answer = httpx.get(
        slow.url("/api/v1/jobs/events"), headers=slow.auth,
        params={"taskId": task_id, "lastEventId": str(final_state.id)},
    )
    assert [line for line in answer.text.splitlines() if line.startswith("event:")] == [
        "event: record"
    ]


def test_an_idle_stream_gets_heartbeats(idle: UpstreamImagegate) -> None:
    task_id = create(idle)
    lines: list[str] = []
    started = time.monotonic()
    with httpx.stream(
        "GET", idle.url("/api/v1/jobs/events"), params={"taskId": task_id},
        headers=idle.auth, timeout=10,
    ) as response:
        for line in response.iter_lines():
            lines.append(line)
            if lines.count(": keep-alive") == 3:
                break
    assert 0.4 < time.monotonic() - started < 5  # three 0.2 s beats, not at once
    # The task did not change: its state once, then only comments.
    assert [line for line in lines if line.startswith("event:")] == ["event: state"]


def test_a_cancel_wakes_the_stream_at_once(tmp_path: Path) -> None:
    # Heartbeat and timer re-read a minute away: only the hub can deliver the cancel.
    quiet = UpstreamImagegate(tmp_path / "quiet", worker_concurrency=0,
                              events_heartbeat_seconds=60, events_recheck_seconds=60)
    try:
        task_id = create(quiet)
        parser = EventParser()
        events: list[TaskEvent] = []
        with httpx.stream(
            "GET", quiet.url("/api/v1/jobs/events"), params={"taskId": task_id},
            headers=quiet.auth, timeout=10,
        ) as response:
            for line in response.iter_lines():
                event = parser.feed(line)
                if event is None:
                    continue
                events.append(event)
                if len(events) == 1:
                    cancelled_at = time.monotonic()
                    answer = httpx.post(quiet.url("/api/v1/jobs/cancelTask"), json={
                        "taskId": task_id}, headers=quiet.auth)
                    assert answer.json()["code"] == 200, answer.text
        assert time.monotonic() - cancelled_at < 2
    finally:
        quiet.close()
    assert [e.event for e in events] == ["state", "state", "record"]
    assert [e.data["state"] for e in events[:2]] == ["waiting", "fail"]
    assert events[-1].data["failCode"] == "CANCELED"


@pytest.mark.parametrize(
    ("params", "headers", "status", "code", "names"),
    [
        ({"taskId": "no-such-task"}, {}, 404, 404, "no-such-task"),
        ({}, {}, 422, 422, "taskId"),
        ({"taskId": "TASK"}, {"Last-Event-ID": "abc"}, 422, 422, "Last-Event-ID"),
        ({"taskId": "TASK", "lastEventId": "-1"}, {}, 422, 422, "lastEventId"),
    ],
)
def test_refusals_come_in_the_jobs_envelope_before_any_stream(
    idle: UpstreamImagegate, params: dict[str, str], headers: dict[str, str], status: int,
    code: int, names: str,
) -> None:
    task_id = create(idle)
    params = {k: (task_id if v == "TASK" else v) for k, v in params.items()}
    answer = httpx.get(idle.url("/api/v1/jobs/events"), params=params,
                       headers={**idle.auth, **headers})
    assert answer.status_code == status
    body: dict[str, Any] = answer.json()
    assert body["code"] == code and body["data"] is None and names in body["msg"]


def test_another_accounts_task_and_a_missing_key_are_refused(idle: UpstreamImagegate) -> None:
    task_id = create(idle)
    assert httpx.get(idle.url("/api/v1/jobs/events"), params={"taskId": task_id}).json()[
        "code"] == 401
    made = httpx.post(idle.url("/api/admin/accounts"), json={"name": "other", "credits": 10},
                      headers={"Authorization": f"Bearer {idle.admin_key}"})
    assert made.status_code == 200, made.text
    other = made.json()["data"]["apiKey"]
    answer = httpx.get(idle.url("/api/v1/jobs/events"), params={"taskId": task_id},
                       headers={"Authorization": f"Bearer {other}"})
    assert answer.status_code == 404 and answer.json()["code"] == 404


def test_a_stream_the_client_leaves_is_closed_on_the_server(idle: UpstreamImagegate) -> None:
    task_id = create(idle)
    with httpx.stream("GET", idle.url("/api/v1/jobs/events"), params={"taskId": task_id},
                      headers=idle.auth, timeout=10) as response:
        open_while_read = 0
        for line in response.iter_lines():
            if line.startswith("event: state"):
                open_while_read = idle.runtime.watch.streams
                break  # (which closes the response: httpx ends it with its iterator)
        assert open_while_read == 1
    # The client hung up: the server's stream ends (no task kept waiting on the hub).
    deadline = time.monotonic() + 5
    while idle.runtime.watch.streams and time.monotonic() < deadline:
        time.sleep(0.05)
    assert idle.runtime.watch.streams == 0
