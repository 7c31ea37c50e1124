"""What came of each send, written to its message: sent; or errored, to be tried again after a back-off; or
failed, when the error is permanent or the attempts are spent (and then the recipient may be gone for good)."""

from __future__ import annotations

import functools
import json
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlmodel import Session, col, select

from bot.db import dialect_name, table_of
from bot.models import MessageStatus, OutboundMessage
from bot.outbox.batch import Outcome

if TYPE_CHECKING:
    from bot.outbox.dispatcher import Dispatcher

log = logging.getLogger("bot.outbox")  # one logger for the whole outbox, as before it was a package


_TABLE = table_of(OutboundMessage)


def _sent_rows(postgres: bool) -> sa.FromClause:
    """A record's sent messages as a table (id, provider_id, segments) made of one parameter: PostgreSQL arrays
    (`ids`, `providers`, `segments`), or a SQLite JSON list of [id, provider_id, segments] (`rows`)."""
    if postgres:
        return (
            sa.func.unnest(
                sa.bindparam("ids", type_=postgresql.ARRAY(sa.Integer)),
                sa.bindparam("providers", type_=postgresql.ARRAY(sa.String)),
                sa.bindparam("segments", type_=postgresql.ARRAY(sa.Integer)),
            )
            .table_valued("id", "provider_id", "segments")
            .render_derived(name="sent")
        )
    each = sa.func.json_each(sa.bindparam("rows", type_=sa.String)).table_valued("value")
    fields = [sa.func.json_extract(each.c.value, f"$[{i}]").label(name) for i, name in enumerate(_SENT_FIELDS)]
    return sa.select(*fields).subquery("sent")


_SENT_FIELDS = ("id", "provider_id", "segments")


@functools.cache
def _mark_sent(postgres: bool) -> sa.Update:
    """One statement for every sent message of a record: one plan and one round trip however many there are."""
    sent = _sent_rows(postgres)
    now = sa.bindparam("now", type_=_TABLE.c.sent_at.type)
    return (
        sa.update(_TABLE)
        .where(_TABLE.c.id == sent.c.id, _TABLE.c.lease_owner == sa.bindparam("owner"))
        .values(
            status=MessageStatus.SENT,
            provider_id=sent.c.provider_id,
            segments=sa.func.coalesce(sent.c.segments, _TABLE.c.segments),
            sent_at=now,
            lease_owner=None,
            lease_until=None,
            error_code=None,
            error_reason=None,
            updated_at=now,
        )
    )


def without_waiting_for_the_disk(connection: sa.Connection) -> None:
    """For a transaction that only records outcomes: on PostgreSQL, commit without waiting for the flush to disk
    (synchronous_commit off, for this transaction only). A database crash may then lose the last fraction of a
    second of records; those messages come back as uncertain when their lease runs out, exactly as after a
    dispatcher crash before it recorded them (the provider is asked before a resend where it can be). Claims stay
    fully durable: a lost claim would send a message again with no look-up."""
    if dialect_name(connection) == "postgresql":
        connection.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")


def record_outcomes(
    connection: sa.Connection, dispatcher: Dispatcher, channel: str, outcomes: list[Outcome], now: datetime
) -> None:
    """Write what happened to each send; a row no longer leased to `dispatcher` (lease ran out) is left alone."""
    postgres = dialect_name(connection) == "postgresql"
    sent = [(o.id, o.result.provider_id, o.result.segments) for o in outcomes if o.result is not None]
    if sent:
        if postgres:
            ids, providers, segments = (list(column) for column in zip(*sent, strict=True))
            rows: dict[str, object] = {"ids": ids, "providers": providers, "segments": segments}
        else:
            rows = {"rows": json.dumps(sent)}
        connection.execute(_mark_sent(postgres), {**rows, "owner": dispatcher.owner, "now": now})
    failed = [o for o in outcomes if o.error is not None]
    if not failed:
        return
    with Session(bind=connection) as session:  # joins the record's transaction; the hook may need the ORM
        _record_failures(session, dispatcher, channel, failed, now)
        session.flush()


def _record_failures(
    session: Session, dispatcher: Dispatcher, channel: str, failed: list[Outcome], now: datetime
) -> None:
    m = OutboundMessage
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
