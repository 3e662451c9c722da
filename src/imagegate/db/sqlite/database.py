"""SQLite for the embedded topology: one connection, transactions run on the event loop.

Why not aiosqlite or async SQLAlchemy: both hop to a thread for every statement (measured here:
0.41 ms and 1.6 ms for a three-statement transaction, against 0.07 ms for the same work done
in place). A transaction in this module is a plain function over ``sqlite3`` that never awaits,
so it is atomic with respect to every other coroutine in the process and holds the write lock
only for its own tens of microseconds. Another *process* holding the lock (``imagegate keys
create`` beside a running server) makes ``BEGIN IMMEDIATE`` fail at once (busy timeout 0); the
caller then yields to the event loop and retries, instead of blocking the loop in a busy-wait.

The tables are those of ``schema.py``, brought to the head revision by ``migrate.py``, so SQLite
and PostgreSQL share one definition.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast

from sqlalchemy import create_engine

from imagegate.db.migrate import upgrade_sqlite
from imagegate.db.schema import metadata

T = TypeVar("T")

# How long a write waits for another process to release SQLite's lock before giving up.
_BUSY_GIVE_UP_SECONDS = 30.0
_CHECKPOINT_INTERVAL_SECONDS = 1.0
# Under sustained writes a passive checkpoint never catches up with the writer, so the WAL
# would grow without end (1.4 GB after 30 s of createTask load, measured); past this size the
# checkpointer forces a TRUNCATE, which briefly holds writers off.
_WAL_TRUNCATE_BYTES = 64 * 1024 * 1024


def sqlite_path_from_url(url: str) -> str:
    """The file path of a ``sqlite:///`` or ``sqlite+aiosqlite:///`` URL (``:memory:`` too)."""
    _, _, rest = url.partition(":///")
    if not rest:
        if url.rstrip("/").endswith(":memory:") or url in ("sqlite://", "sqlite+aiosqlite://"):
            return ":memory:"
        raise ValueError(f"not a SQLite URL: {url!r}")
    return rest.split("?", 1)[0] or ":memory:"


class SqliteDatabase:
    """The SQLite file, its connection, and ``read``/``write`` transaction runners."""

    def __init__(self, path: str) -> None:
        self.path = path
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._create_schema()
        self.conn = self._connect(busy_ms=0)
        if path == ":memory:":
            # An in-memory database lives on its one connection, so its tables are made there.
            memory_engine = create_engine("sqlite://", creator=lambda: self.conn)
            metadata.create_all(memory_engine)
        # Checkpoints copy the WAL into the main file and fsync; doing them on a side thread
        # keeps that disk work off the event loop.
        self.conn.execute("PRAGMA wal_autocheckpoint=0")
        self._stop = threading.Event()
        self._closed = False
        self._pending: list[tuple[Callable[[sqlite3.Connection], Any], asyncio.Future[Any]]] = []
        self._flush_scheduled = False
        self._checkpointer: threading.Thread | None = None
        if path != ":memory:":
            self._checkpointer = threading.Thread(
                target=self._checkpoint_loop, name="imagegate-sqlite-checkpoint", daemon=True
            )
            self._checkpointer.start()

    def _connect(self, busy_ms: int) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        if self.path != ":memory:":
            conn.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode survives a process crash (SIGKILL); only an OS crash can lose the
        # last commits, which is the trade every embedded queue on SQLite makes.
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(f"PRAGMA busy_timeout={busy_ms}")
        # Once a checkpoint lets the WAL restart, shrink its file back to this size.
        conn.execute(f"PRAGMA journal_size_limit={_WAL_TRUNCATE_BYTES}")
        return conn

    def _create_schema(self) -> None:
        if self.path == ":memory:":
            return  # created on the connection itself, in __init__
        upgrade_sqlite(self.path)

    def _checkpoint_loop(self) -> None:
        conn = self._connect(busy_ms=1000)
        try:
            wal = Path(self.path + "-wal")
            while not self._stop.wait(_CHECKPOINT_INTERVAL_SECONDS):
                big = wal.exists() and wal.stat().st_size > _WAL_TRUNCATE_BYTES
                # Busy: the next round will do it.
                with contextlib.suppress(sqlite3.OperationalError):
                    conn.execute(f"PRAGMA wal_checkpoint({'TRUNCATE' if big else 'PASSIVE'})")
        finally:
            conn.close()

    def read_now(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run a read-only function; in WAL mode readers never wait for the writer."""
        return fn(self.conn)

    async def write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` in an IMMEDIATE transaction; its changes commit if it returns and are
        rolled back if it raises (the exception is re-raised here).

        ``fn`` must not await: it runs without yielding, so no other coroutine of this process
        can interleave with it. Writes requested in the same turn of the event loop share one
        transaction (group commit), each inside its own savepoint so that one failing leaves
        the others intact: the commit, not the statements, is what costs (measured: BEGIN and
        COMMIT were 95 of the 170 µs of a createTask). The caller resumes once the commit is
        durable.
        """
        if self._closed:
            # As sqlite3 says it, but now: queued, it would wait for a flush that cannot run.
            raise sqlite3.ProgrammingError("Cannot operate on a closed database.")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._pending.append((fn, future))
        if not self._flush_scheduled:
            self._flush_scheduled = True
            loop.call_soon(self._flush, loop, time.monotonic())
        return cast(T, await future)

    def _flush(self, loop: asyncio.AbstractEventLoop, first_try: float) -> None:
        batch = [(fn, fut) for fn, fut in self._pending if not fut.cancelled()]
        self._pending = []
        self._flush_scheduled = False
        if not batch:
            return
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            # Any error settles the batch: closed meanwhile (a ProgrammingError) or not, an
            # error escaping this callback would leave its writers waiting forever (a worker
            # handing its task back at shutdown held a whole test run that way).
            busy = isinstance(exc, sqlite3.OperationalError) and _is_busy(exc)
            if busy and time.monotonic() - first_try < _BUSY_GIVE_UP_SECONDS:
                # Another process writes: try again shortly, without blocking the loop.
                self._pending[:0] = batch
                self._flush_scheduled = True
                loop.call_later(0.005, self._flush, loop, first_try)
            else:
                for _, fut in batch:
                    _settle(fut, None, exc)
            return
        if len(batch) == 1:
            outcomes = [self._run_alone(batch[0][0])]
        else:
            outcomes = [self._run_in_savepoint(fn) for fn, _ in batch]
        if self.conn.in_transaction:
            try:
                self.conn.execute("COMMIT")
            except sqlite3.Error as exc:
                with contextlib.suppress(sqlite3.Error):
                    self.conn.execute("ROLLBACK")
                outcomes = [(None, exc)] * len(batch)
        for (_, fut), (result, error) in zip(batch, outcomes, strict=True):
            _settle(fut, result, error)

    def _run_alone(
        self, fn: Callable[[sqlite3.Connection], Any]
    ) -> tuple[Any, BaseException | None]:
        try:
            return fn(self.conn), None
        except Exception as exc:
            self.conn.execute("ROLLBACK")
            return None, exc

    def _run_in_savepoint(
        self, fn: Callable[[sqlite3.Connection], Any]
    ) -> tuple[Any, BaseException | None]:
        self.conn.execute("SAVEPOINT write")
        try:
            result = fn(self.conn)
        except Exception as exc:
            self.conn.execute("ROLLBACK TO write")
            self.conn.execute("RELEASE write")
            return None, exc
        self.conn.execute("RELEASE write")
        return result, None


    def _transaction(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = fn(conn)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return result

    @property
    def conn_closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        if self._checkpointer is not None:
            self._checkpointer.join(timeout=5)
        with contextlib.suppress(sqlite3.Error):
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.conn.close()


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.done():
        return  # cancelled while its transaction ran; it committed all the same
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text

