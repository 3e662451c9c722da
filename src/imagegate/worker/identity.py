"""A worker process's identity, stable across its restarts, and taking back at start what a
previous life of it left leased.

A task's lease names the worker that holds it (``lease_owner``). With a random id per process,
the tasks a SIGKILLed process was running could only wait out their lease (30 s by default)
before any worker took them again. With an id that the next start of the same server gets
again, that start knows the tasks are its own and the process that held them is dead, and
hands them back to the queue at once (``recover``).

The id, at most 32 characters (the workers table's column):

- ``IMAGEGATE_WORKER_ID`` when set: the operator names each process of a fleet (a
  StatefulSet's pod name, a systemd unit's instance) and promises each name runs once.
- Otherwise derived: this host's name and the data directory, plus a slot number held by an
  exclusive lock on ``<data dir>/workers/slot-N.lock``. The operating system drops the lock
  when the process dies however it dies, so a restart finds slot 0 free again and gets the
  same id; two processes running at once on one host and data directory (``imagegate worker``
  started twice) lock different slots and so never share an id. A new machine or container
  with another host name starts under a new id, and its predecessor's tasks wait out their
  lease as before.

An explicit id is locked too (``<data dir>/workers/id-<id>.lock``), so a second process on the
same host with the same id refuses to start. Across hosts no lock can tell, so ``recover``
also reads the workers registry and leaves the leases alone while a process of that id on
another host, or another live process on this one, has beaten recently: the leases then
expire as before, and nothing a live process holds is ever taken from it.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Protocol

from imagegate.tasks.workers_registry import STALE_AFTER_BEATS, WorkerRow, Workers

try:
    import fcntl
except ImportError:  # pragma: no cover - not on POSIX: no locks, so a random id every start
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

# How many processes may run on one host and data directory before the slots run out.
MAX_SLOTS = 256


class IdentityTaken(ValueError):
    """Another process on this host holds the explicit worker id (a configuration error)."""


@dataclass
class WorkerIdentity:
    """This process's worker id and the lock that makes it this process's alone; ``close``
    lets it go (a stopped runtime's id is free for the next start)."""

    id: str
    host: str
    lock: IO[bytes] | None = field(default=None, repr=False)

    def close(self) -> None:
        if self.lock is not None:
            self.lock.close()  # closing the file releases its flock
            self.lock = None


def claim_identity(
    data_dir: Path, explicit: str | None = None, host: str | None = None
) -> WorkerIdentity:
    """The id this process runs its worker under (see the module's docstring)."""
    host = (host or socket.gethostname())[:200]  # as the workers registry keeps it
    folder = data_dir / "workers"
    folder.mkdir(parents=True, exist_ok=True)
    if explicit:
        lock = _try_lock(folder / f"id-{explicit}.lock")
        if lock is None and fcntl is not None:
            raise IdentityTaken(
                f"worker id {explicit!r} (IMAGEGATE_WORKER_ID) is in use by another process"
                " on this host; give each process its own"
            )
        return WorkerIdentity(explicit, host, lock)
    if fcntl is None:  # pragma: no cover - see the import
        return WorkerIdentity(os.urandom(6).hex(), host)
    base = derived_base(host, data_dir)
    for slot in range(MAX_SLOTS):
        lock = _try_lock(folder / f"slot-{slot}.lock")
        if lock is not None:
            return WorkerIdentity(f"{base}-{slot}", host, lock)
    raise IdentityTaken(f"more than {MAX_SLOTS} workers run on {data_dir}")


def derived_base(host: str, data_dir: Path) -> str:
    """``<host, shortened>-<hash of host and data dir>``: readable in the workers table, and
    distinct for two hosts whose names begin alike (a Deployment's pods)."""
    digest = hashlib.sha256(f"{host}\0{data_dir.resolve()}".encode()).hexdigest()[:10]
    readable = re.sub(r"[^A-Za-z0-9.-]", "-", host)[:16].strip("-.") or "host"
    return f"{readable}-{digest}"


def _try_lock(path: Path) -> IO[bytes] | None:
    """The file at ``path`` opened and exclusively locked, or None when another open file
    (this process's or another's) holds the lock."""
    if fcntl is None:  # pragma: no cover - see the import
        return None
    handle = open(path, "ab")  # noqa: SIM115 - held open for the life of the identity
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    return handle


class LeaseRecovery(Protocol):
    """What ``recover`` needs of the lifecycle (tasks/lifecycle.py)."""

    async def recover(self, worker_id: str) -> list[str]: ...


async def recover(
    identity: WorkerIdentity, lifecycle: LeaseRecovery, workers: Workers, interval: float
) -> list[str]:
    """Hand back to the queue the tasks a previous life of this identity left leased (their
    ids), unless the registry shows another live process under it; the previous life's row
    in the registry goes with them."""
    since = await workers.now_ms() - int(STALE_AFTER_BEATS * interval * 1000)
    rows = [row for row in await workers.seen_since(since) if row.id == identity.id]
    for row in rows:
        if _maybe_alive(row, identity.host):
            log.warning(
                "worker id %s was seen on %s (pid %d) moments ago: leaving its tasks to expire"
                " rather than take them from a live process (give each process its own"
                " IMAGEGATE_WORKER_ID)", identity.id, row.host, row.pid,
            )
            return []
    released = await lifecycle.recover(identity.id)
    with contextlib.suppress(Exception):  # its row would age out of /readyz anyway
        await workers.remove(identity.id)
    if released:
        log.warning(
            "worker %s: %d task(s) its previous run left leased go back to the queue now: %s",
            identity.id, len(released), ", ".join(released),
        )
    return released


def _maybe_alive(row: WorkerRow, host: str) -> bool:
    """Whether the process of a recent registry row may still run: on another host nobody
    here can tell; on this one, its pid still runs and is not this process."""
    if row.host != host:
        return True
    if row.pid == os.getpid():  # a container's restarts reuse its pids: this is us
        return False
    try:
        os.kill(row.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it runs, under another user
    return True
