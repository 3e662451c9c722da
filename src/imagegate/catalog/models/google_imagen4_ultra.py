"""google/imagen4-ultra: Imagen 4 Ultra (spec 002), the input of google/imagen4."""

from __future__ import annotations

from imagegate.catalog.models.google_imagen4 import imagen4_spec

GOOGLE_IMAGEN4_ULTRA = imagen4_spec(
    "google/imagen4-ultra",
    "Google Imagen 4 Ultra: maximum photorealism and detail.",
    12000,  # 12 credits per image
)
