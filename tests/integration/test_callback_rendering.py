"""Callbacks rendered when they are sent: the outbox row names the task, the surface it was
created through and the balance right after it ended (both databases), and the sender renders
the body from them through ``imagegate.wire.callbacks``; a row from before migration 0007 keeps
its body and is sent as it is. That each surface round-trips through the task and its callback
row is the store's contract, on every backend: tests/contract/test_contract_endings.py."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from alembic import command
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.ext.asyncio import create_async_engine

from imagegate.backend import Backend, open_postgres, open_sqlite
from imagegate.callbacks.sender import CallbackSender
from imagegate.db import migrate
from imagegate.db.postgres.database import PostgresDatabase
from imagegate.outbound import UrlPolicy
from imagegate.storage.urls import FILES_PREFIX, UrlSigner
from imagegate.tasks.files import StoredFile
from imagegate.tasks.lifecycle import Lifecycle
from imagegate.tasks.model import NewTask, Task
from imagegate.wire import jobs
from imagegate.wire.surfaces import Surface

from loopback import LoopbackServer
from photos import photo_file

SIGNER = UrlSigner(b"rendering-secret", "http://imagegate.test")
MODEL = "google/nano-banana"
FAR = 4_102_444_800_000  # 2100-01-01: a result file's expiry


@pytest.fixture(params=["sqlite", "postgres"])
async def backend(
    request: pytest.FixtureRequest, open_backend_named: Any
) -> AsyncIterator[Backend]:
    async with open_backend_named(request.param) as opened:
        yield opened


def sender_over(backend: Backend) -> CallbackSender:
    return CallbackSender(
        backend.outbox, UrlPolicy(["127.0.0.1"]), tasks=backend.store, url_for=SIGNER.url,
        secret_for=_no_secret, timeout=5.0, max_attempts=3, backoff_base=0.01,
        backoff_max=0.05, lease_margin=30.0,
    )


async def _no_secret(account_id: str) -> None:
    return None


async def new_account(backend: Backend, credits: int) -> str:
    made = await backend.store.create_account(
        name="a", key_hash="hash-a", key_prefix="ig_x", credits_milli=credits * 1000
    )
    return made.id


def new_task(
    owner: str, task_id: str, callback: str, surface: Surface = Surface.JOBS,
    price_milli: int = 3000,
) -> NewTask:
    return NewTask(
        id=task_id, account_id=owner, model=MODEL, param=json.dumps({"model": MODEL}),
        input={"prompt": "x"}, callback_url=callback, price_milli=price_milli, surface=surface,
    )


def result_file(owner: str, task_id: str) -> StoredFile:
    return StoredFile(
        key=f"results/{task_id}/0.png", account_id=owner, kind="result", task_id=task_id,
        file_name="0.png", mime_type="image/png", size=10, created_at=1, expires_at=FAR,
    )


async def run_to_success(backend: Backend, owner: str, task_id: str) -> Task:
    lifecycle = Lifecycle(backend.store)
    claimed = await lifecycle.claim("w", 30_000)
    assert claimed is not None and claimed.id == task_id
    ended = await lifecycle.succeed(
        claimed, engine="mock", files=(result_file(owner, task_id),)
    )
    assert ended is not None
    return ended.task


async def test_remained_credits_is_the_balance_right_after_the_task_not_when_it_is_sent(
    backend: Backend, loopback: LoopbackServer
) -> None:
    owner = await new_account(backend, 10)
    hook = loopback.url("/hook")
    await backend.store.create_task(new_task(owner, "done", hook))
    done = await run_to_success(backend, owner, "done")  # 7 credits left
    await backend.store.create_task(new_task(owner, "cancelled", hook))
    await Lifecycle(backend.store).cancel(owner, "cancelled")  # refunded: 7 again
    # The balance moves before the sender runs: a grant and another task's debit.
    await backend.store.grant_credits(owner, 50_000)
    await backend.store.create_task(new_task(owner, "later", hook, price_milli=1000))

    assert await sender_over(backend).deliver_due() == 2

    bodies = {post.json()["data"]["taskId"]: post.json() for post in loopback.posts_to("/hook")}
    assert bodies["done"]["data"]["remainedCredits"] == 7
    assert bodies["cancelled"]["data"]["remainedCredits"] == 7
    assert bodies["cancelled"]["code"] == 501
    # The jobs shape, with links signed when sent, that the server serves.
    assert bodies["done"] == json.loads(json.dumps(jobs.callback_body(done, 7000, SIGNER.url)))
    [url] = json.loads(bodies["done"]["data"]["resultJson"])["resultUrls"]
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    assert parts.path == FILES_PREFIX + "results/done/0.png"
    assert SIGNER.verify("results/done/0.png", int(query["expires"][0]), query["sig"][0])
    assert int(query["expires"][0]) == FAR // 1000


async def test_a_row_whose_task_is_gone_is_given_up_at_once(
    backend: Backend, loopback: LoopbackServer
) -> None:
    owner = await new_account(backend, 10)
    await backend.store.create_task(new_task(owner, "t1", loopback.url("/hook")))
    await run_to_success(backend, owner, "t1")
    await _delete_task(backend, "t1")

    await sender_over(backend).deliver_due()

    row = await backend.outbox.get("t1")
    assert row is not None
    assert (row.state, row.last_error) == ("dead", "the task no longer exists")
    assert loopback.posts_to("/hook") == []


async def _delete_task(backend: Backend, task_id: str) -> None:
    """The task alone, its callback row left behind (retention never does this: a row that
    outlives its task can only come from a hand-edited database)."""
    if isinstance(backend.db, PostgresDatabase):
        await backend.db.execute("DELETE FROM tasks WHERE id = $1", task_id)
    else:
        await backend.db.write(
            lambda conn: conn.execute("DELETE FROM tasks WHERE id = ?", (task_id,))
        )


OLD_BODY = '{"code": 200, "msg": "rendered before the upgrade", "data": {"taskId": "old"}}'


def _write_old_rows(connection: Connection, url: str) -> None:
    """A database at revision 0006 with a finished task and its pending callback, its body
    rendered when the task ended (what an install holds when it upgrades)."""
    command.upgrade(migrate.alembic_config(connection), "0006")
    connection.execute(text(
        "INSERT INTO tasks (id, account_id, model, state, param, input, progress,"
        " price_milli, create_time, update_time, attempts, lease_token, callback_url)"
        " VALUES ('old', 'a', 'm', 'success', '{}', '{}', 100, 0, 1, 2, 1, 1, :url)"
    ), {"url": url})
    connection.execute(text(
        "INSERT INTO callbacks (task_id, account_id, url, body, state, attempts,"
        " next_attempt_at, created_at) VALUES ('old', 'a', :url, :body, 'pending', 0, 0, 0)"
    ), {"url": url, "body": OLD_BODY})


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
async def test_a_pending_row_from_before_the_migration_is_delivered_as_stored(
    database: str, request: pytest.FixtureRequest, tmp_path: Path, loopback: LoopbackServer
) -> None:
    hook = loopback.url("/hook")
    if database == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
        engine = create_engine(url)
        with engine.begin() as connection:
            _write_old_rows(connection, hook)
        engine.dispose()
        backend = open_sqlite(url)  # migrates to the head
    else:
        url = request.getfixturevalue("postgres_url")
        async_engine = create_async_engine(url.replace("postgresql://", "postgresql+asyncpg://"))
        async with async_engine.begin() as connection:
            await connection.run_sync(_write_old_rows, hook)
        await async_engine.dispose()
        backend = await open_postgres(url, pool_size=2)  # migrates to the head
    try:
        task = await backend.store.get_task("old")
        assert task is not None and task.surface is Surface.JOBS  # the column's default
        row = await backend.outbox.get("old")
        assert row is not None
        assert (row.body, row.surface, row.balance_milli) == (OLD_BODY, None, None)
        assert await sender_over(backend).deliver_due() == 1
        delivered = await backend.outbox.get("old")
    finally:
        await backend.close()
    assert delivered is not None and delivered.state == "delivered"
    [post] = loopback.posts_to("/hook")
    assert post.body == OLD_BODY.encode()


async def test_every_create_route_keeps_its_surface(
    live_api: Any, loopback: LoopbackServer
) -> None:
    hook = loopback.url("/hook")
    auth = live_api.auth
    created = {
        Surface.JOBS: await live_api.client.post("/api/v1/jobs/createTask", headers=auth, json={
            "model": MODEL, "callBackUrl": hook, "input": {"prompt": "x"},
        }),
        Surface.GPT4O_IMAGE: await live_api.client.post(
            "/api/v1/gpt4o-image/generate", headers=auth,
            json={"prompt": "x", "size": "1:1", "callBackUrl": hook},
        ),
        Surface.FLUX_KONTEXT: await live_api.client.post(
            "/api/v1/flux/kontext/generate", headers=auth,
            json={"prompt": "x", "callBackUrl": hook},
        ),
        Surface.MODEL_ENDPOINTS: await live_api.client.post(
            "/api/v1/google/imagen-4", headers=auth, json={"prompt": "x", "callBackUrl": hook},
        ),
    }
    v2 = await live_api.client.post("/api/v2/jobs/createTask", headers=auth, json={
        "model": MODEL, "callBackUrl": hook, "input": {"prompt": "x"},
    })
    reframe = await live_api.client.post(
        "/v1/ideogram-v3/reframe", headers={"Api-Key": live_api.key},
        data={"resolution": "1024x1024"}, files={"image": ("photo.png", photo_file(), "image/png")},
    )
    assert reframe.status_code == 200, reframe.text
    ids = {surface: answer.json()["data"]["taskId"] for surface, answer in created.items()}
    store = live_api.runtime.store
    for surface, task_id in ids.items():
        assert (await store.get_task(task_id)).surface is surface
    assert (await store.get_task(v2.json()["data"]["task_id"])).surface is Surface.JOBS_V2
    ideogram = await store.get_task(reframe.headers["X-Imagegate-Task-Id"])
    assert ideogram.surface is Surface.IDEOGRAM and ideogram.callback_url is None
    # Each callback in its surface's shape (test_callback_shapes.py has them in full).
    posts = await asyncio.to_thread(loopback.wait_for_posts, "/hook", len(ids) + 1)
    info = {"gpt4o-image": {"result_urls"}, "flux-kontext": {"originImageUrl", "resultImageUrl"}}
    by_task = {post.json()["data"]["taskId"]: post.json() for post in posts}
    for surface, task_id in [*ids.items(), (Surface.JOBS, v2.json()["data"]["task_id"])]:
        sent = by_task[task_id]
        assert sent["code"] == 200, sent
        if surface.value in info:
            assert set(sent["data"]) == {"taskId", "info"}
            assert set(sent["data"]["info"]) == info[surface.value]
        else:
            assert sent["data"]["state"] == "success", sent
            assert "remainedCredits" in sent["data"] and "resultJson" in sent["data"]
