"""`imagegate serve` across process lifetimes: first start, restart, and a SIGKILL mid-task."""

from __future__ import annotations

import time
from typing import Any

import pytest

pytestmark = pytest.mark.acceptance


def test_first_start_prints_url_and_key_second_start_keeps_it(
    servers: Any, make_api: Any
) -> None:
    first = servers.start()
    output = first.output()
    assert f"listening on {first.base_url}" in output
    key = first.printed_key()
    assert key and key.startswith("ig_"), output
    assert "admin key" in output
    assert "every model runs on the MOCK" in output  # the acceptance servers run IMAGEGATE_MOCK=1
    api = make_api(first, key)
    try:
        assert api.balance() == 1000
        wrong = api.http.get("/api/v1/chat/credit", headers={"Authorization": "Bearer " + "x" * 40})
        assert wrong.status_code == 401
    finally:
        api.close()
    first.stop()
    assert first.proc.returncode is not None

    second = servers.start(data_dir=first.data_dir)
    output = second.output()
    assert f"listening on {second.base_url}" in output
    assert second.printed_key() is None
    assert key not in output
    assert "admin key" not in output
    api = make_api(second, key)
    try:
        assert api.balance() == 1000
    finally:
        api.close()


def test_sigkill_mid_task_resumes_after_restart_and_charges_once(
    servers: Any, make_api: Any, receiver_factory: Any, free_port: Any, db: Any
) -> None:
    env = {"IMAGEGATE_MOCK_LATENCY": "3"}
    port = free_port()
    server = servers.start(port=port, env=env)
    key = server.printed_key()
    assert key
    receiver = receiver_factory()
    image = receiver.serve_image("/in.png")
    api = make_api(server, key)
    try:
        assert api.balance() == 1000
        task_id = api.create_ok({
            "model": "ideogram/v3-reframe",
            "callBackUrl": receiver.url("/cb"),
            "input": {"image_url": image, "image_size": "square_hd",
                      "rendering_speed": "BALANCED", "num_images": "1", "seed": 5},
        })
        generating = api.wait_state(task_id, ("generating", "success", "fail"), timeout=10)
        assert generating["state"] == "generating", generating
    finally:
        api.close()

    server.sigkill()
    killed_at = int(time.time() * 1000)
    assert server.proc.returncode == -9
    # Killed mid-generation: the task is still claimed, charged once, with no callback yet.
    assert db(server.db_path, "SELECT state FROM tasks WHERE id = ?", (task_id,)) == [
        ("generating",)
    ]
    assert receiver.posts_to("/cb") == []

    restarted = servers.start(data_dir=server.data_dir, port=port, env=env)
    assert restarted.printed_key() is None
    api = make_api(restarted, key)
    try:
        done = api.wait_state(task_id, timeout=25)
        assert done["state"] == "success", done
        assert done["completeTime"] >= killed_at
        assert done["progress"] == 100
        assert api.balance() == 1000 - 7
    finally:
        api.close()

    ledger = db(restarted.db_path,
                "SELECT reason, delta_milli FROM credit_ledger WHERE task_id = ?", (task_id,))
    assert ledger == [("debit", -7000)]
    # Claimed again after the dead worker's lease ran out.
    ((attempts,),) = db(restarted.db_path, "SELECT attempts FROM tasks WHERE id = ?", (task_id,))
    assert attempts >= 2

    posts = receiver.wait_for_posts("/cb", 1)
    for post in posts:
        body = post.json()
        assert body["code"] == 200
        assert body["data"]["taskId"] == task_id
        assert body["data"]["state"] == "success"
        assert body["data"]["remainedCredits"] == 1000 - 7
    deadline = time.monotonic() + 5
    rows: list[tuple[Any, ...]] = []
    while time.monotonic() < deadline:
        rows = db(restarted.db_path, "SELECT state FROM callbacks WHERE task_id = ?", (task_id,))
        if rows == [("delivered",)]:
            break
        time.sleep(0.05)
    assert rows == [("delivered",)]
