"""The client's pure core: envelopes, error mapping, polling schedule, retries."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from imagegate.client import core
from imagegate.client.errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    InsufficientCreditsError,
    NotFoundError,
    ProtocolError,
    RateLimitError,
    ServerError,
    ServiceUnavailableError,
    ValidationError,
)
from imagegate.client.settings import ClientSettings
from imagegate.client.task import Task, TaskState

SETTINGS = ClientSettings(base_url="http://gate/", api_key="k", upload_base_url="http://up")


def answer(body: object, status: int = 200, **headers: str) -> object:
    return core.parse_response(status, headers, json.dumps(body).encode())


def test_envelopes_give_their_data() -> None:
    assert answer({"code": 200, "msg": "success", "data": {"taskId": "t"}}) == {"taskId": "t"}
    assert answer({"code": 200, "message": "success", "data": {"task_id": "t"}}) == {
        "task_id": "t"
    }
    assert answer({"success": True, "code": 200, "msg": "ok", "data": 5}) == 5
    assert core.task_id_of({"task_id": "v2"}) == "v2"
    assert core.credits_of(12.5) == 12.5


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (400, BadRequestError), (413, BadRequestError), (401, AuthenticationError),
        (402, InsufficientCreditsError), (404, NotFoundError), (422, ValidationError),
        (429, RateLimitError), (433, RateLimitError), (455, ServiceUnavailableError),
        (500, ServerError), (501, ServerError), (503, ServiceUnavailableError),
        (505, ServiceUnavailableError), (418, APIError),
    ],
)
def test_each_code_maps_to_its_exception(code: int, kind: type[APIError]) -> None:
    for status in (code if code < 600 else 500, 200):  # HTTP status, and Kie's HTTP 200
        with pytest.raises(kind) as caught:
            answer({"code": code, "msg": "nope", "data": None}, status)
        assert type(caught.value) is kind and caught.value.code == code
        assert caught.value.status == status


def test_business_error_on_http_200_and_upload_failure() -> None:
    with pytest.raises(AuthenticationError):
        answer({"code": 401, "msg": "You do not have access permissions"})
    with pytest.raises(BadRequestError, match="uploadPath"):
        answer({"success": False, "code": 400, "msg": "uploadPath is required"}, 400)


def test_validation_names_the_field_and_kie_unknown_task_is_not_found() -> None:
    with pytest.raises(ValidationError) as caught:
        answer({"code": 422, "msg": "input.image_size: must be one of square, square_hd"}, 422)
    assert caught.value.field == "input.image_size"
    assert caught.value.problem == "must be one of square, square_hd"
    with pytest.raises(ValidationError) as plain:
        answer({"code": 422, "msg": "The model is not supported"}, 200)
    assert plain.value.field is None
    with pytest.raises(NotFoundError):
        answer({"code": 422, "msg": "recordInfo is null"})


def test_non_json_answers() -> None:
    with pytest.raises(ServerError, match="Bad Gateway"):
        core.parse_response(502, {}, b"<h1>Bad Gateway</h1>")
    with pytest.raises(ProtocolError):
        core.parse_response(200, {}, b"<html>")
    with pytest.raises(ProtocolError):
        answer({"hello": 1})


def test_rate_limit_carries_retry_after() -> None:
    with pytest.raises(RateLimitError) as caught:
        answer({"code": 429, "msg": "slow down"}, 429, **{"Retry-After": "3"})
    assert caught.value.retry_after == 3.0


def test_retry_after_parsing() -> None:
    assert core.parse_retry_after("7") == 7.0
    assert core.parse_retry_after(" 0.5 ") == 0.5
    assert core.parse_retry_after("-3") == 0.0
    assert core.parse_retry_after(None) is None
    assert core.parse_retry_after("soon") is None
    now = 1_700_000_000.0
    date = format_datetime(datetime.fromtimestamp(now + 12, UTC), usegmt=True)
    assert core.parse_retry_after(date, now=now) == pytest.approx(12.0)
    assert core.parse_retry_after(date, now=now + 60) == 0.0


def test_requests() -> None:
    create = core.create_task_request(
        SETTINGS, "google/nano-banana", {"prompt": "p"}, callback_url="http://cb",
        idempotency_key="key-1",
    )
    assert (create.method, create.url) == ("POST", "http://gate/api/v1/jobs/createTask")
    assert create.headers["Authorization"] == "Bearer k"
    assert create.headers["Idempotency-Key"] == "key-1" and create.idempotent
    assert create.json == {"model": "google/nano-banana", "input": {"prompt": "p"},
                           "callBackUrl": "http://cb"}
    v2 = core.create_task_request(SETTINGS, "nano-banana-pro", {}, idempotency_key="k2")
    assert v2.url.endswith("/api/v2/jobs/createTask")
    record = core.get_task_request(SETTINGS, "t1")
    assert record.params == {"taskId": "t1"} and record.idempotent
    upload = core.upload_request(SETTINGS, b"x", "a.png", "image/png")
    assert upload.url == "http://up/api/file-stream-upload" and not upload.idempotent
    assert upload.data is not None and upload.data["uploadPath"] == SETTINGS.upload_path
    assert "Authorization" not in core.download_request("http://cdn/x.png").headers


def test_settings_from_env() -> None:
    env = {"KIE_API_KEY": "kie", "IMAGEGATE_BASE_URL": "https://api.kie.ai"}
    settings = ClientSettings.from_env(env)
    assert (settings.api_key, settings.base_url) == ("kie", "https://api.kie.ai")
    assert settings.uploads_at == "https://api.kie.ai"
    assert ClientSettings.from_env({**env, "IMAGEGATE_API_KEY": "ig"}).api_key == "ig"
    assert ClientSettings.from_env(env, api_key="arg").api_key == "arg"


def test_poll_schedule_follows_kies_advice() -> None:
    assert all(2 <= core.poll_delay(t) <= 3 for t in range(0, 30))
    assert all(5 <= core.poll_delay(t) <= 10 for t in range(30, 120))
    assert all(15 <= core.poll_delay(t) <= 30 for t in range(120, 3600, 7))
    assert core.poll_delay(10_000) == 30.0
    delays = [core.poll_delay(t) for t in range(0, 600)]
    assert delays == sorted(delays)


def test_backoff_jitter_bounds() -> None:
    policy = core.RetryPolicy(base_delay=0.5, max_delay=8.0)
    for attempt, ceiling in [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (9, 8.0)]:
        assert core.backoff_delay(policy, attempt, lambda: 0.0) == ceiling / 2
        assert core.backoff_delay(policy, attempt, lambda: 1.0) == ceiling


def test_retry_decisions() -> None:
    policy = core.RetryPolicy(max_retries=2)
    get = core.get_task_request(SETTINGS, "t")
    upload = core.upload_request(SETTINGS, b"x", "a", "image/png")
    server = ServerError("boom", code=500)
    half = lambda: 0.5  # noqa: E731
    assert core.delay_after_error(policy, 0, get, server, half) is not None
    assert core.delay_after_error(policy, 2, get, server, half) is None  # out of tries
    assert core.delay_after_error(policy, 0, upload, server, half) is None  # not idempotent
    disabled = ServiceUnavailableError("off", code=505)
    assert core.delay_after_error(policy, 0, get, disabled, half) is None
    limited = RateLimitError("slow", retry_after=4.0)
    assert core.delay_after_error(policy, 0, upload, limited, half) == 4.0
    too_long = RateLimitError("slow", retry_after=3600.0)
    assert core.delay_after_error(policy, 0, get, too_long, half) is None
    assert core.delay_after_error(policy, 0, get, AuthenticationError("k", code=401), half) is None
    assert core.delay_after_transport_error(policy, 0, upload, sent=False, random=half)
    assert core.delay_after_transport_error(policy, 0, upload, sent=True, random=half) is None
    assert core.delay_after_transport_error(policy, 0, get, sent=True, random=half)


def test_task_record_parsing() -> None:
    task = Task.from_record({
        "taskId": "t", "model": "m", "state": "success", "param": '{"model":"m"}',
        "resultJson": '{"resultUrls":["http://a/1.png"]}', "failCode": None, "failMsg": None,
        "costTime": 5, "completeTime": 2, "createTime": 1, "updateTime": 2, "progress": 100,
    })
    assert task.succeeded and task.is_terminal and task.result_urls == ("http://a/1.png",)
    assert task.param == {"model": "m"} and task.progress == 100
    failed = Task.from_record({"taskId": "t", "state": "fail", "failCode": 500, "failMsg": "x"})
    assert failed.fail_code == "500" and failed.state is TaskState.FAIL
    with pytest.raises(ProtocolError):
        Task.from_record({"taskId": "t", "state": "exploded"})


def test_result_file_names() -> None:
    assert core.file_name_for("t1", 0, "http://h/files/a/b.PNG?sig=1", None) == "t1-1.png"
    assert core.file_name_for("t1", 1, "http://h/x", "image/jpeg") == "t1-2.jpg"
    assert core.file_name_for("t/1", 2, "http://h/x", None) == "t_1-3.bin"


def test_model_fields_from_the_catalog() -> None:
    assert core.image_field("qwen/image-edit") == ("image_url", False)
    assert core.image_field("google/nano-banana-edit") == ("image_urls", True)
    assert core.image_field("someone/new-model") == ("image_url", False)
    assert core.prompt_field("nano-banana-pro") == "input_prompt"
    assert core.edit_input("google/nano-banana-edit", "u", "p") == {
        "prompt": "p", "image_urls": ["u"]
    }
