"""The admin API for the service's switches: maintenance mode and models turned off
(tasks/switches.py). Needs the admin key."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from imagegate.api import schemas
from imagegate.api.admin import _parse, get_operations
from imagegate.api.admin_operations import AdminOperations
from imagegate.api.auth import require_admin
from imagegate.api.body import read_json_object
from imagegate.api.deps import get_services
from imagegate.api.envelope import success
from imagegate.api.services import Services
from imagegate.catalog import all_models

router = APIRouter(prefix="/api/admin", tags=["admin"], dependencies=[Depends(require_admin)])

_BODY_LIMIT = 16 * 1024
_ERRORS = (400, 401, 413, 422)


def served(models: list[dict[str, Any]], services: Services) -> list[dict[str, Any]]:
    """Every model's switch (admin_views.models_view) with whether an engine serves it."""
    return [{**view, "served": services.routing.can_serve(view["model"])} for view in models]



class MaintenanceBody(BaseModel):
    on: bool
    message: str | None = Field(default=None, max_length=500)


class ModelBody(BaseModel):
    model: str = Field(min_length=1, max_length=100)
    reason: str | None = Field(default=None, max_length=500)


def _doc(data: dict[str, Any], body: dict[str, Any] | None = None) -> dict[str, Any]:
    return schemas.operation(
        schemas.responses(data, errors=_ERRORS), body=body, security=schemas.SECURITY
    )


_MAINTENANCE = {
    "type": "object", "required": ["on"],
    "properties": {"on": {"type": "boolean"}, "since": {"type": ["integer", "null"]},
                   "message": {"type": ["string", "null"]}},
}
_MODELS = {"type": "array", "items": {"type": "object", "properties": {
    "model": {"type": "string"}, "enabled": {"type": "boolean"},
    "reason": {"type": ["string", "null"]}, "served": {"type": "boolean"}}}}
_MODEL_BODY = schemas.json_body(
    {"type": "object", "required": ["model"], "properties": {
        "model": {"type": "string", "enum": sorted(spec.name for spec in all_models())},
        "reason": {"type": ["string", "null"], "maxLength": 500},
    }},
    {"model": "qwen/image-edit", "reason": "GPU maintenance until 14:00 UTC"},
)


@router.get("/maintenance", openapi_extra=_doc(_MAINTENANCE))
async def maintenance_status(ops: AdminOperations = Depends(get_operations)) -> Response:
    return success(await ops.maintenance())


@router.post(
    "/maintenance",
    openapi_extra=_doc(_MAINTENANCE, schemas.json_body(
        {"type": "object", "required": ["on"], "properties": {
            "on": {"type": "boolean"}, "message": {"type": ["string", "null"], "maxLength": 500},
        }},
        {"on": True, "message": "database upgrade, back at 14:00 UTC"},
    )),
)
async def set_maintenance(
    request: Request, ops: AdminOperations = Depends(get_operations)
) -> Response:
    """Maintenance on: createTask answers 455 (HTTP 503) on every API process within a few
    seconds; tasks already created still run and every query still answers. Off: back."""
    body = _parse(MaintenanceBody, await read_json_object(request, _BODY_LIMIT))
    return success(await ops.set_maintenance(body.on, body.message))


@router.get("/models", openapi_extra=_doc(_MODELS))
async def list_models(
    ops: AdminOperations = Depends(get_operations), services: Services = Depends(get_services)
) -> Response:
    return success(served(await ops.models(), services))


async def _switch_model(
    request: Request, ops: AdminOperations, services: Services, enabled: bool
) -> Response:
    body = _parse(ModelBody, await read_json_object(request, _BODY_LIMIT))
    return success(served(await ops.set_model(body.model, enabled, body.reason), services))


@router.post("/models/disable", openapi_extra=_doc(_MODELS, _MODEL_BODY))
async def disable_model(
    request: Request,
    ops: AdminOperations = Depends(get_operations),
    services: Services = Depends(get_services),
) -> Response:
    """Turn a model off: its createTask answers 505 (HTTP 403) naming the model and the
    reason; tasks of it already created still run."""
    return await _switch_model(request, ops, services, False)


@router.post("/models/enable", openapi_extra=_doc(_MODELS, _MODEL_BODY))
async def enable_model(
    request: Request,
    ops: AdminOperations = Depends(get_operations),
    services: Services = Depends(get_services),
) -> Response:
    return await _switch_model(request, ops, services, True)
