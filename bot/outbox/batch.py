"""Sending one claimed batch: each message at its slot and within its lease (renewed while the batch runs),
outcomes recorded as they come. The dispatcher keeps what outlives a batch (the pace of its last sends)."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.outbox.senders import Outgoing, SendError, SendResult

if TYPE_CHECKING:
    from bot.outbox.dispatcher import Dispatcher

RECORD_WHILE_WAITING = 0.05  # seconds: a wait for a rate slot at least this long is used to record outcomes
# Seconds: outcomes are recorded at the latest this long after the first of them came in. Otherwise a batch's outcomes
# are recorded together, with the next claim (one transaction per batch): a crash can then leave unrecorded the sends
# of this long (or of one batch, whichever is less), and those may go again (see docs/outbox.md, after a crash).
RECORD_WITHIN = 0.25
# Seconds: a message goes out only if its recipient was found reachable (not opted out, stopped or blocked) at most
# this long before; otherwise the rest of the batch is checked again right before the send. At 1 SMS a second
# that is every send; at high rates one query covers the sends of this long.
RECHECK_AFTER = 0.2
RECHECK_AHEAD = 0.05  # seconds: a wait for a slot checks the recipients again this long before the slot
log = logging.getLogger("bot.outbox")  # one logger for the whole outbox, as before it was a package


@dataclass
class Claimed:
    outgoing: Outgoing
    slot: float  # epoch seconds: not before
    units: int  # what it costs against the channel's rate (SMS: segments)
    leased_until: float  # epoch seconds: another dispatcher may take it over after this
    maker_id: int | None = None  # the recipient, for the check right before the send (screening.refusals)
    buyer_id: int | None = None
    checked_at: float = 0.0  # monotonic seconds: when its recipient was last found reachable
    not_before: float = 0.0  # epoch seconds: its chat's pause after the last send recorded to it (any dispatcher)

    @property
    def id(self) -> int:
        return self.outgoing.id

    @property
    def address(self) -> str:
        return self.outgoing.address

    @property
    def purpose(self) -> str:
        return self.outgoing.purpose


@dataclass
class Outcome:
    id: int
    result: SendResult | None = None
    error: SendError | None = None


class BatchRun:
    """Sending one claimed batch: at its slots, within its leases (renewed while it runs), outcomes recorded often."""

    def __init__(self, dispatcher: Dispatcher, channel: str, batch: list[Claimed], stop: asyncio.Event | None):
        self.d = dispatcher
        self.channel = channel
        if dispatcher.policies[channel].per_address_interval:
            batch = interleave(batch, dispatcher.policies[channel].per_address_interval)
        self.batch = batch
        self.stop = stop
        self.sender = dispatcher.senders[channel]
        self.rate = dispatcher.policies[channel].per_second
        self.per_address = dispatcher.policies[channel].per_address_interval
        # Whether a send may have to wait: for its channel's pace or its chat's pause, or for a slot claimed ahead.
        self.paced = bool(self.rate or self.per_address or any(c.slot > time_now() for c in batch))
        self.concurrency = dispatcher.policies[channel].concurrency
        self.gate = asyncio.Semaphore(self.concurrency)
        self.pending: list[Outcome] = []
        self.pending_since = 0.0  # monotonic seconds: when the oldest unrecorded outcome came in
        self.tasks: set[asyncio.Task] = set()
        self.unrecorded = {c.outgoing.id for c in batch}
        self.renewed_until = 0.0  # every unrecorded row's lease holds at least until then (epoch seconds)
        self.checked_at = min((c.checked_at for c in batch), default=0.0)  # monotonic: recipients last checked
        self.dropped: set[int] = set()  # found unreachable since the claim: cancelled, never sent
        self.stopping: asyncio.Future[Any] | None = None  # waits for `stop` while the batch waits for slots
        self.recording: asyncio.Task[None] | None = None  # outcomes being recorded while the sends go on

    async def keep_leases(self) -> None:
        while True:
            await asyncio.sleep(self.d.lease_seconds / 3)
            started = time_now()
            try:
                await asyncio.to_thread(self.d.extend_leases, sorted(self.unrecorded))
            except Exception:
                log.exception("outbox: could not renew the leases of %s messages", self.channel)
                continue
            self.renewed_until = started + self.d.lease_seconds

    async def record(self) -> None:
        await self.recorded()
        await self._write()

    async def _write(self) -> None:
        outcomes = _take(self.pending)
        await self.d.record_safely(self.channel, outcomes)
        self.unrecorded.difference_update(o.id for o in outcomes)

    def record_meanwhile(self) -> None:
        """Record the outcomes so far while the sends go on (one recording at a time), for a channel sent as fast as
        its provider answers. Not for a paced one: a write in another thread delays the sends it overlaps by up
        to the interpreter's switch interval (5 ms), which let two sends come closer than the rate allows; there
        the write comes between two sends, and hides in the wait for the next slot unless it is longer."""
        if self.recording is None or self.recording.done():
            self.recording = asyncio.create_task(self._write())

    async def recorded(self) -> None:
        """Until the recording started by `record_meanwhile` (if any) is done."""
        if self.recording is not None:
            await self.recording
            self.recording = None

    async def one(self, claimed: Claimed) -> None:
        try:
            try:
                result = await self.d.send(self.sender, claimed.outgoing)
                outcome = Outcome(claimed.outgoing.id, result=result)
            except SendError as error:
                outcome = Outcome(claimed.outgoing.id, error=error)
            if not self.pending:
                self.pending_since = time.monotonic()
            self.pending.append(outcome)
        finally:
            self.gate.release()
            # A long batch to a slow provider is progress too: health must not call this dispatcher stalled.
            self.d.last_loop_at = self.d.clock()

    async def wait_for_slot(self, position: int) -> None:
        """Not before the shared slot; and, so that a late send cannot let the next one catch up and exceed
        the rate, not sooner after this process's previous send than that send's units allow. The wait is used to
        record outcomes and to check the recipients again (just before the slot, so the check right before the
        send finds them fresh and the send is not delayed by it). Returns early when told to stop (the caller then
        hands the rest back)."""
        claimed = self.batch[position]
        start = time.monotonic() + max(0.0, claimed.slot - time_now())
        if self.rate:
            last_start, last_units = self.d.last_send.get(self.channel, (0.0, 0))
            start = max(start, last_start + last_units / self.rate)
        if self.per_address:
            start = max(
                start,
                self.d.last_to.get((self.channel, claimed.outgoing.address), 0.0) + self.per_address,
                time.monotonic() + claimed.not_before - time_now(),
            )
        if start <= time.monotonic():
            return
        # Record while waiting, when the wait is long enough to hide the write (at 1 SMS/s, every time).
        if self.pending and start - time.monotonic() > RECORD_WHILE_WAITING:
            await self.record()
        if start - self.checked_at > RECHECK_AFTER:
            await self.sleep_until(start - RECHECK_AHEAD)
            await self.recheck(position, at=start)  # if it fails, the check right before the send tries again
        await self.sleep_until(start)

    async def sleep_until(self, moment: float) -> None:
        """Until `moment` (monotonic seconds), or until told to stop."""
        while (wait := moment - time.monotonic()) > 0:
            if self.stop is None:
                await asyncio.sleep(wait)
                continue
            if self.stopping is None:  # one waiter for the whole batch, not one per send
                self.stopping = asyncio.ensure_future(self.stop.wait())
            await asyncio.wait([self.stopping], timeout=wait)
            if self.stop.is_set():
                return

    def may_send(self, claimed: Claimed) -> bool:
        """Not when shutting down, nor when the lease could run out mid-send (another dispatcher could then
        take the message over and send it too)."""
        if self.stop is not None and self.stop.is_set():
            return False
        return time_now() + self.d.send_timeout <= max(claimed.leased_until, self.renewed_until)

    async def recheck(self, position: int, at: float | None = None) -> bool:
        """Before a send (due `at`, monotonic seconds; now by default): when the recipients were last checked more
        than RECHECK_AFTER before it, check the rest of the batch again, so a STOP that arrived while a message
        waited for its slot cancels it (as the claim's own check would have). False when the check failed: the
        caller hands the rest back."""
        if (time.monotonic() if at is None else at) - self.checked_at <= RECHECK_AFTER:
            return True
        rest = [c for c in self.batch[position:] if c.id not in self.dropped]
        started = time.monotonic()
        try:
            dropped = await asyncio.to_thread(self.d.cancel_unreachable, self.channel, rest)
        except Exception:
            log.exception("outbox: could not check the recipients of %s messages again", self.channel)
            return False
        self.checked_at = started
        self.dropped.update(dropped)
        self.unrecorded.difference_update(dropped)
        return True

    async def hand_back(self, position: int) -> None:
        await asyncio.gather(*self.tasks)
        await self.recorded()
        await asyncio.to_thread(self.d.release, self.batch[position:])

    async def send_all(self) -> int:
        done = 0
        for position, claimed in enumerate(self.batch):
            if self.stop is not None and self.stop.is_set():
                await self.hand_back(position)
                break
            if claimed.id in self.dropped:
                continue
            await self.gate.acquire()
            if self.paced:
                await self.wait_for_slot(position)
            if not self.may_send(claimed) or not await self.recheck(position):
                self.gate.release()
                await self.hand_back(position)
                break
            if claimed.id in self.dropped:  # its recipient is gone: cancelled, not sent
                self.gate.release()
                continue
            if self.rate:
                self.d.last_send[self.channel] = (time.monotonic(), claimed.units)
            if self.per_address:
                self.d.note_address(self.channel, claimed.outgoing.address, self.per_address)
            if self.concurrency == 1:  # one send at a time: no task to spawn
                await self.one(claimed)
            else:
                task = asyncio.create_task(self.one(claimed))
                self.tasks.add(task)
                task.add_done_callback(self.tasks.discard)
            done += 1
            if self.record_now(position):
                if self.paced:
                    await self.record()
                else:
                    self.record_meanwhile()
        await asyncio.gather(*self.tasks)
        await self.recorded()
        if self.stopping is not None:
            self.stopping.cancel()
        return done  # what is still pending, the dispatcher records with its next claim (`take_pending`)

    def record_now(self, position: int) -> bool:
        """Whether to record the outcomes so far before the next send: after `flush_every` of them, or when the oldest
        came in RECORD_WITHIN ago. Never after the last send: the dispatcher records those with its next claim."""
        if not self.pending or position + 1 >= len(self.batch):
            return False
        return len(self.pending) >= self.d.flush_every or time.monotonic() - self.pending_since >= RECORD_WITHIN

    def take_pending(self) -> list[Outcome]:
        outcomes = _take(self.pending)
        self.unrecorded.difference_update(o.id for o in outcomes)
        return outcomes


def interleave(batch: list[Claimed], interval: float) -> list[Claimed]:
    """In the order each message may go at the earliest (its chat's pause, then `interval` after the chat's previous
    message): a chat's pause must not hold up the other chats queued behind it. The batch keeps its slots, in order."""
    rounds: dict[str, int] = {}
    order = []
    now = time_now()
    for position, claimed in enumerate(batch):
        n = rounds.get(claimed.outgoing.address, 0)
        rounds[claimed.outgoing.address] = n + 1
        order.append((max(now, claimed.not_before) + n * interval, position, claimed))
    order.sort(key=lambda item: (item[0], item[1]))
    slots = [c.slot for c in batch]
    return [dataclasses.replace(claimed, slot=slot) for slot, (_, _, claimed) in zip(slots, order, strict=True)]


def _take(items: list) -> list:
    taken = list(items)
    items.clear()
    return taken


def time_now() -> float:
    return time.time()
