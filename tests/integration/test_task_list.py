"""The account's additions, in-process over HTTP on a real SQLite file: the task list (paging,
filters), cancelTask (waiting, generating, finished; refunds and callbacks) and usage."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from imagegate.tasks.state import TaskState

BANANA = {"model": "google/nano-banana", "input": {"prompt": "a lighthouse"}}
QWEN_T2I = {"model": "qwen/text-to-image", "input": {"prompt": "a harbour"}}


async def created(api: Any, body: dict[str, Any] = BANANA, **headers: str) -> str:
    response = await api.create(body, **headers)
    assert response.status_code == 200, response.text
    return str(response.json()["data"]["taskId"])


async def listing(api: Any, **params: Any) -> dict[str, Any]:
    response = await api.client.get("/api/v1/jobs/list", params=params, headers=api.auth)
    assert response.status_code == 200, response.text
    return dict(response.json()["data"])


async def cancel(api: Any, task_id: str) -> Any:
    return await api.client.post(
        "/api/v1/jobs/cancelTask", json={"taskId": task_id}, headers=api.auth
    )


async def balance(api: Any) -> float:
    response = await api.client.get("/api/v1/chat/credit", headers=api.auth)
    return float(response.json()["data"])


async def wait_state(api: Any, task_id: str, state: TaskState, timeout: float = 10) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while (task := await api.runtime.store.get_task(task_id)).state is not state:
        assert asyncio.get_running_loop().time() < deadline, f"{task.state}, never {state}"
        await asyncio.sleep(0.02)
    return task


async def test_the_list_pages_newest_first_without_repeats_and_filters(api: Any) -> None:
    ids = [await created(api) for _ in range(5)] + [await created(api, QWEN_T2I)]
    seen: list[str] = []
    cursor = None
    while True:
        page = await listing(api, limit=2, **({"cursor": cursor} if cursor else {}))
        seen += [row["taskId"] for row in page["tasks"]]
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert seen == ids[::-1]
    row = (await listing(api, limit=1))["tasks"][0]
    # recordInfo's shape, and what the task costs.
    record = (await api.record(row["taskId"])).json()["data"]
    # (queuePosition is recordInfo's alone: one count per row would cost a query each)
    assert {k: v for k, v in row.items() if k != "consumeCredits"} == {
        k: v for k, v in record.items() if k != "queuePosition"
    }
    assert row["consumeCredits"] > 0
    only_qwen = await listing(api, model="qwen/text-to-image")
    assert [r["taskId"] for r in only_qwen["tasks"]] == [ids[-1]]
    await cancel(api, ids[0])
    failed = await listing(api, state="fail,success")
    assert [r["taskId"] for r in failed["tasks"]] == [ids[0]]
    assert failed["tasks"][0]["consumeCredits"] == 0  # refunded
    third = await api.runtime.store.get_task(ids[2])
    window = await listing(api, **{"from": third.create_time, "to": third.create_time + 1})
    assert ids[2] in [r["taskId"] for r in window["tasks"]]
    assert ids[0] not in [r["taskId"] for r in window["tasks"]] or (
        (await api.runtime.store.get_task(ids[0])).create_time == third.create_time
    )


async def test_the_list_refuses_bad_filters_in_its_envelope_and_shows_no_one_elses(
    api: Any,
) -> None:
    await created(api)
    for params, field in (
        ({"state": "done"}, "state"), ({"to": ""}, "to"), ({"to": "-1"}, "to"),
        ({"cursor": "!!"}, "cursor"), ({"limit": "0"}, "limit"), ({"from": "yesterday"}, "from"),
    ):
        response = await api.client.get("/api/v1/jobs/list", params=params, headers=api.auth)
        assert response.status_code == 422, params
        assert response.json()["code"] == 422 and response.json()["msg"].startswith(field)
    other = await api.client.post(
        "/api/admin/accounts", json={"name": "other", "credits": 10},
        headers={"Authorization": f"Bearer {api.admin_key}"},
    )
    other_key = other.json()["data"]["apiKey"]
    theirs = await api.client.get(
        "/api/v1/jobs/list", headers={"Authorization": f"Bearer {other_key}"}
    )
    assert theirs.json()["data"] == {"tasks": [], "nextCursor": None}


async def test_cancelling_a_waiting_task_ends_it_refunded_and_a_finished_one_is_refused(
    api: Any,
) -> None:
    before = await balance(api)
    task_id = await created(api)
    assert await balance(api) < before
    response = await cancel(api, task_id)
    assert response.status_code == 200, response.text
    assert response.json()["data"] == {"taskId": task_id, "state": "fail", "canceled": True}
    record = (await api.record(task_id)).json()["data"]
    assert (record["state"], record["failCode"]) == ("fail", "CANCELED")
    assert record["completeTime"] is not None
    assert await balance(api) == before
    again = await cancel(api, task_id)
    assert again.status_code == 422 and "already finished" in again.json()["msg"]
    unknown = await cancel(api, "f" * 32)
    assert unknown.status_code == 404 and unknown.json()["code"] == 404
    missing = await api.client.post("/api/v1/jobs/cancelTask", json={}, headers=api.auth)
    assert missing.status_code == 422 and missing.json()["msg"].startswith("taskId")
    ledger = await api.runtime.store.ledger(await record_account(api))
    assert [r["reason"] for r in ledger if r["task_id"] == task_id] == ["debit", "refund"]


async def record_account(api: Any) -> str:
    """The account of the harness's tasks: the default one, the only account."""
    (account,) = await api.runtime.store.list_accounts()
    return str(account.id)


async def test_cancelling_a_generating_task_stops_its_engine_and_queues_its_callback(
    harness_opener: Any, runtime_factory: Any, loopback: Any
) -> None:
    harness, client = await harness_opener(runtime_factory(mock_latency=30), start=True)
    try:
        async with client:
            hook = loopback.url("/hook")
            task_id = await created(harness, {**BANANA, "callBackUrl": hook})
            await wait_state(harness, task_id, TaskState.GENERATING)
            response = await cancel(harness, task_id)
            assert response.json()["data"]["canceled"] is False
            # The 30 s engine is stopped at once, not waited for.
            task = await wait_state(harness, task_id, TaskState.FAIL, timeout=5)
            assert task.fail_code == "CANCELED" and task.cost_time < 10_000
            ledger = await harness.runtime.store.ledger(task.account_id)
            assert [r["reason"] for r in ledger if r["task_id"] == task_id] == [
                "debit", "refund",
            ]
            row = harness.runtime.db.conn.execute(
                "SELECT url FROM callbacks WHERE task_id = ?", (task_id,)
            ).fetchone()
            assert row[0] == hook
    finally:
        await harness.runtime.worker.stop()
        await harness.runtime.callbacks.stop()


async def test_a_cancel_taken_elsewhere_reaches_the_worker_through_its_heartbeat(
    harness_opener: Any, runtime_factory: Any
) -> None:
    # As when another API process took the cancel: only the row says so; the heartbeat
    # (every 0.1 s with a 0.3 s lease) reads it.
    harness, client = await harness_opener(
        runtime_factory(mock_latency=30, lease_seconds=0.3), start=True
    )
    try:
        async with client:
            task_id = await created(harness)
            await wait_state(harness, task_id, TaskState.GENERATING)
            harness.runtime.db.conn.execute(
                "UPDATE tasks SET cancel_requested = 1 WHERE id = ?", (task_id,)
            )
            task = await wait_state(harness, task_id, TaskState.FAIL, timeout=5)
            assert task.fail_code == "CANCELED"
    finally:
        await harness.runtime.worker.stop()
        await harness.runtime.callbacks.stop()


async def test_usage_counts_tasks_and_credits_per_model_per_day(api: Any) -> None:
    kept = [await created(api) for _ in range(3)]
    await cancel(api, kept[0])
    await created(api, QWEN_T2I)
    response = await api.client.get("/api/v1/usage", headers=api.auth)
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    today = dt.datetime.now(dt.UTC).date().isoformat()
    assert data["to"] == today
    rows = {r["model"]: r for r in data["days"]}
    banana = rows["google/nano-banana"]
    assert (banana["date"], banana["tasks"], banana["failed"], banana["running"]) == (
        today, 3, 1, 2,
    )
    listed = {r["taskId"]: r["consumeCredits"] for r in (await listing(api))["tasks"]}
    assert banana["credits"] == sum(listed[t] for t in kept)
    assert data["totalCredits"] == sum(listed.values())
    for params, field in (({"from": "2026-13-01"}, "from"), ({"to": ""}, "to"),
                          ({"from": "2026-5-1"}, "from")):
        bad = await api.client.get("/api/v1/usage", params=params, headers=api.auth)
        assert bad.status_code == 422 and bad.json()["msg"].startswith(field), params
