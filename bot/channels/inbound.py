"""What the channels share: a capped body read, and receiving a message: recorded once, acted on, and kept as
failed with an apology to its sender when it could not be handled."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

import sqlalchemy as sa
from sqlmodel import Session, select
from starlette.requests import Request

from bot import outbox
from bot.db import Database, insert_skipping_conflicts, table_of
from bot.locales import catalogue
from bot.models import InboundMessage, Maker

T = TypeVar("T")
log = logging.getLogger(__name__)


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


@dataclass(frozen=True)
class Inbound:
    """One message as a channel received it."""

    channel: str
    provider_id: str  # unique per channel: Twilio's MessageSid, Telegram's update_id
    sender: str
    text: str
    reply_to: str  # where the apology goes if it cannot be handled (a phone number, a chat id)
    label: str  # how the log names it, with personal data masked: "twilio: SMS SM… from +1•••0101"


@dataclass(frozen=True)
class Receipt(Generic[T]):
    """What `receive` made of a message."""

    recorded: bool  # stored for the first time (handled or failed): something new may be queued
    handled: bool  # acted on and committed
    result: T | None = None  # what acting returned


def receive(db: Database, message: Inbound, now: datetime, act: Callable[[Session], T]) -> Receipt[T]:
    """Record `message` and `act` on it in one transaction, once per provider id (a provider's retry does nothing).

    If acting raises, its transaction is rolled back and the message is kept as failed, with an apology queued to
    `reply_to`: a bug or an odd message never becomes a 5xx that makes the provider send it again. A database
    outage does propagate, so that the channel can answer 503 or try again."""
    try:
        with db.transaction() as session:
            if not _record(session, message, "processed", None, now):
                log.info("%s seen before; ignored", message.label)
                return Receipt(recorded=False, handled=False)
            result = act(session)
        return Receipt(recorded=True, handled=True, result=result)
    except sa.exc.OperationalError:
        raise
    except Exception as error:
        log.exception("%s could not be handled", message.label)
        return Receipt(recorded=_record_failure(db, message, error, now), handled=False)


def _record(session: Session, message: Inbound, status: str, error: str | None, now: datetime) -> bool:
    """Store a message by its provider id; False when it was stored before (a provider's retry)."""
    table = table_of(InboundMessage)
    statement = (
        insert_skipping_conflicts(session, table, "channel", "provider_id")
        .values(
            channel=message.channel,
            provider_id=message.provider_id,
            sender=message.sender,
            text=message.text[:5000],
            status=status,
            error=error,
            received_at=now,
        )
        .returning(table.c.id)
    )
    # RETURNING, not rowcount: psycopg reports -1 rows for an INSERT … RETURNING.
    return session.execute(statement).scalar_one_or_none() is not None


def _record_failure(db: Database, message: Inbound, error: Exception, now: datetime) -> bool:
    """Keep the message as failed, with the error's name, and queue an apology to its sender; once per provider
    id. False when it was recorded before."""
    with db.transaction() as session:
        if not _record(session, message, "failed", type(error).__name__, now):
            return False
        outbox.enqueue(
            session,
            channel=message.channel,
            address=message.reply_to,
            text=catalogue(_sender_language(session, message)).SMS_ERROR,
            purpose="reply",
            key=f"{message.channel}-error:{message.provider_id}",
            now=now,
        )
    return True


def _sender_language(session: Session, message: Inbound) -> str | None:
    """The language a maker texting in reads (None: English, for anyone else)."""
    if message.channel != "sms":
        return None
    return session.exec(select(Maker.language).where(Maker.phone == message.reply_to)).first()
