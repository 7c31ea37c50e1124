"""Who a maker is and what they stand for: a type (business, makerspace, school, cooperative, individual), and
traits — labels organisers give ("Made in Detroit"), greener practices and what the maker teaches or lends.
Existing makers become businesses with no traits.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("maker") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=16), nullable=False, server_default="business"))
        batch.create_check_constraint(
            "ck_maker_kind", "kind IN ('business', 'makerspace', 'school', 'cooperative', 'individual')"
        )
    op.create_table(
        "maker_trait",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("maker_id", sa.Integer(), sa.ForeignKey("maker.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("phrase", sa.String(length=300), nullable=False),
        sa.Column("concepts", sa.String(length=1000), nullable=False, server_default=""),
        sa.CheckConstraint("kind IN ('badge', 'practice', 'training')", name="ck_maker_trait_kind"),
    )
    op.create_index("ix_maker_trait_maker_id", "maker_trait", ["maker_id"])


def downgrade() -> None:
    op.drop_index("ix_maker_trait_maker_id", table_name="maker_trait")
    op.drop_table("maker_trait")
    with op.batch_alter_table("maker") as batch:
        batch.drop_constraint("ck_maker_kind", type_="check")
        batch.drop_column("kind")
