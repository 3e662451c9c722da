"""qwen/image-to-image: Qwen Image guided by one reference image, with a denoising strength.

Source: https://docs.kie.ai/market/qwen/image-to-image (the OpenAPI body of the page). The
output follows the reference image's size: the page has no size field.
"""

from __future__ import annotations

from imagegate.catalog.common import seed_field
from imagegate.catalog.fields import BooleanField, ImageUrlField, NumberField, StringField
from imagegate.catalog.market import choice_field, market_prompt, nsfw_checker_field
from imagegate.catalog.pricing import PerImage
from imagegate.catalog.spec import ModelSpec

_EXAMPLE_IMAGE = (
    "https://file.aiquickdraw.com/custom-page/akr/section-images/1755603225969i6j87xnw.jpg"
)

QWEN_IMAGE_TO_IMAGE = ModelSpec(
    name="qwen/image-to-image",
    description="Generate an image from a prompt and a reference image with Qwen Image.",
    fields=(
        market_prompt(5000, description="The prompt to generate the image with."),
        ImageUrlField(
            "image_url",
            required=True,
            description=(
                "The reference image to guide the generation (Accepted types: image/jpeg,"
                " image/png, image/webp; Max size: 10.0MB)"
            ),
        ),
        NumberField(
            "strength",
            minimum=0,
            maximum=1,
            step=0.01,
            default=0.8,
            description="Denoising strength: 1.0 fully remakes the image, 0.0 keeps it.",
        ),
        choice_field(
            "output_format",
            ("png", "jpeg"),
            default="png",
            description="The format of the generated image.",
        ),
        choice_field(
            "acceleration",
            ("none", "regular", "high"),
            default="none",
            description=(
                "Acceleration level: higher is faster; 'regular' balances speed and quality,"
                " 'high' is recommended for images without text."
            ),
        ),
        StringField(
            "negative_prompt", max_length=500, description="The negative prompt for the generation."
        ),
        seed_field(
            description=(
                "The same seed and prompt given to the same version of the model output the"
                " same image every time."
            )
        ),
        NumberField(
            "num_inference_steps",
            integer=True,
            minimum=2,
            maximum=250,
            default=30,
            description="The number of inference steps to perform (2-250).",
        ),
        NumberField(
            "guidance_scale",
            minimum=0,
            maximum=20,
            step=0.1,
            default=2.5,
            description=(
                "The CFG (Classifier Free Guidance) scale: how close the model sticks to the"
                " prompt (0-20, step 0.1)."
            ),
        ),
        BooleanField(
            "enable_safety_checker",
            description="The model's own safety checker; only the API can turn it off.",
        ),
        nsfw_checker_field(),
    ),
    # imagegate's default: 4 credits per image, Kie's price of qwen/text-to-image
    # (kie.ai/pricing); this page gives none.
    pricing=PerImage(4000),
    # The page's example sends an empty image_url, which no task can use; this one gives the
    # qwen/image-edit page's example image instead, with the page's other values.
    example={
        "prompt": "Turn the scene into a snowy winter evening",
        "image_url": _EXAMPLE_IMAGE,
        "strength": 0.8,
        "output_format": "png",
        "acceleration": "none",
        "negative_prompt": "blurry, ugly",
        "num_inference_steps": 30,
        "guidance_scale": 2.5,
        "enable_safety_checker": True,
    },
)
