"""Broadcasts, the admin action log, and which broadcast a message belongs to.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "broadcast",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("audience", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False, server_default="draft"),
        sa.Column("recipients", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('draft', 'sending', 'sent', 'cancelled')", name="ck_broadcast_status"),
    )
    op.create_table(
        "admin_action",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.String(length=1000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("outbound_message") as batch:
        batch.add_column(sa.Column("broadcast_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_outbound_message_broadcast_id_broadcast", "broadcast", ["broadcast_id"], ["id"], ondelete="SET NULL"
        )
        batch.create_index("ix_outbound_message_broadcast_id", ["broadcast_id"])


def downgrade() -> None:
    with op.batch_alter_table("outbound_message") as batch:
        batch.drop_index("ix_outbound_message_broadcast_id")
        batch.drop_constraint("fk_outbound_message_broadcast_id_broadcast", type_="foreignkey")
        batch.drop_column("broadcast_id")
    op.drop_table("admin_action")
    op.drop_table("broadcast")
