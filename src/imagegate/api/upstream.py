"""``POST /api/upstream/{provider}/callback``: where a Kie-compatible upstream calls back.

An ``upstream_kie`` provider with ``callbacks = true`` gives its upstream this URL (with a
token derived from imagegate's secret) as the task's ``callBackUrl``. The body only says which
upstream task ended; the engine following that task then reads it from the upstream with the
operator's key, so nothing in the body is trusted (``engines/upstream/events.py``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from imagegate.api import schemas
from imagegate.api.body import parse_json, read_limited
from imagegate.api.deps import get_services
from imagegate.api.envelope import success
from imagegate.api.services import Services
from imagegate.errors import BadRequest, NotFound, Unauthorized

router = APIRouter(tags=["upstream"])

# A Kie callback carries the task's record: a few KB; far more is not a callback.
_MAX_CALLBACK_BYTES = 256 * 1024


def _upstream_task_id(raw: bytes) -> str:
    body: Any = parse_json(raw)
    data = body.get("data") if isinstance(body, dict) else None
    task_id = data.get("taskId") or data.get("task_id") if isinstance(data, dict) else None
    if not isinstance(task_id, str) or not task_id:
        raise BadRequest("Callback body has no data.taskId")
    return task_id


@router.post(
    "/api/upstream/{provider}/callback",
    openapi_extra=schemas.operation(
        schemas.responses(
            {"type": "object", "properties": {"woke": {
                "type": "boolean",
                "description": "Whether an engine in the process that took the callback was"
                " following the task (on PostgreSQL the other processes are told as well)",
            }}},
            errors=(400, 401, 404, 413),
        ),
        body=schemas.json_body(
            {"type": "object", "description": "Kie's callback body: {code, msg, data: {taskId}}"},
            example={"code": 200, "msg": "success", "data": {"taskId": "abc123"}},
        ),
        security=[],
    ),
)
async def upstream_callback(
    provider: str,
    request: Request,
    token: str = Query(description="The provider's callback token, from its callBackUrl"),
    services: Services = Depends(get_services),
) -> Response:
    """An upstream says one of its tasks ended: wake the engine that follows it."""
    if not services.upstreams.knows(provider):
        raise NotFound(f"No upstream provider named {provider!r}")
    if not services.upstreams.check(provider, token):
        raise Unauthorized("Wrong callback token for this provider")
    task_id = _upstream_task_id(await read_limited(request, _MAX_CALLBACK_BYTES))
    return success({"woke": await services.upstreams.called_back(provider, task_id)})
