"""What came of each send, written to its message: sent; or errored, to be tried again after a back-off; or
failed, when the error is permanent or the attempts are spent (and then the recipient may be gone for good)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot.db import table_of
from bot.models import MessageStatus, OutboundMessage
from bot.outbox.batch import Outcome

if TYPE_CHECKING:
    from bot.outbox.dispatcher import Dispatcher

log = logging.getLogger("bot.outbox")  # one logger for the whole outbox, as before it was a package


def record_outcomes(
    session: Session, dispatcher: Dispatcher, channel: str, outcomes: list[Outcome], now: datetime
) -> None:
    """Write what happened to each send; a row no longer leased to `dispatcher` (lease ran out) is left alone."""
    m = OutboundMessage
    sent = [o for o in outcomes if o.result is not None]
    if sent:
        table = table_of(m)
        session.execute(
            sa.update(table)
            .where(table.c.id == sa.bindparam("_id"), table.c.lease_owner == dispatcher.owner)
            .values(
                status=MessageStatus.SENT,
                provider_id=sa.bindparam("_provider"),
                segments=sa.func.coalesce(sa.bindparam("_segments", type_=sa.Integer), table.c.segments),
                sent_at=now,
                lease_owner=None,
                lease_until=None,
                error_code=None,
                error_reason=None,
                updated_at=now,
            ),
            [
                {"_id": o.id, "_provider": o.result.provider_id, "_segments": o.result.segments}
                for o in sent
                if o.result is not None
            ],
        )
    failed = [o for o in outcomes if o.error is not None]
    if not failed:
        return
    rows = session.exec(select(m).where(col(m.id).in_([o.id for o in failed]), m.lease_owner == dispatcher.owner)).all()
    by_id = {row.id: row for row in rows}
    for outcome in failed:
        row, error = by_id.get(outcome.id), outcome.error
        if row is None or error is None:
            continue
        row.error_code = (error.code or "error")[:32]
        row.error_reason = error.reason[:500]
        row.lease_owner = None
        row.lease_until = None
        row.updated_at = now
        if error.retryable and row.attempts < dispatcher.max_attempts:
            row.status = MessageStatus.ERRORED
            delay = error.retry_after or dispatcher.backoff[min(row.attempts, len(dispatcher.backoff)) - 1]
            row.next_attempt_at = now + timedelta(seconds=delay)
        else:
            row.status = MessageStatus.FAILED
            if error.recipient_gone and dispatcher.on_recipient_gone is not None:
                dispatcher.on_recipient_gone(session, channel, row.address, error.code)
        log.info(
            "outbox: message %s on %s %s (%s) after attempt %s",
            row.id,
            channel,
            row.status,
            row.error_code,
            row.attempts,
        )
