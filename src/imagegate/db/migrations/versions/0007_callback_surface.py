"""The outbox row names the task's surface and balance instead of holding its body.

``tasks.surface`` keeps the API a task was created through (every earlier task came through
the jobs API). A callback row now keeps that surface and the account's balance right after the
task ended, and the sender renders the body when it sends it, in the surface's shape. ``body``
becomes nullable: the rows written before keep theirs and are sent as they are, so nothing
pending is lost by the upgrade.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-09
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "tasks",
        sa.Column("surface", sa.String(32), nullable=False, server_default=sa.text("'jobs'")),
    )
    op.add_column("callbacks", sa.Column("surface", sa.String(32), nullable=True))
    op.add_column("callbacks", sa.Column("balance_milli", sa.BigInteger, nullable=True))
    # SQLite cannot alter a column: the batch copies the table (its rows and index with it).
    with op.batch_alter_table("callbacks") as batch:
        batch.alter_column("body", existing_type=sa.Text, nullable=True)


def downgrade() -> None:
    # A row rendered at send time has no body to go back to: it is dropped with the columns
    # (delivered or dead ones only matter to the history, which callback_attempts keeps).
    op.execute("DELETE FROM callbacks WHERE body IS NULL")
    with op.batch_alter_table("callbacks") as batch:
        batch.alter_column("body", existing_type=sa.Text, nullable=False)
        batch.drop_column("balance_milli")
        batch.drop_column("surface")
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("surface")
