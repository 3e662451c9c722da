"""Fair queuing and priorities: ``accounts.fair_clock``, ``tasks.priority`` and
``tasks.fair_key``, and the queue's two partial indexes over waiting tasks.

Tasks that exist keep their order: their fair_key is their create_time.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_WAITING = sa.text("state = 'waiting'")


def upgrade() -> None:
    # Plain ADD COLUMN (with a default, NOT NULL is fine on both databases): no table copy.
    op.add_column(
        "accounts",
        sa.Column("fair_clock", sa.BigInteger(), nullable=False, server_default=sa.text("0")),
    )
    op.add_column(
        "tasks", sa.Column("priority", sa.Integer(), nullable=False, server_default=sa.text("0"))
    )
    op.add_column(
        "tasks",
        sa.Column("fair_key", sa.BigInteger(), nullable=False, server_default=sa.text("0")),
    )
    op.execute("UPDATE tasks SET fair_key = create_time")
    op.drop_index("ix_tasks_state_create", table_name="tasks")
    op.create_index(
        "ix_tasks_waiting_fair", "tasks", ["fair_key"],
        sqlite_where=_WAITING, postgresql_where=_WAITING,
    )
    op.create_index(
        "ix_tasks_waiting_account", "tasks",
        ["account_id", sa.text("priority DESC"), "create_time"],
        sqlite_where=_WAITING, postgresql_where=_WAITING,
    )


def downgrade() -> None:
    op.drop_index("ix_tasks_waiting_account", table_name="tasks")
    op.drop_index("ix_tasks_waiting_fair", table_name="tasks")
    op.create_index("ix_tasks_state_create", "tasks", ["state", "create_time"])
    # One column per batch: alembic's batch mode cannot reorder two at once here.
    for table, column in (("tasks", "fair_key"), ("tasks", "priority"), ("accounts", "fair_clock")):
        with op.batch_alter_table(table) as batch:
            batch.drop_column(column)
