"""A server killed with SIGKILL mid-task takes its tasks back as soon as it starts again, not
after their leases run out (issue 20, point 9); a second server on the same data directory,
alive all along, keeps the tasks it runs."""

from __future__ import annotations

import time
from typing import Any

import pytest

pytestmark = pytest.mark.acceptance

LEASE_SECONDS = 30  # the default: without the recovery, the killed tasks would wait this long
ENV = {
    "IMAGEGATE_LEASE_SECONDS": str(LEASE_SECONDS),
    "IMAGEGATE_MOCK_LATENCY": "2",
    "IMAGEGATE_WORKER_CONCURRENCY": "3",
}
TASK = {"model": "google/nano-banana", "input": {"prompt": "a lighthouse"}}  # 4 credits


def rows(db: Any, server: Any) -> dict[str, tuple[Any, ...]]:
    """Each task's (state, lease owner, attempts)."""
    found = db(server.db_path, "SELECT id, state, lease_owner, attempts FROM tasks")
    return {task_id: rest for task_id, *rest in found}


def test_a_sigkilled_server_takes_its_tasks_back_at_once_on_restart(
    servers: Any, make_api: Any, db: Any, free_port: Any
) -> None:
    port = free_port()
    killed = servers.start(port=port, env=ENV)
    key = killed.printed_key()
    assert key
    # Another server on the same data directory: a process alive all along, with its own id.
    other = servers.start(data_dir=killed.data_dir, env=ENV)
    api = make_api(killed, key)
    try:
        task_ids = [api.create_ok(TASK) for _ in range(6)]
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            now = rows(db, killed)
            if all(now[t][0] == "generating" for t in task_ids):
                break
            time.sleep(0.05)
        owners = {now[t][1] for t in task_ids}
        assert len(owners) == 2 and all(now[t][0] == "generating" for t in task_ids), now
    finally:
        api.close()

    killed.sigkill()
    assert killed.proc.returncode == -9
    before = rows(db, killed)
    restart_began = time.monotonic()
    restarted = servers.start(data_dir=killed.data_dir, port=port, env=ENV)
    api = make_api(restarted, key)
    try:
        done = {t: api.wait_state(t, timeout=LEASE_SECONDS / 2) for t in task_ids}
    finally:
        api.close()
    recovered_in = time.monotonic() - restart_began
    after = rows(db, restarted)
    assert all(d["state"] == "success" for d in done.values()), done
    # Every task finished well within the lease it was claimed with: none waited it out.
    assert recovered_in < LEASE_SECONDS / 2, f"{recovered_in:.1f} s"
    again = [t for t in task_ids if after[t][2] == 2]
    kept = [t for t in task_ids if after[t][2] == 1]
    assert len(again) == 3 and len(kept) == 3, after
    # The restarted server runs under the id its previous life had (the workers table names
    # each process's), and took back exactly that life's tasks; the live server's tasks ran
    # once, under its own id.
    ids = dict(db(restarted.db_path, "SELECT pid, id FROM workers"))
    restarted_id, other_id = ids[restarted.proc.pid], ids[other.proc.pid]
    assert owners == {restarted_id, other_id}
    assert {before[t][1] for t in again} == {restarted_id}
    assert {before[t][1] for t in kept} == {other_id}
    log = restarted.output()
    assert f"worker {restarted_id}: 3 task(s) its previous run left leased" in log, log
    ledger = db(restarted.db_path, "SELECT COUNT(*) FROM credit_ledger WHERE reason = 'debit'")
    assert ledger == [(6,)]  # charged once each
    other.stop()
