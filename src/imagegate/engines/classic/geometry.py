"""Where the source goes on the canvas: scaled to fit, aspect kept, centred.

Scaling to fit means the source always spans the canvas in one direction, so the area left to
synthesise is two bands: above and below it, or left and right of it. The synthesis relies on
that (it fills bands, never a frame).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Placement:
    """The canvas (``width`` x ``height``) and the rectangle the scaled source covers on it."""

    width: int
    height: int
    left: int
    top: int
    inner_width: int
    inner_height: int

    @property
    def bands_are_rows(self) -> bool:
        """True when the new area is above and below the source (it spans the full width)."""
        return self.inner_width == self.width

    @property
    def has_new_area(self) -> bool:
        return (self.inner_width, self.inner_height) != (self.width, self.height)


def place(source_width: int, source_height: int, width: int, height: int) -> Placement:
    """Fit a ``source_width`` x ``source_height`` image into the canvas, centred.

    A source within one pixel of the canvas's aspect is stretched by that pixel instead of
    leaving a one-pixel band to synthesise (the distortion is below what anyone can see).
    """
    if min(source_width, source_height, width, height) < 1:
        raise ValueError("image and canvas sizes must be positive")
    scale = min(width / source_width, height / source_height)
    inner_width = max(1, round(source_width * scale))
    inner_height = max(1, round(source_height * scale))
    if width - inner_width <= 1:
        inner_width = width
    if height - inner_height <= 1:
        inner_height = height
    return Placement(
        width=width,
        height=height,
        left=(width - inner_width) // 2,
        top=(height - inner_height) // 2,
        inner_width=inner_width,
        inner_height=inner_height,
    )
