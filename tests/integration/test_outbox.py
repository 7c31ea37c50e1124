"""The outbox: one durable path for every message, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import itertools
import time
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from bot.models import Maker, OptOut, OutboundMessage, as_utc
from bot.outbox import (
    LOOP_GUARD_LIMIT,
    ChannelPolicy,
    Dispatcher,
    Outgoing,
    SendError,
    SendResult,
    enqueue,
    parse_quiet_hours,
    record_status,
)
from tests.fakes.senders import Clock, RecordingSender

NOON = datetime(2026, 11, 27, 17, 0, tzinfo=UTC)  # noon in Detroit
PHONE = "+13135550101"


def _enqueue(db, n=1, **kw):
    base = {"channel": "sms", "address": PHONE, "purpose": "reply", "now": kw.pop("now", NOON)}
    base.update(kw)
    with db.transaction() as session:
        return [
            enqueue(
                session,
                text=base.pop("text", None) or f"message {i}",
                key=f"{base.get('purpose')}-{i}-{kw}",
                **{k: v for k, v in base.items()},
            )
            for i in range(n)
        ]


def _messages(db) -> list[OutboundMessage]:
    with db.read() as session:
        return list(session.exec(select(OutboundMessage).order_by(OutboundMessage.id)).all())


def _dispatcher(db, sender, clock=None, **kw) -> Dispatcher:
    policy = kw.pop("policy", ChannelPolicy())
    return Dispatcher(db, {sender.channel: sender}, {sender.channel: policy}, clock=clock or Clock(NOON), **kw)


def _maker(db, phone=PHONE, **kw) -> int:
    with db.transaction() as session:
        maker = Maker(name="Test Shop", phone=phone, zip="48201", timezone="America/Detroit", **kw)
        session.add(maker)
        session.flush()
        return maker.id


def test_same_key_twice_is_one_message(any_db):
    with any_db.transaction() as session:
        first = enqueue(session, channel="sms", address=PHONE, text="hi", purpose="reply", key="k1")
        again = enqueue(session, channel="sms", address=PHONE, text="hi again", purpose="reply", key="k1")
    assert first.id == again.id
    with any_db.transaction() as session:
        enqueue(session, channel="sms", address=PHONE, text="third", purpose="reply", key="k1")
    rows = _messages(any_db)
    assert [r.text for r in rows] == ["hi"]


def test_an_enqueue_rolled_back_with_its_transaction_sends_nothing(any_db):
    with pytest.raises(RuntimeError), any_db.transaction() as session:
        enqueue(session, channel="sms", address=PHONE, text="hi", purpose="reply", key="k1")
        raise RuntimeError("the service failed after enqueueing")
    assert _messages(any_db) == []


def test_dispatch_sends_and_records(any_db):
    _enqueue(any_db, 3)
    sender = RecordingSender()
    assert asyncio.run(_dispatcher(any_db, sender).drain()) == 3
    assert [m.text for m in sender.sent] == ["message 0", "message 1", "message 2"]
    rows = _messages(any_db)
    assert {r.status for r in rows} == {"sent"}
    assert all(r.provider_id and r.provider_id.startswith("SM") and r.attempts == 1 for r in rows)
    assert all(r.lease_owner is None for r in rows)
    # Nothing is due any more: a second pass sends nothing.
    assert asyncio.run(_dispatcher(any_db, sender).drain()) == 0


def test_replies_go_before_bulk(any_db):
    with any_db.transaction() as session:
        for i in range(3):
            enqueue(
                session,
                channel="sms",
                address=f"+1313555020{i}",
                text=f"alert {i}",
                purpose="alert",
                lane="bulk",
                key=f"a{i}",
                now=NOON,
            )
        enqueue(session, channel="sms", address="+13135550299", text="your answer", purpose="reply", key="r", now=NOON)
    sender = RecordingSender()
    asyncio.run(_dispatcher(any_db, sender).drain())
    assert [m.text for m in sender.sent] == ["your answer", "alert 0", "alert 1", "alert 2"]


def test_retryable_errors_back_off_then_fail_after_three_attempts(any_db):
    _enqueue(any_db)
    clock = Clock(NOON)
    sender = RecordingSender(fail=lambda m: SendError("busy", retryable=True, code="63018"))
    dispatcher = _dispatcher(any_db, sender, clock, backoff=(30, 120))
    asyncio.run(dispatcher.drain())
    [row] = _messages(any_db)
    assert (row.status, row.attempts, row.error_code) == ("errored", 1, "63018")
    assert as_utc(row.next_attempt_at) == datetime(2026, 11, 27, 17, 0, 30, tzinfo=UTC)
    assert asyncio.run(dispatcher.drain()) == 0  # not due yet
    clock.advance(seconds=30)
    asyncio.run(dispatcher.drain())
    [row] = _messages(any_db)
    assert (row.status, row.attempts) == ("errored", 2)
    clock.advance(seconds=120)
    asyncio.run(dispatcher.drain())
    [row] = _messages(any_db)
    assert (row.status, row.attempts, row.error_reason) == ("failed", 3, "busy")
    clock.advance(days=1)
    assert asyncio.run(dispatcher.drain()) == 0


def test_retry_after_from_the_provider_wins(any_db):
    _enqueue(any_db)
    sender = RecordingSender(fail=lambda m: SendError("slow down", retryable=True, code="429", retry_after=7))
    asyncio.run(_dispatcher(any_db, sender).drain())
    [row] = _messages(any_db)
    assert as_utc(row.next_attempt_at) == datetime(2026, 11, 27, 17, 0, 7, tzinfo=UTC)


def test_permanent_errors_fail_at_once(any_db):
    _enqueue(any_db)
    sender = RecordingSender(fail=lambda m: SendError("not a mobile number", retryable=False, code="21614"))
    asyncio.run(_dispatcher(any_db, sender).drain())
    [row] = _messages(any_db)
    assert (row.status, row.attempts, row.error_code) == ("failed", 1, "21614")


def test_recipient_gone_calls_the_hook_in_the_same_transaction(any_db):
    maker_id = _maker(any_db)
    _enqueue(any_db, maker_id=maker_id)
    gone = []

    def hook(session, channel, address, code):
        gone.append((channel, address, code))
        session.add(OptOut(channel=channel, address=address, reason=code))

    sender = RecordingSender(fail=lambda m: SendError("opted out", retryable=True, code="21610", recipient_gone=True))
    asyncio.run(_dispatcher(any_db, sender, on_recipient_gone=hook).drain())
    assert gone == [("sms", PHONE, "21610")]
    [row] = _messages(any_db)
    assert (row.status, row.attempts) == ("failed", 1)
    # Later messages to that address are cancelled before they reach the sender.
    _enqueue(any_db, text="another", purpose="invitation")
    sender.fail = None
    asyncio.run(_dispatcher(any_db, sender).drain())
    assert sender.sent == []
    assert _messages(any_db)[-1].status == "cancelled"


def test_opt_out_is_checked_at_send_time(any_db):
    maker_id = _maker(any_db)
    _enqueue(any_db, 2, maker_id=maker_id)
    with any_db.transaction() as session:
        session.add(OptOut(channel="sms", address=PHONE, reason="STOP"))
    sender = RecordingSender()
    asyncio.run(_dispatcher(any_db, sender).drain())
    assert sender.sent == []
    assert {(r.status, r.error_code) for r in _messages(any_db)} == {("cancelled", "recipient_opted_out")}


def test_a_stop_arriving_while_a_claimed_message_waits_for_its_slot_cancels_it(any_db):
    """The batch is claimed before the STOP; opt-outs are checked again right before each paced send."""
    maker_id = _maker(any_db)
    with any_db.transaction() as session:
        for key, address in [("a", PHONE), ("b", "+13135550177"), ("c", PHONE), ("d", PHONE)]:
            owner = maker_id if address == PHONE else None
            enqueue(
                session, channel="sms", address=address, text=key, purpose="alert", key=key, maker_id=owner, now=NOON
            )

    def stop_after_the_first(message: Outgoing) -> None:
        if message.text == "a":  # the maker texts STOP right after the first message went out
            with any_db.transaction() as session:
                session.add(OptOut(channel="sms", address=PHONE, reason="STOP"))
                session.get(Maker, maker_id).status = "stopped"

    sender = RecordingSender(fail=stop_after_the_first)
    dispatcher = _dispatcher(any_db, sender, policy=ChannelPolicy(per_second=4), horizon=2.0)
    asyncio.run(dispatcher.drain())
    assert [m.text for m in sender.sent] == ["a", "b"]
    rows = _messages(any_db)
    assert [(r.text, r.status, r.error_code) for r in rows] == [
        ("a", "sent", None),
        ("b", "sent", None),
        ("c", "cancelled", "recipient_opted_out"),
        ("d", "cancelled", "recipient_opted_out"),
    ]
    assert all(r.lease_owner is None for r in rows) and [r.attempts for r in rows] == [1, 1, 0, 0]


def test_stopped_maker_gets_nothing_and_alerts_off_only_stops_alerts(any_db):
    stopped = _maker(any_db, "+13135550111", status="stopped")
    quiet = _maker(any_db, "+13135550112", alerts_opt_out=True)
    with any_db.transaction() as session:
        for key, address, text, purpose, lane, maker_id in [
            ("1", "+13135550111", "job", "invitation", "reply", stopped),
            ("2", "+13135550112", "alert", "alert", "bulk", quiet),
            ("3", "+13135550112", "job", "invitation", "reply", quiet),
        ]:
            enqueue(
                session,
                channel="sms",
                address=address,
                text=text,
                purpose=purpose,
                lane=lane,
                key=key,
                maker_id=maker_id,
                now=NOON,
            )
    sender = RecordingSender()
    asyncio.run(_dispatcher(any_db, sender).drain())
    assert [(m.address, m.text) for m in sender.sent] == [("+13135550112", "job")]
    assert [r.error_code for r in _messages(any_db)] == ["recipient_opted_out", "alerts_off", None]


def test_loop_guard_stops_identical_texts_to_one_recipient(any_db):
    with any_db.transaction() as session:
        for i in range(LOOP_GUARD_LIMIT + 5):
            enqueue(
                session,
                channel="sms",
                address=PHONE,
                text="Sorry, I did not understand.",
                purpose="reply",
                key=f"loop{i}",
                now=NOON,
            )
        enqueue(session, channel="sms", address=PHONE, text="Something else", purpose="reply", key="other", now=NOON)
    sender = RecordingSender()
    clock = Clock(NOON)
    dispatcher = _dispatcher(any_db, sender, clock, max_batch=7)
    asyncio.run(dispatcher.drain())
    assert len(sender.texts_to(PHONE)) == LOOP_GUARD_LIMIT + 1
    statuses = [r.error_code for r in _messages(any_db) if r.status == "failed"]
    assert statuses == ["loop_guard"] * 5
    # Five minutes on, the same text may go again.
    clock.advance(minutes=6)
    _enqueue(any_db, text="Sorry, I did not understand.", now=clock.now)
    asyncio.run(dispatcher.drain())
    assert len(sender.texts_to(PHONE)) == LOOP_GUARD_LIMIT + 2


def test_quiet_hours_hold_bulk_sms_but_not_replies(any_db):
    late = datetime(2026, 11, 28, 4, 0, tzinfo=UTC)  # 23:00 in Detroit, 20:00 in Los Angeles
    with any_db.transaction() as session:
        enqueue(
            session,
            channel="sms",
            address="+13135550121",
            text="alert",
            purpose="alert",
            lane="bulk",
            key="a",
            timezone="America/Detroit",
            now=late,
        )
        enqueue(
            session,
            channel="sms",
            address="+12135550122",
            text="alert",
            purpose="alert",
            lane="bulk",
            key="b",
            timezone="America/Los_Angeles",
            now=late,
        )
        enqueue(
            session,
            channel="sms",
            address="+13135550123",
            text="reply",
            purpose="reply",
            key="c",
            timezone="America/Detroit",
            now=late,
        )
    sender = RecordingSender()
    clock = Clock(late)
    policy = ChannelPolicy(quiet_hours=parse_quiet_hours("21:00-08:00"))
    dispatcher = _dispatcher(any_db, sender, clock, policy=policy)
    asyncio.run(dispatcher.drain())
    assert sorted(m.address for m in sender.sent) == ["+12135550122", "+13135550123"]
    held = _messages(any_db)[0]
    assert held.status == "queued"
    assert as_utc(held.next_attempt_at) == datetime(2026, 11, 28, 13, 0, tzinfo=UTC)  # 08:00 in Detroit
    clock.now = datetime(2026, 11, 28, 13, 0, tzinfo=UTC)
    asyncio.run(dispatcher.drain())
    assert [m.address for m in sender.sent][-1] == "+13135550121"


def test_quiet_hours_across_midnight_and_within_a_day():
    from zoneinfo import ZoneInfo

    from bot.outbox import quiet_until

    detroit = ZoneInfo("America/Detroit")
    night = parse_quiet_hours("21:00-08:00")
    assert quiet_until(datetime(2026, 11, 27, 17, 0, tzinfo=UTC), detroit, night) is None
    assert quiet_until(datetime(2026, 11, 28, 6, 0, tzinfo=UTC), detroit, night) == datetime(
        2026, 11, 28, 13, 0, tzinfo=UTC
    )
    lunch = parse_quiet_hours("12:00-13:00")
    assert quiet_until(datetime(2026, 11, 27, 17, 30, tzinfo=UTC), detroit, lunch) == datetime(
        2026, 11, 27, 18, 0, tzinfo=UTC
    )
    assert parse_quiet_hours("") is None


def test_pace_is_never_above_the_rate(sqlite_db):
    _enqueue(sqlite_db, 11)
    sender = RecordingSender()
    dispatcher = _dispatcher(sqlite_db, sender, Clock(NOON), policy=ChannelPolicy(per_second=20), horizon=0.2)
    started = time.monotonic()
    asyncio.run(dispatcher.drain())
    assert len(sender.sent) == 11
    assert time.monotonic() - started >= 10 / 20 * 0.98


def test_sms_pace_counts_segments(sqlite_db):
    long_text = "x" * 300  # two segments
    with sqlite_db.transaction() as session:
        for i in range(5):
            enqueue(
                session, channel="sms", address=PHONE, text=f"{long_text}{i}", purpose="reply", key=f"l{i}", now=NOON
            )
    [row, *_] = _messages(sqlite_db)
    assert row.segments == 2
    sender = RecordingSender()
    dispatcher = _dispatcher(sqlite_db, sender, policy=ChannelPolicy(per_second=20), horizon=0.2)
    started = time.monotonic()
    asyncio.run(dispatcher.drain())
    assert time.monotonic() - started >= 8 / 20 * 0.98  # ten segments; the last message's two start at 8/20 s


def test_a_lease_that_ran_out_is_claimed_again_and_the_late_owner_cannot_overwrite(any_db):
    _enqueue(any_db)
    clock = Clock(NOON)
    crashed = _dispatcher(any_db, RecordingSender(), clock, lease_seconds=30, send_timeout=5)
    [claimed] = crashed.claim("sms")  # …and the process dies before sending
    survivor_sender = RecordingSender()
    survivor = _dispatcher(any_db, survivor_sender, clock, lease_seconds=30, send_timeout=5)
    assert survivor.claim("sms") == []  # still leased
    clock.advance(seconds=31)
    asyncio.run(survivor.drain())
    assert len(survivor_sender.sent) == 1
    from bot.outbox import SendResult
    from bot.outbox.batch import Outcome as _Outcome

    crashed._record("sms", [_Outcome(claimed.outgoing.id, result=SendResult("SMlate"))])
    [row] = _messages(any_db)
    assert (row.status, row.attempts) == ("sent", 2)
    assert row.provider_id != "SMlate"


class LookingSender(RecordingSender):
    """A sender whose provider can say whether a message already went out (as Twilio's message list can)."""

    def __init__(self, already: set[str]) -> None:
        super().__init__()
        self.already = already  # texts the provider has from an attempt we never recorded
        self.asked: list[Outgoing] = []

    async def find_sent(self, message: Outgoing) -> SendResult | None:
        self.asked.append(message)
        return SendResult(f"SMfound{message.id}") if message.text in self.already else None


def test_after_a_dead_sender_the_provider_is_asked_before_sending_again(any_db):
    _enqueue(any_db, n=2)  # "message 0" went out before the crash, "message 1" did not
    clock = Clock(NOON)
    crashed = _dispatcher(any_db, RecordingSender(), clock, lease_seconds=30, send_timeout=5)
    assert len(crashed.claim("sms")) == 2  # …and the process dies mid-send
    clock.advance(seconds=31)
    sender = LookingSender(already={"message 0"})
    asyncio.run(_dispatcher(any_db, sender, clock, lease_seconds=30, send_timeout=5).drain())
    assert [m.text for m in sender.asked] == ["message 0", "message 1"]
    assert all(m.uncertain_since == NOON for m in sender.asked)
    assert [m.text for m in sender.sent] == ["message 1"]  # only the one the provider did not have
    rows = _messages(any_db)
    assert [(r.status, r.provider_id) for r in rows] == [
        ("sent", f"SMfound{rows[0].id}"),
        ("sent", rows[1].provider_id),
    ]


class OneCopySender(RecordingSender):
    """A provider that holds one copy of "same" (SMone): two uncertain messages with that text, only one went out."""

    async def find_sent(self, message: Outgoing) -> SendResult | None:
        if message.text == "same" and "SMone" not in message.known_provider_ids:
            return SendResult("SMone")
        return None


def test_two_uncertain_messages_with_one_copy_at_the_provider_one_is_recorded_and_the_other_sent(any_db):
    _enqueue(any_db, n=2, text="same")
    clock = Clock(NOON)
    assert len(_dispatcher(any_db, RecordingSender(), clock, lease_seconds=30, send_timeout=5).claim("sms")) == 2
    clock.advance(seconds=31)
    sender = OneCopySender()
    asyncio.run(_dispatcher(any_db, sender, clock, lease_seconds=30, send_timeout=5).drain())
    assert len(sender.sent) == 1  # not lost: the provider's one copy cannot stand for both
    assert sorted(r.provider_id == "SMone" for r in _messages(any_db)) == [False, True]


def test_after_a_timeout_the_provider_is_asked_but_a_first_attempt_never_is(any_db):
    _enqueue(any_db, n=2)
    clock = Clock(NOON)
    timing_out = RecordingSender(
        fail=lambda m: SendError("slow", retryable=True, code="timeout") if m.text == "message 0" else None
    )
    asyncio.run(_dispatcher(any_db, timing_out, clock).drain())
    clock.advance(minutes=5)
    sender = LookingSender(already=set())
    asyncio.run(_dispatcher(any_db, sender, clock).drain())
    assert [m.text for m in sender.asked] == ["message 0"]  # "message 1" was sent the first time: nothing to ask
    assert [m.text for m in sender.sent] == ["message 0"]


def test_a_dead_senders_alert_held_by_quiet_hours_is_looked_up_from_its_attempt_in_the_morning(any_db):
    from datetime import timedelta

    evening = datetime(2026, 11, 28, 1, 59, 30, tzinfo=UTC)  # 20:59:30 in Detroit, just before quiet hours
    with any_db.transaction() as session:
        enqueue(
            session,
            channel="sms",
            address=PHONE,
            text="alert",
            purpose="alert",
            lane="bulk",
            key="a",
            timezone="America/Detroit",
            now=evening,
        )
        # The same text to the same number, sent and recorded earlier: it cannot be the uncertain attempt.
        old = enqueue(session, channel="sms", address=PHONE, text="alert", purpose="alert", key="b", now=evening)
        old.status, old.provider_id, old.sent_at = "sent", "SMearlier", evening - timedelta(minutes=5)
    clock = Clock(evening)
    policy = ChannelPolicy(quiet_hours=parse_quiet_hours("21:00-08:00"))
    crashed = _dispatcher(any_db, RecordingSender(), clock, policy=policy, lease_seconds=30, send_timeout=5)
    assert len(crashed.claim("sms")) == 1  # …and it dies mid-send
    clock.advance(minutes=5)  # quiet hours now
    sender = LookingSender(already={"alert"})
    later = _dispatcher(any_db, sender, clock, policy=policy, lease_seconds=30, send_timeout=5)
    asyncio.run(later.drain())
    assert sender.asked == [] and sender.sent == []
    row = _messages(any_db)[0]
    assert (row.status, row.error_code) == ("errored", "interrupted")  # held, and no longer "sending"
    assert later.claim("sms") == []  # not claimed again on every poll through the night
    clock.now = datetime(2026, 11, 28, 13, 0, tzinfo=UTC)  # 08:00
    asyncio.run(later.drain())
    [asked] = sender.asked
    assert asked.uncertain_since == evening  # the attempt's own time, however often it was held since
    assert asked.known_provider_ids == frozenset({"SMearlier"})
    assert sender.sent == []


def test_status_reports_only_move_forward(any_db):
    _enqueue(any_db)
    asyncio.run(_dispatcher(any_db, RecordingSender()).drain())
    [row] = _messages(any_db)
    sid = row.provider_id
    steps = [
        ("queued", False, "sent"),
        ("sent", False, "sent"),
        ("delivered", True, "delivered"),
        ("sent", False, "delivered"),
        ("failed", False, "delivered"),
        ("bogus", False, "delivered"),
    ]
    for reported, changed, expected in steps:
        with any_db.transaction() as session:
            assert record_status(session, "sms", sid, reported, None, NOON) is changed
        assert _messages(any_db)[0].status == expected
    with any_db.transaction() as session:
        assert record_status(session, "sms", "SMunknown", "delivered", None, NOON) is False


def test_undelivered_keeps_the_error_code(any_db):
    _enqueue(any_db)
    asyncio.run(_dispatcher(any_db, RecordingSender()).drain())
    sid = _messages(any_db)[0].provider_id
    with any_db.transaction() as session:
        record_status(session, "sms", sid, "undelivered", "30006", NOON)
    row = _messages(any_db)[0]
    assert (row.status, row.error_code) == ("failed", "30006")


def test_a_sender_that_raises_anything_does_not_stop_the_queue(any_db):
    _enqueue(any_db, 2)

    def boom(message):
        if message.text == "message 0":
            raise KeyError("bug")
        return None

    sender = RecordingSender(fail=boom)
    asyncio.run(_dispatcher(any_db, sender).drain())
    rows = _messages(any_db)
    assert [(r.status, r.error_code) for r in rows] == [("errored", "sender_error"), ("sent", None)]


def test_the_run_loop_stops_cleanly_and_hands_back_what_it_did_not_send(sqlite_db):
    _enqueue(sqlite_db, 5)
    sender = RecordingSender()
    dispatcher = _dispatcher(sqlite_db, sender, policy=ChannelPolicy(per_second=4), horizon=2.0, poll_interval=0.05)

    async def scenario():
        stop = asyncio.Event()
        task = asyncio.create_task(dispatcher.run(stop))
        await asyncio.sleep(0.6)
        stop.set()
        await asyncio.wait_for(task, 5)

    asyncio.run(scenario())
    rows = _messages(sqlite_db)
    sent = [r for r in rows if r.status == "sent"]
    assert 1 <= len(sent) < 5
    assert {r.status for r in rows} <= {"sent", "queued"}
    assert all(r.attempts == (1 if r.status == "sent" else 0) for r in rows)


def test_told_to_stop_while_waiting_for_a_slow_paced_slot_it_hands_back_at_once(sqlite_db):
    """One SMS every 5 s, five claimed at once: SIGTERM after the first must not wait for the second's slot."""
    _enqueue(sqlite_db, 5)
    sender = RecordingSender()
    dispatcher = _dispatcher(sqlite_db, sender, policy=ChannelPolicy(per_second=0.2), horizon=30.0, poll_interval=0.05)

    async def scenario() -> float:
        stop = asyncio.Event()
        task = asyncio.create_task(dispatcher.run(stop))
        while not sender.sent:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)  # now waiting for the next slot, 5 s after the first send
        stop.set()
        told = time.monotonic()
        await asyncio.wait_for(task, 10)
        return time.monotonic() - told

    took = asyncio.run(scenario())
    assert took < 1.0  # not the 4.8 s left until the next slot
    rows = _messages(sqlite_db)
    assert [(r.status, r.attempts, r.lease_owner) for r in rows] == [("sent", 1, None)] + [("queued", 0, None)] * 4


def test_a_claimed_back_uncertain_message_handed_back_at_shutdown_stays_uncertain(sqlite_db):
    from datetime import timedelta

    _enqueue(sqlite_db, 5)
    crashed = _dispatcher(sqlite_db, RecordingSender(), Clock(NOON), lease_seconds=30, send_timeout=5)
    assert len(crashed.claim("sms")) == 5  # …and it dies mid-send
    later = Clock(NOON + timedelta(seconds=31))
    survivor = _dispatcher(
        sqlite_db, LookingSender(set()), later, policy=ChannelPolicy(per_second=4), horizon=2.0, poll_interval=0.05
    )

    async def scenario():
        stop = asyncio.Event()
        task = asyncio.create_task(survivor.run(stop))
        await asyncio.sleep(0.6)
        stop.set()  # a rolling restart: SIGTERM before it got through them
        await asyncio.wait_for(task, 5)

    asyncio.run(scenario())
    handed_back = [r for r in _messages(sqlite_db) if r.status != "sent"]
    assert handed_back and {(r.status, r.error_code) for r in handed_back} == {("errored", "interrupted")}
    sender = LookingSender(set())
    asyncio.run(_dispatcher(sqlite_db, sender, Clock(NOON + timedelta(minutes=5))).drain())
    assert len(sender.asked) == len(handed_back)  # still asked about before being sent
    assert {m.uncertain_since for m in sender.asked} == {NOON}  # from the dead sender's attempt


def test_a_batch_of_opted_out_messages_does_not_hide_the_rest(any_db):
    with any_db.transaction() as session:
        session.add(OptOut(channel="sms", address="+13135550999", reason="STOP"))
        for i in range(30):
            enqueue(
                session,
                channel="sms",
                address="+13135550999",
                text=f"x{i}",
                purpose="alert",
                lane="bulk",
                key=f"gone{i}",
                now=NOON,
            )
        enqueue(session, channel="sms", address=PHONE, text="for you", purpose="alert", lane="bulk", key="ok", now=NOON)
    sender = RecordingSender()
    asyncio.run(_dispatcher(any_db, sender, max_batch=10).drain())
    assert [m.text for m in sender.sent] == ["for you"]


def test_slow_sends_outliving_the_first_lease_are_not_taken_over(postgres_db):
    """Sends slower than the batch's lease: the lease is renewed while the batch runs, so a second dispatcher
    never takes a message over and sends it again."""
    with postgres_db.transaction() as session:
        for i in range(12):
            enqueue(
                session, channel="sms", address=f"+131355503{i:02d}", text=f"slow {i}", purpose="reply", key=f"slow{i}"
            )

    class SlowSender(RecordingSender):
        async def send(self, message):
            await asyncio.sleep(0.4)
            return await super().send(message)

    sender = SlowSender()
    # One send at a time: a batch of 12 takes about 4.8 s, well past the 2 s lease, while each send keeps
    # 2.5 times its 0.4 s inside the timeout, so a busy machine does not turn the test into one about timeouts.
    policy = ChannelPolicy(per_second=8, concurrency=1)

    def make():
        return Dispatcher(
            postgres_db,
            {"sms": sender},
            {"sms": policy},
            lease_seconds=2.0,
            send_timeout=1.0,
            horizon=2.0,
            poll_interval=0.05,
        )

    async def scenario():
        stop = asyncio.Event()
        runs = [asyncio.create_task(make().run(stop)) for _ in range(2)]
        for _ in range(400):
            if len({m.id for m in sender.sent}) == 12:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(2.5)  # time for a wrongful takeover, were leases not renewed
        stop.set()
        await asyncio.gather(*runs)

    asyncio.run(scenario())
    ids = [m.id for m in sender.sent]
    assert sorted(ids) == sorted(set(ids)) and len(ids) == 12
    assert {r.status for r in _messages(postgres_db)} == {"sent"}


def test_one_chats_pause_does_not_hold_up_the_others(sqlite_db):
    with sqlite_db.transaction() as session:
        for i in range(20):
            for n in range(2):
                enqueue(
                    session,
                    channel="telegram",
                    address=str(1000 + i),
                    text=f"{i}/{n}",
                    purpose="chat",
                    key=f"c{i}-{n}",
                    now=NOON,
                )
    sender = RecordingSender(channel="telegram")
    policy = ChannelPolicy(per_second=200, per_address_interval=0.3)
    started = time.monotonic()
    asyncio.run(_dispatcher(sqlite_db, sender, policy=policy, max_batch=100).drain())
    elapsed = time.monotonic() - started
    assert len(sender.sent) == 40
    assert elapsed < 2.0  # in line, the 20 second messages would wait 0.3 s each: over 6 s
    firsts = [m.text for m in sender.sent[:20]]
    assert all(text.endswith("/0") for text in firsts)


def test_two_dispatchers_keep_a_chats_pause_between_them(any_db):
    """Telegram's one message a second per chat holds across dispatchers (here two, each claiming one message at a
    time, with a 0.4 s pause): a chat being sent to, or sent to within the pause, waits for everyone."""
    interval = 0.4
    with any_db.transaction() as session:
        for chat in ("1001", "1002"):
            for n in range(3):
                enqueue(session, channel="telegram", address=chat, text=f"{chat}/{n}", purpose="chat", key=f"{chat}{n}")
    sends: list[tuple[float, str, int]] = []

    class TimedSender(RecordingSender):
        def __init__(self, number: int) -> None:
            super().__init__(channel="telegram")
            self.number = number

        async def send(self, message: Outgoing) -> SendResult:
            sends.append((time.monotonic(), message.address, self.number))
            return await super().send(message)

    policy = ChannelPolicy(per_address_interval=interval, concurrency=2)
    dispatchers = [
        Dispatcher(any_db, {"telegram": TimedSender(n)}, {"telegram": policy}, max_batch=1, poll_interval=0.02)
        for n in range(2)
    ]

    async def scenario() -> None:
        stop = asyncio.Event()
        runs = [asyncio.create_task(d.run(stop)) for d in dispatchers]
        for _ in range(500):
            if len(sends) == 6:
                break
            await asyncio.sleep(0.02)
        stop.set()
        await asyncio.gather(*runs)

    asyncio.run(scenario())
    assert sorted(address for _, address, _ in sends) == ["1001"] * 3 + ["1002"] * 3
    assert {number for _, _, number in sends} == {0, 1}  # both dispatchers sent
    for chat in ("1001", "1002"):
        times = [t for t, address, _ in sends if address == chat]
        assert min(b - a for a, b in itertools.pairwise(times)) >= interval * 0.95


def test_on_postgres_a_message_queued_elsewhere_wakes_the_dispatcher_at_once(postgres_db):
    """enqueue NOTIFYs at commit and dispatchers LISTEN: no waiting for the idle poll (here 30 s)."""
    sender = RecordingSender()
    dispatcher = _dispatcher(postgres_db, sender, poll_interval=30.0)

    async def scenario() -> float:
        stop = asyncio.Event()
        task = asyncio.create_task(dispatcher.run(stop))
        await asyncio.sleep(1.0)  # the first, empty poll is over; the listener is connected
        queued = time.monotonic()
        await asyncio.to_thread(_enqueue, postgres_db, 3)
        while len(sender.sent) < 3 and time.monotonic() - queued < 10:
            await asyncio.sleep(0.01)
        waited = time.monotonic() - queued
        stop.set()
        await asyncio.wait_for(task, 10)
        return waited

    waited = asyncio.run(scenario())
    assert len(sender.sent) == 3
    assert waited < 5.0  # far below the 30 s poll


def test_notify_is_sent_once_per_transaction_and_never_for_a_rollback(postgres_db):
    import psycopg
    import sqlalchemy as sa

    from bot.outbox import WAKE_CHANNEL

    def queue(session, key: str) -> int:
        enqueue(session, channel="sms", address=PHONE, text=key, purpose="reply", key=key, now=NOON)
        return session.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()

    url = postgres_db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as listener:
        listener.execute(f"LISTEN {WAKE_CHANNEL}")
        with postgres_db.transaction() as session:
            pids = {queue(session, f"kept-{i}") for i in range(5)}
        [committed] = pids
        rolled_back = []
        with pytest.raises(RuntimeError), postgres_db.transaction() as session:
            rolled_back.append(queue(session, "rolled-back"))
            raise RuntimeError("the transaction fails")
        # Other processes may share the database: keep only what our two transactions' backends sent.
        notes = [(n.pid, n.payload) for n in listener.notifies(timeout=1.0) if n.pid in (committed, *rolled_back)]
    assert notes == [(committed, "sms")]
