"""The in-memory database: every row one backend keeps, in one object that all its memory stores
share, as the SQLite and PostgreSQL stores share one database.

It extends accounts/memory.py's ``AccountRows`` with the tasks' rows: tasks, Idempotency-Keys,
callbacks and their attempts, files, workers, meta rows and the usage that retention folds.
Nothing here awaits, so each store method, written as one run over these rows, is one atomic
step on the event loop, as a transaction is.
"""

from __future__ import annotations

from collections.abc import Iterable

from imagegate.accounts.memory import AccountRows
from imagegate.tasks.files import StoredFile
from imagegate.tasks.memory.rows import CallbackEntry, KeyRow, TaskRow
from imagegate.tasks.outbox import AttemptRow
from imagegate.tasks.state import TERMINAL_STATES
from imagegate.tasks.workers_registry import WorkerRow

DAY_MS = 86_400_000


class MemoryDatabase(AccountRows):
    """Every row of one in-memory backend (db/schema.py's tables, as Python values)."""

    def __init__(self) -> None:
        super().__init__()
        self.tasks: dict[str, TaskRow] = {}
        # The tasks not yet finished: what claims, cancels and the queue's counts look at, so
        # that a long history costs them nothing (the partial indexes of schema.py).
        self.live: dict[str, TaskRow] = {}
        self.fair_clocks: dict[str, int] = {}  # accounts.fair_clock
        self.idempotency: dict[tuple[str, str], KeyRow] = {}
        self.callbacks: dict[str, CallbackEntry] = {}  # by task id (unique, as in the schema)
        self.callback_ids = 0
        self.attempts: dict[str, list[AttemptRow]] = {}  # by task id, oldest first
        self.files: dict[str, StoredFile] = {}
        self.workers: dict[str, WorkerRow] = {}
        self.meta: dict[str, str] = {}
        # (account, day, model) → [tasks, succeeded, failed, credits_milli]
        self.usage_days: dict[tuple[str, int, str], list[int]] = {}

    def charges(self, account_id: str, key_id: str, since: int) -> Iterable[tuple[int, int]]:
        """The key's tasks created since ``since``: (create time, price less its refund)."""
        for row in self.tasks.values():
            if row.account_id == account_id and row.key_id == key_id and (
                row.create_time >= since
            ):
                refund = self.task_ledger.get((row.id, "refund"), 0)
                yield row.create_time, row.price_milli - refund

    def add_task(self, row: TaskRow) -> None:
        self.tasks[row.id] = row
        self.live[row.id] = row

    def settle(self, row: TaskRow) -> None:
        """Take a task that reached a terminal state out of the live ones."""
        if row.state in TERMINAL_STATES:
            self.live.pop(row.id, None)

    def upsert_file(self, file: StoredFile) -> None:
        """Record a file; the same key again (a retried task) replaces its size, type and
        expiry, as the databases' upsert does."""
        old = self.files.get(file.key)
        if old is None:
            self.files[file.key] = file
            return
        self.files[file.key] = StoredFile(
            key=old.key, account_id=old.account_id, kind=old.kind, task_id=old.task_id,
            file_name=old.file_name, mime_type=file.mime_type, size=file.size,
            created_at=old.created_at, expires_at=file.expires_at,
        )

    def fold_usage(self, row: TaskRow) -> None:
        """Add a finished task about to be deleted to ``usage_days`` (accounts/usage.py): a
        failed task was refunded, so it costs nothing."""
        day = (row.create_time // DAY_MS) * DAY_MS
        into = self.usage_days.setdefault((row.account_id, day, row.model), [0, 0, 0, 0])
        failed = row.state.value == "fail"
        into[0] += 1
        into[1] += row.state.value == "success"
        into[2] += failed
        into[3] += 0 if failed else row.price_milli

    def delete_task(self, row: TaskRow) -> None:
        """A task and the rows that exist only for it: its callback, the callback's attempts,
        an Idempotency-Key naming it (retention; the ledger and files stay)."""
        self.tasks.pop(row.id, None)
        self.live.pop(row.id, None)
        self.callbacks.pop(row.id, None)
        self.attempts.pop(row.id, None)
        for ident, key in list(self.idempotency.items()):
            if ident[0] == row.account_id and key.task_id == row.id:
                del self.idempotency[ident]
