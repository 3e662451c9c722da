"""The admin API for the service's switches: maintenance mode and models turned off
(tasks/switches.py). Needs the admin key."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from imagegate.api import schemas
from imagegate.api.admin import _parse
from imagegate.api.auth import require_admin
from imagegate.api.body import read_json_object
from imagegate.api.deps import get_services
from imagegate.api.envelope import success
from imagegate.api.services import Services
from imagegate.catalog import all_models, get_model
from imagegate.errors import ValidationFailed
from imagegate.tasks.switches import SwitchState

router = APIRouter(prefix="/api/admin", tags=["admin"], dependencies=[Depends(require_admin)])

_BODY_LIMIT = 16 * 1024
_ERRORS = (400, 401, 413, 422)


def maintenance_view(state: SwitchState) -> dict[str, Any]:
    return {
        "on": state.maintenance_since is not None,
        "since": state.maintenance_since,
        "message": state.maintenance_message,
    }


def models_view(state: SwitchState, services: Services) -> list[dict[str, Any]]:
    """Every model of the catalog: whether the operator turned it off (and why), and whether
    an engine serves it."""
    return [
        {
            "model": spec.name,
            "enabled": spec.name not in state.disabled_models,
            "reason": state.disabled_models.get(spec.name),
            "served": services.routing.can_serve(spec.name),
        }
        for spec in sorted(all_models(), key=lambda m: m.name)
    ]


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
    {"type": "object", "required": ["model"],
     "properties": {"model": {"type": "string"}, "reason": {"type": ["string", "null"]}}},
    {"model": "qwen/image-edit", "reason": "GPU maintenance until 14:00 UTC"},
)


@router.get("/maintenance", openapi_extra=_doc(_MAINTENANCE))
async def maintenance_status(services: Services = Depends(get_services)) -> Response:
    return success(maintenance_view(await services.switches.read()))


@router.post(
    "/maintenance",
    openapi_extra=_doc(_MAINTENANCE, schemas.json_body(
        {"type": "object", "required": ["on"], "properties": _MAINTENANCE["properties"]},
        {"on": True, "message": "database upgrade, back at 14:00 UTC"},
    )),
)
async def set_maintenance(request: Request, services: Services = Depends(get_services)) -> Response:
    """Maintenance on: createTask answers 455 (HTTP 503) on every API process within a few
    seconds; tasks already created still run and every query still answers. Off: back."""
    body = _parse(MaintenanceBody, await read_json_object(request, _BODY_LIMIT))
    state = await services.switches.set_maintenance(body.on, body.message)
    return success(maintenance_view(state))


@router.get("/models", openapi_extra=_doc(_MODELS))
async def list_models(services: Services = Depends(get_services)) -> Response:
    return success(models_view(await services.switches.read(), services))


async def _switch_model(request: Request, services: Services, enabled: bool) -> Response:
    body = _parse(ModelBody, await read_json_object(request, _BODY_LIMIT))
    if get_model(body.model) is None:
        known = ", ".join(sorted(m.name for m in all_models()))
        raise ValidationFailed("model", f"unknown model {body.model!r} (known models: {known})")
    state = await services.switches.set_model(body.model, enabled, body.reason)
    return success(models_view(state, services))


@router.post("/models/disable", openapi_extra=_doc(_MODELS, _MODEL_BODY))
async def disable_model(request: Request, services: Services = Depends(get_services)) -> Response:
    """Turn a model off: its createTask answers 505 (HTTP 403) naming the model and the
    reason; tasks of it already created still run."""
    return await _switch_model(request, services, False)


@router.post("/models/enable", openapi_extra=_doc(_MODELS, _MODEL_BODY))
async def enable_model(request: Request, services: Services = Depends(get_services)) -> Response:
    return await _switch_model(request, services, True)
