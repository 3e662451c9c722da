"""A task's ``webhookEvents`` (issue 22 point 6): ``tasks.webhook_events``, the callbacks its
request asked for, comma separated (start, progress, completed); null, as for every task
before this revision, means "completed" alone, Kie's behaviour.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tasks", sa.Column("webhook_events", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("webhook_events")
