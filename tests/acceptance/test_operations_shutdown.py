"""Graceful shutdown of a real ``imagegate serve``: on SIGTERM the worker stops claiming, lets
running tasks finish within ``shutdown_grace_seconds``, hands the rest back to ``waiting``,
removes its workers row and exits 0; a server restarted on the same database finishes every
task, each exactly once and charged once."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Any

MODEL = "ideogram/v3-reframe"


def _create(api: Any, image: str, seed: int) -> str:
    return str(api.create_ok({
        "model": MODEL,
        "input": {"image_url": image, "image_size": "square_hd", "num_images": "1",
                  "seed": seed},
    }))


def _wait_for(db: Any, path: Path, sql: str, predicate: Any, timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        rows = db(path, sql)
        if predicate(rows):
            return rows
        assert time.monotonic() < deadline, f"{sql}: still {rows}"
        time.sleep(0.05)


def _sigterm(server: Any) -> int:
    server.proc.send_signal(signal.SIGTERM)
    return int(server.proc.wait(timeout=30))


def _assert_charged_once(db: Any, path: Path, task_ids: list[str]) -> None:
    ledger = db(path, "SELECT task_id, reason FROM credit_ledger WHERE task_id IS NOT NULL")
    assert sorted(ledger) == sorted((t, "debit") for t in task_ids)


def test_sigterm_drains_running_tasks_and_a_restart_finishes_the_rest(
    servers: Any, make_api: Any, receiver_factory: Any, db: Any
) -> None:
    env = {"IMAGEGATE_MOCK_LATENCY": "0.5", "IMAGEGATE_WORKER_CONCURRENCY": "2",
           "IMAGEGATE_SHUTDOWN_GRACE_SECONDS": "10"}
    server = servers.start(env=env)
    key = server.printed_key()
    assert key
    image = receiver_factory().serve_image("/in.png")
    api = make_api(server, key)
    try:
        tasks = [_create(api, image, seed) for seed in range(8)]
    finally:
        api.close()
    path = server.db_path
    # Mid-run: two tasks running (the worker's two slots), the rest waiting.
    _wait_for(db, path, "SELECT COUNT(*) FROM tasks WHERE state = 'generating'",
              lambda rows: rows[0][0] == 2)
    assert db(path, "SELECT COUNT(*) FROM workers") == [(1,)]

    assert _sigterm(server) == 0, server.output()

    states = dict(db(path, "SELECT id, state FROM tasks"))
    # The running two finished within the grace period; nothing was left claimed, nothing
    # more was claimed after the signal, and the worker's row is gone.
    finished = [t for t in tasks if states[t] == "success"]
    waiting = [t for t in tasks if states[t] == "waiting"]
    assert len(finished) + len(waiting) == 8, states
    assert 2 <= len(finished) < 8, states
    assert db(path, "SELECT COUNT(*) FROM workers") == [(0,)]

    restarted = servers.start(data_dir=server.data_dir, env=env)
    _wait_for(db, path, "SELECT COUNT(*) FROM tasks WHERE state = 'success'",
              lambda rows: rows[0][0] == 8, timeout=30)
    # Each task ran once: those finished before the signal were never claimed again, those
    # waiting were claimed once by the restarted server.
    attempts = dict(db(path, "SELECT id, attempts FROM tasks"))
    assert all(attempts[t] == 1 for t in tasks), attempts
    _assert_charged_once(db, path, tasks)
    assert _sigterm(restarted) == 0, restarted.output()
    assert db(path, "SELECT COUNT(*) FROM workers") == [(0,)]


def test_a_task_longer_than_the_grace_period_is_released_and_finished_after_restart(
    servers: Any, make_api: Any, receiver_factory: Any, db: Any
) -> None:
    env = {"IMAGEGATE_MOCK_LATENCY": "5", "IMAGEGATE_SHUTDOWN_GRACE_SECONDS": "0.5"}
    server = servers.start(env=env)
    key = server.printed_key()
    assert key
    image = receiver_factory().serve_image("/in.png")
    api = make_api(server, key)
    try:
        task_id = _create(api, image, 1)
    finally:
        api.close()
    path = server.db_path
    _wait_for(db, path, "SELECT state FROM tasks", lambda rows: rows == [("generating",)])

    started = time.monotonic()
    assert _sigterm(server) == 0, server.output()
    assert time.monotonic() - started < 5  # the grace period, not the task, bounded the stop
    # Handed back, not left claimed: the next worker takes it at once, not after a lease.
    assert db(path, "SELECT state, lease_owner, attempts FROM tasks") == [("waiting", None, 1)]
    assert db(path, "SELECT COUNT(*) FROM workers") == [(0,)]

    servers.start(data_dir=server.data_dir, env={"IMAGEGATE_MOCK_LATENCY": "0.2"})
    _wait_for(db, path, "SELECT state FROM tasks", lambda rows: rows == [("success",)])
    assert db(path, "SELECT attempts FROM tasks") == [(2,)]
    _assert_charged_once(db, path, [task_id])
