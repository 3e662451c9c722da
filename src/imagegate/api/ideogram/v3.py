"""``POST /v1/ideogram-v3/reframe``, Ideogram 3.0's reframe: its form fields (``image``, the 69
``WxH`` resolutions, the four rendering speeds, and style fields checked for their shape only)
parsed into a ``Reframe``, the OpenAPI body that documents them, and the route.
"""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import Depends, Request
from fastapi.responses import Response

from imagegate.api.ideogram.answers import invalid
from imagegate.api.ideogram.form import Form
from imagegate.api.ideogram.routes import API_KEY, FILE, RESPONSES, form_body, router
from imagegate.api.ideogram.task import MAX_NUM_IMAGES, Reframe, handle, random_seed
from imagegate.catalog.presets import IDEOGRAM_V3_RESOLUTIONS
from imagegate.catalog.seeds import SEED_MAX, SEED_MIN

# Ideogram v3's four speeds onto the classic engine's three.
V3_SPEEDS = {"FLASH": "TURBO", "TURBO": "TURBO", "DEFAULT": "BALANCED", "QUALITY": "QUALITY"}
_STYLE_PRESET = re.compile(r"^[A-Z0-9_]{1,64}$")
_STYLE_CODE = re.compile(r"^[0-9A-Fa-f]{8}$")
_COLOR_HEX = re.compile(r"^#[0-9A-Fa-f]{6}$")


_V3_FIELDS = (
    "image", "resolution", "num_images", "seed", "rendering_speed", "style_preset",
    "color_palette", "style_codes", "style_reference_images",
)


# check_color_palette's rule as JSON Schema: the form field carries it as JSON text.
COLOR_PALETTE_SCHEMA: dict[str, Any] = {"oneOf": [
    {"type": "object", "required": ["name"], "additionalProperties": False,
     "properties": {"name": {"type": "string", "pattern": _STYLE_PRESET.pattern}}},
    {"type": "object", "required": ["members"], "additionalProperties": False,
     "properties": {"members": {"type": "array", "minItems": 1, "items": {
         "type": "object", "required": ["color_hex"], "additionalProperties": False,
         "properties": {
             "color_hex": {"type": "string", "pattern": _COLOR_HEX.pattern},
             "color_weight": {"type": ["number", "null"], "minimum": 0.05, "maximum": 1},
         },
     }}}},
]}


def check_color_palette(text: str) -> None:
    """``{"name": PRESET}`` or ``{"members": [{"color_hex": "#RRGGBB", "color_weight"?}]}``."""
    try:
        palette = json.loads(text)
    except json.JSONDecodeError as exc:
        raise invalid(f"color_palette must be a JSON object: {exc}") from exc
    if not isinstance(palette, dict) or not palette:
        raise invalid("color_palette must be a JSON object with 'name' or 'members'")
    if "name" in palette:
        if set(palette) != {"name"} or not isinstance(palette["name"], str):
            raise invalid("color_palette: a preset palette is {\"name\": \"PRESET\"} alone")
        if not _STYLE_PRESET.match(palette["name"]):
            raise invalid("color_palette.name must be an upper-case preset name such as PASTEL")
        return
    members = palette.get("members")
    if set(palette) != {"members"} or not isinstance(members, list) or not members:
        raise invalid("color_palette must have 'name' or a non-empty 'members' list")
    for index, member in enumerate(members):
        where = f"color_palette.members[{index}]"
        if not isinstance(member, dict) or set(member) - {"color_hex", "color_weight"}:
            raise invalid(f"{where} must be an object with color_hex and color_weight")
        hex_value = member.get("color_hex")
        if not isinstance(hex_value, str) or not _COLOR_HEX.match(hex_value):
            raise invalid(f"{where}.color_hex must be #RRGGBB")
        weight = member.get("color_weight")
        if weight is not None and (
            isinstance(weight, bool) or not isinstance(weight, int | float)
            or not 0.05 <= weight <= 1
        ):
            raise invalid(f"{where}.color_weight must be a number from 0.05 to 1")


async def parse_v3(form: Form) -> Reframe:
    ignored = form.unknown(_V3_FIELDS)
    resolution = form.choice("resolution", IDEOGRAM_V3_RESOLUTIONS)
    speed = form.choice("rendering_speed", tuple(V3_SPEEDS), default="DEFAULT")
    num_images = form.integer("num_images", 1, MAX_NUM_IMAGES) or 1
    seed = form.integer("seed", SEED_MIN, SEED_MAX)
    # The style fields are checked for their shape and have no effect on the classic engine.
    preset = form.text("style_preset")
    if preset is not None and not _STYLE_PRESET.match(preset):
        raise invalid("style_preset must be an upper-case preset name such as WATERCOLOR")
    palette = form.text("color_palette")
    if palette is not None:
        check_color_palette(palette)
    for code in form.form.getlist("style_codes"):
        if not isinstance(code, str) or not _STYLE_CODE.match(code.strip()):
            raise invalid("style_codes must each be 8 hexadecimal characters")
    references = await form.images("style_reference_images")
    total = sum(len(part.data) for part in references)
    if total > form.max_image_bytes:
        raise invalid(
            f"style_reference_images are {total} bytes together; the limit is"
            f" {form.max_image_bytes} bytes"
        )
    image = await form.image("image")
    return Reframe(
        image=image,
        resolution=resolution,
        rendering_speed=V3_SPEEDS[speed],
        num_images=num_images,
        seed=random_seed() if seed is None else seed,
        style=None,
        style_type="AUTO",
        ignored=ignored,
    )


_V3_BODY = form_body(
    {
        "image": {**FILE, "description": "The image to reframe (JPEG, PNG or WebP, ≤ 10 MB)"},
        "resolution": {"type": "string", "enum": list(IDEOGRAM_V3_RESOLUTIONS),
                       "example": "1312x736"},
        "rendering_speed": {
            "type": "string", "enum": list(V3_SPEEDS), "default": "DEFAULT",
            "description": "FLASH and TURBO run the classic engine's TURBO, DEFAULT its"
                           " BALANCED, QUALITY its QUALITY",
        },
        "num_images": {"type": "integer", "minimum": 1, "maximum": MAX_NUM_IMAGES, "default": 1},
        "seed": {"type": "integer", "minimum": SEED_MIN, "maximum": SEED_MAX,
                 "description": "Random when absent; the answer reports it"},
        "style_preset": {"type": "string", "pattern": _STYLE_PRESET.pattern,
                         "description": "Accepted; no effect (classic engine)"},
        "color_palette": {**COLOR_PALETTE_SCHEMA,
            "description": 'A JSON text: {"name": "PASTEL"} or {"members": [{"color_hex":'
                           ' "#RRGGBB", "color_weight": 0.5}]}. Accepted; no effect (classic'
                           " engine)",
        },
        "style_codes": {
            "type": "array", "items": {"type": "string", "pattern": "^[0-9A-Fa-f]{8}$"},
            "description": "Accepted; no effect (classic engine)",
        },
        "style_reference_images": {
            "type": "array", "items": FILE,
            "description": "JPEG, PNG or WebP, ≤ 10 MB together. Accepted; no effect"
                           " (classic engine)",
        },
    },
    ["image", "resolution"],
    "Ideogram 3.0 reframe: the image extended to one of the 69 v3 resolutions.",
)


@router.post(
    "/v1/ideogram-v3/reframe",
    summary="Reframe with Ideogram 3.0",
    responses=RESPONSES,
    openapi_extra=_V3_BODY,
    dependencies=[Depends(API_KEY)],
)
async def reframe_v3(request: Request) -> Response:
    """Ideogram 3.0's reframe: the image extended to ``resolution``, answered when the task
    has ended. Runs as an ordinary ``ideogram/v3-reframe`` task."""
    return await handle(request, parse_v3)
