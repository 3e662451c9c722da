"""The operator's view of a task's callback (any account's): every delivery attempt, and
``redeliver`` to send it again on demand (a receiver that was down, or lost it). Needs the
admin key."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from imagegate.api import schemas
from imagegate.api.auth import require_admin
from imagegate.api.deps import get_services
from imagegate.api.envelope import success
from imagegate.api.services import Services
from imagegate.api.task_list import DELIVERIES, deliveries
from imagegate.errors import NotFound, ValidationFailed
from imagegate.tasks.events import CallbackQueued

router = APIRouter(prefix="/api/admin", tags=["admin"], dependencies=[Depends(require_admin)])

_DOC = schemas.operation(
    schemas.responses(DELIVERIES, errors=(401, 404)), security=schemas.SECURITY
)
_REDELIVER_DOC = schemas.operation(
    schemas.responses(DELIVERIES, errors=(401, 404, 422)), security=schemas.SECURITY
)


@router.get("/tasks/{task_id}/callbacks", openapi_extra=_DOC)
async def task_callbacks(task_id: str, services: Services = Depends(get_services)) -> Response:
    task = await services.store.get_task(task_id)
    if task is None:
        raise NotFound(f"Task not found: {task_id}")
    return success(await deliveries(services, task))


@router.post("/tasks/{task_id}/callbacks/redeliver", openapi_extra=_REDELIVER_DOC)
async def redeliver(task_id: str, services: Services = Depends(get_services)) -> Response:
    """Queue the task's callback again (pending now, a fresh budget of attempts), whatever
    became of it; the answer is its state after queueing."""
    task = await services.store.get_task(task_id)
    if task is None:
        raise NotFound(f"Task not found: {task_id}")
    if not await services.outbox.redeliver(task_id):
        raise ValidationFailed(
            "taskId", f"task {task_id} has no callback to send (no callBackUrl, or not finished)"
        )
    services.events.publish((CallbackQueued(task_id),))
    return success(await deliveries(services, task))
