"""``queuePosition`` in recordInfo (issue 22 point 2), through HTTP, on a SQLite file and on
PostgreSQL: with several accounts and priorities, each waiting task's position is its index in
the order the fair scheduler then really claims them; null once claimed. And the query reads
indexes only (EXPLAIN on both databases)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from spec_examples import SPEC_000_REQUEST

REFRAME = json.loads(SPEC_000_REQUEST)
ADMIN_ACCOUNTS = "/api/admin/accounts"


async def new_key(api: Any, name: str) -> str:
    made = await api.client.post(
        ADMIN_ACCOUNTS, json={"name": name, "credits": 1000},
        headers={"Authorization": f"Bearer {api.admin_key}"},
    )
    assert made.status_code == 200, made.text
    return str(made.json()["data"]["apiKey"])


async def create(api: Any, key: str, priority: int, path: str = "/api/v1/jobs/createTask") -> str:
    answer = await api.client.post(
        path, json={**REFRAME, "priority": priority}, headers={"Authorization": f"Bearer {key}"}
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["data"]["taskId"])


async def position(api: Any, key: str, task_id: str) -> Any:
    answer = await api.client.get(
        "/api/v1/jobs/recordInfo", params={"taskId": task_id},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]["queuePosition"]


async def check_positions_follow_the_claims(api: Any) -> None:
    a, b, c = api.key, await new_key(api, "b"), await new_key(api, "c")
    # Interleaved creates, priorities reordering each account's own tasks (v2 ones too).
    plan = [(a, 0), (a, 5), (b, 0), (a, 0), (b, 0), (c, 0), (b, 10), (a, -3), (c, 2)]
    tasks: list[tuple[str, str]] = []
    for index, (key, priority) in enumerate(plan):
        path = "/api/v2/jobs/createTask" if index % 3 == 2 else "/api/v1/jobs/createTask"
        tasks.append((key, await create(api, key, priority, path)))
    while tasks:
        positions = {task_id: await position(api, key, task_id) for key, task_id in tasks}
        assert sorted(positions.values()) == list(range(len(tasks))), positions
        claimed = await api.runtime.store.claim("test-worker", 60_000)
        assert claimed is not None
        assert positions[claimed.id] == 0, "the claim took another task than position 0"
        key = next(key for key, task_id in tasks if task_id == claimed.id)
        assert await position(api, key, claimed.id) is None  # claimed: null
        tasks = [(key, task_id) for key, task_id in tasks if task_id != claimed.id]


async def test_positions_are_the_claim_order_on_sqlite(runtime_factory: Any,
                                                       harness_opener: Any) -> None:
    harness, client = await harness_opener(runtime_factory(query_rate="1000/1s"), start=False)
    async with client:
        await check_positions_follow_the_claims(harness)


async def test_positions_are_the_claim_order_on_postgres(
    runtime_factory: Any, harness_opener: Any, postgres_url: str
) -> None:
    runtime = runtime_factory(query_rate="1000/1s", database_url=postgres_url)
    harness, client = await harness_opener(runtime, start=False)
    try:
        async with client:
            await check_positions_follow_the_claims(harness)
    finally:
        await runtime.stop()


async def test_the_single_account_case_and_finished_tasks(api: Any) -> None:
    first = await create(api, api.key, 0)
    second = await create(api, api.key, 0)
    urgent = await create(api, api.key, 3)
    assert [await position(api, api.key, t) for t in (urgent, first, second)] == [0, 1, 2]
    cancelled = await api.client.post("/api/v1/jobs/cancelTask", json={"taskId": urgent},
                                      headers=api.auth)
    assert cancelled.status_code == 200, cancelled.text
    assert (await api.record(urgent)).json()["data"]["state"] == "fail"
    assert await position(api, api.key, urgent) is None  # finished: null
    assert [await position(api, api.key, t) for t in (first, second)] == [0, 1]


def test_the_query_reads_indexes_only_on_sqlite(tmp_path: Any) -> None:
    from imagegate.db.sqlite.database import SqliteDatabase
    from imagegate.db.sqlite.queue_stats import SQLITE_POSITION

    db = SqliteDatabase(str(tmp_path / "plan.db"))
    try:
        plan = db.conn.execute(
            "EXPLAIN QUERY PLAN " + SQLITE_POSITION, ("x",)
        ).fetchall()
    finally:
        db.close()
    steps = [str(row["detail"]) for row in plan]
    # The CTEs (me, ahead, slot) are one row each; the table is never scanned without an index.
    scans = [step for step in steps if step.startswith("SCAN t") and "INDEX" not in step]
    assert not scans, steps
    used = {word for step in steps for word in step.split()}
    for index in ("ix_tasks_waiting_account", "ix_tasks_waiting_account_fair",
                  "ix_tasks_waiting_fair"):
        assert index in used, steps
    assert "TEMP" not in " ".join(steps), steps  # read in index order, never sorted


async def test_the_query_reads_indexes_only_on_postgres(pg_store: Any) -> None:
    from imagegate.db.postgres.queue_stats import PG_POSITION

    async with pg_store.db.pool.acquire() as conn:
        # An empty table would be read whole whatever the indexes: plan as for a large one.
        await conn.execute("SET enable_seqscan = off")
        rows = await conn.fetch("EXPLAIN " + PG_POSITION, "x")
    plan = "\n".join(row[0] for row in rows)
    # The table is read through indexes only (which ones PostgreSQL picks for an empty table
    # says little; the waiting partial indexes are those SQLite's plan names above).
    assert "Seq Scan" not in plan and "Index" in plan, plan


async def test_a_finished_task_has_null(live_api: Any) -> None:
    made = await live_api.create({"model": "google/nano-banana", "input": {"prompt": "a cat"}})
    task_id = made.json()["data"]["taskId"]
    for _ in range(100):
        data = (await live_api.record(task_id)).json()["data"]
        if data["state"] in ("success", "fail"):
            break
        await asyncio.sleep(0.11)
    assert data["state"] == "success" and data["queuePosition"] is None
