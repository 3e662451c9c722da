"""Operations (issue 9): API keys of their own (several per account, caps, an IP allow-list,
revocation and rotation), the key that created each task, cooperative cancellation, the task
list's index, every callback attempt, and the workers' heartbeats (for ``/readyz``).

Each account's existing key becomes its first row in ``api_keys`` (same hash, same prefix),
so keys in use keep working across the upgrade.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("account_id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("key_prefix", sa.String(16), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("revoked_at", sa.BigInteger(), nullable=True),
        sa.Column("expires_at", sa.BigInteger(), nullable=True),
        sa.Column("hourly_cap_milli", sa.BigInteger(), nullable=True),
        sa.Column("daily_cap_milli", sa.BigInteger(), nullable=True),
        sa.Column("total_cap_milli", sa.BigInteger(), nullable=True),
        sa.Column("ip_allow", sa.Text(), nullable=True),
    )
    op.create_index("ix_api_keys_account", "api_keys", ["account_id"])
    op.execute(
        "INSERT INTO api_keys (id, account_id, name, key_hash, key_prefix, created_at)"
        " SELECT id, id, 'first key', key_hash, key_prefix, created_at FROM accounts"
    )
    op.add_column("tasks", sa.Column("key_id", sa.String(32), nullable=True))
    op.add_column(
        "tasks",
        sa.Column("cancel_requested", sa.Integer(), nullable=False, server_default=sa.text("0")),
    )
    op.create_index("ix_tasks_account_created", "tasks", ["account_id", "create_time"])
    op.create_table(
        "callback_attempts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("task_id", sa.String(64), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
    )
    op.create_index("ix_callback_attempts_task", "callback_attempts", ["task_id", "attempt"])
    op.create_table(
        "workers",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("host", sa.String(200), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("models", sa.Text(), nullable=True),
        sa.Column("concurrency", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.BigInteger(), nullable=False),
        sa.Column("seen_at", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("workers")
    op.drop_index("ix_callback_attempts_task", table_name="callback_attempts")
    op.drop_table("callback_attempts")
    op.drop_index("ix_tasks_account_created", table_name="tasks")
    for column in ("cancel_requested", "key_id"):
        with op.batch_alter_table("tasks") as batch:
            batch.drop_column(column)
    op.drop_index("ix_api_keys_account", table_name="api_keys")
    op.drop_table("api_keys")
