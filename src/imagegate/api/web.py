"""The web UI: the playground at ``/``, the admin dashboard at ``/dashboard``, and their static
files under ``/ui/``. Plain files shipped in the package (``imagegate/web/static``): no build
step, nothing fetched from elsewhere, so the pages work on a machine without internet.

The pages only call the public API with the key the user pastes (kept in the browser's
storage); nothing here authenticates, and nothing here is in the OpenAPI document.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response

from imagegate.errors import NotFound

router = APIRouter(include_in_schema=False)

STATIC: Final = Path(__file__).resolve().parent.parent / "web" / "static"
_TYPES: Final = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}
# Scripts and styles from this server only; images also from wherever the user's input URLs
# and the signed result URLs point (the public URL may be another host than the page's).
_CSP: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src * data: blob:;"
    " connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
_HEADERS: Final = {
    "Content-Security-Policy": _CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # A new release's files are picked up at once; they are small and served locally.
    "Cache-Control": "no-cache",
}


def _file(name: str) -> Response:
    path = STATIC / name
    # Only files directly under the static folder: no "..", no folders, no other types. Checked
    # on the path as written, not resolve()d: resolve() raises ValueError on a NUL byte (a 500),
    # where is_file() answers False. `name` is one segment (the route matches no "/").
    if path.parent != STATIC or path.suffix not in _TYPES or not path.is_file():
        raise NotFound(f"Not found: /ui/{name}")
    return FileResponse(path, media_type=_TYPES[path.suffix], headers=_HEADERS)


@router.get("/")
async def playground() -> Response:
    return _file("index.html")


@router.get("/dashboard")
async def dashboard() -> Response:
    return _file("dashboard.html")


@router.get("/ui/{name}")
async def static_file(name: str) -> Response:
    return _file(name)
