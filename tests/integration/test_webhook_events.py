"""``webhookEvents`` on createTask (issue 22 point 6) through HTTP with a real worker and a
real loopback receiver: start and progress callbacks are the current record marked with their
event, signed as the account chose; leaving "completed" out means no final callback; bad lists
are a 422 naming the field (the quote refuses them the same way)."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import pytest

from imagegate.client import verify

from loopback import LoopbackServer

PROMPT = {"model": "google/nano-banana", "input": {"prompt": "a lighthouse"}}
WHSEC = "whsec_" + base64.b64encode(b"another 24-byte key here").decode()


async def live(runtime_factory: Any, harness_opener: Any) -> Any:
    return await harness_opener(runtime_factory(mock_latency=0.3), start=True)


async def until_ended(api: Any, task_id: str) -> dict[str, Any]:
    for _ in range(100):
        data = (await api.record(task_id)).json()["data"]
        if data["state"] in ("success", "fail"):
            return dict(data)
        await asyncio.sleep(0.11)
    raise AssertionError("the task did not end")


async def test_start_progress_and_completed_reach_the_receiver_signed(
    runtime_factory: Any, harness_opener: Any, loopback: LoopbackServer
) -> None:
    api, client = await live(runtime_factory, harness_opener)
    try:
        accounts = (await api.client.get(
            "/api/admin/accounts", headers={"Authorization": f"Bearer {api.admin_key}"}
        )).json()["data"]
        account_id = next(a["id"] for a in accounts if a["name"] == "default")
        await api.client.post(
            f"/api/admin/accounts/{account_id}/webhook", json={"scheme": "standard",
                                                               "secret": WHSEC},
            headers={"Authorization": f"Bearer {api.admin_key}"},
        )
        made = await api.create({**PROMPT, "callBackUrl": loopback.url("/events"),
                                 "webhookEvents": ["start", "progress", "completed"]})
        assert made.status_code == 200, made.text
        assert "X-Imagegate-Ignored-Fields" not in made.headers
        task_id = made.json()["data"]["taskId"]
        posts = await asyncio.to_thread(loopback.wait_for_posts, "/events", 3)
        bodies = [post.json() for post in posts]
        assert [body.get("event") for body in bodies] == ["start", "progress", None]
        start, progress, final = bodies
        assert (start["code"], start["msg"]) == (200, "start")
        assert start["data"]["taskId"] == task_id and start["data"]["state"] != "success"
        # A progress the record showed while running: past the start's, short of the end.
        assert start["data"]["progress"] < progress["data"]["progress"] < 100
        assert progress["msg"] == "progress" and progress["data"]["state"] == "generating"
        assert final["data"]["state"] == "success"
        ids = set()
        for post in posts:
            assert verify(post.body, post.headers, WHSEC)
            ids.add({k.lower(): v for k, v in post.headers.items()}["webhook-id"])
        assert len(ids) == 3  # one message id per event
    finally:
        await client.aclose()
        await api.runtime.stop()


async def test_without_completed_no_final_callback_and_by_default_only_it(
    runtime_factory: Any, harness_opener: Any, loopback: LoopbackServer
) -> None:
    api, client = await live(runtime_factory, harness_opener)
    try:
        started_only = await api.create({**PROMPT, "callBackUrl": loopback.url("/start"),
                                         "webhookEvents": ["start"]})
        plain = await api.create({**PROMPT, "callBackUrl": loopback.url("/plain")})
        for answer in (started_only, plain):
            await until_ended(api, answer.json()["data"]["taskId"])
        (final,) = await asyncio.to_thread(loopback.wait_for_posts, "/plain", 1)
        assert "event" not in final.json() and final.json()["data"]["state"] == "success"
        (start,) = await asyncio.to_thread(loopback.wait_for_posts, "/start", 1)
        assert start.json()["event"] == "start"
        await asyncio.sleep(0.5)  # time for a final callback that must not come
        assert len(loopback.posts_to("/start")) == 1 and len(loopback.posts_to("/plain")) == 1
        assert await api.runtime.outbox.get(started_only.json()["data"]["taskId"]) is None
    finally:
        await client.aclose()
        await api.runtime.stop()


@pytest.mark.parametrize(
    "events", ["start", [], ["start", "start"], ["done"], [1], {"start": True}]
)
async def test_bad_lists_are_a_422_naming_the_field(api: Any, events: Any) -> None:
    for path in ("/api/v1/jobs/createTask", "/api/v1/jobs/quote"):
        answer = await api.client.post(
            path, json={**PROMPT, "webhookEvents": events}, headers=api.auth
        )
        assert answer.status_code == 422, answer.text
        assert answer.json()["msg"].startswith("webhookEvents: ")


async def test_the_events_are_kept_in_one_order(api: Any) -> None:
    made = await api.create({**PROMPT, "webhookEvents": ["completed", "start"]})
    task = await api.runtime.store.get_task(made.json()["data"]["taskId"])
    assert task.webhook_events == "start,completed"
    assert json.loads(task.param)["webhookEvents"] == ["completed", "start"]  # as sent
