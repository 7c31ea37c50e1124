"""The organisers' console: one-time login links (kept as hashes, each used once) and the sessions they start.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-14
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_login",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("telegram_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_console_login_token_hash", "console_login", ["token_hash"], unique=True)
    op.create_table(
        "console_session",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("telegram_id", sa.BigInteger(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_why", sa.String(length=32), nullable=True),
    )
    op.create_index("ix_console_session_token_hash", "console_session", ["token_hash"], unique=True)
    op.create_index("ix_console_session_telegram_id", "console_session", ["telegram_id"])


def downgrade() -> None:
    op.drop_index("ix_console_session_telegram_id", table_name="console_session")
    op.drop_index("ix_console_session_token_hash", table_name="console_session")
    op.drop_table("console_session")
    op.drop_index("ix_console_login_token_hash", table_name="console_login")
    op.drop_table("console_login")
