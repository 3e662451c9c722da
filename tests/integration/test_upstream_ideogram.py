"""The ``upstream_ideogram`` engine against a fake Ideogram over real sockets
(tests/fake_ideogram.py).

Each test makes the fake answer one way and checks the engine's request (what Ideogram would
see) or the TaskError it raises: the input's fault is final, everything else lets the route's
next engine try, and every message names the upstream.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from PIL import Image

from imagegate.engines.base import EngineJob, OutputImage, SourceImage
from imagegate.engines.upstream.config import IdeogramProvider
from imagegate.engines.upstream.ideogram import IdeogramUpstream
from imagegate.errors import EngineUnavailable, GenerationFailed, InputRejected, TaskError
from imagegate.outbound import UrlPolicy

from fake_ideogram import FAKE_IDEOGRAM_KEY, LEGACY_PATH, V3_PATH, FakeIdeogram, Scripted
from upstreams import closed_port_url

NAME = "ideogram"


@pytest.fixture
def fake() -> Iterator[FakeIdeogram]:
    with FakeIdeogram() as served:
        yield served


def source_image(size: tuple[int, int] = (96, 96), fmt: str = "PNG") -> SourceImage:
    buffer = io.BytesIO()
    Image.new("RGB", size, (40, 160, 90)).save(buffer, fmt)
    mime = f"image/{fmt.lower()}"
    return SourceImage("http://example.test/in.png", buffer.getvalue(), mime, *size)


def job(image: SourceImage | None = None, progress: list[int] | None = None,
        **fields: Any) -> EngineJob:
    """A reframe task; a field given as None is left out of the input."""
    task_input = {
        "image_url": "http://example.test/in.png", "image_size": "1024x1024",
        "rendering_speed": "BALANCED", "style": "AUTO", "num_images": "1", "seed": 7,
        **fields,
    }
    task_input = {name: value for name, value in task_input.items() if value is not None}
    return EngineJob(
        task_id="task-1", model="ideogram/v3-reframe", input=task_input,
        images={"image_url": [image or source_image()]},
        report_progress=(progress.append if progress is not None else lambda _p: None),
    )


def engine(base_url: str, *, key: str = FAKE_IDEOGRAM_KEY, **options: Any) -> IdeogramUpstream:
    values: dict[str, Any] = {"timeout_seconds": 5.0, "retries": 1, "patience_seconds": 5.0}
    values.update(options)
    provider = IdeogramProvider(
        type="upstream_ideogram", base_url=base_url, api_key=key, **values
    )
    return IdeogramUpstream(NAME, provider, policy=UrlPolicy(["127.0.0.1"]))


async def run(upstream: IdeogramUpstream, task: EngineJob) -> list[OutputImage]:
    try:
        return await upstream.run(task)
    finally:
        await upstream.aclose()


async def failure(upstream: IdeogramUpstream, task: EngineJob | None = None) -> TaskError:
    with pytest.raises(TaskError) as raised:
        await run(upstream, task or job())
    error = raised.value
    assert error.msg.startswith(f"upstream {NAME}: "), error.msg
    return error


def is_fake_png(image: OutputImage, size: tuple[int, int]) -> bool:
    with Image.open(io.BytesIO(image.data)) as decoded:
        return image.mime_type == "image/png" and decoded.size == size == (
            image.width, image.height
        )


# ------------------------------------------------------------------- success


async def test_v3_reframe_uploads_the_image_and_maps_the_fields(fake: FakeIdeogram) -> None:
    progress: list[int] = []
    image = source_image((120, 80), "JPEG")
    task = job(image, progress, image_size="1152x896", num_images="2", seed=1234,
               rendering_speed="BALANCED", style="REALISTIC")
    images = await run(engine(fake.base_url), task)

    assert len(images) == 2
    assert all(is_fake_png(output, (1152, 896)) for output in images)
    [request] = fake.answered(200)
    assert request.path == V3_PATH
    assert request.headers["api-key"] == FAKE_IDEOGRAM_KEY
    assert request.fields == {
        "resolution": "1152x896", "num_images": "2", "seed": "1234", "rendering_speed": "DEFAULT",
    }  # no style: v3 reframe has no style_type (see the engine's docstring)
    filename, ctype, data = request.files["image"]
    assert data == image.data and ctype == "image/jpeg" and filename == "task-1.jpg"
    assert progress == [10, 90]


@pytest.mark.parametrize(("speed", "sent"), [("TURBO", "TURBO"), ("QUALITY", "QUALITY")])
async def test_v3_rendering_speeds(fake: FakeIdeogram, speed: str, sent: str) -> None:
    await run(engine(fake.base_url), job(rendering_speed=speed, num_images=1))
    assert fake.answered(200)[0].fields["rendering_speed"] == sent


async def test_a_preset_goes_up_as_the_nearest_ideogram_resolution(fake: FakeIdeogram) -> None:
    [square] = await run(engine(fake.base_url), job(image_size="square_hd"))
    [wide] = await run(engine(fake.base_url), job(image_size="landscape_16_9"))

    sent = [request.fields["resolution"] for request in fake.answered(200)]
    assert sent[0] == "1024x1024" and is_fake_png(square, (1024, 1024))
    width, height = (int(n) for n in sent[1].split("x"))
    assert abs(width / height - 16 / 9) < 0.1, sent[1]
    assert is_fake_png(wide, (width, height))


@pytest.mark.parametrize(
    ("speed", "style", "model"),
    [("TURBO", "DESIGN", "V_2_TURBO"), ("QUALITY", "REALISTIC", "V_2"), ("BALANCED", None, "V_2")],
)
async def test_legacy_reframe(
    fake: FakeIdeogram, speed: str, style: str | None, model: str
) -> None:
    image = source_image()
    fields: dict[str, Any] = {"rendering_speed": speed, "image_size": "1280x768"}
    task = job(image, **fields, style=style)  # None: no style in the input at all
    [output] = await run(engine(fake.base_url, endpoint="legacy"), task)

    assert is_fake_png(output, (1280, 768))
    [request] = fake.answered(200)
    assert request.path == LEGACY_PATH
    expected = {"resolution": "RESOLUTION_1280_768", "model": model, "num_images": "1",
                "seed": "7", **({"style_type": style} if style else {})}
    assert request.fields == expected
    assert request.files["image_file"][2] == image.data


async def test_some_unsafe_images_return_the_safe_ones(fake: FakeIdeogram) -> None:
    fake.unsafe = {0, 2}
    images = await run(engine(fake.base_url), job(num_images=3))
    assert len(images) == 1 and is_fake_png(images[0], (1024, 1024))
    assert len(fake.image_gets) == 1


# ------------------------------------------------------------------- the input's fault


async def test_422_is_the_inputs_fault_with_ideograms_message(fake: FakeIdeogram) -> None:
    fake.script.append(Scripted(422, {"error": "Image is too small to reframe"}))
    error = await failure(engine(fake.base_url))
    assert isinstance(error, InputRejected) and not error.retryable
    assert "Image is too small to reframe" in error.msg and "422" in error.msg
    assert len(fake.answered()) == 1


async def test_the_fakes_own_validation_refuses_a_gif(fake: FakeIdeogram) -> None:
    gif = source_image(fmt="GIF")
    error = await failure(engine(fake.base_url), job(gif))
    assert isinstance(error, InputRejected) and not error.retryable
    assert "only JPEG, WebP and PNG" in error.msg and "HTTP 400" in error.msg


async def test_every_image_unsafe_is_final(fake: FakeIdeogram) -> None:
    fake.unsafe = True
    error = await failure(engine(fake.base_url), job(num_images=2))
    assert isinstance(error, InputRejected) and not error.retryable
    assert "flagged every image unsafe" in error.msg
    assert fake.image_gets == []


# ------------------------------------------------------------------- the upstream's fault


async def test_a_wrong_key_is_the_operators_problem(fake: FakeIdeogram) -> None:
    error = await failure(engine(fake.base_url, key="not-the-key"))
    assert isinstance(error, EngineUnavailable) and error.retryable
    assert "operator's key" in error.msg and "Invalid API key" in error.msg
    assert len(fake.answered(401)) == 1  # not repeated


async def test_402_is_the_operators_balance(fake: FakeIdeogram) -> None:
    fake.script.append(Scripted(402, {"error": "Insufficient balance"}))
    error = await failure(engine(fake.base_url))
    assert isinstance(error, EngineUnavailable) and error.retryable
    assert "balance" in error.msg and "Insufficient balance" in error.msg


async def test_a_500_is_repeated_within_retries(fake: FakeIdeogram) -> None:
    fake.script.append(Scripted(500, {"error": "internal"}))
    images = await run(engine(fake.base_url, retries=1), job())
    assert len(images) == 1
    assert [r.status for r in fake.answered()] == [500, 200]


async def test_5xx_beyond_retries_fails_over(fake: FakeIdeogram) -> None:
    fake.script.extend([Scripted(503, "<html>down</html>")] * 3)
    error = await failure(engine(fake.base_url, retries=1))
    assert isinstance(error, EngineUnavailable) and error.retryable
    assert "HTTP 503" in error.msg and "2 tries" in error.msg
    assert len(fake.answered()) == 2


async def test_a_429_within_patience_is_waited_out(fake: FakeIdeogram) -> None:
    fake.script.append(Scripted(429, {"error": "slow down"}, {"Retry-After": "0.6"}))
    started = time.monotonic()
    images = await run(engine(fake.base_url, patience_seconds=2), job())
    assert len(images) == 1
    assert time.monotonic() - started >= 0.6
    assert [r.status for r in fake.answered()] == [429, 200]


async def test_a_429_beyond_patience_fails_over_at_once(fake: FakeIdeogram) -> None:
    fake.script.append(Scripted(429, {"error": "slow down"}, {"Retry-After": "120"}))
    started = time.monotonic()
    error = await failure(engine(fake.base_url, patience_seconds=5))
    assert isinstance(error, EngineUnavailable) and error.retryable
    assert "Retry-After 120 s" in error.msg and "patience of 5 s" in error.msg
    assert time.monotonic() - started < 2 and len(fake.answered()) == 1


async def test_malformed_json_is_retryable(fake: FakeIdeogram) -> None:
    fake.script.append(Scripted(200, b"{not json", {"Content-Type": "application/json"}))
    error = await failure(engine(fake.base_url))
    assert isinstance(error, EngineUnavailable) and error.retryable
    assert "malformed" in error.msg and len(fake.answered()) == 1


async def test_an_html_page_or_a_wrong_shape_is_malformed(fake: FakeIdeogram) -> None:
    fake.script.append(Scripted(200, "<html>maintenance</html>"))
    html = await failure(engine(fake.base_url))
    fake.script.append(Scripted(200, {"created": "now", "data": []}))
    empty = await failure(engine(fake.base_url))
    for error in (html, empty):
        assert isinstance(error, EngineUnavailable) and "malformed" in error.msg


async def test_a_slow_answer_times_out_and_is_not_repeated(fake: FakeIdeogram) -> None:
    fake.delay = 1.0
    started = time.monotonic()
    error = await failure(engine(fake.base_url, timeout_seconds=0.3, retries=2))
    assert isinstance(error, EngineUnavailable) and error.retryable
    assert "no answer to reframe within 0.3 s" in error.msg
    assert time.monotonic() - started < 0.9
    # A paid generation may be under way: repeating it could pay twice.
    assert len(fake.answered()) == 1


async def test_a_result_that_cannot_be_downloaded(fake: FakeIdeogram) -> None:
    fake.image_status = 404
    error = await failure(engine(fake.base_url))
    assert isinstance(error, GenerationFailed) and error.retryable
    assert "HTTP 404" in error.msg and len(fake.image_gets) == 1


async def test_an_upstream_that_is_down() -> None:
    error = await failure(engine(closed_port_url(), retries=1))
    assert isinstance(error, EngineUnavailable) and error.retryable
    assert "unreachable" in error.msg


async def test_supports_only_the_reframe_model(fake: FakeIdeogram) -> None:
    upstream = engine(fake.base_url)
    try:
        assert upstream.supports("ideogram/v3-reframe")
        assert not upstream.supports("ideogram/v3-text-to-image")
        assert upstream.name == NAME
    finally:
        await upstream.aclose()


def test_the_fake_validates_like_ideogram(fake: FakeIdeogram) -> None:
    """The fake refuses what Ideogram's documentation says Ideogram refuses."""
    png = ("in.png", source_image().data, "image/png")
    key = {"Api-Key": FAKE_IDEOGRAM_KEY}
    cases = [
        (V3_PATH, {"resolution": "1000x1000"}, {"image": png}, 422, "resolution"),
        (V3_PATH, {"resolution": "1024x1024", "num_images": "9"}, {"image": png}, 422, "num_"),
        (V3_PATH, {"resolution": "1024x1024", "rendering_speed": "FAST"}, {"image": png}, 422,
         "rendering_speed"),
        (V3_PATH, {"resolution": "1024x1024"}, {}, 400, "image is required"),
        (LEGACY_PATH, {"resolution": "RESOLUTION_1024_1024", "model": "V_9"},
         {"image_file": png}, 422, "model"),
        (LEGACY_PATH, {"resolution": "1024x1024", "model": "V_2"}, {"image_file": png}, 422,
         "resolution"),
    ]
    with httpx.Client(base_url=fake.base_url, headers=key) as client:
        for path, form, files, status, said in cases:
            # An unrelated file part keeps the body multipart where the image is left out.
            response = client.post(path, data=form, files=files or {"other": png})
            assert response.status_code == status, (form, response.text)
            assert said in response.json()["error"]
        wrong_key = client.post(V3_PATH, data={"resolution": "1024x1024"}, files={"image": png},
                                headers={"Api-Key": "nope"})
        assert wrong_key.status_code == 401
        answer = client.post(LEGACY_PATH, data={"resolution": "RESOLUTION_640_1536",
                                                "style_type": "ANIME"}, files={"image_file": png})
        [entry] = answer.json()["data"]
        assert entry["resolution"] == "640x1536" and entry["style_type"] == "ANIME"
        result = client.get(entry["url"])
        with Image.open(io.BytesIO(result.content)) as image:
            assert image.size == (640, 1536)
