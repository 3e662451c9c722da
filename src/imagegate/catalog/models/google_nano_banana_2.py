"""nano-banana-2 and nano-banana-2-lite: Google's Gemini 3.1 Flash Image on Kie's jobs API,
text to image with optional reference images.

Sources: https://docs.kie.ai/market/google/nanobanana2 (Nano Banana 2; its earlier address was
https://docs.kie.ai/market/google/nano-banana-2) and
https://docs.kie.ai/market/google/nano-banana-2-lite (Nano Banana 2 Lite). Neither page states
a price; the prices here are imagegate's defaults.
"""

from __future__ import annotations

from imagegate.catalog.common import K_RESOLUTION_LONG_SIDE, prompt_field
from imagegate.catalog.fields import BooleanField, ImageUrlListField, StringField
from imagegate.catalog.pricing import PerImage, PerImageBy
from imagegate.catalog.rules import NotTogether
from imagegate.catalog.spec import ModelSpec

_MB = 1024 * 1024
_TYPES = ("image/jpeg", "image/png", "image/webp")
_PROMPT_LIMIT = 20000

# The page's enum, in its order.
NANO_BANANA_2_RATIOS = (
    "1:1", "2:3", "3:2", "1:4", "4:1", "3:4", "4:3", "4:5", "5:4", "1:8", "8:1", "9:16",
    "16:9", "21:9", "auto",
)  # fmt: skip
# The page: "1:4, 4:1, 1:8, and 8:1 aspect ratios are not supported in 2K or 4K resolutions."
_EXTREME_RATIOS = frozenset({"1:4", "4:1", "1:8", "8:1"})

_EXAMPLE_PROMPT = (
    "Comic poster: cool banana hero in shades leaps from sci-fi pad. Six panels: 1) 4K"
    " mountain landscape, 2) banana holds page of long multilingual text with auto"
    " translation, 3) Gemini 3 hologram for search/knowledge/reasoning, 4) camera UI sliders"
    " for angle focus color, 5) frame trio 1:1-9:16, 6) consistent banana poses. Footer shows"
    " Google icons. Tagline: Nano Banana Pro now on Kie AI."
)

NANO_BANANA_2 = ModelSpec(
    name="nano-banana-2",
    description=(
        "Google Nano Banana 2 (Gemini 3.1 Flash Image): text to image at 1K, 2K or 4K, with up"
        " to 14 reference images to transform or follow."
    ),
    fields=(
        prompt_field(
            max_length=_PROMPT_LIMIT,
            description="A text description of the image you want to generate",
        ),
        ImageUrlListField(
            "image_input",
            max_items=14,
            max_bytes=30 * _MB,
            accepted_types=_TYPES,
            description=(
                "Input images to transform or use as reference (supports up to 14 images)"
                " (Accepted types: image/jpeg, image/png, image/webp; Max size: 30.0MB)"
            ),
        ),
        # The page's earlier revision documented this switch (no default) and clients still
        # send it; the current revision leaves it out. Kept, so that they are not told that
        # a field Kie documented is unknown; it is forwarded as sent.
        BooleanField(
            "google_search",
            description=(
                "Use Google Web Search grounding to generate images based on real-time"
                " information."
            ),
        ),
        StringField(
            "aspect_ratio",
            enum=NANO_BANANA_2_RATIOS,
            default="auto",
            description=(
                "Aspect ratio of the generated image, 1:4, 4:1, 1:8, and 8:1 aspect ratios are"
                " not supported in 2K or 4K resolutions."
            ),
        ),
        StringField(
            "resolution",
            enum=("1K", "2K", "4K"),
            default="1K",
            description="Resolution of the generated image",
        ),
        StringField(
            "output_format",
            enum=("png", "jpg"),
            default="jpg",
            description="Format of the output image",
        ),
    ),
    # imagegate's default prices per image (8 / 12 / 18 credits by resolution, of the shape
    # clients report for Kie's market price); Kie's page gives no price.
    pricing=PerImageBy("resolution", {"1K": 8000, "2K": 12000, "4K": 18000}),
    size_field="aspect_ratio",
    resolution_field="resolution",
    resolution_long_side=K_RESOLUTION_LONG_SIDE,
    rules=(
        NotTogether("aspect_ratio", _EXTREME_RATIOS, "resolution", frozenset({"2K", "4K"})),
    ),
    # The page's request example (its input).
    example={
        "prompt": _EXAMPLE_PROMPT,
        "image_input": [],
        "aspect_ratio": "auto",
        "resolution": "1K",
        "output_format": "png",
    },
)

# The Lite page's enum, in its order (the same fifteen values as Nano Banana 2's).
NANO_BANANA_2_LITE_RATIOS = (
    "1:1", "1:4", "1:8", "2:3", "3:2", "3:4", "4:1", "4:3", "4:5", "5:4", "8:1", "9:16",
    "16:9", "21:9", "auto",
)  # fmt: skip

_LITE_EXAMPLE_IMAGE = (
    "https://file.aiquickdraw.com/custom-page/akr/section-images/1756223420389w8xa2jfe.png"
)

NANO_BANANA_2_LITE = ModelSpec(
    name="nano-banana-2-lite",
    description=(
        "Google Nano Banana 2 Lite: fast, low-cost text to image with up to 10 reference"
        " images; one 1K image, no resolution or format choice."
    ),
    fields=(
        # The page lists image_urls first; the order of fields is the page's.
        ImageUrlListField(
            "image_urls",
            max_items=10,
            max_bytes=30 * _MB,
            accepted_types=_TYPES,
            # The page's default is [], which means the same as leaving the field out (pure
            # text to image), so none is applied.
            description=(
                "Input image URL array. Optional parameter. Set to an empty array or omit it for"
                " pure text-to-image generation. Supports up to 10 images. (Accepted types:"
                " image/jpeg, image/png, image/webp; Max size: 30.0MB)"
            ),
            examples=([_LITE_EXAMPLE_IMAGE],),
        ),
        prompt_field(
            max_length=_PROMPT_LIMIT,
            description="Text prompt used to generate the image. Maximum length: 20000 characters.",
        ),
        # The page marks it required and gives a default: required, as there; the default
        # stays documented (json_schema) but is never applied.
        StringField(
            "aspect_ratio",
            enum=NANO_BANANA_2_LITE_RATIOS,
            required=True,
            default="auto",
            description=(
                "Generated image aspect ratio. Default value: `auto`. Use `auto` to let the"
                " system choose the aspect ratio automatically."
            ),
        ),
    ),
    # imagegate's default price: 4 credits per image; Kie's page gives no price.
    pricing=PerImage(4000),
    size_field="aspect_ratio",
    # The page's request example (its input).
    example={
        "image_urls": [_LITE_EXAMPLE_IMAGE],
        "prompt": "Generate a pig on the grass, cinematic light",
        "aspect_ratio": "auto",
    },
)
