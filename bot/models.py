"""Database tables. Only services change them; see bot/services/."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import overload

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class MakerStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"  # takes no jobs for now (until `paused_until`, if set)
    STOPPED = "stopped"  # said STOP: nothing is sent


MAKER_STATUSES = tuple(s.value for s in MakerStatus)
# Who a maker is (matching.preferences.MAKER_TYPES): a business, a makerspace (community workshop, fab lab), a
# school (training programme, college), a cooperative or an individual.
MAKER_TYPES = ("business", "makerspace", "school", "cooperative", "individual")
# What a maker's traits are: labels organisers give, greener practices and what the maker teaches or lends.
TRAIT_KINDS = ("badge", "practice", "training")


def utcnow() -> datetime:
    return datetime.now(UTC)


def _server_default(value) -> dict:
    return {"server_default": value}


class Maker(SQLModel, table=True):
    """A maker who can be asked to make things: reached by SMS at `phone`."""

    __tablename__ = "maker"
    __table_args__ = (
        sa.CheckConstraint("status IN ('active', 'paused', 'stopped')", name="ck_maker_status"),
        sa.CheckConstraint(
            "kind IN ('business', 'makerspace', 'school', 'cooperative', 'individual')", name="ck_maker_kind"
        ),
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
    on_time_count: int = Field(default=0, sa_column_kwargs=_server_default("0"))  # delivered by the deadline
    rating_sum: int = Field(default=0, sa_column_kwargs=_server_default("0"))  # buyers' 1-5 ratings
    rating_count: int = Field(default=0, sa_column_kwargs=_server_default("0"))
    last_seen_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))  # last SMS from them
    kind: str = Field(default="business", max_length=16, sa_column_kwargs=_server_default("business"))  # MAKER_TYPES
    # Pictures go to this maker as MMS (US numbers only); off after an MMS failed, when they get a link instead.
    mms: bool = Field(default=True, sa_column_kwargs=_server_default(sa.true()))
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))


class MakerTrait(SQLModel, table=True):
    """A label, a greener practice or something a maker teaches or lends, in the giver's words (TRAIT_KINDS)."""

    __tablename__ = "maker_trait"
    __table_args__ = (sa.CheckConstraint("kind IN ('badge', 'practice', 'training')", name="ck_maker_trait_kind"),)

    id: int | None = Field(default=None, primary_key=True)
    maker_id: int = Field(foreign_key="maker.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=16)
    position: int = Field(default=0, sa_column_kwargs=_server_default("0"))
    phrase: str = Field(max_length=300)
    # Space-separated ids: practices' shared vocabulary (matching/practices.py) or the taxonomy's, for training.
    concepts: str = Field(default="", max_length=1000, sa_column_kwargs=_server_default(""))


class MakerCapability(SQLModel, table=True):
    """One thing a maker says they can make or do, in their words, with the taxonomy ids it names."""

    __tablename__ = "maker_capability"

    id: int | None = Field(default=None, primary_key=True)
    maker_id: int = Field(foreign_key="maker.id", index=True, ondelete="CASCADE")
    position: int = Field(default=0, sa_column_kwargs=_server_default("0"))
    phrase: str = Field(max_length=300)
    # Space-separated taxonomy ids, e.g. "face_shield laser_cutting".
    concepts: str = Field(default="", max_length=1000, sa_column_kwargs=_server_default(""))


class DirectoryVersion(SQLModel, table=True):
    """One row: a counter that every transaction changing what the matcher sees of makers raises as it commits
    (bot/maker_changes.py). Its lock orders those transactions, so a process that reads N has seen them all."""

    __tablename__ = "directory_version"

    id: int = Field(default=1, primary_key=True, sa_column_kwargs={"autoincrement": False})
    seq: int = Field(default=0, sa_type=sa.BigInteger)
    token: str = Field(default="", max_length=32)  # random, per database: a saved directory names the one it came from


class MakerChange(SQLModel, table=True):
    """The counter's value when a maker last changed (maker_id 0: the whole directory). No foreign key: the change of
    a maker who was deleted must stay to be seen."""

    __tablename__ = "maker_change"

    maker_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    seq: int = Field(sa_type=sa.BigInteger, index=True)


# A database made from these classes rather than by `makerlink db upgrade` gets the counter's row too.
sa.event.listen(
    DirectoryVersion.__table__,  # type: ignore[attr-defined]
    "after_create",
    sa.DDL(f"INSERT INTO directory_version (id, seq, token) VALUES (1, 0, '{uuid.uuid4().hex}')"),
)


# The lifecycle's statuses, as stored; their enums and moves are in bot/services/orders.py.
REQUEST_STATUSES = ("draft", "open", "matched", "fulfilled", "cancelled", "expired")
INVITATION_STATUSES = ("invited", "declined", "quoted", "accepted", "lost", "delivered", "expired")


class MessageStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    ERRORED = "errored"  # will be retried
    CANCELLED = "cancelled"


MESSAGE_STATUSES = tuple(s.value for s in MessageStatus)
# The messages waiting to be claimed: the predicate of ix_outbound_message_queue, written out as the claim's query
# writes it (with values, not parameters), so that both databases see the index applies.
WAITING_STATUSES = (MessageStatus.QUEUED.value, MessageStatus.ERRORED.value)
WAITING_SQL = f"status IN ({', '.join(repr(v) for v in WAITING_STATUSES)})"
LANES = ("reply", "bulk")


def _check_in(column: str, values: tuple[str, ...], name: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(f"{column} IN ({', '.join(repr(v) for v in values)})", name=name)


class Buyer(SQLModel, table=True):
    """Someone who needs things made; reached on Telegram (the Telegram issue fills most of this in)."""

    __tablename__ = "buyer"

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(default="telegram", max_length=16, sa_column_kwargs=_server_default("telegram"))
    telegram_user_id: int | None = Field(default=None, unique=True, sa_type=sa.BigInteger)
    chat_id: int | None = Field(default=None, sa_type=sa.BigInteger)
    name: str = Field(default="", max_length=200, sa_column_kwargs=_server_default(""))
    username: str | None = Field(default=None, max_length=64)
    phone: str | None = Field(default=None, max_length=20)
    zip: str | None = Field(default=None, max_length=5)
    lat: float | None = None
    lon: float | None = None
    timezone: str | None = Field(default=None, max_length=64)
    language: str = Field(default="en", max_length=16, sa_column_kwargs=_server_default("en"))
    radius_miles: float | None = None
    blocked: bool = Field(default=False, sa_column_kwargs=_server_default(sa.false()))
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))


class Request(SQLModel, table=True):
    """What a buyer needs: parsed from their words, sent to makers, followed until it is done."""

    __tablename__ = "request"
    __table_args__ = (_check_in("status", REQUEST_STATUSES, "ck_request_status"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=8, unique=True)  # the short code makers answer with: "YES K7Q2"
    buyer_id: int | None = Field(default=None, foreign_key="buyer.id", index=True, ondelete="SET NULL")
    source: str = Field(default="cli", max_length=16)  # cli, telegram, sandbox
    text: str = Field(max_length=2000)
    item: str | None = Field(default=None, max_length=64)  # canonical taxonomy id
    item_label: str = Field(default="", max_length=200)  # what people read: "face shields"
    concepts: str = Field(default="", max_length=1000)  # every taxonomy id the request names
    quantity: int | None = None
    unit: str | None = Field(default=None, max_length=32)
    deadline: date | None = None
    urgency: str | None = Field(default=None, max_length=16)
    zip: str | None = Field(default=None, max_length=5)
    place_name: str | None = Field(default=None, max_length=100)
    lat: float | None = None
    lon: float | None = None
    radius_miles: float = Field(default=50.0)
    # What the buyer prefers of a maker, as matching.preferences words ("green made-in-detroit"), and those said
    # with "only": every matching run on the stored request ranks, and keeps, makers by them.
    preferences: str = Field(default="", max_length=300, sa_column_kwargs=_server_default(""))
    preferences_only: str = Field(default="", max_length=300, sa_column_kwargs=_server_default(""))
    status: str = Field(default="draft", max_length=16, index=True, sa_column_kwargs=_server_default("draft"))
    quantity_committed: int = Field(default=0, sa_column_kwargs=_server_default("0"))
    escalated_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))  # organisers told
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))


class Invitation(SQLModel, table=True):
    """One request sent to one maker, and what became of it."""

    __tablename__ = "invitation"
    __table_args__ = (
        sa.UniqueConstraint("request_id", "maker_id", name="uq_invitation_request_maker"),
        _check_in("status", INVITATION_STATUSES, "ck_invitation_status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="request.id", index=True, ondelete="CASCADE")
    maker_id: int = Field(foreign_key="maker.id", index=True, ondelete="CASCADE")
    rank: int = 1
    score: float = 0.0
    why: str = Field(default="", max_length=500)
    distance_miles: float | None = None
    status: str = Field(default="invited", max_length=16, index=True, sa_column_kwargs=_server_default("invited"))
    quantity_offered: int | None = None
    price_cents: int | None = None  # per unit
    total_cents: int | None = None  # when the maker quoted a total instead
    lead_time_days: int | None = None
    late_days: int | None = None
    rating: int | None = None  # the buyer's 1-5, after delivery
    buyer_confirmed_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))  # "it arrived"
    answer_text: str | None = Field(default=None, max_length=1600)
    invited_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
    answered_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    accepted_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    delivered_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))


class OutboundMessage(SQLModel, table=True):
    """Every message makerlink sends is one of these first; the dispatcher sends it. See bot/outbox/."""

    __tablename__ = "outbound_message"
    __table_args__ = (
        _check_in("status", MESSAGE_STATUSES, "ck_outbound_message_status"),
        _check_in("lane", LANES, "ck_outbound_message_lane"),
        sa.Index("ix_outbound_message_due", "channel", "status", "lane", "priority", "next_attempt_at"),
        # The messages waiting to go, in the order they go: a claim reads its batch off this index, however long
        # the queue (see bot/outbox/screening.py); it holds only waiting rows, not the sent history.
        sa.Index(
            "ix_outbound_message_queue",
            "channel",
            "lane",
            "priority",
            "next_attempt_at",
            "id",
            sqlite_where=sa.text(WAITING_SQL),
            postgresql_where=sa.text(WAITING_SQL),
        ),
        sa.Index("ix_outbound_message_recent", "address", "sent_at"),
        sa.Index("ix_outbound_message_purpose", "purpose", "created_at"),  # recent progress lines, every few seconds
    )

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)  # sms, telegram, sandbox
    address: str = Field(max_length=64)  # E.164 phone or Telegram chat id
    maker_id: int | None = Field(default=None, foreign_key="maker.id", index=True, ondelete="SET NULL")
    buyer_id: int | None = Field(default=None, foreign_key="buyer.id", index=True, ondelete="SET NULL")
    request_id: int | None = Field(default=None, foreign_key="request.id", index=True, ondelete="SET NULL")
    broadcast_id: int | None = Field(default=None, foreign_key="broadcast.id", index=True, ondelete="SET NULL")
    # An edit of a message already sent (Telegram: edit_message_text), e.g. a broadcast's progress line.
    edit_of: int | None = Field(default=None, foreign_key="outbound_message.id", index=True, ondelete="SET NULL")
    text: str = Field(sa_type=sa.Text)
    buttons: str | None = Field(default=None, sa_type=sa.Text)  # JSON rows of [label, callback data]
    # A picture sent with the text (bot/media.py's key of a stored file); as a link in the text when `media_as_link`.
    media_key: str | None = Field(default=None, max_length=80)
    media_as_link: bool = Field(default=False, sa_column_kwargs=_server_default(sa.false()))
    purpose: str = Field(max_length=32)  # invitation, reply, alert, reminder, introduction…
    lane: str = Field(default="reply", max_length=8)
    priority: int = Field(default=0)  # within a lane, smaller goes first
    idempotency_key: str = Field(max_length=200, unique=True)
    status: str = Field(default="queued", max_length=16, sa_column_kwargs=_server_default("queued"))
    attempts: int = Field(default=0, sa_column_kwargs=_server_default("0"))
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
    lease_until: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    lease_owner: str | None = Field(default=None, max_length=64)
    attempted_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))  # the last claim
    segments: int = Field(default=1, sa_column_kwargs=_server_default("1"))
    text_hash: str = Field(max_length=16)  # for the loop guard: identical texts to one address
    timezone: str | None = Field(default=None, max_length=64)  # the recipient's, for quiet hours
    provider_id: str | None = Field(default=None, max_length=64, index=True)
    error_code: str | None = Field(default=None, max_length=32)
    error_reason: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
    sent_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    delivered_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))


class InboundMessage(SQLModel, table=True):
    """Every message received, once: the provider's id is unique, so a webhook retried is work done once."""

    __tablename__ = "inbound_message"
    __table_args__ = (sa.UniqueConstraint("channel", "provider_id", name="uq_inbound_message_provider"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    provider_id: str = Field(max_length=64)  # Twilio MessageSid, Telegram update_id
    sender: str = Field(max_length=64)
    text: str = Field(default="", sa_type=sa.Text)
    status: str = Field(default="processed", max_length=16)  # processed, failed (the error is kept)
    error: str | None = Field(default=None, max_length=500)
    received_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))


MEDIA_SENDERS = ("buyer", "maker")


class Media(SQLModel, table=True):
    """A picture or drawing kept with a request (from its buyer) or with a maker's answer to it (an invitation).
    The file lives in MAKERLINK_MEDIA_DIR under `key`, its content hash: rows may share one file."""

    __tablename__ = "media"
    __table_args__ = (_check_in("sender", MEDIA_SENDERS, "ck_media_sender"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=80, index=True)  # <sha256>.<jpg|png|pdf>
    content_type: str = Field(max_length=64)
    size: int
    sender: str = Field(max_length=8)
    request_id: int | None = Field(default=None, foreign_key="request.id", index=True, ondelete="CASCADE")
    invitation_id: int | None = Field(default=None, foreign_key="invitation.id", index=True, ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True), index=True)


class OptOut(SQLModel, table=True):
    """An address that said STOP (or that the provider reports as opted out): nothing is sent to it."""

    __tablename__ = "opt_out"
    __table_args__ = (sa.UniqueConstraint("channel", "address", name="uq_opt_out_address"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    address: str = Field(max_length=64)
    reason: str = Field(max_length=64)  # the keyword they sent, or the provider's error code
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))


class Conversation(SQLModel, table=True):
    """What one flow (see bot/services/conversations.py) is waiting for from one address: a maker joining, a choice
    between codes, a buyer's draft, an organiser's broadcast."""

    __tablename__ = "conversation"
    __table_args__ = (sa.UniqueConstraint("channel", "address", "flow", name="uq_conversation_flow"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    address: str = Field(max_length=64)
    flow: str = Field(max_length=32)
    state: str = Field(max_length=32)
    data: str = Field(default="{}", sa_type=sa.Text)  # JSON
    updated_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))


class ChannelPace(SQLModel, table=True):
    """The next free send slot of a rate-limited channel, shared by every dispatcher process."""

    __tablename__ = "channel_pace"

    channel: str = Field(primary_key=True, max_length=16)
    next_at: float = 0.0  # seconds since the epoch


@overload
def as_utc(value: datetime) -> datetime: ...
@overload
def as_utc(value: datetime | None) -> datetime | None: ...
def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands datetimes back without their zone; everything makerlink stores is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


class ReminderStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"


REMINDER_STATUSES = tuple(s.value for s in ReminderStatus)


class Reminder(SQLModel, table=True):
    """A follow-up due at a time: created with the state change that causes it, fired once by a worker's tick."""

    __tablename__ = "reminder"
    __table_args__ = (
        _check_in("status", REMINDER_STATUSES, "ck_reminder_status"),
        sa.Index("ix_reminder_due", "status", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=120, unique=True)  # kind:target: scheduling the same follow-up twice is a no-op
    kind: str = Field(max_length=32)
    target_id: int  # the invitation, request or maker the kind refers to
    due_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    status: str = Field(default="pending", max_length=16, sa_column_kwargs=_server_default("pending"))
    lease_owner: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    outcome: str | None = Field(default=None, max_length=200)  # why it was skipped, what it did
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
    fired_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))


class BroadcastStatus(StrEnum):
    DRAFT = "draft"
    SENDING = "sending"
    SENT = "sent"
    CANCELLED = "cancelled"


BROADCAST_STATUSES = tuple(s.value for s in BroadcastStatus)


class Broadcast(SQLModel, table=True):
    """An alert to many people at once, from the organisers: previewed, confirmed, then sent through the outbox."""

    __tablename__ = "broadcast"
    __table_args__ = (_check_in("status", BROADCAST_STATUSES, "ck_broadcast_status"),)

    id: int | None = Field(default=None, primary_key=True)
    author: str = Field(max_length=64)  # "cli" or "telegram:<user id>"
    text: str = Field(sa_type=sa.Text)
    audience: str = Field(sa_type=sa.Text)  # JSON: to, capability, zip, radius_miles, statuses
    status: str = Field(default="draft", max_length=16, sa_column_kwargs=_server_default("draft"))
    recipients: int = Field(default=0, sa_column_kwargs=_server_default("0"))
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
    confirmed_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))


class AdminAction(SQLModel, table=True):
    """Who did what as an organiser, and when."""

    __tablename__ = "admin_action"

    id: int | None = Field(default=None, primary_key=True)
    actor: str = Field(max_length=64)
    action: str = Field(max_length=32)
    detail: str = Field(default="", max_length=1000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))


class ConsoleLogin(SQLModel, table=True):
    """A one-time login link to the organisers' console, sent by the bot's /console: used once, within minutes."""

    __tablename__ = "console_login"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)  # sha256 of the link's nonce, never the nonce
    telegram_id: int = Field(sa_type=sa.BigInteger)
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
    expires_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    used_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))


class ConsoleSession(SQLModel, table=True):
    """An organiser logged in to the console; the signed cookie names it. Ended by log-out, by expiry, or when the
    organiser's id leaves MAKERLINK_ADMIN_TELEGRAM_IDS."""

    __tablename__ = "console_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)  # sha256 of the cookie's nonce
    telegram_id: int = Field(sa_type=sa.BigInteger, index=True)
    csrf_token: str = Field(max_length=64)  # every form of this session carries it
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
    expires_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    ended_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    ended_why: str | None = Field(default=None, max_length=32)  # logged out, no longer an organiser
