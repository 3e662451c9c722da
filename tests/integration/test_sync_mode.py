"""``sync_mode`` (spec 004): createTask waits for the task's end and answers its outcome beside
the task id; without it, or past the wait, it answers at once as Kie does."""

from __future__ import annotations

from typing import Any

import pytest
from test_api_jobs_models import wait_terminal


def edit(loopback: Any, **extra: Any) -> dict[str, Any]:
    return {"model": "qwen/image-edit",
            "input": {"prompt": "make it blue", "image_url": loopback.serve_image("/s.png"),
                      "image_size": "square", **extra}}  # fmt: skip


async def test_sync_mode_answers_with_the_result(live_api: Any, loopback: Any) -> None:
    response = await live_api.create(edit(loopback, sync_mode=True))
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["state"] == "success", data
    assert len(data["resultUrls"]) == 1
    image = await live_api.client.get(data["resultUrls"][0].removeprefix("http://testserver"))
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    record = await wait_terminal(live_api, data["taskId"])
    assert record["state"] == "success"


async def test_sync_mode_reports_a_failure(live_api: Any, loopback: Any) -> None:
    body = edit(loopback, sync_mode=True)
    body["input"]["image_url"] = loopback.url("/missing.png")
    response = await live_api.client.post(
        "/api/v2/jobs/createTask", json=body, headers=live_api.auth
    )
    data = response.json()["data"]
    assert data["state"] == "fail" and data["failCode"] == "422", data
    assert data["failMsg"].startswith("input.image_url")


@pytest.mark.parametrize("extra", [{}, {"sync_mode": False}])
async def test_without_sync_mode_the_answer_is_immediate(
    api: Any, loopback: Any, extra: dict[str, Any]
) -> None:
    # No worker runs here: an answer that waited would never come.
    response = await api.create(edit(loopback, **extra))
    assert response.status_code == 200, response.text
    assert set(response.json()["data"]) == {"taskId", "recordId"}


async def test_past_the_wait_it_answers_the_state_reached(
    harness_opener: Any, runtime_factory: Any, loopback: Any
) -> None:
    # No worker: the task stays waiting, and the answer comes after the wait.
    runtime = runtime_factory(database_url="memory://", sync_mode_wait_seconds=0.2)
    api, client = await harness_opener(runtime, start=False)
    async with client:
        response = await api.create(edit(loopback, sync_mode=True))
    data = response.json()["data"]
    assert response.status_code == 200 and data["state"] == "waiting", data
