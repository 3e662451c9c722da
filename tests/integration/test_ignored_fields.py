"""Fields a surface does not know are ignored, as Kie ignores them, on every surface, and named
in ``X-Imagegate-Ignored-Fields``; a wrong value of a known field is still a 422 naming it."""

from __future__ import annotations

from typing import Any

import pytest
from test_ideogram_api import LEGACY, V3
from test_ideogram_api import post as ideogram_post

HEADER = "X-Imagegate-Ignored-Fields"


async def post(api: Any, path: str, body: dict[str, Any]) -> Any:
    return await api.client.post(path, json=body, headers=api.auth)


@pytest.mark.parametrize("path", ["/api/v1/jobs/createTask", "/api/v2/jobs/createTask"])
async def test_createtask_ignores_and_names_unknown_keys(api: Any, path: str) -> None:
    body = {"model": "google/nano-banana", "uploadCn": True, "priority": 1,
            "input": {"prompt": "a fox", "uploadCn": False, "image_size": "16:9"}}
    response = await post(api, path, body)
    assert response.status_code == 200, response.text
    assert response.headers[HEADER] == "uploadCn, input.uploadCn"
    data = response.json()["data"]
    task_id = data.get("taskId") or data["task_id"]
    record = (await api.record(task_id)).json()["data"]
    # The task runs on what the model knows; param echoes the request as sent.
    task = await api.runtime.store.get_task(task_id, None)
    assert task is not None and "uploadCn" not in task.input
    assert '"uploadCn":false' in record["param"]


async def test_no_header_when_nothing_was_ignored(api: Any) -> None:
    response = await api.create({"model": "google/nano-banana", "input": {"prompt": "a fox"}})
    assert response.status_code == 200, response.text
    assert HEADER not in response.headers


async def test_a_known_fields_wrong_value_is_still_422(api: Any) -> None:
    body = {"model": "google/nano-banana",
            "input": {"prompt": "a fox", "image_size": "7:5", "uploadCn": 1}}
    response = await api.create(body)
    assert response.status_code == 422, response.text
    assert response.json()["msg"].startswith("input.image_size:")


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/gpt4o-image/generate", {"prompt": "a fox", "uploadCn": True}),
        ("/api/v1/flux/kontext/generate", {"prompt": "a fox", "uploadCn": True}),
        ("/api/v1/google/imagen-4", {"prompt": "a fox", "uploadCn": True}),
        ("/api/v1/bytedance/seedream-v4-text-to-image", {"prompt": "a fox", "uploadCn": True}),
    ],
)
async def test_per_model_endpoints_ignore_and_name_unknown_fields(
    api: Any, path: str, body: dict[str, Any]
) -> None:
    # The clients send uploadCn to GPT-4o Image and Flux Kontext; Kie ignores it.
    response = await post(api, path, body)
    assert response.status_code == 200, response.text
    assert response.json()["code"] == 200
    # Named as the endpoint names its fields: the body's own keys.
    assert response.headers[HEADER] == "uploadCn"


@pytest.mark.parametrize("path", [V3, LEGACY])
async def test_ideogram_forms_ignore_and_name_unknown_fields(live_api: Any, path: str) -> None:
    resolution = "1024x1024" if path == V3 else "RESOLUTION_1024_1024"
    response = await ideogram_post(live_api, path, {"resolution": resolution, "uploadCn": "1"})
    assert response.status_code == 200, response.text
    assert response.headers[HEADER] == "uploadCn"


async def test_the_header_is_ascii_and_bounded(api: Any) -> None:
    junk = {f"k{i}": i for i in range(30)}
    body = {"model": "google/nano-banana", "input": {"prompt": "p", "größe": 1, **junk}}
    response = await api.create(body)
    assert response.status_code == 200, response.text
    named = response.headers[HEADER].split(", ")
    assert named[0] == "input.gr%C3%B6%C3%9Fe"
    assert len(named) == 21 and named[-1] == "... (11 more)"


async def test_the_openapi_document_describes_the_header(api: Any) -> None:
    spec = (await api.client.get("/openapi.json")).json()
    for path in ("/api/v1/jobs/createTask", "/api/v2/jobs/createTask",
                 "/api/v1/gpt4o-image/generate", "/api/v1/flux/kontext/generate",
                 "/api/v1/google/imagen-4"):
        headers = spec["paths"][path]["post"]["responses"]["200"]["headers"]
        assert "ignored" in headers[HEADER]["description"], path
