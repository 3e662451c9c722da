"""Kie's GPT-4o Image endpoints: ``POST /api/v1/gpt4o-image/generate``,
``GET /api/v1/gpt4o-image/record-info`` and ``POST /api/v1/gpt4o-image/download-url``, adapters
over the one task lifecycle (model ``gpt4o-image``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from imagegate.api import schemas
from imagegate.api.deps import services_of
from imagegate.api.envelope import success
from imagegate.api.files.download_url import fresh_link
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
from imagegate.catalog.models.gpt4o_image import (
    GPT4O_IMAGE,
    GPT4O_IMAGE_NAME,
    PROMPT_OR_FILES_SCHEMA,
    check_prompt_or_files,
)
from imagegate.clock import now_ms
from imagegate.errors import NotFound, ValidationFailed
from imagegate.tasks.state import TaskState
from imagegate.wire import gpt4o_image as wire
from imagegate.wire.legacy import created
from imagegate.wire.states import (
    GPT4O_CREATE_TASK_FAILED,
    GPT4O_GENERATE_FAILED,
    GPT4O_GENERATING,
    GPT4O_SUCCESS,
)
from imagegate.wire.surfaces import Surface
from imagegate.wire.task_view import result_files

router = APIRouter(tags=["gpt4o-image"])

_EXAMPLE = {
    "prompt": "A beautiful sunset over the mountains",
    "size": "1:1",
    "nVariants": 1,
    "callBackUrl": "https://your-callback-url.com/callback",
    "isEnhance": False,
    "enableFallback": False,
}

_RECORD_EXAMPLE = {
    "taskId": "3f1c0e9a2b7d4c8e9f0a1b2c3d4e5f60",
    "paramJson": '{"prompt":"A beautiful sunset over the mountains","size":"1:1"}',
    "completeTime": 1698765432000,
    "response": {"resultUrls": ["https://imagegate.example/files/results/0.png?expires=1&sig=x"]},
    "successFlag": 1,
    "status": GPT4O_SUCCESS,
    "errorCode": None,
    "errorMessage": None,
    "createTime": 1698765400000,
    "progress": "1.00",
    "imageUrl": "https://imagegate.example/files/results/0.png?expires=1&sig=x",
}

_RECORD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "taskId": {"type": "string"},
        "paramJson": {"type": "string", "description": "The create request, as JSON text"},
        "completeTime": {"type": ["integer", "null"], "description": "Epoch milliseconds"},
        "response": {
            "type": ["object", "null"],
            "properties": {"resultUrls": {"type": "array", "items": {"type": "string"}}},
        },
        "successFlag": {"type": "integer", "enum": [0, 1, 2],
                        "description": "0 generating, 1 success, 2 failed"},
        "status": {"type": "string",
                   "enum": [GPT4O_GENERATING, GPT4O_SUCCESS, GPT4O_CREATE_TASK_FAILED,
                            GPT4O_GENERATE_FAILED]},
        "errorCode": {"type": ["integer", "null"]},
        "errorMessage": {"type": ["string", "null"]},
        "createTime": {"type": "integer"},
        "progress": {"type": "string", "description": '"0.00" to "1.00"'},
        # Spec 002's generic field; its status and 0-100 progress would clash with Kie's above.
        "imageUrl": {"type": ["string", "null"],
                     "description": "The first image (spec 002's generic field); null before"
                                    " success"},
    },
}


@router.post(
    "/api/v1/gpt4o-image/generate",
    openapi_extra={
        "parameters": [IDEMPOTENCY_KEY_PARAMETER, *schemas.CREATE_PARAMETERS],
        "requestBody": request_schema(
            GPT4O_IMAGE, {}, _EXAMPLE, rules=(PROMPT_OR_FILES_SCHEMA,)
        ),
        "security": SECURITY,
        "responses": answer_schema(
            {"type": "object", "properties": {"taskId": {"type": "string"}}},
            {"taskId": "3f1c0e9a2b7d4c8e9f0a1b2c3d4e5f60"}, creates=True,
        ),
    },
)
async def generate(request: Request) -> Response:
    """Create a GPT-4o Image task (model ``gpt4o-image``); answers ``data.taskId``."""
    account, body = await read_request(request)
    made = await create_mapped(
        request, account, body, GPT4O_IMAGE_NAME, surface=Surface.GPT4O_IMAGE,
        check=check_prompt_or_files,
    )
    return naming_ignored(success(created(made.task.id)), made.ignored)


@router.get(
    "/api/v1/gpt4o-image/record-info",
    openapi_extra={
        "security": SECURITY,
        "parameters": [TASK_ID_PARAMETER],
        "responses": answer_schema(_RECORD_SCHEMA, _RECORD_EXAMPLE),
    },
)
async def record_info(request: Request) -> Response:
    """A GPT-4o Image task's record: status, successFlag, progress, resultUrls, and spec
    002's imageUrl."""
    task = await read_task(request, (GPT4O_IMAGE_NAME,))
    return success(wire.record(task, services_of(request).signer.url))


_DOWNLOAD_BODY: dict[str, Any] = {
    "type": "object",
    "required": ["taskId", "url"],
    "properties": {
        "taskId": {**schemas.TASK_ID_STRING,
                   "description": "The GPT-4o Image task the image is of"},
        "url": {"type": "string", "format": "uri", "minLength": 1,
                "description": "One of the task's resultUrls (its expiry does not matter)"},
    },
}
_LINK_EXAMPLE = "https://imagegate.example/files/results/0.png?expires=1700001200&sig=x"


@router.post(
    "/api/v1/gpt4o-image/download-url",
    openapi_extra={
        "security": SECURITY,
        "requestBody": schemas.json_body(
            _DOWNLOAD_BODY, {"taskId": "3f1c0e9a2b7d4c8e9f0a1b2c3d4e5f60", "url": _LINK_EXAMPLE}
        ),
        "responses": schemas.responses(
            {"type": "string", "description": "A fresh signed link, valid 20 minutes"},
            errors=(400, 401, 404, 413, 422), example=_LINK_EXAMPLE,
        ),
    },
)
async def download_url(request: Request) -> Response:
    """Kie's "Get Direct Download URL": a fresh 20-minute link to one result of the caller's
    GPT-4o Image task. 404 for a task that is not the caller's or not GPT-4o Image's; 422
    naming ``taskId`` for a task without results (not succeeded), naming ``url`` for a URL
    that is not one of its results or whose file has expired."""
    account, body = await read_request(request)
    task_id = _required_text(body, "taskId")
    url = _required_text(body, "url")
    if len(task_id) > 128:
        raise ValidationFailed("taskId", "must be at most 128 characters")
    services = services_of(request)
    task = await services.store.get_task(task_id, account.id)
    if task is None or task.model != GPT4O_IMAGE_NAME:
        raise NotFound(f"Task not found: {task_id}")
    if task.state is not TaskState.SUCCESS:
        raise ValidationFailed(
            "taskId", f"task {task_id} has no results to download (its state is {task.state})"
        )
    # The link names the file by its key; its signature and expiry are not what is asked
    # about (Kie's url is any link it gave for the image), only whose result it is.
    own = services.signer.own_file_url(url.strip())
    expiry = dict(result_files(task)).get(own.key) if own is not None else None
    if own is None or expiry is None:
        raise ValidationFailed(
            "url", f"is not a result of task {task_id} (send one of its resultUrls)"
        )
    if expiry <= now_ms():
        raise ValidationFailed("url", "names a result that has expired and is no longer kept")
    return success(fresh_link(services, own.key))


def _required_text(body: dict[str, Any], field: str) -> str:
    value = body.get(field)
    if value is None or value == "":
        raise ValidationFailed(field, "is required")
    if not isinstance(value, str):
        raise ValidationFailed(field, "must be a string")
    return value
