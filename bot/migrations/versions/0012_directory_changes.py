"""A change counter for the maker directory: every process's directory follows the makers that changed since the
counter value it last saw, instead of comparing clocks (bot/maker_changes.py).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "directory_version",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
    )
    op.execute(f"INSERT INTO directory_version (id, seq, token) VALUES (1, 0, '{uuid.uuid4().hex}')")
    op.create_table(
        "maker_change",
        sa.Column("maker_id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_maker_change_seq", "maker_change", ["seq"])


def downgrade() -> None:
    op.drop_index("ix_maker_change_seq", table_name="maker_change")
    op.drop_table("maker_change")
    op.drop_table("directory_version")
