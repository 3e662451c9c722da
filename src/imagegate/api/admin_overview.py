"""``GET /api/admin/overview``: the operator's dashboard in one read. Queue depth and the last
hour's throughput per model, the last day's failures with their messages, each engine's
circuit breaker, the live workers, and the callbacks that fail to arrive. Needs the admin key.

Breakers are this process's own view (each API process keeps its own, engines/breaker.py); the
rest is read from the database, so every process of a fleet answers the same.
"""

from __future__ import annotations

from typing import Any, Final

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from imagegate.api import schemas
from imagegate.api.admin import _BREAKER
from imagegate.api.auth import require_admin
from imagegate.api.deps import get_services
from imagegate.api.envelope import success
from imagegate.api.services import Services
from imagegate.catalog import all_models
from imagegate.clock import now_ms
from imagegate.tasks.overview import ModelWindow
from imagegate.tasks.queue_stats import QueueSnapshot
from imagegate.tasks.workers_registry import live_workers

router = APIRouter(prefix="/api/admin", tags=["admin"], dependencies=[Depends(require_admin)])

THROUGHPUT_WINDOW_MS: Final = 3_600_000
FAILURES_WINDOW_MS: Final = 86_400_000
LIST_LIMIT: Final = 20

_INT = {"type": "integer"}
_TEXT_OR_NULL = {"type": ["string", "null"]}
_MODEL_ROW = {
    "type": "object",
    "required": ["model", "waiting", "queuing", "generating", "oldestWaitingMs", "lastHour"],
    "properties": {
        "model": {"type": "string"}, "waiting": _INT, "queuing": _INT, "generating": _INT,
        "oldestWaitingMs": {"type": ["integer", "null"],
                            "description": "Age of its oldest waiting task"},
        "lastHour": {
            "type": "object", "required": ["created", "succeeded", "failed", "avgCostMs"],
            "description": "Its tasks created in the last hour, by outcome so far",
            "properties": {"created": _INT, "succeeded": _INT, "failed": _INT,
                           "avgCostMs": {"type": ["integer", "null"]}},
        },
    },
}
_FAILURE = {
    "type": "object",
    "required": ["taskId", "accountId", "model", "failCode", "failMsg", "engine", "failedAt"],
    "properties": {
        "taskId": {"type": "string"}, "accountId": {"type": "string"},
        "model": {"type": "string"}, "failCode": _TEXT_OR_NULL, "failMsg": _TEXT_OR_NULL,
        "engine": _TEXT_OR_NULL, "failedAt": _INT,
    },
}
_CALLBACK = {
    "type": "object",
    "required": ["taskId", "accountId", "url", "state", "attempts", "lastStatus", "lastError",
                 "nextAttemptAt"],
    "properties": {
        "taskId": {"type": "string"}, "accountId": {"type": "string"},
        "url": {"type": "string"}, "state": {"type": "string", "enum": ["pending", "dead"]},
        "attempts": _INT, "lastStatus": {"type": ["integer", "null"]},
        "lastError": _TEXT_OR_NULL, "nextAttemptAt": _INT,
    },
}
_WORKER = {
    "type": "object", "required": ["id", "host", "pid", "models", "concurrency", "seenAt"],
    "properties": {
        "id": {"type": "string"}, "host": {"type": "string"}, "pid": _INT,
        "models": {"type": ["array", "null"], "items": {"type": "string"}},
        "concurrency": _INT, "seenAt": _INT,
    },
}
_OVERVIEW = {
    "type": "object",
    "required": ["now", "models", "failures", "engines", "routes", "workers", "callbacks"],
    "properties": {
        "now": _INT,
        "models": {"type": "array", "items": _MODEL_ROW},
        "failures": {"type": "array", "items": _FAILURE,
                     "description": f"The last day's failed tasks, newest first (≤ {LIST_LIMIT})"},
        "engines": {"type": "object", "description": "{engine: its circuit breaker}",
                    "additionalProperties": _BREAKER},
        "routes": {"type": "object", "description": "{model: [engines]} in failover order",
                   "additionalProperties": {"type": "array", "items": {"type": "string"}}},
        "workers": {"type": "array", "items": _WORKER},
        "callbacks": {
            "type": "object", "required": ["failures"],
            "properties": {"failures": {"type": "array", "items": _CALLBACK}},
        },
    },
}
_DOC: Final = schemas.operation(schemas.responses(_OVERVIEW, errors=(401,)))


def _model_rows(
    now: int, snapshot: QueueSnapshot, windows: list[ModelWindow]
) -> list[dict[str, Any]]:
    """One row per catalog model, then any other model the database holds tasks of."""
    by_model = {w.model: w for w in windows}
    names = [spec.name for spec in all_models()]
    names += sorted(({m for _, m in snapshot.counts} | set(by_model)) - set(names))
    rows = []
    for name in names:
        window = by_model.get(name)
        oldest = snapshot.oldest_waiting_ms.get(name)
        rows.append({
            "model": name,
            "waiting": snapshot.counts.get(("waiting", name), 0),
            "queuing": snapshot.counts.get(("queuing", name), 0),
            "generating": snapshot.counts.get(("generating", name), 0),
            "oldestWaitingMs": None if oldest is None else max(0, now - oldest),
            "lastHour": {
                "created": window.created if window else 0,
                "succeeded": window.succeeded if window else 0,
                "failed": window.failed if window else 0,
                "avgCostMs": window.avg_cost_ms if window else None,
            },
        })
    return rows


@router.get("/overview", openapi_extra=_DOC)
async def overview(services: Services = Depends(get_services)) -> Response:
    """The dashboard's data: queue and throughput per model, failures, engines, workers and
    failing callbacks."""
    reader = services.overview
    now = now_ms()
    snapshot = await services.queue_stats.snapshot()
    windows = await reader.window(now - THROUGHPUT_WINDOW_MS)
    failures = await reader.failures(now - FAILURES_WINDOW_MS, LIST_LIMIT)
    callbacks = await reader.callback_failures(LIST_LIMIT)
    workers = await live_workers(services.workers, services.settings.worker_heartbeat_seconds)
    return success({
        "now": now,
        "models": _model_rows(snapshot.now_ms or now, snapshot, windows),
        "failures": [
            {"taskId": f.task_id, "accountId": f.account_id, "model": f.model,
             "failCode": f.fail_code, "failMsg": f.fail_msg, "engine": f.engine,
             "failedAt": f.failed_at}
            for f in failures
        ],
        "engines": {name: view.as_json() for name, view in services.routing.breakers().items()},
        "routes": services.routing.describe(),
        "workers": [
            {"id": w.id, "host": w.host, "pid": w.pid,
             "models": None if w.models is None else list(w.models),
             "concurrency": w.concurrency, "seenAt": w.seen_at}
            for w in workers
        ],
        "callbacks": {"failures": [
            {"taskId": c.task_id, "accountId": c.account_id, "url": c.url, "state": c.state,
             "attempts": c.attempts, "lastStatus": c.last_status, "lastError": c.last_error,
             "nextAttemptAt": c.next_attempt_at}
            for c in callbacks
        ]},
    })
