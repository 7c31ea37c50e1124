"""The outbox's bookkeeping in batches: a claimed batch is leased in one statement and its outcomes are written in
one transaction (with the next claim), without giving up exactly-once, the order, or the checks before a send."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlmodel import select

from bot.models import Maker, OptOut, OutboundMessage
from bot.outbox import ChannelPolicy, Dispatcher, Outgoing, SendError, SendResult, enqueue
from bot.outbox.batch import RECORD_WITHIN
from tests.fakes.senders import Clock, RecordingSender

NOON = datetime(2026, 11, 27, 17, 0, tzinfo=UTC)


def _queue(db, n: int, maker_id: int | None = None, address=lambda i: f"+1313555{i:04d}") -> None:
    with db.transaction() as session:
        for i in range(n):
            enqueue(
                session,
                channel="sms",
                address=address(i),
                text=f"message {i}",
                purpose="alert",
                key=f"batching-{i}",
                maker_id=maker_id,
                now=NOON,
            )


def _messages(db) -> list[OutboundMessage]:
    with db.read() as session:
        return list(session.exec(select(OutboundMessage).order_by(OutboundMessage.id)).all())


def _dispatcher(db, sender, **kw) -> Dispatcher:
    return Dispatcher(db, {"sms": sender}, {"sms": ChannelPolicy()}, clock=Clock(NOON), **kw)


def test_batches_send_each_message_once_in_order_and_record_every_outcome(any_db):
    _queue(any_db, 250)

    def some_fail(message: Outgoing) -> SendError | None:
        return SendError("busy", retryable=True, code="20429") if message.id % 7 == 0 else None

    sender = RecordingSender(fail=some_fail)
    assert asyncio.run(_dispatcher(any_db, sender, max_batch=100).drain()) == 250
    rows = _messages(any_db)
    sent_ids = [m.id for m in sender.sent]
    assert sent_ids == sorted(sent_ids) and len(set(sent_ids)) == len(sent_ids)  # in order, none twice
    assert {r.id for r in rows if r.status == "sent"} == set(sent_ids)
    failed = [r for r in rows if r.id % 7 == 0]
    assert failed and all(r.status == "errored" and r.error_code == "20429" and r.attempts == 1 for r in failed)
    assert len(sent_ids) + len(failed) == 250
    assert all(r.lease_owner is None and r.lease_until is None for r in rows)
    sent = [r for r in rows if r.status == "sent"]
    assert all(r.attempts == 1 and r.provider_id == f"SM{r.id:032x}" and r.sent_at is not None for r in sent)


def test_a_batch_takes_one_write_transaction_its_outcomes_written_with_the_next_claim(any_db):
    _queue(any_db, 300)
    commits: list[object] = []
    sa.event.listen(any_db._write_engine, "commit", commits.append)  # the database is this test's own
    assert asyncio.run(_dispatcher(any_db, RecordingSender(), max_batch=100).drain()) == 300
    # Three claims, each writing the previous batch's outcomes, and a last one that writes the third's and finds
    # nothing more.
    assert len(commits) == 4
    assert {r.status for r in _messages(any_db)} == {"sent"}


class SlowSender(RecordingSender):
    """A provider taking `seconds` per message; `during(message)` runs as each message is sent."""

    def __init__(self, seconds: float, during=None) -> None:
        super().__init__()
        self.seconds = seconds
        self.during = during

    async def send(self, message: Outgoing) -> SendResult:
        await asyncio.sleep(self.seconds)
        if self.during is not None:
            self.during(message)
        return await super().send(message)


def test_a_slow_batch_records_its_outcomes_while_it_runs(any_db):
    """A crash can leave unrecorded only the sends of the last RECORD_WITHIN seconds, not a whole slow batch."""
    count = 12
    seconds = 2 * RECORD_WITHIN / 5  # five sends take two RECORD_WITHIN: the first ones are recorded before the end
    _queue(any_db, count)
    seen_sent_before_the_last: list[int] = []

    def at_the_last(message: Outgoing) -> None:
        if message.text == f"message {count - 1}":
            seen_sent_before_the_last.extend(r.id for r in _messages(any_db) if r.status == "sent")

    sender = SlowSender(seconds, during=at_the_last)
    asyncio.run(_dispatcher(any_db, sender, max_batch=100).drain())
    first = _messages(any_db)[0].id
    assert first in seen_sent_before_the_last
    assert {r.status for r in _messages(any_db)} == {"sent"}


def test_a_stop_arriving_mid_batch_cancels_the_rest_even_unpaced(any_db):
    """Outcomes are written once a batch, but the recipients are still checked again before a send whose claim's
    check is older than RECHECK_AFTER."""
    with any_db.transaction() as session:
        maker = Maker(name="Test Shop", phone="+13135550101", zip="48201", timezone="America/Detroit")
        session.add(maker)
        session.flush()
        maker_id = maker.id
    _queue(any_db, 10, maker_id=maker_id, address=lambda i: "+13135550101")

    def stop_after_the_second(message: Outgoing) -> None:
        if message.text == "message 1":
            with any_db.transaction() as session:
                session.add(OptOut(channel="sms", address="+13135550101", reason="STOP"))

    sender = SlowSender(0.15, during=stop_after_the_second)
    asyncio.run(_dispatcher(any_db, sender, max_batch=100).drain())
    rows = _messages(any_db)
    sent = [r.text for r in rows if r.status == "sent"]
    assert sent[:2] == ["message 0", "message 1"]
    assert len(sent) <= 4  # a check at most RECHECK_AFTER (0.2 s) old: at 0.15 s a send, two more at most
    cancelled = [r for r in rows if r.status == "cancelled"]
    assert len(sent) + len(cancelled) == 10
    assert all(r.error_code == "recipient_opted_out" and r.attempts == 0 for r in cancelled)
    assert [m.text for m in sender.sent] == sent
