"""``GET /metrics``: Prometheus's text format, the metrics of ``imagegate.metrics``.

Unauthenticated, as Prometheus scrapes: it tells counts and latencies per model and engine,
never a key, an account or a task. Put it behind the network's own fence where that matters.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST

from imagegate import metrics
from imagegate.api import schemas
from imagegate.api.deps import get_runtime
from imagegate.runtime import Runtime
from imagegate.worker.presence import live_workers

router = APIRouter(tags=["health"])


@router.get(
    "/metrics",
    openapi_extra=schemas.operation(
        {"200": {"description": "Prometheus text exposition format",
                 "content": {"text/plain": {"schema": {"type": "string"}}}}},
        security=None,
    ),
)
async def scrape(runtime: Runtime = Depends(get_runtime)) -> Response:
    # The queue and the workers are read now, from the database: every process shows the
    # whole fleet's queue, whichever one Prometheus reaches.
    snapshot = await runtime.queue_stats.snapshot()
    live = await live_workers(runtime.workers, runtime.settings.worker_heartbeat_seconds)
    return Response(metrics.exposition(snapshot, len(live)), media_type=CONTENT_TYPE_LATEST)
