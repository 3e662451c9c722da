"""grok-imagine/text-to-image and grok-imagine/image-to-image: xAI's Grok Imagine images on
Kie's jobs API.

Sources: https://docs.kie.ai/market/grok-imagine/text-to-image and
https://docs.kie.ai/market/grok-imagine/image-to-image. Neither page states a price; the prices
here are imagegate's defaults. (grok-imagine/upscale, on the same family's pages, upscales a
Kie video task by its id: not an image model, so not catalogued.)
"""

from __future__ import annotations

from imagegate.catalog.common import prompt_field
from imagegate.catalog.fields import BooleanField, ImageUrlListField, StringField
from imagegate.catalog.pricing import PerImage, PerImageBy
from imagegate.catalog.spec import ModelSpec


def _nsfw_checker() -> BooleanField:
    return BooleanField(
        "nsfw_checker",
        default=False,
        description=(
            "Defaults to false. If set to false, content filtering is disabled and all results"
            " are returned directly by the model itself."
        ),
    )


_T2I_PROMPT = (
    "Cinematic portrait of a woman sitting by a vinyl record player, retro living room"
    " background, soft ambient lighting, warm earthy tones, nostalgic 1970s wardrobe,"
    " reflective mood, gentle film grain texture, shallow depth of field, vintage editorial"
    " photography style."
)

GROK_IMAGINE_TEXT_TO_IMAGE = ModelSpec(
    name="grok-imagine/text-to-image",
    description=(
        "xAI Grok Imagine: photorealistic text to image in five aspect ratios, in speed or"
        " quality mode."
    ),
    fields=(
        prompt_field(
            max_length=5000, description="Text prompt describing the desired image."
        ),
        # The schema gives no default; its description says "Default: 1:1".
        StringField(
            "aspect_ratio",
            enum=("2:3", "3:2", "1:1", "16:9", "9:16"),
            default="1:1",
            description="Specifies the width-to-height ratio of the generated image.",
        ),
        _nsfw_checker(),
        # No default: left out, the request runs in speed mode (false).
        BooleanField(
            "enable_pro",
            description=(
                "Processing strategy: false is speed mode (latency first), true is quality"
                " mode (quality and precision first)."
            ),
        ),
    ),
    # imagegate's default prices per image: 4 credits in speed mode (also when enable_pro is
    # left out), 8 in quality mode; Kie's page gives no price.
    pricing=PerImageBy("enable_pro", {False: 4000, True: 8000}, absent=False),
    size_field="aspect_ratio",
    # The page's request example (its input).
    example={"prompt": _T2I_PROMPT, "aspect_ratio": "3:2"},
)

_I2I_IMAGE = "https://static.aiquickdraw.com/tools/example/1767602105243_0MmMCrwq.png"
_I2I_PROMPT = (
    "Recreate the Titanic movie poster with two adorable anthropomorphic cats in the same"
    " romantic pose at the bow of the ship. The male cat is an orange tabby wearing a vest,"
    " standing behind a white long-haired female cat in a lace dress, holding her paws as they"
    " stretch forward in the wind. Both cats are photorealistic with detailed fur, wind-swept"
    " hair, and dramatic sunset lighting (warm golden highlights, cool blue shadows)."
    " Background: the Titanic ship at dusk with four smokestacks, glowing deck lights, calm"
    " ocean, and orange-pink sunset sky. Center title: \u201cCATANIC\u201d in the same gold"
    " metallic serif style as Titanic, same size and position."
)

GROK_IMAGINE_IMAGE_TO_IMAGE = ModelSpec(
    name="grok-imagine/image-to-image",
    description=(
        "xAI Grok Imagine image to image: a new image from reference images and an optional"
        " prompt; the output keeps the first reference's size."
    ),
    fields=(
        # Optional here (the page requires only image_urls), up to the page's 390000.
        StringField(
            "prompt",
            max_length=390000,
            description=(
                "A text description specifying the desired content or style of the generated"
                " image. Reference an image in the prompt as @image1, @image2, ..."
            ),
        ),
        # The schema's maxItems is 5 (its prose still says one image, from the page's earlier
        # revision whose maxItems was 1); the schema is taken. At least one: it is required.
        ImageUrlListField(
            "image_urls",
            required=True,
            min_items=1,
            max_items=5,
            description=(
                "Reference image URLs. (Accepted types: image/jpeg, image/png, image/webp. Max"
                " size: 10.0MB per image.)"
            ),
            examples=([_I2I_IMAGE],),
        ),
        _nsfw_checker(),
    ),
    # imagegate's default price: 4 credits per image; Kie's page gives no price.
    pricing=PerImage(4000),
    # The page's request example (its input).
    example={"prompt": _I2I_PROMPT, "image_urls": [_I2I_IMAGE]},
)
