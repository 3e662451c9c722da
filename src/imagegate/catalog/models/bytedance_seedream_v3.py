"""bytedance/seedream: Seedream 3.0 text to image.

Source: https://docs.kie.ai/market/seedream/seedream (the OpenAPI body of the page).
"""

from __future__ import annotations

from imagegate.catalog.common import image_size_field, seed_field
from imagegate.catalog.fields import NumberField
from imagegate.catalog.market import market_prompt
from imagegate.catalog.pricing import PerImage
from imagegate.catalog.spec import ModelSpec

BYTEDANCE_SEEDREAM_V3 = ModelSpec(
    name="bytedance/seedream",
    description="ByteDance Seedream 3.0: text to image with the six named image sizes.",
    fields=(
        market_prompt(5000),
        image_size_field(default="square_hd", description="The size of the generated image."),
        NumberField(
            "guidance_scale",
            minimum=1,
            maximum=10,
            step=0.1,
            default=2.5,
            description=(
                "How closely the output image follows the prompt: higher is stronger"
                " (1-10, step 0.1)."
            ),
        ),
        seed_field(description="Random seed to control the stochasticity of image generation."),
    ),
    # imagegate's default: 5 credits per image, as Seedream 4.0; Kie's page gives no price.
    pricing=PerImage(5000),
    # No request example on the page's schema; this one is imagegate's.
    example={
        "prompt": "A paper boat on a rain puddle, macro photograph, soft morning light",
        "image_size": "landscape_16_9",
        "guidance_scale": 2.5,
        "seed": 7,
    },
)
