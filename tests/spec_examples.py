"""The request examples of specs 000, 001, 002 and 004, exactly as the documents print them.

Shared by the unit, integration and acceptance tests (``tests/`` is on ``sys.path`` because it
holds the root conftest). ``with_urls`` swaps the documents' URLs for loopback ones.
"""

from __future__ import annotations

SPEC_IMAGE_URLS = (
    "https://file.aiquickdraw.com/custom-page/akr/section-images/1757168087001amxesd6e.webp",
    "https://file.aiquickdraw.com/custom-page/akr/section-images/1755603225969i6j87xnw.jpg",
)
SPEC_CALLBACK_URL = "https://your-domain.com/api/callback"

SPEC_000_REQUEST = """{
  "model": "ideogram/v3-reframe",
  "input": {
    "image_url": "https://file.aiquickdraw.com/custom-page/akr/section-images/1757168087001amxesd6e.webp",
    "image_size": "square_hd",
    "rendering_speed": "BALANCED",
    "style": "AUTO",
    "num_images": "1",
    "seed": 42
  }
}"""
SPEC_001_REQUEST = """{
  "model": "ideogram/v3-reframe",
  "callBackUrl": "https://your-domain.com/api/callback",
  "input": {
    "image_url": "https://file.aiquickdraw.com/custom-page/akr/section-images/1757168087001amxesd6e.webp",
    "image_size": "square_hd",
    "rendering_speed": "BALANCED",
    "style": "AUTO",
    "num_images": "1",
    "seed": 0
  }
}"""
# Spec 004's example less its `"num_images": undefined`, which is not JSON.
SPEC_004_REQUEST = """{
  "model": "qwen/image-edit",
  "input": {
    "prompt": "",
    "image_url": "https://file.aiquickdraw.com/custom-page/akr/section-images/1755603225969i6j87xnw.jpg",
    "acceleration": "none",
    "image_size": "landscape_4_3",
    "num_inference_steps": 25,
    "seed": 42,
    "guidance_scale": 4,
    "sync_mode": false,
    "enable_safety_checker": true,
    "output_format": "png",
    "negative_prompt": "blurry, ugly"
  }
}"""


# Spec 002's v2 request example for nano-banana-pro (POST /api/v2/jobs/createTask).
SPEC_002_NANO_BANANA_PRO_REQUEST = """{
    "model": "nano-banana-pro",
    "input": {
      "input_prompt": "cinematic poster cool banana hero in shades leaps from sci-fi pod",
      "input_resolution": "hd",
      "input_output_format": "png"
    }
  }"""
# Spec 002's "With Parameters" example: the body of its per-model Ideogram V3 endpoint, which is
# the input of the jobs model ideogram/v3-text-to-image.
SPEC_002_IDEOGRAM_V3_PARAMETERS = """{
    "prompt": "modern logo design",
    "rendering_speed": "QUALITY",
    "style": "DESIGN",
    "num_images": 2
  }"""


def with_urls(request_text: str, image: str, callback: str = "") -> str:
    """The example with its image URL (and callback URL, when given) replaced."""
    for url in SPEC_IMAGE_URLS:
        request_text = request_text.replace(url, image)
    if callback:
        request_text = request_text.replace(SPEC_CALLBACK_URL, callback)
    return request_text
