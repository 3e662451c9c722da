"""How a task ends in memory: ``finish`` (a claimed task's final state and its result files)
and ``cancel`` (a task not yet running ends now; a generating one is asked to stop), each
with a failure's refund, once, and the task's callback row (its surface and the balance after
the task: the sender renders the body when it sends it), in the same step (the SQLite store's
``finish``, ``cancel`` and ``_after_terminal``)."""

from __future__ import annotations

from imagegate.tasks.cancel import CANCELED, CANCELED_MSG, Cancelled
from imagegate.tasks.memory.database import MemoryDatabase
from imagegate.tasks.memory.rows import CallbackEntry, TaskRow
from imagegate.tasks.model import Task
from imagegate.tasks.state import TaskState, sources
from imagegate.tasks.store import Finish


def finish(
    db: MemoryDatabase, task_id: str, token: int, outcome: Finish, now: int
) -> Task | None:
    """The final state, result files, refund and callback row; None when the lease token is
    stale or the task's state may not move to ``outcome.state``."""
    row = db.tasks.get(task_id)
    if row is None or row.lease_token != token or row.state not in sources(outcome.state):
        return None
    row.end(outcome.state, now)
    row.result_json = outcome.result_json
    row.fail_code = outcome.fail_code
    row.fail_msg = outcome.fail_msg
    if outcome.engine is not None:
        row.engine = outcome.engine
    if outcome.state is TaskState.SUCCESS:
        row.progress = 100
        # A settled hold (Finish.refund_milli): the rest given back, once, like a refund.
        if outcome.refund_milli > 0 and db.add_ledger(
            row.account_id, row.id, "refund", outcome.refund_milli, now
        ):
            row.price_milli -= outcome.refund_milli
            db.credit(row.account_id, outcome.refund_milli)
    db.settle(row)
    for file in outcome.files:
        db.upsert_file(file)
    return _after_terminal(db, row, now)


def cancel(
    db: MemoryDatabase, account_id: str, task_id: str, now: int, msg: str = CANCELED_MSG
) -> Cancelled | None:
    """tasks/cancel.py's two moves: a waiting or queuing task ends now (refunded, its callback
    row queued, its lease token moved on so its worker's next write is refused); a generating
    one gets ``cancel_requested``. None when neither applies."""
    row = db.live.get(task_id)
    if row is None or row.account_id != account_id:
        return None
    if row.state in (TaskState.WAITING, TaskState.QUEUING):
        row.end(TaskState.FAIL, now)
        row.fail_code, row.fail_msg = CANCELED, msg
        row.lease_token += 1
        db.settle(row)
        return Cancelled(_after_terminal(db, row, now), ended=True)
    if row.state is TaskState.GENERATING:
        row.cancel_requested = True
        row.update_time = now
        return Cancelled(row.task(), ended=False)
    return None  # pragma: no cover - live tasks are waiting, queuing or generating


def _after_terminal(db: MemoryDatabase, row: TaskRow, now: int) -> Task:
    # The unique (task, reason) ledger pair makes a second refund impossible.
    if row.state is TaskState.FAIL and row.price_milli and db.add_ledger(
        row.account_id, row.id, "refund", row.price_milli, now
    ):
        db.credit(row.account_id, row.price_milli)
    if row.callback_url and row.id not in db.callbacks and row.task().notifies("completed"):
        # The balance after the refund: the body's ``remainedCredits``, a fact of this moment.
        account = db.accounts.get(row.account_id)
        balance = account.credits_milli if account else 0
        db.callback_ids += 1
        db.callbacks[row.id] = CallbackEntry(
            id=db.callback_ids, task_id=row.id, account_id=row.account_id,
            url=row.callback_url, surface=row.surface, balance_milli=balance,
            next_attempt_at=now, created_at=now,
        )
    return row.task()
