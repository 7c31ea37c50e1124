"""Buyers know their channel; requests remember when the organisers were told.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("buyer") as batch:
        batch.add_column(sa.Column("channel", sa.String(length=16), nullable=False, server_default="telegram"))
    with op.batch_alter_table("request") as batch:
        batch.add_column(sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("request") as batch:
        batch.drop_column("escalated_at")
    with op.batch_alter_table("buyer") as batch:
        batch.drop_column("channel")
