"""Image sizes in an upstream's terms, and results fitted to the exact pixels asked for."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from imagegate.catalog.presets import IDEOGRAM_V3_RESOLUTIONS
from imagegate.engines.base import OutputImage
from imagegate.engines.upstream.sizes import fit, ideogram_resolution, kie_image_size


@pytest.mark.parametrize(
    ("preset", "resolution"),
    [
        ("square_hd", "1024x1024"),
        ("square", "1024x1024"),  # Ideogram has no 512x512: same shape, nearest area
        ("landscape_16_9", "1312x736"),  # 1.783: the nearest to 16:9 (1.778)
        ("portrait_16_9", "736x1312"),
        ("landscape_4_3", "1152x864"),
        ("portrait_4_3", "864x1152"),
    ],
)
def test_presets_map_to_the_ideogram_resolution_of_their_shape(
    preset: str, resolution: str
) -> None:
    assert ideogram_resolution(preset) == resolution
    assert resolution in IDEOGRAM_V3_RESOLUTIONS


def test_ideogram_resolutions_pass_through_and_unknown_sizes_are_refused() -> None:
    assert ideogram_resolution("1280x704") == "1280x704"
    with pytest.raises(ValueError):
        ideogram_resolution("7:5")


def test_a_kie_upstream_gets_the_nearest_preset_and_the_exact_size_to_fit() -> None:
    assert kie_image_size("square_hd") == ("square_hd", None)
    assert kie_image_size("1280x704") == ("landscape_16_9", (1280, 704))
    assert kie_image_size("832x1248") == ("portrait_4_3", (832, 1248))


@pytest.mark.parametrize("mime", ["image/png", "image/jpeg", "image/webp"])
def test_fit_covers_and_crops_to_the_exact_size_in_the_same_format(mime: str) -> None:
    source = Image.new("RGB", (1024, 576), (200, 30, 30))
    fmt = mime.split("/")[1].upper()
    buffer = io.BytesIO()
    source.save(buffer, fmt)
    fitted = fit(OutputImage(buffer.getvalue(), mime, 1024, 576), (1280, 704))
    assert (fitted.width, fitted.height, fitted.mime_type) == (1280, 704, mime)
    with Image.open(io.BytesIO(fitted.data)) as image:
        assert image.size == (1280, 704) and image.format == fmt
        red = image.convert("RGB").getpixel((640, 352))
        assert isinstance(red, tuple) and red[0] > 150
