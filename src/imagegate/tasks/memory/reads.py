"""The operator's reads in memory: the dashboard's (tasks/overview.py's ``Overview``) and the
live queue's counts (tasks/queue_stats.py's ``QueueStats``), as db/sqlite/overview.py and
db/sqlite/queue_stats.py compute them."""

from __future__ import annotations

from imagegate.clock import now_ms
from imagegate.tasks.memory.database import MemoryDatabase
from imagegate.tasks.memory.rows import CallbackEntry
from imagegate.tasks.overview import CallbackFailure, ModelWindow, RecentFailure, id_floor
from imagegate.tasks.queue_stats import QueueSnapshot
from imagegate.tasks.state import TaskState

# The live states, each counted on its own (their order in a snapshot).
LIVE_STATES = (TaskState.WAITING, TaskState.QUEUING, TaskState.GENERATING)


class MemoryOverview:
    """Throughput and failures per model since a time, and the callbacks that fail."""

    def __init__(self, db: MemoryDatabase) -> None:
        self.db = db

    async def window(self, since_ms: int) -> list[ModelWindow]:
        """Each model's tasks created since ``since_ms`` (ids start with their creation
        time), by outcome so far."""
        floor = id_floor(since_ms)
        by_model: dict[str, list[int]] = {}
        costs: dict[str, list[int]] = {}
        for row in self.db.tasks.values():
            if row.id < floor:
                continue
            into = by_model.setdefault(row.model, [0, 0, 0])
            into[0] += 1
            into[1] += row.state is TaskState.SUCCESS
            into[2] += row.state is TaskState.FAIL
            if row.state is TaskState.SUCCESS and row.cost_time is not None:
                costs.setdefault(row.model, []).append(row.cost_time)
        return [
            ModelWindow(
                model=model, created=created, succeeded=succeeded, failed=failed,
                avg_cost_ms=round(sum(costs[model]) / len(costs[model]))
                if model in costs else None,
            )
            for model, (created, succeeded, failed) in sorted(by_model.items())
        ]

    async def failures(self, since_ms: int, limit: int) -> list[RecentFailure]:
        """The newest failed tasks created since ``since_ms``."""
        floor = id_floor(since_ms)
        failed = sorted(
            (row for row in self.db.tasks.values()
             if row.id >= floor and row.state is TaskState.FAIL),
            key=lambda row: row.id, reverse=True,
        )
        return [
            RecentFailure(
                task_id=row.id, account_id=row.account_id, model=row.model,
                fail_code=row.fail_code, fail_msg=row.fail_msg, engine=row.engine,
                failed_at=row.update_time,
            )
            for row in failed[:limit]
        ]

    async def callback_failures(self, limit: int) -> list[CallbackFailure]:
        """Dead callbacks (newest first), then those still retrying after a failure."""
        entries = self.db.callbacks.values()
        dead = sorted((e for e in entries if e.state == "dead"),
                      key=lambda e: e.next_attempt_at, reverse=True)[:limit]
        retrying = sorted((e for e in entries if e.state == "pending" and e.attempts > 0),
                          key=lambda e: e.next_attempt_at)[:limit]
        return [_failure(entry) for entry in [*dead, *retrying][:limit]]


def _failure(entry: CallbackEntry) -> CallbackFailure:
    return CallbackFailure(
        task_id=entry.task_id, account_id=entry.account_id, url=entry.url, state=entry.state,
        attempts=entry.attempts, last_status=entry.last_status, last_error=entry.last_error,
        next_attempt_at=entry.next_attempt_at,
    )


class MemoryQueueStats:
    """The live tasks by state and model, and each model's oldest waiting task."""

    def __init__(self, db: MemoryDatabase) -> None:
        self.db = db

    async def snapshot(self) -> QueueSnapshot:
        snapshot = QueueSnapshot(now_ms=now_ms())
        for state in LIVE_STATES:
            groups: dict[str, tuple[int, int]] = {}
            for row in self.db.live.values():
                if row.state is state:
                    count, oldest = groups.get(row.model, (0, row.create_time))
                    groups[row.model] = (count + 1, min(oldest, row.create_time))
            for model, (count, oldest) in sorted(groups.items()):
                snapshot.add(state.value, model, count, oldest)
        return snapshot

    async def position(self, task_id: str) -> int | None:
        """The formula of tasks/queue_stats.py over the rows, as the SQL stores count it."""
        me = self.db.live.get(task_id)
        if me is None or me.state is not TaskState.WAITING:
            return None
        waiting = [row for row in self.db.live.values() if row.state is TaskState.WAITING]
        mine = [row for row in waiting if row.account_id == me.account_id]
        urgency = (-me.priority, me.create_time, me.id)
        ahead = sum(1 for row in mine if (-row.priority, row.create_time, row.id) < urgency)
        slot = sorted(row.fair_key for row in mine)[ahead]
        return sum(1 for row in waiting if row.fair_key < slot)
