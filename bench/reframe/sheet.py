"""The contact sheet: one row per photo, the truth then every method's result, each cell a
thumbnail with the rectangle the source occupies outlined, so the eye goes to the new area.

PNG is lossless, so the only way to keep a sheet of dozens of photographs small is to keep the
thumbnails small: ``save`` shrinks them step by step until the file fits the size budget.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from reframe.photos import Box

GAP = 6
TITLE_HEIGHT = 20
FONT_SIZE = 14
OUTLINE = (255, 230, 0)  # thin yellow: visible on sky, skin and black space alike
BACKGROUND = (255, 255, 255)
TEXT = (0, 0, 0)


@dataclass(frozen=True, slots=True)
class Row:
    name: str
    box: Box
    images: Sequence[np.ndarray]  # truth first, then one per method, all the same size


def _thumbnail(image: np.ndarray, box: Box, height: int) -> Image.Image:
    scale = height / image.shape[0]
    width = max(1, round(image.shape[1] * scale))
    small = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
    thumb = Image.fromarray(small)
    left, top = round(box.left * scale), round(box.top * scale)
    right = round((box.left + box.width) * scale) - 1
    bottom = round((box.top + box.height) * scale) - 1
    ImageDraw.Draw(thumb).rectangle((left, top, right, bottom), outline=OUTLINE, width=1)
    return thumb


def compose(rows: Sequence[Row], titles: Sequence[str], height: int) -> Image.Image:
    font = ImageFont.load_default(size=FONT_SIZE)  # Pillow's bundled font, scalable
    thumbs = [[_thumbnail(image, row.box, height) for image in row.images] for row in rows]
    column_width = max(t.width for row in thumbs for t in row)
    width = GAP + len(titles) * (column_width + GAP)
    total = TITLE_HEIGHT + len(rows) * (TITLE_HEIGHT + height + GAP) + GAP
    sheet = Image.new("RGB", (width, total), BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    for column, title in enumerate(titles):
        centre = GAP + column * (column_width + GAP) + column_width // 2
        draw.text((centre, 2), title, fill=TEXT, font=font, anchor="ma")
    y = TITLE_HEIGHT
    for row, row_thumbs in zip(rows, thumbs, strict=True):
        caption = f"{row.name}: kept {row.box.width}x{row.box.height} (outlined)"
        draw.text((GAP, y + 2), caption, fill=TEXT, font=font)
        y += TITLE_HEIGHT
        for column, thumb in enumerate(row_thumbs):
            x = GAP + column * (column_width + GAP) + (column_width - thumb.width) // 2
            sheet.paste(thumb, (x, y))
        y += height + GAP
    return sheet


def save(
    path: Path,
    rows: Sequence[Row],
    titles: Sequence[str],
    *,
    height: int = 200,
    max_bytes: int = 4_000_000,
) -> tuple[int, int]:
    """Write the sheet with thumbnails ``height`` tall, or smaller if the file would exceed
    ``max_bytes``; return (thumbnail height used, file size)."""
    while True:
        buffer = io.BytesIO()
        compose(rows, titles, height).save(buffer, "PNG", optimize=True)
        if buffer.tell() <= max_bytes or height <= 60:
            break
        height = int(height * 0.9)
    path.write_bytes(buffer.getvalue())
    return height, buffer.tell()
