"""The janitor on a real SQLite registry and a local blob directory."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from imagegate.clock import now_ms
from imagegate.db.sqlite.database import SqliteDatabase
from imagegate.db.sqlite.files import SqliteFileRegistry
from imagegate.storage.blobstore import BlobStore, LocalBlobStore
from imagegate.tasks.files import StoredFile
from imagegate.worker.janitor import Janitor


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[SqliteFileRegistry]:
    db = SqliteDatabase(str(tmp_path / "files.db"))
    yield SqliteFileRegistry(db)
    db.close()


async def add(
    registry: SqliteFileRegistry, blobs: BlobStore, key: str, expires_at: int, *, blob: bool = True
) -> None:
    if blob:
        await blobs.put(key, key.encode(), "text/plain")
    await registry.add(
        StoredFile(
            key=key, account_id="acc", kind="upload", task_id=None, file_name=key.rsplit("/")[-1],
            mime_type="text/plain", size=len(key), created_at=0, expires_at=expires_at,
        )
    )


async def test_sweep_deletes_expired_blobs_and_rows_and_keeps_the_rest(
    registry: SqliteFileRegistry, tmp_path: Path
) -> None:
    blobs = LocalBlobStore(tmp_path / "blobs")
    now = now_ms()
    await add(registry, blobs, "uploads/acc/old-1.txt", now - 1000)
    await add(registry, blobs, "results/2026/old-2.png", now - 1)
    await add(registry, blobs, "uploads/acc/fresh.txt", now + 3_600_000)
    await add(registry, blobs, "uploads/acc/blob-already-gone.txt", now - 5, blob=False)

    removed = await Janitor(registry, blobs, 60).sweep()

    assert removed == 3
    gone = ("uploads/acc/old-1.txt", "results/2026/old-2.png", "uploads/acc/blob-already-gone.txt")
    for key in gone:
        assert await registry.get(key) is None
        assert not await blobs.exists(key)
    assert await registry.get("uploads/acc/fresh.txt") is not None
    assert await blobs.get("uploads/acc/fresh.txt") == b"uploads/acc/fresh.txt"
    assert await Janitor(registry, blobs, 60).sweep() == 0  # nothing left to do


async def test_sweep_goes_past_one_batch(registry: SqliteFileRegistry, tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path / "blobs")
    past = now_ms() - 10
    for index in range(501):  # one more than a batch
        await add(registry, blobs, f"r/{index}.txt", past, blob=index % 50 == 0)
    assert await Janitor(registry, blobs, 60).sweep() == 501
    assert await registry.expired(now=now_ms()) == []


class FailingStore(LocalBlobStore):
    """Refuses to delete one key, as an S3 outage would."""

    def __init__(self, root: Path, bad_key: str) -> None:
        super().__init__(root)
        self.bad_key = bad_key

    async def delete(self, key: str) -> None:
        if key == self.bad_key:
            raise OSError("store unavailable")
        await super().delete(key)


async def test_a_failing_delete_keeps_its_row_for_the_next_sweep(
    registry: SqliteFileRegistry, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blobs = FailingStore(tmp_path / "blobs", "u/bad.txt")
    past = now_ms() - 10
    await add(registry, blobs, "u/bad.txt", past)
    await add(registry, blobs, "u/good.txt", past)
    with caplog.at_level(logging.ERROR, logger="imagegate.worker.janitor"):
        assert await Janitor(registry, blobs, 60).sweep() == 1
    assert "u/bad.txt" in caplog.text
    assert await registry.get("u/bad.txt") is not None
    assert await registry.get("u/good.txt") is None
    blobs.bad_key = ""
    assert await Janitor(registry, blobs, 60).sweep() == 1
    assert await registry.get("u/bad.txt") is None


async def test_loop_sweeps_repeatedly_and_survives_errors(
    registry: SqliteFileRegistry, tmp_path: Path
) -> None:
    blobs = LocalBlobStore(tmp_path / "blobs")
    janitor = Janitor(registry, blobs, interval_seconds=0.01)
    calls = 0
    real_expired = registry.expired

    async def flaky_expired(limit: int = 500, now: int | None = None) -> list[StoredFile]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("database is locked")
        return await real_expired(limit, now)

    registry.expired = flaky_expired  # type: ignore[method-assign]
    janitor.start()
    try:
        await add(registry, blobs, "u/late.txt", now_ms() - 1)
        for _ in range(200):
            if await registry.get("u/late.txt") is None:
                break
            await asyncio.sleep(0.01)
    finally:
        await janitor.stop()
    assert calls >= 2  # the first sweep raised, the loop went on
    assert await registry.get("u/late.txt") is None
    assert not await blobs.exists("u/late.txt")
    await janitor.stop()  # stopping twice is harmless
