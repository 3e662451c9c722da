"""Reading request bodies: size limits (413) and JSON parsing (400) in the envelope."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from starlette.types import Message

from imagegate.errors import BadRequest, PayloadTooLarge


async def read_limited(request: Request, limit: int) -> bytes:
    """The body, refused with 413 as soon as it passes ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"Request body is {declared} bytes; the limit is {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"Request body is over the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json_object(request: Request, limit: int) -> dict[str, Any]:
    """The body as a JSON object; 400 naming the problem when it is not one."""
    raw = await read_limited(request, limit)
    if not raw.strip():
        raise BadRequest("Request body is empty; expected a JSON object")
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadRequest(f"Malformed JSON body: {exc}") from exc
    except RecursionError as exc:
        raise BadRequest("Malformed JSON body: nested too deeply") from exc
    if not isinstance(body, dict):
        raise BadRequest("Request body must be a JSON object")
    return body


def with_body(request: Request, raw: bytes) -> Request:
    """``request`` again, its body replaced by ``raw``: the body already read under a size
    cap (``read_limited``), handed to Starlette's own parsers (multipart forms)."""
    delivered = False

    async def replay() -> Message:
        nonlocal delivered
        if delivered:
            return {"type": "http.disconnect"}
        delivered = True
        return {"type": "http.request", "body": raw, "more_body": False}

    return Request(request.scope, replay)
