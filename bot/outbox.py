"""The durable outbound queue: services enqueue in their own transaction; dispatchers send through senders.

Every message makerlink sends is an OutboundMessage row first. A dispatcher claims due rows with a lease
(PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: BEGIN IMMEDIATE), paces them to the channel's rate through a
slot shared by every dispatcher process, sends them through the injected `Sender` of their channel and
records the outcome. This module imports no channel: senders are handed in by the bootstrap.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlmodel import Session, select

from bot import texts
from bot.db import Database, insert_skipping_conflicts
from bot.models import LANES, Buyer, ChannelPace, Maker, OptOut, OutboundMessage, as_utc, utcnow
from bot.segments import count_segments


@dataclass(frozen=True)
class Outgoing:
    """One message as a sender sees it."""

    id: int
    channel: str
    address: str
    text: str
    buttons: list[list[tuple[str, str]]] | None  # rows of (label, callback data)
    purpose: str
    attempt: int  # 1 for the first try
    # Set when this message replaces the text of one already sent: that message's provider id. A channel
    # that cannot edit sends the text as a new message.
    edit_of: str | None = None
    # Set when an earlier attempt may have gone out unrecorded (its process died mid-send, or the provider did
    # not answer in time): when it started. A sender with `find_sent` looks before sending again.
    uncertain_since: datetime | None = None
    # With `uncertain_since`: the provider ids already recorded for other messages to this address since then,
    # which therefore cannot be this one.
    known_provider_ids: frozenset[str] = frozenset()


@dataclass(frozen=True)
class SendResult:
    provider_id: str | None  # Twilio's MessageSid, Telegram's message_id
    segments: int | None = None  # as the provider counted them, when it says


class SendError(Exception):
    """A send that did not happen. `retryable` decides between another attempt and failure."""

    def __init__(
        self,
        reason: str,
        *,
        retryable: bool,
        code: str | None = None,
        retry_after: float | None = None,
        recipient_gone: bool = False,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable and not recipient_gone
        self.code = code
        self.retry_after = retry_after  # seconds the provider asked us to wait
        self.recipient_gone = recipient_gone  # opted out, blocked the bot, deactivated: never send again


class Sender(Protocol):
    """What the dispatcher needs from a channel.

    A sender may also have `async def find_sent(message) -> SendResult | None`: the provider's record of this
    message if an earlier, unrecorded attempt did send it (Twilio: its message list). The dispatcher asks it
    before retrying an uncertain attempt, so a crash between the provider's answer and our record does not
    send the message twice.
    """

    channel: str

    async def send(self, message: Outgoing) -> SendResult: ...

    async def aclose(self) -> None: ...


# Errors after which the provider may have the message anyway: the next attempt asks it first (`find_sent`).
UNCERTAIN_CODES = ("timeout", "connection", "interrupted", "lookup_failed")
# Messages that are edited after they are sent (a broadcast's progress line). Telegram refuses to edit a message
# sent with a reply keyboard, or with the removal of one, so a channel sends these with no keyboard markup.
EDITED_LATER = frozenset({"broadcast_progress"})
KNOWN_IDS_MARGIN = timedelta(minutes=15)


# ── enqueue: called by services inside their own transaction ──

LOOP_GUARD_LIMIT = 20  # identical texts to one address…
LOOP_GUARD_WINDOW = timedelta(minutes=5)  # …within this window; the next one fails instead of going out
_LOOP_GUARD_REASON = texts.REASON_LOOP_GUARD.format(limit=LOOP_GUARD_LIMIT, minutes=LOOP_GUARD_WINDOW.seconds // 60)


def text_hash(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


def enqueue(
    session: Session,
    *,
    channel: str,
    address: str,
    text: str,
    purpose: str,
    key: str,
    lane: str = "reply",
    priority: int = 0,
    buttons: list[list[tuple[str, str]]] | None = None,
    maker_id: int | None = None,
    buyer_id: int | None = None,
    request_id: int | None = None,
    timezone: str | None = None,
    not_before: datetime | None = None,
    edit_of: int | None = None,
    broadcast_id: int | None = None,
    now: datetime | None = None,
) -> OutboundMessage:
    """Queue one message in the caller's transaction; the same `key` twice yields one message."""
    if lane not in LANES:
        raise ValueError(f"lane must be one of {LANES}, not {lane!r}")
    now = now or utcnow()
    values = {
        "channel": channel,
        "address": address,
        "text": text,
        "buttons": json.dumps(buttons, ensure_ascii=False) if buttons else None,
        "purpose": purpose,
        "lane": lane,
        "priority": priority,
        "idempotency_key": key[:200],
        "status": "queued",
        "attempts": 0,
        "next_attempt_at": max(now, not_before) if not_before else now,
        "segments": count_segments(text) if channel in SEGMENTED_CHANNELS else 1,
        "text_hash": text_hash(text),
        "timezone": timezone,
        "maker_id": maker_id,
        "buyer_id": buyer_id,
        "request_id": request_id,
        "edit_of": edit_of,
        "broadcast_id": broadcast_id,
        "created_at": now,
        "updated_at": now,
    }
    table = OutboundMessage.__table__
    session.execute(insert_skipping_conflicts(session, table, "idempotency_key").values(**values))
    wake_dispatchers(session, channel)
    return session.exec(
        select(OutboundMessage).where(OutboundMessage.idempotency_key == values["idempotency_key"])
    ).one()


WAKE_CHANNEL = "makerlink_outbox"  # PostgreSQL NOTIFY channel; the payload is the outbox channel ("sms", …)
LISTEN_WAIT_SECONDS = 0.5  # the listening thread looks whether it should end this often


def wake_dispatchers(session: Session, channel: str) -> None:
    """On PostgreSQL, wake every listening dispatcher, in any process, once this transaction commits.

    NOTIFY is delivered at commit (never before the rows are visible, never for a rollback); it is sent once
    per transaction and channel however many messages were queued. SQLite needs none: one process sends there,
    and the web app's `on_enqueued` hook wakes its own dispatcher.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    transaction = session.get_transaction()
    woken = session.info.get("outbox_woken")
    if woken is None or woken[0] is not transaction:
        woken = session.info["outbox_woken"] = (transaction, set())
    if channel in woken[1]:
        return
    woken[1].add(channel)
    session.execute(sa.text("SELECT pg_notify(:name, :payload)"), {"name": WAKE_CHANNEL, "payload": channel})


SEGMENTED_CHANNELS = frozenset({"sms"})  # paced and billed by segment
RECORD_WHILE_WAITING = 0.05  # seconds: a wait for a rate slot at least this long is used to record outcomes
# The one message that may still go to someone who just opted out: the confirmation that they did.
OPT_OUT_CONFIRMATION = "opt_out_confirmation"


# ── dispatch ──


@dataclass(frozen=True)
class ChannelPolicy:
    """How one channel may be used."""

    per_second: float | None = None  # units per second across every dispatcher; None = as fast as the sender goes
    quiet_hours: tuple[clock_time, clock_time] | None = None  # recipient's local time; holds the bulk lane only
    concurrency: int = 1  # sends in flight at once in one process
    per_address_interval: float = 0.0  # seconds between two sends to one address (Telegram: 1 per chat per second)


def parse_quiet_hours(value: str) -> tuple[clock_time, clock_time] | None:
    """ "21:00-08:00" → (21:00, 08:00); "" → None. The settings have already checked the form."""
    if not value:
        return None
    start, end = (clock_time.fromisoformat(part.zfill(5)) for part in value.split("-"))
    return None if start == end else (start, end)


def quiet_until(now: datetime, zone: ZoneInfo, quiet: tuple[clock_time, clock_time]) -> datetime | None:
    """When quiet hours end for someone in `zone`, or None when it is not quiet there now."""
    local = now.astimezone(zone)
    start, end = quiet
    clock = local.time()
    inside = start <= clock < end if start < end else (clock >= start or clock < end)
    if not inside:
        return None
    end_today = datetime.combine(local.date(), end, tzinfo=zone)
    ends = end_today if end_today > local else datetime.combine(local.date() + timedelta(days=1), end, tzinfo=zone)
    return ends.astimezone(UTC)


@dataclass
class _Claimed:
    outgoing: Outgoing
    slot: float  # epoch seconds: not before
    units: int  # what it costs against the channel's rate (SMS: segments)
    leased_until: float  # epoch seconds: another dispatcher may take it over after this


@dataclass
class _Outcome:
    id: int
    result: SendResult | None = None
    error: SendError | None = None


RecipientGoneHook = Callable[[Session, str, str, str | None], None]

_DUE = ("queued", "errored")
_STATUS_RANK = {"queued": 0, "sending": 1, "sent": 2, "delivered": 3, "failed": 3, "cancelled": 3}
log = logging.getLogger(__name__)


class Dispatcher:
    """Claims due messages, sends them through the channel's sender at the channel's pace, records the outcome.

    Any number of dispatchers (in one process or many) can run over one database: a message is claimed by one
    of them under a lease, and a crash leaves it to be claimed again once the lease runs out.
    """

    def __init__(
        self,
        db: Database,
        senders: Mapping[str, Sender],
        policies: Mapping[str, ChannelPolicy] | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
        default_timezone: str = "UTC",
        lease_seconds: float = 60.0,
        send_timeout: float = 20.0,
        max_attempts: int = 3,
        backoff: Sequence[float] = (30.0, 120.0),
        max_batch: int = 100,
        horizon: float = 2.0,
        poll_interval: float = 0.5,
        flush_every: int = 20,
        on_recipient_gone: RecipientGoneHook | None = None,
        owner: str | None = None,
        listen: bool = True,
    ) -> None:
        self.db = db
        self.senders = dict(senders)
        self.policies = {channel: (policies or {}).get(channel, ChannelPolicy()) for channel in self.senders}
        self.clock = clock
        self.default_zone = ZoneInfo(default_timezone)
        if lease_seconds < 2 * send_timeout:
            raise ValueError("lease_seconds must be at least twice send_timeout: no send may outlive its lease")
        self.lease = timedelta(seconds=lease_seconds)
        self.lease_seconds = lease_seconds
        self.send_timeout = send_timeout
        self.max_attempts = max_attempts
        self.backoff = tuple(backoff)
        self.max_batch = max_batch
        self.horizon = horizon
        self.poll_interval = poll_interval
        self.flush_every = flush_every
        self.on_recipient_gone = on_recipient_gone
        self.listen = listen and db.engine.dialect.name == "postgresql"
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.sent = 0  # sends attempted by this dispatcher, for health and tests
        self.last_loop_at: datetime | None = None
        self._wake: dict[str, asyncio.Event] = {}
        self._last_send: dict[str, tuple[float, int]] = {}  # monotonic start and units of the last send
        self._last_to: dict[tuple[str, str], float] = {}  # (channel, address) → monotonic start of the last send
        self._found_ids: set[str] = set()  # provider ids given to uncertain messages by `find_sent` lately
        self._loop: asyncio.AbstractEventLoop | None = None

    # ── running ──

    async def run(self, stop: asyncio.Event) -> None:
        """Dispatch every channel until `stop` is set; in-flight sends finish and are recorded."""
        self._loop = asyncio.get_running_loop()
        self._wake = {channel: asyncio.Event() for channel in self.senders}
        self.last_loop_at = self.clock()
        if not self.senders:  # nothing to send through (no channel configured): stay up until told to stop
            await stop.wait()
            return
        done = asyncio.Event()  # ends the listener however the channels end (stopped, failed or cancelled)
        # The listener also ends as soon as `stop` is set, while the sends in flight finish, not after them.
        listener = asyncio.create_task(self._listen(stop, done)) if self.listen else None
        try:
            await asyncio.gather(*(self._run_channel(channel, stop) for channel in self.senders))
        finally:
            done.set()
            if listener is not None:
                with contextlib.suppress(Exception):
                    await listener

    async def _listen(self, *until: asyncio.Event) -> None:
        """PostgreSQL: LISTEN for wake_dispatchers' NOTIFY, so messages queued by another process (`makerlink web`,
        the CLI) go out at once rather than at the next poll. Polling goes on underneath: a lost connection
        costs latency, never a message. Ends once any of `until` is set."""
        failures = 0

        def ended() -> bool:  # also read by the listening thread: an Event's flag is safe to read from there
            return any(event.is_set() for event in until)

        while not ended():
            try:
                await asyncio.to_thread(self._listen_blocking, ended)
                failures = 0
            except Exception as error:
                failures += 1
                log.warning("outbox: listening for new messages failed (%s); polling meanwhile", type(error).__name__)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(_first(*(e.wait() for e in until)), timeout=min(30.0, 0.5 * 2**failures))

    def _listen_blocking(self, ended: Callable[[], bool]) -> None:
        # A connection of its own, taken out of the pool: it sits in LISTEN in autocommit mode for as long as we run.
        pooled = self.db.engine.raw_connection()
        connection = pooled.driver_connection
        pooled.detach()
        try:
            connection.rollback()
            connection.autocommit = True
            connection.execute(f"LISTEN {WAKE_CHANNEL}")
            self.notify()  # anything queued while we were not listening
            while not ended():
                # The wait is short so that a stopping process is not held up by it (the thread is joined at exit).
                for note in connection.notifies(timeout=LISTEN_WAIT_SECONDS):
                    if note.payload in self._wake:
                        self.notify(note.payload)
        finally:
            with contextlib.suppress(Exception):
                connection.close()

    def notify(self, channel: str | None = None) -> None:
        """Something was enqueued: look now rather than at the next poll. Safe from any thread."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        for name, event in self._wake.items():
            if channel is None or name == channel:
                loop.call_soon_threadsafe(event.set)

    async def drain(self, channel: str | None = None) -> int:
        """Send everything that is due now (tests, the CLI); return how many sends were attempted."""
        total = 0
        for name in [channel] if channel else list(self.senders):
            while True:
                batch = await asyncio.to_thread(self.claim, name)
                if not batch:
                    break
                total += await self._send_batch(name, batch)
        return total

    async def _run_channel(self, channel: str, stop: asyncio.Event) -> None:
        wake = self._wake[channel]
        while not stop.is_set():
            self.last_loop_at = self.clock()
            try:
                batch = await asyncio.to_thread(self.claim, channel)
            except Exception:
                log.exception("outbox: claiming %s messages failed; retrying shortly", channel)
                batch = []
            if batch:
                try:
                    await self._send_batch(channel, batch, stop)
                except Exception:
                    # The rows stay leased to us; once the lease runs out any dispatcher takes them again.
                    log.exception("outbox: a batch of %s messages failed; carrying on", channel)
                    await asyncio.sleep(self.poll_interval)
                continue
            wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(_first(stop.wait(), wake.wait()), timeout=self.poll_interval)

    # ── claiming ──

    def claim(self, channel: str) -> list[_Claimed]:
        """Take due messages of `channel` under a lease, as many as the channel's pace allows soon."""
        policy = self.policies[channel]
        now = self.clock()
        with self.db.transaction() as session:
            slot = self._pace_start(session, channel, policy) if policy.per_second else None
            if slot is not None and slot - time_now() > self.horizon:
                return []
            budget = policy.per_second * self.horizon if policy.per_second else None
            rows: list[OutboundMessage] = []
            for _ in range(50):
                due = self._due(session, channel, now)
                if not due:
                    break
                rows = self._screen(session, channel, policy, due, now)
                if rows:
                    break
                # A whole batch was held or cancelled: look again, so it cannot hide what is due behind it.
                session.flush()
            edited = _edited_provider_ids(session, rows)
            known = _known_provider_ids(session, channel, rows)
            claimed: list[_Claimed] = []
            used = 0.0
            next_slot = slot if slot is not None else time_now()
            for row in rows:
                units = row.segments if channel in SEGMENTED_CHANNELS else 1
                if budget is not None and claimed and used + units > budget:
                    break
                used += units
                wait = max(0.0, next_slot - time_now())
                lease = time_now() + self.lease_seconds + wait
                claimed.append(_Claimed(_outgoing(row, edited, known), next_slot, units, lease))
                if policy.per_second:
                    next_slot += units / policy.per_second
            if not claimed:
                return []
            table = OutboundMessage.__table__
            session.execute(
                sa.update(table)
                .where(table.c.id == sa.bindparam("_id"))
                .values(
                    status="sending",
                    attempts=table.c.attempts + 1,
                    attempted_at=sa.bindparam("_attempted"),
                    lease_owner=self.owner,
                    lease_until=sa.bindparam("_lease"),
                    updated_at=now,
                ),
                [
                    {
                        "_id": c.outgoing.id,
                        "_lease": now + timedelta(seconds=c.leased_until - time_now()),
                        # An uncertain message keeps the time of the attempt that may have gone out: the look-up
                        # must reach back to it however often the message is claimed again.
                        "_attempted": c.outgoing.uncertain_since or now,
                    }
                    for c in claimed
                ],
            )
            if policy.per_second:
                session.execute(
                    sa.update(ChannelPace.__table__).where(ChannelPace.channel == channel).values(next_at=next_slot)
                )
        return claimed

    def _pace_start(self, session: Session, channel: str, policy: ChannelPolicy) -> float:
        """The channel's next free slot, locked for this transaction (SQLite: the write lock already is)."""
        table = ChannelPace.__table__
        postgres = session.get_bind().dialect.name == "postgresql"
        session.execute(insert_skipping_conflicts(session, table, "channel").values(channel=channel, next_at=0.0))
        query = sa.select(table.c.next_at).where(table.c.channel == channel)
        if postgres:
            query = query.with_for_update()
        return max(session.execute(query).scalar_one(), time_now())

    def _due(self, session: Session, channel: str, now: datetime) -> list[OutboundMessage]:
        """Due rows, replies before bulk; rows whose sender died mid-send come back after their lease."""
        m = OutboundMessage
        postgres = session.get_bind().dialect.name == "postgresql"
        rows: list[OutboundMessage] = []
        queries = [
            select(m).where(m.channel == channel, m.status == "sending", m.lease_until < now).order_by(m.id),
            *(
                select(m)
                .where(m.channel == channel, m.lane == lane, m.status.in_(_DUE), m.next_attempt_at <= now)
                .order_by(m.priority, m.next_attempt_at, m.id)
                for lane in LANES
            ),
        ]
        for query in queries:
            room = self.max_batch - len(rows)
            if room <= 0:
                break
            query = query.limit(room)
            if postgres:
                query = query.with_for_update(skip_locked=True)
            rows.extend(session.exec(query).all())
        return rows

    def _screen(
        self, session: Session, channel: str, policy: ChannelPolicy, rows: list[OutboundMessage], now: datetime
    ) -> list[OutboundMessage]:
        """Hold what quiet hours hold; cancel what must not go (opted out, stopped, blocked); stop loops."""
        ok: list[OutboundMessage] = []
        addresses = {row.address for row in rows}
        opted_out = set(
            session.exec(select(OptOut.address).where(OptOut.channel == channel, OptOut.address.in_(addresses))).all()
        )
        maker_ids = {row.maker_id for row in rows if row.maker_id}
        makers = (
            {mk.id: mk for mk in session.exec(select(Maker).where(Maker.id.in_(maker_ids))).all()} if maker_ids else {}
        )
        buyer_ids = {row.buyer_id for row in rows if row.buyer_id}
        blocked = (
            set(session.exec(select(Buyer.id).where(Buyer.id.in_(buyer_ids), Buyer.blocked.is_(True))).all())
            if buyer_ids
            else set()
        )
        recent = self._recent_identical(session, channel, rows, now)
        for row in rows:
            maker = makers.get(row.maker_id) if row.maker_id else None
            gone = row.address in opted_out or (maker is not None and maker.status == "stopped")
            if gone and row.purpose != OPT_OUT_CONFIRMATION:
                self._finish(row, "cancelled", now, "recipient_opted_out", texts.REASON_OPTED_OUT)
            elif row.buyer_id in blocked:
                self._finish(row, "cancelled", now, "recipient_blocked", texts.REASON_BLOCKED)
            elif row.purpose == "alert" and maker is not None and maker.alerts_opt_out:
                self._finish(row, "cancelled", now, "alerts_off", texts.REASON_ALERTS_OFF)
            elif recent.get((row.address, row.text_hash), 0) >= LOOP_GUARD_LIMIT:
                self._finish(row, "failed", now, "loop_guard", _LOOP_GUARD_REASON)
            elif (
                row.lane == "bulk"
                and policy.quiet_hours
                and (until := quiet_until(now, self._zone(row.timezone), policy.quiet_hours))
            ):
                if row.status == "sending":  # claimed back from a dead sender: say so, or it is claimed each poll
                    self._finish(row, "errored", now, "interrupted", texts.REASON_INTERRUPTED)
                row.next_attempt_at = until
                row.updated_at = now
            else:
                key = (row.address, row.text_hash)
                recent[key] = recent.get(key, 0) + 1
                ok.append(row)
        return ok

    def _recent_identical(
        self, session: Session, channel: str, rows: list[OutboundMessage], now: datetime
    ) -> dict[tuple[str, str], int]:
        m = OutboundMessage
        query = (
            select(m.address, m.text_hash, sa.func.count())
            .where(
                m.channel == channel,
                m.address.in_({row.address for row in rows}),
                m.sent_at >= now - LOOP_GUARD_WINDOW,
            )
            .group_by(m.address, m.text_hash)
        )
        return {(address, digest): count for address, digest, count in session.exec(query).all()}

    def _zone(self, name: str | None) -> ZoneInfo:
        if name:
            with contextlib.suppress(ZoneInfoNotFoundError, ValueError):
                return ZoneInfo(name)
        return self.default_zone

    @staticmethod
    def _finish(row: OutboundMessage, status: str, now: datetime, code: str, reason: str) -> None:
        row.status = status
        row.error_code = code
        row.error_reason = reason
        row.lease_owner = None
        row.lease_until = None
        row.updated_at = now

    # ── sending ──

    async def _send_batch(self, channel: str, batch: list[_Claimed], stop: asyncio.Event | None = None) -> int:
        run = _BatchRun(self, channel, batch, stop)
        heartbeat = asyncio.create_task(run.keep_leases())
        try:
            done = await run.send_all()
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
        self.sent += done
        return done

    async def _record_safely(self, channel: str, outcomes: list[_Outcome]) -> None:
        """Record outcomes, retrying through a database blip; if it stays down, the leases run out and the
        messages are sent again (at least once, never lost)."""
        for attempt in range(6):
            try:
                await asyncio.to_thread(self._record, channel, outcomes)
                return
            except Exception:
                log.exception("outbox: recording %s outcomes failed (attempt %s)", len(outcomes), attempt + 1)
                await asyncio.sleep(min(5.0, 0.2 * 2**attempt))

    def _note_address(self, channel: str, address: str, interval: float) -> None:
        now = time.monotonic()
        if len(self._last_to) > 10_000:  # forget addresses whose interval is long over
            self._last_to = {key: at for key, at in self._last_to.items() if now - at < interval}
        self._last_to[(channel, address)] = now

    def _extend(self, ids: list[int]) -> None:
        if not ids:
            return
        table = OutboundMessage.__table__
        with self.db.transaction() as session:
            session.execute(
                sa.update(table)
                .where(table.c.id.in_(ids), table.c.lease_owner == self.owner, table.c.status == "sending")
                .values(lease_until=self.clock() + self.lease)
            )

    async def _send(self, sender: Sender, outgoing: Outgoing) -> SendResult:
        try:
            async with asyncio.timeout(self.send_timeout):
                if outgoing.uncertain_since is not None and getattr(sender, "find_sent", None) is not None:
                    found = await self._find_sent(sender, outgoing)
                    if found is not None:
                        log.info("outbox: message %s had gone out before; recorded, not sent again", outgoing.id)
                        return found
                return await sender.send(outgoing)
        except SendError:
            raise
        except TimeoutError:
            raise SendError(texts.REASON_TIMEOUT, retryable=True, code="timeout") from None
        except Exception as error:  # a sender bug must not stop the queue; the message is retried, then failed
            log.exception("outbox: %s sender raised unexpectedly for message %s", outgoing.channel, outgoing.id)
            reason = texts.REASON_SENDER_BUG.format(error=type(error).__name__)
            raise SendError(reason, retryable=True, code="sender_error") from None

    async def _find_sent(self, sender: Sender, outgoing: Outgoing) -> SendResult | None:
        """The provider's record of an uncertain message. A provider id this dispatcher has just given another
        message (two uncertain messages with the same text to one number) is not taken twice: the look-up is
        repeated without it, so the other message is sent rather than lost."""
        taken = set(outgoing.known_provider_ids)
        for _ in range(3):
            asking = dataclasses.replace(outgoing, known_provider_ids=frozenset(taken | self._found_ids))
            try:
                found = await sender.find_sent(asking)  # type: ignore[attr-defined]
            except Exception:
                log.warning("outbox: could not check whether message %s went out already", outgoing.id)
                raise SendError(texts.REASON_LOOKUP_FAILED, retryable=True, code="lookup_failed") from None
            if found is None or found.provider_id is None:
                return found
            if found.provider_id not in self._found_ids:
                if len(self._found_ids) > 10_000:
                    self._found_ids.clear()
                self._found_ids.add(found.provider_id)
                return found
            taken.add(found.provider_id)
        return None

    def _record(self, channel: str, outcomes: list[_Outcome]) -> None:
        """Write what happened to each send; a row no longer leased to us (lease ran out) is left alone."""
        now = self.clock()
        m = OutboundMessage
        with self.db.transaction() as session:
            sent = [o for o in outcomes if o.result is not None]
            if sent:
                table = m.__table__
                session.execute(
                    sa.update(table)
                    .where(table.c.id == sa.bindparam("_id"), table.c.lease_owner == self.owner)
                    .values(
                        status="sent",
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
            rows = session.exec(select(m).where(m.id.in_([o.id for o in failed]), m.lease_owner == self.owner)).all()
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
                if error.retryable and row.attempts < self.max_attempts:
                    row.status = "errored"
                    delay = error.retry_after or self.backoff[min(row.attempts, len(self.backoff)) - 1]
                    row.next_attempt_at = now + timedelta(seconds=delay)
                else:
                    row.status = "failed"
                    if error.recipient_gone and self.on_recipient_gone is not None:
                        self.on_recipient_gone(session, channel, row.address, error.code)
                log.info(
                    "outbox: message %s on %s %s (%s) after attempt %s",
                    row.id,
                    channel,
                    row.status,
                    row.error_code,
                    row.attempts,
                )

    def _release(self, claims: list[_Claimed]) -> None:
        """Give claimed but unsent messages back, without counting the attempt. One whose earlier attempt is
        uncertain stays so ("interrupted"), or the next dispatcher would send it without asking the provider."""
        if not claims:
            return
        table = OutboundMessage.__table__
        mine = (table.c.lease_owner == self.owner, table.c.status == "sending")
        plain = [c.outgoing.id for c in claims if c.outgoing.uncertain_since is None]
        uncertain = [c.outgoing.id for c in claims if c.outgoing.uncertain_since is not None]
        with self.db.transaction() as session:
            if plain:
                session.execute(
                    sa.update(table)
                    .where(table.c.id.in_(plain), *mine)
                    .values(status="queued", attempts=table.c.attempts - 1, lease_owner=None, lease_until=None)
                )
            if uncertain:
                session.execute(
                    sa.update(table)
                    .where(table.c.id.in_(uncertain), *mine)
                    .values(
                        status="errored",
                        error_code="interrupted",
                        error_reason=texts.REASON_INTERRUPTED,
                        attempts=table.c.attempts - 1,
                        next_attempt_at=self.clock(),
                        lease_owner=None,
                        lease_until=None,
                    )
                )


class _BatchRun:
    """Sending one claimed batch: at its slots, within its leases (renewed while it runs), outcomes recorded often."""

    def __init__(self, dispatcher: Dispatcher, channel: str, batch: list[_Claimed], stop: asyncio.Event | None):
        self.d = dispatcher
        self.channel = channel
        if dispatcher.policies[channel].per_address_interval:
            batch = _interleave(batch)
        self.batch = batch
        self.stop = stop
        self.sender = dispatcher.senders[channel]
        self.rate = dispatcher.policies[channel].per_second
        self.per_address = dispatcher.policies[channel].per_address_interval
        self.gate = asyncio.Semaphore(dispatcher.policies[channel].concurrency)
        self.pending: list[_Outcome] = []
        self.tasks: set[asyncio.Task] = set()
        self.unrecorded = {c.outgoing.id for c in batch}
        self.renewed_until = 0.0  # every unrecorded row's lease holds at least until then (epoch seconds)

    async def keep_leases(self) -> None:
        while True:
            await asyncio.sleep(self.d.lease_seconds / 3)
            started = time_now()
            try:
                await asyncio.to_thread(self.d._extend, sorted(self.unrecorded))
            except Exception:
                log.exception("outbox: could not renew the leases of %s messages", self.channel)
                continue
            self.renewed_until = started + self.d.lease_seconds

    async def record(self) -> None:
        outcomes = _take(self.pending)
        await self.d._record_safely(self.channel, outcomes)
        self.unrecorded.difference_update(o.id for o in outcomes)

    async def one(self, claimed: _Claimed) -> None:
        self.d._last_send[self.channel] = (time.monotonic(), claimed.units)
        try:
            result = await self.d._send(self.sender, claimed.outgoing)
            self.pending.append(_Outcome(claimed.outgoing.id, result=result))
        except SendError as error:
            self.pending.append(_Outcome(claimed.outgoing.id, error=error))
        finally:
            self.gate.release()
            # A long batch to a slow provider is progress too: health must not call this dispatcher stalled.
            self.d.last_loop_at = self.d.clock()

    async def wait_for_slot(self, claimed: _Claimed) -> None:
        """Not before the shared slot; and, so that a late send cannot let the next one catch up and exceed
        the rate, not sooner after this process's previous send than that send's units allow. Returns early when
        told to stop (the caller then hands the rest back)."""
        start = time.monotonic() + max(0.0, claimed.slot - time_now())
        if self.rate:
            last_start, last_units = self.d._last_send.get(self.channel, (0.0, 0))
            start = max(start, last_start + last_units / self.rate)
        if self.per_address:
            start = max(start, self.d._last_to.get((self.channel, claimed.outgoing.address), 0.0) + self.per_address)
        if start > time.monotonic():
            # Record while waiting, when the wait is long enough to hide the write (at 1 SMS/s, every time).
            if self.pending and start - time.monotonic() > RECORD_WHILE_WAITING:
                await self.record()
            while (wait := start - time.monotonic()) > 0:
                if self.stop is None:
                    await asyncio.sleep(wait)
                    continue
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stop.wait(), timeout=wait)
                if self.stop.is_set():
                    return

    def may_send(self, claimed: _Claimed) -> bool:
        """Not when shutting down, nor when the lease could run out mid-send (another dispatcher could then
        take the message over and send it too)."""
        if self.stop is not None and self.stop.is_set():
            return False
        return time_now() + self.d.send_timeout <= max(claimed.leased_until, self.renewed_until)

    async def hand_back(self, position: int) -> None:
        await asyncio.gather(*self.tasks)
        await asyncio.to_thread(self.d._release, self.batch[position:])

    async def send_all(self) -> int:
        done = 0
        for position, claimed in enumerate(self.batch):
            if self.stop is not None and self.stop.is_set():
                await self.hand_back(position)
                break
            await self.gate.acquire()
            await self.wait_for_slot(claimed)
            if not self.may_send(claimed):
                self.gate.release()
                await self.hand_back(position)
                break
            self.d._last_send[self.channel] = (time.monotonic(), claimed.units)
            if self.per_address:
                self.d._note_address(self.channel, claimed.outgoing.address, self.per_address)
            task = asyncio.create_task(self.one(claimed))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
            done += 1
            if len(self.pending) >= self.d.flush_every:
                await self.record()
        await asyncio.gather(*self.tasks)
        if self.pending:
            await self.record()
        return done


def _interleave(batch: list[_Claimed]) -> list[_Claimed]:
    """First messages of every address, then the second ones, …: a chat's 1-second pause must not hold up the
    other chats queued behind it. The batch keeps its slots, in order."""
    rounds: dict[str, int] = {}
    order = []
    for position, claimed in enumerate(batch):
        n = rounds.get(claimed.outgoing.address, 0)
        rounds[claimed.outgoing.address] = n + 1
        order.append((n, position, claimed))
    order.sort(key=lambda item: (item[0], item[1]))
    slots = [c.slot for c in batch]
    return [
        _Claimed(claimed.outgoing, slot, claimed.units, claimed.leased_until)
        for slot, (_, _, claimed) in zip(slots, order, strict=True)
    ]


def _edited_provider_ids(session: Session, rows: Sequence[OutboundMessage]) -> dict[int, str]:
    """The provider ids of the messages that `rows` edit, where those were sent."""
    wanted = {row.edit_of for row in rows if row.edit_of is not None}
    if not wanted:
        return {}
    m = OutboundMessage
    found = session.exec(select(m.id, m.provider_id).where(m.id.in_(wanted), m.provider_id.is_not(None))).all()
    return {message_id: provider_id for message_id, provider_id in found}


def _known_provider_ids(session: Session, channel: str, rows: Sequence[OutboundMessage]) -> dict[str, frozenset[str]]:
    """For the addresses of uncertain rows: provider ids recorded since the earliest of those attempts."""
    uncertain = [row for row in rows if _uncertain(row)]
    if not uncertain:
        return {}
    since = min(as_utc(row.attempted_at or row.updated_at) for row in uncertain) - KNOWN_IDS_MARGIN
    m = OutboundMessage
    found: dict[str, set[str]] = {}
    for address, provider_id in session.exec(
        select(m.address, m.provider_id).where(
            m.channel == channel,
            m.address.in_({row.address for row in uncertain}),
            m.provider_id.is_not(None),
            m.sent_at >= since,
        )
    ).all():
        found.setdefault(address, set()).add(provider_id)
    return {address: frozenset(ids) for address, ids in found.items()}


def _outgoing(
    row: OutboundMessage, edited: Mapping[int, str] | None = None, known: Mapping[str, frozenset[str]] | None = None
) -> Outgoing:
    buttons = None
    if row.buttons:
        buttons = [[(label, data) for label, data in line] for line in json.loads(row.buttons)]
    return Outgoing(
        id=row.id or 0,
        channel=row.channel,
        address=row.address,
        text=row.text,
        buttons=buttons,
        purpose=row.purpose,
        attempt=row.attempts + 1,
        edit_of=(edited or {}).get(row.edit_of) if row.edit_of is not None else None,
        uncertain_since=as_utc(row.attempted_at or row.updated_at) if _uncertain(row) else None,
        known_provider_ids=(known or {}).get(row.address, frozenset()) if _uncertain(row) else frozenset(),
    )


def _uncertain(row: OutboundMessage) -> bool:
    """Claimed back from a dead sender (still "sending"), or after an error that leaves the outcome open."""
    return row.status == "sending" or (row.status == "errored" and row.error_code in UNCERTAIN_CODES)


def _take(items: list) -> list:
    taken = list(items)
    items.clear()
    return taken


async def _first(*aws) -> None:
    tasks = [asyncio.ensure_future(aw) for aw in aws]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()


def time_now() -> float:
    return time.time()


def _until(slot: float) -> timedelta:
    return timedelta(seconds=max(0.0, slot - time_now()))


# ── provider status reports ──

# Twilio's message statuses, mapped to ours; a report only ever moves a message forward.
PROVIDER_STATUS = {
    "accepted": "queued",
    "scheduled": "queued",
    "queued": "queued",
    "sending": "sending",
    "sent": "sent",
    "delivered": "delivered",
    "read": "delivered",
    "undelivered": "failed",
    "failed": "failed",
    "canceled": "cancelled",
}


def record_status(
    session: Session, channel: str, provider_id: str, provider_status: str, error_code: str | None, now: datetime
) -> bool:
    """Apply a delivery report; return whether it changed anything."""
    status = PROVIDER_STATUS.get(provider_status.strip().lower())
    if status is None:
        return False
    m = OutboundMessage
    row = session.exec(select(m).where(m.channel == channel, m.provider_id == provider_id)).first()
    if row is None or _STATUS_RANK.get(status, 0) <= _STATUS_RANK.get(row.status, 0) or row.status == "cancelled":
        return False
    row.status = status
    row.updated_at = now
    if status == "delivered":
        row.delivered_at = now
    if status == "failed":
        row.error_code = (error_code or provider_status)[:32]
        row.error_reason = texts.REASON_PROVIDER_STATUS.format(status=provider_status)
    return True


# ── reading ──


def list_messages(db: Database, status: str | None = None, limit: int = 200) -> list[OutboundMessage]:
    """The newest messages first."""
    with db.read() as session:
        query = select(OutboundMessage).order_by(OutboundMessage.id.desc()).limit(limit)
        if status:
            query = query.where(OutboundMessage.status == status)
        return list(session.exec(query).all())


def message_dict(row: OutboundMessage) -> dict:
    return {
        "id": row.id,
        "channel": row.channel,
        "address": row.address,
        "purpose": row.purpose,
        "lane": row.lane,
        "status": row.status,
        "text": row.text,
        "segments": row.segments,
        "attempts": row.attempts,
        "provider_id": row.provider_id,
        "error_code": row.error_code,
        "error_reason": row.error_reason,
        "created_at": as_utc(row.created_at).isoformat(),
        "sent_at": as_utc(row.sent_at).isoformat() if row.sent_at else None,
        "delivered_at": as_utc(row.delivered_at).isoformat() if row.delivered_at else None,
    }
