"""A fake of Kie.ai's Market jobs API on loopback, built from Kie's documentation, that takes any
model: the upstream of imagegate's pass-through tests, whose models imagegate's catalog (and so
a second imagegate in mock mode) does not know.

What it serves, as Kie documents it:

- ``POST /api/v1/jobs/createTask`` (every Market model's page, e.g.
  https://docs.kie.ai/market/seedream/4.5-edit): body ``{model, callBackUrl?, input}``; answers
  ``{code: 200, msg: "success", data: {taskId}}``. A missing ``model`` or an ``input`` that is
  not an object is ``{code: 422, msg}``.
- ``GET /api/v1/jobs/recordInfo?taskId=`` (https://docs.kie.ai/market/common/get-task-detail):
  ``data`` with ``taskId, model, state, param`` (the create request as a JSON string),
  ``resultJson`` (``{"resultUrls": [...]}`` as a string, on success), ``failCode``/``failMsg``
  (``""`` unless failed), ``costTime`` (processing time, ms), ``completeTime``, ``createTime``,
  ``updateTime``; 400 without ``taskId``, 404 for an unknown one. A finished task also carries
  ``consumeCredits`` and ``remainedCredits``, the fields of Kie's callback ``data`` (the
  Market pages' "Callback Notifications"), when ``consume_credits`` is set.
- ``Authorization: Bearer <key>`` on both, else ``{code: 401, msg}``.

A task answers ``generating`` to its first ``polls_before_done`` recordInfo requests, then ends:
``success`` with ``images`` PNG result links served here at ``/results/<taskId>-<n>.png``, or,
with ``fail`` set, ``fail`` with its (failCode, failMsg). Every create body is kept in
``created``, in order.
"""

from __future__ import annotations

import io
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from PIL import Image
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from upstreams import ServedApp

FAKE_KIE_KEY = "fake-kie-key"
RESULT_SIZE = (96, 64)


@dataclass
class _Task:
    id: str
    model: str
    param: str
    create_time: int
    polls: int = 0
    complete_time: int | None = None


@dataclass
class FakeKieMarket:
    """The fake's knobs (set them before the task is created or polled) and what it saw."""

    polls_before_done: int = 1
    images: int = 1
    consume_credits: float | None = None
    remained_credits: float = 1000.0
    fail: tuple[str, str] | None = None
    created: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._tasks: dict[str, _Task] = {}
        self._lock = threading.Lock()
        self.served = ServedApp(Starlette(routes=[
            Route("/api/v1/jobs/createTask", self._create, methods=["POST"]),
            Route("/api/v1/jobs/recordInfo", self._record, methods=["GET"]),
            Route("/results/{name}", self._result, methods=["GET"]),
        ]))
        self.base_url = self.served.base_url

    # ------------------------------------------------------------- the test's side

    def close(self) -> None:
        self.served.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ------------------------------------------------------------- the server's side

    @staticmethod
    def _refuse(code: int, msg: str) -> JSONResponse:
        return JSONResponse({"code": code, "msg": msg}, status_code=code)

    @staticmethod
    def _authorized(request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {FAKE_KIE_KEY}"

    async def _create(self, request: Request) -> Response:
        if not self._authorized(request):
            return self._refuse(401, "You do not have access permissions")
        try:
            body = json.loads(await request.body())
        except ValueError:
            return self._refuse(400, "Malformed JSON body")
        if not isinstance(body, dict) or not isinstance(body.get("model"), str):
            return self._refuse(422, "model is required")
        if not isinstance(body.get("input"), dict):
            return self._refuse(422, "input must be an object")
        task = _Task(uuid.uuid4().hex, body["model"], json.dumps(body), _now())
        with self._lock:
            self.created.append(body)
            self._tasks[task.id] = task
        return JSONResponse({"code": 200, "msg": "success", "data": {"taskId": task.id}})

    async def _record(self, request: Request) -> Response:
        if not self._authorized(request):
            return self._refuse(401, "You do not have access permissions")
        task_id = request.query_params.get("taskId")
        if not task_id:
            return self._refuse(400, "taskId parameter is required")
        with self._lock:
            task = self._tasks.get(task_id)
            if task is None:
                return self._refuse(404, "Task not found")
            task.polls += 1
            done = task.polls > self.polls_before_done
            if done and task.complete_time is None:
                task.complete_time = _now()
        return JSONResponse({"code": 200, "msg": "success", "data": self._data(task, done)})

    def _data(self, task: _Task, done: bool) -> dict[str, Any]:
        now = task.complete_time or _now()
        data: dict[str, Any] = {
            "taskId": task.id, "model": task.model, "param": task.param, "state": "generating",
            "resultJson": "", "failCode": "", "failMsg": "", "costTime": None,
            "completeTime": None, "createTime": task.create_time, "updateTime": now,
        }
        if not done:
            return data
        data.update(completeTime=now, costTime=now - task.create_time)
        if self.fail is not None:
            data.update(state="fail", failCode=self.fail[0], failMsg=self.fail[1])
            data.update(consumeCredits=0, remainedCredits=self.remained_credits)
            return data
        urls = [f"{self.base_url}/results/{task.id}-{n}.png" for n in range(self.images)]
        data.update(state="success", resultJson=json.dumps({"resultUrls": urls}))
        if self.consume_credits is not None:
            data.update(consumeCredits=self.consume_credits,
                        remainedCredits=self.remained_credits)
        return data

    async def _result(self, request: Request) -> Response:
        name = request.path_params["name"]
        with self._lock:
            known = name.split("-")[0] in self._tasks
        if not known or not name.endswith(".png"):
            return Response(status_code=404)
        return Response(_png(), media_type="image/png")


def _now() -> int:
    return int(time.time() * 1000)


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", RESULT_SIZE, (40, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()
