"""qwen/image-edit: edit an image from a text prompt with Qwen Image Edit (spec 004)."""

from __future__ import annotations

from imagegate.catalog.common import image_size_field, num_images_field, seed_field
from imagegate.catalog.fields import BooleanField, ImageUrlField, NumberField, StringField
from imagegate.catalog.pricing import PerImage
from imagegate.catalog.spec import ModelSpec

_EXAMPLE_IMAGE = (
    "https://file.aiquickdraw.com/custom-page/akr/section-images/1755603225969i6j87xnw.jpg"
)

QWEN_IMAGE_EDIT = ModelSpec(
    name="qwen/image-edit",
    description="Edit an image following a text prompt with Qwen Image Edit.",
    fields=(
        # Required means the key must be there; "" is allowed (spec 004's own example sends it).
        StringField(
            "prompt",
            required=True,
            default="",
            max_length=2000,
            description="The prompt to generate the image with",
        ),
        ImageUrlField(
            "image_url",
            required=True,
            description=(
                "The URL of the image to edit. (Accepted types: image/jpeg, image/png,"
                " image/webp; Max size: 10.0MB)"
            ),
            examples=(_EXAMPLE_IMAGE,),
        ),
        # Spec 004's prose lists only none/regular; its options and DESIGN.md add high.
        StringField(
            "acceleration",
            enum=("none", "regular", "high"),
            default="none",
            description=(
                "Acceleration level for image generation. Higher acceleration increases"
                " speed. 'regular' balances speed and quality."
            ),
        ),
        image_size_field(default="landscape_4_3", description="The size of the generated image."),
        # Spec 004's prose says 30; its default field says 25 (DESIGN.md: 25, range 2-49).
        NumberField(
            "num_inference_steps",
            integer=True,
            minimum=2,
            maximum=49,
            step=1,
            default=25,
            description="The number of inference steps to perform.",
        ),
        seed_field(
            description=(
                "The same seed and the same prompt given to the same version of the model will"
                " output the same image every time."
            )
        ),
        NumberField(
            "guidance_scale",
            minimum=0,
            maximum=20,
            step=0.1,
            default=4,
            description=(
                "The CFG (Classifier Free Guidance) scale: how close the model sticks to the"
                " prompt."
            ),
        ),
        BooleanField(
            "sync_mode",
            default=False,
            description=(
                "If true, wait for the image to be generated and uploaded before returning."
            ),
        ),
        # No default in spec 004: absent stays absent, and num_outputs() counts it as 1.
        num_images_field(),
        BooleanField(
            "enable_safety_checker",
            default=True,
            description="If set to true, the safety checker will be enabled.",
        ),
        StringField(
            "output_format",
            enum=("jpeg", "png"),
            default="png",
            description="The format of the generated image.",
        ),
        # Spec 004's prose says " "; its default field and DESIGN.md say "blurry, ugly".
        StringField(
            "negative_prompt",
            max_length=500,
            default="blurry, ugly",
            description="The negative prompt for the generation.",
        ),
    ),
    # imagegate's default price: 4 credits per image; operators set their own.
    pricing=PerImage(4000),
    # Spec 004's request example, less its "num_images": undefined (not JSON).
    example={
        "prompt": "",
        "image_url": _EXAMPLE_IMAGE,
        "acceleration": "none",
        "image_size": "landscape_4_3",
        "num_inference_steps": 25,
        "seed": 42,
        "guidance_scale": 4,
        "sync_mode": False,
        "enable_safety_checker": True,
        "output_format": "png",
        "negative_prompt": "blurry, ugly",
    },
)
