"""``POST /api/v1/gpt4o-image/download-url`` in-process, as Kie's GPT-4o clients call it
(``{taskId, url}`` → ``data`` a fresh link): only a result of the caller's own GPT-4o Image
task gets one; everything else is refused in Kie's envelope, naming the field."""

from __future__ import annotations

import asyncio
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

GENERATE = "/api/v1/gpt4o-image/generate"
RECORD = "/api/v1/gpt4o-image/record-info"
DOWNLOAD = "/api/v1/gpt4o-image/download-url"


async def generate(api: Any, body: dict[str, Any], auth: dict[str, str] | None = None) -> str:
    answer = await api.client.post(GENERATE, json=body, headers=auth or api.auth)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["data"]["taskId"])


async def result_urls(api: Any, task_id: str) -> list[str]:
    for _ in range(100):
        data = (await api.client.get(RECORD, params={"taskId": task_id}, headers=api.auth)).json()
        if data["data"]["successFlag"] != 0:
            assert data["data"]["status"] == "SUCCESS", data
            return list(data["data"]["response"]["resultUrls"])
        await asyncio.sleep(0.11)
    raise AssertionError(f"task {task_id} did not finish")


async def download_url(api: Any, body: Any, auth: dict[str, str] | None = None) -> Any:
    return await api.client.post(DOWNLOAD, json=body, headers=auth or api.auth)


def refused(answer: Any, code: int, starts: str) -> None:
    assert answer.status_code == code, answer.text
    body = answer.json()
    assert (body["code"], body["data"]) == (code, None), body
    assert body["msg"].startswith(starts), body


def path_of(url: str) -> str:
    return urlsplit(url).path


async def test_each_result_gets_a_fresh_twenty_minute_link(live_api: Any) -> None:
    task_id = await generate(live_api, {"prompt": "x", "nVariants": 2})
    urls = await result_urls(live_api, task_id)
    for url in urls:
        before = time.time()
        answer = await download_url(live_api, {"taskId": task_id, "url": url})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert (body["code"], body["msg"]) == (200, "success")
        link = body["data"]
        assert isinstance(link, str) and path_of(link) == path_of(url)
        expires = int(parse_qs(urlsplit(link).query)["expires"][0])
        assert before + 20 * 60 - 2 <= expires <= time.time() + 20 * 60 + 1
        original = await live_api.client.get(url.removeprefix("http://testserver"))
        fresh = await live_api.client.get(link.removeprefix("http://testserver"))
        assert fresh.status_code == 200 and fresh.content == original.content


async def test_a_url_that_is_not_a_result_of_the_task_is_422_naming_url(
    live_api: Any, loopback: Any
) -> None:
    first = await generate(live_api, {"prompt": "x"})
    second = await generate(live_api, {"prompt": "y"})
    [first_url] = await result_urls(live_api, first)
    await result_urls(live_api, second)
    # Another task's result, a foreign URL, and an upload of the caller's: none is its result.
    upload = await live_api.client.post("/api/file-base64-upload", headers=live_api.auth, json={
        "base64Data": "aGVsbG8=", "uploadPath": "x", "fileName": "a.txt",
    })
    for url in (first_url, "https://example.com/result.png", upload.json()["data"]["downloadUrl"]):
        refused(await download_url(live_api, {"taskId": second, "url": url}), 422, "url: ")


async def test_a_task_of_another_model_or_account_is_404(live_api: Any) -> None:
    flux = await live_api.client.post(
        "/api/v1/flux/kontext/generate", json={"prompt": "x"}, headers=live_api.auth
    )
    flux_id = flux.json()["data"]["taskId"]
    refused(await download_url(live_api, {"taskId": flux_id, "url": "https://e/x.png"}),
            404, "Task not found")

    task_id = await generate(live_api, {"prompt": "x"})
    [url] = await result_urls(live_api, task_id)
    made = await live_api.client.post(
        "/api/admin/accounts", json={"name": "other", "credits": 10},
        headers={"Authorization": f"Bearer {live_api.admin_key}"},
    )
    other = {"Authorization": f"Bearer {made.json()['data']['apiKey']}"}
    refused(await download_url(live_api, {"taskId": task_id, "url": url}, other),
            404, "Task not found")
    refused(await download_url(live_api, {"taskId": "nope", "url": url}), 404, "Task not found")


async def test_a_task_without_results_is_422_naming_task_id(api: Any) -> None:
    task_id = await generate(api, {"prompt": "x"})  # no worker: it stays waiting
    answer = await download_url(api, {"taskId": task_id, "url": "https://e/x.png"})
    refused(answer, 422, "taskId: ")
    assert "waiting" in answer.json()["msg"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "https://e/x.png"}, "taskId: is required"),
        ({"taskId": "", "url": "https://e/x.png"}, "taskId: is required"),
        ({"taskId": 5, "url": "https://e/x.png"}, "taskId: must be a string"),
        ({"taskId": "t" * 129, "url": "https://e/x.png"}, "taskId: must be at most 128"),
        ({"taskId": "t"}, "url: is required"),
        ({"taskId": "t", "url": ["x"]}, "url: must be a string"),
    ],
)
async def test_missing_or_wrong_fields_are_422_naming_the_field(
    api: Any, body: dict[str, Any], field: str
) -> None:
    refused(await download_url(api, body), 422, field)


async def test_no_key_is_401_and_a_non_object_body_is_400(api: Any) -> None:
    refused(await api.client.post(DOWNLOAD, json={"taskId": "t", "url": "u"}), 401,
            "Authentication failed")
    refused(await download_url(api, ["taskId"]), 400, "")


async def test_an_expired_result_is_422_naming_url(
    harness_opener: Any, runtime_factory: Any
) -> None:
    # Results kept 0.36 s: the task's file has expired by the time the link is asked for.
    runtime = runtime_factory(database_url="memory://", result_retention_hours=0.0001)
    harness, client = await harness_opener(runtime, start=True)
    async with client:
        task_id = await generate(harness, {"prompt": "x"})
        [url] = await result_urls(harness, task_id)
        await asyncio.sleep(0.5)
        answer = await download_url(harness, {"taskId": task_id, "url": url})
        refused(answer, 422, "url: ")
        assert "expired" in answer.json()["msg"]
    await runtime.worker.stop()
    await runtime.callbacks.stop()
    await runtime.janitor.stop()
    await runtime.deadlines.stop()


async def test_openapi_documents_the_endpoint(api: Any) -> None:
    operation = (await api.client.get("/openapi.json")).json()["paths"][DOWNLOAD]["post"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert schema["required"] == ["taskId", "url"]
    assert {"200", "401", "404", "422"} <= set(operation["responses"])
