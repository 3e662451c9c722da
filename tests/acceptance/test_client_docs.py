"""Every example of docs/client.md runs as written against `imagegate serve` (mock mode), in a
fresh interpreter, with only the environment a user would set and a photo.jpg beside it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from skimage import data

from photos import photo_file

pytestmark = pytest.mark.acceptance

DOC = Path(__file__).resolve().parents[2] / "docs" / "client.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
# What each example must print (in order of the document).
EXPECTED = [
    r"TaskState\.SUCCESS|success.*-1\.png.*-2\.png",
    r"http://127\.0\.0\.1:\d+/files/results/",
    r"SUCCESS|success",
    r"fix the input: input\.num_images",
    r"0123456789abcdef0123456789abcdef",
    r"state (waiting|queuing|generating|success) \d+[\s\S]*record success \d+",
]


def test_the_document_has_the_six_examples() -> None:
    assert len(BLOCKS) == len(EXPECTED) == 6


@pytest.mark.parametrize(("index", "code"), list(enumerate(BLOCKS)), ids=lambda v: str(v)[:12])
def test_example_runs(shared: Any, tmp_path: Path, index: int, code: str) -> None:
    (tmp_path / "photo.jpg").write_bytes(photo_file(data.astronaut(), "JPEG", quality=90))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("IMAGEGATE_", "KIE_"))},
        "IMAGEGATE_BASE_URL": shared.server.base_url,
        "IMAGEGATE_API_KEY": shared.api.key,
    }
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=120, check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(EXPECTED[index], done.stdout), done.stdout
    if index == 0:
        assert len(list((tmp_path / "out").iterdir())) == 2
