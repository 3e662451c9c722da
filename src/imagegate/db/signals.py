"""What the processes sharing a database signal each other, by name: its channels and the
tasks channel's payload. No database code here, so that what only names a channel (the
runtime, a SQLite server) does not import a database driver."""

from __future__ import annotations

# A new task is waiting: its model and how many were created, so every worker process of the
# fleet that serves that model wakes at once (``wake_payload``).
TASKS_CHANNEL = "imagegate_tasks"
# An upstream provider called back for one of its tasks ("provider upstream_id"): the process
# whose engine follows that task wakes it, whichever API process the callback reached.
UPSTREAM_CHANNEL = "imagegate_upstream"

# A task's row changed ("id id id..."): every API process wakes its live event streams of those
# tasks, which re-read them (tasks/watch.py).
TASK_EVENTS_CHANNEL = "imagegate_task_events"

POSTGRES_SCHEMES = ("postgresql://", "postgres://", "postgresql+asyncpg://")


def is_postgres_url(url: str) -> bool:
    """Whether ``url`` names a PostgreSQL database (the fleet's backend)."""
    return url.startswith(POSTGRES_SCHEMES)


def wake_payload(payload: str) -> tuple[str, int]:
    """A signal on the tasks channel: the model and how many of its tasks were created."""
    model, _, count = payload.partition(" ")
    return model, int(count) if count.isdigit() else 1
