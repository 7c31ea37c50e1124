"""Which due messages may go now: replies before bulk; quiet hours hold the bulk lane; nothing goes to someone who
opted out, stopped or blocked the bot; a loop of identical texts to one address is stopped.

This is the outbox's hot path, run for every batch, so it reads plain rows, never ORM objects: one query per lane
reads the batch off the queue's index (ix_outbound_message_queue) together with what screening needs to know of
each message's recipient (opted out? the maker stopped, alerts off? the buyer blocked? identical texts lately?),
and each kind of change is one UPDATE.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa

from bot import texts
from bot.db import dialect_name, table_of
from bot.leases import Leases
from bot.models import (
    LANES,
    WAITING_SQL,
    Buyer,
    Maker,
    MakerStatus,
    MessageStatus,
    OptOut,
    OutboundMessage,
    as_utc,
)
from bot.outbox.enqueuing import OPT_OUT_CONFIRMATION
from bot.outbox.policy import ChannelPolicy, quiet_until

LOOP_GUARD_LIMIT = 20  # identical texts to one address…
LOOP_GUARD_WINDOW = timedelta(minutes=5)  # …within this window; the next one fails instead of going out
_LOOP_GUARD_REASON = texts.REASON_LOOP_GUARD.format(limit=LOOP_GUARD_LIMIT, minutes=LOOP_GUARD_WINDOW.seconds // 60)
_TABLE = table_of(OutboundMessage)
_OPT_OUT, _MAKER, _BUYER = table_of(OptOut), table_of(Maker), table_of(Buyer)
# What a claim reads of a due message: enough to screen it and hand it to its sender.
_COLUMNS = tuple(
    _TABLE.c[name]
    for name in (
        "id", "channel", "address", "text", "buttons", "purpose", "lane", "status", "attempts", "segments",
        "text_hash", "timezone", "maker_id", "buyer_id", "edit_of", "attempted_at", "updated_at", "error_code",
        "media_key", "media_as_link",
    )
)  # fmt: skip
Due = sa.Row[Any]  # a due message: the columns above and the facts of `_recipient_facts`, by name
Refusal = tuple[str, str]  # (error code, reason) of a message that must not go


def due(
    connection: sa.Connection,
    channel: str,
    now: datetime,
    limit: int,
    per_address: bool = False,
    dead_senders: bool = True,
) -> list[Due]:
    """Due rows, replies before bulk; rows whose sender died mid-send come back after their lease (looked for only
    with `dead_senders`: the caller does not look on every claim).

    With `per_address` (Telegram: one message a second per chat), a chat whose message another dispatcher is
    sending waits: one dispatcher at a time sends to a chat, and the next one starts from the last send it finds
    recorded (`chat_pauses`). The caller makes claims of such a channel take turns (`Dispatcher.claim`)."""
    rows: list[Due] = []
    postgres = dialect_name(connection) == "postgresql"
    values = {"channel": channel, "now": now, "since": now - LOOP_GUARD_WINDOW}
    dead, *lanes = _due_queries(postgres, per_address)
    for query in [dead, *lanes] if dead_senders else lanes:
        room = limit - len(rows)
        if room <= 0:
            break
        rows.extend(connection.execute(query, {**values, "room": room}).all())
    return rows


@functools.cache
def _due_queries(postgres: bool, per_address: bool) -> tuple[sa.Select[Any], ...]:
    """Built once: the dead senders' rows, then each lane's, in the order of the queue's index (channel, now, since
    and room are bound per claim)."""
    m = _TABLE.c
    channel, now = sa.bindparam("channel", type_=m.channel.type), sa.bindparam("now", type_=m.lease_until.type)
    free = _not_in_flight(now) if per_address else sa.true()
    columns = (*_COLUMNS, *_recipient_facts())
    queries = [
        sa.select(*columns)
        .where(m.channel == channel, m.status == MessageStatus.SENDING, m.lease_until < now, free)
        .order_by(m.id),
        *(
            sa.select(*columns)
            .where(m.channel == channel, m.lane == lane, sa.text(WAITING_SQL), m.next_attempt_at <= now, free)
            .order_by(m.priority, m.next_attempt_at, m.id)
            for lane in LANES
        ),
    ]
    limited = [query.limit(sa.bindparam("room", type_=sa.Integer)) for query in queries]
    return tuple(query.with_for_update(skip_locked=True) if postgres else query for query in limited)


def same_channel(column: sa.ColumnElement[str], channel: Any) -> sa.ColumnElement[bool]:
    """`column == channel`, written so that no index is used for it: nearly every row has the same channel, so an
    index on it is no filter, yet without planner statistics (a queue just filled by a broadcast) PostgreSQL took
    ix_outbound_message_due's channel prefix for one and combined a bitmap of every row with the address index's,
    for each due message: 2 ms a message, a quarter of a second a claim, at 100,000 rows. The address index
    (ix_outbound_message_recent) is the one that finds these rows."""
    return column.concat("") == channel


def _recipient_facts() -> tuple[sa.Label[Any], ...]:
    """Per due row, by its own indexes (so a fresh queue without planner statistics costs the same): whether the
    address opted out, its maker's status and alerts setting, whether its buyer blocked the bot, and how often
    the same text went to it within the loop guard's window."""
    m = _TABLE.c
    sent = _TABLE.alias("sent")
    since = sa.bindparam("since", type_=m.sent_at.type)
    opted_out = sa.exists().where(_OPT_OUT.c.channel == m.channel, _OPT_OUT.c.address == m.address)
    recent = (
        sa.select(sa.func.count())
        .where(
            sent.c.address == m.address,  # with sent_at: the (address, sent_at) index
            sent.c.sent_at >= since,
            sent.c.text_hash == m.text_hash,
            same_channel(sent.c.channel, m.channel),
        )
        .scalar_subquery()
    )
    return (
        opted_out.label("opted_out"),
        sa.select(_MAKER.c.status).where(_MAKER.c.id == m.maker_id).scalar_subquery().label("maker_status"),
        sa.select(_MAKER.c.alerts_opt_out).where(_MAKER.c.id == m.maker_id).scalar_subquery().label("alerts_off"),
        sa.select(_BUYER.c.blocked).where(_BUYER.c.id == m.buyer_id).scalar_subquery().label("blocked"),
        recent.label("recent_sends"),
    )


def _not_in_flight(now: sa.BindParameter[datetime]) -> sa.ColumnElement[bool]:
    """No other message to the row's address is being sent under a live lease."""
    m = _TABLE
    other = m.alias("other")
    return ~sa.exists().where(
        other.c.address == m.c.address,
        other.c.sent_at.is_(None),  # with the address, the (address, sent_at) index finds these
        same_channel(other.c.channel, m.c.channel),
        other.c.status == MessageStatus.SENDING,
        other.c.lease_until >= now,
        other.c.id != m.c.id,
    )


def chat_pauses(
    connection: sa.Connection, channel: str, rows: Sequence[Due], now: datetime, interval: float
) -> dict[str, float]:
    """Seconds each address must still wait after the last send recorded to it (by any dispatcher), so that two
    sends to one chat are `interval` apart. A send is recorded after it happened, so this errs on the safe side."""
    m = _TABLE.c
    since = now - timedelta(seconds=interval)
    query = (
        sa.select(m.address, sa.func.max(m.sent_at))
        .where(m.address.in_({row.address for row in rows}), m.sent_at > since, same_channel(m.channel, channel))
        .group_by(m.address)
    )
    found = connection.execute(query).all()
    return {address: interval - (now - as_utc(last)).total_seconds() for address, last in found if last is not None}


def screen(
    connection: sa.Connection,
    policy: ChannelPolicy,
    rows: list[Due],
    now: datetime,
    default_zone: ZoneInfo,
) -> list[Due]:
    """Hold what quiet hours hold; cancel what must not go (opted out, stopped, blocked); stop loops. Returns
    the rows that may go; the others are written at once."""
    ok: list[Due] = []
    sends: dict[tuple[str, str], int] = {}  # identical texts to one address, counting this batch's
    ended: dict[tuple[str, str, str], list[int]] = {}  # (status, code, reason) → ids
    held: dict[tuple[datetime, bool], list[int]] = {}  # (until, claimed back from a dead sender) → ids
    for row in rows:
        key = (row.address, row.text_hash)
        sends.setdefault(key, row.recent_sends)
        if refused := refusal(row.purpose, row.opted_out, row.maker_status, row.alerts_off, row.blocked):
            ended.setdefault((MessageStatus.CANCELLED, *refused), []).append(row.id)
        elif sends[key] >= LOOP_GUARD_LIMIT:
            ended.setdefault((MessageStatus.FAILED, "loop_guard", _LOOP_GUARD_REASON), []).append(row.id)
        elif (
            row.lane == "bulk"
            and policy.quiet_hours
            and (until := quiet_until(now, _zone(row.timezone, default_zone), policy.quiet_hours))
        ):
            held.setdefault((until, row.status == MessageStatus.SENDING), []).append(row.id)
        else:
            sends[key] += 1
            ok.append(row)
    for (status, code, reason), ids in ended.items():
        _update(connection, ids, now, status=status, error_code=code, error_reason=reason, **_NO_LEASE)
    for (until, interrupted), ids in held.items():
        # Claimed back from a dead sender: say so, or it is claimed each poll.
        gone = {"status": MessageStatus.ERRORED, "error_code": "interrupted", "error_reason": texts.REASON_INTERRUPTED}
        _update(connection, ids, now, next_attempt_at=until, **(gone | _NO_LEASE if interrupted else {}))
    return ok


def refusal(
    purpose: str, opted_out: bool, maker_status: str | None, alerts_off: bool | None, blocked: bool | None
) -> Refusal | None:
    """Why a message must not go to its recipient, if it must not: they opted out or were stopped (all but the
    confirmation of that), blocked the bot, or turned alerts off (alerts only)."""
    if (opted_out or maker_status == MakerStatus.STOPPED) and purpose != OPT_OUT_CONFIRMATION:
        return ("recipient_opted_out", texts.REASON_OPTED_OUT)
    if blocked:
        return ("recipient_blocked", texts.REASON_BLOCKED)
    if purpose == "alert" and alerts_off:
        return ("alerts_off", texts.REASON_ALERTS_OFF)
    return None


_NO_LEASE = {"lease_owner": None, "lease_until": None}


def _update(connection: sa.Connection, ids: Iterable[int], now: datetime, **values: Any) -> None:
    connection.execute(sa.update(_TABLE).where(_TABLE.c.id.in_(list(ids))).values(updated_at=now, **values))


class Recipient(Protocol):
    """A claimed message, as the check right before its send sees it."""

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


def refusals(connection: sa.Connection, channel: str, messages: Sequence[Recipient]) -> dict[int, Refusal]:
    """The claimed messages that must not go any more (see `refusal`), as id → (error code, reason): asked again
    right before a paced send."""
    if not messages:
        return {}
    addresses = {m.address for m in messages}
    opted_out = set(
        connection.execute(
            sa.select(_OPT_OUT.c.address).where(_OPT_OUT.c.channel == channel, _OPT_OUT.c.address.in_(addresses))
        ).scalars()
    )
    maker_ids = {m.maker_id for m in messages if m.maker_id}
    makers: dict[int, tuple[str, bool]] = {}
    if maker_ids:
        mk = _MAKER.c
        query = sa.select(mk.id, mk.status, mk.alerts_opt_out).where(mk.id.in_(maker_ids))
        makers = {maker_id: (status, alerts_off) for maker_id, status, alerts_off in connection.execute(query)}
    buyer_ids = {m.buyer_id for m in messages if m.buyer_id}
    blocked: set[int] = set()
    if buyer_ids:
        query = sa.select(_BUYER.c.id).where(_BUYER.c.id.in_(buyer_ids), _BUYER.c.blocked)
        blocked = set(connection.execute(query).scalars())
    refused: dict[int, Refusal] = {}
    for message in messages:
        status, alerts_off = makers.get(message.maker_id, (None, False)) if message.maker_id else (None, False)
        gone = message.address in opted_out
        if why := refusal(message.purpose, gone, status, alerts_off, message.buyer_id in blocked):
            refused[message.id] = why
    return refused


def cancel(connection: sa.Connection, refused: dict[int, Refusal], now: datetime, leases: Leases) -> None:
    """Cancel claimed messages whose recipient is gone (see `refusals`), those still held under `leases`; the
    attempt they were claimed for is not counted, as when the claim's own check cancels them."""
    by_reason: dict[Refusal, list[int]] = {}
    for message_id, reason in refused.items():
        by_reason.setdefault(reason, []).append(message_id)
    for (code, why), ids in by_reason.items():
        leases.release(
            connection,
            ids,
            status=MessageStatus.CANCELLED,
            error_code=code,
            error_reason=why,
            attempts=_TABLE.c.attempts - 1,
            updated_at=now,
        )


def _zone(name: str | None, default: ZoneInfo) -> ZoneInfo:
    if name:
        with contextlib.suppress(ZoneInfoNotFoundError, ValueError):
            return ZoneInfo(name)
    return default
