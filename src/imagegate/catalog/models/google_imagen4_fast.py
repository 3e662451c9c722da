"""google/imagen4-fast: Imagen 4 Fast (spec 002), the input of google/imagen4."""

from __future__ import annotations

from imagegate.catalog.models.google_imagen4 import imagen4_spec

GOOGLE_IMAGEN4_FAST = imagen4_spec(
    "google/imagen4-fast",
    "Google Imagen 4 Fast: quick iterations with good quality.",
    4000,  # 4 credits per image
)
