"""Makers and their capabilities.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "maker",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("zip", sa.String(length=5), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("min_order", sa.Integer(), nullable=True),
        sa.Column("max_order", sa.Integer(), nullable=True),
        sa.Column("lead_time_days", sa.Integer(), nullable=True),
        sa.Column("website", sa.String(length=500), nullable=True),
        sa.Column("notes", sa.String(length=2000), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=False, server_default="en"),
        sa.Column("status", sa.String(length=16), nullable=False, server_default="active"),
        sa.Column("alerts_opt_out", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("paused_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("invited_count", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("replied_count", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("yes_count", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("delivered_count", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("median_reply_seconds", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('active', 'paused', 'stopped')", name="ck_maker_status"),
    )
    op.create_index("ix_maker_phone", "maker", ["phone"], unique=True)
    op.create_index("ix_maker_zip", "maker", ["zip"])
    op.create_index("ix_maker_status", "maker", ["status"])
    op.create_table(
        "maker_capability",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("maker_id", sa.Integer(), sa.ForeignKey("maker.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("phrase", sa.String(length=300), nullable=False),
        sa.Column("concepts", sa.String(length=1000), nullable=False, server_default=""),
    )
    op.create_index("ix_maker_capability_maker_id", "maker_capability", ["maker_id"])


def downgrade() -> None:
    op.drop_index("ix_maker_capability_maker_id", table_name="maker_capability")
    op.drop_table("maker_capability")
    op.drop_index("ix_maker_status", table_name="maker")
    op.drop_index("ix_maker_zip", table_name="maker")
    op.drop_index("ix_maker_phone", table_name="maker")
    op.drop_table("maker")
