"""What is special to Grok Imagine Image 2.0 on Kie's market (docs/catalog.md): an
aspect ratio that must be sent (Grok Imagine 1 defaulted it), an edit that needs one to five
images and follows the first one's shape at "auto", and the text pipelines' reading of the
text-to-image model."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from imagegate.engines.base import EngineJob, SourceImage
from imagegate.engines.diffusers.config import parse_diffusers
from imagegate.engines.diffusers.mapping import build_request
from imagegate.engines.mock import MockEngine

from catalog_cases import URL, model, refusal

T2I = model("grok-imagine-image-2-0/text-to-image")
EDIT = model("grok-imagine-image-2-0/image-edit")


@pytest.mark.parametrize(
    ("spec", "raw"),
    [(T2I, {"prompt": "a fox"}), (EDIT, {"prompt": "a fox", "image_urls": [URL]})],
    ids=["text-to-image", "image-edit"],
)
def test_the_aspect_ratio_must_be_sent(spec: Any, raw: dict[str, Any]) -> None:
    refused = refusal(spec, raw)
    assert refused.field == "input.aspect_ratio"
    assert refused.problem == "is required"
    # Grok Imagine 1 fills in 1:1 for the same input; 2.0 has no default to fill in.
    assert model("grok-imagine/text-to-image").validate({"prompt": "a fox"})["aspect_ratio"]


def test_text_to_image_has_no_auto_and_sizes_each_ratio_at_1024() -> None:
    assert refusal(T2I, {"prompt": "p", "aspect_ratio": "auto"}).field == "input.aspect_ratio"
    sizes = {
        ratio: T2I.output_size(T2I.validate({"prompt": "p", "aspect_ratio": ratio}))
        for ratio in ("1:1", "2:3", "3:2", "16:9", "9:16")
    }
    assert sizes == {
        "1:1": (1024, 1024), "2:3": (680, 1024), "3:2": (1024, 680),
        "16:9": (1024, 576), "9:16": (576, 1024),
    }  # fmt: skip


def test_image_edit_takes_one_to_five_images_and_no_prompt() -> None:
    assert EDIT.validate({"aspect_ratio": "1:1", "image_urls": [URL] * 5})
    refused = refusal(EDIT, {"aspect_ratio": "1:1", "image_urls": []})
    assert (refused.field, refused.problem) == (
        "input.image_urls",
        "must hold at least a URL (got 0)",
    )
    assert refusal(EDIT, {"aspect_ratio": "1:1"}).field == "input.image_urls"


def png(size: tuple[int, int]) -> SourceImage:
    buffer = io.BytesIO()
    Image.new("RGB", size, (20, 90, 200)).save(buffer, "PNG")
    return SourceImage(URL, buffer.getvalue(), "image/png", *size)


async def test_image_edit_at_auto_keeps_the_first_images_size_on_the_mock_engine() -> None:
    params = EDIT.validate({"aspect_ratio": "auto", "image_urls": [URL, URL]})
    assert EDIT.output_size(params) is None
    job = EngineJob("t1", EDIT.name, params, {"image_urls": [png((96, 64)), png((40, 40))]})
    [image] = await MockEngine().run(job)
    assert (image.width, image.height) == (96, 64)
    assert Image.open(io.BytesIO(image.data)).size == (96, 64)
    # A ratio wins over the sources' size.
    job = EngineJob("t2", EDIT.name, {**params, "aspect_ratio": "16:9"}, job.images)
    [image] = await MockEngine().run(job)
    assert (image.width, image.height) == (1024, 576)


def test_text_pipelines_serve_the_text_to_image_model_at_its_ratio() -> None:
    config = parse_diffusers(
        {"pipelines": {"p": {"pipeline": "FluxPipeline", "weights": "/w", "models": [T2I.name]}}}
    )
    fields = T2I.validate({"prompt": "a lighthouse", "aspect_ratio": "9:16"})
    request = build_request("p", config.pipelines["p"], EngineJob("t", T2I.name, fields, {}))
    assert request.size == (576, 1024)
    assert [row.prompt for row in request.rows] == ["a lighthouse"]
    assert request.rows[0].image is None


def test_the_edit_model_is_left_to_other_engines_than_the_text_pipelines() -> None:
    # Its reference images would be silently dropped by a text-to-image pipeline.
    pipeline = {"pipeline": "FluxPipeline", "weights": "/w", "models": [EDIT.name]}
    with pytest.raises(ValueError, match=f"FluxPipeline cannot serve '{EDIT.name}'"):
        parse_diffusers({"pipelines": {"p": pipeline}})
