"""grok-imagine-image-2-0/text-to-image and grok-imagine-image-2-0/image-edit: xAI's Grok
Imagine Image 2.0 on Kie's jobs API.

Sources: https://docs.kie.ai/market/grok-imagine-image-2-0/text-to-image ("Grok Imagine Image
2.0 Text To Image") and https://docs.kie.ai/market/grok-imagine-image-2-0/image-to-image
("Grok Imagine Image 2.0 Image Edit": its URL says image-to-image, its model id image-edit).
Both pages require an ``aspect_ratio`` with no default, where Grok Imagine 1 had one. Neither
page states a price; the prices here are imagegate's defaults. (The family's segment-map and
segment-edit pages work on Kie task ids and are not catalogued: docs/catalog.md.)
"""

from __future__ import annotations

from imagegate.catalog.common import prompt_field
from imagegate.catalog.fields import ImageUrlListField, StringField
from imagegate.catalog.market import aspect_ratio_field
from imagegate.catalog.pricing import PerImage
from imagegate.catalog.spec import ModelSpec

# The pages' enums, in their order: image edit adds "auto" (the output follows the input).
_RATIOS = ("1:1", "2:3", "3:2", "16:9", "9:16")
_EDIT_RATIOS = (*_RATIOS, "auto")
_RATIO_TEXT = (
    "Specifies the width-to-height ratio of the generated image. Controls the aspect ratio of"
    " the output. This field is required."
)

# imagegate's default price, 4 credits per image for both models, as for Grok Imagine 1; the
# pages give no price (the image edit page's callback example reports creditsConsumed 4).
_PRICE = PerImage(4000)

GROK_IMAGINE_IMAGE_2_TEXT_TO_IMAGE = ModelSpec(
    name="grok-imagine-image-2-0/text-to-image",
    description="xAI Grok Imagine Image 2.0: text to image in five aspect ratios.",
    fields=(
        # Required; the page gives no length limit.
        prompt_field(
            max_length=None,
            description="Text prompt describing the desired image. This field is required.",
        ),
        aspect_ratio_field(_RATIOS, required=True, description=_RATIO_TEXT),
    ),
    pricing=_PRICE,
    size_field="aspect_ratio",
    # The page's request example (its input), empty prompt and all.
    example={"prompt": "", "aspect_ratio": "1:1"},
)

_EDIT_IMAGE = "https://static.aiquickdraw.com/tools/example/1767602105243_0MmMCrwq.png"
_EDIT_PROMPT = (
    "Recreate the Titanic movie poster with two adorable anthropomorphic cats in the same"
    " romantic pose at the bow of the ship. The male cat is an orange tabby wearing a vest,"
    " standing behind a white long-haired female cat in a lace dress, holding her paws as they"
    " stretch forward in the wind. Both cats are photorealistic with detailed fur, wind-swept"
    " hair, and dramatic sunset lighting (warm golden highlights, cool blue shadows)."
    " Background: the Titanic ship at dusk with four smokestacks, glowing deck lights, calm"
    " ocean, and orange-pink sunset sky. Center title: \u201cCATANIC\u201d in the same gold"
    " metallic serif style as Titanic, same size and position."
)

GROK_IMAGINE_IMAGE_2_IMAGE_EDIT = ModelSpec(
    name="grok-imagine-image-2-0/image-edit",
    description=(
        "xAI Grok Imagine Image 2.0 image edit: a new image from one to five reference images"
        " and an optional prompt; with aspect ratio auto it keeps the first image's shape."
    ),
    fields=(
        # Optional (the page requires aspect_ratio and image_urls only). The schema's
        # maxLength is 390000, its prose says "Max length: 8000 characters": the schema, which
        # is what the server reads, is taken, as for Grok Imagine 1's image to image.
        StringField(
            "prompt",
            max_length=390000,
            description=(
                "A text description specifying the desired content or style of the generated image."
            ),
        ),
        aspect_ratio_field(_EDIT_RATIOS, required=True, description=_RATIO_TEXT),
        # "An array containing up to 5 and at least 1 URL strings" (maxItems 5). The page
        # names no image types or size: Grok Imagine 1's (JPEG, PNG, WebP; 10MB) are taken.
        ImageUrlListField(
            "image_urls",
            required=True,
            min_items=1,
            max_items=5,
            description=(
                "An array containing up to 5 and at least 1 URL strings pointing to a"
                " reference image."
            ),
            examples=([_EDIT_IMAGE],),
        ),
    ),
    pricing=_PRICE,
    size_field="aspect_ratio",
    # The page's request example (its input).
    example={"prompt": _EDIT_PROMPT, "aspect_ratio": "1:1", "image_urls": [_EDIT_IMAGE]},
)
