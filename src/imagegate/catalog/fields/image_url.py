"""ImageUrlField: a string that is syntactically an http(s) URL of an image to fetch, and
ImageUrlListField: an array of such URLs; each field's ``ImageLimits`` (types, bytes).
Only the syntax is checked here; the addresses a URL may name are checked at create
(api/input_urls.py), reachability, size and type wherever the image is read (worker/fetch.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from imagegate.catalog.fields.base import FieldSpec, show
from imagegate.catalog.fields.string import StringField
from imagegate.errors import ValidationFailed

_MB = 1024 * 1024
# Whitespace of any kind (str.isspace), C0 controls and DEL; one regex scan instead of a
# Python-level loop over every character (that loop was 15 µs of each createTask).
_FORBIDDEN = re.compile(r"[\s\x00-\x1f\x7f]")


def is_http_url(text: str) -> bool:
    """True for an absolute http or https URL with a host and no whitespace or controls."""
    # urlsplit silently drops tabs and newlines (WHATWG rules); a URL holding them is refused.
    if _FORBIDDEN.search(text):
        return False
    try:
        parts = urlsplit(text)
        _ = parts.port  # raises ValueError for a port that is not a number in range
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


@dataclass(frozen=True, slots=True)
class ImageLimits:
    """What one image of an image-URL field is held to, as its model documents it: the types
    it may be and its most bytes (the operator's ``max_image_bytes`` caps it further)."""

    accepted_types: tuple[str, ...]
    max_bytes: int


@dataclass(frozen=True, kw_only=True)
class ImageUrlField(StringField):
    max_length: int | None = 2048
    # What the fetcher enforces for this field; the specs say 10MB, read here as MiB (lenient).
    max_bytes: int = 10 * _MB
    accepted_types: tuple[str, ...] = ("image/jpeg", "image/png", "image/webp")

    def check(self, value: object, path: str) -> object:
        text = super().check(value, path)
        if not isinstance(text, str) or not is_http_url(text):
            raise ValidationFailed(path, f"must be an http(s) URL (got {show(value)})")
        return text

    @property
    def limits(self) -> ImageLimits:
        return ImageLimits(self.accepted_types, self.max_bytes)

    def type_schema(self) -> dict[str, Any]:
        schema = super().type_schema()
        schema["format"] = "uri"
        # OpenAPI-style extension keys: validators ignore them, docs and clients can show them.
        schema["x-max-bytes"] = self.max_bytes
        schema["x-accepted-types"] = list(self.accepted_types)
        return schema


@dataclass(frozen=True, kw_only=True)
class ImageUrlListField(FieldSpec):
    """A JSON array of image URLs, each checked as ``ImageUrlField`` checks one; the worker
    fetches every one of them (``ModelSpec.image_url_fields``)."""

    max_items: int
    min_items: int = 0
    max_length: int | None = 2048  # per URL, as ImageUrlField
    max_bytes: int = 10 * _MB  # per image
    accepted_types: tuple[str, ...] = ("image/jpeg", "image/png", "image/webp")

    def __post_init__(self) -> None:
        if not 0 <= self.min_items <= self.max_items:
            raise ValueError(f"field {self.name}: need 0 <= min_items <= max_items")
        super().__post_init__()

    @property
    def limits(self) -> ImageLimits:
        """Each image's limits (every URL of the list is one image)."""
        return ImageLimits(self.accepted_types, self.max_bytes)

    def _item(self) -> ImageUrlField:
        return ImageUrlField(
            self.name,
            max_length=self.max_length,
            max_bytes=self.max_bytes,
            accepted_types=self.accepted_types,
        )

    def check(self, value: object, path: str) -> object:
        if not isinstance(value, list):
            raise ValidationFailed(path, f"must be an array of URLs (got {show(value)})")
        if len(value) > self.max_items:
            raise ValidationFailed(
                path, f"must hold at most {self.max_items} URLs (got {len(value)})"
            )
        if len(value) < self.min_items:
            needed = "a URL" if self.min_items == 1 else f"{self.min_items} URLs"
            raise ValidationFailed(path, f"must hold at least {needed} (got {len(value)})")
        item = self._item()
        for index, url in enumerate(value):
            item.check(url, f"{path}[{index}]")
        return value

    def type_schema(self) -> dict[str, Any]:
        items = self._item().type_schema()
        schema: dict[str, Any] = {"type": "array", "items": items, "maxItems": self.max_items}
        if self.min_items:
            schema["minItems"] = self.min_items
        return schema
