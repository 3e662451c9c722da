"""The client, sync and async, over loopback against ``imagegate serve`` (mock mode)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from imagegate.client import AsyncClient, Client, NotFoundError, TaskState, ValidationError

pytestmark = pytest.mark.acceptance


def nap(seconds: float) -> None:
    # Short polls stay under the server's 10 recordInfo per second.
    import time

    time.sleep(0.15)


async def anap(seconds: float) -> None:
    await asyncio.sleep(0.15)


def test_sync_client_against_serve(shared: Any, tmp_path: Path) -> None:
    with Client(shared.api.key, base_url=shared.server.base_url, sleep=nap) as client:
        balance = client.credits()
        source = tmp_path / "in.png"
        Image.new("RGB", (80, 60), (9, 99, 199)).save(source)
        task = client.wait(client.reframe(source, "landscape_16_9", seed=1), timeout=30)
        assert task.state is TaskState.SUCCESS
        files = client.download(task, tmp_path / "out")
        assert [f.name for f in files] == [f"{task.task_id}-1.png"]
        assert Image.open(files[0]).size == (1024, 576)
        assert client.credits() < balance
        with pytest.raises(ValidationError) as caught:
            client.create_task("ideogram/v3-reframe", {"image_url": "http://x/y.png"})
        assert caught.value.field == "input.image_size"


async def test_async_client_against_serve(shared: Any, tmp_path: Path) -> None:
    async with AsyncClient(shared.api.key, base_url=shared.server.base_url,
                           sleep=anap) as client:
        task = await client.run("google/nano-banana", {"prompt": "a fox"}, timeout=30)
        files = await client.download(task, tmp_path)
        assert files == [tmp_path / f"{task.task_id}-1.png"] and files[0].stat().st_size > 0
        edited = await client.wait(await client.edit(files[0], "make it blue"), timeout=30)
        assert edited.succeeded
        with pytest.raises(NotFoundError):
            await client.get_task("missing-task")
