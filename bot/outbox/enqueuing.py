"""Queueing a message: what services call, inside their own transaction, for every message the bot sends."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from bot.db import insert_skipping_conflicts, table_of
from bot.models import LANES, MessageStatus, OutboundMessage, utcnow
from bot.segments import count_segments

SEGMENTED_CHANNELS = frozenset({"sms"})  # paced and billed by segment
# The one message that may still go to someone who just opted out: the confirmation that they did.
OPT_OUT_CONFIRMATION = "opt_out_confirmation"
WAKE_CHANNEL = "makerlink_outbox"  # PostgreSQL NOTIFY channel; the payload is the outbox channel ("sms", …)


def text_hash(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


def enqueue(
    session: Session,
    *,
    channel: str,
    address: str,
    text: str,
    purpose: str,
    key: str,
    lane: str = "reply",
    priority: int = 0,
    buttons: list[list[tuple[str, str]]] | None = None,
    maker_id: int | None = None,
    buyer_id: int | None = None,
    request_id: int | None = None,
    timezone: str | None = None,
    not_before: datetime | None = None,
    edit_of: int | None = None,
    broadcast_id: int | None = None,
    now: datetime | None = None,
    media_key: str | None = None,
    media_as_link: bool = False,
) -> OutboundMessage:
    """Queue one message in the caller's transaction; the same `key` twice yields one message."""
    if lane not in LANES:
        raise ValueError(f"lane must be one of {LANES}, not {lane!r}")
    now = now or utcnow()
    values = {
        "channel": channel,
        "address": address,
        "text": text,
        "buttons": json.dumps(buttons, ensure_ascii=False) if buttons else None,
        "purpose": purpose,
        "lane": lane,
        "priority": priority,
        "idempotency_key": key[:200],
        "status": MessageStatus.QUEUED,
        "attempts": 0,
        "next_attempt_at": max(now, not_before) if not_before else now,
        "segments": count_segments(text) if channel in SEGMENTED_CHANNELS else 1,
        "text_hash": text_hash(text),
        "timezone": timezone,
        "maker_id": maker_id,
        "buyer_id": buyer_id,
        "request_id": request_id,
        "edit_of": edit_of,
        "broadcast_id": broadcast_id,
        "media_key": media_key,
        "media_as_link": media_as_link,
        "created_at": now,
        "updated_at": now,
    }
    table = table_of(OutboundMessage)
    session.execute(insert_skipping_conflicts(session, table, "idempotency_key").values(**values))
    wake_dispatchers(session, channel)
    return session.exec(
        select(OutboundMessage).where(OutboundMessage.idempotency_key == values["idempotency_key"])
    ).one()


def wake_dispatchers(session: Session, channel: str) -> None:
    """On PostgreSQL, wake every listening dispatcher, in any process, once this transaction commits.

    NOTIFY is delivered at commit (never before the rows are visible, never for a rollback); it is sent once
    per transaction and channel however many messages were queued. SQLite needs none: one process sends there,
    and the web app's `on_enqueued` hook wakes its own dispatcher.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    transaction = session.get_transaction()
    woken: tuple[object, set[str]] | None = session.info.get("outbox_woken")
    if woken is None or woken[0] is not transaction:
        woken = session.info["outbox_woken"] = (transaction, set())
    if channel in woken[1]:
        return
    woken[1].add(channel)
    session.execute(sa.text("SELECT pg_notify(:name, :payload)"), {"name": WAKE_CHANNEL, "payload": channel})


def requeue_failed(session: Session, message_id: int, now: datetime) -> OutboundMessage | None:
    """Give a failed message another go, as if just queued (an organiser's retry); None unless it had failed.

    The dispatcher screens it again (opt-outs, quiet hours, the loop guard), so a retry never sends to someone who
    may not be sent to.
    """
    row = session.get(OutboundMessage, message_id, with_for_update=session.get_bind().dialect.name == "postgresql")
    if row is None or row.status != MessageStatus.FAILED:
        return None
    row.status = MessageStatus.QUEUED.value
    row.attempts, row.next_attempt_at, row.updated_at = 0, now, now
    row.error_code = row.error_reason = row.provider_id = None
    row.lease_owner = row.lease_until = row.attempted_at = row.sent_at = row.delivered_at = None
    wake_dispatchers(session, row.channel)
    return row
