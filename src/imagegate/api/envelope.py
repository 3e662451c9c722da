"""The envelope as HTTP: every answer JSON without spaces, every refusal in the shape of the
surface that was called (the shapes are ``imagegate.wire.envelope``'s). HTTP status mirrors
``code`` where the meaning is the same, or is always 200 when the operator switches to Kie's
observed habit.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from imagegate.errors import ApiError, BadRequest, NotFound, ValidationFailed
from imagegate.wire.envelope import error_body, success_body


class JSONBody(JSONResponse):
    """JSON without spaces, as the providers answer."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, separators=(",", ":"), ensure_ascii=False).encode()


def success(data: Any, *, v2: bool = False) -> JSONBody:
    return JSONBody(success_body(data, v2=v2))


def error_response(
    request: Request, error: ApiError, *, http_200: bool = False
) -> Response:
    headers = {}
    retry_after = getattr(error, "retry_after", None)
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    status = 200 if http_200 else error.http_status
    return JSONBody(error_body(request.url.path, error.code, error.msg), status, headers)


def install_error_handlers(app: FastAPI, *, http_200: bool) -> None:
    """Map imagegate's errors and the framework's refusals to the envelope. Any other
    exception is ``api/request_guard.py``'s ``RequestGuard``'s: an ``Exception`` handler here
    would run in Starlette's outermost middleware, which re-raises and so drops the
    connection."""

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Response:
        return error_response(request, exc, http_200=http_200)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        loc = [str(part) for part in first.get("loc", ()) if part not in ("body", "query")]
        field = ".".join(loc) or "request"
        return error_response(
            request, ValidationFailed(field, str(first.get("msg", "invalid"))), http_200=http_200
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            error: ApiError = NotFound(f"Not found: {request.method} {request.url.path}")
        else:
            error = BadRequest(str(exc.detail))
            error.http_status = exc.status_code
            error.code = exc.status_code
        response = error_response(request, error, http_200=http_200)
        # The framework's own headers stay: a 405's ``Allow`` (RFC 9110 says it MUST be
        # sent) names the methods the path takes.
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response
