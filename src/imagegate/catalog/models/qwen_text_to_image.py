"""qwen/text-to-image: text to image with Qwen Image (provider-notes.md; spec 002 does not
list it)."""

from __future__ import annotations

from imagegate.catalog.common import image_size_field, prompt_field, seed_field
from imagegate.catalog.fields import BooleanField, NumberField, StringField
from imagegate.catalog.pricing import PerImage
from imagegate.catalog.spec import ModelSpec

QWEN_TEXT_TO_IMAGE = ModelSpec(
    name="qwen/text-to-image",
    description="Generate an image from a text prompt with Qwen Image.",
    fields=(
        prompt_field(),
        image_size_field(default="square_hd", description="The size of the generated image."),
        NumberField(
            "num_inference_steps",
            integer=True,
            minimum=2,
            maximum=250,
            default=30,
            description="The number of inference steps to perform.",
        ),
        seed_field(),
        NumberField(
            "guidance_scale",
            minimum=0,
            maximum=20,
            default=2.5,
            description=(
                "The CFG (Classifier Free Guidance) scale: how close the model sticks to the"
                " prompt."
            ),
        ),
        # The notes give no default for enable_safety_checker or acceleration: absent stays
        # absent (engines read absent as the provider's own default).
        BooleanField(
            "enable_safety_checker",
            description="If set to true, the safety checker will be enabled.",
        ),
        # The notes give no default; spec 002's "Default Formats: most models: PNG" does.
        StringField(
            "output_format",
            enum=("png", "jpeg"),
            default="png",
            description="The format of the generated image.",
        ),
        StringField(
            "negative_prompt",
            max_length=500,
            description="The negative prompt for the generation.",
        ),
        StringField(
            "acceleration",
            enum=("none", "regular", "high"),
            description="Acceleration level for image generation.",
        ),
    ),
    # imagegate's default price: 4 credits per image, as qwen/image-edit; operators set
    # their own.
    pricing=PerImage(4000),
    # No request example in the documents; this one is imagegate's.
    example={
        "prompt": "A red fox in a snowy forest, storybook illustration",
        "image_size": "square_hd",
        "num_inference_steps": 30,
        "seed": 42,
        "guidance_scale": 2.5,
        "output_format": "png",
    },
)
