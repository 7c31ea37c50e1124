"""Which due messages may go now: replies before bulk; quiet hours hold the bulk lane; nothing goes to someone who
opted out, stopped or blocked the bot; a loop of identical texts to one address is stopped.

Rows are read as plain column tuples and changed with one UPDATE per kind of change, not as ORM objects: this is
the outbox's hot path, run for every batch.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlmodel import Session

from bot import texts
from bot.leases import Leases
from bot.models import LANES, Buyer, Maker, MakerStatus, MessageStatus, OptOut, OutboundMessage, as_utc
from bot.outbox.enqueuing import OPT_OUT_CONFIRMATION
from bot.outbox.policy import ChannelPolicy, quiet_until

LOOP_GUARD_LIMIT = 20  # identical texts to one address…
LOOP_GUARD_WINDOW = timedelta(minutes=5)  # …within this window; the next one fails instead of going out
_LOOP_GUARD_REASON = texts.REASON_LOOP_GUARD.format(limit=LOOP_GUARD_LIMIT, minutes=LOOP_GUARD_WINDOW.seconds // 60)
_DUE = (MessageStatus.QUEUED, MessageStatus.ERRORED)
_TABLE: sa.Table = OutboundMessage.__table__  # type: ignore[attr-defined]
# What a claim reads of a due message: enough to screen it and hand it to its sender.
_COLUMNS = tuple(
    _TABLE.c[name]
    for name in (
        "id", "channel", "address", "text", "buttons", "purpose", "lane", "status", "attempts", "segments",
        "text_hash", "timezone", "maker_id", "buyer_id", "edit_of", "attempted_at", "updated_at", "error_code",
    )
)  # fmt: skip
Due = sa.Row[Any]  # a due message: the columns above, by name


def due(session: Session, channel: str, now: datetime, limit: int, per_address: bool = False) -> list[Due]:
    """Due rows, replies before bulk; rows whose sender died mid-send come back after their lease.

    With `per_address` (Telegram: one message a second per chat), a chat whose message another dispatcher is
    sending waits: one dispatcher at a time sends to a chat, and the next one starts from the last send it finds
    recorded (`chat_pauses`). The caller makes claims of such a channel take turns (`Dispatcher.claim`)."""
    rows: list[Due] = []
    postgres = session.get_bind().dialect.name == "postgresql"
    for query in _due_queries(postgres, per_address):
        room = limit - len(rows)
        if room <= 0:
            break
        rows.extend(session.execute(query, {"channel": channel, "now": now, "room": room}).all())
    return rows


@functools.cache
def _due_queries(postgres: bool, per_address: bool) -> tuple[sa.Select, ...]:
    """Built once: the dead senders' rows, then each lane's (channel, now and room are bound per claim)."""
    m = _TABLE.c
    channel, now = sa.bindparam("channel", type_=m.channel.type), sa.bindparam("now", type_=m.lease_until.type)
    free = _not_in_flight(now) if per_address else sa.true()
    queries = [
        sa.select(*_COLUMNS)
        .where(m.channel == channel, m.status == MessageStatus.SENDING, m.lease_until < now, free)
        .order_by(m.id),
        *(
            sa.select(*_COLUMNS)
            .where(m.channel == channel, m.lane == lane, m.status.in_(_DUE), m.next_attempt_at <= now, free)
            .order_by(m.priority, m.next_attempt_at, m.id)
            for lane in LANES
        ),
    ]
    limited = [query.limit(sa.bindparam("room", type_=sa.Integer)) for query in queries]
    return tuple(query.with_for_update(skip_locked=True) if postgres else query for query in limited)


def _not_in_flight(now: sa.BindParameter) -> sa.ColumnElement[bool]:
    """No other message to the row's address is being sent under a live lease."""
    m = _TABLE
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
    session: Session, channel: str, rows: Sequence[Due], now: datetime, interval: float
) -> dict[str, float]:
    """Seconds each address must still wait after the last send recorded to it (by any dispatcher), so that two
    sends to one chat are `interval` apart. A send is recorded after it happened, so this errs on the safe side."""
    m = _TABLE.c
    since = now - timedelta(seconds=interval)
    query = (
        sa.select(m.address, sa.func.max(m.sent_at))
        .where(m.address.in_({row.address for row in rows}), m.sent_at > since, m.channel == channel)
        .group_by(m.address)
    )
    found = session.execute(query).all()
    return {address: interval - (now - as_utc(last)).total_seconds() for address, last in found if last is not None}


def screen(
    session: Session,
    channel: str,
    policy: ChannelPolicy,
    rows: list[Due],
    now: datetime,
    default_zone: ZoneInfo,
) -> list[Due]:
    """Hold what quiet hours hold; cancel what must not go (opted out, stopped, blocked); stop loops. Returns
    the rows that may go; the others are written at once."""
    ok: list[Due] = []
    refused = refusals(session, channel, rows)
    recent = _recent_identical(session, channel, rows, now)
    ended: dict[tuple[str, str, str], list[int]] = {}  # (status, code, reason) → ids
    held: dict[tuple[datetime, bool], list[int]] = {}  # (until, claimed back from a dead sender) → ids
    for row in rows:
        if row.id in refused:
            ended.setdefault((MessageStatus.CANCELLED, *refused[row.id]), []).append(row.id)
        elif recent.get((row.address, row.text_hash), 0) >= LOOP_GUARD_LIMIT:
            ended.setdefault((MessageStatus.FAILED, "loop_guard", _LOOP_GUARD_REASON), []).append(row.id)
        elif (
            row.lane == "bulk"
            and policy.quiet_hours
            and (until := quiet_until(now, _zone(row.timezone, default_zone), policy.quiet_hours))
        ):
            held.setdefault((until, row.status == MessageStatus.SENDING), []).append(row.id)
        else:
            key = (row.address, row.text_hash)
            recent[key] = recent.get(key, 0) + 1
            ok.append(row)
    for (status, code, reason), ids in ended.items():
        _update(session, ids, now, status=status, error_code=code, error_reason=reason, **_NO_LEASE)
    for (until, interrupted), ids in held.items():
        # Claimed back from a dead sender: say so, or it is claimed each poll.
        gone = {"status": MessageStatus.ERRORED, "error_code": "interrupted", "error_reason": texts.REASON_INTERRUPTED}
        _update(session, ids, now, next_attempt_at=until, **(gone | _NO_LEASE if interrupted else {}))
    return ok


_NO_LEASE = {"lease_owner": None, "lease_until": None}


def _update(session: Session, ids: Iterable[int], now: datetime, **values: Any) -> None:
    session.execute(sa.update(_TABLE).where(_TABLE.c.id.in_(list(ids))).values(updated_at=now, **values))


class Recipient(Protocol):
    """What decides whether a message may still go to its recipient (a due row, or a claimed message)."""

    @property
    def id(self) -> int: ...
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
        session.execute(
            sa.select(OptOut.address).where(OptOut.channel == channel, OptOut.address.in_(addresses))
        ).scalars()
    )
    maker_ids = {m.maker_id for m in messages if m.maker_id}
    makers: dict[int, tuple[str, bool]] = {}
    if maker_ids:
        query = sa.select(Maker.id, Maker.status, Maker.alerts_opt_out).where(Maker.id.in_(maker_ids))
        makers = {maker_id: (status, alerts_off) for maker_id, status, alerts_off in session.execute(query)}
    buyer_ids = {m.buyer_id for m in messages if m.buyer_id}
    blocked: set[int] = set()
    if buyer_ids:
        blocked = set(session.execute(sa.select(Buyer.id).where(Buyer.id.in_(buyer_ids), Buyer.blocked)).scalars())
    refused: dict[int, tuple[str, str]] = {}
    for message in messages:
        status, alerts_off = makers.get(message.maker_id, (None, False)) if message.maker_id else (None, False)
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
            attempts=_TABLE.c.attempts - 1,
            updated_at=now,
        )


def _recent_identical(session: Session, channel: str, rows: list[Due], now: datetime) -> dict[tuple[str, str], int]:
    m = _TABLE.c
    query = (
        sa.select(m.address, m.text_hash, sa.func.count())
        .where(
            m.channel == channel,
            col(m.address).in_({row.address for row in rows}),
            col(m.sent_at) >= now - LOOP_GUARD_WINDOW,
        )
        .group_by(m.address, m.text_hash)
    )
    return {(address, digest): count for address, digest, count in session.execute(query)}


def _zone(name: str | None, default: ZoneInfo) -> ZoneInfo:
    if name:
        with contextlib.suppress(ZoneInfoNotFoundError, ValueError):
            return ZoneInfo(name)
    return default
