"""Reading the records of Kie's three surfaces into one shape; odd records are malformed."""

from __future__ import annotations

from typing import Any

import pytest

from imagegate.client.errors import ProtocolError
from imagegate.client.settings import ClientSettings
from imagegate.client.task import TaskState
from imagegate.engines.upstream.kie_surfaces import FLUX, GPT4O, JOBS_V1, JOBS_V2, surface_of


def test_each_model_has_its_surface() -> None:
    assert surface_of("google/nano-banana") is JOBS_V1
    assert surface_of("nano-banana-pro") is JOBS_V2
    assert surface_of("gpt4o-image") is GPT4O
    assert surface_of("flux-kontext-max") is FLUX


def test_requests_carry_the_key_the_idempotency_key_and_the_callback() -> None:
    settings = ClientSettings(base_url="https://up.example/", api_key="k")
    created = FLUX.create(settings, "flux-kontext-max", {"prompt": "p"},
                          callback_url="https://me/cb", idempotency_key="imagegate-t1")
    assert created.url == "https://up.example/api/v1/flux/kontext/generate"
    assert created.json == {"prompt": "p", "model": "flux-kontext-max",
                            "callBackUrl": "https://me/cb"}
    assert created.headers["Authorization"] == "Bearer k"
    assert created.headers["Idempotency-Key"] == "imagegate-t1"
    record = GPT4O.record(settings, "abc")
    assert record.url == "https://up.example/api/v1/gpt4o-image/record-info"
    assert record.params == {"taskId": "abc"}


@pytest.mark.parametrize(
    ("data", "state", "urls", "code", "progress"),
    [
        ({"taskId": "a", "status": "GENERATING", "progress": "0.45"}, "generating", (), None, 45),
        ({"taskId": "a", "status": "SUCCESS", "response": {"resultUrls": ["u1", "u2"]}},
         "success", ("u1", "u2"), None, None),
        ({"taskId": "a", "status": "GENERATE_FAILED", "errorCode": 500, "errorMessage": "x"},
         "fail", (), "500", None),
        ({"taskId": "a", "status": "CREATE_TASK_FAILED", "errorCode": "422"},
         "fail", (), "422", None),
    ],
)
def test_gpt4o_records(data: dict[str, Any], state: str, urls: tuple[str, ...],
                       code: str | None, progress: int | None) -> None:
    task = GPT4O.read(data)
    assert task.state is TaskState(state) and task.result_urls == urls
    assert task.fail_code == code and task.progress == progress


@pytest.mark.parametrize(
    ("data", "state", "urls"),
    [
        ({"taskId": "f", "successFlag": 0}, "generating", ()),
        ({"taskId": "f", "successFlag": 1, "response": {"resultImageUrl": "r"}}, "success", ("r",)),
        ({"taskId": "f", "successFlag": 3, "errorCode": 501, "errorMessage": "m"}, "fail", ()),
    ],
)
def test_flux_records(data: dict[str, Any], state: str, urls: tuple[str, ...]) -> None:
    task = FLUX.read(data)
    assert task.state is TaskState(state) and task.result_urls == urls


@pytest.mark.parametrize(
    ("surface", "data"),
    [
        (GPT4O, None),
        (GPT4O, {"status": "SUCCESS"}),
        (GPT4O, {"taskId": "a", "status": "DONE"}),
        (GPT4O, {"taskId": "a", "status": "SUCCESS", "response": {"resultUrls": "u"}}),
        (FLUX, {"taskId": "f", "successFlag": 7}),
        (FLUX, {"taskId": "f", "successFlag": 1, "response": {}}),
        (JOBS_V1, {"taskId": "j", "state": "thinking"}),
    ],
)
def test_odd_records_are_malformed(surface: Any, data: Any) -> None:
    with pytest.raises(ProtocolError):
        surface.read(data)
