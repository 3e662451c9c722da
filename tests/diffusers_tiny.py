"""Tiny, randomly initialised pipelines for the diffusers engine's tests, saved to disk the way
an operator's weights are: the real architectures (FLUX, Qwen-Image), a few thousand weights.

Built in code like diffusers' own ``get_dummy_components``, with the tokenizers built in code
too (the Hub is unreachable): byte-level vocabularies without merges, enough to turn any
prompt into ids. Importing this module imports torch: test modules ``importorskip`` first.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from diffusers import (
    AutoencoderKL,
    AutoencoderKLQwenImage,
    FlowMatchEulerDiscreteScheduler,
    FluxFillPipeline,
    FluxKontextPipeline,
    FluxPipeline,
    FluxTransformer2DModel,
    QwenImageEditPipeline,
    QwenImageTransformer2DModel,
)
from tokenizers.pre_tokenizers import ByteLevel
from transformers import (
    CLIPTextConfig,
    CLIPTextModel,
    CLIPTokenizer,
    Qwen2_5_VLConfig,
    Qwen2_5_VLForConditionalGeneration,
    Qwen2Tokenizer,
    Qwen2VLProcessor,
    T5Config,
    T5EncoderModel,
    T5Tokenizer,
)
from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil

_BYTES = sorted(ByteLevel.alphabet())
_QWEN_SPECIALS = ["<|im_start|>", "<|im_end|>", "<|vision_start|>", "<|vision_end|>",
                  "<|image_pad|>", "<|video_pad|>"]


def clip_tokenizer() -> CLIPTokenizer:
    vocab = {f"{ch}</w>": i for i, ch in enumerate(_BYTES)}
    vocab.update({ch: len(_BYTES) + i for i, ch in enumerate(_BYTES)})
    vocab.update({"<|startoftext|>": len(vocab), "<|endoftext|>": len(vocab) + 1})
    return CLIPTokenizer(vocab=vocab, merges=[], model_max_length=77)


def t5_tokenizer() -> T5Tokenizer:
    pieces = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("\u2581", -1.0)]
    pieces += [(chr(c), -2.0) for c in range(32, 127)]
    return T5Tokenizer(vocab=pieces, extra_ids=0, model_max_length=512)


def qwen_tokenizer() -> Qwen2Tokenizer:
    vocab = {ch: i for i, ch in enumerate(_BYTES)}
    vocab["<|endoftext|>"] = len(vocab)
    tokenizer = Qwen2Tokenizer(vocab=vocab, merges=[])
    tokenizer.add_special_tokens({"additional_special_tokens": _QWEN_SPECIALS})
    return tokenizer


class ImageOnlyQwen2VLProcessor(Qwen2VLProcessor):
    """Qwen2VLProcessor without its video processor, which needs torchvision (there is no CPU
    build of it): the edit pipeline only ever passes images. Real weights load the real
    processor on a GPU machine, where torchvision is installed."""

    def __init__(self, image_processor: Any = None, tokenizer: Any = None,
                 chat_template: Any = None, **kwargs: Any) -> None:
        super().__init__(image_processor, tokenizer, None, chat_template=chat_template, **kwargs)


def qwen_processor(tokenizer: Qwen2Tokenizer) -> ImageOnlyQwen2VLProcessor:
    # Few pixels for the vision tower: the pipeline hands it the ~1 MP resized source.
    image_processor = Qwen2VLImageProcessorPil(min_pixels=28 * 28 * 4, max_pixels=28 * 28 * 16)
    return ImageOnlyQwen2VLProcessor(image_processor=image_processor, tokenizer=tokenizer)


def _flux_vae() -> AutoencoderKL:
    # Four blocks: 8x downsampling like FLUX's own VAE, so a 64x64 image is 16 tokens.
    return AutoencoderKL(
        in_channels=3, out_channels=3, latent_channels=4, block_out_channels=(4, 4, 4, 4),
        down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
        layers_per_block=1, norm_num_groups=2, use_quant_conv=False, use_post_quant_conv=False,
        shift_factor=0.0609, scaling_factor=1.5035, sample_size=64,
    )


def _flux_components(in_channels: int, out_channels: int) -> dict[str, Any]:
    torch.manual_seed(0)
    transformer = FluxTransformer2DModel(
        patch_size=1, in_channels=in_channels, out_channels=out_channels, num_layers=1,
        num_single_layers=1, attention_head_dim=16, num_attention_heads=2,
        joint_attention_dim=32, pooled_projection_dim=32, axes_dims_rope=[4, 4, 8],
        guidance_embeds=True,
    )
    clip = clip_tokenizer()
    t5 = t5_tokenizer()
    torch.manual_seed(0)
    text_encoder = CLIPTextModel(CLIPTextConfig(
        bos_token_id=len(clip) - 2, eos_token_id=len(clip) - 1, pad_token_id=len(clip) - 1,
        hidden_size=32, intermediate_size=37, num_attention_heads=4, num_hidden_layers=2,
        vocab_size=len(clip), projection_dim=32,
    ))
    torch.manual_seed(0)
    text_encoder_2 = T5EncoderModel(T5Config(
        vocab_size=len(t5), d_model=32, d_kv=8, d_ff=37, num_layers=2, num_heads=4,
        relative_attention_num_buckets=8, decoder_start_token_id=0, pad_token_id=0,
        eos_token_id=1,
    ))
    torch.manual_seed(0)
    return {
        "scheduler": FlowMatchEulerDiscreteScheduler(), "vae": _flux_vae(),
        "text_encoder": text_encoder, "tokenizer": clip, "text_encoder_2": text_encoder_2,
        "tokenizer_2": t5, "transformer": transformer,
    }


def flux_pipeline(kontext: bool = True) -> Any:
    """A tiny FLUX.1 [dev] pipeline in memory (Kontext's, or the text-to-image one): 4 latent
    channels, packed 2x2. bench/gpu.py --tiny runs these."""
    if kontext:
        return FluxKontextPipeline(**_flux_components(16, 16), image_encoder=None,
                                   feature_extractor=None)
    return FluxPipeline(**_flux_components(16, 16))


def save_flux(root: Path) -> Path:
    """FLUX.1 [dev]'s layout (Kontext's too): 4 latent channels, packed 2x2."""
    flux_pipeline().save_pretrained(root)
    return root


def save_flux_fill(root: Path) -> Path:
    """FLUX.1 Fill's layout: latents, the masked image's latents and the 8x8 mask, packed."""
    pipe = FluxFillPipeline(**_flux_components(16 + 16 + 64 * 4, 16))
    pipe.save_pretrained(root)
    return root


def qwen_edit_pipeline() -> QwenImageEditPipeline:
    """A tiny Qwen-Image-Edit pipeline in memory, with the image-only processor."""
    tokenizer = qwen_tokenizer()
    ids = {token: tokenizer.convert_tokens_to_ids(token) for token in _QWEN_SPECIALS}
    torch.manual_seed(0)
    transformer = QwenImageTransformer2DModel(
        patch_size=2, in_channels=16, out_channels=4, num_layers=2, attention_head_dim=16,
        num_attention_heads=3, joint_attention_dim=16, guidance_embeds=False,
        axes_dims_rope=(8, 4, 4),
    )
    torch.manual_seed(0)
    vae = AutoencoderKLQwenImage(
        base_dim=4, z_dim=4, dim_mult=[1, 1, 1, 1], num_res_blocks=1,
        temperal_downsample=[False, True, True], latents_mean=[0.0] * 4, latents_std=[1.0] * 4,
    )
    torch.manual_seed(0)
    text_encoder = Qwen2_5_VLForConditionalGeneration(Qwen2_5_VLConfig(
        text_config={
            "hidden_size": 16, "intermediate_size": 16, "num_hidden_layers": 2,
            "num_attention_heads": 2, "num_key_value_heads": 2, "vocab_size": len(tokenizer),
            "rope_scaling": {"mrope_section": [1, 1, 2], "rope_type": "default",
                             "type": "default"},
            "rope_theta": 1000000.0,
        },
        vision_config={"depth": 2, "hidden_size": 16, "intermediate_size": 16, "num_heads": 2,
                       "out_hidden_size": 16},
        hidden_size=16, vocab_size=len(tokenizer),
        vision_start_token_id=ids["<|vision_start|>"], vision_end_token_id=ids["<|vision_end|>"],
        image_token_id=ids["<|image_pad|>"], video_token_id=ids["<|video_pad|>"],
    ))
    return QwenImageEditPipeline(
        transformer=transformer, vae=vae, scheduler=FlowMatchEulerDiscreteScheduler(),
        text_encoder=text_encoder, tokenizer=tokenizer, processor=qwen_processor(tokenizer),
    )


def save_qwen_edit(root: Path) -> Path:
    """Qwen-Image-Edit's layout. model_index.json names the real Qwen2VLProcessor, as real
    weights do; loading passes ``qwen_processor()`` in its place (see its class)."""
    qwen_edit_pipeline().save_pretrained(root)
    index_path = root / "model_index.json"
    index = json.loads(index_path.read_text())
    index["processor"] = ["transformers", "Qwen2VLProcessor"]
    index_path.write_text(json.dumps(index))
    return root
