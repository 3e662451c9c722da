"""A bench's own section of a Markdown file, between its begin and end markers: replaced in
place on each run, appended when the file has none yet, the rest of the file untouched."""

from __future__ import annotations

from pathlib import Path


def write_between(path: Path, section: str, begin: str, end: str) -> None:
    """Put ``section`` (which starts with ``begin`` and ends with ``end``) into ``path``."""
    text = path.read_text() if path.exists() else ""
    if begin in text:
        before, _, rest = text.partition(begin)
        _, _, after = rest.partition(end)
        text = before + section.rstrip("\n") + after
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text)
