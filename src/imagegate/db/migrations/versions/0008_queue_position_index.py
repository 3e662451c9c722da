"""An account's waiting tasks by fair key: ``ix_tasks_waiting_account_fair``.

``queuePosition`` (tasks/queue_stats.py) needs the fair key of the slot a waiting task will run
in: its account's n-th smallest waiting key, where n is how many of the account's tasks are
ahead of it by priority and age. The index makes that one step of ``LIMIT 1 OFFSET n`` over
the account's own waiting tasks instead of a sort of its whole backlog on every poll.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_WAITING = sa.text("state = 'waiting'")


def upgrade() -> None:
    op.create_index(
        "ix_tasks_waiting_account_fair", "tasks", ["account_id", "fair_key"],
        sqlite_where=_WAITING, postgresql_where=_WAITING,
    )


def downgrade() -> None:
    op.drop_index("ix_tasks_waiting_account_fair", table_name="tasks")
