"""``GET /metrics``: Prometheus's text format, the metrics of ``imagegate.metrics``.

Open by default, as Prometheus endpoints usually are: it tells counts and latencies per model
and engine, never a key, an account or a task. With ``metrics_token`` set it asks for that
token as a Bearer (``IMAGEGATE_METRICS_TOKEN``; Prometheus's ``authorization`` setting).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST

from imagegate import metrics
from imagegate.api import schemas
from imagegate.api.auth import require_metrics_token
from imagegate.api.deps import get_services
from imagegate.api.services import Services
from imagegate.tasks.workers_registry import live_workers

router = APIRouter(tags=["health"])


@router.get(
    "/metrics",
    openapi_extra=schemas.operation(
        {"200": {"description": "Prometheus text exposition format",
                 "content": {"text/plain": {"schema": {"type": "string"}}}}},
        security=None,
    ),
    dependencies=[Depends(require_metrics_token)],
)
async def scrape(services: Services = Depends(get_services)) -> Response:
    # The queue and the workers are read now, from the database: every process shows the
    # whole fleet's queue, whichever one Prometheus reaches.
    snapshot = await services.queue_stats.snapshot()
    live = await live_workers(services.workers, services.settings.worker_heartbeat_seconds)
    return Response(metrics.exposition(snapshot, len(live)), media_type=CONTENT_TYPE_LATEST)
