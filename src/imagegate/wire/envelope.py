"""The envelope an answer travels in, by the surface that was called: Kie's ``{code, msg,
data}``, v2's with ``message`` (spec 002), the uploads' with ``success`` (provider notes) and
Ideogram's ``{"error": message}``."""

from __future__ import annotations

from typing import Any

from imagegate.wire import ideogram

UPLOAD_PATHS = ("/api/file-stream-upload", "/api/file-base64-upload", "/api/file-url-upload")
# Ideogram's own surface: the legacy ``/reframe`` and everything under ``/v1/ideogram-v3/``.
IDEOGRAM_PATHS = ("/reframe", "/v1/ideogram-v3/")


def success_body(data: Any, *, v2: bool = False) -> dict[str, Any]:
    """A success: ``{code: 200, msg, data}``; v2 answers carry ``message`` too, first."""
    if v2:
        return {"code": 200, "message": "success", "msg": "success", "data": data}
    return {"code": 200, "msg": "success", "data": data}


def error_body(path: str, code: int, msg: str) -> dict[str, Any]:
    """A refusal in the shape of the surface at ``path``."""
    if path == IDEOGRAM_PATHS[0] or path.startswith(IDEOGRAM_PATHS[1]):
        return ideogram.error_body(msg)
    if path.startswith(UPLOAD_PATHS):
        return {"success": False, "code": code, "msg": msg, "data": None}
    if path.startswith("/api/v2/"):
        return {"code": code, "message": msg, "msg": msg, "data": None}
    return {"code": code, "msg": msg, "data": None}
