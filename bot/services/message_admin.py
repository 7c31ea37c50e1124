"""The outbox as organisers see it in the console: how many messages in each status, why one failed in words, and
a retry of a failed one (the outbox re-queues it; the audit records who asked)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from bot import outbox, texts
from bot.models import MESSAGE_STATUSES, AdminAction, OutboundMessage
from bot.services.request_admin import NotAllowed


def counts(session: Session) -> dict[str, int]:
    """Messages per status, every status named (0 where there are none)."""
    found = dict(session.exec(select(OutboundMessage.status, sa.func.count()).group_by(OutboundMessage.status)).all())
    return {status: int(found.get(status, 0)) for status in MESSAGE_STATUSES}


def why(row: OutboundMessage) -> str:
    """Why a message did not go out, in words: the reason kept with it, else the name of its error code."""
    if row.error_reason:
        return row.error_reason
    if row.error_code:
        return texts.FAILURE_NAMES.get(row.error_code, row.error_code)
    return ""


def retry(session: Session, message_id: int, actor: str, now: datetime) -> OutboundMessage:
    """Queue a failed message again; raises NotAllowed for one that has not failed (sent, queued, cancelled…)."""
    row = outbox.requeue_failed(session, message_id, now)
    if row is None:
        current = session.get(OutboundMessage, message_id)
        status = current.status if current is not None else None
        raise NotAllowed(texts.CONSOLE_CANNOT_RETRY.format(id=message_id, status=status or texts.CONSOLE_UNKNOWN))
    session.add(AdminAction(actor=actor, action="message_retry", detail=f"message {message_id}", created_at=now))
    return row
