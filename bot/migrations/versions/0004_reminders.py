"""Reminders; maker outcomes (on time, ratings, last seen); the buyer's confirmation and rating.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reminder",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False, server_default="pending"),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fired_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'sent', 'cancelled', 'skipped')", name="ck_reminder_status"),
        sa.UniqueConstraint("key"),
    )
    op.create_index("ix_reminder_due", "reminder", ["status", "due_at"])
    with op.batch_alter_table("maker") as batch:
        batch.add_column(sa.Column("on_time_count", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("rating_sum", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("rating_count", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("invitation") as batch:
        batch.add_column(sa.Column("rating", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("buyer_confirmed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("invitation") as batch:
        batch.drop_column("buyer_confirmed_at")
        batch.drop_column("rating")
    with op.batch_alter_table("maker") as batch:
        batch.drop_column("last_seen_at")
        batch.drop_column("rating_count")
        batch.drop_column("rating_sum")
        batch.drop_column("on_time_count")
    op.drop_index("ix_reminder_due", table_name="reminder")
    op.drop_table("reminder")
