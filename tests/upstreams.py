"""Real HTTP servers on loopback that stand in for the providers an upstream engine calls.

The upstream engines talk to a Kie-compatible API over the network, so their tests need a peer
that speaks it for real (sockets, timeouts, refused connections), not a mocked client:

- ``ServedApp`` runs any ASGI app under uvicorn in a background thread.
- ``UpstreamImagegate`` is a second imagegate in mock mode: a complete Kie-compatible upstream
  (createTask, recordInfo, uploads, signed file URLs, credits) on its own data directory.
- ``FaultProxy`` sits between the engine and that upstream, forwards everything and records
  it, and on request answers errors itself, delays, or rewrites the upstream's JSON, so a test
  can make the provider fail in exactly the way it is about.
- ``closed_port_url()`` is a provider that is down: a port nothing listens on.

Shared by every test depth (``tests/`` is on ``sys.path`` because it holds the root conftest):
``from upstreams import FaultProxy, UpstreamImagegate``.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple, Self
from urllib.parse import urlsplit

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from imagegate.api.app import create_app
from imagegate.runtime import Runtime
from imagegate.settings import Settings

from loopback import free_port

LOOPBACK = "127.0.0.1"

# Every method the proxy forwards: the engines use GET and POST, the rest keeps it transparent.
_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
# Hop-by-hop or length headers the proxy must not copy: httpx and Starlette set their own.
_REQUEST_HEADERS_DROPPED = {"host", "content-length", "transfer-encoding", "connection"}
_RESPONSE_HEADERS_DROPPED = {
    "content-length",
    "transfer-encoding",
    "content-encoding",
    "connection",
}


def closed_port_url() -> str:
    """``http://127.0.0.1:PORT`` of a port nothing listens on: a provider that is down
    (connections are refused at once, not timed out)."""
    return f"http://{LOOPBACK}:{free_port()}"


class ServedApp:
    """An ASGI app served by uvicorn on 127.0.0.1 in a daemon thread with its own event loop.

    The constructor returns once the server listens (and the app's lifespan startup ran);
    ``port=0`` takes any free port, read back from the listening socket.
    """

    def __init__(self, app: Any, port: int = 0, *, start_timeout: float = 10.0) -> None:
        config = uvicorn.Config(
            app,
            host=LOOPBACK,
            port=port,
            log_level="warning",
            lifespan="on",
            # Keep-alive connections from the tests' clients must not hold close() up.
            timeout_graceful_shutdown=2,
        )
        self.server = uvicorn.Server(config)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=f"served-app:{port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + start_timeout
        while not self.server.started:
            # A failed startup (port taken, lifespan error) ends the thread without ``started``;
            # uvicorn reports it by SystemExit, which _run keeps.
            if not self._thread.is_alive():
                raise RuntimeError(f"server did not start: {self._error!r}")
            if time.monotonic() > deadline:
                self.close()
                raise RuntimeError(f"server did not start within {start_timeout} s")
            time.sleep(0.01)
        self.port = int(self.server.servers[0].sockets[0].getsockname()[1])

    def _run(self) -> None:
        # A loop of the thread's own: the tests' loops (pytest-asyncio) never run the server.
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(self.server.serve())
        except BaseException as exc:  # SystemExit included: uvicorn exits on a bind error
            self._error = exc
        finally:
            loop.close()

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def url(self, path: str = "") -> str:
        return self.base_url + path

    def close(self, timeout: float = 5.0) -> None:
        """Stop serving (the lifespan shutdown runs on the server thread) and join the thread."""
        self.server.should_exit = True
        self._thread.join(timeout)
        if self._thread.is_alive():
            # Graceful shutdown is stuck (a handler that never returns): cut it short.
            self.server.force_exit = True
            self._thread.join(timeout)
        if self._thread.is_alive():
            raise RuntimeError("server thread did not stop")

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


# ----------------------------------------------------------------- a second imagegate


class UpstreamImagegate:
    """A second imagegate in mock mode on a real port: a Kie-compatible upstream provider.

    Its Runtime is built and first-started here (``api_key`` is its default account's key) and
    its app's lifespan starts and stops the worker on the server thread. ``public_url`` is its
    own real URL, so the result URLs it hands out can be fetched. ``settings_overrides`` go to
    Settings (``mock_latency=5``, ``mock_fail_rate=1.0``, ``default_account_credits=3`` ...).
    """

    def __init__(self, data_dir: Path, **settings_overrides: Any) -> None:
        # The port is chosen first because public_url, baked into the signed result URLs, must
        # name it before the runtime exists.
        port = free_port()
        values: dict[str, Any] = {
            "data_dir": data_dir,
            "url_allowlist": [LOOPBACK, "localhost"],
            "public_url": f"http://{LOOPBACK}:{port}",
            "host": LOOPBACK,
            "port": port,
            "poll_interval_seconds": 0.05,
            "lease_seconds": 2.0,
            "callback_backoff_base_seconds": 0.05,
            "janitor_interval_seconds": 3600,
            "engine_processes": 0,
            "mock": True,
            # Kie's real limits (10 recordInfo/s) would throttle tests that poll fast.
            "create_rate": "1000/1s",
            "query_rate": "1000/1s",
        }
        values.update(settings_overrides)
        self.settings = Settings(**values)
        self.runtime = Runtime(self.settings)
        first = asyncio.run(self.runtime.first_start())
        assert first.default_key is not None, f"{data_dir} already holds an imagegate"
        self.api_key: str = first.default_key
        self.admin_key = first.admin_key
        try:
            self.served = ServedApp(create_app(self.runtime, manage_runtime=True), port)
        except BaseException:
            self.runtime.db.close()
            raise
        self.base_url = self.served.base_url

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    def url(self, path: str = "") -> str:
        return self.served.url(path)

    def balance(self) -> float:
        """The default account's credits, as ``GET /api/v1/chat/credit`` answers them."""
        response = httpx.get(self.url("/api/v1/chat/credit"), headers=self.auth, timeout=10)
        response.raise_for_status()
        body = response.json()
        assert body["code"] == 200, body
        return float(body["data"])

    def close(self) -> None:
        self.served.close()
        # The lifespan's runtime.stop() closes the database; a failed start may not have run it.
        if not self.runtime.db.conn_closed:
            self.runtime.db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


# ----------------------------------------------------------------- the fault proxy


class ProxiedRequest(NamedTuple):
    """One request the proxy received (whether it was forwarded or answered by a rule)."""

    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    query: str = ""  # the raw query string, e.g. "taskId=..."


JsonRewrite = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass
class _Rule:
    kind: str  # "answer", "delay" or "rewrite"
    path_part: str
    method: str | None
    times: int | None  # None: forever
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] | None = None
    seconds: float = 0.0
    rewrite: JsonRewrite | None = None

    def matches(self, method: str, path: str) -> bool:
        if self.times is not None and self.times <= 0:
            return False
        if self.method is not None and self.method.upper() != method:
            return False
        return self.path_part in path


class FaultProxy:
    """A forwarding HTTP proxy to ``target_base_url`` with fault rules, on its own port.

    Every request is recorded in ``requests`` and forwarded (method, path, query, headers less
    host and length, body); the answer comes back with its status, headers and body. Rules
    change that for requests whose path contains their ``path_part`` (and whose method is
    ``method``, when given), ``times`` times or forever (``None``):

    - ``answer``: the proxy answers itself, nothing is forwarded;
    - ``delay``: sleeps, then goes on (to a later matching rule, or forwarding);
    - ``rewrite_json``: forwards, then answers ``fn(answer's JSON)`` (an answer that is no JSON
      object passes through as it is).

    A target that cannot be reached is answered with 502, as a real gateway would.

    Rules are looked at in the order they were added; the first matching ``answer`` or
    ``rewrite_json`` decides, after every matching ``delay`` before it slept.
    """

    def __init__(self, target_base_url: str, *, timeout: float = 30.0) -> None:
        self.target = target_base_url.rstrip("/")
        self.requests: list[ProxiedRequest] = []
        self._rules: list[_Rule] = []
        # Rules are added from the test's thread and used on the server's.
        self._lock = threading.Lock()
        self._timeout = timeout
        self._client: httpx.AsyncClient | None = None

        @asynccontextmanager
        async def lifespan(_app: Starlette) -> AsyncIterator[None]:
            # The client belongs to the server thread's loop, so it is made and closed there.
            async with httpx.AsyncClient(timeout=self._timeout) as client:
                self._client = client
                yield
            self._client = None

        app = Starlette(
            routes=[Route("/{path:path}", self._handle, methods=_METHODS)],
            lifespan=lifespan,
        )
        self.served = ServedApp(app)
        self.base_url = self.served.base_url

    # ------------------------------------------------------------- the test's side

    def url(self, path: str = "") -> str:
        return self.served.url(path)

    def through(self, url: str) -> str:
        """``url`` of the target (a result URL, say) with the proxy's scheme and host instead, so
        fetching it goes through the proxy and its rules."""
        parts = urlsplit(url)
        rest = parts.path + (f"?{parts.query}" if parts.query else "")
        return self.base_url + rest

    def answer(
        self,
        path_part: str,
        status: int,
        body: bytes | str | dict[str, Any] = b"",
        headers: dict[str, str] | None = None,
        times: int | None = None,
        method: str | None = None,
    ) -> None:
        """Answer matching requests with ``status`` and ``body`` (a dict is sent as JSON, e.g.
        Kie's envelope ``{"code": 402, "msg": "..."}``) instead of forwarding them."""
        all_headers = dict(headers or {})
        if isinstance(body, dict):
            raw = json.dumps(body).encode()
            all_headers.setdefault("Content-Type", "application/json")
        elif isinstance(body, str):
            raw = body.encode()
            all_headers.setdefault("Content-Type", "text/plain; charset=utf-8")
        else:
            raw = body
            # Malformed JSON is the usual bytes body: labelled JSON, as a broken upstream would.
            all_headers.setdefault("Content-Type", "application/json")
        self._add(_Rule("answer", path_part, method, times, status, raw, all_headers))

    def delay(
        self, path_part: str, seconds: float, times: int | None = None, method: str | None = None
    ) -> None:
        """Sleep ``seconds`` before handling matching requests: an upstream slower than the
        caller's timeout."""
        self._add(_Rule("delay", path_part, method, times, seconds=seconds))

    def rewrite_json(
        self,
        path_part: str,
        fn: JsonRewrite,
        times: int | None = None,
        method: str | None = None,
    ) -> None:
        """Forward matching requests, then answer ``fn(their JSON answer)`` with the same
        status. ``rewrite_result_urls`` and ``record_state`` make the usual ``fn``."""
        self._add(_Rule("rewrite", path_part, method, times, rewrite=fn))

    def clear(self) -> None:
        """Remove every rule (the recorded requests stay)."""
        with self._lock:
            self._rules.clear()

    def requests_to(self, path_part: str, method: str | None = None) -> list[ProxiedRequest]:
        """The recorded requests whose path contains ``path_part`` (and of ``method``)."""
        with self._lock:
            return [
                r
                for r in self.requests
                if path_part in r.path and (method is None or r.method == method.upper())
            ]

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

    def _add(self, rule: _Rule) -> None:
        with self._lock:
            self._rules.append(rule)

    def _take_rules(self, method: str, path: str) -> tuple[float, _Rule | None]:
        """The seconds to sleep and the deciding rule (None: plain forwarding) of one request;
        uses up one of each matched rule's ``times``."""
        sleep = 0.0
        with self._lock:
            for rule in self._rules:
                if not rule.matches(method, path):
                    continue
                if rule.times is not None:
                    rule.times -= 1
                if rule.kind == "delay":
                    sleep += rule.seconds
                    continue
                return sleep, rule
        return sleep, None

    async def _handle(self, request: Request) -> Response:
        body = await request.body()
        method = request.method
        path = request.url.path
        headers = {k.lower(): v for k, v in request.headers.items()}
        with self._lock:
            self.requests.append(ProxiedRequest(method, path, headers, body, request.url.query))
        sleep, rule = self._take_rules(method, path)
        if sleep:
            await asyncio.sleep(sleep)
        if rule is not None and rule.kind == "answer":
            return Response(rule.body, status_code=rule.status, headers=rule.headers)
        try:
            upstream = await self._forward(request, headers, body)
        except httpx.HTTPError as exc:
            # The target is down or too slow: answer as a real gateway would, not with a
            # traceback from the proxy's own server.
            return Response(f"proxy: {exc!r}", status_code=502, media_type="text/plain")
        if rule is not None and rule.rewrite is not None and _is_json(upstream):
            rewritten = rule.rewrite(upstream.json())
            return Response(
                json.dumps(rewritten).encode(),
                status_code=upstream.status_code,
                media_type="application/json",
            )
        kept = {
            k: v for k, v in upstream.headers.items() if k.lower() not in _RESPONSE_HEADERS_DROPPED
        }
        return Response(upstream.content, status_code=upstream.status_code, headers=kept)

    async def _forward(
        self, request: Request, headers: dict[str, str], body: bytes
    ) -> httpx.Response:
        assert self._client is not None, "the proxy's lifespan has not started"
        target = self.target + request.url.path
        if request.url.query:
            target += "?" + request.url.query
        sent = {k: v for k, v in headers.items() if k not in _REQUEST_HEADERS_DROPPED}
        return await self._client.request(request.method, target, headers=sent, content=body)


def _is_json(response: httpx.Response) -> bool:
    """Whether a rewrite can read ``response`` (a non-JSON answer passes through unchanged)."""
    try:
        return isinstance(response.json(), dict)
    except ValueError:
        return False


# ----------------------------------------------------------------- rewrites for recordInfo


def rewrite_result_urls(fn: Callable[[str], str]) -> JsonRewrite:
    """A ``rewrite_json`` function for recordInfo that maps each of ``resultJson``'s
    ``resultUrls`` through ``fn``. Kie's ``data.resultJson`` is a JSON *string* (and null until
    the task succeeds), so it is decoded, changed and encoded again.

    ``proxy.rewrite_json("recordInfo", rewrite_result_urls(proxy.through))`` sends the result
    downloads through the proxy; ``lambda u: u.replace("/files/", "/gone/")`` makes them
    404 (a changed key under ``/files/`` is a 403: its signature no longer matches).
    """

    def rewrite(answer: dict[str, Any]) -> dict[str, Any]:
        data = answer.get("data")
        if isinstance(data, dict) and isinstance(data.get("resultJson"), str):
            result = json.loads(data["resultJson"])
            result["resultUrls"] = [fn(url) for url in result.get("resultUrls", [])]
            data["resultJson"] = json.dumps(result)
        return answer

    return rewrite


def record_state(
    state: str, *, fail_code: str | None = None, fail_msg: str | None = None
) -> JsonRewrite:
    """A ``rewrite_json`` function for recordInfo that reports ``state`` whatever the task's
    real one: ``record_state("generating")`` keeps a task running forever,
    ``record_state("fail", fail_code="500", fail_msg="...")`` fails it (no result then)."""

    def rewrite(answer: dict[str, Any]) -> dict[str, Any]:
        data = answer.get("data")
        if isinstance(data, dict):
            data["state"] = state
            if state != "success":
                data["resultJson"] = None
            if state == "fail":
                data["failCode"] = fail_code
                data["failMsg"] = fail_msg
        return answer

    return rewrite
