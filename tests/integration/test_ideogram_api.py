"""Ideogram's own reframe API (``POST /reframe``, spec 003, and ``POST /v1/ideogram-v3/reframe``)
through the in-process app: ordinary ideogram/v3-reframe tasks, answered synchronously in
Ideogram's shape, on the mock engine and on the classic engine."""

from __future__ import annotations

import asyncio
import io
import json
from typing import Any

import httpx
import pytest
from PIL import Image
from skimage import data

from imagegate.catalog.seeds import image_seed

from photos import assert_source_kept, photo_file

BASE = "http://testserver"
V3 = "/v1/ideogram-v3/reframe"
LEGACY = "/reframe"
ANSWER_KEYS = {
    "prompt", "resolution", "is_image_safe", "seed", "url", "upscaled_resolution", "style_type"
}
PHOTO = photo_file()  # skimage's coffee, 600x400 PNG


async def post(
    harness: Any, path: str, fields: dict[str, Any], files: Any = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    if files is None:
        name = "image" if path == V3 else "image_file"
        files = {name: ("photo.png", PHOTO, "image/png")}
    return await harness.client.post(
        path, data=fields, files=files,
        headers={"Api-Key": harness.key} if headers is None else headers,
    )


async def balance(harness: Any) -> float:
    response = await harness.client.get("/api/v1/chat/credit", headers=harness.auth)
    return float(response.json()["data"])


async def fetch(harness: Any, url: str) -> bytes:
    assert url.startswith(BASE + "/files/results/"), url
    response = await harness.client.get(url.removeprefix(BASE))
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    return response.content


def size_of(blob: bytes) -> tuple[int, int]:
    return Image.open(io.BytesIO(blob)).size


def check_answer(answer: dict[str, Any], resolution: str, count: int) -> list[dict[str, Any]]:
    assert set(answer) == {"created", "data"}, answer
    assert len(answer["created"]) == 25 and answer["created"].endswith("+00:00"), answer
    assert len(answer["data"]) == count
    for item in answer["data"]:
        assert set(item) == ANSWER_KEYS, item
        assert item["prompt"] == "" and item["resolution"] == resolution
        assert item["is_image_safe"] is True and item["upscaled_resolution"] is None
        assert isinstance(item["seed"], int) and 0 <= item["seed"] <= 2_147_483_647
    return list(answer["data"])


async def record_of(harness: Any, response: httpx.Response) -> dict[str, Any]:
    task_id = response.headers["X-Imagegate-Task-Id"]
    found = (await harness.record(task_id)).json()
    assert found["code"] == 200, found
    return dict(found["data"])


def ideogram_error(response: httpx.Response, status: int, *words: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) <= {"error", "task_id"} and isinstance(body["error"], str), body
    for word in words:
        assert word in body["error"], body
    return str(body["error"])


# ------------------------------------------------------------------ mock engine


async def test_spec_003_example_on_the_mock(live_api: Any) -> None:
    before = await balance(live_api)
    response = await post(
        live_api, LEGACY, {"resolution": "RESOLUTION_1024_1024", "model": "V_2_TURBO"}
    )
    assert response.status_code == 200, response.text
    [item] = check_answer(response.json(), "1024x1024", 1)
    assert item["style_type"] == "AUTO"
    await fetch(live_api, item["url"])
    # An ordinary task: listed as ideogram/v3-reframe, charged at TURBO's 3.5 credits.
    record = await record_of(live_api, response)
    assert record["model"] == "ideogram/v3-reframe" and record["state"] == "success"
    task_input = json.loads(record["param"])["input"]
    assert task_input["image_size"] == "1024x1024" and task_input["rendering_speed"] == "TURBO"
    assert task_input["seed"] == item["seed"]
    assert task_input["image_url"].startswith(BASE + "/files/uploads/")
    assert json.loads(record["resultJson"])["resultUrls"] == [item["url"]]
    assert await balance(live_api) == before - 3.5


async def test_v3_eight_images_and_the_largest_seed_on_the_mock(live_api: Any) -> None:
    before = await balance(live_api)
    response = await post(
        live_api, V3,
        {"resolution": "1312x736", "rendering_speed": "FLASH", "num_images": "8",
         "seed": "2147483647"},
    )
    assert response.status_code == 200, response.text
    items = check_answer(response.json(), "1312x736", 8)
    assert {item["seed"] for item in items} == {2_147_483_647}  # the mock has no per-image seeds
    assert len({item["url"] for item in items}) == 8
    record = await record_of(live_api, response)
    assert record["model"] == "ideogram/v3-reframe"
    assert json.loads(record["param"])["input"]["num_images"] == 8
    assert await balance(live_api) == before - 8 * 3.5  # FLASH runs (and costs) as TURBO


async def test_legacy_eight_images_and_style_type(live_api: Any) -> None:
    response = await post(
        live_api, LEGACY,
        {"resolution": "RESOLUTION_1536_640", "model": "V_2", "num_images": "8", "seed": "0",
         "style_type": "REALISTIC"},
    )
    assert response.status_code == 200, response.text
    items = check_answer(response.json(), "1536x640", 8)
    assert {item["style_type"] for item in items} == {"REALISTIC"}
    task_input = json.loads((await record_of(live_api, response))["param"])["input"]
    assert task_input["style"] == "REALISTIC" and task_input["rendering_speed"] == "BALANCED"


async def test_v3_style_fields_are_accepted_and_checked(live_api: Any) -> None:
    palette = {"members": [{"color_hex": "#AA3300", "color_weight": 0.5}]}
    files = [
        ("image", ("photo.png", PHOTO, "image/png")),
        ("style_reference_images", ("ref.jpg", photo_file(data.astronaut(), "JPEG"), "image/jpeg")),
    ]
    fields = {"resolution": "1024x1024", "rendering_speed": "TURBO", "style_preset": "WATERCOLOR",
              "color_palette": json.dumps(palette), "style_codes": ["0A1B2C3D", "DEADBEEF"]}
    response = await post(live_api, V3, fields, files)
    assert response.status_code == 200, response.text
    check_answer(response.json(), "1024x1024", 1)

    bad = [
        ({"color_palette": "not json"}, "color_palette"),
        ({"color_palette": json.dumps({"members": [{"color_hex": "red"}]})}, "color_hex"),
        ({"style_codes": "xyz"}, "style_codes"),
        ({"style_preset": "not a preset"}, "style_preset"),
        ({"rendering_speed": "BALANCED"}, "rendering_speed"),
    ]
    for extra, word in bad:
        response = await post(live_api, V3, {"resolution": "1024x1024", **extra})
        ideogram_error(response, 422, word)
    text_ref = [("image", ("photo.png", PHOTO, "image/png")),
                ("style_reference_images", ("ref.txt", b"hello", "text/plain"))]
    response = await post(live_api, V3, {"resolution": "1024x1024"}, text_ref)
    ideogram_error(response, 422, "style_reference_images")


# ------------------------------------------------------------------ classic engine


async def test_both_endpoints_on_the_classic_engine(
    harness_opener: Any, runtime_factory: Any
) -> None:
    photo = photo_file(data.chelsea(), "JPEG", quality=92)
    harness, client = await harness_opener(runtime_factory(mock=False), start=True)
    async with client:
        # Spec 003's example with a photograph (and a small resolution, to keep it fast).
        response = await post(
            harness, LEGACY, {"resolution": "RESOLUTION_1024_832", "model": "V_2_TURBO"},
            files={"image_file": ("chelsea.jpg", photo, "image/jpeg")},
        )
        assert response.status_code == 200, response.text
        [item] = check_answer(response.json(), "1024x832", 1)
        output = await fetch(harness, item["url"])
        assert_source_kept(output, photo, (1024, 832))
        task = await harness.runtime.store.get_task(response.headers["X-Imagegate-Task-Id"])
        assert task.engine == "classic" and task.model == "ideogram/v3-reframe"

        before = await balance(harness)
        response = await post(
            harness, V3,
            {"resolution": "1312x736", "rendering_speed": "FLASH", "num_images": "2",
             "seed": "7"},
            files={"image": ("chelsea.jpg", photo, "image/jpeg")},
        )
        assert response.status_code == 200, response.text
        items = check_answer(response.json(), "1312x736", 2)
        assert [item["seed"] for item in items] == [7, image_seed(7, 1)]
        for item in items:
            output = await fetch(harness, item["url"])
            assert size_of(output) == (1312, 736)
            assert_source_kept(output, photo, (1312, 736))
        assert await balance(harness) == before - 2 * 3.5
        record = await record_of(harness, response)
        assert record["model"] == "ideogram/v3-reframe" and record["state"] == "success"
    await harness.runtime.worker.stop()
    await harness.runtime.callbacks.stop()


# ------------------------------------------------------------------ limits and refusals


LIMITS = [
    ({"num_images": "9"}, "num_images"),
    ({"num_images": "0"}, "num_images"),
    ({"seed": "2147483648"}, "seed"),
    ({"seed": "-1"}, "seed"),
    ({"seed": "1.5"}, "seed"),
]


@pytest.mark.parametrize("path", [V3, LEGACY])
@pytest.mark.parametrize(("extra", "word"), LIMITS)
async def test_limits_outside_are_422(api: Any, path: str, extra: dict[str, str], word: str):
    resolution = "1024x1024" if path == V3 else "RESOLUTION_1024_1024"
    response = await post(api, path, {"resolution": resolution, **extra})
    ideogram_error(response, 422, word)


@pytest.mark.parametrize("path", [V3, LEGACY])
async def test_a_missing_key_is_asked_for_as_ideogram_names_it(api: Any, path: str) -> None:
    resolution = "1024x1024" if path == V3 else "RESOLUTION_1024_1024"
    message = ideogram_error(await post(api, path, {"resolution": resolution}, headers={}), 401)
    assert message == "Authentication failed: no API key (send Api-Key: YOUR_API_KEY)"
    # Kie's surfaces keep asking for their Bearer token.
    jobs = await api.client.post("/api/v1/jobs/createTask", json={"model": "x"})
    assert jobs.json()["msg"].endswith("(send Authorization: Bearer YOUR_API_KEY)")


@pytest.mark.parametrize("path", [V3, LEGACY])
async def test_refusals_in_ideogram_shape(sqlite_api: Any, path: str) -> None:
    api = sqlite_api  # counts the files' rows with SQL
    image = "image" if path == V3 else "image_file"
    good = "1024x1024" if path == V3 else "RESOLUTION_1024_1024"
    unknown = "1000x1000" if path == V3 else "RESOLUTION_1000_1000"
    ideogram_error(await post(api, path, {"resolution": unknown}), 422, "resolution")
    ideogram_error(await post(api, path, {}), 422, "resolution", "required")
    # The other surface's spelling of a resolution is not this one's.
    other = "RESOLUTION_1024_1024" if path == V3 else "1024x1024"
    ideogram_error(await post(api, path, {"resolution": other}), 422, "resolution")
    ideogram_error(await post(api, path, {"resolution": good}, files={}), 400)
    # A file under a name the endpoint does not know is ignored (and named in a header): the
    # image is then still missing.
    missing = await api.client.post(
        path, data={"resolution": good}, files={"other": ("x.txt", b"x", "text/plain")},
        headers={"Api-Key": api.key},
    )
    ideogram_error(missing, 422, image, "required")
    only_fields = await api.client.post(
        path, files={"resolution": (None, good)}, headers={"Api-Key": api.key}
    )
    ideogram_error(only_fields, 422, image, "required")
    text = {image: ("notes.txt", b"not an image at all", "text/plain")}
    ideogram_error(await post(api, path, {"resolution": good}, text), 422, "JPEG, PNG or WebP")
    huge = PHOTO + b"\0" * (10 * 1024 * 1024 + 1 - len(PHOTO))
    big = {image: ("big.png", huge, "image/png")}
    ideogram_error(await post(api, path, {"resolution": good}, big), 422, "limit")
    ideogram_error(await post(api, path, {"resolution": good}, headers={}), 401, "API key")
    wrong = {"Api-Key": "ig_not_a_key"}
    ideogram_error(await post(api, path, {"resolution": good}, headers=wrong), 401, "not valid")
    not_multipart = await api.client.post(path, json={"resolution": good},
                                          headers={"Api-Key": api.key})
    ideogram_error(not_multipart, 400, "multipart")
    # No refusal made a task or kept an upload.
    assert await api.runtime.store.count_by_state() in ({}, {"waiting": 0})
    rows = api.runtime.db.read_now(lambda c: c.execute("SELECT COUNT(*) FROM files").fetchone())
    assert rows[0] == 0


async def test_exactly_10_mb_is_accepted(api: Any) -> None:
    exact = PHOTO + b"\0" * (10 * 1024 * 1024 - len(PHOTO))
    api.runtime.settings.ideogram_sync_timeout_seconds = 0.05
    response = await post(api, V3, {"resolution": "1024x1024"},
                          files={"image": ("exact.png", exact, "image/png")})
    # Accepted: the task was created (and, with no worker here, is still running).
    ideogram_error(response, 504, "still running")


async def test_rate_limit_is_429_with_retry_after(
    harness_opener: Any, runtime_factory: Any
) -> None:
    harness, client = await harness_opener(runtime_factory(create_rate="1/60s"), start=True)
    async with client:
        first = await post(harness, V3, {"resolution": "1024x1024"})
        assert first.status_code == 200, first.text
        second = await post(harness, LEGACY, {"resolution": "RESOLUTION_1024_1024"})
        ideogram_error(second, 429, "Rate limit")
        assert int(second.headers["Retry-After"]) >= 1
        # The createTask budget is the same one.
        third = await harness.create({"model": "ideogram/v3-reframe", "input": {
            "image_url": "http://127.0.0.1:9/x.png", "image_size": "square"}})
        assert third.status_code == 429
    await harness.runtime.worker.stop()
    await harness.runtime.callbacks.stop()


async def test_a_timeout_keeps_the_task_and_it_finishes(
    harness_opener: Any, runtime_factory: Any
) -> None:
    runtime = runtime_factory(ideogram_sync_timeout_seconds=0.2)
    harness, client = await harness_opener(runtime, start=False)
    async with client:
        response = await post(harness, V3, {"resolution": "1024x1024", "seed": "5"})
        task_id = response.json()["task_id"]
        ideogram_error(response, 504, "still running", task_id, "recordInfo")
        assert (await runtime.store.get_task(task_id)).state.value == "waiting"
        await runtime.start()
        try:
            for _ in range(100):
                record = (await harness.record(task_id)).json()["data"]
                if record["state"] == "success":
                    break
                await asyncio.sleep(0.11)
            assert record["state"] == "success", record
            assert record["model"] == "ideogram/v3-reframe"
        finally:
            await runtime.worker.stop()
            await runtime.callbacks.stop()


async def test_failed_tasks_are_ideogram_errors(
    harness_opener: Any, runtime_factory: Any
) -> None:
    harness, client = await harness_opener(runtime_factory(mock_fail_rate=1.0), start=True)
    async with client:
        before = await balance(harness)
        response = await post(harness, V3, {"resolution": "1024x1024"})
        ideogram_error(response, 500, "failed", "simulated failure", "refunded")
        assert await balance(harness) == before
        record = await record_of(harness, response)
        assert record["state"] == "fail" and record["model"] == "ideogram/v3-reframe"
        # A PNG whose header reads but whose pixels are cut off: the worker's full decode
        # refuses it, the input's fault, 422.
        truncated = PHOTO[: len(PHOTO) // 2]
        response = await post(harness, LEGACY, {"resolution": "RESOLUTION_1024_1024"},
                              files={"image_file": ("cut.png", truncated, "image/png")})
        ideogram_error(response, 422, "failed", "corrupt or truncated")
        # One that only looks like a PNG (no header to read) is refused with the form, before
        # any task or charge.
        fake = b"\x89PNG\r\n\x1a\n" + b"garbage" * 50
        response = await post(harness, LEGACY, {"resolution": "RESOLUTION_1024_1024"},
                              files={"image_file": ("fake.png", fake, "image/png")})
        ideogram_error(response, 422, "image_file", "corrupt or truncated")
        assert "X-Imagegate-Task-Id" not in response.headers
    await harness.runtime.worker.stop()
    await harness.runtime.callbacks.stop()


async def test_openapi_documents_both_endpoints(api: Any) -> None:
    schema = (await api.client.get("/openapi.json")).json()
    for path, image in ((V3, "image"), (LEGACY, "image_file")):
        operation = schema["paths"][path]["post"]
        form = operation["requestBody"]["content"]["multipart/form-data"]["schema"]
        assert image in form["properties"] and form["required"] == [image, "resolution"]
        ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
        assert ok["$ref"].endswith("/ReframeAnswer")
        assert {"401", "422", "429"} <= set(operation["responses"])
        assert {"IdeogramApiKey": []} in operation["security"]
    assert "ImageObject" in schema["components"]["schemas"]
    assert schema["components"]["securitySchemes"]["IdeogramApiKey"]["name"] == "Api-Key"


async def test_a_client_path_as_file_name_is_kept_as_its_last_part(live_api: Any) -> None:
    files = {"image_file": ("C:\\photos\\my cat.png", PHOTO, "image/png")}
    response = await post(live_api, LEGACY, {"resolution": "RESOLUTION_1024_1024"}, files)
    assert response.status_code == 200, response.text
    image_url = json.loads((await record_of(live_api, response))["param"])["input"]["image_url"]
    assert image_url.split("?")[0].endswith("-my_cat.png"), image_url
