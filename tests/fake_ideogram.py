"""A fake of Ideogram's reframe API on loopback, built from its documentation (spec 003 and
provider-notes.md), for the ``upstream_ideogram`` engine's tests.

It serves both endpoints over real sockets:

- ``POST /v1/ideogram-v3/reframe`` (v3): multipart ``image``, ``resolution`` "WxH" (one of
  the 69), ``num_images`` 1-8, ``seed``, ``rendering_speed`` FLASH|TURBO|DEFAULT|QUALITY,
  ``style_preset`` and the other style fields (accepted, not checked);
- ``POST /reframe`` (legacy): multipart ``image_file``, ``resolution`` RESOLUTION_W_H,
  ``model`` (required), ``num_images``, ``seed``, ``style_type``;

checks the ``Api-Key`` header (401), validates the form (400 for a missing or unusable part,
422 for a value out of its enum or range, always ``{"error": "..."}``), records every POST, and
answers ``{created, data: [...]}`` with one entry per image whose ``url`` is an image this
server serves at ``GET /images/<id>.png``: exactly the requested resolution, with "FAKE
IDEOGRAM" drawn on it.

Fault controls: ``script`` (answers for the next requests, ahead of everything else),
``delay`` (seconds before answering a POST), ``unsafe`` (True: every image flagged unsafe;
a set of indices: those) and ``image_status`` (status the result images are served with).
"""

from __future__ import annotations

import contextlib
import email.parser
import email.policy
import http.server
import io
import json
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self

from PIL import Image, ImageDraw, ImageFont

from imagegate.catalog.presets import IDEOGRAM_V3_RESOLUTIONS

FAKE_IDEOGRAM_KEY = "fake-ideogram-key"
V3_PATH = "/v1/ideogram-v3/reframe"
LEGACY_PATH = "/reframe"
MAX_IMAGE_BYTES = 10 * 1024 * 1024
V3_SPEEDS = ("FLASH", "TURBO", "DEFAULT", "QUALITY")
LEGACY_MODELS = ("V_1", "V_1_TURBO", "V_2", "V_2_TURBO", "V_2A", "V_2A_TURBO", "V_3")
LEGACY_STYLES = ("AUTO", "GENERAL", "REALISTIC", "DESIGN", "RENDER_3D", "ANIME")
# Legacy's Resolution enum: the same sizes as v3's list, spelt RESOLUTION_W_H.
LEGACY_RESOLUTIONS = {
    "RESOLUTION_" + value.replace("x", "_"): value for value in IDEOGRAM_V3_RESOLUTIONS
}
_MAGIC = ((b"\x89PNG\r\n\x1a\n", "png"), (b"\xff\xd8\xff", "jpeg"))
_MAX_SEED = 2_147_483_647


@dataclass(frozen=True)
class Scripted:
    """An answer given instead of the real one: status, body, headers."""

    status: int
    body: bytes | str | dict[str, Any] = b""
    headers: dict[str, str] = field(default_factory=dict)

    def content(self) -> tuple[bytes, str]:
        if isinstance(self.body, dict):
            return json.dumps(self.body).encode(), "application/json"
        if isinstance(self.body, str):
            return self.body.encode(), "text/html; charset=utf-8"
        return self.body, "application/octet-stream"


@dataclass
class Received:
    """One POST as the fake understood it."""

    path: str
    headers: dict[str, str]
    fields: dict[str, str]
    # Field name → (filename, content type, bytes).
    files: dict[str, tuple[str, str, bytes]]
    status: int = 0  # what the fake answered


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _image_kind(data: bytes) -> str | None:
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def _parse_form(content_type: str, body: bytes) -> tuple[dict[str, str], dict[str, Any]]:
    """A multipart/form-data body's text fields and files, by the email package's parser."""
    if not content_type.startswith("multipart/form-data"):
        raise _Refused(400, f"expected multipart/form-data, got {content_type or 'nothing'}")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        raise _Refused(400, "unreadable multipart body")
    fields: dict[str, str] = {}
    files: dict[str, tuple[str, str, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        filename = part.get_filename()
        if filename is not None:
            files[name] = (filename, part.get_content_type(), data)
        else:
            fields[name] = data.decode("utf-8")
    return fields, files


def _int_field(fields: dict[str, str], name: str, low: int, high: int, default: int) -> int:
    raw = fields.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise _Refused(422, f"{name} must be an integer, not {raw!r}") from None
    if not low <= value <= high:
        raise _Refused(422, f"{name} must be between {low} and {high}, not {value}")
    return value


def _fake_png(width: int, height: int) -> bytes:
    image = Image.new("RGB", (width, height), (210, 90, 40))
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=max(12, width // 12))
    draw.rectangle((0, height // 2 - width // 10, width, height // 2 + width // 10), (20, 20, 20))
    draw.text((width // 2, height // 2), "FAKE IDEOGRAM", fill=(255, 255, 0), font=font,
              anchor="mm")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


class FakeIdeogram:
    """Ideogram's reframe endpoints on 127.0.0.1 (any free port), in a daemon thread."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.script: list[Scripted] = []
        self.delay = 0.0
        self.unsafe: bool | set[int] = False
        self.image_status = 200
        self.images: dict[str, tuple[int, int]] = {}  # id → (width, height) it will serve
        self.image_gets: list[str] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                return None

            def _send(self, status: int, body: bytes, ctype: str,
                      headers: dict[str, str] | None = None) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(body)))
                    for name, value in (headers or {}).items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

            def do_GET(self) -> None:
                path = self.path.split("?")[0]
                fake.image_gets.append(path)
                image_id = path.removeprefix("/images/").removesuffix(".png")
                size = fake.images.get(image_id) if path.startswith("/images/") else None
                if size is None:
                    self._send(404, b'{"error": "not found"}', "application/json")
                elif fake.image_status != 200:
                    self._send(fake.image_status, b"gone", "text/plain")
                else:
                    self._send(200, _fake_png(*size), "image/png")

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                path = self.path.split("?")[0]
                received = Received(path, {k.lower(): v for k, v in self.headers.items()}, {}, {})
                # An unreadable form is refused below, after the script, as Ideogram would.
                with contextlib.suppress(_Refused):
                    received.fields, received.files = _parse_form(
                        self.headers.get("Content-Type", ""), body
                    )
                with fake._lock:
                    fake.requests.append(received)
                    scripted = fake.script.pop(0) if fake.script else None
                if fake.delay and fake._closing.wait(fake.delay):
                    return
                if scripted is not None:
                    content, ctype = scripted.content()
                    received.status = scripted.status
                    self._send(scripted.status, content, ctype, scripted.headers)
                    return
                try:
                    answer = fake._answer(path, self.headers, body)
                except _Refused as refused:
                    received.status = refused.status
                    error = json.dumps({"error": refused.message}).encode()
                    self._send(refused.status, error, "application/json")
                    return
                received.status = 200
                self._send(200, json.dumps(answer).encode(), "application/json")

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.httpd.server_address[1])
        self.base_url = f"http://127.0.0.1:{self.port}"
        # A short poll interval: shutdown() waits for it, and every test closes a fake.
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    # ---------------------------------------------------------------- the API

    def _answer(self, path: str, headers: Any, body: bytes) -> dict[str, Any]:
        if path not in (V3_PATH, LEGACY_PATH):
            raise _Refused(404, f"no route {path}")
        if headers.get("Api-Key") != FAKE_IDEOGRAM_KEY:
            raise _Refused(401, "Invalid API key")
        fields, files = _parse_form(headers.get("Content-Type", ""), body)
        legacy = path == LEGACY_PATH
        file_field = "image_file" if legacy else "image"
        if file_field not in files:
            raise _Refused(400, f"{file_field} is required")
        image = files[file_field][2]
        if len(image) > MAX_IMAGE_BYTES:
            raise _Refused(400, f"{file_field} is larger than 10MB")
        if _image_kind(image) is None:
            raise _Refused(400, "only JPEG, WebP and PNG formats are supported")
        resolution = fields.get("resolution")
        if resolution is None:
            raise _Refused(400, "resolution is required")
        if legacy:
            if resolution not in LEGACY_RESOLUTIONS:
                raise _Refused(422, f"resolution {resolution!r} is not a valid Resolution")
            resolution = LEGACY_RESOLUTIONS[resolution]
            model = fields.get("model", "V_2")
            if model not in LEGACY_MODELS:
                raise _Refused(422, f"model {model!r} is not a valid model")
            style = fields.get("style_type", "AUTO")
            if style not in LEGACY_STYLES:
                raise _Refused(422, f"style_type {style!r} is not a valid style type")
        else:
            if resolution not in IDEOGRAM_V3_RESOLUTIONS:
                raise _Refused(422, f"resolution {resolution!r} is not a supported resolution")
            speed = fields.get("rendering_speed", "DEFAULT")
            if speed not in V3_SPEEDS:
                raise _Refused(422, f"rendering_speed {speed!r} is not a valid rendering speed")
            style = "AUTO"
        count = _int_field(fields, "num_images", 1, 8, 1)
        seed = _int_field(fields, "seed", 0, _MAX_SEED, secrets.randbelow(_MAX_SEED))
        width, height = (int(n) for n in resolution.split("x"))
        data = []
        for index in range(count):
            safe = not (self.unsafe is True or (isinstance(self.unsafe, set)
                                                 and index in self.unsafe))
            url = ""
            if safe:
                image_id = secrets.token_urlsafe(12)
                with self._lock:
                    self.images[image_id] = (width, height)
                url = self.url(f"/images/{image_id}.png")
            data.append({
                "url": url, "prompt": "A reframed image (fake)", "resolution": resolution,
                "upscaled_resolution": f"{width * 2}x{height * 2}", "is_image_safe": safe,
                "seed": seed + index, "style_type": style,
            })
        return {"created": datetime.now(UTC).isoformat(sep=" ", timespec="seconds"),
                "data": data}

    # ---------------------------------------------------------------- helpers

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def answered(self, status: int | None = None) -> list[Received]:
        """The POSTs received so far (those answered with ``status``, if given)."""
        with self._lock:
            return [r for r in self.requests if status is None or r.status == status]

    def close(self) -> None:
        self._closing.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
