"""Issue 7's fault test: two API processes and three worker processes on one PostgreSQL run
1,000 mock tasks while one worker is killed with SIGKILL in the middle of its tasks and one
API process is restarted. Every task ends exactly once in ``success``, each is charged once,
and each callback is delivered; the test prints the counts it checked."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

pytestmark = pytest.mark.acceptance

TASKS = 1000
MODEL = "google/nano-banana"


def _db_counts(url: str) -> dict[str, Any]:
    async def read() -> dict[str, Any]:
        conn = await asyncpg.connect(url)
        try:
            return {
                "states": dict(await conn.fetch("SELECT state, COUNT(*) FROM tasks GROUP BY 1")),
                "debits_per_task": dict(await conn.fetch(
                    "SELECT n, COUNT(*) FROM (SELECT COUNT(*) AS n FROM credit_ledger"
                    " WHERE reason = 'debit' GROUP BY task_id) d GROUP BY n"
                )),
                "refunds": await conn.fetchval(
                    "SELECT COUNT(*) FROM credit_ledger WHERE reason = 'refund'"
                ),
                "retried": await conn.fetchval("SELECT COUNT(*) FROM tasks WHERE attempts > 1"),
                "callbacks": dict(await conn.fetch(
                    "SELECT state, COUNT(*) FROM callbacks GROUP BY 1"
                )),
            }
        finally:
            await conn.close()

    return asyncio.run(read())


def test_a_fleet_survives_a_killed_worker_and_a_restarted_api(
    servers: Any, make_api: Any, postgres_url: str, tmp_path: Path, imagegate_command: Path,
    env_for: Any, receiver_factory: Any,
) -> None:
    shared = {
        "IMAGEGATE_DATABASE_URL": postgres_url,
        "IMAGEGATE_SECRET_KEY": "fleet-secret",
        "IMAGEGATE_ADMIN_KEY": "fleet-admin",
        "IMAGEGATE_WORKER_CONCURRENCY": "0",
        "IMAGEGATE_CREATE_RATE": "100000/1s",
        "IMAGEGATE_QUERY_RATE": "100000/1s",
        "IMAGEGATE_DEFAULT_ACCOUNT_CREDITS": "10000",
        # Long enough that SIGKILL lands in the middle of a worker's tasks.
        "IMAGEGATE_MOCK_LATENCY": "0.05",
        "IMAGEGATE_LEASE_SECONDS": "2",
        # The callbacks the killed worker had claimed wait out their claim (callback timeout +
        # lease margin, 45 s by default) before another sender takes them: 5 + 2 s here, so
        # the run waits for the recovery rather than for a long lease (it took about 40 s).
        "IMAGEGATE_CALLBACK_TIMEOUT_SECONDS": "5",
        "IMAGEGATE_CALLBACK_LEASE_MARGIN_SECONDS": "2",
    }
    receiver = receiver_factory()
    callback = receiver.url("/done")
    apis = [servers.start(env=shared), servers.start(env=shared)]
    key = apis[0].printed_key()
    assert key, apis[0].output()

    def start_worker(index: int) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [str(imagegate_command), "worker", "--concurrency", "8", "--data-dir",
             str(tmp_path / f"worker{index}")],
            env=env_for({**shared, "IMAGEGATE_WORKER_CONCURRENCY": "8"}),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )

    workers = [start_worker(i) for i in range(3)]
    headers = {"Authorization": f"Bearer {key}"}
    body = {"model": MODEL, "input": {"prompt": "a lighthouse"}, "callBackUrl": callback}
    created: list[str] = []
    lock = threading.Lock()
    restarted = threading.Event()

    def create(index: int) -> None:
        # Alternate APIs; while one restarts, its requests go to the other.
        for attempt in range(50):
            server = apis[(index + attempt) % 2]
            try:
                answer = httpx.post(f"{server.base_url}/api/v1/jobs/createTask", json=body,
                                    headers={**headers, "Idempotency-Key": f"fleet-{index}"},
                                    timeout=10)
            except httpx.HTTPError:
                time.sleep(0.1)
                continue
            if answer.status_code == 200:
                with lock:
                    created.append(answer.json()["data"]["taskId"])
                return
            time.sleep(0.1)
        raise AssertionError(f"task {index} could not be created")

    started = time.monotonic()
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            futures = [pool.submit(create, i) for i in range(TASKS)]
            # Mid-run: kill a worker holding tasks, then restart an API.
            while _done(postgres_url) < TASKS // 4:
                time.sleep(0.05)
            print(f"\n{time.monotonic() - started:.1f} s: {TASKS // 4} done; SIGKILL a worker")
            workers[0].send_signal(signal.SIGKILL)
            workers[0].wait(timeout=10)
            apis[1].stop()
            apis[1] = servers.start(data_dir=apis[1].data_dir, port=apis[1].port, env=shared)
            restarted.set()
            print(f"{time.monotonic() - started:.1f} s: API restarted")
            for future in futures:
                future.result()
            print(f"{time.monotonic() - started:.1f} s: all created")
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            counts = _db_counts(postgres_url)
            if counts["states"].get("success") == TASKS and counts["callbacks"].get(
                "delivered"
            ) == TASKS:
                break
            time.sleep(0.5)
    finally:
        for process in workers[1:]:
            process.terminate()
            process.wait(timeout=20)

    print(f"{time.monotonic() - started:.1f} s: all done")
    posted = {post.json()["data"]["taskId"] for post in receiver.posts_to("/done")}
    print(f"\nfleet counts: {counts}; callbacks received for {len(posted)} tasks"
          f" ({len(receiver.posts_to('/done'))} posts)")
    assert restarted.is_set()
    assert len(set(created)) == TASKS
    assert counts["states"] == {"success": TASKS}
    assert counts["debits_per_task"] == {1: TASKS}  # charged once each
    assert counts["refunds"] == 0
    assert counts["callbacks"] == {"delivered": TASKS}
    assert posted == set(created)
    balance = make_api(apis[0], key)
    try:
        assert balance.balance() == pytest.approx(10000 - TASKS * 4.0)
    finally:
        balance.close()


def _done(url: str) -> int:
    async def read() -> int:
        conn = await asyncpg.connect(url)
        try:
            return int(await conn.fetchval(
                "SELECT COUNT(*) FROM tasks WHERE state = 'success'"
            ))
        finally:
            await conn.close()

    return asyncio.run(read())
