"""The models imagegate knows, looked up by their exact wire name."""

from __future__ import annotations

from imagegate.catalog.models.bytedance_seedream_v3 import BYTEDANCE_SEEDREAM_V3
from imagegate.catalog.models.bytedance_seedream_v4_edit import BYTEDANCE_SEEDREAM_V4_EDIT
from imagegate.catalog.models.bytedance_seedream_v4_text_to_image import (
    BYTEDANCE_SEEDREAM_V4_TEXT_TO_IMAGE,
)
from imagegate.catalog.models.flux2 import (
    FLUX2_FLEX_IMAGE_TO_IMAGE,
    FLUX2_FLEX_TEXT_TO_IMAGE,
    FLUX2_PRO_IMAGE_TO_IMAGE,
    FLUX2_PRO_TEXT_TO_IMAGE,
)
from imagegate.catalog.models.flux_kontext import FLUX_KONTEXT_MAX, FLUX_KONTEXT_PRO
from imagegate.catalog.models.google_imagen4 import GOOGLE_IMAGEN4
from imagegate.catalog.models.google_imagen4_fast import GOOGLE_IMAGEN4_FAST
from imagegate.catalog.models.google_imagen4_ultra import GOOGLE_IMAGEN4_ULTRA
from imagegate.catalog.models.google_nano_banana import GOOGLE_NANO_BANANA
from imagegate.catalog.models.google_nano_banana_2 import NANO_BANANA_2, NANO_BANANA_2_LITE
from imagegate.catalog.models.google_nano_banana_edit import GOOGLE_NANO_BANANA_EDIT
from imagegate.catalog.models.gpt4o_image import GPT4O_IMAGE
from imagegate.catalog.models.gpt_image_1_5 import (
    GPT_IMAGE_1_5_IMAGE_TO_IMAGE,
    GPT_IMAGE_1_5_TEXT_TO_IMAGE,
)
from imagegate.catalog.models.gpt_image_2 import (
    GPT_IMAGE_2_IMAGE_TO_IMAGE,
    GPT_IMAGE_2_TEXT_TO_IMAGE,
)
from imagegate.catalog.models.grok_imagine import (
    GROK_IMAGINE_IMAGE_TO_IMAGE,
    GROK_IMAGINE_TEXT_TO_IMAGE,
)
from imagegate.catalog.models.grok_imagine_image_2 import (
    GROK_IMAGINE_IMAGE_2_IMAGE_EDIT,
    GROK_IMAGINE_IMAGE_2_TEXT_TO_IMAGE,
)
from imagegate.catalog.models.ideogram_character import IDEOGRAM_CHARACTER
from imagegate.catalog.models.ideogram_character_edit_remix import (
    IDEOGRAM_CHARACTER_EDIT,
    IDEOGRAM_CHARACTER_REMIX,
)
from imagegate.catalog.models.ideogram_v3_edit_remix import IDEOGRAM_V3_EDIT, IDEOGRAM_V3_REMIX
from imagegate.catalog.models.ideogram_v3_reframe import IDEOGRAM_V3_REFRAME
from imagegate.catalog.models.ideogram_v3_text_to_image import IDEOGRAM_V3_TEXT_TO_IMAGE
from imagegate.catalog.models.nano_banana_pro import NANO_BANANA_PRO
from imagegate.catalog.models.nano_banana_upscale import NANO_BANANA_UPSCALE
from imagegate.catalog.models.qwen2 import QWEN2_IMAGE_EDIT, QWEN2_TEXT_TO_IMAGE
from imagegate.catalog.models.qwen2_1 import QWEN21_IMAGE_TO_IMAGE, QWEN21_TEXT_TO_IMAGE
from imagegate.catalog.models.qwen3 import (
    QWEN3_IMAGE_TO_IMAGE,
    QWEN3_PRO_IMAGE_TO_IMAGE,
    QWEN3_PRO_TEXT_TO_IMAGE,
    QWEN3_TEXT_TO_IMAGE,
)
from imagegate.catalog.models.qwen_image_edit import QWEN_IMAGE_EDIT
from imagegate.catalog.models.qwen_image_to_image import QWEN_IMAGE_TO_IMAGE
from imagegate.catalog.models.qwen_text_to_image import QWEN_TEXT_TO_IMAGE
from imagegate.catalog.models.recraft_crisp_upscale import RECRAFT_CRISP_UPSCALE
from imagegate.catalog.models.recraft_remove_background import RECRAFT_REMOVE_BACKGROUND
from imagegate.catalog.models.seedream_v5 import (
    SEEDREAM_5_FLASH_IMAGE_TO_IMAGE,
    SEEDREAM_5_FLASH_TEXT_TO_IMAGE,
    SEEDREAM_5_LITE_IMAGE_TO_IMAGE,
    SEEDREAM_5_LITE_TEXT_TO_IMAGE,
    SEEDREAM_5_PRO_IMAGE_TO_IMAGE,
    SEEDREAM_5_PRO_TEXT_TO_IMAGE,
)
from imagegate.catalog.models.seedream_v45 import SEEDREAM_45_EDIT, SEEDREAM_45_TEXT_TO_IMAGE
from imagegate.catalog.models.topaz_image_upscale import TOPAZ_IMAGE_UPSCALE
from imagegate.catalog.models.wan_image import WAN_27_IMAGE, WAN_27_IMAGE_PRO
from imagegate.catalog.models.z_image import Z_IMAGE
from imagegate.catalog.spec import ModelSpec

# Adding a model: write its module under models/ and list its spec here.
_MODELS: tuple[ModelSpec, ...] = (
    IDEOGRAM_V3_REFRAME,
    QWEN_IMAGE_EDIT,
    GOOGLE_NANO_BANANA,
    GOOGLE_NANO_BANANA_EDIT,
    NANO_BANANA_PRO,
    BYTEDANCE_SEEDREAM_V4_TEXT_TO_IMAGE,
    GOOGLE_IMAGEN4,
    GOOGLE_IMAGEN4_ULTRA,
    GOOGLE_IMAGEN4_FAST,
    IDEOGRAM_V3_TEXT_TO_IMAGE,
    IDEOGRAM_CHARACTER,
    QWEN_TEXT_TO_IMAGE,
    # Kie's per-model endpoints (api/gpt4o_image.py, api/flux_kontext.py); also createTask.
    GPT4O_IMAGE,
    FLUX_KONTEXT_PRO,
    FLUX_KONTEXT_MAX,
    # Google on Kie's market (issue 19): Nano Banana 2 and its Lite.
    NANO_BANANA_2,
    NANO_BANANA_2_LITE,
    # OpenAI GPT Image on Kie's market (issue 19); gpt4o-image above keeps its own endpoint.
    GPT_IMAGE_1_5_TEXT_TO_IMAGE,
    GPT_IMAGE_1_5_IMAGE_TO_IMAGE,
    GPT_IMAGE_2_TEXT_TO_IMAGE,
    GPT_IMAGE_2_IMAGE_TO_IMAGE,
    # xAI Grok Imagine images on Kie's market (issue 19).
    GROK_IMAGINE_TEXT_TO_IMAGE,
    GROK_IMAGINE_IMAGE_TO_IMAGE,
    # xAI Grok Imagine Image 2.0 on Kie's market (docs/catalog.md).
    GROK_IMAGINE_IMAGE_2_TEXT_TO_IMAGE,
    GROK_IMAGINE_IMAGE_2_IMAGE_EDIT,
    # Ideogram's edits and remixes on Kie's market (issue 19).
    IDEOGRAM_V3_EDIT,
    IDEOGRAM_V3_REMIX,
    IDEOGRAM_CHARACTER_EDIT,
    IDEOGRAM_CHARACTER_REMIX,
    # Kie's market pages (docs.kie.ai/market/...), issue 19: ByteDance Seedream.
    BYTEDANCE_SEEDREAM_V3,
    BYTEDANCE_SEEDREAM_V4_EDIT,
    SEEDREAM_45_TEXT_TO_IMAGE,
    SEEDREAM_45_EDIT,
    SEEDREAM_5_LITE_TEXT_TO_IMAGE,
    SEEDREAM_5_LITE_IMAGE_TO_IMAGE,
    SEEDREAM_5_PRO_TEXT_TO_IMAGE,
    SEEDREAM_5_PRO_IMAGE_TO_IMAGE,
    SEEDREAM_5_FLASH_TEXT_TO_IMAGE,
    SEEDREAM_5_FLASH_IMAGE_TO_IMAGE,
    # Black Forest Labs Flux-2.
    FLUX2_PRO_TEXT_TO_IMAGE,
    FLUX2_PRO_IMAGE_TO_IMAGE,
    FLUX2_FLEX_TEXT_TO_IMAGE,
    FLUX2_FLEX_IMAGE_TO_IMAGE,
    # Qwen Image 1, 2, 2.1 and 3.
    QWEN_IMAGE_TO_IMAGE,
    QWEN2_TEXT_TO_IMAGE,
    QWEN2_IMAGE_EDIT,
    QWEN21_TEXT_TO_IMAGE,
    QWEN21_IMAGE_TO_IMAGE,
    QWEN3_TEXT_TO_IMAGE,
    QWEN3_IMAGE_TO_IMAGE,
    QWEN3_PRO_TEXT_TO_IMAGE,
    QWEN3_PRO_IMAGE_TO_IMAGE,
    # Z-Image and Alibaba Wan.
    Z_IMAGE,
    WAN_27_IMAGE,
    WAN_27_IMAGE_PRO,
    # Upscalers and background removal (docs/catalog.md): the output is the source's
    # size times a factor (ModelSpec.scaled_size), or the source's size.
    NANO_BANANA_UPSCALE,
    TOPAZ_IMAGE_UPSCALE,
    RECRAFT_CRISP_UPSCALE,
    RECRAFT_REMOVE_BACKGROUND,
)

_BY_NAME: dict[str, ModelSpec] = {spec.name: spec for spec in _MODELS}
if len(_BY_NAME) != len(_MODELS):
    raise ValueError("two models in the catalog share a name")


def get_model(name: str) -> ModelSpec | None:
    """The spec of ``name`` (case-sensitive, as the specs demand), or None if unknown."""
    return _BY_NAME.get(name)


def all_models() -> list[ModelSpec]:
    """Every model, in registration order; a new list each call, safe to modify."""
    return list(_MODELS)
