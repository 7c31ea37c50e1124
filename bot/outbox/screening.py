"""Which due messages may go now: replies before bulk; quiet hours hold the bulk lane; nothing goes to someone who
opted out, stopped or blocked the bot; a loop of identical texts to one address is stopped."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot import texts
from bot.leases import Leases
from bot.models import LANES, Buyer, Maker, MakerStatus, MessageStatus, OptOut, OutboundMessage
from bot.outbox.enqueuing import OPT_OUT_CONFIRMATION
from bot.outbox.policy import ChannelPolicy, quiet_until

LOOP_GUARD_LIMIT = 20  # identical texts to one address…
LOOP_GUARD_WINDOW = timedelta(minutes=5)  # …within this window; the next one fails instead of going out
_LOOP_GUARD_REASON = texts.REASON_LOOP_GUARD.format(limit=LOOP_GUARD_LIMIT, minutes=LOOP_GUARD_WINDOW.seconds // 60)
_DUE = (MessageStatus.QUEUED, MessageStatus.ERRORED)


def due(session: Session, channel: str, now: datetime, limit: int) -> list[OutboundMessage]:
    """Due rows, replies before bulk; rows whose sender died mid-send come back after their lease."""
    m = OutboundMessage
    rows: list[OutboundMessage] = []
    queries = [
        select(m)
        .where(m.channel == channel, m.status == MessageStatus.SENDING, col(m.lease_until) < now)
        .order_by(col(m.id)),
        *(
            select(m)
            .where(m.channel == channel, m.lane == lane, col(m.status).in_(_DUE), m.next_attempt_at <= now)
            .order_by(col(m.priority), col(m.next_attempt_at), col(m.id))
            for lane in LANES
        ),
    ]
    for query in queries:
        room = limit - len(rows)
        if room <= 0:
            break
        rows.extend(session.exec(Leases.lock(session, query.limit(room))).all())
    return rows


def screen(
    session: Session,
    channel: str,
    policy: ChannelPolicy,
    rows: list[OutboundMessage],
    now: datetime,
    default_zone: ZoneInfo,
) -> list[OutboundMessage]:
    """Hold what quiet hours hold; cancel what must not go (opted out, stopped, blocked); stop loops."""
    ok: list[OutboundMessage] = []
    addresses = {row.address for row in rows}
    opted_out = set(
        session.exec(select(OptOut.address).where(OptOut.channel == channel, col(OptOut.address).in_(addresses))).all()
    )
    maker_ids = {row.maker_id for row in rows if row.maker_id}
    makers = (
        {mk.id: mk for mk in session.exec(select(Maker).where(col(Maker.id).in_(maker_ids))).all()} if maker_ids else {}
    )
    buyer_ids = {row.buyer_id for row in rows if row.buyer_id}
    blocked = (
        set(session.exec(select(Buyer.id).where(col(Buyer.id).in_(buyer_ids), col(Buyer.blocked).is_(True))).all())
        if buyer_ids
        else set()
    )
    recent = _recent_identical(session, channel, rows, now)
    for row in rows:
        maker = makers.get(row.maker_id) if row.maker_id else None
        gone = row.address in opted_out or (maker is not None and maker.status == MakerStatus.STOPPED)
        if gone and row.purpose != OPT_OUT_CONFIRMATION:
            _finish(row, MessageStatus.CANCELLED, now, "recipient_opted_out", texts.REASON_OPTED_OUT)
        elif row.buyer_id in blocked:
            _finish(row, MessageStatus.CANCELLED, now, "recipient_blocked", texts.REASON_BLOCKED)
        elif row.purpose == "alert" and maker is not None and maker.alerts_opt_out:
            _finish(row, MessageStatus.CANCELLED, now, "alerts_off", texts.REASON_ALERTS_OFF)
        elif recent.get((row.address, row.text_hash), 0) >= LOOP_GUARD_LIMIT:
            _finish(row, MessageStatus.FAILED, now, "loop_guard", _LOOP_GUARD_REASON)
        elif (
            row.lane == "bulk"
            and policy.quiet_hours
            and (until := quiet_until(now, _zone(row.timezone, default_zone), policy.quiet_hours))
        ):
            # Claimed back from a dead sender: say so, or it is claimed each poll.
            if row.status == MessageStatus.SENDING:
                _finish(row, MessageStatus.ERRORED, now, "interrupted", texts.REASON_INTERRUPTED)
            row.next_attempt_at = until
            row.updated_at = now
        else:
            key = (row.address, row.text_hash)
            recent[key] = recent.get(key, 0) + 1
            ok.append(row)
    return ok


def _recent_identical(
    session: Session, channel: str, rows: list[OutboundMessage], now: datetime
) -> dict[tuple[str, str], int]:
    m = OutboundMessage
    query = (
        select(m.address, m.text_hash, sa.func.count())
        .where(
            m.channel == channel,
            col(m.address).in_({row.address for row in rows}),
            col(m.sent_at) >= now - LOOP_GUARD_WINDOW,
        )
        .group_by(m.address, m.text_hash)
    )
    return {(address, digest): count for address, digest, count in session.exec(query).all()}


def _zone(name: str | None, default: ZoneInfo) -> ZoneInfo:
    if name:
        with contextlib.suppress(ZoneInfoNotFoundError, ValueError):
            return ZoneInfo(name)
    return default


def _finish(row: OutboundMessage, status: str, now: datetime, code: str, reason: str) -> None:
    row.status = status
    row.error_code = code
    row.error_reason = reason
    row.lease_owner = None
    row.lease_until = None
    row.updated_at = now
