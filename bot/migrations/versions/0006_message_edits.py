"""Messages that edit an earlier one (a broadcast's progress line in the organisers' chat), and when a message
was last claimed for sending (where an uncertain attempt's look-up with the provider starts); an index to find
recent progress lines.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbound_message") as batch:
        batch.add_column(sa.Column("edit_of", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_foreign_key(
            "fk_outbound_message_edit_of_outbound_message",
            "outbound_message",
            ["edit_of"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_index("ix_outbound_message_edit_of", ["edit_of"])
        batch.create_index("ix_outbound_message_purpose", ["purpose", "created_at"])


def downgrade() -> None:
    with op.batch_alter_table("outbound_message") as batch:
        batch.drop_index("ix_outbound_message_purpose")
        batch.drop_index("ix_outbound_message_edit_of")
        batch.drop_constraint("fk_outbound_message_edit_of_outbound_message", type_="foreignkey")
        batch.drop_column("attempted_at")
        batch.drop_column("edit_of")
