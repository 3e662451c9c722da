"""Every request's id, and the last answer to an error nothing else handled.

``RequestGuard`` is a pure ASGI middleware around the routes. It gives each HTTP request an
id (the caller's ``X-Request-Id`` when it is a plain token, else a new one), sends it back in
the ``X-Request-Id`` header of every answer and puts it on every log line written for the
request (``logs/context.py``). An exception that no handler turned into an answer becomes the
surface's envelope with code 500 and that id, its traceback logged once.

Why a middleware and not an ``Exception`` handler: Starlette runs that handler in its
outermost ``ServerErrorMiddleware``, which re-raises after answering so that the server sees
the error, and uvicorn then closes the keep-alive connection: the client's next request on it
fails with a reset, and a retried POST cannot tell whether it took effect. Here the exception
ends with the answer, and the connection stays usable.
"""

from __future__ import annotations

import logging
import re
import secrets

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from imagegate.api.envelope import JSONBody
from imagegate.logs import context
from imagegate.wire.envelope import error_body

log = logging.getLogger(__name__)

REQUEST_ID_HEADER = "X-Request-Id"
# A proxy's or client's own id is kept when it is a plain token that is safe in a log line.
_ACCEPTED_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def request_id_of(scope: Scope) -> str:
    """The caller's ``X-Request-Id`` when it is a plain token of at most 128 characters,
    else 16 new hexadecimal characters."""
    headers: list[tuple[bytes, bytes]] = scope.get("headers", [])
    for name, value in headers:
        if name.lower() == b"x-request-id":
            sent = value.decode("latin-1").strip()
            if _ACCEPTED_ID.fullmatch(sent):
                return sent
            break
    return secrets.token_hex(8)


class RequestGuard:
    """The request id on every answer and log line; an unhandled error answered as the
    envelope's 500 (HTTP 200 under ``http_200``, the operator's Kie-style switch)."""

    def __init__(self, app: ASGIApp, *, http_200: bool = False) -> None:
        self.app = app
        self.http_200 = http_200

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_of(scope)
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", ()))
                headers.append((REQUEST_ID_HEADER.lower().encode(), request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        with context.request_context(request_id):
            try:
                await self.app(scope, receive, send_with_id)
            except Exception:
                if started:
                    # Part of an answer is out: nothing can follow it on this connection, so
                    # the server must see the error, close the connection and log it.
                    raise
                log.exception(
                    "unhandled error on %s %s (request id %s)",
                    scope.get("method"), scope.get("path"), request_id,
                )
                body = error_body(
                    scope.get("path", ""), 500,
                    f"Internal server error (request id {request_id})",
                )
                answer = JSONBody(body, 200 if self.http_200 else 500)
                await answer(scope, receive, send_with_id)
