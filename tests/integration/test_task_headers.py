"""``Cancel-After`` (issue 22 point 3) and ``X-Result-Retention`` (point 5) through HTTP on a
SQLite file with the worker, the deadline sweep and the janitor of a real runtime: a slow mock
task past its deadline is stopped and refunded, a task that never started nets to zero in the
ledger, results asked to be kept an hour expire then and the janitor deletes them."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any
from urllib.parse import urlsplit

import pytest

from imagegate.tasks.cancel import DEADLINE_MSG

PROMPT = {"model": "google/nano-banana", "input": {"prompt": "a lighthouse"}}


async def until_ended(api: Any, task_id: str, timeout: float = 10.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        data = (await api.record(task_id)).json()["data"]
        if data["state"] in ("success", "fail"):
            return dict(data)
        assert time.monotonic() < deadline, f"task still {data['state']}"
        await asyncio.sleep(0.11)


async def balance(api: Any) -> Any:
    return (await api.client.get("/api/v1/chat/credit", headers=api.auth)).json()["data"]


async def ledger_of(api: Any, task_id: str) -> list[int]:
    task = await api.runtime.store.get_task(task_id)
    rows = await api.runtime.store.ledger(task.account_id)
    return [row["delta_milli"] for row in rows if row["task_id"] == task_id]


async def open_live(runtime_factory: Any, harness_opener: Any, **overrides: Any) -> Any:
    runtime = runtime_factory(deadline_interval_seconds=0.1, **overrides)
    return await harness_opener(runtime, start=True)


async def test_a_running_task_past_its_deadline_is_stopped_and_refunded(
    runtime_factory: Any, harness_opener: Any
) -> None:
    api, client = await open_live(runtime_factory, harness_opener, mock_latency=30.0)
    try:
        before = await balance(api)
        started = time.monotonic()
        answer = await api.create(PROMPT, **{"Cancel-After": "1500ms"})
        assert answer.status_code == 200, answer.text
        task_id = answer.json()["data"]["taskId"]
        await asyncio.sleep(0.5)
        assert (await api.record(task_id)).json()["data"]["state"] == "generating"
        data = await until_ended(api, task_id)
        took = time.monotonic() - started
        assert (data["state"], data["failCode"], data["failMsg"]) == (
            "fail", "CANCELED", DEADLINE_MSG
        )
        assert 1.4 <= took < 5, took  # the deadline, not the mock's 30 s
        assert await balance(api) == before
        debit, refund = await ledger_of(api, task_id)
        assert debit < 0 and debit + refund == 0
    finally:
        await client.aclose()
        await api.runtime.stop()


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
async def test_a_task_that_never_started_is_never_charged(
    runtime_factory: Any, harness_opener: Any, request: pytest.FixtureRequest, database: str
) -> None:
    where = {} if database == "sqlite" else {
        "database_url": request.getfixturevalue("postgres_url")
    }
    api, client = await open_live(runtime_factory, harness_opener, worker_concurrency=0, **where)
    try:
        before = await balance(api)
        v2 = await api.client.post("/api/v2/jobs/createTask", json=PROMPT,
                                   headers={**api.auth, "Cancel-After": "1s"})
        assert v2.status_code == 200, v2.text
        task_id = v2.json()["data"]["taskId"]
        data = await until_ended(api, task_id)
        assert (data["state"], data["failCode"], data["failMsg"]) == (
            "fail", "CANCELED", DEADLINE_MSG
        )
        assert data["progress"] == 0 and data["engine"] is None  # it never ran
        assert await balance(api) == before
        assert sum(await ledger_of(api, task_id)) == 0
        # Done once: a later sweep finds nothing more to do.
        assert await api.runtime.deadlines.sweep() == 0
    finally:
        await client.aclose()
        await api.runtime.stop()


async def test_a_task_finished_in_time_is_left_alone(live_api: Any) -> None:
    answer = await live_api.create(PROMPT, **{"Cancel-After": "1m"})
    data = await until_ended(live_api, answer.json()["data"]["taskId"])
    assert data["state"] == "success"
    task = await live_api.runtime.store.get_task(data["taskId"])
    assert task.cancel_at is not None and task.cancel_at - task.create_time == pytest.approx(
        60_000, abs=2000
    )


@pytest.mark.parametrize(
    ("header", "value", "words"),
    [
        ("Cancel-After", "soon", "must be a duration"),
        ("Cancel-After", "90", "must be a duration"),
        ("Cancel-After", "-5s", "must be a duration"),
        ("Cancel-After", "1h 30m", "must be a duration"),
        ("Cancel-After", "1x" * 40, "must be a duration"),
        ("X-Result-Retention", "1 hour", "must be a duration"),
        ("X-Result-Retention", "", "must be a duration"),
    ],
)
async def test_bad_values_are_a_422_naming_the_header(
    api: Any, header: str, value: str, words: str
) -> None:
    for path in ("/api/v1/jobs/createTask", "/api/v1/jobs/quote", "/api/v1/google/imagen-4"):
        body = PROMPT if "jobs" in path else {"prompt": "x"}
        answer = await api.client.post(path, json=body, headers={**api.auth, header: value})
        assert answer.status_code == 422, (path, answer.text)
        assert answer.json()["msg"].startswith(f"{header}: ") and words in answer.json()["msg"]
    twice = await api.client.post(
        "/api/v1/jobs/createTask", json=PROMPT,
        headers=[*api.auth.items(), (header, "1h"), (header, "2h")],
    )
    assert twice.status_code == 422 and "must be sent once" in twice.json()["msg"]


@pytest.mark.parametrize(
    ("value", "applied_ms"),
    [("500ms", 1000), ("0s", 1000), ("25h", 86_400_000), ("1h30m", 5_400_000),
     ("999999999d", 86_400_000)],
)
async def test_a_deadline_out_of_range_is_clamped(api: Any, value: str, applied_ms: int) -> None:
    answer = await api.create(PROMPT, **{"Cancel-After": value})
    assert answer.status_code == 200, answer.text
    task = await api.runtime.store.get_task(answer.json()["data"]["taskId"])
    assert task.cancel_at - task.create_time == pytest.approx(applied_ms, abs=2000)


async def test_the_per_model_endpoints_take_both_headers(api: Any) -> None:
    answer = await api.client.post(
        "/api/v1/google/imagen-4", json={"prompt": "x"},
        headers={**api.auth, "Cancel-After": "5m", "X-Result-Retention": "2h"},
    )
    assert answer.status_code == 200, answer.text
    task = await api.runtime.store.get_task(answer.json()["data"]["taskId"])
    assert task.cancel_at - task.create_time == pytest.approx(300_000, abs=2000)
    assert task.result_retention_ms == 7_200_000


async def test_results_kept_an_hour_expire_then_and_the_janitor_deletes_them(
    runtime_factory: Any, harness_opener: Any
) -> None:
    api, client = await open_live(runtime_factory, harness_opener, result_retention_hours=48)
    try:
        answer = await api.create(PROMPT, **{"X-Result-Retention": "1h"})
        assert answer.headers["X-Result-Retention-Applied"] == "3600s"
        data = await until_ended(api, answer.json()["data"]["taskId"])
        [url] = json.loads(data["resultJson"])["resultUrls"]
        assert (await api.client.get(url)).status_code == 200
        key = urlsplit(url).path.removeprefix("/files/")
        stored = await api.runtime.files.get(key)
        assert stored is not None
        assert stored.expires_at - stored.created_at == 3_600_000
        # An hour later by the janitor's clock: the file goes, and its link with it.
        assert await api.runtime.janitor.sweep(now=stored.expires_at - 1) == 0
        assert await api.runtime.janitor.sweep(now=stored.expires_at + 1) == 1
        assert (await api.client.get(url)).status_code in (404, 410)
    finally:
        await client.aclose()
        await api.runtime.stop()


async def test_a_longer_retention_is_clamped_and_says_so(runtime_factory: Any,
                                                         harness_opener: Any) -> None:
    api, client = await harness_opener(runtime_factory(result_retention_hours=2), start=False)
    async with client:
        answer = await api.create(PROMPT, **{"X-Result-Retention": "30d"})
        assert answer.status_code == 200
        assert answer.headers["X-Result-Retention-Applied"] == "7200s"
        task = await api.runtime.store.get_task(answer.json()["data"]["taskId"])
        assert task.result_retention_ms == 7_200_000
        plain = await api.create(PROMPT)
        assert "X-Result-Retention-Applied" not in plain.headers
