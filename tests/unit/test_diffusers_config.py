"""The diffusers engine's configuration and parameter mapping, without torch: what is refused,
and how each model's input becomes a pipeline's steps, guidance and size."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from imagegate.catalog import get_model
from imagegate.engines.base import EngineJob
from imagegate.engines.diffusers.config import parse_diffusers, weights_dir
from imagegate.engines.diffusers.mapping import build_request, generation_size


def table(**pipeline: Any) -> dict[str, Any]:
    return {"pipelines": {"p": {"pipeline": "FluxPipeline", "weights": "/w",
                                "models": ["google/imagen4"], **pipeline}}}


@pytest.mark.parametrize(("change", "message"), [
    ({"pipeline": "MadeUpPipeline"}, "is not one of"),
    ({"models": ["qwen/image-edit"]}, "FluxPipeline cannot serve 'qwen/image-edit'"),
    ({"models": ["no/such-model"]}, "unknown model"),
    ({"repo": "org/name"}, "exactly one of weights"),
    ({"stepz": 3}, "pipelines.p.stepz"),
])
def test_mistakes_are_refused_naming_the_field(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_diffusers(table(**change))


def test_a_model_served_twice_and_an_empty_table_are_refused() -> None:
    twice = table()
    twice["pipelines"]["q"] = dict(twice["pipelines"]["p"])
    with pytest.raises(ValueError, match="served by both"):
        parse_diffusers(twice)
    with pytest.raises(ValueError, match=r"\[engines.diffusers\]"):
        parse_diffusers({})


def request_for(model: str, fields: dict[str, Any], **pipeline: Any) -> Any:
    config = parse_diffusers({"pipelines": {"p": {"weights": "/w", "models": [model],
                                                  **pipeline}}})
    spec = get_model(model)
    assert spec is not None
    return build_request("p", config.pipelines["p"], EngineJob("t", model, spec.validate(fields)))


def test_each_models_speed_choice_scales_the_steps() -> None:
    flux = {"pipeline": "FluxPipeline", "steps": 20}
    assert request_for("google/imagen4-fast", {"prompt": "x"}, **flux).call[
        "num_inference_steps"] == 10
    assert request_for("google/imagen4-ultra", {"prompt": "x"}, **flux).call[
        "num_inference_steps"] == 30
    speeds = {s: request_for("ideogram/v3-text-to-image", {"prompt": "x", "rendering_speed": s},
                             **flux).call["num_inference_steps"]
              for s in ("TURBO", "BALANCED", "QUALITY")}
    assert speeds == {"TURBO": 10, "BALANCED": 20, "QUALITY": 30}
    qwen = request_for("qwen/text-to-image", {"prompt": "x", "num_inference_steps": 40,
                                               "acceleration": "regular", "seed": 9},
                       pipeline="QwenImagePipeline")
    assert qwen.call["num_inference_steps"] == 30 and qwen.call["true_cfg_scale"] == 2.5
    assert [row.seed for row in qwen.rows] == [9] and qwen.rows[0].negative_prompt == " "


def test_sizes_follow_the_model_and_are_capped_to_multiples_of_16() -> None:
    seedream = request_for("bytedance/seedream-v4-text-to-image",
                           {"prompt": "x", "image_size": "landscape_16_9", "max_images": 3},
                           pipeline="FluxPipeline")
    assert seedream.size == (2048, 1152) and len(seedream.rows) == 3
    assert (seedream.call["width"], seedream.call["height"]) == (2048, 1152)
    assert generation_size((1024, 440), 512) == (512, 208)
    assert generation_size((1024, 680), None) == (1024, 672)


def test_weights_that_are_only_partly_there_are_named_at_the_check(tmp_path: Path) -> None:
    # A folder that exists is not yet weights: an empty one, a dangling link (an unfinished
    # download in the Hugging Face cache) and a shard its index names all fail the check.
    root = tmp_path / "pipe"
    (root / "scheduler").mkdir(parents=True)
    (root / "scheduler" / "scheduler_config.json").write_text("{}")
    (root / "transformer").mkdir()
    (root / "model_index.json").write_text(json.dumps({
        "_class_name": "FluxPipeline",
        "scheduler": ["diffusers", "FlowMatchEulerDiscreteScheduler"],
        "transformer": ["diffusers", "FluxTransformer2DModel"], "image_encoder": [None, None],
    }))
    pipeline = parse_diffusers(table(weights=str(root))).pipelines["p"]
    empty = re.escape(f"component 'transformer' is empty: {root / 'transformer'}")
    with pytest.raises(ValueError, match=empty):
        weights_dir("p", pipeline)
    weights = root / "transformer" / "diffusion_pytorch_model.safetensors"
    weights.symlink_to(tmp_path / "blobs" / "gone")
    with pytest.raises(ValueError, match="is a link to a file that is not there"):
        weights_dir("p", pipeline)
    weights.unlink()
    (root / "transformer" / "diffusion_pytorch_model.safetensors.index.json").write_text(
        json.dumps({"weight_map": {"a": "part-1.safetensors", "b": "part-2.safetensors"}})
    )
    (root / "transformer" / "part-1.safetensors").write_bytes(b"x")
    with pytest.raises(ValueError, match=r"part-2\.safetensors is missing"):
        weights_dir("p", pipeline)
    (root / "transformer" / "part-2.safetensors").write_bytes(b"x")
    assert weights_dir("p", pipeline) == root
