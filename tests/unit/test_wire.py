"""imagegate.wire: pure shapes that import no server part, over plain task values."""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

import pytest

import imagegate.wire
from imagegate import client
from imagegate.tasks import state as lifecycle
from imagegate.tasks.model import Task
from imagegate.wire import (
    callbacks,
    envelope,
    flux_kontext,
    gpt4o_image,
    ideogram,
    jobs,
    model_endpoints,
)
from imagegate.wire.states import (
    SPEC_002_STATUS,
    TaskState,
    flux_success_flag,
    gpt4o_status,
    ideogram_fail_status,
)
from imagegate.wire.surfaces import Surface
from imagegate.wire.task_view import result_files_json

WIRE = Path(imagegate.wire.__file__).parent
# House rule (design/house.json, part "Wire"): shapes take values, not stores.
ALLOWED = ("imagegate.wire", "imagegate.errors", "imagegate.catalog")


def url_for(key: str, expires: int) -> str:
    return f"https://h/files/{key}?expires={expires}"


def task(state: TaskState, **changes: object) -> Task:
    values: dict[str, object] = {
        "id": "t1", "account_id": "a", "model": "gpt4o-image", "state": state,
        "param": '{"model":"gpt4o-image","input":{"prompt":"x"},"callBackUrl":"https://c/b"}',
        "input": {"prompt": "x"}, "callback_url": "https://c/b",
        "result_json": result_files_json([("results/t1/0.png", 9)]) if state == "success"
        else None,
        "fail_code": "500" if state == "fail" else None,
        "fail_msg": "boom" if state == "fail" else None,
        "progress": 100 if state == "success" else 0, "price_milli": 3500,
        "create_time": 1, "update_time": 2, "complete_time": None, "cost_time": None,
        "engine": "mock", "attempts": 0, "lease_token": 0,
    }
    values.update(changes)
    return Task(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize("path", sorted(WIRE.glob("*.py")), ids=lambda p: p.name)
def test_wire_imports_only_errors_catalog_and_the_standard_library(path: Path) -> None:
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"relative import in {path.name}"
            names = [node.module or ""]
        for name in names:
            top = name.split(".")[0]
            assert top in sys.stdlib_module_names or top == "__future__" or (
                name == "imagegate" or name.startswith(ALLOWED)
            ), f"{path.name} imports {name}"


def test_the_lifecycle_and_the_client_share_the_wire_state_names() -> None:
    assert lifecycle.TaskState is TaskState and client.TaskState is TaskState
    assert {TaskState.SUCCESS, TaskState.FAIL} == lifecycle.TERMINAL_STATES
    assert [s for s in TaskState if s.is_claimed] == [TaskState.QUEUING, TaskState.GENERATING]


def test_each_surface_spells_every_state() -> None:
    assert set(SPEC_002_STATUS) == set(TaskState)
    spelled = {s: (gpt4o_status(s, None), flux_success_flag(s, None)) for s in TaskState}
    assert spelled[TaskState.WAITING] == (("GENERATING", 0), 0)
    assert spelled[TaskState.SUCCESS] == (("SUCCESS", 1), 1)
    assert spelled[TaskState.FAIL] == (("GENERATE_FAILED", 2), 3)
    # The input's fault (failCode 422) is a failed create on both records, and 422 on Ideogram's.
    assert gpt4o_status(TaskState.FAIL, "422") == ("CREATE_TASK_FAILED", 2)
    assert flux_success_flag(TaskState.FAIL, "422") == 2
    assert (ideogram_fail_status("422"), ideogram_fail_status("500")) == (422, 500)


def test_record_and_callback_of_a_succeeded_task() -> None:
    done = task(TaskState.SUCCESS, complete_time=5, cost_time=4)
    data = jobs.record_data(done, url_for)
    assert list(data) == [
        "taskId", "model", "state", "param", "resultJson", "failCode", "failMsg", "costTime",
        "completeTime", "createTime", "updateTime", "progress", "engine", "queuePosition",
    ]
    assert data["queuePosition"] is None  # an ended task has no place in the queue
    assert data["resultJson"] == '{"resultUrls": ["https://h/files/results/t1/0.png?expires=9"]}'
    body = jobs.callback_body(done, 96_500, url_for)
    assert (body["code"], body["msg"]) == (200, "Image generated successfully.")
    assert (body["data"]["consumeCredits"], body["data"]["remainedCredits"]) == (3.5, 96.5)
    failed = jobs.callback_body(task(TaskState.FAIL), 100_000, url_for)
    assert (failed["code"], failed["msg"], failed["data"]["consumeCredits"]) == (501, "boom", 0)
    assert failed["data"]["remainedCredits"] == 100 and failed["data"]["resultJson"] is None


def test_the_surface_names_are_stored_so_they_never_change() -> None:
    # tasks.surface and callbacks.surface hold these strings: renaming one strands its rows.
    assert [s.value for s in Surface] == [
        "jobs", "jobs-v2", "gpt4o-image", "flux-kontext", "model-endpoints", "ideogram",
    ]
    assert all(Surface(s.value) is s for s in Surface)


def test_every_surface_has_a_callback_shape() -> None:
    assert set(callbacks.SHAPES) == set(Surface)
    done = task(TaskState.SUCCESS, complete_time=5, cost_time=4)
    failed = task(TaskState.FAIL)
    # Spec 002's per-model endpoints and Ideogram keep the jobs shape.
    for surface in (Surface.JOBS, Surface.MODEL_ENDPOINTS, Surface.IDEOGRAM):
        assert callbacks.callback_body(surface, done, 96_500, url_for) == jobs.callback_body(
            done, 96_500, url_for
        )
        assert callbacks.callback_body(surface, failed, 1, url_for) == jobs.callback_body(
            failed, 1, url_for
        )
    assert callbacks.callback_body(Surface.GPT4O_IMAGE, done, 1, url_for) == (
        gpt4o_image.callback_body(done, 1, url_for)
    )
    assert callbacks.callback_body(Surface.FLUX_KONTEXT, failed, 1, url_for) == (
        flux_kontext.callback_body(failed, 1, url_for)
    )


LINK = "https://h/files/results/t1/0.png?expires=9"


def test_gpt4o_image_callback_in_kies_shape() -> None:
    done = gpt4o_image.callback_body(task(TaskState.SUCCESS), 1, url_for)
    assert done == {"code": 200, "msg": "success",
                    "data": {"taskId": "t1", "info": {"result_urls": [LINK]}}}
    cases = {
        # failCode → Kie's code: the input's fault is 400, anything else 500 (no 501 there).
        "422": 400, "500": 500, "501": 500, "CANCELED": 500,
    }
    for fail_code, code in cases.items():
        body = gpt4o_image.callback_body(task(TaskState.FAIL, fail_code=fail_code), 1, url_for)
        assert body == {"code": code, "msg": "boom", "data": {"taskId": "t1", "info": None}}
    silent = gpt4o_image.callback_body(task(TaskState.FAIL, fail_msg=None), 1, url_for)
    assert silent["msg"].startswith("Server Error")


def test_flux_kontext_callback_in_kies_shape() -> None:
    done = flux_kontext.callback_body(
        task(TaskState.SUCCESS, model="flux-kontext-pro"), 1, url_for
    )
    assert done == {"code": 200, "msg": "BFL image generated successfully.", "data": {
        "taskId": "t1", "info": {"originImageUrl": LINK, "resultImageUrl": LINK},
    }}
    cases = {"422": 400, "500": 500, "501": 501, "CANCELED": 501}
    empty = {"originImageUrl": "", "resultImageUrl": ""}
    for fail_code, code in cases.items():
        body = flux_kontext.callback_body(task(TaskState.FAIL, fail_code=fail_code), 1, url_for)
        assert body == {"code": code, "msg": "boom", "data": {"taskId": "t1", "info": empty}}
    kie_messages = {
        "422": "Your prompt was flagged by Website as violating content policies.",
        "500": "Internal Error, Please try again later.",
        "501": "Image generation task failed",
    }
    for fail_code, msg in kie_messages.items():
        silent = task(TaskState.FAIL, fail_code=fail_code, fail_msg=None)
        assert flux_kontext.callback_body(silent, 1, url_for)["msg"] == msg


def test_a_v2_tasks_callback_is_the_jobs_one_in_spec_002s_spelling() -> None:
    failed = task(TaskState.FAIL)
    body = callbacks.callback_body(Surface.JOBS_V2, failed, 1, url_for)
    v1 = jobs.callback_body(failed, 1, url_for)
    assert body["message"] == body["msg"] == v1["msg"] and body["code"] == v1["code"]
    done = callbacks.callback_body(Surface.JOBS_V2, task(TaskState.SUCCESS), 1, url_for)
    assert done["data"]["failCode"] == "" and done["data"]["failMsg"] == ""
    assert {k: v for k, v in done["data"].items() if not k.startswith("fail")} == {
        k: v for k, v in jobs.callback_body(task(TaskState.SUCCESS), 1, url_for)["data"].items()
        if not k.startswith("fail")
    }


def test_per_model_records() -> None:
    done = task(TaskState.SUCCESS)
    record = gpt4o_image.record(done, url_for)
    assert record["paramJson"] == '{"prompt":"x","callBackUrl":"https://c/b"}'
    assert (record["status"], record["successFlag"], record["progress"]) == ("SUCCESS", 1, "1.00")
    assert record["imageUrl"] == LINK == record["response"]["resultUrls"][0]
    running = gpt4o_image.record(task(TaskState.GENERATING, progress=40), url_for)
    assert (running["status"], running["progress"], running["imageUrl"]) == (
        "GENERATING", "0.40", None
    )
    flux = flux_kontext.record(task(TaskState.FAIL, model="flux-kontext-pro"), url_for)
    assert flux["paramJson"].startswith('{"model":"flux-kontext-pro","prompt":"x"')
    assert (flux["errorCode"], flux["errorMessage"], flux["response"]) == (500, "boom", None)
    assert (flux["status"], flux["imageUrl"], flux["progress"]) == ("failed", None, 0)
    flux_done = flux_kontext.record(task(TaskState.SUCCESS, model="flux-kontext-pro"), url_for)
    assert (flux_done["status"], flux_done["imageUrl"], flux_done["progress"]) == (
        "completed", LINK, 100
    )
    flux_running = flux_kontext.record(task(TaskState.WAITING, progress=0), url_for)
    assert (flux_running["status"], flux_running["progress"]) == ("pending", 0)
    spec_002 = model_endpoints.record(done, url_for)
    assert spec_002["status"] == "completed" and spec_002["imageUrls"] == [spec_002["imageUrl"]]


def test_ideogram_answer_and_refusal() -> None:
    answer = ideogram.reframe_answer(
        task(TaskState.SUCCESS, create_time=0), url_for, resolution="1024x1024",
        style_type="AUTO", seed_of=lambda index: 7 + index,
    )
    assert answer["created"] == "1970-01-01 00:00:00+00:00"
    assert [(image["seed"], image["resolution"]) for image in answer["data"]] == [
        (7, "1024x1024")
    ]
    assert ideogram.error_body("no") == {"error": "no"}
    assert envelope.error_body("/reframe", 401, "no") == {"error": "no"}
    assert json.dumps(ideogram.error_body("late", "t1")) == '{"error": "late", "task_id": "t1"}'


def test_envelopes() -> None:
    assert envelope.success_body({"x": 1}) == {"code": 200, "msg": "success", "data": {"x": 1}}
    assert list(envelope.success_body(None, v2=True)) == ["code", "message", "msg", "data"]
    assert envelope.error_body("/api/v2/jobs/createTask", 422, "bad")["message"] == "bad"
    assert envelope.error_body("/api/file-url-upload", 413, "big")["success"] is False
    assert envelope.error_body("/api/v1/jobs/recordInfo", 404, "gone") == {
        "code": 404, "msg": "gone", "data": None,
    }
