"""What a buyer prefers of a maker ("green", "makerspace", "made-in-detroit"), kept with the request: the words from
their text or the preference button, and those said with "only", so every later matching run (sending the draft,
widening, replacing a silent maker) ranks and keeps makers by them. Existing requests prefer nothing.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("request") as batch:
        batch.add_column(sa.Column("preferences", sa.String(length=300), nullable=False, server_default=""))
        batch.add_column(sa.Column("preferences_only", sa.String(length=300), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("request") as batch:
        batch.drop_column("preferences_only")
        batch.drop_column("preferences")
