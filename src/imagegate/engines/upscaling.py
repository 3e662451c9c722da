"""An upscale's output size, known once the source is fetched, held to the model's and the
engine's limits.

The catalog says how an upscaler's output grows (``ModelSpec.scaled_size``); only an engine
sees the source's pixels, so the engines check the result here, before drawing anything: the
longest side the model's page allows (``ModelSpec.max_output_side``), then the engine's own
pixel cap, which keeps its memory bounded.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from imagegate.catalog import ModelSpec
from imagegate.errors import InputRejected


def upscaled_size(
    spec: ModelSpec,
    validated: Mapping[str, Any],
    source: tuple[int, int],
    *,
    engine: str,
    max_pixels: int,
) -> tuple[int, int] | None:
    """The (width, height) an upscaler makes from a ``source`` = (width, height) image; None
    for a model that is not an upscaler.

    Raises ``InputRejected`` naming the scale field (or the image field of a model without
    one) when the output passes the model's longest side or ``max_pixels``: the input asks for
    more than can be made, so neither a retry nor this engine's breaker should count it.
    """
    size = spec.scaled_size(validated, source)
    if size is None:
        return None
    field = _field(spec)
    width, height = size
    described = f"{source[0]}x{source[1]} source x{_factor(spec, validated)} makes {width}x{height}"
    if spec.max_output_side is not None and max(size) > spec.max_output_side:
        raise InputRejected(
            f"{field}: the {described}, longer than the {spec.max_output_side} pixels"
            f" a side that model {spec.name} allows"
        )
    if width * height > max_pixels:
        raise InputRejected(
            f"{field}: the {described} ({width * height} pixels), more than the"
            f" {engine} engine's limit of {max_pixels} pixels; ask for a smaller factor or"
            " send a smaller image"
        )
    return size


def _field(spec: ModelSpec) -> str:
    if spec.scale_field is not None:
        return f"input.{spec.scale_field}"
    images = spec.image_url_fields()
    return f"input.{images[0]}" if images else "input"


def _factor(spec: ModelSpec, validated: Mapping[str, Any]) -> str:
    factor = spec.scale(validated) or 1.0
    return f"{factor:g}"
