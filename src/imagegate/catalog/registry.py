"""The models imagegate knows, looked up by their exact wire name."""

from __future__ import annotations

from imagegate.catalog.models.ideogram_v3_reframe import IDEOGRAM_V3_REFRAME
from imagegate.catalog.models.qwen_image_edit import QWEN_IMAGE_EDIT
from imagegate.catalog.spec import ModelSpec

# Adding a model: write its module under models/ and list its spec here.
_MODELS: tuple[ModelSpec, ...] = (
    IDEOGRAM_V3_REFRAME,
    QWEN_IMAGE_EDIT,
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
