"""worker/identity.py: a worker's id is the same on every start of one server and distinct
for processes running at once; a start takes back its previous life's leases, unless the
workers registry shows a live process under that id."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from imagegate.backend import open_memory
from imagegate.clock import now_ms
from imagegate.tasks.lifecycle import Lifecycle
from imagegate.tasks.model import NewTask
from imagegate.tasks.state import TaskState
from imagegate.tasks.workers_registry import WorkerRow
from imagegate.wire.surfaces import Surface
from imagegate.worker.identity import IdentityTaken, claim_identity, derived_base, recover


def test_a_restart_gets_the_same_id_and_a_second_process_another(tmp_path: Path) -> None:
    first = claim_identity(tmp_path, host="box")
    second = claim_identity(tmp_path, host="box")  # running at the same time
    assert first.id != second.id
    assert first.id.endswith("-0") and second.id.endswith("-1")
    first.close()  # the first process ends (a SIGKILL closes its files as well)
    again = claim_identity(tmp_path, host="box")
    assert again.id == first.id
    for identity in (second, again):
        identity.close()


def test_the_lock_is_let_go_when_the_process_dies(tmp_path: Path) -> None:
    """Another process holds slot 0 and is killed: the next claim here gets slot 0's id."""
    script = (
        "import sys, time; from pathlib import Path;"
        "from imagegate.worker.identity import claim_identity;"
        "i = claim_identity(Path(sys.argv[1]), host='box'); print(i.id, flush=True);"
        "time.sleep(60)"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script, str(tmp_path)], stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    try:
        assert child.stdout is not None
        held = child.stdout.readline().strip()
        while_alive = claim_identity(tmp_path, host="box")
        assert while_alive.id != held
        child.kill()
        child.wait(timeout=10)
        after = claim_identity(tmp_path, host="box")
        assert after.id == held
        after.close()
        while_alive.close()
    finally:
        child.kill()
        child.wait(timeout=10)


def test_ids_fit_the_registry_and_tell_hosts_and_directories_apart(tmp_path: Path) -> None:
    pods = [f"imagegate-worker-7d9f8c6b5-{suffix}" for suffix in ("abcde", "fghij")]
    bases = {derived_base(host, tmp_path) for host in pods}
    bases.add(derived_base(pods[0], tmp_path / "other"))
    assert len(bases) == 3
    identity = claim_identity(tmp_path, host="a" * 300 + "!")
    assert len(identity.id) <= 32 and identity.id.startswith("a" * 16 + "-")
    identity.close()


def test_an_explicit_id_runs_once_per_host(tmp_path: Path) -> None:
    named = claim_identity(tmp_path, "gpu-0", host="box")
    assert named.id == "gpu-0"
    with pytest.raises(IdentityTaken, match=r"'gpu-0'.*in use by another process"):
        claim_identity(tmp_path, "gpu-0", host="box")
    named.close()
    claim_identity(tmp_path, "gpu-0", host="box").close()


async def leased_task(lifecycle: Lifecycle, owner: str) -> str:
    """A task claimed by ``owner`` with a lease far from expiry."""
    store = lifecycle.store
    account = await store.create_account(  # type: ignore[attr-defined]
        name="a", key_hash=f"h-{owner}", key_prefix="ig_x", credits_milli=10_000
    )
    await store.create_task(NewTask(
        id=f"t-{owner}", account_id=account.id, model="google/nano-banana", param="{}",
        input={}, callback_url=None, price_milli=1000, surface=Surface.JOBS,
    ))
    claimed = await store.claim(owner, 600_000)
    assert claimed is not None
    return claimed.id


def registry_row(worker_id: str, host: str, pid: int) -> WorkerRow:
    return WorkerRow(worker_id, host, pid, None, 4, started_at=now_ms(), seen_at=0)


@pytest.mark.parametrize(
    ("host", "pid", "taken_back"),
    [
        ("box", 2**22 + 12345, True),  # this host, a pid that no longer runs: the dead life
        ("box", os.getpid(), True),  # a container's restart reuses its pid: still us
        ("box", os.getppid(), False),  # this host, a live process: not ours to take
        ("elsewhere", 1, False),  # another host beat moments ago: nobody here can tell
    ],
    # Named, not numbered by the pids: each pytest-xdist process collects the same ids.
    ids=["dead-pid", "own-pid", "live-pid", "other-host"],
)
async def test_a_start_takes_back_its_leases_unless_a_live_process_may_hold_them(
    tmp_path: Path, host: str, pid: int, taken_back: bool
) -> None:
    backend = open_memory()
    lifecycle = Lifecycle(backend.store)
    identity = claim_identity(tmp_path, "w-0", host="box")
    task_id = await leased_task(lifecycle, "w-0")
    other = await leased_task(lifecycle, "w-1")
    await backend.workers.beat(registry_row("w-0", host, pid))
    released = await recover(identity, lifecycle, backend.workers, interval=5.0)
    assert released == ([task_id] if taken_back else [])
    task = await backend.store.get_task(task_id)
    assert task is not None
    assert task.state is (TaskState.WAITING if taken_back else TaskState.QUEUING)
    # The previous life's registry row goes with its leases; a live one's stays.
    rows = [r.id for r in await backend.workers.seen_since(0)]
    assert ("w-0" in rows) is not taken_back
    assert (await backend.store.get_task(other)).state is TaskState.QUEUING  # type: ignore[union-attr]
    identity.close()


async def test_a_first_start_has_nothing_to_take_back(tmp_path: Path) -> None:
    backend = open_memory()
    identity = claim_identity(tmp_path, host="box")
    assert await recover(identity, Lifecycle(backend.store), backend.workers, 5.0) == []
    identity.close()
