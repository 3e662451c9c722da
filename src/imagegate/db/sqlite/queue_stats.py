"""The live queue's counts (tasks/queue_stats.py) on SQLite, and the SQL both databases share."""

from __future__ import annotations

from imagegate.clock import now_ms
from imagegate.db.sqlite.database import SqliteDatabase
from imagegate.tasks.queue_stats import QueueSnapshot

# Each live state in its own query so that each uses its partial index (an IN list would not).
LIVE_STATES = ("waiting", "queuing", "generating")
SQL_COUNT = (
    "SELECT model, COUNT(*) AS n, MIN(create_time) AS oldest FROM tasks WHERE state = '{}'"
    " GROUP BY model"
)

# queuePosition (tasks/queue_stats.py): ``me`` the task while waiting; ``ahead`` its account's
# tasks more urgent than it, two range counts on ix_tasks_waiting_account (a higher priority;
# the same one and older); ``slot`` the account's key it will run in, one offset step on
# ix_tasks_waiting_account_fair; then the queue's keys below that slot, a range count on
# ix_tasks_waiting_fair. No row when the task is not waiting. ``{p}``: the placeholder;
# ``{by_urgency}``, ``{by_key}``: SQLite's INDEXED BY (its planner, without statistics, would
# read the account's whole history for the slot), empty on PostgreSQL.
SQL_POSITION = (
    "WITH me AS (SELECT account_id, priority, create_time, id FROM tasks"
    " WHERE id = {p} AND state = 'waiting'),"
    " ahead AS (SELECT (SELECT COUNT(*) FROM tasks t {by_urgency} WHERE t.state = 'waiting'"
    " AND t.account_id = me.account_id AND t.priority > me.priority)"
    " + (SELECT COUNT(*) FROM tasks t {by_urgency} WHERE t.state = 'waiting'"
    " AND t.account_id = me.account_id AND t.priority = me.priority"
    " AND (t.create_time, t.id) < (me.create_time, me.id)) AS n FROM me),"
    " slot AS (SELECT t.fair_key FROM tasks t {by_key} WHERE t.state = 'waiting'"
    " AND t.account_id = (SELECT account_id FROM me) ORDER BY t.fair_key"
    " LIMIT 1 OFFSET (SELECT n FROM ahead))"
    " SELECT (SELECT COUNT(*) FROM tasks WHERE state = 'waiting' AND fair_key < slot.fair_key)"
    " FROM slot"
)
SQLITE_POSITION = SQL_POSITION.format(
    p="?", by_urgency="INDEXED BY ix_tasks_waiting_account",
    by_key="INDEXED BY ix_tasks_waiting_account_fair",
)


class SqliteQueueStats:
    def __init__(self, db: SqliteDatabase) -> None:
        self.db = db

    async def snapshot(self) -> QueueSnapshot:
        snapshot = QueueSnapshot(now_ms=now_ms())
        for state in LIVE_STATES:
            for row in self.db.conn.execute(SQL_COUNT.format(state)).fetchall():
                snapshot.add(state, str(row["model"]), int(row["n"]), int(row["oldest"]))
        return snapshot

    async def position(self, task_id: str) -> int | None:
        row = self.db.conn.execute(SQLITE_POSITION, (task_id,)).fetchone()
        return None if row is None else int(row[0])
