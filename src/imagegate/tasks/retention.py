"""Task-record retention: finished tasks past ``task_retention_days`` are deleted, one bounded
batch per transaction, together with the rows that exist only for them (the callback outbox
row, its delivery attempts, an Idempotency-Key naming them). One class per database; the
janitor (worker/janitor.py) drives it and counts what they delete.

What stays:

- The account's usage: the deleted tasks are added to ``usage_days`` per model and day in the
  transaction that deletes them (usage.py), so ``/api/v1/usage`` reads the same after.
- The credit ledger. It is the accounts' history of charges and refunds; its ``task_id`` is
  plain text with no foreign key (schema.py), so a ledger row outlives its task and still says
  which task it was for.
- Tasks still live (waiting, queuing, generating), whatever their age: they are paid for and
  will run. And a finished task whose callback is still being retried: its delivery would fail
  to find the record it describes, and the operator's view of it would vanish mid-retry.
- The tasks of a key with a total spending cap, while the key is not revoked: the cap sums the
  key's tasks (accounts/caps.py), so deleting them would hand the key its budget again.
- Result files (``files`` rows with a task_id). Each has its own expiry, and the file sweep
  removes the blob before the row; deleting the row here would leave a blob nobody knows of.

Age is counted from the task's creation, not its completion: ``ix_tasks_account_created``
(account_id, create_time) then finds the old rows account by account without a new index on
the tasks table, which every createTask and finish would pay for. Tasks end within minutes of
their creation, so the two clocks differ by far less than a day.
"""

from __future__ import annotations

from typing import Protocol


class TaskRetention(Protocol):
    """Deletes old finished tasks (db/sqlite/retention.py, db/postgres/retention.py)."""

    async def delete_batch(self, before: int, limit: int) -> int:
        """Delete up to ``limit`` finished tasks created before ``before`` (epoch ms), and
        their own rows, in one transaction; how many tasks were deleted."""
        ...
