"""nano-banana-pro as Kie's clients send it today (Kie's live field names, on v1 and v2) beside
spec 002's ``input_*`` names, through the API on the mock engine."""

from __future__ import annotations

import json
from typing import Any

import pytest
from test_api_jobs_models import results, wait_terminal

V1 = "/api/v1/jobs/createTask"
V2 = "/api/v2/jobs/createTask"


async def credits(api: Any) -> float:
    response = await api.client.get("/api/v1/chat/credit", headers=api.auth)
    return float(response.json()["data"])


async def create(api: Any, path: str, body: dict[str, Any]) -> Any:
    return await api.client.post(path, json=body, headers=api.auth)


def task_id_of(path: str, answer: dict[str, Any]) -> str:
    return str(answer["data"]["task_id" if path == V2 else "taskId"])


@pytest.mark.parametrize("path", [V1, V2])
async def test_live_names_run_with_their_own_enums_and_are_echoed(
    live_api: Any, loopback: Any, path: str
) -> None:
    # As the live clients send it: a reference image, 16:9 at 2K, jpg.
    body = {"model": "nano-banana-pro", "callBackUrl": "",
            "input": {"prompt": "a banana hero", "aspect_ratio": "16:9", "resolution": "2K",
                      "output_format": "jpg",
                      "image_input": [loopback.serve_image("/ref.png")]}}  # fmt: skip
    before = await credits(live_api)
    response = await create(live_api, path, body)
    assert response.status_code == 200, response.text
    assert "X-Imagegate-Ignored-Fields" not in response.headers
    task_id = task_id_of(path, response.json())
    # 2K: 2048 on the long side; jpg is JPEG.
    assert await results(live_api, task_id) == [("image/jpeg", (2048, 1152))]
    record = (await live_api.record(task_id)).json()["data"]
    assert json.loads(record["param"]) == body
    # Kie's price for the live spelling: 18 credits an image at 1K and 2K.
    assert before - await credits(live_api) == 18


async def test_live_defaults_are_the_live_pages(live_api: Any) -> None:
    response = await create(live_api, V1, {"model": "nano-banana-pro",
                                           "input": {"prompt": "p"}})
    assert response.status_code == 200, response.text
    # 1:1, 1K, png.
    assert await results(live_api, response.json()["data"]["taskId"]) == [
        ("image/png", (1024, 1024))
    ]


async def test_spec_002_names_still_work_on_v1(live_api: Any) -> None:
    body = {"model": "nano-banana-pro", "input": {"input_prompt": "p", "input_resolution": "sd",
                                                  "input_aspect_ratio": "16:9"}}
    response = await create(live_api, V1, body)
    assert response.status_code == 200, response.text
    # sd is 768 on the long side; spec 002's default format is webp.
    assert await results(live_api, response.json()["data"]["taskId"]) == [
        ("image/webp", (768, 432))
    ]


@pytest.mark.parametrize(
    ("input", "field"),
    [
        # Each spelling keeps its own enums: hd is spec 002's, 2K the live page's.
        ({"prompt": "p", "resolution": "hd"}, "input.resolution"),
        ({"input_prompt": "p", "input_resolution": "2K"}, "input.input_resolution"),
        ({"prompt": "p", "output_format": "webp"}, "input.output_format"),
        ({"prompt": "p", "aspect_ratio": "9:21"}, "input.aspect_ratio"),
        ({"prompt": "p" * 10001}, "input.prompt"),
        ({"prompt": "p", "image_input": ["https://example.com/a.png"] * 9}, "input.image_input"),
        ({"input_prompt": "p", "input_image_input": ["https://example.com/a.png"] * 5},
         "input.input_image_input"),
        # The two spellings in one input: refused, naming the first field of the other one.
        ({"prompt": "p", "input_resolution": "hd"}, "input.input_resolution"),
        ({"input_prompt": "p", "resolution": "1K"}, "input.resolution"),
        ({"aspect_ratio": "1:1"}, "input.prompt"),
    ],
)
@pytest.mark.parametrize("path", [V1, V2])
async def test_wrong_values_are_422_naming_the_field(
    api: Any, path: str, input: dict[str, Any], field: str
) -> None:
    response = await create(api, path, {"model": "nano-banana-pro", "input": input})
    assert response.status_code == 422, response.text
    answer = response.json()
    assert answer["code"] == 422 and answer["msg"].startswith(f"{field}:"), answer
    assert await api.runtime.store.count_by_state() == {}


async def test_a_gif_reference_runs_where_the_spelling_lists_gif(
    live_api: Any, loopback: Any
) -> None:
    gif = loopback.serve_image("/ref.gif", size=(90, 60), fmt="GIF")
    # Spec 002 lists PNG/JPEG/GIF/WebP for input_image_input.
    body = {"model": "nano-banana-pro",
            "input": {"input_prompt": "p", "input_image_input": [gif]}}
    response = await create(live_api, V2, body)
    assert response.status_code == 200, response.text
    assert await results(live_api, response.json()["data"]["task_id"]) == [
        ("image/webp", (1024, 1024))
    ]
    # The live page lists JPEG, PNG and WebP only: the task fails naming the field and type.
    live = {"model": "nano-banana-pro", "input": {"prompt": "p", "image_input": [gif]}}
    response = await create(live_api, V1, live)
    data = await wait_terminal(live_api, response.json()["data"]["taskId"])
    assert data["state"] == "fail" and data["failCode"] == "422", data
    assert data["failMsg"] == (
        "input.image_input: not a JPEG, PNG or WebP image (found a GIF image)"
    )
