"""``GET /healthz``: answers 200 while the server is up and its database answers."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from imagegate import __version__
from imagegate.api import schemas
from imagegate.api.deps import get_runtime
from imagegate.api.envelope import JSONBody
from imagegate.runtime import Runtime

router = APIRouter(tags=["health"])


_HEALTH = {
    "type": "object", "required": ["status", "version"],
    "properties": {"status": {"const": "ok"}, "version": {"type": "string"}},
}


@router.get(
    "/healthz",
    openapi_extra=schemas.operation(
        {
            "200": {"description": "Up; the database answers",
                    "content": {"application/json": {"schema": _HEALTH}}},
            **schemas.error_responses((), schemas.ref("ErrorV1")),
        },
        security=None,
    ),
)
async def healthz(runtime: Runtime = Depends(get_runtime)) -> Response:
    await runtime.store.ping()
    return JSONBody({"status": "ok", "version": __version__})
