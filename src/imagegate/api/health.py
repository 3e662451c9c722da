"""``GET /healthz``: answers 200 while the server is up and its database answers."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from imagegate import __version__
from imagegate.api.deps import get_runtime
from imagegate.api.envelope import JSONBody
from imagegate.runtime import Runtime

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz(runtime: Runtime = Depends(get_runtime)) -> Response:
    runtime.db.read_now(lambda conn: conn.execute("SELECT 1").fetchone())
    return JSONBody({"status": "ok", "version": __version__})
