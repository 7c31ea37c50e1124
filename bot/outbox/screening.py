"""Which due messages may go now: replies before bulk; quiet hours hold the bulk lane; nothing goes to someone who
opted out, stopped or blocked the bot; a loop of identical texts to one address is stopped."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot import texts
from bot.leases import Leases
from bot.models import LANES, Buyer, Maker, MakerStatus, MessageStatus, OptOut, OutboundMessage, as_utc
from bot.outbox.enqueuing import OPT_OUT_CONFIRMATION
from bot.outbox.policy import ChannelPolicy, quiet_until

LOOP_GUARD_LIMIT = 20  # identical texts to one address…
LOOP_GUARD_WINDOW = timedelta(minutes=5)  # …within this window; the next one fails instead of going out
_LOOP_GUARD_REASON = texts.REASON_LOOP_GUARD.format(limit=LOOP_GUARD_LIMIT, minutes=LOOP_GUARD_WINDOW.seconds // 60)
_DUE = (MessageStatus.QUEUED, MessageStatus.ERRORED)


def due(session: Session, channel: str, now: datetime, limit: int, per_address: bool = False) -> list[OutboundMessage]:
    """Due rows, replies before bulk; rows whose sender died mid-send come back after their lease.

    With `per_address` (Telegram: one message a second per chat), a chat whose message another dispatcher is
    sending waits: one dispatcher at a time sends to a chat, and the next one starts from the last send it finds
    recorded (`chat_pauses`). The caller makes claims of such a channel take turns (`Dispatcher.claim`)."""
    m = OutboundMessage
    rows: list[OutboundMessage] = []
    free = _not_in_flight(now) if per_address else sa.true()
    queries = [
        select(m)
        .where(m.channel == channel, m.status == MessageStatus.SENDING, m.lease_until < now, free)
        .order_by(m.id),
        *(
            select(m)
            .where(m.channel == channel, m.lane == lane, m.status.in_(_DUE), m.next_attempt_at <= now, free)
            .order_by(m.priority, m.next_attempt_at, m.id)
            for lane in LANES
        ),
    ]
    for query in queries:
        room = limit - len(rows)
        if room <= 0:
            break
        rows.extend(session.exec(Leases.lock(session, query.limit(room))).all())
    return rows


def _not_in_flight(now: datetime) -> sa.ColumnElement[bool]:
    """No other message to the row's address is being sent under a live lease."""
    m = OutboundMessage.__table__
    other = m.alias("other")
    return ~sa.exists().where(
        other.c.address == m.c.address,
        other.c.sent_at.is_(None),  # with the address, the (address, sent_at) index finds these
        other.c.channel == m.c.channel,
        other.c.status == MessageStatus.SENDING,
        other.c.lease_until >= now,
        other.c.id != m.c.id,
    )


def chat_pauses(
    session: Session, channel: str, rows: Sequence[OutboundMessage], now: datetime, interval: float
) -> dict[str, float]:
    """Seconds each address must still wait after the last send recorded to it (by any dispatcher), so that two
    sends to one chat are `interval` apart. A send is recorded after it happened, so this errs on the safe side."""
    m = OutboundMessage
    since = now - timedelta(seconds=interval)
    query = (
        select(m.address, sa.func.max(m.sent_at))
        .where(m.address.in_({row.address for row in rows}), m.sent_at > since, m.channel == channel)
        .group_by(m.address)
    )
    found = session.exec(query).all()
    return {address: interval - (now - as_utc(last)).total_seconds() for address, last in found if last is not None}


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
    refused = refusals(session, channel, rows)
    recent = _recent_identical(session, channel, rows, now)
    for row in rows:
        if row.id in refused:
            _finish(row, MessageStatus.CANCELLED, now, *refused[row.id])
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


class Recipient(Protocol):
    """What decides whether a message may still go to its recipient (a row, or a claimed message)."""

    @property
    def id(self) -> int | None: ...
    @property
    def address(self) -> str: ...
    @property
    def purpose(self) -> str: ...
    @property
    def maker_id(self) -> int | None: ...
    @property
    def buyer_id(self) -> int | None: ...


def refusals(session: Session, channel: str, messages: Sequence[Recipient]) -> dict[int, tuple[str, str]]:
    """The messages that must not go, now, as id → (error code, reason): the recipient opted out or was stopped
    (all but the confirmation of that), blocked the bot, or turned alerts off (alerts only). Asked when a batch
    is claimed and again right before a paced send."""
    if not messages:
        return {}
    addresses = {m.address for m in messages}
    opted_out = set(
        session.exec(select(OptOut.address).where(OptOut.channel == channel, OptOut.address.in_(addresses))).all()
    )
    maker_ids = {m.maker_id for m in messages if m.maker_id}
    makers = (
        {
            maker_id: (status, alerts_off)
            for maker_id, status, alerts_off in session.exec(
                select(Maker.id, Maker.status, Maker.alerts_opt_out).where(Maker.id.in_(maker_ids))
            ).all()
        }
        if maker_ids
        else {}
    )
    buyer_ids = {m.buyer_id for m in messages if m.buyer_id}
    blocked = (
        set(session.exec(select(Buyer.id).where(Buyer.id.in_(buyer_ids), Buyer.blocked.is_(True))).all())
        if buyer_ids
        else set()
    )
    refused: dict[int, tuple[str, str]] = {}
    for message in messages:
        status, alerts_off = makers.get(message.maker_id, (None, False)) if message.maker_id else (None, False)
        if message.id is None:
            continue
        if (message.address in opted_out or status == MakerStatus.STOPPED) and message.purpose != OPT_OUT_CONFIRMATION:
            refused[message.id] = ("recipient_opted_out", texts.REASON_OPTED_OUT)
        elif message.buyer_id in blocked:
            refused[message.id] = ("recipient_blocked", texts.REASON_BLOCKED)
        elif message.purpose == "alert" and alerts_off:
            refused[message.id] = ("alerts_off", texts.REASON_ALERTS_OFF)
    return refused


def cancel(session: Session, refused: dict[int, tuple[str, str]], now: datetime, leases: Leases) -> None:
    """Cancel claimed messages whose recipient is gone (see `refusals`), those still held under `leases`; the
    attempt they were claimed for is not counted, as when the claim's own check cancels them."""
    by_reason: dict[tuple[str, str], list[int]] = {}
    for message_id, reason in refused.items():
        by_reason.setdefault(reason, []).append(message_id)
    for (code, reason), ids in by_reason.items():
        leases.release(
            session,
            ids,
            status=MessageStatus.CANCELLED,
            error_code=code,
            error_reason=reason,
            attempts=OutboundMessage.__table__.c.attempts - 1,
            updated_at=now,
        )


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
