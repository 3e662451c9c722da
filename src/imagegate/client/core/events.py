"""A task's live events (``GET /api/v1/jobs/events``, Server-Sent Events): the request, and
the stream's lines turned into ``TaskEvent`` objects. Pure: the shells feed the lines they
read (``EventParser.feed``) and stop at the ``record`` event, which ends the stream."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from imagegate.client.core.answers import header, parse_response
from imagegate.client.core.requests import ApiRequest, auth_headers
from imagegate.client.errors import EventsUnavailable, ProtocolError
from imagegate.client.settings import ClientSettings
from imagegate.client.task import Task

EVENTS_PATH = "/api/v1/jobs/events"
FINAL_EVENT = "record"  # recordInfo's data, once the task is finished; the stream ends


@dataclass(frozen=True, slots=True)
class TaskEvent:
    """One event: ``event`` (``state``, ``progress`` or ``record``), its ``id`` (what
    ``Last-Event-ID`` resumes after), and ``data``, its parsed JSON."""

    event: str
    id: str | None
    data: Any

    @property
    def is_final(self) -> bool:
        """The ``record`` event: the task is finished and its stream ends."""
        return self.event == FINAL_EVENT


def events_request(
    settings: ClientSettings, task_id: str, last_event_id: str | None = None
) -> ApiRequest:
    """``GET /api/v1/jobs/events?taskId=`` (resuming after ``last_event_id`` when given)."""
    headers = {**auth_headers(settings), "Accept": "text/event-stream"}
    if last_event_id is not None:
        headers["Last-Event-ID"] = last_event_id
    return ApiRequest(
        "GET", f"{settings.api_at}{EVENTS_PATH}", headers=headers,
        params={"taskId": task_id}, idempotent=True,
    )


@dataclass
class EventParser:
    """The Server-Sent Events grammar over a stream's lines (without their line ends): a
    blank line dispatches the event gathered; comments (``: keep-alive``) and ``retry:`` are
    skipped; ``last_id`` is the id to resume after."""

    last_id: str | None = None
    _event: str = ""
    _data: list[str] = field(default_factory=list)

    def feed(self, line: str) -> TaskEvent | None:
        """The event this line completes, if any."""
        if line == "":
            return self._dispatch()
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            self._event = value
        elif name == "data":
            self._data.append(value)
        elif name == "id" and "\0" not in value:
            self.last_id = value
        return None

    def _dispatch(self) -> TaskEvent | None:
        event, data = self._event or "message", self._data
        self._event, self._data = "", []
        if not data:
            return None
        text = "\n".join(data)
        try:
            parsed: Any = json.loads(text)
        except ValueError:
            parsed = text
        return TaskEvent(event, self.last_id, parsed)


# A stream is silent at most one heartbeat (15 s by default) between lines: four missed ones
# mean the connection is gone.
READ_TIMEOUT = 60.0


def task_after(event: TaskEvent, previous: Task | None) -> Task:
    """The task as ``event`` shows it: the record's whole data, or a state or progress
    merged into what ``previous`` showed."""
    if not isinstance(event.data, dict):
        raise ProtocolError(f"event {event.event!r} carries no object: {event.data!r:.200}")
    if event.is_final or previous is None:
        return Task.from_record(event.data)
    return Task.from_record({**previous.raw, **event.data})


def check_stream(status: int, headers: Mapping[str, str], content: bytes) -> None:
    """An events answer that is no stream: the API error its body names (a 404 where the
    server has no such route, as Kie itself), else ``EventsUnavailable``."""
    if status == 200 and (header(headers, "content-type") or "").startswith(
        "text/event-stream"
    ):
        return
    parse_response(status, headers, content)  # raises the answer's API error, if any
    raise EventsUnavailable(f"the server answered {status} without an event stream")
