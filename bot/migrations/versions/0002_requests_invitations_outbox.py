"""Buyers, requests, invitations, the outbox, inbound messages, opt-outs and conversations.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "buyer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=True),
        sa.Column("chat_id", sa.BigInteger(), nullable=True),
        sa.Column("name", sa.String(length=200), server_default="", nullable=False),
        sa.Column("username", sa.String(length=64), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("zip", sa.String(length=5), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("language", sa.String(length=16), server_default="en", nullable=False),
        sa.Column("radius_miles", sa.Float(), nullable=True),
        sa.Column("blocked", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("telegram_user_id"),
    )
    op.create_table(
        "channel_pace",
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("next_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("channel"),
    )
    op.create_table(
        "conversation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "address", name="uq_conversation_address"),
    )
    op.create_table(
        "inbound_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("provider_id", sa.String(length=64), nullable=False),
        sa.Column("sender", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "provider_id", name="uq_inbound_message_provider"),
    )
    op.create_table(
        "opt_out",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "address", name="uq_opt_out_address"),
    )
    op.create_table(
        "request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("buyer_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("text", sa.String(length=2000), nullable=False),
        sa.Column("item", sa.String(length=64), nullable=True),
        sa.Column("item_label", sa.String(length=200), nullable=False),
        sa.Column("concepts", sa.String(length=1000), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=True),
        sa.Column("unit", sa.String(length=32), nullable=True),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("urgency", sa.String(length=16), nullable=True),
        sa.Column("zip", sa.String(length=5), nullable=True),
        sa.Column("place_name", sa.String(length=100), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("radius_miles", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="draft", nullable=False),
        sa.Column("quantity_committed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('draft', 'open', 'matched', 'fulfilled', 'cancelled', 'expired')", name="ck_request_status"
        ),
        sa.ForeignKeyConstraint(["buyer_id"], ["buyer.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    with op.batch_alter_table("request", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_request_buyer_id"), ["buyer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_request_status"), ["status"], unique=False)

    op.create_table(
        "invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("maker_id", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("why", sa.String(length=500), nullable=False),
        sa.Column("distance_miles", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="invited", nullable=False),
        sa.Column("quantity_offered", sa.Integer(), nullable=True),
        sa.Column("price_cents", sa.Integer(), nullable=True),
        sa.Column("total_cents", sa.Integer(), nullable=True),
        sa.Column("lead_time_days", sa.Integer(), nullable=True),
        sa.Column("late_days", sa.Integer(), nullable=True),
        sa.Column("answer_text", sa.String(length=1600), nullable=True),
        sa.Column("invited_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('invited', 'declined', 'quoted', 'accepted', 'lost', 'delivered', 'expired')",
            name="ck_invitation_status",
        ),
        sa.ForeignKeyConstraint(["maker_id"], ["maker.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["request_id"], ["request.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("request_id", "maker_id", name="uq_invitation_request_maker"),
    )
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invitation_maker_id"), ["maker_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_invitation_request_id"), ["request_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_invitation_status"), ["status"], unique=False)

    op.create_table(
        "outbound_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("maker_id", sa.Integer(), nullable=True),
        sa.Column("buyer_id", sa.Integer(), nullable=True),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("buttons", sa.Text(), nullable=True),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("lane", sa.String(length=8), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="queued", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("segments", sa.Integer(), server_default="1", nullable=False),
        sa.Column("text_hash", sa.String(length=16), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("provider_id", sa.String(length=64), nullable=True),
        sa.Column("error_code", sa.String(length=32), nullable=True),
        sa.Column("error_reason", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("lane IN ('reply', 'bulk')", name="ck_outbound_message_lane"),
        sa.CheckConstraint(
            "status IN ('queued', 'sending', 'sent', 'delivered', 'failed', 'errored', 'cancelled')",
            name="ck_outbound_message_status",
        ),
        sa.ForeignKeyConstraint(["buyer_id"], ["buyer.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["maker_id"], ["maker.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["request_id"], ["request.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
    )
    with op.batch_alter_table("outbound_message", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbound_message_buyer_id"), ["buyer_id"], unique=False)
        batch_op.create_index(
            "ix_outbound_message_due", ["channel", "status", "lane", "priority", "next_attempt_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_outbound_message_maker_id"), ["maker_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbound_message_provider_id"), ["provider_id"], unique=False)
        batch_op.create_index("ix_outbound_message_recent", ["address", "sent_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbound_message_request_id"), ["request_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbound_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbound_message_request_id"))
        batch_op.drop_index("ix_outbound_message_recent")
        batch_op.drop_index(batch_op.f("ix_outbound_message_provider_id"))
        batch_op.drop_index(batch_op.f("ix_outbound_message_maker_id"))
        batch_op.drop_index("ix_outbound_message_due")
        batch_op.drop_index(batch_op.f("ix_outbound_message_buyer_id"))

    op.drop_table("outbound_message")
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invitation_status"))
        batch_op.drop_index(batch_op.f("ix_invitation_request_id"))
        batch_op.drop_index(batch_op.f("ix_invitation_maker_id"))

    op.drop_table("invitation")
    with op.batch_alter_table("request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_request_status"))
        batch_op.drop_index(batch_op.f("ix_request_buyer_id"))

    op.drop_table("request")
    op.drop_table("opt_out")
    op.drop_table("inbound_message")
    op.drop_table("conversation")
    op.drop_table("channel_pace")
    op.drop_table("buyer")
