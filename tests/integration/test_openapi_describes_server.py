"""``/openapi.json`` describes the server it comes from (issue 20, point 6): what the document
allows, the server takes; what the server refuses, the document forbids. The exact requests of
the issue, through HTTP; the whole document against schemathesis's default checks is
test_openapi_fuzz.py's.
"""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.asyncio


async def _document(api: Any) -> dict[str, Any]:
    response = await api.client.get("/openapi.json")
    assert response.status_code == 200
    return dict(response.json())


def _body_schema(doc: dict[str, Any], path: str, media: str = "application/json") -> Any:
    return doc["paths"][path]["post"]["requestBody"]["content"][media]["schema"]


def _parameter(doc: dict[str, Any], path: str, name: str, method: str = "get") -> Any:
    operation = doc["paths"][path][method]
    return next(p for p in operation["parameters"] if p["name"] == name)["schema"]


async def test_required_strings_have_a_minimum_length(api: Any) -> None:
    doc = await _document(api)
    for path in ("/api/v1/jobs/recordInfo", "/api/v1/gpt4o-image/record-info",
                 "/api/v1/flux/kontext/record-info", "/api/v1/jobs/callbacks"):
        assert _parameter(doc, path, "taskId")["minLength"] == 1, path
    assert _body_schema(doc, "/api/v1/jobs/cancelTask")["properties"]["taskId"]["minLength"] == 1
    base64 = _body_schema(doc, "/api/file-base64-upload")["properties"]
    assert base64["base64Data"]["minLength"] >= 1 and base64["uploadPath"]["minLength"] == 1
    by_url = _body_schema(doc, "/api/file-url-upload")["properties"]
    assert by_url["fileUrl"]["minLength"] == 1 and by_url["uploadPath"]["minLength"] == 1
    stream = _body_schema(doc, "/api/file-stream-upload", "multipart/form-data")["properties"]
    assert stream["uploadPath"]["minLength"] == 1
    download = _body_schema(doc, "/api/v1/gpt4o-image/download-url")["properties"]
    assert download["taskId"]["minLength"] == 1 and download["url"]["minLength"] == 1


async def test_an_empty_required_string_is_refused(api: Any) -> None:
    answer = await api.client.get("/api/v1/jobs/recordInfo?taskId=", headers=api.auth)
    assert answer.status_code == 422 and answer.json()["msg"].startswith("taskId")
    answer = await api.client.post(
        "/api/file-base64-upload", json={"base64Data": "", "uploadPath": "x"}, headers=api.auth
    )
    assert answer.status_code == 400 and "base64Data" in answer.json()["msg"]


async def test_to_is_never_negative_and_never_empty(api: Any) -> None:
    doc = await _document(api)
    assert _parameter(doc, "/api/v1/jobs/list", "to")["minimum"] == 0
    assert _parameter(doc, "/api/v1/jobs/list", "from")["minimum"] == 0
    for query in ("to=-5", "to=", "from="):
        answer = await api.client.get(f"/api/v1/jobs/list?{query}", headers=api.auth)
        assert answer.status_code == 422, query
        assert answer.json()["msg"].startswith(query.split("=")[0] + ":"), answer.text
    # The request: an empty usage?to= is a mistake, not "today".
    answer = await api.client.get("/api/v1/usage?to=", headers=api.auth)
    assert answer.status_code == 422 and answer.json()["msg"].startswith("to: must be a date")
    answer = await api.client.get("/api/v1/usage?to=20261207", headers=api.auth)
    assert answer.status_code == 422  # only the document's YYYY-MM-DD


async def test_usage_takes_any_range_the_document_allows(api: Any) -> None:
    # Two dates, each valid: the document cannot compare them, so the server does not refuse
    # by their order or their span. A reversed range holds no day.
    answer = await api.client.get(
        "/api/v1/usage?from=2026-12-07&to=2026-01-01", headers=api.auth
    )
    assert answer.status_code == 200 and answer.json()["data"]["days"] == []
    answer = await api.client.get("/api/v1/usage?from=2000-01-01&to=2030-12-31", headers=api.auth)
    assert answer.status_code == 200
    answer = await api.client.get("/api/v1/usage?to=0001-01-01", headers=api.auth)
    assert answer.status_code == 200 and answer.json()["data"]["from"] == "0001-01-01"


async def test_a_cursor_is_a_position_the_document_can_describe(api: Any) -> None:
    created = []
    for _ in range(3):
        answer = await api.client.post("/api/v1/jobs/createTask", headers=api.auth, json={
            "model": "google/nano-banana", "input": {"prompt": "a lighthouse"}})
        created.append(answer.json()["data"]["taskId"])
    first = (await api.client.get("/api/v1/jobs/list?limit=2", headers=api.auth)).json()["data"]
    cursor = first["nextCursor"]
    doc = await _document(api)
    import re

    assert re.fullmatch(_parameter(doc, "/api/v1/jobs/list", "cursor")["pattern"], cursor)
    second = (await api.client.get(
        "/api/v1/jobs/list", params={"limit": 2, "cursor": cursor}, headers=api.auth
    )).json()["data"]
    listed = [t["taskId"] for t in first["tasks"] + second["tasks"]]
    assert sorted(listed) == sorted(created) and second["nextCursor"] is None
    answer = await api.client.get("/api/v1/jobs/list?cursor=not-a-cursor", headers=api.auth)
    assert answer.status_code == 422 and answer.json()["msg"].startswith("cursor:")
    # A model filter is any name: a model gone from the catalog still has its tasks.
    answer = await api.client.get("/api/v1/jobs/list?model=retired/model", headers=api.auth)
    assert answer.status_code == 200 and answer.json()["data"]["tasks"] == []


async def test_ideogram_routes_document_every_way_they_take_a_key(api: Any) -> None:
    doc = await _document(api)
    for path in ("/reframe", "/v1/ideogram-v3/reframe"):
        schemes = {name for entry in doc["paths"][path]["post"]["security"] for name in entry}
        assert schemes == {"IdeogramApiKey", "BearerAuth", "ApiKeyHeader"}, path
    assert doc["components"]["securitySchemes"]["BearerAuth"]["scheme"] == "bearer"


async def test_a_405_names_the_methods_in_allow(api: Any) -> None:
    for method, path, allowed in (
        ("PUT", "/api/v1/jobs/createTask", "POST"),
        ("DELETE", "/api/v1/jobs/recordInfo", "GET"),
        ("GET", "/v1/ideogram-v3/reframe", "POST"),
    ):
        answer = await api.client.request(method, path, headers=api.auth)
        assert answer.status_code == 405, (method, path)
        assert answer.headers["allow"] == allowed
        # In the surface's own envelope: Kie's {code, msg}, Ideogram's {error}.
        assert answer.json().get("code", 405) == 405 and answer.json().get("error", "x")


async def test_a_blank_key_header_beside_a_valid_one_is_a_conflict(api: Any) -> None:
    body = {"model": "google/nano-banana", "input": {"prompt": "x"}}
    for extra in ({"X-API-KEY": ""}, {"X-API-KEY": "  "}, {"Api-Key": ""}):
        answer = await api.client.post(
            "/api/v1/jobs/createTask", json=body, headers={**api.auth, **extra}
        )
        assert answer.status_code == 401, extra
        assert "different API keys" in answer.json()["msg"]
    answer = await api.client.post("/api/v1/jobs/createTask", json=body, headers={"X-API-KEY": ""})
    assert answer.status_code == 401 and "no API key" in answer.json()["msg"]


async def test_cross_field_rules_are_in_the_document(api: Any) -> None:
    doc = await _document(api)
    gpt4o = _body_schema(doc, "/api/v1/gpt4o-image/generate")
    # "prompt or filesUrl", and one spelling of the image count.
    assert {"anyOf": [
        {"required": ["prompt"], "properties": {"prompt": {"minLength": 1,
                                                           "not": {"type": "null"}}}},
        {"required": ["filesUrl"], "properties": {"filesUrl": {"minItems": 1,
                                                               "not": {"type": "null"}}}},
    ]} in gpt4o["allOf"]
    answer = await api.client.post(
        "/api/v1/gpt4o-image/generate", json={"size": "1:1"}, headers=api.auth
    )
    assert answer.status_code == 422 and answer.json()["msg"].startswith("prompt:")
    # An optional field sent as null is left out, and the document allows null for it.
    flux = _body_schema(doc, "/api/v1/flux/kontext/generate")
    assert "null" in flux["properties"]["aspectRatio"]["type"]
    answer = await api.client.post(
        "/api/v1/flux/kontext/generate", json={"prompt": "a fox", "aspectRatio": None},
        headers=api.auth,
    )
    assert answer.status_code == 200, answer.text
