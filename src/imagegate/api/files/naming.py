"""Names and types of stored files: an upload's folder and file name made safe, its MIME type
found, a default name made when none is usable."""

from __future__ import annotations

import mimetypes
import re
import secrets

from imagegate.errors import BadRequest
from imagegate.imagetypes import sniff_image

_OCTET_STREAM = "application/octet-stream"
_MAX_UPLOAD_PATH_CHARS = 200
_MAX_UPLOAD_PATH_DEPTH = 8
_MAX_FILE_NAME_CHARS = 100

# What clean_upload_path and clean_file_name take, as the OpenAPI document says it: a folder
# path with something usable in it, no '..' segment, at most the depth (raw separators counted,
# so the pattern is a little stricter than the server); a file name without folders or '..'.
UPLOAD_PATH_SCHEMA = {
    "type": "string", "minLength": 1, "maxLength": _MAX_UPLOAD_PATH_CHARS,
    "pattern": (
        r"^(?=[\s\S]*[^/\\.\s])(?![\s\S]*(^|[/\\])\s*\.\.\s*([/\\]|$))"
        rf"[/\\]*[^/\\]+([/\\]+[^/\\]+){{0,{_MAX_UPLOAD_PATH_DEPTH - 1}}}[/\\]*$"
    ),
    "description": "A relative folder for the file, such as images/user",
}
FILE_NAME_SCHEMA = {
    "type": "string", "pattern": r"^(?!\s*\.\.\s*$)[^/\\]*$",
    "description": "The stored file's name; a random one when absent",
}

# A served file's ASCII name falls back to the same set (serving.py): one rule for both.
UNSAFE_CHARS = re.compile(r"[^A-Za-z0-9._-]+")
_MIME_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")
# Preferred over mimetypes.guess_extension, whose answers vary by platform (".jpe", ".jfif").
_EXTENSIONS = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/webp": ".webp",
    "image/gif": ".gif",
    "text/plain": ".txt",
    "application/json": ".json",
    "application/pdf": ".pdf",
    "video/mp4": ".mp4",
}


def clean_upload_path(value: str) -> str:
    """``uploadPath`` as safe relative segments; ``..`` is refused, not silently rewritten."""
    if len(value) > _MAX_UPLOAD_PATH_CHARS:  # as sent, as the OpenAPI document's maxLength
        raise BadRequest(f"uploadPath is too long (at most {_MAX_UPLOAD_PATH_CHARS} characters)")
    segments: list[str] = []
    for part in value.replace("\\", "/").split("/"):
        part = part.strip()
        if part in ("", "."):
            continue  # leading slashes (absolute paths) and empty segments collapse
        if part == "..":
            raise BadRequest("uploadPath must not contain '..'")
        cleaned = UNSAFE_CHARS.sub("_", part).lstrip(".")
        if cleaned:
            segments.append(cleaned)
    path = "/".join(segments)
    if not path:
        raise BadRequest("uploadPath is required (a relative folder such as 'images/user')")
    if len(path) > _MAX_UPLOAD_PATH_CHARS or len(segments) > _MAX_UPLOAD_PATH_DEPTH:
        raise BadRequest(
            f"uploadPath is too long (at most {_MAX_UPLOAD_PATH_CHARS} characters"
            f" and {_MAX_UPLOAD_PATH_DEPTH} folders)"
        )
    return path


def clean_file_name(value: str) -> str | None:
    """``fileName`` as one safe name, or None when nothing usable is left (a default is made)."""
    name = value.strip()
    if "/" in name or "\\" in name or name == "..":
        raise BadRequest("fileName must be a plain file name, without folders or '..'")
    cleaned = UNSAFE_CHARS.sub("_", name).lstrip(".")
    if not cleaned:
        return None
    if len(cleaned) > _MAX_FILE_NAME_CHARS:
        stem, dot, ext = cleaned.rpartition(".")
        ext = f".{ext}" if dot and stem and len(ext) < 16 else ""
        cleaned = cleaned[: _MAX_FILE_NAME_CHARS - len(ext)] + ext
    return cleaned


def normalise_mime(value: str | None) -> str | None:
    """A bare ``type/subtype`` from a header value, or None when absent, odd or generic."""
    if not value:
        return None
    mime = value.split(";", 1)[0].strip().lower()
    if not _MIME_TYPE.match(mime) or mime == _OCTET_STREAM:
        return None
    return mime


def mime_type_of(data: bytes, declared: str | None, *names: str | None) -> str:
    """Magic bytes for images, then the declared type, then a guess from a name."""
    sniffed = sniff_image(data)
    if sniffed:
        return sniffed
    mime = normalise_mime(declared)
    if mime:
        return mime
    for name in names:
        if name:
            guessed = normalise_mime(mimetypes.guess_type(name, strict=False)[0])
            if guessed:
                return guessed
    return _OCTET_STREAM


def default_file_name(mime: str, original_name: str | None) -> str:
    ext = _EXTENSIONS.get(mime) or mimetypes.guess_extension(mime, strict=False) or ""
    if not ext and original_name and "." in original_name:
        ext = "." + (UNSAFE_CHARS.sub("", original_name.rsplit(".", 1)[1])[:10] or "bin")
    return f"{secrets.token_hex(6)}{ext or '.bin'}"

