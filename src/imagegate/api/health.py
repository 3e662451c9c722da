"""``GET /healthz`` (alive: the process answers) and ``GET /readyz`` (ready to take work: the
database answers, some worker runs the queue, and the queue is not too deep).

A load balancer or Kubernetes restarts a process that fails ``/healthz`` and stops sending
requests to one that fails ``/readyz``; so ``/healthz`` asks nothing of the database (a
database outage must not restart every API process at once), and ``/readyz`` asks everything.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from imagegate import __version__
from imagegate.api import schemas
from imagegate.api.deps import get_services
from imagegate.api.envelope import JSONBody
from imagegate.api.services import Services
from imagegate.tasks.workers_registry import STALE_AFTER_BEATS, live_workers

log = logging.getLogger(__name__)

router = APIRouter(tags=["health"])


_HEALTH = {
    "type": "object", "required": ["status", "version"],
    "properties": {"status": {"const": "ok"}, "version": {"type": "string"}},
}
_CHECK = {"type": "object", "required": ["ok"], "properties": {"ok": {"type": "boolean"}}}
_READY = {
    "type": "object", "required": ["status", "checks"],
    "properties": {
        "status": {"enum": ["ready", "unready"]},
        "failed": {"type": "array", "items": {"enum": ["database", "workers", "queue"]}},
        "checks": {"type": "object", "properties": {
            "database": _CHECK, "workers": _CHECK, "queue": _CHECK,
        }},
    },
}


@router.get(
    "/healthz",
    openapi_extra=schemas.operation(
        {"200": {"description": "The process is up and serving",
                 "content": {"application/json": {"schema": _HEALTH}}}},
        security=None,
    ),
)
async def healthz() -> Response:
    return JSONBody({"status": "ok", "version": __version__})


@router.get(
    "/readyz",
    openapi_extra=schemas.operation(
        {
            "200": {"description": "Ready: every check passed",
                    "content": {"application/json": {"schema": _READY}}},
            "503": {"description": "Not ready: ``failed`` names the checks that failed",
                    "content": {"application/json": {"schema": _READY}}},
        },
        security=None,
    ),
)
async def readyz(services: Services = Depends(get_services)) -> Response:
    checks = await readiness(services)
    failed = [name for name, check in checks.items() if not check["ok"]]
    if failed:
        return JSONBody({"status": "unready", "failed": failed, "checks": checks}, 503)
    return JSONBody({"status": "ready", "checks": checks})


async def readiness(services: Services) -> dict[str, dict[str, Any]]:
    """Each check's outcome; the later checks need the database, so they fail with it."""
    try:
        await services.store.ping()
    except Exception as exc:
        log.warning("readyz: the database does not answer: %s", exc)
        down = {"ok": False, "error": "database unreachable"}
        return {"database": {"ok": False, "error": type(exc).__name__}, "workers": down,
                "queue": down}
    settings = services.settings
    embedded = services.presence.running
    live = [] if embedded else await live_workers(services.workers,
                                                  settings.worker_heartbeat_seconds)
    workers: dict[str, Any] = {"ok": embedded or bool(live), "embedded": embedded,
                               "live": len(live)}
    if not workers["ok"]:
        workers["error"] = (
            "no worker seen in the last"
            f" {STALE_AFTER_BEATS * settings.worker_heartbeat_seconds:g} s"
        )
    waiting = (await services.queue_stats.snapshot()).waiting
    queue: dict[str, Any] = {"ok": waiting < settings.ready_max_queue, "waiting": waiting,
                             "max": settings.ready_max_queue}
    if not queue["ok"]:
        queue["error"] = f"{waiting} tasks waiting (ready_max_queue {settings.ready_max_queue})"
    return {"database": {"ok": True}, "workers": workers, "queue": queue}
