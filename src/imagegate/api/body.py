"""Reading request bodies: size limits (413), JSON parsing (400) and text a database cannot
store (422) in the envelope."""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import Request
from starlette.types import Message

from imagegate.errors import BadRequest, PayloadTooLarge, ValidationFailed

# JSON's \uXXXX escapes can spell half of a UTF-16 pair alone ("\ud800"); Python's parser
# keeps it as a lone surrogate, which no UTF-8 database, log line or answer can encode.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


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
    body = parse_json(raw)
    if not isinstance(body, dict):
        raise BadRequest("Request body must be a JSON object")
    return body


def parse_json(raw: bytes) -> Any:
    """``raw`` parsed as JSON: 400 when it is not JSON, 422 naming the field when a string
    in it (a value or a name) holds a lone surrogate (``refuse_lone_surrogates``)."""
    try:
        value = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadRequest(f"Malformed JSON body: {exc}") from exc
    except RecursionError as exc:
        raise BadRequest("Malformed JSON body: nested too deeply") from exc
    refuse_lone_surrogates(value)
    return value


def refuse_lone_surrogates(value: Any) -> None:
    """422 naming a string of ``value`` (parsed JSON) that holds a lone surrogate:
    ``input.prompt``, ``input.image_urls[1]``, or for a field's name the object that holds
    it. Refused where the body is read, so that no route, store or answer ever sees one
    (SQLite and PostgreSQL refuse to encode it, and so would an answer echoing it). The
    message shows the code point escaped, never the character itself."""
    # A stack, not recursion: the parser accepts nesting as deep as the recursion limit.
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            _check(path or "request", item, "must not contain")
        elif isinstance(item, dict):
            for name in item:
                _check(path or "request", name, "has a field name that contains")
            stack.extend(
                (f"{path}.{name}" if path else name, child)
                for name, child in reversed(item.items())
            )
        elif isinstance(item, list):
            stack.extend((f"{path}[{index}]", child) for index, child in reversed(
                list(enumerate(item))
            ))


def _check(field: str, text: str, problem: str) -> None:
    found = _LONE_SURROGATE.search(text)
    if found:
        code = f"\\u{ord(found.group()):04x}"
        raise ValidationFailed(field, f"{problem} a lone surrogate ({code})")


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
