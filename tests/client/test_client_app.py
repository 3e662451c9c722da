"""The client, sync and async, against the real app in-process (httpx.ASGITransport)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from client_harness import Either
from PIL import Image

from imagegate.client import (
    AuthenticationError,
    NotFoundError,
    TaskFailed,
    TaskState,
    ValidationError,
)


def png_bytes(size: tuple[int, int] = (64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 80, 40)).save(buffer, "PNG")
    return buffer.getvalue()


async def test_create_wait_download(gate: Either, tmp_path: Path) -> None:
    created = await gate.create_task("google/nano-banana", {"prompt": "a red fox"})
    assert created.state is TaskState.WAITING and created.model == "google/nano-banana"
    seen: list[TaskState] = []
    done = await gate.wait(created, timeout=30, on_update=lambda task: seen.append(task.state))
    assert done.succeeded and done.result_urls and done.param is not None
    assert seen[-1] is TaskState.SUCCESS
    files = await gate.download(done, tmp_path / "out")
    assert [f.name for f in files] == [f"{done.task_id}-1.png"]
    assert Image.open(files[0]).size == (1024, 1024)


async def test_run_and_credits(gate: Either) -> None:
    before = await gate.credits()
    task = await gate.run("google/nano-banana", {"prompt": "a fox"}, timeout=30)
    assert task.succeeded
    assert await gate.credits() < before


async def test_upload_path_bytes_and_pil(gate: Either, tmp_path: Path) -> None:
    path = tmp_path / "photo.png"
    path.write_bytes(png_bytes())
    from_path = await gate.upload(path)
    from_bytes = await gate.upload(png_bytes())
    from_pil = await gate.upload(Image.new("RGBA", (8, 8)))
    assert from_path.file_name == "photo.png" and from_path.mime_type == "image/png"
    assert from_bytes.mime_type == "image/png" and from_pil.file_name == "image.png"
    assert all(u.download_url.startswith("http") for u in (from_path, from_bytes, from_pil))


async def test_reframe_edit_generate_helpers(gate: Either, tmp_path: Path) -> None:
    path = tmp_path / "in.png"
    path.write_bytes(png_bytes())
    reframed = await gate.wait(await gate.reframe(path, "landscape_16_9", num_images=2, seed=7))
    assert len(reframed.result_urls) == 2
    assert reframed.param is not None and reframed.param["input"]["image_size"] == "landscape_16_9"
    edited = await gate.wait(await gate.edit(png_bytes(), "make it blue"))
    assert edited.param is not None and edited.param["model"] == "qwen/image-edit"
    banana = await gate.wait(
        await gate.edit(Image.new("RGB", (32, 32)), "add a hat", model="google/nano-banana-edit")
    )
    assert banana.param is not None and len(banana.param["input"]["image_urls"]) == 1
    generated = await gate.wait(await gate.generate("google/imagen4", "a lake", seed=3))
    files = await gate.download(generated, tmp_path)
    assert files == [tmp_path / f"{generated.task_id}-1.png"]


async def test_task_failed_carries_fail_code_and_msg(
    app_factory: Any, client_factory: Any, is_async: bool
) -> None:
    client = client_factory(app_factory(mock_fail_rate=1.0), is_async)
    with pytest.raises(TaskFailed) as caught:
        await client.run("google/nano-banana", {"prompt": "x"}, timeout=30)
    assert caught.value.fail_code == "501" and "simulated failure" in (caught.value.fail_msg or "")
    assert caught.value.task.failed
    failed = await client.wait(caught.value.task, raise_on_failure=False)
    assert failed.state is TaskState.FAIL


async def test_api_errors(gate: Either, app_factory: Any, client_factory: Any) -> None:
    with pytest.raises(NotFoundError):
        await gate.get_task("no-such-task")
    with pytest.raises(ValidationError) as caught:
        await gate.create_task("ideogram/v3-reframe", {"image_url": "http://x/a.png",
                                                       "image_size": "huge"})
    assert caught.value.field == "input.image_size" and caught.value.code == 422
    with pytest.raises(ValidationError) as unknown:
        await gate.create_task("no/such-model", {})
    assert unknown.value.field == "model"
    other = client_factory(app_factory(), gate.is_async, api_key="wrong-key")
    with pytest.raises(AuthenticationError):
        await other.credits()


async def test_business_errors_as_http_200(app_factory: Any, client_factory: Any,
                                           is_async: bool) -> None:
    app = app_factory(business_errors_http_200=True)
    client = client_factory(app, is_async, api_key="wrong-key")
    with pytest.raises(AuthenticationError) as caught:
        await client.credits()
    assert caught.value.status == 200 and caught.value.code == 401
    good = client_factory(app, is_async)
    with pytest.raises(NotFoundError):
        await good.get_task("missing")
