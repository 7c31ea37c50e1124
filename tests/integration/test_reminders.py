"""Follow-ups end to end through the services and the outbox, with a clock the test moves."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.models import Invitation, Maker, OutboundMessage, Reminder, Request
from bot.services import makers as maker_service
from bot.services.buyers import ChatConfig, ChatEvent, handle_chat
from bot.services.reminders import FollowUpPolicy, Moot
from bot.services.sms_inbox import handle_sms
from bot.services.ticker import Ticker
from matching.taxonomy import load_taxonomy
from tests.conftest import demo_csv

T0 = datetime(2026, 11, 27, 17, 0, tzinfo=UTC)  # Friday noon in Detroit
TAXONOMY = load_taxonomy()
POLICY = FollowUpPolicy()
CONFIG = ChatConfig(max_invites=3, radius_miles=50, admin_ids=(999,), followups=POLICY)
_ids = itertools.count(1)


class World:
    """One database, one buyer, a clock: the services as the channels would drive them."""

    def __init__(self, db):
        self.db = db
        self.now = T0
        self.cache = maker_service.DirectoryCache(db, TAXONOMY)
        self.ticker = Ticker(db, POLICY, lambda: self.cache.get(self.now))

    def buyer(self, **kw):
        event = ChatEvent(
            channel="telegram",
            event_id=f"u{next(_ids)}",
            user_id=1001,
            chat_id=1001,
            first_name="Dana",
            username="dana_hospital",
            **kw,
        )
        with self.db.transaction() as session:
            handle_chat(session, TAXONOMY, lambda: self.cache.get(self.now), CONFIG, event, self.now)

    def maker(self, phone, text):
        with self.db.transaction() as session:
            handle_sms(
                session,
                TAXONOMY,
                phone=phone,
                text=text,
                message_id=f"SM{next(_ids):032x}",
                now=self.now,
                followups=POLICY,
            )

    def advance(self, **delta):
        self.now += timedelta(**delta)
        return self.ticker.tick(self.now)

    def messages(self, purpose=None, address=None):
        with self.db.read() as session:
            query = select(OutboundMessage).order_by(OutboundMessage.id)
            if purpose:
                query = query.where(OutboundMessage.purpose == purpose)
            if address:
                query = query.where(OutboundMessage.address == address)
            return list(session.exec(query).all())

    def request(self):
        with self.db.read() as session:
            return session.exec(select(Request).order_by(Request.id.desc())).first()

    def invitations(self):
        with self.db.read() as session:
            return list(session.exec(select(Invitation).order_by(Invitation.rank)).all())

    def open_request(self, text="need 500 face shields by Friday"):
        self.buyer(command="start")
        self.buyer(text="48201")
        self.buyer(text=text)
        self.buyer(callback=f"send:{self.request().id}")
        self.deliver()
        return [m.address for m in self.messages("invitation")]

    def deliver(self):
        """Mark everything queued as sent, as the dispatcher would (daytime, so nothing is held)."""
        with self.db.transaction() as session:
            for row in session.exec(select(OutboundMessage).where(OutboundMessage.status == "queued")).all():
                row.status, row.sent_at = "sent", self.now


@pytest.fixture
def world(any_db):
    maker_service.import_makers(any_db, demo_csv(), "demo", TAXONOMY)
    return World(any_db)


def test_a_silent_maker_is_nudged_once_and_one_who_answered_is_not(world):
    phones = world.open_request()
    world.maker(phones[0], "no thanks")
    world.advance(hours=3)
    assert world.messages("nudge") == []
    world.advance(hours=1, minutes=1)
    nudged = sorted(m.address for m in world.messages("nudge"))
    assert nudged == sorted(phones[1:])
    assert all("YES" in m.text and world.request().code in m.text for m in world.messages("nudge"))
    assert world.advance(hours=1).fired == 0  # nothing fires twice


def test_silent_invitations_expire_and_the_next_ranked_makers_are_asked(world):
    phones = world.open_request()
    world.maker(phones[0], "yes 500 at $2 each")
    world.advance(hours=24, minutes=1)
    statuses = {inv.rank: inv.status for inv in world.invitations()}
    assert statuses[1] == "quoted" and statuses[2] == statuses[3] == "expired"
    assert {4, 5} <= set(statuses)  # two new makers, ranked after the first three
    new_invites = [m for m in world.messages("invitation") if m.address not in phones]
    assert len(new_invites) == 2
    told = world.messages("replaced", address="1001")
    assert len(told) == 2 and "did not answer" in told[0].text


def test_a_buyer_with_answers_waiting_is_nudged_then_the_request_goes_quiet(world):
    phones = world.open_request()
    world.maker(phones[0], "yes 500 at $2.10 each 5 days")
    world.advance(hours=24, minutes=1)
    [nudge] = world.messages("buyer_nudge")
    assert "1 answer is waiting" in nudge.text and "$2.10 each" in nudge.text
    assert json.loads(nudge.buttons)[0][0][1].startswith("accept:")
    world.deliver()
    world.advance(days=3, minutes=1)
    assert world.request().status == "expired"
    [quiet] = world.messages("request_quiet")
    assert json.loads(quiet.buttons) == [[["Reopen", f"reopen:{world.request().id}"]]]
    closed = world.messages(address=phones[0])
    assert "has closed without an order" in closed[-1].text
    world.buyer(callback=f"reopen:{world.request().id}")
    assert world.request().status == "open"


def test_an_accepted_order_is_followed_to_delivery_and_rated(world):
    phones = world.open_request()
    world.maker(phones[0], "yes 500 at $2 each 5 days")
    world.buyer(callback=f"accept:{world.invitations()[0].id}")
    world.deliver()
    assert world.request().status == "matched"
    world.advance(days=4)
    assert world.messages("checkin") == []
    world.advance(days=1, hours=6)  # Wed Dec 2 18:00 in Detroit: two days before the deadline, Fri Dec 4, 17:00
    [checkin] = world.messages("checkin")
    assert checkin.address == phones[0] and "still on track" in checkin.text and "Dec 4" in checkin.text
    assert checkin.lane == "bulk"  # quiet hours hold it at night
    assert world.messages("buyer_checkin") == []
    world.advance(days=3)  # Sat Dec 5: the day after the deadline
    [ask] = world.messages("buyer_checkin")
    labels = [label for label, _ in json.loads(ask.buttons)[0]]
    with world.db.read() as session:
        name = session.exec(select(Maker).where(Maker.phone == phones[0])).one().name
    # Introduced by now: the buyer knows the maker by name, not as "Maker 1".
    assert labels == ["Yes", "Not yet", "Problem"]
    assert ask.text == f"Did the 500 face shields from {name} arrive (request {world.request().code})?"
    world.buyer(callback=json.loads(ask.buttons)[0][0][1])
    invitation = world.invitations()[0]
    assert invitation.status == "delivered" and invitation.buyer_confirmed_at is not None
    assert world.request().status == "fulfilled"
    [rate] = [m for m in world.messages(address="1001") if m.text.startswith(f"Great! How was {name}?")]
    world.buyer(callback=json.loads(rate.buttons)[0][4][1])
    with world.db.read() as session:
        maker = session.exec(select(Maker).where(Maker.phone == phones[0])).one()
    assert (maker.delivered_count, maker.on_time_count, maker.rating_sum, maker.rating_count) == (1, 1, 5, 1)
    assert maker_service.responsiveness(maker) > 0.5


def test_a_spanish_buyers_check_in_names_the_maker(world):
    world.buyer(command="start", language_code="es")
    phones = world.open_request("necesito 500 caretas para el viernes")
    world.maker(phones[0], "yes 500 at $2 each 5 days")
    world.buyer(callback=f"accept:{world.invitations()[0].id}")
    world.deliver()
    world.advance(days=9)  # past the deadline, Fri Dec 4
    [ask] = world.messages("buyer_checkin")
    with world.db.read() as session:
        name = session.exec(select(Maker).where(Maker.phone == phones[0])).one().name
    assert ask.text == f"¿Llegaron los 500 face shields de {name} (pedido {world.request().code})?"


def test_a_state_change_between_scheduling_and_firing_sends_nothing(world):
    phones = world.open_request()
    world.maker(phones[0], "yes 500 at $2 each")
    world.buyer(command="cancel")
    world.buyer(callback=f"cancel:{world.request().id}")
    before = len(world.messages())
    report = world.advance(days=20)
    assert world.messages("nudge") == [] and world.messages("buyer_nudge") == []
    # Each came due and was skipped as moot, and the tick says so (the sandbox tells its user).
    assert report.sent == 0 and report.skipped == {Moot.CLOSED: report.fired} and report.fired >= 4
    assert len(world.messages()) == before
    with world.db.read() as session:
        outcomes = {r.kind: (r.status, r.outcome) for r in session.exec(select(Reminder)).all()}
    assert outcomes["invite_nudge"][0] in ("skipped", "cancelled")
    assert outcomes["request_expire"][0] == "skipped"


def test_a_tick_reports_what_was_sent_and_what_was_skipped_and_why(world):
    phones = world.open_request()
    world.maker(phones[0], "yes 500 at $2 each")
    world.maker(phones[1], "no thanks")
    report = world.advance(hours=4, minutes=1)
    # The nudge of the maker who said no was cancelled when they answered: it never comes due.
    assert (report.fired, report.sent, dict(report.skipped)) == (1, 1, {})
    world.buyer(callback=f"accept:{world.invitations()[0].id}")
    report = world.advance(hours=20)
    # The silent maker's expiry and the buyer's nudge came due after the job was filled: both moot.
    assert (report.fired, report.sent, dict(report.skipped)) == (2, 0, {Moot.CLOSED: 2})


def test_every_kind_of_skip_can_be_told():
    from bot import texts

    assert {str(why) for why in Moot} == set(texts.SKIP_REASONS)


def test_stale_listings_are_asked_twice_then_paused(world):
    with world.db.transaction() as session:
        for maker in session.exec(select(Maker)).all():
            maker.last_seen_at = T0 - timedelta(days=2)
        quiet = session.exec(select(Maker).where(Maker.phone == "+13135550101")).one()
        quiet.last_seen_at = T0 - timedelta(days=40)
        talker = session.exec(select(Maker).where(Maker.phone == "+13135550102")).one()
        talker.last_seen_at = T0 - timedelta(days=40)
    world.advance(minutes=1)
    asked = {m.address for m in world.messages("freshness-ask")}
    assert asked == {"+13135550101", "+13135550102"}
    world.maker("+13135550102", "YES")  # still here
    world.advance(days=7, minutes=1)
    assert {m.address for m in world.messages("freshness-again")} == {"+13135550101"}
    world.advance(days=7, minutes=1)
    with world.db.read() as session:
        statuses = {m.phone: m.status for m in session.exec(select(Maker)).all()}
    assert statuses["+13135550101"] == "paused" and statuses["+13135550102"] == "active"
    [paused] = world.messages("freshness-paused")
    assert "RESUME" in paused.text


def test_a_stale_open_request_expires_and_the_buyer_is_told(world):
    world.open_request()
    world.advance(days=14, minutes=1)
    assert world.request().status == "expired"
    [told] = world.messages("request_expired", address="1001")
    assert "expired" in told.text and "reopen" in told.buttons


def test_a_stale_request_from_the_organisers_expires_and_the_makers_who_answered_are_told(world):
    from bot.services import requests as request_service

    opened = request_service.open_request(
        world.db,
        TAXONOMY,
        "500 face shields near 48201",
        radius_miles=50,
        max_invites=3,
        now=world.now,
        followups=POLICY,
    )
    world.deliver()
    quoting = opened.invited[0][1].phone
    world.maker(quoting, "yes 500 at $2 each")
    world.advance(days=14, minutes=1)
    assert world.request().status == "expired"
    told = [m for m in world.messages(address=quoting) if m.purpose.startswith("expired:")]
    assert len(told) == 1 and "closed without an order" in told[0].text


def test_an_expiring_request_thanks_the_makers_who_answered_and_tells_the_silent_ones_not_to(world):
    from bot.services import requests as request_service

    # Invitations that outlive the request: the silent makers are still invited when it expires.
    policy = FollowUpPolicy(expire_invitation_after=timedelta(days=30))
    world.ticker = Ticker(world.db, policy, lambda: world.cache.get(world.now))
    opened = request_service.open_request(
        world.db,
        TAXONOMY,
        "500 face shields near 48201",
        radius_miles=50,
        max_invites=3,
        now=world.now,
        followups=policy,
    )
    world.deliver()
    quoting, *silent = [maker.phone for _invitation, maker in opened.invited]
    world.maker(quoting, "yes 500 at $2 each")
    world.advance(days=14, minutes=1)
    assert world.request().status == "expired"
    code = world.request().code
    told = {m.address: m.text for m in world.messages() if m.purpose.startswith("expired:")}
    assert set(told) == {quoting, *silent}
    assert told[quoting] == f"makerlink: job {code} has closed without an order. Thank you for answering!"
    for phone in silent:
        assert (
            told[phone]
            == f"makerlink: job {code} is no longer needed: it has closed without an order. No need to answer."
        )
    assert [inv.status for inv in world.invitations()] == ["lost", "expired", "expired"]


def test_reminders_overdue_after_a_restart_go_out_once(world):
    world.open_request()
    # The bot was down for two days: every nudge and expiry is overdue when it comes back. Each fires once;
    # the nudges are skipped, since a reminder to answer an invitation that expires now makes no sense.
    world.now += timedelta(days=2)
    first = world.ticker.tick(world.now)
    second = world.ticker.tick(world.now)
    assert first.fired == 6 and second.fired == 0
    assert world.messages("nudge") == []
    assert [inv.status for inv in world.invitations()][:3] == ["expired"] * 3
    assert len(world.messages("replaced", address="1001")) == 3
    with world.db.read() as session:
        nudges = session.exec(select(Reminder).where(Reminder.kind == "invite_nudge", Reminder.status != "pending"))
        assert {r.status for r in nudges} == {"skipped"}


def test_a_nudge_waits_until_the_invitation_has_gone_out(world):
    world.buyer(command="start")
    world.buyer(text="48201")
    world.buyer(text="need 500 face shields by Friday")
    world.buyer(callback=f"send:{world.request().id}")
    # Not delivered: held by quiet hours, say. Four hours on, the nudge moves instead of going out.
    world.advance(hours=4, minutes=1)
    assert world.messages("nudge") == []
    world.deliver()
    world.advance(hours=4, minutes=1)
    assert len(world.messages("nudge")) == 3


def test_a_partly_ordered_request_does_not_expire_as_stale(world):
    phones = world.open_request()
    world.maker(phones[0], "yes 200 at $2 each")
    world.buyer(callback=f"accept:{world.invitations()[0].id}")
    world.deliver()
    world.advance(days=15)
    request = world.request()
    assert request.status == "open" and request.quantity_committed == 200
    assert world.messages("request_expired") == []


def test_freshness_skips_busy_makers_and_asks_once_per_silence(world):
    phones = world.open_request()
    with world.db.transaction() as session:
        for maker in session.exec(select(Maker)).all():
            maker.last_seen_at = T0 - timedelta(days=40)
    world.advance(minutes=1)
    asked = {m.address for m in world.messages("freshness-ask")}
    assert asked and not (asked & set(phones))  # invited makers are asked about their job, not this
    count = len(world.messages("freshness-ask"))
    world.advance(hours=1)
    world.advance(hours=1)
    assert len(world.messages("freshness-ask")) == count


def test_a_yes_from_a_maker_paused_for_silence_brings_them_back(world):
    with world.db.transaction() as session:
        maker = session.exec(select(Maker).where(Maker.phone == "+13135550101")).one()
        maker.status = "paused"
    world.maker("+13135550101", "YES")
    with world.db.read() as session:
        assert session.exec(select(Maker).where(Maker.phone == "+13135550101")).one().status == "active"


TICK_SCRIPT = """
import sys, time
from datetime import datetime
from bot.db import Database
from bot.services import makers as maker_service
from bot.services.reminders import FollowUpPolicy
from bot.services.ticker import Ticker
db = Database(sys.argv[1])
now = datetime.fromisoformat(sys.argv[2])
cache = maker_service.DirectoryCache(db)
ticker = Ticker(db, FollowUpPolicy(), lambda: cache.get(now), owner=sys.argv[3], batch=3)
while time.time() < float(sys.argv[4]):
    time.sleep(0.005)
print(ticker.tick(now).fired)
"""


@pytest.mark.real_clock  # makerlink runs as another process here
def test_two_worker_processes_on_postgres_fire_each_reminder_once(tmp_path):
    import subprocess
    import sys
    import time

    from bot.db import Database
    from tests.conftest import fresh_postgres_schema

    with fresh_postgres_schema() as url:
        db = Database(url)
        db.upgrade()
        maker_service.import_makers(db, demo_csv(), "demo", TAXONOMY)
        with db.transaction() as session:
            for maker in session.exec(select(Maker)).all():
                maker.last_seen_at = T0 - timedelta(days=60)
        now = (T0 + timedelta(minutes=1)).isoformat()
        start = str(time.time() + 3)  # both begin together, once their imports are done
        workers = [
            subprocess.Popen(
                [sys.executable, "-c", TICK_SCRIPT, url, now, f"w{i}", start],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for i in range(2)
        ]
        fired = []
        for worker in workers:
            out, err = worker.communicate(timeout=120)
            assert worker.returncode == 0, err
            fired.append(int(out.strip().splitlines()[-1]))
        with db.read() as session:
            asks = session.exec(select(OutboundMessage.address).where(OutboundMessage.purpose == "freshness-ask")).all()
            makers = session.exec(select(Maker)).all()
        db.dispose()
    assert len(asks) == len(set(asks)) == len(makers) == sum(fired)


def test_the_scheduler_runs_missed_ticks_once_and_never_two_at_a_time(sqlite_db):
    from bot import bootstrap
    from bot.config import Settings

    settings = Settings(database_url=sqlite_db.url, reminder_tick_seconds=5, _env_file=None)
    runtime = bootstrap.Runtime(settings, sqlite_db, TAXONOMY)
    scheduler = bootstrap.make_scheduler(runtime, bootstrap.make_ticker(runtime))
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"reminders", "broadcast-progress", "prune-media"}
    for job in jobs.values():
        assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, None)
    assert jobs["reminders"].trigger.interval == timedelta(seconds=5)
    assert jobs["broadcast-progress"].trigger.interval == timedelta(seconds=5)
    assert jobs["prune-media"].trigger.interval == timedelta(seconds=bootstrap.PRUNE_MEDIA_SECONDS)


def test_late_moves_the_buyers_check_in_and_a_reopened_request_is_nudged_again(world):
    phones = world.open_request()
    world.maker(phones[0], "yes 500 at $2 each 5 days")
    world.buyer(callback=f"accept:{world.invitations()[0].id}")
    world.deliver()
    with world.db.read() as session:
        before = session.exec(select(Reminder).where(Reminder.kind == "buyer_checkin")).one().due_at
    world.maker(phones[0], "LATE 3")
    with world.db.read() as session:
        after = session.exec(select(Reminder).where(Reminder.kind == "buyer_checkin")).one().due_at
    assert after - before == timedelta(days=3)


def test_a_reopened_request_gets_its_follow_ups_afresh(world):
    from bot.services import reminders

    phones = world.open_request()
    world.maker(phones[0], "yes 500 at $2 each")
    world.advance(hours=24, minutes=1)
    world.deliver()
    world.advance(days=3, minutes=1)
    assert world.request().status == "expired"
    world.buyer(callback=f"reopen:{world.request().id}")
    assert world.request().status == "open"
    with world.db.transaction() as session:  # the next quote schedules a new nudge: the spent one freed its key
        reminders.on_quoted(session, session.get(Request, world.request().id), POLICY, world.now)
    with world.db.read() as session:
        kinds = [r.kind for r in session.exec(select(Reminder).where(Reminder.status == "pending")).all()]
    assert "buyer_nudge" in kinds and "request_expire" in kinds
