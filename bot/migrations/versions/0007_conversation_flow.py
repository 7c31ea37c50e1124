"""Conversations are keyed by channel, address and flow. The broadcast wizard used to keep its row under a made-up
channel ("admin:telegram") with its step inside the data; it moves to the organiser's real channel, flow
"broadcast", with the step as its state, so a broadcast being composed during the upgrade carries on.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

WIZARD_PREFIX = "admin:"
conversation = sa.table(
    "conversation",
    sa.column("id", sa.Integer),
    sa.column("channel", sa.String),
    sa.column("flow", sa.String),
    sa.column("state", sa.String),
    sa.column("data", sa.Text),
)


def upgrade() -> None:
    with op.batch_alter_table("conversation") as batch:
        batch.add_column(sa.Column("flow", sa.String(length=32), nullable=True))
        # Dropped before the wizard's rows move: on its old key an organiser's wizard row and their request
        # draft would collide.
        batch.drop_constraint("uq_conversation_address", type_="unique")
    bind = op.get_bind()
    wizard_rows = bind.execute(
        sa.select(conversation.c.id, conversation.c.channel, conversation.c.data).where(
            conversation.c.channel.like(f"{WIZARD_PREFIX}%")
        )
    ).all()
    for row_id, channel, raw in wizard_rows:
        data = json.loads(raw or "{}")
        step = data.pop("step", None) or "to"  # every wizard row had a step; "to" starts over if one did not
        op.execute(
            conversation.update()
            .where(conversation.c.id == row_id)
            .values(
                channel=channel.removeprefix(WIZARD_PREFIX),
                flow="broadcast",
                state=step,
                data=json.dumps(data, ensure_ascii=False),
            )
        )
    op.execute(
        conversation.update()
        .where(conversation.c.flow.is_(None), conversation.c.channel == "sms")
        .values(flow="sms_inbox")
    )
    op.execute(conversation.update().where(conversation.c.flow.is_(None)).values(flow="buyer_chat"))
    with op.batch_alter_table("conversation") as batch:
        batch.alter_column("flow", existing_type=sa.String(length=32), nullable=False)
        batch.create_unique_constraint("uq_conversation_flow", ["channel", "address", "flow"])


def downgrade() -> None:
    bind = op.get_bind()
    wizard_rows = bind.execute(
        sa.select(conversation.c.id, conversation.c.channel, conversation.c.state, conversation.c.data).where(
            conversation.c.flow == "broadcast"
        )
    ).all()
    for row_id, channel, state, raw in wizard_rows:
        data = {**json.loads(raw or "{}"), "step": state}
        op.execute(
            conversation.update()
            .where(conversation.c.id == row_id)
            .values(channel=f"{WIZARD_PREFIX}{channel}"[:16], state="broadcast", data=json.dumps(data))
        )
    with op.batch_alter_table("conversation") as batch:
        batch.drop_constraint("uq_conversation_flow", type_="unique")
        batch.drop_column("flow")
        batch.create_unique_constraint("uq_conversation_address", ["channel", "address"])
