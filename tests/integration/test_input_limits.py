"""Issue 20, point 3: the input limits (bytes, pixels, types) hold however an image arrives.

Uploads stay what Kie's upload API is, a store for files of any kind (images, videos,
documents; its stream upload is the one it recommends for files over 10 MB), up to the upload
limit. What is held to the input limits is a file used as a task's input: an upload (by stream,
base64 or URL) named as an ``image_url`` is refused at create with a 422 naming the field and
the limit, before anything is charged; what only a decode can tell (pixels) fails the task in
the worker, refunded. A field whose model documents a lower limit (recraft's 5 MB) is held to
it, for uploads and downloads alike. All through HTTP, on the in-process app."""

from __future__ import annotations

import asyncio
import base64
import io
import struct
import zlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from PIL import Image

from loopback import LoopbackServer

MB = 1024 * 1024
REFRAME = "ideogram/v3-reframe"
RECRAFT = "recraft/remove-background"  # its image field is documented at 5 MB


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(
        ">I", zlib.crc32(kind + payload)
    )


def png_of_size(total: int) -> bytes:
    """A valid 64x48 PNG of exactly ``total`` bytes: a private ancillary chunk (which decoders
    skip) pads it, so a large file costs no time to make or to decode."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 160, 40)).save(buffer, "PNG")
    small = buffer.getvalue()
    ihdr_end = 8 + 25  # signature, then the IHDR chunk: 4 length + 4 type + 13 data + 4 CRC
    padding = _chunk(b"biGz", b"\x00" * (total - len(small) - 12))
    return small[:ihdr_end] + padding + small[ihdr_end:]


def png_bomb(width: int, height: int) -> bytes:
    """A valid 1-bit PNG: a few KB on the wire, width*height pixels once decoded."""
    row = b"\x00" * (1 + (width + 7) // 8)
    idat = zlib.compress(row * height, 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
        + _chunk(b"IDAT", idat)
        + _chunk(b"IEND", b"")
    )


BIG = png_of_size(15 * MB)
SIX_MB = png_of_size(6 * MB)


@pytest.fixture
async def images() -> AsyncIterator[LoopbackServer]:
    server = LoopbackServer()
    yield server
    server.close()


async def credits(api: Any) -> float:
    return float((await api.client.get("/api/v1/chat/credit", headers=api.auth)).json()["data"])


async def task_count(api: Any) -> int:
    answer = await api.client.get("/api/v1/jobs/list", headers=api.auth)
    assert answer.status_code == 200, answer.text
    return len(answer.json()["data"]["tasks"])


async def upload(api: Any, how: str, data: bytes, images: LoopbackServer, **form: str) -> Any:
    """Upload ``data`` through one of Kie's three upload endpoints; its answer's ``data``."""
    if how == "stream":
        answer = await api.client.post(
            "/api/file-stream-upload", headers=api.auth,
            files={"file": (form.get("name", "big.png"), data, form.get("type", "image/png"))},
            data={"uploadPath": "inputs"},
        )
    elif how == "base64":
        answer = await api.client.post("/api/file-base64-upload", headers=api.auth, json={
            "base64Data": base64.b64encode(data).decode(), "uploadPath": "inputs",
            "fileName": form.get("name", "big.png"),
        })
    else:
        images.responses["/big.png"] = (200, form.get("type", "image/png"), data)
        answer = await api.client.post("/api/file-url-upload", headers=api.auth, json={
            "fileUrl": images.url("/big.png"), "uploadPath": "inputs",
        })
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]


async def create(api: Any, model: str, **input: Any) -> Any:
    if model == REFRAME:
        input = {"image_size": "square_hd", **input}
    return await api.create({"model": model, "input": input})


async def wait_end(api: Any, task_id: str) -> dict[str, Any]:
    for _ in range(200):
        data = (await api.record(task_id)).json()["data"]
        if data["state"] in ("success", "fail"):
            return dict(data)
        await asyncio.sleep(0.11)  # under the 10/s recordInfo limit
    raise AssertionError(f"task {task_id} did not end")


@pytest.mark.parametrize("how", ["stream", "base64", "url"])
async def test_a_15_mb_upload_used_as_image_url_is_refused_at_create(
    api: Any, images: LoopbackServer, how: str
) -> None:
    # The upload itself is kept: an upload is a file of any kind, up to the upload limit.
    uploaded = await upload(api, how, BIG, images)
    assert uploaded["fileSize"] == 15 * MB and uploaded["mimeType"] == "image/png"
    before = await credits(api)

    answer = await create(api, REFRAME, image_url=uploaded["downloadUrl"])

    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == 422
    assert answer.json()["msg"] == (
        "input.image_url: the file is 15 MB, larger than the limit of 10 MB for an input image"
        " of this field"
    )
    assert await credits(api) == before and await task_count(api) == 0


@pytest.mark.parametrize("how", ["stream", "base64", "url"])
async def test_a_field_documented_at_5_mb_refuses_a_6_mb_upload(
    api: Any, images: LoopbackServer, how: str
) -> None:
    uploaded = await upload(api, how, SIX_MB, images)
    before = await credits(api)

    answer = await create(api, RECRAFT, image=uploaded["downloadUrl"])

    assert answer.status_code == 422, answer.text
    assert answer.json()["msg"].startswith(
        "input.image: the file is 6 MB, larger than the limit of 5 MB"
    )
    assert await credits(api) == before and await task_count(api) == 0
    # The same file is within reframe's 10 MB: the limit is the field's, not one for all.
    assert (await create(api, REFRAME, image_url=uploaded["downloadUrl"])).status_code == 200


async def test_a_download_is_held_to_the_fields_documented_limit(
    live_api: Any, images: LoopbackServer
) -> None:
    images.responses["/six.png"] = (200, "image/png", SIX_MB)
    url = images.url("/six.png")
    before = await credits(live_api)

    refused = (await create(live_api, RECRAFT, image=url)).json()["data"]["taskId"]
    data = await wait_end(live_api, refused)
    assert (data["state"], data["failCode"]) == ("fail", "422"), data
    assert data["failMsg"] == "input.image: image is 6 MB, larger than the limit of 5 MB"
    assert await credits(live_api) == before  # refunded

    # The same image is within reframe's 10 MB: the limit is the field's, not one for all.
    allowed = (await create(live_api, REFRAME, image_url=url)).json()["data"]["taskId"]
    assert (await wait_end(live_api, allowed))["state"] == "success"


async def test_the_operators_lower_cap_holds_over_a_fields_documented_limit(
    runtime_factory: Any, harness_opener: Any, images: LoopbackServer
) -> None:
    # nano-banana-pro documents 30 MB per image; this operator allows 1 MB.
    harness, client = await harness_opener(
        runtime_factory(database_url="memory://", max_image_bytes=MB), start=False
    )
    async with client:
        uploaded = await upload(harness, "base64", png_of_size(2 * MB), images)
        answer = await create(
            harness, "nano-banana-pro", prompt="x", image_input=[uploaded["downloadUrl"]]
        )
        assert answer.status_code == 422, answer.text
        assert answer.json()["msg"].startswith(
            "input.image_input[0]: the file is 2 MB, larger than the limit of 1 MB"
        )


async def test_an_upload_of_another_type_is_refused_as_an_input(
    api: Any, images: LoopbackServer
) -> None:
    text = await upload(api, "stream", b"a plain text file\n" * 100, images,
                        name="notes.txt", type="text/plain")
    assert text["mimeType"] == "text/plain"  # kept as an upload: Kie takes any file
    answer = await create(api, REFRAME, image_url=text["downloadUrl"])
    assert answer.status_code == 422, answer.text
    assert answer.json()["msg"] == (
        "input.image_url: the file is text/plain, not a JPEG, PNG or WebP image"
    )

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, "GIF")
    gif = await upload(api, "base64", buffer.getvalue(), images, name="a.gif")
    answer = await create(api, REFRAME, image_url=gif["downloadUrl"])
    assert answer.status_code == 422, answer.text
    assert answer.json()["msg"] == (
        "input.image_url: the file is image/gif, not a JPEG, PNG or WebP image"
    )
    assert await task_count(api) == 0


async def test_an_upload_over_the_pixel_limit_fails_its_task_refunded(
    live_api: Any, images: LoopbackServer
) -> None:
    # 64 Mpx in a few KB: only a read of the image can tell, so the worker's read refuses it.
    uploaded = await upload(live_api, "stream", png_bomb(8000, 8000), images)
    before = await credits(live_api)
    task_id = (await create(live_api, REFRAME, image_url=uploaded["downloadUrl"])).json()[
        "data"
    ]["taskId"]
    data = await wait_end(live_api, task_id)
    assert (data["state"], data["failCode"]) == ("fail", "422"), data
    assert data["failMsg"] == (
        "input.image_url: image is 8000x8000 pixels, more than the limit of 40000000 pixels"
    )
    assert await credits(live_api) == before


async def test_ideogram_refuses_an_image_over_the_pixel_limit_before_any_task(
    api: Any,
) -> None:
    before = await credits(api)
    answer = await api.client.post(
        "/v1/ideogram-v3/reframe", headers={"Api-Key": api.key},
        data={"resolution": "1024x1024"},
        files={"image": ("bomb.png", png_bomb(8000, 8000), "image/png")},
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"] == (
        "image: image is 8000x8000 pixels, more than the limit of 40000000 pixels"
    )
    assert await credits(api) == before and await task_count(api) == 0
