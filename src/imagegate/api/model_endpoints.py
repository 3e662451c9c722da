"""Spec 002's per-model endpoints for Seedream 4.0, Imagen 4 and Ideogram V3 / Character.

Each model has its own pair of paths: ``POST /api/v1/<path>`` takes the model's input as a flat
JSON body (plus ``callBackUrl``) and creates an ordinary task of that model through the jobs
API's one create path; ``GET /api/v1/<path>/record-info?taskId=`` answers spec 002's shape:
``{taskId, status (pending | processing | completed | failed), imageUrl, progress}``. Nothing
else differs from a task created with ``/api/v1/jobs/createTask``: same validation, credits,
engines, callbacks and record.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final

from fastapi import APIRouter, Request
from fastapi.responses import Response

from imagegate.api import schemas
from imagegate.api.envelope import success
from imagegate.api.jobs import naming_ignored, task_of_request
from imagegate.api.legacy import create_mapped, read_request
from imagegate.catalog import get_model
from imagegate.wire import model_endpoints as wire
from imagegate.wire.legacy import created
from imagegate.wire.states import SPEC_002_STATUS
from imagegate.wire.surfaces import Surface

router = APIRouter(tags=["model endpoints (spec 002)"])


@dataclass(frozen=True, slots=True)
class ModelEndpoint:
    """One model's pair of paths (``path`` and ``path/record-info``)."""

    path: str
    model: str


ENDPOINTS: Final = (
    ModelEndpoint(
        "/api/v1/bytedance/seedream-v4-text-to-image", "bytedance/seedream-v4-text-to-image"
    ),
    ModelEndpoint("/api/v1/google/imagen-4-ultra", "google/imagen4-ultra"),
    ModelEndpoint("/api/v1/google/imagen-4", "google/imagen4"),
    ModelEndpoint("/api/v1/google/imagen-4-fast", "google/imagen4-fast"),
    ModelEndpoint("/api/v1/ideogram/v3-text-to-image", "ideogram/v3-text-to-image"),
    ModelEndpoint("/api/v1/ideogram/character", "ideogram/character"),
)

_SECURITY: Final[list[dict[str, list[str]]]] = [{"ApiKeyHeader": []}, {"BearerAuth": []}]


def _generate(endpoint: ModelEndpoint) -> Callable[[Request], Awaitable[Response]]:
    async def generate(request: Request) -> Response:
        account, body = await read_request(request)
        made = await create_mapped(
            request, account, body, endpoint.model, surface=Surface.MODEL_ENDPOINTS
        )
        return naming_ignored(success(created(made.task.id)), made.ignored)

    generate.__doc__ = f"Create a {endpoint.model} task from its input (spec 002)."
    return generate


def _record_info(endpoint: ModelEndpoint) -> Callable[[Request], Awaitable[Response]]:
    async def record_info(request: Request) -> Response:
        services, task = await task_of_request(request, models=(endpoint.model,))
        return success(wire.record(task, services.signer.url))

    record_info.__doc__ = f"A {endpoint.model} task's status, image and progress (spec 002)."
    return record_info


_RECORD_SCHEMA: Final = {
    "type": "object",
    "required": ["taskId", "status", "imageUrl", "progress"],
    "properties": {
        "taskId": {"type": "string"},
        "model": {"type": "string"},
        "status": {"type": "string", "enum": sorted(set(SPEC_002_STATUS.values()))},
        "imageUrl": {"type": ["string", "null"]},
        "imageUrls": {"type": "array", "items": {"type": "string"}},
        "progress": {"type": "integer", "minimum": 0, "maximum": 100},
        "failCode": {"type": ["string", "null"]},
        "failMsg": {"type": ["string", "null"]},
        "createTime": {"type": "integer"},
        "completeTime": {"type": ["integer", "null"]},
    },
}


def _generate_doc(model: str) -> dict[str, Any]:
    spec = get_model(model)
    if spec is None:
        raise LookupError(f"spec 002 endpoint for {model}, which is not in the catalog")
    return schemas.operation(
        schemas.responses(schemas.TASK_ID_DATA, errors=schemas.JOBS_ERRORS, creates=True),
        body=schemas.json_body(schemas.flat_body(spec), spec.example),
        parameters=[schemas.IDEMPOTENCY_KEY_PARAMETER, *schemas.CREATE_PARAMETERS],
        security=_SECURITY,
    )


_RECORD_INFO_DOC: Final = schemas.operation(
    schemas.responses(_RECORD_SCHEMA, errors=schemas.QUERY_ERRORS),
    parameters=[schemas.TASK_ID_PARAMETER],
    security=_SECURITY,
)

for _endpoint in ENDPOINTS:
    router.add_api_route(
        _endpoint.path,
        _generate(_endpoint),
        methods=["POST"],
        name=f"generate {_endpoint.model}",
        openapi_extra=_generate_doc(_endpoint.model),
    )
    router.add_api_route(
        f"{_endpoint.path}/record-info",
        _record_info(_endpoint),
        methods=["GET"],
        name=f"record-info {_endpoint.model}",
        openapi_extra=_RECORD_INFO_DOC,
    )
