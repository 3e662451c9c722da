"""Spec 001 (an OpenAPI document for ideogram/v3-reframe, embedded in a docs page) against
imagegate: its example request is accepted, and imagegate's answers meet its schemas.

Spec 001 documents createTask only; for recordInfo it has just the shared ``ApiResponse``
envelope, which the record must meet too (and imagegate's own documented schema for it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import yaml
from referencing import Registry
from referencing.jsonschema import DRAFT202012

# A copy of the project's spec 001, kept with the tests so a clone alone can run them.
SPEC_001 = Path(__file__).resolve().parents[1] / "data" / "spec_001_ideogram_v3_reframe.txt"
CREATE = "/api/v1/jobs/createTask"


def load_spec_001() -> dict[str, Any]:
    """The OpenAPI YAML of the page: from its ``openapi:`` line to the page's closing prose."""
    lines = SPEC_001.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("openapi:"))
    end = next(
        (i for i in range(start + 1, len(lines)) if lines[i].startswith("To find navigation")),
        len(lines),
    )
    document = yaml.safe_load("\n".join(lines[start:end]))
    assert isinstance(document, dict) and document["openapi"].startswith("3.")
    return document


def validator(document: dict[str, Any], schema: dict[str, Any]) -> Any:
    """A validator of ``schema`` whose ``#/...`` references resolve against ``document``."""
    resource = DRAFT202012.create_resource({**document, "x-checked": schema})
    registry: Registry[Any] = Registry().with_resource("urn:document", resource)
    return jsonschema.Draft202012Validator(
        {"$ref": "urn:document#/x-checked"}, registry=registry
    )


def check(document: dict[str, Any], schema: dict[str, Any], instance: Any) -> None:
    errors = [e.message for e in validator(document, schema).iter_errors(instance)]
    assert not errors, errors


async def test_spec_001_example_is_accepted_and_the_answers_meet_its_schemas(api: Any) -> None:
    spec = load_spec_001()
    operation = spec["paths"][CREATE]["post"]
    media = operation["requestBody"]["content"]["application/json"]
    example = media["example"]
    check(spec, media["schema"], example)  # the example is valid by its own document

    response = await api.create(example)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["code"] == 200 and isinstance(body["data"]["taskId"], str)
    answer = operation["responses"]["200"]["content"]["application/json"]["schema"]
    check(spec, answer, body)

    record = await api.record(body["data"]["taskId"])
    assert record.status_code == 200, record.text
    check(spec, {"$ref": "#/components/schemas/ApiResponse"}, record.json())
    assert record.json()["data"]["taskId"] == body["data"]["taskId"]


async def test_imagegate_documents_spec_001_request_and_answers(api: Any) -> None:
    """imagegate's own /openapi.json accepts spec 001's example as a createTask body and
    documents answers that the real ones meet."""
    spec = load_spec_001()
    example = spec["paths"][CREATE]["post"]["requestBody"]["content"]["application/json"][
        "example"
    ]
    ours = (await api.client.get("/openapi.json")).json()
    operation = ours["paths"][CREATE]["post"]
    check(ours, operation["requestBody"]["content"]["application/json"]["schema"], example)
    response = await api.create(example)
    check(ours, operation["responses"]["200"]["content"]["application/json"]["schema"],
          response.json())
    refused = await api.create({"model": "ideogram/v3-reframe", "input": {}})
    assert refused.status_code == 422
    check(ours, operation["responses"]["422"]["content"]["application/json"]["schema"],
          refused.json())

    record_op = ours["paths"]["/api/v1/jobs/recordInfo"]["get"]
    record = await api.record(response.json()["data"]["taskId"])
    check(ours, record_op["responses"]["200"]["content"]["application/json"]["schema"],
          record.json())
    missing = await api.record("no-such-task")
    assert missing.status_code == 404
    check(ours, record_op["responses"]["404"]["content"]["application/json"]["schema"],
          missing.json())


async def test_docs_page_renders(api: Any) -> None:
    response = await api.client.get("/docs")
    assert response.status_code == 200
    assert "swagger-ui" in response.text and "/openapi.json" in response.text
