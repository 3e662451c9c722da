"""``/metrics`` after a scripted run: a real ``imagegate serve`` runs 5 tasks that succeed (one
with a callback) and 2 whose input image is missing (they fail and are refunded), and the
scrape shows exactly those counts; ``/healthz`` and ``/readyz`` answer as a probe expects."""

from __future__ import annotations

import time
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

MODEL = "ideogram/v3-reframe"


def _body(image_url: str, callback: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": MODEL,
        "input": {"image_url": image_url, "image_size": "square_hd", "num_images": "1",
                  "seed": 3},
    }
    if callback:
        body["callBackUrl"] = callback
    return body


def _scrape(base_url: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of /metrics: (name, labels) → value."""
    response = httpx.get(f"{base_url}/metrics", timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def _value(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str,
           **labels: str) -> float:
    """The sum of the samples of ``name`` whose labels include ``labels`` (0 when none)."""
    wanted = set(labels.items())
    return sum(v for (n, got), v in samples.items() if n == name and wanted <= got)


def test_metrics_count_exactly_what_a_scripted_run_did(
    servers: Any, make_api: Any, receiver_factory: Any
) -> None:
    server = servers.start()
    key = server.printed_key()
    assert key
    receiver = receiver_factory()
    image = receiver.serve_image("/in.png")
    missing = receiver.url("/missing.png")  # the receiver answers 404
    api = make_api(server, key)
    try:
        ready = httpx.get(f"{server.base_url}/readyz", timeout=5)
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"]["workers"]["embedded"] is True
        assert httpx.get(f"{server.base_url}/healthz", timeout=5).json()["status"] == "ok"

        ok = [api.create_ok(_body(image, receiver.url("/cb") if i == 0 else None))
              for i in range(5)]
        bad = [api.create_ok(_body(missing)) for _ in range(2)]
        states = {t: api.wait_state(t)["state"] for t in ok + bad}
        assert [states[t] for t in ok] == ["success"] * 5
        assert [states[t] for t in bad] == ["fail"] * 2
        receiver.wait_for_posts("/cb", 1)
        price = (1000 - api.balance()) / 5  # the failures were refunded
        assert price > 0
    finally:
        api.close()

    # The delivered callback is counted once the receiver's answer is read: poll for it.
    deadline = time.monotonic() + 10
    samples = _scrape(server.base_url)
    while _value(samples, "imagegate_callback_attempts_total", outcome="delivered") < 1:
        assert time.monotonic() < deadline, "the delivered callback was never counted"
        time.sleep(0.1)
        samples = _scrape(server.base_url)

    def value(name: str, **labels: str) -> float:
        return _value(samples, name, **labels)

    finished = "imagegate_tasks_finished_total"
    assert value(finished, model=MODEL, state="success", engine="mock") == 5
    assert value(finished, model=MODEL, state="fail") == 2
    assert value(finished) == 7
    assert value("imagegate_task_wait_seconds_count", model=MODEL) == 7
    assert value("imagegate_task_run_seconds_count", model=MODEL, state="success") == 5
    assert value("imagegate_task_e2e_seconds_count", model=MODEL, state="fail") == 2
    # A histogram's sum is the seconds observed: each e2e at least its run.
    assert value("imagegate_task_e2e_seconds_sum") >= value("imagegate_task_run_seconds_sum")
    assert value("imagegate_callback_attempts_total", outcome="delivered") == 1
    assert value("imagegate_callback_attempts_total", outcome="failed") == 0
    assert value("imagegate_callbacks_dead_total") == 0
    assert value("imagegate_credits_debited_total", model=MODEL) == 7 * price
    assert value("imagegate_credits_refunded_total", model=MODEL) == 2 * price
    # A missing input is the task's fault, not the engine's: no engine failure, no failover.
    assert value("imagegate_engine_failures_total") == 0
    assert value("imagegate_engine_failovers_total") == 0
    # Nothing expired yet, but every kind of deletion is there to alert on.
    for kind in ("file", "idempotency_key", "task"):
        assert ("imagegate_janitor_deleted_total", frozenset({("kind", kind)})) in samples
    assert value("imagegate_janitor_deleted_total") == 0
    # The database's view: nothing waits or runs, and this server's worker is alive.
    assert value("imagegate_queue_depth") == 0
    assert value("imagegate_tasks") == 0
    assert value("imagegate_workers_live") == 1
