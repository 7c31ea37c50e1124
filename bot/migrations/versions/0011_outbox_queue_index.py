"""An index of the messages waiting to go, in the order a claim takes them (channel, lane, priority, due time, id),
holding only waiting rows: a claim reads its batch off it without sorting the whole queue.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

WAITING = sa.text("status IN ('queued', 'errored')")


def upgrade() -> None:
    op.create_index(
        "ix_outbound_message_queue",
        "outbound_message",
        ["channel", "lane", "priority", "next_attempt_at", "id"],
        sqlite_where=WAITING,
        postgresql_where=WAITING,
    )


def downgrade() -> None:
    op.drop_index("ix_outbound_message_queue", table_name="outbound_message")
