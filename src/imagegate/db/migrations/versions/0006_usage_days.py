"""``usage_days``: the usage of the tasks that retention deleted, per account, model and day.

Before it, ``GET /api/v1/usage`` read the tasks alone, so the days past
``task_retention_days`` lost their totals when the janitor deleted their tasks. The janitor
now adds the tasks it deletes to this table in the same transaction, and usage reads both.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "usage_days",
        sa.Column("account_id", sa.String(32), primary_key=True),
        sa.Column("day", sa.BigInteger, primary_key=True),
        sa.Column("model", sa.String(100), primary_key=True),
        sa.Column("tasks", sa.BigInteger, nullable=False),
        sa.Column("succeeded", sa.BigInteger, nullable=False),
        sa.Column("failed", sa.BigInteger, nullable=False),
        sa.Column("credits_milli", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("usage_days")
