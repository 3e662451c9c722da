"""An account's webhook signing scheme: ``accounts.webhook_scheme`` (issue 22 point 6).

``kie`` (every account before this revision, and the default): Kie's ``X-Webhook-Timestamp``
and ``X-Webhook-Signature``. ``standard``: Standard Webhooks' ``webhook-id``,
``webhook-timestamp`` and ``webhook-signature`` (wire/standard_webhooks.py).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "accounts",
        sa.Column("webhook_scheme", sa.String(16), nullable=False,
                  server_default=sa.text("'kie'")),
    )


def downgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("webhook_scheme")
