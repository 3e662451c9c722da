"""A task's ``Cancel-After`` deadline and ``X-Result-Retention`` (issue 22 points 3 and 5).

``tasks.cancel_at``: epoch ms after which a task not finished is cancelled (and refunded);
``ix_tasks_cancel_at`` holds only the live tasks that have one, so the sweep reads the due ones
without touching the history. ``tasks.result_retention_ms``: how long its result files are
kept, when the request asked for less than the operator's setting. Both null for every task
before this revision (none asked).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_LIVE_WITH_DEADLINE = sa.text(
    "cancel_at IS NOT NULL AND state IN ('waiting', 'queuing', 'generating')"
)


def upgrade() -> None:
    op.add_column("tasks", sa.Column("cancel_at", sa.BigInteger, nullable=True))
    op.add_column("tasks", sa.Column("result_retention_ms", sa.BigInteger, nullable=True))
    op.create_index(
        "ix_tasks_cancel_at", "tasks", ["cancel_at"],
        sqlite_where=_LIVE_WITH_DEADLINE, postgresql_where=_LIVE_WITH_DEADLINE,
    )


def downgrade() -> None:
    op.drop_index("ix_tasks_cancel_at", table_name="tasks")
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("result_retention_ms")
        batch.drop_column("cancel_at")
