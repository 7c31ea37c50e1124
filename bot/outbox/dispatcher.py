"""The dispatcher: claims due messages under a lease, sends them through the channel's injected sender at the
channel's pace, and records the outcome.

It claims with a lease (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: BEGIN IMMEDIATE) and paces through a slot
shared by every dispatcher process. It imports no channel: senders are handed in by the bootstrap.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot import texts
from bot.db import Database, table_of
from bot.leases import Leases
from bot.models import MessageStatus, OutboundMessage, utcnow
from bot.outbox import screening
from bot.outbox.batch import BatchRun, Claimed, Outcome
from bot.outbox.claiming import claim_batch
from bot.outbox.enqueuing import WAKE_CHANNEL
from bot.outbox.policy import ChannelPolicy
from bot.outbox.recording import record_outcomes, without_waiting_for_the_disk
from bot.outbox.senders import Outgoing, Sender, SendError, SendResult

LISTEN_WAIT_SECONDS = 0.5  # the listening thread looks whether it should end this often
RecipientGoneHook = Callable[[Session, str, str, str | None], None]
log = logging.getLogger("bot.outbox")  # one logger for the whole outbox, as before it was a package


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
        flush_every: int | None = None,
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
        # Outcomes are recorded at least every `flush_every` sends (by default: a batch, recorded with the next claim)
        # and within batch.RECORD_WITHIN seconds of a send.
        self.flush_every = flush_every or max_batch
        self.on_recipient_gone = on_recipient_gone
        self.listen = listen and db.engine.dialect.name == "postgresql"
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.leases = Leases(table_of(OutboundMessage), self.owner, held=MessageStatus.SENDING)
        self.sent = 0  # sends attempted by this dispatcher, for health and tests
        self.last_loop_at: datetime | None = None
        self._wake: dict[str, asyncio.Event] = {}
        self.last_send: dict[str, tuple[float, int]] = {}  # monotonic start and units of the last send
        self.last_to: dict[tuple[str, str], float] = {}  # (channel, address) → monotonic start of the last send
        self._carried: dict[str, list[Outcome]] = {}  # a batch's last outcomes, recorded with the next claim
        self._dead_looked: dict[str, datetime] = {}  # channel → when a claim last looked for dead senders' rows
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
        assert connection is not None  # psycopg's own connection: this runs on PostgreSQL only
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
                batch = await self._claim(name)
                if not batch:
                    break
                total += await self._send_batch(name, batch)
        return total

    async def _claim(self, channel: str) -> list[Claimed]:
        """Claim the next batch, recording in the same transaction what the last batch left unrecorded. If the
        claim fails, those outcomes are recorded on their own (through a blip) before the error goes on."""
        carried = self._carried.pop(channel, [])
        try:
            return await asyncio.to_thread(self.claim, channel, carried)
        except Exception:
            if carried:
                await self.record_safely(channel, carried)
            raise

    async def _run_channel(self, channel: str, stop: asyncio.Event) -> None:
        wake = self._wake[channel]
        while not stop.is_set():
            self.last_loop_at = self.clock()
            try:
                batch = await self._claim(channel)
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
        if carried := self._carried.pop(channel, []):
            await self.record_safely(channel, carried)

    # ── claiming ──

    def look_for_dead_senders(self, channel: str, now: datetime) -> bool:
        """Whether this claim looks for messages a dead dispatcher left mid-send: at most four times a lease, as
        they come back only once their lease ran out."""
        last = self._dead_looked.get(channel)
        if last is not None and now - last < self.lease / 4:
            return False
        self._dead_looked[channel] = now
        return True

    def claim(self, channel: str, record: Sequence[Outcome] = ()) -> list[Claimed]:
        """Take due messages of `channel` under a lease, as many as the channel's pace allows soon (claiming.py);
        the outcomes in `record` are recorded first, in the same transaction."""
        return claim_batch(self, channel, record)

    # ── sending ──

    async def _send_batch(self, channel: str, batch: list[Claimed], stop: asyncio.Event | None = None) -> int:
        run = BatchRun(self, channel, batch, stop)
        heartbeat = asyncio.create_task(run.keep_leases())
        try:
            done = await run.send_all()
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
        # The last outcomes are recorded with the next claim, which follows at once (run, drain); one transaction
        # and one hand-over to a thread fewer per batch.
        self._carried.setdefault(channel, []).extend(run.take_pending())
        self.sent += done
        return done

    async def record_safely(self, channel: str, outcomes: list[Outcome]) -> None:
        """Record outcomes, retrying through a database blip; if it stays down, the leases run out and the
        messages are sent again (at least once, never lost)."""
        for attempt in range(6):
            try:
                await asyncio.to_thread(self._record, channel, outcomes)
                return
            except Exception:
                log.exception("outbox: recording %s outcomes failed (attempt %s)", len(outcomes), attempt + 1)
                await asyncio.sleep(min(5.0, 0.2 * 2**attempt))

    def note_address(self, channel: str, address: str, interval: float) -> None:
        now = time.monotonic()
        if len(self.last_to) > 10_000:  # forget addresses whose interval is long over
            self.last_to = {key: at for key, at in self.last_to.items() if now - at < interval}
        self.last_to[(channel, address)] = now

    def cancel_unreachable(self, channel: str, claims: list[Claimed]) -> set[int]:
        """Check the recipients of claimed messages again; cancel (as the claim's check would) and return those
        that must not go any more. Only rows still leased to this dispatcher are changed."""
        if not claims:
            return set()
        with self.db.engine.connect() as connection:
            refused = screening.refusals(connection, channel, claims)
        if not refused:
            return set()
        with self.db.core_transaction() as connection:
            screening.cancel(connection, refused, self.clock(), self.leases)
        return set(refused)

    def extend_leases(self, ids: list[int]) -> None:
        """Keep the messages of a batch still being sent from being taken over by another dispatcher."""
        if not ids:
            return
        with self.db.transaction() as session:
            self.leases.extend(session, ids, self.clock() + self.lease)

    async def send(self, sender: Sender, outgoing: Outgoing) -> SendResult:
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

    def _record(self, channel: str, outcomes: list[Outcome]) -> None:
        """Write what happened to each send; a row no longer leased to us (lease ran out) is left alone."""
        now = self.clock()
        with self.db.core_transaction() as connection:
            without_waiting_for_the_disk(connection)
            record_outcomes(connection, self, channel, outcomes, now)

    def release(self, claims: list[Claimed]) -> None:
        """Give claimed but unsent messages back, without counting the attempt. One whose earlier attempt is
        uncertain stays so ("interrupted"), or the next dispatcher would send it without asking the provider."""
        if not claims:
            return
        attempts = table_of(OutboundMessage).c.attempts
        plain = [c.outgoing.id for c in claims if c.outgoing.uncertain_since is None]
        uncertain = [c.outgoing.id for c in claims if c.outgoing.uncertain_since is not None]
        with self.db.transaction() as session:
            if plain:
                self.leases.release(session, plain, status=MessageStatus.QUEUED, attempts=attempts - 1)
            if uncertain:
                self.leases.release(
                    session,
                    uncertain,
                    status=MessageStatus.ERRORED,
                    error_code="interrupted",
                    error_reason=texts.REASON_INTERRUPTED,
                    attempts=attempts - 1,
                    next_attempt_at=self.clock(),
                )


async def _first(*aws) -> None:
    tasks = [asyncio.ensure_future(aw) for aw in aws]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
