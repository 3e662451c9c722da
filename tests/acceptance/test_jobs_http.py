"""`imagegate serve` as a subprocess: the specs' own request examples, callbacks (plain, failed,
signed, retried), errors and the documentation endpoints, all over real HTTP."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from PIL import Image

from imagegate.wire.webhooks import verify_callback

from spec_examples import SPEC_000_REQUEST, SPEC_001_REQUEST, SPEC_004_REQUEST, with_urls

pytestmark = pytest.mark.acceptance

RECORD_FIELDS = {
    "taskId", "model", "state", "param", "resultJson", "failCode", "failMsg", "costTime",
    "completeTime", "createTime", "updateTime", "progress", "engine", "queuePosition",
}
CALLBACK_FIELDS = RECORD_FIELDS | {"consumeCredits", "remainedCredits"}
REFRAME_PRICE = 7.0  # ideogram/v3-reframe, BALANCED, one image


def reframe_body(image: str, callback: str | None = None, **input_: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": "ideogram/v3-reframe",
        "input": {"image_url": image, "image_size": "square_hd", "rendering_speed": "BALANCED",
                  **input_},
    }
    if callback:
        body["callBackUrl"] = callback
    return body


def check_success_record(
    data: dict[str, Any], task_id: str, request: dict[str, Any], started_ms: int
) -> list[str]:
    """Checks a `success` record field by field; returns its result URLs."""
    assert set(data) == RECORD_FIELDS, data
    assert data["taskId"] == task_id
    assert data["model"] == request["model"]
    assert data["state"] == "success"
    # The complete create request, as a compact JSON string (spec 000's example shape).
    assert isinstance(data["param"], str)
    assert json.loads(data["param"]) == request
    assert data["param"] == json.dumps(request, separators=(",", ":"), ensure_ascii=False)
    assert isinstance(data["resultJson"], str)
    result = json.loads(data["resultJson"])
    assert set(result) == {"resultUrls"}
    urls = result["resultUrls"]
    expected = int(request["input"].get("num_images", 1))
    assert isinstance(urls, list) and len(urls) == expected, urls
    assert data["failCode"] is None and data["failMsg"] is None
    assert data["progress"] == 100
    now = int(time.time() * 1000)
    for name in ("costTime", "completeTime", "createTime", "updateTime"):
        assert type(data[name]) is int, (name, data[name])
    assert started_ms - 1000 <= data["createTime"] <= data["completeTime"] <= now + 1000
    assert data["createTime"] <= data["updateTime"] <= now + 1000
    assert 0 <= data["costTime"] <= data["completeTime"] - data["createTime"]
    return [str(u) for u in urls]


def download_png(url: str) -> tuple[int, int]:
    response = httpx.get(url, timeout=15.0)
    assert response.status_code == 200, (url, response.text[:200])
    assert response.headers["content-type"].startswith("image/png")
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "PNG"
    return image.size


def assert_error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    assert body["code"] == status, body
    assert isinstance(body["msg"], str) and body["msg"], body
    assert body.get("data") is None, body
    return dict(body)


# ------------------------------------------------------------------ 1. the specs' examples


def test_spec_request_examples_run_to_success(shared: Any, image_host: Any) -> None:
    api = shared.api
    image = image_host.url("/input.png")
    callback_path = "/cb/spec-001"
    started = int(time.time() * 1000)
    examples = [
        (with_urls(SPEC_000_REQUEST, image), (1024, 1024)),
        (with_urls(SPEC_001_REQUEST, image, image_host.url(callback_path)), (1024, 1024)),
        (with_urls(SPEC_004_REQUEST, image), (1024, 768)),
    ]
    created = [(api.create_ok(text), json.loads(text), size) for text, size in examples]
    assert len({task_id for task_id, _, _ in created}) == 3

    for task_id, request, size in created:
        data = api.wait_state(task_id)
        urls = check_success_record(data, task_id, request, started)
        for url in urls:
            # Served by imagegate itself, under its own address.
            assert url.startswith(shared.server.base_url + "/"), url
            assert download_png(url) == size

    # Spec 001's example named a callBackUrl: its callback arrives, for that task only.
    (post,) = image_host.wait_for_posts(callback_path, 1)
    assert post.json()["data"]["taskId"] == created[1][0]


def test_num_images_gives_that_many_results(shared: Any, image_host: Any) -> None:
    api = shared.api
    body = reframe_body(image_host.url("/input.png"), image_size="landscape_4_3", num_images="3",
                        rendering_speed="TURBO")
    started = int(time.time() * 1000)
    task_id = api.create_ok(body)
    urls = check_success_record(api.wait_state(task_id), task_id, body, started)
    assert len(set(urls)) == 3
    assert [download_png(u) for u in urls] == [(1024, 768)] * 3


# ------------------------------------------------------------------ 2. callbacks


def test_success_callback_is_the_record_plus_credits(shared: Any, image_host: Any) -> None:
    api = shared.api
    before = api.balance()
    path = "/cb/success"
    body = reframe_body(image_host.url("/input.png"), image_host.url(path), seed=7)
    task_id = api.create_ok(body)
    (post,) = image_host.wait_for_posts(path, 1)
    callback = post.json()

    assert set(callback) == {"code", "msg", "data"}
    assert callback["code"] == 200 and isinstance(callback["msg"], str) and callback["msg"]
    data = callback["data"]
    assert set(data) == CALLBACK_FIELDS
    assert data["state"] == "success" and data["taskId"] == task_id
    assert data["consumeCredits"] == REFRAME_PRICE
    after = api.balance()
    assert after == before - REFRAME_PRICE
    assert data["remainedCredits"] == after
    # Identical to what recordInfo answers (spec 001: "identical to the Query Task API").
    record = api.record_data(task_id)
    assert {k: v for k, v in data.items() if k in RECORD_FIELDS} == record
    # An account without a webhook secret gets unsigned callbacks.
    headers = {k.lower() for k in post.headers}
    assert "x-webhook-signature" not in headers and "x-webhook-timestamp" not in headers
    assert post.headers["Content-Type"].startswith("application/json")


def test_failed_task_calls_back_501_and_refunds(servers: Any, receiver_factory: Any,
                                                make_api: Any, db: Any) -> None:
    server = servers.start(env={"IMAGEGATE_MOCK_FAIL_RATE": "1"})
    api = make_api(server, server.printed_key())
    receiver = receiver_factory()
    image = receiver.serve_image("/in.png")
    try:
        start = api.balance()
        assert start == 1000
        task_id = api.create_ok(reframe_body(image, receiver.url("/cb")))
        (post,) = receiver.wait_for_posts("/cb", 1)
        callback = post.json()
        assert callback["code"] == 501
        assert isinstance(callback["msg"], str) and callback["msg"]
        data = callback["data"]
        assert set(data) == CALLBACK_FIELDS
        assert data["taskId"] == task_id
        assert data["state"] == "fail"
        assert data["failCode"] == "501"
        assert isinstance(data["failMsg"], str) and data["failMsg"]
        assert data["resultJson"] is None
        assert data["consumeCredits"] == 0
        assert data["remainedCredits"] == start
        assert api.balance() == start

        record = api.wait_state(task_id)
        assert record["state"] == "fail" and record["failCode"] == "501"
        assert record["resultJson"] is None
        assert type(record["completeTime"]) is int
        ledger = db(server.db_path,
                    "SELECT reason, delta_milli FROM credit_ledger WHERE task_id = ? ORDER BY id",
                    (task_id,))
        assert ledger == [("debit", -7000), ("refund", 7000)]
    finally:
        api.close()


# ------------------------------------------------------------------ 3. signed callbacks


def test_signed_callbacks_verify_with_the_account_secret(shared: Any, image_host: Any,
                                                         make_key: Any) -> None:
    # Made by the CLI in another process, against the database the server is running on.
    key = make_key(shared.server.data_dir, "signed", 100, "--webhook-secret", "s3cret")
    api = shared.api_for(key)
    assert api.balance() == 100
    path = "/cb/signed"
    task_id = api.create_ok(reframe_body(image_host.url("/input.png"), image_host.url(path)))
    (post,) = image_host.wait_for_posts(path, 1)

    timestamp = post.headers["X-Webhook-Timestamp"]
    assert post.headers["X-Webhook-Signature"]
    assert abs(int(timestamp) - time.time()) < 60
    assert post.json()["data"]["taskId"] == task_id
    assert post.json()["data"]["remainedCredits"] == 100 - REFRAME_PRICE
    assert verify_callback(post.body, post.headers, "s3cret") is True
    assert verify_callback(post.body, post.headers, "another-secret") is False
    # The signature covers the task id: the same headers do not vouch for another task.
    forged = post.json()
    forged["data"]["taskId"] = "0" * 32
    assert verify_callback(json.dumps(forged), post.headers, "s3cret") is False


# ------------------------------------------------------------------ 4. callback retries


def test_callback_retried_until_the_receiver_accepts(shared: Any, image_host: Any,
                                                     db: Any) -> None:
    path = "/cb/retry"
    image_host.post_statuses.extend([500, 500])
    task_id = shared.api.create_ok(
        reframe_body(image_host.url("/input.png"), image_host.url(path))
    )
    posts = image_host.wait_for_posts(path, 3)
    assert len(posts) == 3
    assert posts[0].body == posts[1].body == posts[2].body
    assert posts[0].json()["data"]["taskId"] == task_id
    # Delivered: no fourth attempt, and the outbox row says so.
    deadline = time.monotonic() + 5
    rows: list[tuple[Any, ...]] = []
    while time.monotonic() < deadline:
        rows = db(shared.server.db_path,
                  "SELECT state, attempts, last_status FROM callbacks WHERE task_id = ?",
                  (task_id,))
        if rows and rows[0][0] == "delivered":
            break
        time.sleep(0.1)
    assert rows == [("delivered", 3, 200)]
    time.sleep(0.5)
    assert len(image_host.posts_to(path)) == 3


def test_callback_delivered_once_the_receiver_comes_up(shared: Any, image_host: Any,
                                                       receiver_factory: Any, free_port: Any,
                                                       db: Any) -> None:
    port = free_port()  # nothing listens here yet
    path = "/cb/late"
    task_id = shared.api.create_ok(
        reframe_body(image_host.url("/input.png"), f"http://127.0.0.1:{port}{path}")
    )
    assert shared.api.wait_state(task_id)["state"] == "success"
    # Wait until delivery has failed at least twice against the closed port.
    deadline = time.monotonic() + 10
    rows: list[tuple[Any, ...]] = []
    while time.monotonic() < deadline:
        rows = db(shared.server.db_path,
                  "SELECT state, attempts, last_error FROM callbacks WHERE task_id = ?",
                  (task_id,))
        if rows and rows[0][1] >= 2:
            break
        time.sleep(0.05)
    assert rows and rows[0][0] == "pending" and rows[0][1] >= 2, rows
    assert rows[0][2], rows

    receiver = receiver_factory(port)
    (post,) = receiver.wait_for_posts(path, 1, timeout=15)
    assert post.json()["code"] == 200
    assert post.json()["data"]["taskId"] == task_id
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        rows = db(shared.server.db_path,
                  "SELECT state, last_status FROM callbacks WHERE task_id = ?", (task_id,))
        if rows[0][0] == "delivered":
            break
        time.sleep(0.05)
    assert rows == [("delivered", 200)]


# ------------------------------------------------------------------ 6. errors over HTTP


def test_errors_in_the_envelope_with_matching_status(shared: Any, image_host: Any) -> None:
    http = shared.api.http
    auth = shared.api.auth
    good = reframe_body(image_host.url("/input.png"))

    no_key = assert_error(http.post("/api/v1/jobs/createTask", json=good), 401)
    assert "key" in no_key["msg"].lower()
    assert_error(http.post("/api/v1/jobs/createTask", json=good,
                           headers={"Authorization": "Bearer not-a-key"}), 401)
    assert_error(http.get("/api/v1/jobs/recordInfo", params={"taskId": "x"}), 401)

    unknown = assert_error(
        http.post("/api/v1/jobs/createTask", json={**good, "model": "acme/nope"}, headers=auth),
        422,
    )
    assert "model" in unknown["msg"]
    bad_field = assert_error(
        http.post("/api/v1/jobs/createTask",
                  json={**good, "input": {**good["input"], "image_size": "huge"}}, headers=auth),
        422,
    )
    assert "image_size" in bad_field["msg"]

    assert_error(
        http.post("/api/v1/jobs/createTask", content=b'{"model": "ideogram/v3-reframe", "inp',
                  headers={**auth, "Content-Type": "application/json"}),
        400,
    )

    missing = assert_error(
        http.get("/api/v1/jobs/recordInfo", params={"taskId": "f" * 32}, headers=auth), 404
    )
    assert "f" * 32 in missing["msg"]

    assert_error(http.post("/api/v1/jobs/createTask", json=[good], headers=auth), 400)
    assert_error(
        http.post("/api/v1/jobs/createTask", content=b"",
                  headers={**auth, "Content-Type": "application/json"}),
        400,
    )

    oversized = json.dumps({**good, "padding": "x" * (1024 * 1024 + 10)}).encode()
    assert_error(
        http.post("/api/v1/jobs/createTask", content=oversized,
                  headers={**auth, "Content-Type": "application/json"}),
        413,
    )

    def chunks() -> Iterator[bytes]:
        # Chunked, so no Content-Length announces the size: refused while streaming.
        yield b'{"model": "ideogram/v3-reframe", "padding": "'
        for _ in range(120):
            yield b"x" * 10_000
        yield b'"}'

    assert_error(
        http.post("/api/v1/jobs/createTask", content=chunks(),
                  headers={**auth, "Content-Type": "application/json"}),
        413,
    )

    # No refused request cost anything, and none created a task.
    balance_before = shared.api.balance()
    assert_error(
        http.post("/api/v1/jobs/createTask", json={**good, "model": "acme/nope"}, headers=auth),
        422,
    )
    assert shared.api.balance() == balance_before


def test_create_rate_limit_answers_429_with_retry_after(shared: Any, image_host: Any,
                                                        make_key: Any) -> None:
    key = make_key(shared.server.data_dir, "limited", 100, "--create-rate", "2/10s")
    api = shared.api_for(key)
    body = reframe_body(image_host.url("/input.png"), rendering_speed="TURBO")
    api.create_ok(body)
    api.create_ok(body)
    refused = api.create(body)
    answer = assert_error(refused, 429)
    retry_after = int(refused.headers["Retry-After"])
    assert 1 <= retry_after <= 10, retry_after
    assert "rate" in answer["msg"].lower()
    # Refused, not queued: only the two accepted tasks were charged.
    assert api.balance() == 100 - 2 * 3.5


def test_query_rate_limit_answers_429_with_retry_after(shared: Any, image_host: Any,
                                                       make_key: Any) -> None:
    key = make_key(shared.server.data_dir, "polling", 10, "--query-rate", "3/5s")
    api = shared.api_for(key)
    task_id = api.create_ok(reframe_body(image_host.url("/input.png"), rendering_speed="TURBO"))
    params = {"taskId": task_id}
    for _ in range(3):
        assert api.http.get("/api/v1/jobs/recordInfo", params=params,
                            headers=api.auth).status_code == 200
    refused = api.http.get("/api/v1/jobs/recordInfo", params=params, headers=api.auth)
    assert_error(refused, 429)
    assert 1 <= int(refused.headers["Retry-After"]) <= 5
    # The limit is the account's own: the default account is not refused (only not shown).
    assert shared.api.record(task_id).status_code == 404


def test_tasks_are_visible_only_to_their_account(shared: Any, image_host: Any,
                                                 make_key: Any) -> None:
    other = shared.api_for(make_key(shared.server.data_dir, "other", 10))
    task_id = other.create_ok(reframe_body(image_host.url("/input.png"), rendering_speed="TURBO"))
    assert other.wait_state(task_id)["state"] == "success"
    assert_error(shared.api.record(task_id), 404)
    # The X-API-KEY header authenticates as well as Bearer (DESIGN.md).
    response = other.http.get("/api/v1/jobs/recordInfo", params={"taskId": task_id},
                              headers={"X-API-KEY": other.key})
    assert response.status_code == 200
    assert response.json()["data"]["taskId"] == task_id


def test_deeply_nested_json_is_a_400(shared: Any) -> None:
    nested = b"[" * 100_000 + b"]" * 100_000  # 200 kB: well under the body limit
    response = shared.api.http.post(
        "/api/v1/jobs/createTask", content=nested,
        headers={**shared.api.auth, "Content-Type": "application/json"},
    )
    assert_error(response, 400)


# ------------------------------------------------------------------ 8. docs and health


def test_openapi_docs_and_healthz(shared: Any) -> None:
    http = shared.api.http
    openapi = http.get("/openapi.json")
    assert openapi.status_code == 200
    schema = openapi.json()
    assert schema["info"]["title"] == "imagegate"
    assert "/api/v1/jobs/createTask" in schema["paths"]
    assert "/api/v1/jobs/recordInfo" in schema["paths"]
    docs = http.get("/docs")
    assert docs.status_code == 200
    assert "text/html" in docs.headers["content-type"]
    assert "openapi.json" in docs.text
    health = http.get("/healthz")
    assert health.status_code == 200
    assert health.json()["status"] == "ok"
