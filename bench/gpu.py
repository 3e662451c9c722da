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

``--tiny`` proves the whole code path without a GPU, in under a minute on two cores: the same
functions on the CPU with the tests' tiny architectures (tests/diffusers_tiny.py), float32,
64x64, 2 steps, 2 images in batches of 2, no torch.compile (``--compile`` proves that too, a
minute or more per pipeline); float8 is skipped (torchao absent, or no CUDA) and the compute
bound is n/a (no GPU peak: the table gives FLOPs per image). Its table says it is a smoke run,
not a measurement, and nothing is written unless ``--write`` is given
(tests/integration/test_gpu_bench_smoke.py runs it):

    .venv/bin/python bench/gpu.py --tiny [--write /tmp/section.md]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib.util
import io
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.sections import write_between

ROOT = Path(__file__).resolve().parent.parent
MARK_BEGIN = "<!-- gpu bench: begin -->"
MARK_END = "<!-- gpu bench: end -->"
SIZE = 1024
TINY_SIZE = 64  # the tiny FLUX VAE's sample size: 16 tokens of 2x2 packed latents
TINY_STEPS = 2

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
    # 49: the most qwen/image-edit's input takes (Qwen-Image-Edit's own default is 50).
    "qwen-edit": ("QwenImageEditPipeline", "qwen/image-edit", 49, 4.0, True),
}


@dataclass(frozen=True, slots=True)
class Setup:
    """Where and at what size a run measures: the full-size pipelines on CUDA in bf16, or
    (``--tiny``) the tests' tiny ones on the CPU in float32."""

    tiny: bool
    device: str
    size: int

    @classmethod
    def of(cls, tiny: bool) -> Setup:
        return cls(True, "cpu", TINY_SIZE) if tiny else cls(False, "cuda", SIZE)

    def steps(self, kind: str) -> int:
        return TINY_STEPS if self.tiny else PIPELINES[kind][2]

    @property
    def dtype_name(self) -> str:
        return "float32" if self.tiny else "bf16"

    def synchronize(self) -> None:
        """Wait for the GPU's queued kernels (a CPU runs them synchronously)."""
        import torch

        if self.device.startswith("cuda"):
            torch.cuda.synchronize()

    def free(self) -> None:
        import torch

        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()


def peak_flops(name: str) -> float | None:
    for fragment, peak in PEAK_BF16:
        if fragment in name:
            return peak
    return None


# ---------------------------------------------------------------- full-size architectures


def build(kind: str, setup: Setup) -> Any:
    """The pipeline of ``kind`` on ``setup.device``: full size with random bf16 weights, or
    the tests' tiny one in float32 (``--tiny``). The meta device builds the full-size
    architecture without memory (its test)."""
    import torch

    if str(ROOT / "tests") not in sys.path:
        sys.path.insert(0, str(ROOT / "tests"))
    import diffusers_tiny as tiny  # the tokenizers built in code

    if setup.tiny:
        pipe = tiny.qwen_edit_pipeline() if kind == "qwen-edit" else tiny.flux_pipeline(
            kontext=kind == "kontext")
        return pipe.to(setup.device)
    torch.set_default_dtype(torch.bfloat16)
    try:
        with torch.device(setup.device):
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
    tokenizer = tiny.clip_tokenizer()
    # The ids of the tokenizer built in code (CLIP pools at the end-of-text token).
    clip = CLIPTextModel(CLIPTextConfig(
        hidden_size=768, intermediate_size=3072, num_attention_heads=12, num_hidden_layers=12,
        projection_dim=768, vocab_size=49408, max_position_embeddings=77,
        hidden_act="quick_gelu", bos_token_id=len(tokenizer) - 2,
        eos_token_id=len(tokenizer) - 1, pad_token_id=len(tokenizer) - 1))
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
               vae=vae, text_encoder=clip, tokenizer=tokenizer, text_encoder_2=t5,
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


def source_png(size: int) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.effect_noise((size, size), 64).convert("RGB").save(buffer, "PNG")
    return buffer.getvalue()


def plain_call(kind: str, pipe: Any, setup: Setup, steps: int, seed: int) -> Callable[[], Any]:
    import torch
    from PIL import Image

    cls, _, _, guidance, edit = PIPELINES[kind]
    size = setup.size
    kwargs: dict[str, Any] = {"prompt": "a red fox in the snow", "height": size, "width": size,
                              "num_inference_steps": steps}
    if edit:
        kwargs["image"] = Image.open(io.BytesIO(source_png(size))).convert("RGB")
    if cls == "QwenImageEditPipeline":
        kwargs.update(true_cfg_scale=guidance, negative_prompt=" ")
    else:
        kwargs["guidance_scale"] = guidance
    if cls == "FluxKontextPipeline":
        # What the engine passes (mapping.py): the area asked for; Kontext's preferred
        # resolutions with real weights, none for the tiny ones (they would upscale to 1 MP).
        kwargs.update(max_area=size * size, _auto_resize=not setup.tiny)
    return lambda: pipe(**kwargs, generator=torch.Generator("cpu").manual_seed(seed))


def seconds_per_image(call: Callable[[], Any], images: int, setup: Setup) -> float:
    call()  # warm-up: cuDNN and kernel selection
    times = []
    for _ in range(images):
        setup.synchronize()
        started = time.perf_counter()
        call()
        setup.synchronize()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def flops_per_image(kind: str, pipe: Any, setup: Setup) -> float:
    """FLOPs of one image at ``steps``: the counted call at 1 and 2 steps gives the per-step
    cost (transformer) and the rest (text encoders, VAE)."""
    from torch.utils.flop_counter import FlopCounterMode

    counted = []
    for n in (1, 2):
        with FlopCounterMode(display=False) as counter:
            plain_call(kind, pipe, setup, n, 0)()
        counted.append(counter.get_total_flops())
    per_step = counted[1] - counted[0]
    return float(counted[0] - per_step + per_step * setup.steps(kind))


async def engine_throughput(kind: str, pipe: Any, args: argparse.Namespace, setup: Setup,
                            float8: bool) -> tuple[float, float]:
    """(seconds per image, images per second) of ``args.images`` tasks at once through
    DiffusersEngine, after one warm-up round (compilation). Raises RuntimeError when the
    engine's forward passes were not the plain call's (steps, size): the comparison would be
    unfair."""
    from imagegate.catalog import get_model
    from imagegate.engines.base import EngineJob, SourceImage
    from imagegate.engines.diffusers.config import parse_diffusers
    from imagegate.engines.diffusers.device import accelerate
    from imagegate.engines.diffusers.engine import DiffusersEngine

    cls, model, _, guidance, _ = PIPELINES[kind]
    steps, size = setup.steps(kind), setup.size
    acceleration = {"compile": not args.no_compile, "fuse_qkv": True, "float8": float8,
                    "attention_backend": args.attention_backend}
    config = parse_diffusers({
        "device": setup.device, "batch_size": args.batch_size, "batch_window_ms": 50,
        "acceleration": acceleration,
        "pipelines": {kind: {"pipeline": cls, "weights": "(built in memory)",
                             "models": [model], "steps": steps, "guidance": guidance,
                             "max_long_side": size,
                             "kontext_preferred_resolutions": not setup.tiny}},
    })
    accelerate(pipe, config.acceleration)
    engine = DiffusersEngine(config)
    engine.device.pipelines[kind] = pipe  # built, not loaded: nothing on disk to check
    spec = get_model(model)
    assert spec is not None
    fields: dict[str, Any] = {"prompt": "a red fox in the snow"}
    images: dict[str, list[SourceImage]] = {}
    source = source_png(size)
    if kind == "qwen-edit":
        fields.update(image_url="https://example.com/a.png", image_size="square_hd",
                      num_inference_steps=steps, guidance_scale=guidance)
        images = {"image_url": [SourceImage(fields["image_url"], source, "image/png",
                                            size, size)]}
    elif kind == "kontext":
        fields.update(inputImage="https://example.com/a.png", aspectRatio="1:1")
        images = {"inputImage": [SourceImage(fields["inputImage"], source, "image/png",
                                             size, size)]}
    else:
        fields.update(image_size="square_hd", num_inference_steps=steps,
                      guidance_scale=guidance)
    seeded = any(f.name == "seed" for f in spec.fields)  # Kontext's input has no seed

    async def round_of(count: int) -> float:
        jobs = [EngineJob(f"t{i}", model, spec.validate({**fields, "seed": i} if seeded
                                                         else fields), images)
                for i in range(count)]
        started = time.perf_counter()
        await asyncio.gather(*(engine.run(job) for job in jobs))
        setup.synchronize()
        return time.perf_counter() - started

    try:
        await round_of(args.batch_size)  # compiles (and captures CUDA graphs) at the batch shape
        elapsed = await round_of(args.images)
    finally:
        await engine.aclose()
    for record in engine.device.calls:
        asked = (record.call.get("num_inference_steps"), record.call.get("width"),
                 record.call.get("height"))
        if asked != (steps, size, size):
            raise RuntimeError(f"{kind}: imagegate ran (steps, width, height) = {asked}, the"
                               f" plain call {(steps, size, size)}: not comparable")
    return elapsed / args.images, args.images / elapsed


def float8_skipped(setup: Setup) -> str | None:
    """Why the float8 row cannot run here, or None."""
    if importlib.util.find_spec("torchao") is None:
        return "skipped: torchao not installed (pip install torchao)"
    if not setup.device.startswith("cuda"):
        return "skipped: float8 needs a CUDA GPU (H100 or later)"
    return None


def measure(kind: str, args: argparse.Namespace, setup: Setup) -> list[dict[str, Any]]:
    import torch

    rows: list[dict[str, Any]] = []
    pipe = build(kind, setup)
    pipe.set_progress_bar_config(disable=True)
    flops = flops_per_image(kind, pipe, setup)
    plain = seconds_per_image(plain_call(kind, pipe, setup, setup.steps(kind), 1),
                              args.plain_images, setup)
    rows.append({"pipeline": kind, "how": f"plain diffusers ({setup.dtype_name}, eager, 1 at a"
                 " time)", "s_per_image": plain, "flops": flops})
    s, _ = asyncio.run(engine_throughput(kind, pipe, args, setup, float8=False))
    options = ", ".join([*([] if args.no_compile else ["compile"]), "fused QKV",
                         f"batch {args.batch_size}"])
    rows.append({"pipeline": kind, "how": f"imagegate, lossless ({options})",
                 "s_per_image": s, "flops": flops})
    del pipe
    setup.free()
    if args.float8:
        skipped = float8_skipped(setup)
        if skipped:
            rows.append({"pipeline": kind, "how": "imagegate + float8 (LOSSY)",
                         "s_per_image": None, "flops": flops, "note": skipped})
        else:
            torch._dynamo.reset()
            pipe = build(kind, setup)
            pipe.set_progress_bar_config(disable=True)
            s, _ = asyncio.run(engine_throughput(kind, pipe, args, setup, float8=True))
            rows.append({"pipeline": kind, "how": f"imagegate + float8 (LOSSY, {options})",
                         "s_per_image": s, "flops": flops})
            del pipe
            setup.free()
    torch._dynamo.reset()
    return rows


def render(rows: list[dict[str, Any]], gpu: str, peak: float | None,
           args: argparse.Namespace, setup: Setup) -> str:
    command = (f"bench/gpu.py{' --tiny' if setup.tiny else ''} --pipelines {args.pipelines}"
               f" --images {args.images} --batch-size {args.batch_size}"
               f"{' --no-compile' if args.no_compile else ''}")
    if setup.tiny:
        title = "## The diffusers engine's benchmark: tiny CPU smoke run (NOT a measurement)"
        what = (f"{setup.size}x{setup.size}, {TINY_STEPS} steps, the tests' tiny random"
                " architectures in float32: this proves the benchmark's code path runs; its"
                " figures say nothing about a GPU.")
    else:
        title = "## Open models on a GPU: the diffusers engine (issue 8)"
        what = f"{setup.size}x{setup.size}, random full-size weights."
    peak_text = (f"dense bf16 peak {peak / 1e12:.0f} TFLOP/s" if peak else
                 "no known peak for this device: compute bound n/a")
    lines = [
        MARK_BEGIN,
        title,
        "",
        f"`{command}` on {gpu} ({peak_text}), torch {_version('torch')}, diffusers"
        f" {_version('diffusers')}, Python {platform.python_version()}. {what}",
        "",
        "| pipeline | how | s / image | images / s | x plain | FLOP / image"
        " | compute bound s / image | x bound |",
        "|---|---|---|---|---|---|---|---|",
    ]
    plain: dict[str, float] = {}
    for row in rows:
        flops = row.get("flops")
        flop_text = _flop_count(flops) if flops else "-"
        s = row.get("s_per_image")
        if s is None:
            lines.append(f"| {row['pipeline']} | {row['how']} | - | - | - | {flop_text} | - |"
                         f" {row.get('note', '')} |")
            continue
        plain.setdefault(row["pipeline"], s)
        bound = flops / peak if peak and flops else None
        lines.append(
            f"| {row['pipeline']} | {row['how']} | {s:.3f} | {1 / s:.3f} |"
            f" {plain[row['pipeline']] / s:.2f} | {flop_text} |"
            f" {f'{bound:.3f}' if bound else 'n/a'} | {f'{s / bound:.2f}' if bound else 'n/a'} |")
    lines += [
        "",
        "Goals (issue 8): lossless at least 2x the plain pipeline's images/s and within 2.5x of"
        " the compute bound; with float8 (lossy) at least 3x.",
        MARK_END,
    ]
    return "\n".join(lines) + "\n"


def _flop_count(flops: float) -> str:
    for unit, scale in (("P", 1e15), ("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if flops >= scale:
            return f"{flops / scale:.3g} {unit}FLOP"
    return f"{flops:.0f} FLOP"


def _version(module: str) -> str:
    from importlib.metadata import version

    return version(module)


def write_section(path: Path, section: str) -> None:
    write_between(path, section, MARK_BEGIN, MARK_END)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--pipelines", default="flux,kontext,qwen-edit")
    parser.add_argument("--images", type=int, help="tasks through imagegate (16; --tiny 2)")
    parser.add_argument("--plain-images", type=int, help="plain calls timed (3; --tiny 1)")
    parser.add_argument("--batch-size", type=int, help="imagegate's batch size (4; --tiny 2)")
    parser.add_argument("--attention-backend", default="",
                        help="diffusers attention backend (empty: PyTorch SDPA)")
    parser.add_argument("--no-compile", action="store_true")
    parser.add_argument("--compile", action="store_true",
                        help="with --tiny: torch.compile anyway (a minute or more per pipeline)")
    parser.add_argument("--no-float8", dest="float8", action="store_false")
    parser.add_argument("--write", type=Path, help="put the figures into this markdown file")
    parser.add_argument("--tiny", action="store_true",
                        help="a smoke run of the same code path on the CPU with tiny pipelines"
                        " (no GPU needed; not a measurement)")
    args = parser.parse_args(argv)
    setup = Setup.of(args.tiny)
    defaults = (2, 1, 2) if args.tiny else (16, 3, 4)
    for name, default in zip(("images", "plain_images", "batch_size"), defaults, strict=True):
        if getattr(args, name) is None:
            setattr(args, name, default)
    if args.tiny and not args.compile:
        args.no_compile = True  # compiling on a CPU takes a minute or more per pipeline
    kinds = args.pipelines.split(",")
    for kind in kinds:  # before anything is built: a typo must not cost an hour of GPU
        if kind not in PIPELINES:
            parser.error(f"--pipelines: {kind!r} is not one of {', '.join(PIPELINES)}")
    try:
        import torch
    except ImportError:
        print("bench/gpu.py needs torch with CUDA: pip install -e '.[gpu]'", file=sys.stderr)
        return 2
    if setup.tiny:
        gpu = f"the CPU ({platform.machine()}, {torch.get_num_threads()} threads)"
        peak = None
    elif not torch.cuda.is_available():
        print("bench/gpu.py measures a CUDA GPU, and this machine has none (torch"
              f" {torch.__version__}); nothing was measured. --tiny runs the same code on"
              " the CPU with tiny pipelines (a smoke run).", file=sys.stderr)
        return 2
    else:
        gpu = torch.cuda.get_device_name()
        peak = peak_flops(gpu)
    rows: list[dict[str, Any]] = []
    for kind in kinds:
        rows += measure(kind, args, setup)
        print(render(rows, gpu, peak, args, setup), flush=True)
    if args.write:
        write_section(args.write, render(rows, gpu, peak, args, setup))
        print(f"written into {args.write}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
