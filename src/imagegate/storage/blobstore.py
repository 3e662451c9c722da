"""BlobStore: where file bytes live, by key. A local directory here; S3 comes with scale-out.

Keys are relative paths like ``results/2026/11/21/<task>/0.png``; a store never interprets them
beyond refusing ones that would escape its root.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import threading
from pathlib import Path, PurePosixPath
from typing import Protocol, runtime_checkable

from imagegate.errors import BlobNotFound

# Writes up to this size happen on the event loop (see LocalBlobStore.put): a result image of
# a few hundred kilobytes is copied into the page cache in well under a millisecond.
INLINE_WRITE_BYTES = 256 * 1024
_TMP_COUNT = itertools.count()


@runtime_checkable
class BlobStore(Protocol):
    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    async def get(self, key: str) -> bytes: ...

    async def delete(self, key: str) -> None: ...

    async def exists(self, key: str) -> bool: ...


def check_key(key: str) -> str:
    """Refuse keys that are absolute or climb out of the store (``..``)."""
    path = PurePosixPath(key)
    if not key or path.is_absolute() or ".." in path.parts or "\\" in key:
        raise ValueError(f"invalid blob key: {key!r}")
    return key


class LocalBlobStore:
    """Blobs as files under a root directory; writes are atomic (temp file + rename)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def path_of(self, key: str) -> Path:
        return self.root / check_key(key)

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self.path_of(key)
        if len(data) <= INLINE_WRITE_BYTES:
            # A small write only copies into the page cache (no fsync): it takes less time
            # than handing it to a thread and back, which was most of a worker's CPU per task
            # when the engine itself is fast.
            self._put(path, data)
        else:
            await asyncio.to_thread(self._put, path, data)

    @staticmethod
    def _put(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # A name no other writer uses (process, thread, count), created exclusively: the
        # bytes appear under the key only whole, by the rename.
        tmp = path.with_name(f".tmp-{os.getpid()}-{threading.get_ident()}-{next(_TMP_COUNT)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    async def get(self, key: str) -> bytes:
        path = self.path_of(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError as exc:
            raise BlobNotFound(key) from exc

    async def delete(self, key: str) -> None:
        self.path_of(key).unlink(missing_ok=True)

    async def exists(self, key: str) -> bool:
        return self.path_of(key).is_file()


class MemoryBlobStore:
    """A BlobStore in a dict, for tests."""

    def __init__(self) -> None:
        self.blobs: dict[str, tuple[bytes, str]] = {}

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        self.blobs[check_key(key)] = (data, content_type)

    async def get(self, key: str) -> bytes:
        try:
            return self.blobs[key][0]
        except KeyError as exc:
            raise BlobNotFound(key) from exc

    async def delete(self, key: str) -> None:
        self.blobs.pop(key, None)

    async def exists(self, key: str) -> bool:
        return key in self.blobs
