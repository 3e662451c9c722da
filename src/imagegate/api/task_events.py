"""``GET /api/v1/jobs/events?taskId=``: a task's live events as Server-Sent Events.

Looked up as recordInfo looks its task up (auth, query rate, 404 in the jobs envelope, 422
naming taskId), all before the stream starts. Then the stream sends the current state, and
each time the task may have changed (a wake-up from this process's transitions or, in a fleet,
another process's NOTIFY: tasks/watch.py) it re-reads the row and sends what changed
(wire/task_events.py); it re-reads on a jittered timer as well, so a lost wake-up costs
seconds, not the stream. A comment line keeps an idle stream open through proxies; the stream
ends after the final ``record``. ``Last-Event-ID`` (or ``?lastEventId=``) resumes.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from imagegate.api import schemas
from imagegate.api.jobs import task_of_request
from imagegate.api.services import Services
from imagegate.errors import ValidationFailed
from imagegate.tasks.model import Task
from imagegate.wire import jobs as wire
from imagegate.wire import task_events as sse
from imagegate.wire.surfaces import Surface

router = APIRouter(tags=["jobs"])

_EVENT_ID = {"type": "string", "pattern": "^[0-9]{1,18}$"}
_STREAM_EXAMPLE = (
    "retry: 2000\n\n"
    "id: 17650000000000\nevent: state\n"
    'data: {"taskId":"3f1c","state":"waiting","progress":0,"updateTime":1765000000000}\n\n'
    ": keep-alive\n\n"
    "id: 17650000012340\nevent: state\n"
    'data: {"taskId":"3f1c","state":"generating","progress":10,"updateTime":1765000001234}\n\n'
    'id: 17650000042341\nevent: progress\ndata: {"taskId":"3f1c","progress":55}\n\n'
    "id: 17650000090000\nevent: state\n"
    'data: {"taskId":"3f1c","state":"success","progress":100,"updateTime":1765000009000}\n\n'
    'id: 17650000090002\nevent: record\ndata: {"taskId":"3f1c","state":"success", ...}\n\n'
)
_ONE_EVENT: dict[str, Any] = {
    "type": "object", "required": ["event", "data", "id"],
    "description": "One event of the stream, e.g.\n\n```\n" + _STREAM_EXAMPLE + "```",
    "properties": {
        "event": {"type": "string", "enum": ["state", "progress", "record"]},
        "id": {**_EVENT_ID, "description": "Grows along the task's events; Last-Event-ID"},
        "data": {
            "type": "string", "contentMediaType": "application/json",
            "description": "One JSON line: state {taskId, state, progress, updateTime};"
                           " progress {taskId, progress}; record: recordInfo's data",
        },
        "retry": {"type": "integer", "minimum": 0},
    },
}
_ONE_EVENT_EXAMPLE = {
    "id": "17650000012340", "event": "state",
    "data": '{"taskId":"3f1c","state":"generating","progress":10,"updateTime":1765000001234}',
}
_EVENTS: dict[str, Any] = schemas.operation(
    {
        "200": {
            "description": (
                "Server-Sent Events, one JSON line per event: `state` (taskId, state,"
                " progress, updateTime) at the start and on every state change, `progress`"
                " (taskId, progress) while generating, `record` (recordInfo's data) once"
                " finished, after which the stream ends; `: keep-alive` comments every"
                " IMAGEGATE_EVENTS_HEARTBEAT_SECONDS (15). Ids grow along the task's events."
            ),
            "headers": {
                "Cache-Control": {"schema": {"type": "string", "const": "no-cache"}},
                "X-Accel-Buffering": {"schema": {"type": "string", "const": "no"}},
            },
            # Before OpenAPI 3.2's itemSchema, an event stream's schema is one event's.
            "content": {"text/event-stream": {
                "schema": _ONE_EVENT, "example": _ONE_EVENT_EXAMPLE,
            }},
        },
        **schemas.error_responses(schemas.QUERY_ERRORS, schemas.ref("ErrorV1")),
    },
    parameters=[
        schemas.TASK_ID_PARAMETER,
        {"name": "Last-Event-ID", "in": "header", "required": False, "schema": dict(_EVENT_ID),
         "description": "Resume: only events newer than this id (the current state if it"
                        " changed since; always the final record of a finished task)"},
        {"name": "lastEventId", "in": "query", "required": False, "schema": dict(_EVENT_ID),
         "description": "Last-Event-ID as a query parameter (the header wins)"},
    ],
)


@router.get("/api/v1/jobs/events", openapi_extra=_EVENTS, response_class=StreamingResponse)
async def task_events(request: Request) -> Response:
    """A task's live events (the module's docstring says what and when)."""
    raw = request.headers.get("last-event-id")
    name = "Last-Event-ID"
    if raw is None:
        raw, name = request.query_params.get("lastEventId"), "lastEventId"
    services, task = await task_of_request(request)
    try:
        after = sse.parse_last_event_id(raw)
    except ValueError:
        raise ValidationFailed(name, "must be an event id this stream gave (digits)") from None
    if after is not None and after >= 10**18:
        raise ValidationFailed(name, "must be an event id this stream gave (digits)")
    return StreamingResponse(
        _stream(services, task, sse.Shown(after)),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def record_of(services: Services, task: Task) -> dict[str, Any]:
    """recordInfo's ``data`` for the task, as its surface shows it."""
    if task.surface is Surface.JOBS_V2:
        return wire.record_data_v2(task, services.signer.url)
    return wire.record_data(task, services.signer.url)


async def _stream(services: Services, task: Task, shown: sse.Shown) -> AsyncIterator[bytes]:
    settings = services.settings
    beat_every = settings.events_heartbeat_seconds
    recheck = settings.events_recheck_seconds
    loop = asyncio.get_running_loop()
    yield sse.preamble()
    with services.watch.watching(task.id) as woken:
        next_beat = loop.time() + beat_every
        while True:
            out = b"".join(
                e.encode() for e in shown.events(task, partial(record_of, services, task))
            )
            if out:
                yield out
                next_beat = loop.time() + beat_every
            if task.state.is_terminal:
                return
            # Asleep until woken or the timer's re-read (jittered, so that streams opened
            # together do not all read at one instant) or heartbeat is due: one timer, and
            # every wake-up re-reads, so an idle stream costs one wake-up per period.
            due = min(next_beat, loop.time() + recheck * random.uniform(0.75, 1.25))
            if not woken.is_set():
                timer = loop.call_at(due, woken.set)
                try:
                    await woken.wait()
                finally:
                    timer.cancel()
            woken.clear()
            # A heartbeat due within the timer's jitter goes now, rather than a wake-up later.
            if loop.time() >= next_beat - beat_every / 4:
                yield sse.KEEP_ALIVE
                next_beat = loop.time() + beat_every
            fresh = await services.store.get_task(task.id)
            if fresh is None:  # deleted past its retention while watched: nothing more to say
                return
            task = fresh
