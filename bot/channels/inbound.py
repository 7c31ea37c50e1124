"""What the channels share: a capped body read, recording each inbound message once, and the apology when one
could not be handled."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session
from starlette.requests import Request

from bot import outbox, texts
from bot.db import Database, insert_skipping_conflicts
from bot.models import InboundMessage


class BodyTooLarge(Exception):
    pass


async def read_capped(request: Request, limit: int) -> bytes:
    """The request body, refusing early (by Content-Length) or while streaming anything over `limit`."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def record_inbound(
    session: Session,
    channel: str,
    provider_id: str,
    sender: str,
    text: str,
    status: str,
    error: str | None,
    now: datetime,
) -> bool:
    """Store a message by its provider id; False when it was stored before (a provider's retry)."""
    table = InboundMessage.__table__
    statement = (
        insert_skipping_conflicts(session, table, "channel", "provider_id")
        .values(
            channel=channel,
            provider_id=provider_id,
            sender=sender,
            text=text[:5000],
            status=status,
            error=error,
            received_at=now,
        )
        .returning(table.c.id)
    )
    # RETURNING, not rowcount: psycopg reports -1 rows for an INSERT … RETURNING.
    return session.execute(statement).scalar_one_or_none() is not None


def record_failure(
    db: Database, channel: str, provider_id: str, sender: str, text: str, error: Exception, address: str, now: datetime
) -> bool:
    """A message that could not be handled: keep it as failed, with the error's name, and queue an apology to
    `address`; once per provider id. False when it was recorded before."""
    with db.transaction() as session:
        if not record_inbound(session, channel, provider_id, sender, text, "failed", type(error).__name__, now):
            return False
        outbox.enqueue(
            session,
            channel=channel,
            address=address,
            text=texts.SMS_ERROR,
            purpose="reply",
            key=f"{channel}-error:{provider_id}",
            now=now,
        )
    return True
