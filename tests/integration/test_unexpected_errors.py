"""An unexpected error is answered in the surface's envelope (code 500, the request's id, no
traceback) on a keep-alive connection that stays usable (issue 20, point 2).

Starlette answers an unhandled exception and then re-raises it so that the server sees it;
uvicorn then closed the connection, so the client's next request on it failed with a reset.
These tests run the app under uvicorn on loopback and send the failing request and a normal
one over ONE client connection, checking at both ends that the second used the same one.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from imagegate.api.app import create_app
from imagegate.logs.formatters import JsonFormatter

from upstreams import ServedApp

# A test-only route per envelope shape: Kie's, v2's, the uploads' and Ideogram's.
FAILING = {
    "/api/v1/test/boom": lambda msg: {"code": 500, "msg": msg, "data": None},
    "/api/v2/test/boom": lambda msg: {"code": 500, "message": msg, "msg": msg, "data": None},
    "/api/file-stream-upload/boom": lambda msg: {
        "success": False, "code": 500, "msg": msg, "data": None,
    },
    "/v1/ideogram-v3/boom": lambda msg: {"error": msg},
}
SECRET_DETAIL = "the disk is on fire at /var/lib/secret"


class PeerRecorder:
    """An ASGI wrapper that notes the client address (host, port) of every HTTP request:
    two requests from the same port came over the same TCP connection."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.peers: list[tuple[str, int]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.peers.append(tuple(scope["client"]))  # type: ignore[arg-type]
        await self.app(scope, receive, send)


def _boom() -> None:
    raise RuntimeError(SECRET_DETAIL)


async def _streams_then_fails() -> StreamingResponse:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"partial":'
        await asyncio.sleep(0)
        raise RuntimeError(SECRET_DETAIL)

    return StreamingResponse(chunks(), media_type="application/json")


class Served:
    def __init__(self, app: FastAPI, recorder: PeerRecorder, server: ServedApp, key: str):
        self.app, self.recorder, self.server, self.key = app, recorder, server, key

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """caplog, fed by uvicorn's own loggers too (they do not propagate to the root)."""
    caplog.set_level(logging.INFO)
    uvicorn_log = logging.getLogger("uvicorn")
    uvicorn_log.addHandler(caplog.handler)
    try:
        yield caplog
    finally:
        uvicorn_log.removeHandler(caplog.handler)


def serve(runtime_factory: Any, **settings: Any) -> Iterator[Served]:
    runtime = runtime_factory(**settings)
    first = asyncio.run(runtime.first_start())
    app = create_app(runtime, manage_runtime=True)
    for path in FAILING:
        app.add_api_route(path, _boom, methods=["GET", "POST"])
    app.add_api_route("/api/v1/test/stream-boom", _streams_then_fails)
    recorder = PeerRecorder(app)
    with ServedApp(recorder) as server:
        yield Served(app, recorder, server, first.default_key)


@pytest.fixture
def served(runtime_factory: Any, logs: pytest.LogCaptureFixture) -> Iterator[Served]:
    """imagegate (SQLite) under uvicorn on loopback, with the test-only failing routes."""
    yield from serve(runtime_factory)


def one_connection(served: Served) -> httpx.Client:
    """A client that can hold one connection only, kept alive between requests."""
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    return httpx.Client(base_url=served.server.base_url, limits=limits, timeout=10)


def local_port(response: httpx.Response) -> int:
    """The client-side port of the TCP connection ``response`` came over (read while the
    client is open: its sockets close with it)."""
    return int(response.extensions["network_stream"].get_extra_info("client_addr")[1])


def tracebacks(logs: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in logs.records if r.exc_info or "Exception in ASGI" in r.getMessage()]


@pytest.mark.parametrize("path", list(FAILING))
def test_a_500_leaves_the_connection_usable(
    served: Served, logs: pytest.LogCaptureFixture, path: str
) -> None:
    with one_connection(served) as client:
        failed = client.post(path, json={"any": "body"})
        ports = [local_port(failed)]
        after = client.get("/api/v1/chat/credit", headers=served.auth)
        ports.append(local_port(after))
        again = client.get(path)
        ports.append(local_port(again))
    assert failed.status_code == 500, failed.text
    request_id = failed.headers["X-Request-Id"]
    message = f"Internal server error (request id {request_id})"
    assert failed.json() == FAILING[path](message)
    assert SECRET_DETAIL not in failed.text and "Traceback" not in failed.text
    assert after.status_code == 200 and after.json()["code"] == 200, after.text
    assert again.status_code == 500
    # The same TCP connection, seen from both ends: one client port at the server, and the
    # client's stream was not replaced by a new connection.
    assert len(served.recorder.peers) == 3 and len(set(served.recorder.peers)) == 1
    assert len(set(ports)) == 1
    # Each traceback in the server's log once, with the request's id; none from uvicorn.
    logged = tracebacks(logs)
    assert len(logged) == 2, [r.getMessage() for r in logged]
    assert all(r.name == "imagegate.api.request_guard" for r in logged)
    assert request_id in logged[0].getMessage()
    assert SECRET_DETAIL in str(logged[0].exc_info[1])  # type: ignore[index]


def test_a_store_that_fails_on_a_real_route(
    served: Served, logs: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fault where it happens in life: the database fails under recordInfo."""
    store = served.app.state.host.services.store

    async def failing_get_task(*_args: Any, **_kwargs: Any) -> Any:
        raise OSError(SECRET_DETAIL)

    with one_connection(served) as client:
        created = client.post(
            "/api/v1/jobs/createTask",
            json={"model": "google/nano-banana", "input": {"prompt": "a fox"}},
            headers=served.auth,
        )
        task_id = created.json()["data"]["taskId"]
        ports = [local_port(created)]
        monkeypatch.setattr(store, "get_task", failing_get_task)
        failed = client.get(
            "/api/v1/jobs/recordInfo", params={"taskId": task_id}, headers=served.auth
        )
        ports.append(local_port(failed))
        monkeypatch.undo()
        record = client.get(
            "/api/v1/jobs/recordInfo", params={"taskId": task_id}, headers=served.auth
        )
        ports.append(local_port(record))
    assert failed.status_code == 500
    body = failed.json()
    assert body == {
        "code": 500, "data": None,
        "msg": f"Internal server error (request id {failed.headers['X-Request-Id']})",
    }
    assert record.status_code == 200 and record.json()["data"]["taskId"] == task_id
    assert len(set(served.recorder.peers)) == 1 and len(served.recorder.peers) == 3
    assert len(set(ports)) == 1
    assert len(tracebacks(logs)) == 1


def test_an_error_after_the_answer_began_closes_that_connection_only(
    served: Served, logs: pytest.LogCaptureFixture
) -> None:
    """Half an answer cannot be taken back: the connection must close (the client sees a
    cut body, not a complete wrong one), the traceback is logged once, and the server goes on
    serving on a new connection."""
    with one_connection(served) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            client.get("/api/v1/test/stream-boom")
        after = client.get("/api/v1/chat/credit", headers=served.auth)
    assert after.status_code == 200
    assert len(tracebacks(logs)) == 1


def test_every_answer_carries_a_request_id(served: Served) -> None:
    with one_connection(served) as client:
        fine = client.get("/api/v1/chat/credit", headers=served.auth)
        refused = client.get("/api/v1/chat/credit")
        kept = client.get("/healthz", headers={"X-Request-Id": "lb-7f3a.91:2"})
        replaced = client.get("/healthz", headers={"X-Request-Id": "bad id\twith spaces"})
    ids = [r.headers.get("X-Request-Id") for r in (fine, refused, kept, replaced)]
    assert all(ids) and len(set(ids)) == 4, ids
    assert refused.status_code == 401
    assert kept.headers["X-Request-Id"] == "lb-7f3a.91:2"
    assert len(replaced.headers["X-Request-Id"]) == 16


def test_the_logged_line_carries_the_request_id(served: Served) -> None:
    """Formatted as a log pipeline reads it (JSON): ``requestId`` beside the message, the
    traceback in ``exception``."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    guard_log = logging.getLogger("imagegate.api.request_guard")
    guard_log.addHandler(handler)
    try:
        with one_connection(served) as client:
            failed = client.get("/api/v1/test/boom")
    finally:
        guard_log.removeHandler(handler)
    [line] = [json.loads(text) for text in stream.getvalue().splitlines()]
    assert line["requestId"] == failed.headers["X-Request-Id"]
    assert line["level"] == "error" and "RuntimeError" in line["exception"]


async def test_the_kie_style_switch_answers_http_200(runtime_factory: Any) -> None:
    """With ``business_errors_http_200`` an unexpected error is HTTP 200 with code 500, as
    every other refusal is under that switch."""
    runtime = runtime_factory(database_url="memory://", business_errors_http_200=True)
    await runtime.first_start()
    app = create_app(runtime, manage_runtime=False)
    app.add_api_route("/api/v1/test/boom", _boom)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        answer = await client.get("/api/v1/test/boom")
    assert answer.status_code == 200
    assert answer.json() == {
        "code": 500, "data": None,
        "msg": f"Internal server error (request id {answer.headers['X-Request-Id']})",
    }
