"""Models' inputs built from the convenience calls' arguments (reframe, edit, generate), each
value in the field the catalog's model definition names."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

REFRAME_MODEL = "ideogram/v3-reframe"
EDIT_MODEL = "qwen/image-edit"


def given(**values: Any) -> dict[str, Any]:
    """The keyword arguments that were given (not None): optional input fields."""
    return {name: value for name, value in values.items() if value is not None}


def image_field(model: str) -> tuple[str, bool]:
    """The input field a model takes its (first) image in, and whether it is a list.

    From the catalog's model definitions; a model the catalog does not know (a provider's
    newer one) is assumed to take ``image_url``.
    """
    from imagegate.catalog import ImageUrlField, ImageUrlListField, get_model

    spec = get_model(model)
    if spec is not None:
        for candidate in spec.fields:
            if isinstance(candidate, ImageUrlField):
                return candidate.name, False
            if isinstance(candidate, ImageUrlListField):
                return candidate.name, True
    return "image_url", False


def prompt_field(model: str) -> str:
    """The input field that holds a model's prompt (``input_prompt`` for nano-banana-pro)."""
    from imagegate.catalog import get_model

    spec = get_model(model)
    if spec is not None:
        names = [candidate.name for candidate in spec.fields]
        for name in ("prompt", "input_prompt"):
            if name in names:
                return name
    return "prompt"


def reframe_input(
    image_url: str,
    size: str,
    *,
    num_images: int | None = None,
    seed: int | None = None,
    rendering_speed: str | None = None,
    style: str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """ideogram/v3-reframe's input; options left at None are left to the model's defaults."""
    optional = given(num_images=num_images, seed=seed, rendering_speed=rendering_speed,
                     style=style)
    return {"image_url": image_url, "image_size": size, **optional, **fields}


def edit_input(model: str, image_url: str, prompt: str, **fields: Any) -> dict[str, Any]:
    """An edit model's input: the prompt and the image, each in the field the model names."""
    field_name, is_list = image_field(model)
    image: Any = [image_url] if is_list else image_url
    return {prompt_field(model): prompt, field_name: image, **fields}


def generate_input(
    model: str, prompt: str, image_urls: Sequence[str] = (), **fields: Any
) -> dict[str, Any]:
    """A generation model's input: the prompt, and reference images when given."""
    input: dict[str, Any] = {prompt_field(model): prompt}
    if image_urls:
        field_name, is_list = image_field(model)
        input[field_name] = list(image_urls) if is_list else image_urls[0]
    return {**input, **fields}
