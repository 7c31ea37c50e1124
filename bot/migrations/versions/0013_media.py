"""Pictures and drawings (bot/media.py): a table of the files kept with requests and makers' answers, the picture
an outbound message carries, and whether a maker's number takes MMS.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "media",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("content_type", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sender", sa.String(length=8), nullable=False),
        sa.Column("request_id", sa.Integer(), sa.ForeignKey("request.id", ondelete="CASCADE"), nullable=True),
        sa.Column("invitation_id", sa.Integer(), sa.ForeignKey("invitation.id", ondelete="CASCADE"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("sender IN ('buyer', 'maker')", name="ck_media_sender"),
    )
    op.create_index("ix_media_key", "media", ["key"])
    op.create_index("ix_media_request_id", "media", ["request_id"])
    op.create_index("ix_media_invitation_id", "media", ["invitation_id"])
    op.create_index("ix_media_created_at", "media", ["created_at"])
    with op.batch_alter_table("outbound_message") as batch:
        batch.add_column(sa.Column("media_key", sa.String(length=80), nullable=True))
        batch.add_column(sa.Column("media_as_link", sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table("maker") as batch:
        batch.add_column(sa.Column("mms", sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("maker") as batch:
        batch.drop_column("mms")
    with op.batch_alter_table("outbound_message") as batch:
        batch.drop_column("media_as_link")
        batch.drop_column("media_key")
    op.drop_index("ix_media_created_at", table_name="media")
    op.drop_index("ix_media_invitation_id", table_name="media")
    op.drop_index("ix_media_request_id", table_name="media")
    op.drop_index("ix_media_key", table_name="media")
    op.drop_table("media")
