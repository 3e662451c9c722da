"""The multipart form of an Ideogram request: the body read with its size capped before parsing,
then each field (text, choice, integer, image files) read with Ideogram's 400/422 messages.
An image file is held to the limits of every input image (storage/image_checks.py): bytes,
type and pixels, before anything is stored or charged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fastapi import Request
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.formparsers import MultiPartException

from imagegate.api.body import read_limited, with_body
from imagegate.api.ideogram.answers import invalid
from imagegate.api.services import Services
from imagegate.catalog import get_model
from imagegate.errors import IdeogramError, InputRejected, PayloadTooLarge
from imagegate.storage.image_checks import check_type, pixel_size

IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp")
REFRAME_MODEL = "ideogram/v3-reframe"  # the task both Ideogram endpoints create
_FORM_OVERHEAD_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class ImagePart:
    data: bytes
    mime: str
    file_name: str | None


class Form:
    """The multipart fields of one request, read with Ideogram's messages."""

    def __init__(self, form: FormData, max_image_bytes: int, max_image_pixels: int) -> None:
        self.form = form
        self.max_image_bytes = max_image_bytes
        self.max_image_pixels = max_image_pixels

    def unknown(self, known: tuple[str, ...]) -> tuple[str, ...]:
        """The form's fields that are none of ``known``, each named once: ignored, as Kie
        ignores the fields it does not know, and named in the answer's
        ``X-Imagegate-Ignored-Fields`` header."""
        return tuple(dict.fromkeys(name for name in self.form if name not in known))

    def text(self, name: str) -> str | None:
        values = self.form.getlist(name)
        if not values:
            return None
        if len(values) > 1:
            raise invalid(f"{name} was given more than once")
        [value] = values
        if not isinstance(value, str):
            raise invalid(f"{name} must be a text field, not a file")
        return value.strip() or None

    def choice(self, name: str, choices: tuple[str, ...], default: str | None = None) -> str:
        value = self.text(name)
        if value is None:
            if default is None:
                raise invalid(f"{name} is required (one of {', '.join(choices)})")
            return default
        if value not in choices:
            if len(choices) > 12:  # the resolutions: name the list, show its form
                raise invalid(
                    f"{name} must be one of Ideogram v3's {len(choices)} resolutions, such as"
                    f" {choices[len(choices) // 2]} (got {value[:60]!r})"
                )
            raise invalid(f"{name} must be one of {', '.join(choices)} (got {value[:60]!r})")
        return value

    def integer(self, name: str, low: int, high: int) -> int | None:
        value = self.text(name)
        if value is None:
            return None
        if not re.fullmatch(r"[+-]?\d{1,20}", value):
            raise invalid(f"{name} must be an integer from {low} to {high} (got {value[:60]!r})")
        number = int(value)
        if not low <= number <= high:
            raise invalid(f"{name} must be an integer from {low} to {high} (got {number})")
        return number

    async def images(self, name: str) -> list[ImagePart]:
        parts: list[ImagePart] = []
        for value in self.form.getlist(name):
            if not isinstance(value, UploadFile):
                raise invalid(f"{name} must be a file part (a filename and its content)")
            data = await value.read()
            if not data:
                raise invalid(f"{name}: the file is empty")
            if len(data) > self.max_image_bytes:
                raise invalid(
                    f"{name} is {len(data)} bytes; the limit is {self.max_image_bytes} bytes"
                )
            try:
                mime, fmt = check_type(data, IMAGE_TYPES, name)
            except InputRejected as exc:
                raise invalid(f"{name} must be a JPEG, PNG or WebP image") from exc
            try:
                # The header alone: a bomb is refused here, before it is stored and charged;
                # the worker decodes the image in full when it reads it back.
                pixel_size(data, fmt, self.max_image_pixels, name)
            except InputRejected as exc:
                raise invalid(str(exc)) from exc
            parts.append(ImagePart(data, mime, value.filename))
        return parts

    async def image(self, name: str) -> ImagePart:
        parts = await self.images(name)
        if not parts:
            raise invalid(f"{name} is required (a JPEG, PNG or WebP file of at most 10 MB)")
        if len(parts) > 1:
            raise invalid(f"{name} was given more than once")
        return parts[0]


async def read_form(request: Request, services: Services, max_files: int) -> Form:
    """The multipart body, its size capped before parsing (two images' worth and the fields)."""
    if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        raise IdeogramError(400, "Expected a multipart/form-data body")
    # The reframe's image field documents its own limit; the operator's cap may be lower.
    reframe = get_model(REFRAME_MODEL)
    assert reframe is not None  # a catalog model: both endpoints make its tasks
    documented = reframe.image_inputs()["image_url"].max_bytes
    max_image = min(services.settings.max_image_bytes, documented)
    limit = 2 * max_image + _FORM_OVERHEAD_BYTES
    try:
        raw = await read_limited(request, limit)
    except PayloadTooLarge as exc:
        raise invalid(
            f"Request body is over {limit} bytes: the image may be at most {max_image} bytes"
            f" (and style reference images {max_image} bytes together)"
        ) from exc
    try:
        form = await with_body(request, raw).form(max_files=max_files, max_fields=64)
    except (MultiPartException, StarletteHTTPException) as exc:
        detail = exc.message if isinstance(exc, MultiPartException) else exc.detail
        raise IdeogramError(400, f"Malformed multipart body: {detail}") from exc
    return Form(form, max_image, services.settings.max_image_pixels)
