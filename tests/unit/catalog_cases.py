"""What the catalog tests share: the two models, sample inputs, and the refusal helper."""

from __future__ import annotations

from typing import Any

import pytest

from imagegate.catalog import ModelSpec, get_model
from imagegate.errors import ValidationFailed


def model(name: str) -> ModelSpec:
    spec = get_model(name)
    assert spec is not None, name
    return spec


REFRAME = model("ideogram/v3-reframe")
QWEN = model("qwen/image-edit")

URL = "https://example.com/photo.png"
SIZES = ["square", "square_hd", "portrait_4_3", "portrait_16_9", "landscape_4_3", "landscape_16_9"]
SIZE_LIST = ", ".join(SIZES)



def reframe_input(**fields: Any) -> dict[str, Any]:
    return {"image_url": URL, "image_size": "square", **fields}


def qwen_input(**fields: Any) -> dict[str, Any]:
    return {"prompt": "make it blue", "image_url": URL, **fields}


def base_input(spec: ModelSpec, **fields: Any) -> dict[str, Any]:
    return reframe_input(**fields) if spec is REFRAME else qwen_input(**fields)


def refusal(spec: ModelSpec, raw: object) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        spec.validate(raw)
    return caught.value


# The smallest valid input of each model added for the jobs API (issue 4): its required fields.
MINIMAL_INPUTS: dict[str, dict[str, Any]] = {
    "google/nano-banana": {"prompt": "a banana"},
    "google/nano-banana-edit": {"prompt": "make it blue", "image_urls": [URL]},
    "nano-banana-pro": {"input_prompt": "a banana hero"},
    "bytedance/seedream-v4-text-to-image": {"prompt": "a teapot"},
    "google/imagen4": {"prompt": "a lighthouse"},
    "google/imagen4-ultra": {"prompt": "a lighthouse"},
    "google/imagen4-fast": {"prompt": "a lighthouse"},
    "ideogram/v3-text-to-image": {"prompt": "a logo"},
    "ideogram/character": {"prompt": "a woman reading"},
    "qwen/text-to-image": {"prompt": "a fox"},
}


def minimal_input(name: str, **fields: Any) -> dict[str, Any]:
    return {**MINIMAL_INPUTS[name], **fields}
