"""Structured logs of a real ``imagegate serve`` at debug level, in JSON: a scripted run that
handles every kind of secret (the admin key, an account key, a webhook secret, signed file
URLs) leaves none of them in the log, and the lines about a task name it and its model."""

from __future__ import annotations

import base64
import json
import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

MODEL = "ideogram/v3-reframe"


def test_json_logs_carry_the_task_and_never_a_secret(
    servers: Any, make_api: Any, receiver_factory: Any
) -> None:
    admin_key = "ig_" + secrets.token_urlsafe(30)
    webhook_secret = "whsec-" + secrets.token_hex(16)
    server = servers.start(env={
        "IMAGEGATE_LOG_FORMAT": "json", "IMAGEGATE_LOG_LEVEL": "debug",
        "IMAGEGATE_ADMIN_KEY": admin_key,
    })
    receiver = receiver_factory()
    image = receiver.serve_image("/in.png")
    http = httpx.Client(base_url=server.base_url, timeout=15)
    admin = {"Authorization": f"Bearer {admin_key}"}
    made = http.post("/api/admin/accounts", headers=admin,
                     json={"name": "logged", "credits": 100, "webhookSecret": webhook_secret})
    assert made.status_code == 200, made.text
    account_key = made.json()["data"]["apiKey"]
    api = make_api(server, account_key)
    try:
        task_id = api.create_ok({
            "model": MODEL, "callBackUrl": receiver.url("/cb"),
            "input": {"image_url": image, "image_size": "square_hd", "num_images": "1",
                      "seed": 9},
        })
        record = api.wait_state(task_id)
        assert record["state"] == "success", record
        (result_url,) = json.loads(record["resultJson"])["resultUrls"]
        assert httpx.get(result_url, timeout=10).status_code == 200
        (callback,) = receiver.wait_for_posts("/cb", 1)
        assert callback.headers["X-Webhook-Signature"]
        uploaded = http.post(
            "/api/file-base64-upload", headers=api.auth,
            json={"base64Data": base64.b64encode(b"hello").decode(), "uploadPath": "t",
                  "fileName": "hello.txt"},
        )
        assert uploaded.status_code == 200, uploaded.text
        download_url = uploaded.json()["data"]["downloadUrl"]
        assert httpx.get(download_url, timeout=10).status_code == 200
    finally:
        api.close()
        http.close()
    server.stop()

    output = server.output()
    signatures = [parse_qs(urlsplit(url).query)["sig"][0] for url in (result_url, download_url)]
    for secret in (admin_key, account_key, webhook_secret, *signatures,
                   callback.headers["X-Webhook-Signature"]):
        assert secret not in output, f"a secret is in the log: {secret[:6]}..."

    # Every log line is one JSON object; the rest of the output is the start-up banner.
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert len(lines) > 10
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    assert any(line["level"] == "debug" for line in lines)
    about = [line for line in lines if line.get("taskId") == task_id]
    # The worker's lines (claimed, ran on the mock engine, finished) name the task's account,
    # model and engine without the message having to.
    assert any("success" in line["message"] for line in about), about
    assert all(line["model"] == MODEL and line["account"] for line in about)
    assert any(line.get("engine") == "mock" for line in about)
    # The callback sender's lines carry the same fields (its rows are claimed with the model).
    delivered = [line for line in lines if "delivered to" in line["message"]]
    assert delivered and all(
        line.get("taskId") == task_id and line["model"] == MODEL and line["engine"] == "mock"
        for line in delivered
    ), delivered
