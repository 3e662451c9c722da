"""GPU benchmark of the diffusers engine: seconds per image and images per second at 1024x1024,
plain diffusers against imagegate end to end, against the compute bound.

One command on a machine with a CUDA GPU, from the repository root, after
``pip install -e '.[gpu]'`` (and ``pip install torchao`` for the float8 row):

    .venv/bin/python bench/gpu.py [--pipelines flux,kontext,qwen-edit] [--write docs/performance.md]

Nothing is downloaded: each pipeline's full-size architecture (FLUX.1 [dev] 12B with T5-XXL
and CLIP-L; Qwen-Image 20B with Qwen2.5-VL-7B) is built from its config with random bf16
weights on the GPU (speed does not depend on the weights' values), tokenizers are built in
code. Per pipeline, rows:

- plain diffusers: the pipeline called one image at a time, bf16, no compilation (the default
  an operator would start from);
- imagegate, lossless: ``--images`` tasks at once through DiffusersEngine (parameter mapping,
  batcher, device thread, PNG encoding) with torch.compile (max-autotune: CUDA graphs), fused
  QKV and batches of ``--batch-size``;
- imagegate + float8 (LOSSY): the same with torchao's float8 dynamic quantization;
- compute bound: the FLOPs of one image (counted by torch's FlopCounterMode on the real call)
  over the GPU's dense bf16 peak.

Without CUDA it says so and exits 2.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import io
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MARK_BEGIN = "<!-- gpu bench: begin -->"
MARK_END = "<!-- gpu bench: end -->"
SIZE = 1024

# Dense bf16 tensor-core peaks (no sparsity), from the vendors' data sheets, by name fragment.
PEAK_BF16 = (
    ("H200", 989e12), ("H100 SXM", 989e12), ("H100 80GB HBM3", 989e12), ("H100 NVL", 835e12),
    ("H100 PCIe", 756e12), ("H100", 756e12), ("B200", 2250e12), ("A100", 312e12),
    ("L40S", 362e12), ("L4", 121e12), ("A10", 125e12),
)

# name: (pipeline class, catalog model, steps, guidance, takes an input image)
PIPELINES: dict[str, tuple[str, str, int, float, bool]] = {
    "flux": ("FluxPipeline", "qwen/text-to-image", 28, 3.5, False),
    "kontext": ("FluxKontextPipeline", "flux-kontext-pro", 28, 2.5, True),
    "qwen-edit": ("QwenImageEditPipeline", "qwen/image-edit", 50, 4.0, True),
}


def peak_flops(name: str) -> float | None:
    for fragment, peak in PEAK_BF16:
        if fragment in name:
            return peak
    return None


# ---------------------------------------------------------------- full-size architectures


def build(kind: str) -> Any:
    """The full-size pipeline of ``kind`` with random bf16 weights, on the GPU."""
    import torch

    sys.path.insert(0, str(ROOT / "tests"))
    import diffusers_tiny as tiny  # the tokenizers built in code

    torch.set_default_dtype(torch.bfloat16)
    try:
        with torch.device("cuda"):
            return _flux(kind, tiny) if kind in ("flux", "kontext") else _qwen_edit(tiny)
    finally:
        torch.set_default_dtype(torch.float32)


def _flux(kind: str, tiny: Any) -> Any:
    import diffusers
    from transformers import CLIPTextConfig, CLIPTextModel, T5Config, T5EncoderModel

    transformer = diffusers.FluxTransformer2DModel(
        patch_size=1, in_channels=64, num_layers=19, num_single_layers=38,
        attention_head_dim=128, num_attention_heads=24, joint_attention_dim=4096,
        pooled_projection_dim=768, guidance_embeds=True, axes_dims_rope=(16, 56, 56),
    )
    clip = CLIPTextModel(CLIPTextConfig(
        hidden_size=768, intermediate_size=3072, num_attention_heads=12, num_hidden_layers=12,
        projection_dim=768, vocab_size=49408, max_position_embeddings=77,
        hidden_act="quick_gelu"))
    t5 = T5EncoderModel(T5Config(
        vocab_size=32128, d_model=4096, d_kv=64, d_ff=10240, num_layers=24, num_heads=64,
        feed_forward_proj="gated-gelu", relative_attention_num_buckets=32))
    vae = diffusers.AutoencoderKL(
        in_channels=3, out_channels=3, latent_channels=16,
        block_out_channels=(128, 256, 512, 512), down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4, layers_per_block=2, norm_num_groups=32,
        use_quant_conv=False, use_post_quant_conv=False, shift_factor=0.1159,
        scaling_factor=0.3611, sample_size=SIZE)
    cls = diffusers.FluxKontextPipeline if kind == "kontext" else diffusers.FluxPipeline
    extra = {"image_encoder": None, "feature_extractor": None} if kind == "kontext" else {}
    return cls(scheduler=diffusers.FlowMatchEulerDiscreteScheduler(shift=3.0,
                                                                    use_dynamic_shifting=True),
               vae=vae, text_encoder=clip, tokenizer=tiny.clip_tokenizer(), text_encoder_2=t5,
               tokenizer_2=tiny.t5_tokenizer(), transformer=transformer, **extra)


def _qwen_edit(tiny: Any) -> Any:
    import diffusers
    from transformers import Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration
    from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import (
        Qwen2VLImageProcessorPil,
    )

    tokenizer = tiny.qwen_tokenizer()
    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in
           ("<|vision_start|>", "<|vision_end|>", "<|image_pad|>", "<|video_pad|>")}
    text_encoder = Qwen2_5_VLForConditionalGeneration(Qwen2_5_VLConfig(
        text_config={"hidden_size": 3584, "intermediate_size": 18944, "num_hidden_layers": 28,
                     "num_attention_heads": 28, "num_key_value_heads": 4, "vocab_size": 152064,
                     "rope_scaling": {"mrope_section": [16, 24, 24], "rope_type": "default",
                                      "type": "default"}, "rope_theta": 1000000.0},
        vision_config={"depth": 32, "hidden_size": 1280, "intermediate_size": 3420,
                       "num_heads": 16, "out_hidden_size": 3584,
                       "fullatt_block_indexes": [7, 15, 23, 31]},
        hidden_size=3584, vocab_size=152064,
        vision_start_token_id=ids["<|vision_start|>"], vision_end_token_id=ids["<|vision_end|>"],
        image_token_id=ids["<|image_pad|>"], video_token_id=ids["<|video_pad|>"]))
    processor = tiny.ImageOnlyQwen2VLProcessor(image_processor=Qwen2VLImageProcessorPil(),
                                               tokenizer=tokenizer)
    return diffusers.QwenImageEditPipeline(
        transformer=diffusers.QwenImageTransformer2DModel(
            patch_size=2, in_channels=64, out_channels=16, num_layers=60,
            attention_head_dim=128, num_attention_heads=24, joint_attention_dim=3584,
            guidance_embeds=False, axes_dims_rope=(16, 56, 56)),
        vae=diffusers.AutoencoderKLQwenImage(
            base_dim=96, z_dim=16, dim_mult=[1, 2, 4, 4], num_res_blocks=2,
            temperal_downsample=[False, True, True], latents_mean=[0.0] * 16,
            latents_std=[1.0] * 16),
        scheduler=diffusers.FlowMatchEulerDiscreteScheduler(),
        text_encoder=text_encoder, tokenizer=tokenizer, processor=processor)


# ---------------------------------------------------------------- measurements


def source_png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.effect_noise((SIZE, SIZE), 64).convert("RGB").save(buffer, "PNG")
    return buffer.getvalue()


def plain_call(kind: str, pipe: Any, steps: int, seed: int) -> Callable[[], Any]:
    import torch
    from PIL import Image

    cls, _, _, guidance, edit = PIPELINES[kind]
    kwargs: dict[str, Any] = {"prompt": "a red fox in the snow", "height": SIZE, "width": SIZE,
                              "num_inference_steps": steps}
    if edit:
        kwargs["image"] = Image.open(io.BytesIO(source_png())).convert("RGB")
    if cls == "QwenImageEditPipeline":
        kwargs.update(true_cfg_scale=guidance, negative_prompt=" ")
    else:
        kwargs["guidance_scale"] = guidance
    return lambda: pipe(**kwargs, generator=torch.Generator("cpu").manual_seed(seed))


def seconds_per_image(call: Callable[[], Any], images: int) -> float:
    import torch

    call()  # warm-up: cuDNN and kernel selection
    times = []
    for _ in range(images):
        torch.cuda.synchronize()
        started = time.perf_counter()
        call()
        torch.cuda.synchronize()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def flops_per_image(kind: str, pipe: Any, steps: int) -> float:
    """FLOPs of one image at ``steps``: the counted call at 1 and 2 steps gives the per-step
    cost (transformer) and the rest (text encoders, VAE)."""
    from torch.utils.flop_counter import FlopCounterMode

    counted = []
    for n in (1, 2):
        with FlopCounterMode(display=False) as counter:
            plain_call(kind, pipe, n, 0)()
        counted.append(counter.get_total_flops())
    per_step = counted[1] - counted[0]
    return float(counted[0] - per_step + per_step * steps)


async def engine_throughput(kind: str, pipe: Any, args: argparse.Namespace, float8: bool
                            ) -> tuple[float, float]:
    """(seconds per image, images per second) of ``args.images`` tasks at once through
    DiffusersEngine, after one warm-up round (compilation)."""
    from imagegate.catalog import get_model
    from imagegate.engines.base import EngineJob, SourceImage
    from imagegate.engines.diffusers.config import parse_diffusers
    from imagegate.engines.diffusers.device import accelerate
    from imagegate.engines.diffusers.engine import DiffusersEngine

    cls, model, steps, guidance, _ = PIPELINES[kind]
    acceleration = {"compile": not args.no_compile, "fuse_qkv": True, "float8": float8,
                    "attention_backend": args.attention_backend}
    config = parse_diffusers({
        "device": "cuda", "batch_size": args.batch_size, "batch_window_ms": 50,
        "acceleration": acceleration,
        "pipelines": {kind: {"pipeline": cls, "weights": "(built in memory)",
                             "models": [model], "steps": steps, "guidance": guidance}},
    })
    accelerate(pipe, config.acceleration)
    engine = DiffusersEngine(config)
    engine.device.pipelines[kind] = pipe  # built, not loaded: nothing on disk to check
    spec = get_model(model)
    assert spec is not None
    fields: dict[str, Any] = {"prompt": "a red fox in the snow"}
    images: dict[str, list[SourceImage]] = {}
    if kind == "qwen-edit":
        fields.update(image_url="https://example.com/a.png", image_size="square_hd",
                      num_inference_steps=steps, guidance_scale=guidance)
        images = {"image_url": [SourceImage(fields["image_url"], source_png(), "image/png",
                                            SIZE, SIZE)]}
    elif kind == "kontext":
        fields.update(inputImage="https://example.com/a.png", aspectRatio="1:1")
        images = {"inputImage": [SourceImage(fields["inputImage"], source_png(), "image/png",
                                             SIZE, SIZE)]}
    else:
        fields.update(image_size="square_hd", num_inference_steps=steps,
                      guidance_scale=guidance)

    async def round_of(count: int) -> float:
        jobs = [EngineJob(f"t{i}", model, spec.validate({**fields, "seed": i}), images)
                for i in range(count)]
        started = time.perf_counter()
        await asyncio.gather(*(engine.run(job) for job in jobs))
        return time.perf_counter() - started

    await round_of(args.batch_size)  # compiles (and captures CUDA graphs) at the batch shape
    elapsed = await round_of(args.images)
    await engine.aclose()
    return elapsed / args.images, args.images / elapsed


def measure(kind: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    import torch

    steps = PIPELINES[kind][2]
    rows: list[dict[str, Any]] = []
    pipe = build(kind)
    pipe.set_progress_bar_config(disable=True)
    flops = flops_per_image(kind, pipe, steps)
    plain = seconds_per_image(plain_call(kind, pipe, steps, 1), args.plain_images)
    rows.append({"pipeline": kind, "how": "plain diffusers (bf16, eager, 1 at a time)",
                 "s_per_image": plain, "flops": flops})
    s, _ = asyncio.run(engine_throughput(kind, pipe, args, float8=False))
    rows.append({"pipeline": kind, "how": f"imagegate, lossless (compile, fused QKV, batch"
                 f" {args.batch_size})", "s_per_image": s, "flops": flops})
    del pipe
    gc.collect()
    torch.cuda.empty_cache()
    if args.float8:
        try:
            import torchao  # type: ignore[import-not-found]  # noqa: F401
        except ImportError:
            rows.append({"pipeline": kind, "how": "imagegate + float8 (LOSSY)",
                         "s_per_image": None, "note": "torchao not installed"})
        else:
            torch._dynamo.reset()
            pipe = build(kind)
            pipe.set_progress_bar_config(disable=True)
            s, _ = asyncio.run(engine_throughput(kind, pipe, args, float8=True))
            rows.append({"pipeline": kind, "how": "imagegate + float8 (LOSSY)",
                         "s_per_image": s, "flops": flops})
            del pipe
            gc.collect()
            torch.cuda.empty_cache()
    torch._dynamo.reset()
    return rows


def render(rows: list[dict[str, Any]], gpu: str, peak: float | None,
           args: argparse.Namespace) -> str:
    lines = [
        MARK_BEGIN,
        "## Open models on a GPU: the diffusers engine (issue 8)",
        "",
        f"`bench/gpu.py --pipelines {args.pipelines} --images {args.images} --batch-size"
        f" {args.batch_size}` on {gpu}, torch {_version('torch')}, diffusers"
        f" {_version('diffusers')}, Python {platform.python_version()}. 1024x1024, random"
        " full-size weights.",
        "",
        "| pipeline | how | s / image | images / s | x plain | compute bound s / image"
        " | x bound |",
        "|---|---|---|---|---|---|---|",
    ]
    plain: dict[str, float] = {}
    for row in rows:
        s = row.get("s_per_image")
        if s is None:
            lines.append(f"| {row['pipeline']} | {row['how']} | - | - | - | - |"
                         f" {row.get('note', '')} |")
            continue
        plain.setdefault(row["pipeline"], s)
        bound = row["flops"] / peak if peak else None
        lines.append(
            f"| {row['pipeline']} | {row['how']} | {s:.3f} | {1 / s:.3f} |"
            f" {plain[row['pipeline']] / s:.2f} | {f'{bound:.3f}' if bound else '?'} |"
            f" {f'{s / bound:.2f}' if bound else '?'} |")
    lines += [
        "",
        "Goals (issue 8): lossless at least 2x the plain pipeline's images/s and within 2.5x of"
        " the compute bound; with float8 (lossy) at least 3x.",
        MARK_END,
    ]
    return "\n".join(lines) + "\n"


def _version(module: str) -> str:
    from importlib.metadata import version

    return version(module)


def write_section(path: Path, section: str) -> None:
    text = path.read_text() if path.exists() else ""
    if MARK_BEGIN in text:
        before, _, rest = text.partition(MARK_BEGIN)
        _, _, after = rest.partition(MARK_END)
        text = before + section.rstrip("\n") + after
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--pipelines", default="flux,kontext,qwen-edit")
    parser.add_argument("--images", type=int, default=16, help="tasks through imagegate")
    parser.add_argument("--plain-images", type=int, default=3, help="plain calls timed")
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--attention-backend", default="",
                        help="diffusers attention backend (empty: PyTorch SDPA)")
    parser.add_argument("--no-compile", action="store_true")
    parser.add_argument("--no-float8", dest="float8", action="store_false")
    parser.add_argument("--write", type=Path, help="put the figures into this markdown file")
    args = parser.parse_args()
    try:
        import torch
    except ImportError:
        print("bench/gpu.py needs torch with CUDA: pip install -e '.[gpu]'", file=sys.stderr)
        return 2
    if not torch.cuda.is_available():
        print("bench/gpu.py measures a CUDA GPU, and this machine has none (torch"
              f" {torch.__version__}); nothing was measured.", file=sys.stderr)
        return 2
    gpu = torch.cuda.get_device_name()
    peak = peak_flops(gpu)
    rows: list[dict[str, Any]] = []
    for kind in args.pipelines.split(","):
        if kind not in PIPELINES:
            parser.error(f"--pipelines: {kind!r} is not one of {', '.join(PIPELINES)}")
        rows += measure(kind, args)
        print(render(rows, gpu, peak, args), flush=True)
    section = render(rows, gpu, peak, args)
    if args.write:
        write_section(args.write, section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
