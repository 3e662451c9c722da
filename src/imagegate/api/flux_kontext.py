"""Kie's Flux Kontext endpoints: ``POST /api/v1/flux/kontext/generate`` and
``GET /api/v1/flux/kontext/record-info``, adapters over the one task lifecycle (models
``flux-kontext-pro`` and ``flux-kontext-max``, picked by the body's ``model``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from imagegate.api import schemas
from imagegate.api.deps import services_of
from imagegate.api.envelope import success
from imagegate.api.jobs import naming_ignored
from imagegate.api.legacy import (
    IDEMPOTENCY_KEY_PARAMETER,
    SECURITY,
    TASK_ID_PARAMETER,
    answer_schema,
    create_mapped,
    read_request,
    read_task,
    request_schema,
)
from imagegate.catalog.fields.base import show
from imagegate.catalog.models.flux_kontext import (
    FLUX_KONTEXT_MODELS,
    FLUX_KONTEXT_PRO,
    FLUX_KONTEXT_PRO_NAME,
)
from imagegate.errors import ValidationFailed
from imagegate.wire import flux_kontext as wire
from imagegate.wire.legacy import created
from imagegate.wire.states import (
    FLUX_CREATE_FAILED,
    FLUX_GENERATE_FAILED,
    FLUX_GENERATING,
    FLUX_SUCCESS,
)
from imagegate.wire.surfaces import Surface

router = APIRouter(tags=["flux-kontext"])

_EXAMPLE = {
    "prompt": "A serene mountain landscape at sunset with a lake reflecting the orange sky",
    "aspectRatio": "16:9",
    "outputFormat": "jpeg",
    "promptUpsampling": False,
    "model": "flux-kontext-pro",
    "safetyTolerance": 2,
    "callBackUrl": "https://your-callback-url.com/callback",
}

_MODEL_PROPERTY = {
    "model": {
        "type": "string",
        "enum": list(FLUX_KONTEXT_MODELS),
        "default": FLUX_KONTEXT_PRO_NAME,
        "description": "Which Flux Kontext model runs the task.",
    }
}

_RESULT_URL = "https://imagegate.example/files/results/0.jpg?expires=1&sig=x"
_RECORD_EXAMPLE = {
    "taskId": "3f1c0e9a2b7d4c8e9f0a1b2c3d4e5f60",
    "paramJson": '{"model":"flux-kontext-pro","prompt":"A serene mountain landscape"}',
    "completeTime": 1698765432000,
    "response": {"originImageUrl": _RESULT_URL, "resultImageUrl": _RESULT_URL},
    "successFlag": FLUX_SUCCESS,
    "errorCode": None,
    "errorMessage": None,
    "createTime": 1698765400000,
    "status": "completed",
    "imageUrl": _RESULT_URL,
    "progress": 100,
}

_RECORD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "taskId": {"type": "string"},
        "paramJson": {"type": "string", "description": "The create request, as JSON text"},
        "completeTime": {"type": ["integer", "null"], "description": "Epoch milliseconds"},
        "response": {
            "type": ["object", "null"],
            "properties": {
                "originImageUrl": {"type": "string"},
                "resultImageUrl": {"type": "string"},
            },
        },
        "successFlag": {
            "type": "integer",
            "enum": [FLUX_GENERATING, FLUX_SUCCESS, FLUX_CREATE_FAILED, FLUX_GENERATE_FAILED],
            "description": "0 generating, 1 success, 2 create failed, 3 generate failed",
        },
        "errorCode": {"type": ["integer", "null"]},
        "errorMessage": {"type": ["string", "null"]},
        "createTime": {"type": "integer"},
        # Spec 002's generic fields (its "Response Format"); Kie's Flux record has none of them.
        "status": {"type": "string", "enum": ["pending", "processing", "completed", "failed"]},
        "imageUrl": {"type": ["string", "null"],
                     "description": "resultImageUrl once the task succeeded, else null"},
        "progress": {"type": "integer", "minimum": 0, "maximum": 100},
    },
}


@router.post(
    "/api/v1/flux/kontext/generate",
    openapi_extra={
        "parameters": [IDEMPOTENCY_KEY_PARAMETER, *schemas.CREATE_PARAMETERS],
        "requestBody": request_schema(FLUX_KONTEXT_PRO, _MODEL_PROPERTY, _EXAMPLE),
        "security": SECURITY,
        "responses": answer_schema(
            {"type": "object", "properties": {"taskId": {"type": "string"}}},
            {"taskId": "3f1c0e9a2b7d4c8e9f0a1b2c3d4e5f60"}, creates=True,
        ),
    },
)
async def generate(request: Request) -> Response:
    """Create a Flux Kontext task (``model`` flux-kontext-pro or flux-kontext-max; with
    ``inputImage`` it edits that image); answers ``data.taskId``."""
    account, body = await read_request(request)
    model = body.get("model")
    if model is None:
        model = FLUX_KONTEXT_PRO_NAME
    if not isinstance(model, str) or model not in FLUX_KONTEXT_MODELS:
        raise ValidationFailed(
            "model", f"must be one of {', '.join(FLUX_KONTEXT_MODELS)} (got {show(model)})"
        )
    made = await create_mapped(
        request, account, body, model, surface=Surface.FLUX_KONTEXT, routing_keys=("model",)
    )
    return naming_ignored(success(created(made.task.id)), made.ignored)


@router.get(
    "/api/v1/flux/kontext/record-info",
    openapi_extra={
        "security": SECURITY,
        "parameters": [TASK_ID_PARAMETER],
        "responses": answer_schema(_RECORD_SCHEMA, _RECORD_EXAMPLE),
    },
)
async def record_info(request: Request) -> Response:
    """A Flux Kontext task's record: successFlag and, on success, resultImageUrl; spec 002's
    status, imageUrl and progress beside them."""
    task = await read_task(request, FLUX_KONTEXT_MODELS)
    return success(wire.record(task, services_of(request).signer.url))
