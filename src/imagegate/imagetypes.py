"""An image's type from its first bytes (magic numbers), not from its name or a header.

Standard library only: the server's upload endpoints and the client both use it, and the
client must not import the server.
"""

from __future__ import annotations


def sniff_image(data: bytes) -> str | None:
    """The MIME type of PNG, JPEG, WebP or GIF data; None for anything else."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    return None
