"""The three ways a Kie-compatible API sells a model, as ``upstream_kie`` speaks them.

Most models are on the jobs API (``/api/v1/jobs/createTask``, ``/api/v2`` for
nano-banana-pro, ``recordInfo``); GPT-4o Image and Flux Kontext have endpoints of their own
with their own records (provider notes). Each ``Surface`` builds the create and record
requests and reads a record into the client's ``Task`` (state, result links, fail code and
message, progress), so the engine follows every model the same way. The task's input goes up
as it is: imagegate's catalog uses each surface's own field names.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from imagegate.client import core
from imagegate.client.errors import ProtocolError
from imagegate.client.settings import ClientSettings
from imagegate.client.task import Task, TaskState
from imagegate.wire.states import (
    FLUX_CREATE_FAILED,
    FLUX_GENERATE_FAILED,
    FLUX_GENERATING,
    FLUX_SUCCESS,
    GPT4O_CREATE_TASK_FAILED,
    GPT4O_GENERATE_FAILED,
    GPT4O_GENERATING,
    GPT4O_SUCCESS,
)

GPT4O_IMAGE = "gpt4o-image"
FLUX_KONTEXT = frozenset({"flux-kontext-pro", "flux-kontext-max"})


@dataclass(frozen=True)
class Surface:
    """One API surface: its create and record paths, the create body, the record reader."""

    create_path: str
    record_path: str
    body: Callable[[str, Mapping[str, Any]], dict[str, Any]]
    read: Callable[[Any], Task]

    def create(self, settings: ClientSettings, model: str, input: Mapping[str, Any], *,
               callback_url: str | None, idempotency_key: str) -> core.ApiRequest:
        body = self.body(model, input)
        if callback_url:
            body["callBackUrl"] = callback_url
        return core.ApiRequest(
            "POST", f"{settings.api_at}{self.create_path}",
            headers={**core.auth_headers(settings), core.IDEMPOTENCY_HEADER: idempotency_key},
            json=body, idempotent=True,
        )

    def record(self, settings: ClientSettings, task_id: str) -> core.ApiRequest:
        return core.ApiRequest(
            "GET", f"{settings.api_at}{self.record_path}", headers=core.auth_headers(settings),
            params={"taskId": task_id}, idempotent=True,
        )

    @property
    def create_name(self) -> str:
        return self.create_path.rsplit("/", 1)[-1]

    @property
    def record_name(self) -> str:
        return self.record_path.rsplit("/", 1)[-1]


def _record_of(data: Any) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise ProtocolError(f"task record is not an object: {data!r:.200}")
    task_id = data.get("taskId")
    if not isinstance(task_id, str) or not task_id:
        raise ProtocolError(f"task record has no taskId: {dict(data)!r:.200}")
    return data


def _failed(task_id: str, data: Mapping[str, Any]) -> Task:
    code = data.get("errorCode")
    message = data.get("errorMessage")
    return Task(
        task_id=task_id, state=TaskState.FAIL,
        fail_code=None if code in (None, "") else str(code),
        fail_msg=message if isinstance(message, str) and message else None, raw=dict(data),
    )


def _response(data: Mapping[str, Any]) -> Mapping[str, Any]:
    response = data.get("response")
    return response if isinstance(response, Mapping) else {}


def _read_gpt4o(data: Any) -> Task:
    """``status`` GENERATING | SUCCESS | CREATE_TASK_FAILED | GENERATE_FAILED; ``progress``
    "0.00"-"1.00"; ``response.resultUrls``."""
    record = _record_of(data)
    task_id = str(record["taskId"])
    status = record.get("status")
    if status in (GPT4O_CREATE_TASK_FAILED, GPT4O_GENERATE_FAILED):
        return _failed(task_id, record)
    if status == GPT4O_SUCCESS:
        urls = _response(record).get("resultUrls")
        if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
            raise ProtocolError(f"task {task_id} succeeded without resultUrls")
        return Task(task_id=task_id, state=TaskState.SUCCESS, result_urls=tuple(urls),
                    raw=dict(record))
    if status != GPT4O_GENERATING:
        raise ProtocolError(f"task {task_id} has an unknown status {status!r}")
    try:
        progress: int | None = round(float(record.get("progress") or 0) * 100)
    except (TypeError, ValueError):
        progress = None
    return Task(task_id=task_id, state=TaskState.GENERATING, progress=progress,
                raw=dict(record))


def _read_flux(data: Any) -> Task:
    """``successFlag`` 0 generating, 1 success, 2 create failed, 3 generate failed;
    ``response.resultImageUrl``."""
    record = _record_of(data)
    task_id = str(record["taskId"])
    flag = record.get("successFlag")
    if flag in (FLUX_CREATE_FAILED, FLUX_GENERATE_FAILED):
        return _failed(task_id, record)
    if flag == FLUX_SUCCESS:
        url = _response(record).get("resultImageUrl")
        if not isinstance(url, str) or not url:
            raise ProtocolError(f"task {task_id} succeeded without resultImageUrl")
        return Task(task_id=task_id, state=TaskState.SUCCESS, result_urls=(url,),
                    raw=dict(record))
    if flag != FLUX_GENERATING:
        raise ProtocolError(f"task {task_id} has an unknown successFlag {flag!r}")
    return Task(task_id=task_id, state=TaskState.GENERATING, raw=dict(record))


def _jobs_body(model: str, input: Mapping[str, Any]) -> dict[str, Any]:
    return {"model": model, "input": dict(input)}


JOBS_V1 = Surface("/api/v1/jobs/createTask", "/api/v1/jobs/recordInfo", _jobs_body,
                  Task.from_record)
# Spec 002: created through v2, read through v1.
JOBS_V2 = Surface("/api/v2/jobs/createTask", "/api/v1/jobs/recordInfo", _jobs_body,
                  Task.from_record)
GPT4O = Surface("/api/v1/gpt4o-image/generate", "/api/v1/gpt4o-image/record-info",
                lambda model, input: dict(input), _read_gpt4o)
FLUX = Surface("/api/v1/flux/kontext/generate", "/api/v1/flux/kontext/record-info",
               lambda model, input: {**input, "model": model}, _read_flux)


def surface_of(model: str) -> Surface:
    if model == GPT4O_IMAGE:
        return GPT4O
    if model in FLUX_KONTEXT:
        return FLUX
    return JOBS_V2 if model in core.V2_MODELS else JOBS_V1
