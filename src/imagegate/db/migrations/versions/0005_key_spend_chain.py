"""A rotated key keeps spending against its predecessor's caps: ``api_keys.spend_key_id``.

A rotation made a new key with the old one's caps but an empty record of spend, so a key's
total cap started again from zero at each rotation, and during the grace the old and the new
key each had a whole hourly and daily cap. The new key now names the first key of its rotation
chain, and its tasks are counted under that id (``tasks.key_id``), as the old key's were.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("api_keys", sa.Column("spend_key_id", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("spend_key_id")
