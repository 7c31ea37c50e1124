"""Database tables. Only services change them; see bot/services/."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

MAKER_STATUSES = ("active", "paused", "stopped")


def utcnow() -> datetime:
    return datetime.now(UTC)


def _server_default(value) -> dict:
    return {"server_default": value}


class Maker(SQLModel, table=True):
    """A maker who can be asked to make things: reached by SMS at `phone`."""

    __tablename__ = "maker"
    __table_args__ = (
        sa.CheckConstraint("status IN ('active', 'paused', 'stopped')", name="ck_maker_status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    phone: str = Field(max_length=20, unique=True, index=True)  # E.164, e.g. +13135550100
    zip: str = Field(max_length=5, index=True)
    lat: float | None = None
    lon: float | None = None
    timezone: str | None = Field(default=None, max_length=64)  # IANA zone of the ZIP, for quiet hours
    min_order: int | None = None
    max_order: int | None = None
    lead_time_days: int | None = None
    website: str | None = Field(default=None, max_length=500)
    notes: str | None = Field(default=None, max_length=2000)
    language: str = Field(default="en", max_length=16, sa_column_kwargs=_server_default("en"))
    status: str = Field(  # one of MAKER_STATUSES
        default="active", max_length=16, index=True, sa_column_kwargs=_server_default("active")
    )
    alerts_opt_out: bool = Field(  # broadcasts off; job requests still come
        default=False, sa_column_kwargs=_server_default(sa.false())
    )
    paused_until: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    invited_count: int = Field(default=0, sa_column_kwargs=_server_default("0"))
    replied_count: int = Field(default=0, sa_column_kwargs=_server_default("0"))
    yes_count: int = Field(default=0, sa_column_kwargs=_server_default("0"))
    delivered_count: int = Field(default=0, sa_column_kwargs=_server_default("0"))
    median_reply_seconds: int | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))


class MakerCapability(SQLModel, table=True):
    """One thing a maker says they can make or do, in their words, with the taxonomy ids it names."""

    __tablename__ = "maker_capability"

    id: int | None = Field(default=None, primary_key=True)
    maker_id: int = Field(foreign_key="maker.id", index=True, ondelete="CASCADE")
    position: int = Field(default=0, sa_column_kwargs=_server_default("0"))
    phrase: str = Field(max_length=300)
    # Space-separated taxonomy ids, e.g. "face_shield laser_cutting".
    concepts: str = Field(default="", max_length=1000, sa_column_kwargs=_server_default(""))
