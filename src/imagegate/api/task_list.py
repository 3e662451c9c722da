"""imagegate's additions for an account, beside Kie's jobs API (which has none of them):
``GET /api/v1/jobs/list`` (its tasks, newest first), ``POST /api/v1/jobs/cancelTask`` and
``GET /api/v1/usage`` (what its tasks cost, per model per day). Kie's own endpoints are
unchanged; a cancelled task is a ``fail`` with failCode ``CANCELED``, a state Kie clients know.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from imagegate.accounts.model import Account
from imagegate.accounts.usage import DAY_MS, usage
from imagegate.api import schemas
from imagegate.api.auth import authenticate
from imagegate.api.body import read_json_object
from imagegate.api.deps import services_of
from imagegate.api.envelope import success
from imagegate.api.jobs import task_of_request
from imagegate.api.services import Services
from imagegate.errors import ValidationFailed
from imagegate.tasks.listing import (
    CURSOR_PATTERN,
    MAX_PAGE,
    TaskQuery,
    decode_cursor,
    list_tasks,
)
from imagegate.tasks.model import Task
from imagegate.tasks.state import TaskState
from imagegate.wire import task_list as wire

router = APIRouter(tags=["jobs"])

_STATES = [s.value for s in TaskState]
# Epoch milliseconds, as a filter takes them (up to the year 33658).
_EPOCH_MS: dict[str, Any] = {"type": "integer", "minimum": 0, "maximum": 10**15}

_LISTED_TASK = {
    "allOf": [
        schemas.ref("TaskRecord"),
        {"type": "object", "required": ["consumeCredits"], "properties": {
            "consumeCredits": {"type": "number", "description": (
                "Credits the task costs: its price, or 0 once it failed or was cancelled"
                " (refunded)")},
        }},
    ],
}
_LIST = schemas.operation(
    schemas.responses(
        {"type": "object", "required": ["tasks", "nextCursor"], "properties": {
            "tasks": {"type": "array", "items": _LISTED_TASK},
            "nextCursor": {"type": ["string", "null"],
                           "description": "Pass as ?cursor= for the next page; null on the last"},
        }},
        errors=(401, 422, 429),
    ),
    parameters=[
        {"name": "state", "in": "query", "required": False, "style": "form", "explode": False,
         "description": "Only tasks in these states (comma-separated)",
         "schema": {"type": "array", "items": {"type": "string", "enum": _STATES}},
         "example": ["success", "fail"]},
        {"name": "model", "in": "query", "required": False,
         "description": "Only tasks of this model (a catalog model, or a pass-through one)",
         "schema": {"type": "string", "minLength": 1}},
        {"name": "from", "in": "query", "required": False,
         "description": "Created at or after (epoch ms)", "schema": _EPOCH_MS},
        {"name": "to", "in": "query", "required": False,
         "description": "Created before (epoch ms)", "schema": _EPOCH_MS},
        {"name": "cursor", "in": "query", "required": False,
         "description": "data.nextCursor of the previous page, as given",
         "schema": {"type": "string", "minLength": 1, "pattern": CURSOR_PATTERN}},
        {"name": "limit", "in": "query", "required": False,
         "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 20}},
    ],
)
_CANCEL = schemas.operation(
    schemas.responses(
        {"type": "object", "required": ["taskId", "state", "canceled"], "properties": {
            "taskId": {"type": "string"},
            "state": {"type": "string", "enum": _STATES},
            "canceled": {"type": "boolean", "description": (
                "true: the task has ended (fail, CANCELED, refunded); false: it is generating"
                " and stops at its engine's next step")},
        }},
        errors=(400, 401, 404, 413, 422, 429),
    ),
    body=schemas.json_body(
        {"type": "object", "required": ["taskId"],
         "properties": {"taskId": dict(schemas.TASK_ID_STRING)}},
        {"taskId": "3f1c0e9a2b7d4c8e9f0a1b2c3d4e5f60"},
    ),
)
_USAGE = schemas.operation(
    schemas.responses(
        {"type": "object", "required": ["from", "to", "days", "totalCredits"], "properties": {
            "from": {"type": "string", "format": "date"},
            "to": {"type": "string", "format": "date"},
            "days": {"type": "array", "items": {
                "type": "object",
                "required": ["date", "model", "tasks", "succeeded", "failed", "running",
                             "credits"],
                "properties": {
                    "date": {"type": "string", "format": "date"},
                    "model": {"type": "string"},
                    "tasks": {"type": "integer"}, "succeeded": {"type": "integer"},
                    "failed": {"type": "integer"}, "running": {"type": "integer"},
                    "credits": {"type": "number"},
                },
            }},
            "totalCredits": {"type": "number"},
        }},
        errors=(401, 422, 429),
    ),
    parameters=[
        {"name": "from", "in": "query", "required": False,
         "description": "First day (UTC, YYYY-MM-DD); default 29 days before `to`",
         "schema": {"type": "string", "format": "date"}},
        {"name": "to", "in": "query", "required": False,
         "description": "Last day, included (UTC, YYYY-MM-DD); default today",
         "schema": {"type": "string", "format": "date"}},
    ],
)


async def _caller(request: Request) -> tuple[Services, Account]:
    services = services_of(request)
    account = await authenticate(request, services)
    await services.rate_limits.hit("query", account.id, account.query_rate)
    return services, account


@router.get("/api/v1/jobs/list", openapi_extra=_LIST)
async def list_jobs(request: Request) -> Response:
    """The account's tasks, newest first, ``limit`` at a time; filters by state, model and
    creation time; ``nextCursor`` pages on."""
    services, account = await _caller(request)
    params = request.query_params
    states = tuple(s.strip() for s in params.get("state", "").split(",") if s.strip())
    if unknown := [s for s in states if s not in _STATES]:
        raise ValidationFailed("state", f"unknown state {unknown[0]!r} (one of {_STATES})")
    # Any name filters: a model taken out of the catalog or the routes still has its tasks.
    model = params.get("model") or None
    cursor = params.get("cursor")
    page = await list_tasks(services.store, TaskQuery(
        account_id=account.id, states=states, model=model,
        created_from=_int_param(params.get("from"), "from"),
        created_to=_int_param(params.get("to"), "to"),
        cursor=decode_cursor(cursor) if cursor else None,
        limit=_int_param(params.get("limit"), "limit", low=1, high=MAX_PAGE) or 20,
    ))
    return success(wire.task_page(page.tasks, page.next_cursor, services.signer.url))


@router.post("/api/v1/jobs/cancelTask", openapi_extra=_CANCEL)
async def cancel_job(request: Request) -> Response:
    """Cancel a task: waiting or queued, it ends now (fail, CANCELED, refunded); generating,
    its engine stops at its next step and it ends the same way; finished, 422."""
    services, account = await _caller(request)
    body = await read_json_object(request, 64 * 1024)
    task_id = body.get("taskId")
    if not isinstance(task_id, str) or not task_id or len(task_id) > 128:
        raise ValidationFailed("taskId", "is required: the task's id (at most 128 characters)")
    done = await services.lifecycle.cancel(account.id, task_id)
    # Ended: its callback is due now. Else the worker running it is told: here at once, in a
    # fleet by NOTIFY (or, failing that, at its next heartbeat).
    services.events.publish(done.events)
    return success(wire.cancelled(task_id, done.task.state, done.ended))


@router.get("/api/v1/usage", openapi_extra=_USAGE)
async def account_usage(request: Request) -> Response:
    """What the account's tasks cost, per model per UTC day (by creation day)."""
    services, account = await _caller(request)
    last = _date_param(request.query_params.get("to"), "to") or dt.datetime.now(dt.UTC).date()
    first = _date_param(request.query_params.get("from"), "from") or (
        last - dt.timedelta(days=min(29, (last - dt.date.min).days))  # 0001-01-01 has no past
    )
    # A range that ends before it starts holds no day: an empty answer, not an error.
    # No cap on the span: the answer has a row per day and model that has tasks, bounded by
    # what the account made (and the operator's task retention), not by the range asked.
    start = _epoch_ms(first)
    rows = await usage(services.store, account.id, start, _epoch_ms(last) + DAY_MS)
    return success(wire.usage_data(first, last, rows))


def _int_param(
    value: str | None, name: str, low: int = 0, high: int = 10**15
) -> int | None:
    # Sent empty (``?to=``) is a mistake, not "no filter": the caller meant some value.
    if value is None:
        return None
    try:
        number = int(value)
    except ValueError:
        raise ValidationFailed(name, f"must be an integer (got {value!r})") from None
    if not low <= number <= high:
        raise ValidationFailed(name, f"must be from {low} to {high} (got {number})")
    return number


def _date_param(value: str | None, name: str) -> dt.date | None:
    if value is None:
        return None
    try:
        # Only the document's YYYY-MM-DD (fromisoformat alone also takes 20261207, 2026-W49).
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
            raise ValueError(value)
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(name, f"must be a date YYYY-MM-DD (got {value!r})") from None


def _epoch_ms(day: dt.date) -> int:
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp() * 1000)


DELIVERIES = {
    "type": "object", "required": ["taskId", "state", "attempts"], "properties": {
        "taskId": {"type": "string"},
        "url": {"type": ["string", "null"]},
        "state": {"type": "string", "enum": ["none", "pending", "delivered", "dead"],
                  "description": "none: the task asked for no callback"},
        "nextAttemptAt": {"type": ["integer", "null"], "description": "Epoch ms, if pending"},
        "deliveredAt": {"type": ["integer", "null"]},
        "attempts": {"type": "array", "items": {
            "type": "object", "required": ["attempt", "at", "status", "error", "durationMs"],
            "properties": {
                "attempt": {"type": "integer"}, "at": {"type": "integer"},
                "status": {"type": ["integer", "null"]}, "error": {"type": ["string", "null"]},
                "durationMs": {"type": "integer"},
            },
        }},
    },
}
_DELIVERIES = schemas.operation(
    schemas.responses(DELIVERIES, errors=schemas.QUERY_ERRORS),
    parameters=[schemas.TASK_ID_PARAMETER],
)


async def deliveries(services: Services, task: Task) -> dict[str, Any]:
    """The task's callback and every attempt to deliver it (the janitor keeps them as long
    as the task's record)."""
    row = await services.outbox.get(task.id)
    attempts = await services.outbox.attempts(task.id)
    return wire.deliveries(task, row, attempts)


@router.get("/api/v1/jobs/callbacks", openapi_extra=_DELIVERIES)
async def callback_deliveries(request: Request) -> Response:
    """The account's task's callback: where it goes, its state, and every attempt (time,
    HTTP status or error, duration)."""
    services, task = await task_of_request(request)
    return success(await deliveries(services, task))
