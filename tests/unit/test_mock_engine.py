"""The mock engine: right sizes and counts, deterministic, failing on demand, marked MOCK."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from imagegate.engines.base import EngineJob, SourceImage
from imagegate.engines.mock import MOCK_NOTICE, MockEngine
from imagegate.errors import GenerationFailed, InputRejected

REFRAME = "ideogram/v3-reframe"


def reframe_input(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "image_url": "https://example.com/a.png", "image_size": "square",
        "rendering_speed": "BALANCED", "style": "AUTO", "num_images": "1", "seed": 7,
    }
    base.update(changes)
    return base


def source() -> SourceImage:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 10, 10)).save(buffer, "PNG")
    return SourceImage("https://example.com/a.png", buffer.getvalue(), "image/png", 64, 48)


async def run(engine: MockEngine, model: str, params: dict[str, object]):
    return await engine.run(EngineJob("t1", model, params, {"image_url": [source()]}))


@pytest.mark.parametrize(
    ("preset", "size"),
    [("square", (512, 512)), ("portrait_16_9", (576, 1024)), ("landscape_4_3", (1024, 768))],
)
async def test_size_follows_the_preset(preset: str, size: tuple[int, int]) -> None:
    [image] = await run(MockEngine(), REFRAME, reframe_input(image_size=preset))
    assert (image.width, image.height) == size
    assert Image.open(io.BytesIO(image.data)).size == size


async def test_num_images_and_output_format() -> None:
    params = {
        "prompt": "x", "image_url": "https://example.com/a.png", "num_images": 3,
        "output_format": "jpeg", "image_size": "square",
    }
    images = await run(MockEngine(), "qwen/image-edit", params)
    assert len(images) == 3
    assert all(Image.open(io.BytesIO(i.data)).format == "JPEG" for i in images)
    assert len({i.data for i in images}) == 3  # each image of a batch differs


async def test_same_input_same_images_other_seed_other_images() -> None:
    engine = MockEngine()
    a = await run(engine, REFRAME, reframe_input(seed=1))
    b = await run(engine, REFRAME, reframe_input(seed=1))
    c = await run(engine, REFRAME, reframe_input(seed=2))
    assert a[0].data == b[0].data
    assert a[0].data != c[0].data


async def test_every_image_is_marked_as_a_mock() -> None:
    [image] = await run(MockEngine(), REFRAME, reframe_input())
    picture = Image.open(io.BytesIO(image.data))
    assert picture.info["Comment"] == MOCK_NOTICE
    # The word MOCK is drawn in white with a black outline across the centre.
    centre = picture.convert("RGB").crop((128, 200, 384, 312))
    colours = centre.getcolors(maxcolors=1 << 16) or []
    assert any(min(c) > 240 for _, c in colours) and any(max(c) < 20 for _, c in colours)


async def test_fail_rate_one_always_fails() -> None:
    with pytest.raises(GenerationFailed, match="simulated failure"):
        await run(MockEngine(fail_rate=1.0), REFRAME, reframe_input())


async def test_supports_catalog_models_only() -> None:
    engine = MockEngine()
    assert engine.supports(REFRAME) and engine.supports("qwen/image-edit")
    assert not engine.supports("no/such-model")


async def test_an_upscale_is_its_source_size_times_its_scale_up_to_the_mocks_cap() -> None:
    params = {"image_url": "https://example.com/a.png", "upscale_factor": "4"}
    [image] = await MockEngine().run(
        EngineJob("t1", "topaz/image-upscale", params, {"image_url": [source()]})
    )
    assert (image.width, image.height) == (256, 192)
    assert Image.open(io.BytesIO(image.data)).size == (256, 192)
    # 4000 x 3000 at 4x is 192 megapixels: refused before anything is drawn.
    big = SourceImage("https://example.com/a.png", source().data, "image/png", 4000, 3000)
    with pytest.raises(InputRejected, match=r"^input\.upscale_factor: .* mock engine's limit"):
        await MockEngine().run(EngineJob("t1", "topaz/image-upscale", params, {"image_url": [big]}))
