"""Claiming a batch: in one write transaction, the channel's next send slot (locked, so claims of a paced channel
take turns), the due rows that may go now (screening.py), a slot for each at the channel's pace and its chat's
pause, and one lease over them all."""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from bot.db import dialect_name, insert_skipping_conflicts, table_of
from bot.models import ChannelPace, MessageStatus, OutboundMessage
from bot.outbox import screening
from bot.outbox.batch import Claimed, Outcome, time_now
from bot.outbox.enqueuing import SEGMENTED_CHANNELS
from bot.outbox.outgoing import as_outgoing, edited_provider_ids, known_provider_ids
from bot.outbox.policy import ChannelPolicy
from bot.outbox.recording import record_outcomes
from bot.outbox.screening import Due

if TYPE_CHECKING:
    from bot.outbox.dispatcher import Dispatcher

_PACE = table_of(ChannelPace)
_TABLE = table_of(OutboundMessage)


def claim_batch(dispatcher: Dispatcher, channel: str, record: Sequence[Outcome] = ()) -> list[Claimed]:
    """Take due messages of `channel` under a lease, as many as the channel's pace allows soon; first record the
    outcomes of `record` (the last batch's), in the same transaction."""
    d = dispatcher
    policy = d.policies[channel]
    now = d.clock()
    checked_at = time.monotonic()
    with d.db.core_transaction() as connection:
        if record:
            record_outcomes(connection, d, channel, list(record), now)
        # Claims of a paced channel take turns (PostgreSQL: the pace row is locked until commit; SQLite: the write
        # lock), so two dispatchers can share neither a rate slot nor a chat's one-second pause.
        paced = bool(policy.per_second or policy.per_address_interval)
        pace = pace_start(connection, channel) if paced else None
        slot = pace if policy.per_second else None
        if slot is not None and slot - time_now() > d.horizon:
            return []
        rows = _screened(d, connection, channel, policy, now)
        if not rows:
            return []
        claimed, next_slot = _slots(d, connection, channel, policy, rows, now, slot, checked_at)
        _take(d, connection, claimed, now)
        if policy.per_second:
            connection.execute(sa.update(_PACE).where(_PACE.c.channel == channel).values(next_at=next_slot))
    return claimed


def pace_start(connection: sa.Connection, channel: str) -> float:
    """The channel's next free slot, locked for this transaction (SQLite: the write lock already is)."""
    query = sa.select(_PACE.c.next_at).where(_PACE.c.channel == channel)
    if dialect_name(connection) == "postgresql":
        query = query.with_for_update()
    found = connection.execute(query).scalar_one_or_none()
    if found is None:  # the channel's first claim
        connection.execute(insert_skipping_conflicts(connection, _PACE, "channel").values(channel=channel, next_at=0.0))
        found = connection.execute(query).scalar_one()
    return max(found, time_now())


def _screened(
    d: Dispatcher, connection: sa.Connection, channel: str, policy: ChannelPolicy, now: datetime
) -> list[Due]:
    """Due rows that may go now; the held and cancelled ones are written as such."""
    per_address = bool(policy.per_address_interval)
    dead_senders = d.look_for_dead_senders(channel, now)
    for _ in range(50):
        due = screening.due(connection, channel, now, d.max_batch, per_address, dead_senders)
        if not due:
            return []
        rows = screening.screen(connection, policy, due, now, d.default_zone)
        if rows:
            return rows
        # A whole batch was held or cancelled: look again, so it cannot hide what is due behind it.
    return []


def _slots(
    d: Dispatcher,
    connection: sa.Connection,
    channel: str,
    policy: ChannelPolicy,
    rows: list[Due],
    now: datetime,
    slot: float | None,
    checked_at: float,
) -> tuple[list[Claimed], float]:
    """Each row's send slot at the channel's pace (and its chat's pause), as many as fit the horizon."""
    edited = edited_provider_ids(connection, rows)
    known = known_provider_ids(connection, channel, rows)
    interval = policy.per_address_interval
    pauses = screening.chat_pauses(connection, channel, rows, now, interval) if interval else {}
    budget = policy.per_second * d.horizon if policy.per_second else None
    claimed: list[Claimed] = []
    used = 0.0
    start = time_now()
    next_slot = slot if slot is not None else start
    for row in rows:
        units = row.segments if channel in SEGMENTED_CHANNELS else 1
        if budget is not None and claimed and used + units > budget:
            break
        used += units
        not_before = start + pauses[row.address] if row.address in pauses else 0.0
        lease = start + d.lease_seconds + max(0.0, next_slot - start, not_before - start)
        outgoing = as_outgoing(row, edited, known)
        claimed.append(Claimed(outgoing, next_slot, units, lease, row.maker_id, row.buyer_id, checked_at, not_before))
        if policy.per_second:
            next_slot += units / policy.per_second
    return claimed, next_slot


def _take(d: Dispatcher, connection: sa.Connection, claimed: list[Claimed], now: datetime) -> None:
    """Lease the claimed rows: one statement for all, the lease long enough for the last slot to come. An uncertain
    message keeps the time of the attempt that may have gone out: the look-up must reach back to it however often
    the message is claimed again."""
    longest = max(c.leased_until for c in claimed)
    until = now + timedelta(seconds=longest - time_now())
    plain = [c.id for c in claimed if c.outgoing.uncertain_since is None]
    if plain:
        postgres = dialect_name(connection) == "postgresql"
        ids = plain if postgres else json.dumps(plain)
        connection.execute(_take_plain(postgres), {"ids": ids, "owner": d.owner, "until": until, "now": now})
    uncertain = [
        {"_id": c.id, "_lease": until, "_attempted": c.outgoing.uncertain_since}
        for c in claimed
        if c.outgoing.uncertain_since is not None
    ]
    if uncertain:
        values = {"status": MessageStatus.SENDING, "attempts": _TABLE.c.attempts + 1, "updated_at": now}
        d.leases.take_each(connection, uncertain, attempted_at=sa.bindparam("_attempted"), **values)
    for c in claimed:
        c.leased_until = longest


@functools.cache
def _take_plain(postgres: bool) -> sa.Update:
    """Leasing a batch (`Leases.take`, for the rows attempted now), built once: the ids are one parameter (a
    PostgreSQL array, a SQLite JSON list), so the statement is the same however many rows a claim takes."""
    m = _TABLE.c
    if postgres:
        ids: sa.ColumnElement[bool] = m.id == sa.any_(sa.bindparam("ids", type_=postgresql.ARRAY(sa.Integer)))
    else:
        listed = sa.func.json_each(sa.bindparam("ids", type_=sa.String)).table_valued("value")
        ids = m.id.in_(sa.select(listed.c.value))
    now = sa.bindparam("now", type_=m.updated_at.type)
    return (
        sa.update(_TABLE)
        .where(ids)
        .values(
            status=MessageStatus.SENDING,
            attempts=m.attempts + 1,
            lease_owner=sa.bindparam("owner", type_=m.lease_owner.type),
            lease_until=sa.bindparam("until", type_=m.lease_until.type),
            attempted_at=now,
            updated_at=now,
        )
    )
