"""Task-record retention (tasks/retention.py says what goes and what stays) in memory: old
finished tasks go in bounded batches with the rows that exist only for them, their usage folded
into ``usage_days`` first; the ledger and result files stay."""

from __future__ import annotations

from imagegate.tasks.memory.database import MemoryDatabase
from imagegate.tasks.memory.rows import TaskRow
from imagegate.tasks.state import TERMINAL_STATES


class MemoryTaskRetention:
    """Deletes old finished tasks."""

    def __init__(self, db: MemoryDatabase) -> None:
        self.db = db

    def _kept_for_others(self, row: TaskRow) -> bool:
        """A callback still pending holds its task's record; so does a key's total cap (the
        cap sums the key's tasks, so deleting them would refill it) while the key lives."""
        callback = self.db.callbacks.get(row.id)
        if callback is not None and callback.state == "pending":
            return True
        return row.key_id is not None and any(
            key.spend_key == row.key_id and key.caps.total_milli is not None
            and key.revoked_at is None
            for key in self.db.keys.values()
        )

    async def delete_batch(self, before: int, limit: int) -> int:
        """Delete up to ``limit`` finished tasks created before ``before`` (epoch ms), and
        their own rows, in one step; how many tasks were deleted."""
        doomed: list[TaskRow] = []
        for row in self.db.tasks.values():
            if len(doomed) >= limit:
                break
            if (row.create_time < before and row.state in TERMINAL_STATES
                    and not self._kept_for_others(row)):
                doomed.append(row)
        for row in doomed:
            # Their usage outlives them (accounts/usage.py): added up before they go.
            self.db.fold_usage(row)
            self.db.delete_task(row)
        return len(doomed)
