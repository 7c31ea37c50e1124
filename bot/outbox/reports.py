"""What became of the messages: providers' delivery reports applied to them, and listings for the CLI."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from bot import texts
from bot.db import Database
from bot.models import MessageStatus, OutboundMessage, as_utc

# Twilio's message statuses, mapped to ours; a report only ever moves a message forward.
PROVIDER_STATUS = {
    "accepted": MessageStatus.QUEUED,
    "scheduled": MessageStatus.QUEUED,
    "queued": MessageStatus.QUEUED,
    "sending": MessageStatus.SENDING,
    "sent": MessageStatus.SENT,
    "delivered": MessageStatus.DELIVERED,
    "read": MessageStatus.DELIVERED,
    "undelivered": MessageStatus.FAILED,
    "failed": MessageStatus.FAILED,
    "canceled": MessageStatus.CANCELLED,
}
_STATUS_RANK = {"queued": 0, "sending": 1, "sent": 2, "delivered": 3, "failed": 3, "cancelled": 3}


def record_status(
    session: Session, channel: str, provider_id: str, provider_status: str, error_code: str | None, now: datetime
) -> bool:
    """Apply a delivery report; return whether it changed anything."""
    status = PROVIDER_STATUS.get(provider_status.strip().lower())
    if status is None:
        return False
    m = OutboundMessage
    row = session.exec(select(m).where(m.channel == channel, m.provider_id == provider_id)).first()
    if row is None or row.status == MessageStatus.CANCELLED:
        return False
    if _STATUS_RANK.get(status, 0) <= _STATUS_RANK.get(row.status, 0):
        return False
    row.status = status
    row.updated_at = now
    if status == MessageStatus.DELIVERED:
        row.delivered_at = now
    if status == MessageStatus.FAILED:
        row.error_code = (error_code or provider_status)[:32]
        row.error_reason = texts.REASON_PROVIDER_STATUS.format(status=provider_status)
    return True


def list_messages(db: Database, status: str | None = None, limit: int = 200) -> list[OutboundMessage]:
    """The newest messages first."""
    with db.read() as session:
        query = select(OutboundMessage).order_by(col(OutboundMessage.id).desc()).limit(limit)
        if status:
            query = query.where(OutboundMessage.status == status)
        return list(session.exec(query).all())


def message_dict(row: OutboundMessage) -> dict:
    return {
        "id": row.id,
        "channel": row.channel,
        "address": row.address,
        "purpose": row.purpose,
        "lane": row.lane,
        "status": row.status,
        "text": row.text,
        "segments": row.segments,
        "attempts": row.attempts,
        "provider_id": row.provider_id,
        "error_code": row.error_code,
        "error_reason": row.error_reason,
        "created_at": as_utc(row.created_at).isoformat(),
        "sent_at": as_utc(row.sent_at).isoformat() if row.sent_at else None,
        "delivered_at": as_utc(row.delivered_at).isoformat() if row.delivered_at else None,
    }
