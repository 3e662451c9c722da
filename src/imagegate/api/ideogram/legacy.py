"""``POST /reframe``, Ideogram's legacy reframe (spec 003): its form fields (``image_file``,
``RESOLUTION_W_H``, the legacy ``model`` and ``style_type`` enums) parsed into a ``Reframe``,
the OpenAPI body that documents them, and the route.
"""

from __future__ import annotations

from fastapi import Depends, Request
from fastapi.responses import Response

from imagegate.api.ideogram.answers import invalid
from imagegate.api.ideogram.form import Form
from imagegate.api.ideogram.routes import API_KEY, FILE, RESPONSES, form_body, router
from imagegate.api.ideogram.task import MAX_NUM_IMAGES, Reframe, handle, random_seed
from imagegate.catalog.presets import IDEOGRAM_V3_RESOLUTIONS
from imagegate.catalog.seeds import SEED_MAX, SEED_MIN

# Legacy ``model`` values (Ideogram's ModelEnum); *_TURBO asks for speed.
LEGACY_MODELS = ("V_1", "V_1_TURBO", "V_2", "V_2_TURBO", "V_2A", "V_2A_TURBO", "V_3")
LEGACY_STYLE_TYPES = ("AUTO", "GENERAL", "REALISTIC", "DESIGN", "RENDER_3D", "ANIME")
LEGACY_RESOLUTIONS = {
    "RESOLUTION_" + value.replace("x", "_"): value for value in IDEOGRAM_V3_RESOLUTIONS
}


_LEGACY_FIELDS = ("image_file", "resolution", "model", "num_images", "seed", "style_type")


async def parse_legacy(form: Form) -> Reframe:
    ignored = form.unknown(_LEGACY_FIELDS)
    resolution = form.choice("resolution", tuple(LEGACY_RESOLUTIONS))
    model = form.choice("model", LEGACY_MODELS, default="V_2")
    num_images = form.integer("num_images", 1, MAX_NUM_IMAGES) or 1
    seed = form.integer("seed", SEED_MIN, SEED_MAX)
    style_type = form.text("style_type")
    if style_type is not None:
        style_type = form.choice("style_type", LEGACY_STYLE_TYPES)
        if model.startswith("V_1"):
            raise invalid(f"style_type cannot be used with model {model} (V_2 and above only)")
    image = await form.image("image_file")
    catalog_styles = ("AUTO", "GENERAL", "REALISTIC", "DESIGN")
    return Reframe(
        image=image,
        resolution=LEGACY_RESOLUTIONS[resolution],
        rendering_speed="TURBO" if model.endswith("_TURBO") else "BALANCED",
        num_images=num_images,
        seed=random_seed() if seed is None else seed,
        style=style_type if style_type in catalog_styles else None,
        style_type=style_type or "AUTO",
        ignored=ignored,
    )


_LEGACY_BODY = form_body(
    {
        "image_file": {**FILE, "description": "The image to reframe (JPEG, PNG or WebP, ≤ 10 MB)"},
        "resolution": {
            "type": "string", "enum": list(LEGACY_RESOLUTIONS), "example": "RESOLUTION_1024_1024",
            "description": "RESOLUTION_W_H for each of Ideogram v3's 69 resolutions",
        },
        "model": {
            "type": "string", "enum": list(LEGACY_MODELS), "default": "V_2",
            "description": "*_TURBO runs the TURBO speed, the others BALANCED",
        },
        "num_images": {"type": "integer", "minimum": 1, "maximum": MAX_NUM_IMAGES, "default": 1},
        "seed": {"type": "integer", "minimum": SEED_MIN, "maximum": SEED_MAX,
                 "description": "Random when absent; the answer reports it"},
        "style_type": {"type": "string", "enum": list(LEGACY_STYLE_TYPES),
                       "description": "Accepted; no effect on the classic engine"},
    },
    ["image_file", "resolution"],
    "Spec 003: a request to reframe an image to a new resolution.",
)


@router.post(
    "/reframe",
    summary="Reframe (Ideogram legacy)",
    responses=RESPONSES,
    openapi_extra=_LEGACY_BODY,
    dependencies=[Depends(API_KEY)],
)
async def reframe_legacy(request: Request) -> Response:
    """Ideogram's legacy reframe (spec 003): the image extended to ``resolution``, answered
    when the task has ended. Runs as an ordinary ``ideogram/v3-reframe`` task."""
    return await handle(request, parse_legacy)
