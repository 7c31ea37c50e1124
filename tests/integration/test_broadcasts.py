"""Broadcasts: audiences through the taxonomy and distance, previews, one message per person, replies to admins."""

from __future__ import annotations

import asyncio
import itertools
import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.locales import language_of
from bot.models import AdminAction, Buyer, Maker, MakerCapability, OptOut, OutboundMessage
from bot.outbox import ChannelPolicy, Dispatcher
from bot.services import broadcasts as broadcast_service
from bot.services import makers as maker_service
from bot.services import stats as stats_service
from bot.services.broadcasts import Audience
from bot.services.sms_inbox import handle_sms
from matching.taxonomy import load_taxonomy
from tests.conftest import DEMO_MAKERS, demo_csv
from tests.fakes.senders import RecordingSender

NOW = datetime(2026, 11, 27, 17, 0, tzinfo=UTC)
TAXONOMY = load_taxonomy()
PRICE = 0.0079
_ids = itertools.count(1)

PHRASES = [
    "cut and sew",
    "seamstress",
    "textiles",
    "industrial sewing",
    "3D printing",
    "laser cutting",
    "hand sanitizer",
    "CNC machining",
    "injection molding",
    "face shields",
    "alterations",
    "woodworking",
]
ZIPS = ["48201", "48207", "48126", "48104", "49503", "60601", "10001", "94103"]


def big_directory(db, makers=3000, seed=7):
    """A few thousand makers with real capability phrases in real ZIPs (fictional numbers)."""
    rng = random.Random(seed)
    rows = ["name,phone,zip,capabilities"]
    for i in range(makers):
        caps = "; ".join(rng.sample(PHRASES, 2))
        rows.append(f"Shop {i},+1313{5550000 + i:07d},{rng.choice(ZIPS)},{caps}")
    report = maker_service.import_makers(db, "\n".join(rows).encode(), "big.csv", TAXONOMY)
    assert report.created == makers


@pytest.fixture
def demo(any_db):
    maker_service.import_makers(any_db, demo_csv(), "demo", TAXONOMY)
    return any_db


def preview(db, **kw):
    with db.read() as session:
        return broadcast_service.audience(
            session, TAXONOMY, Audience(**kw), "Hospitals need gowns: who can sew?", PRICE
        )


def test_sewing_finds_cut_and_sew_seamstress_and_textiles_within_the_radius(sqlite_db):
    from matching import geo

    big_directory(sqlite_db)
    found = preview(sqlite_db, capability="sewing", zip="48201", radius_miles=30)
    center = geo.lookup_zip("48201")
    sewing = {"cut and sew", "seamstress", "textiles", "industrial sewing"}  # not "alterations": not in the taxonomy
    with sqlite_db.read() as session:
        caps: dict[int, set[str]] = {}
        for maker_id, phrase in session.exec(select(MakerCapability.maker_id, MakerCapability.phrase)).all():
            caps.setdefault(maker_id, set()).add(phrase)
        expected = {
            m.id
            for m in session.exec(select(Maker)).all()
            if sewing & caps[m.id] and geo.distance_miles(center.lat, center.lon, m.lat, m.lon) <= 30
        }
    got = [r.maker_id for r in found.recipients]
    assert expected and set(got) == expected
    assert len(got) == len(set(got))  # one person, one message


def test_the_preview_counts_channels_exclusions_segments_and_cost(demo):
    with demo.transaction() as session:
        makers = session.exec(select(Maker).order_by(Maker.id)).all()
        makers[0].status = "stopped"
        makers[1].alerts_opt_out = True
        makers[2].status = "paused"
        session.add(OptOut(channel="sms", address=makers[3].phone, reason="STOP"))
        session.add(Buyer(telegram_user_id=1, chat_id=1, name="Dana", zip="48201", lat=42.35, lon=-83.06))
        session.add(Buyer(telegram_user_id=2, chat_id=2, name="Blocked", blocked=True, lat=42.35, lon=-83.06))
    result = preview(demo, to="all")
    summary = result.as_dict()
    assert summary["excluded"] == {"stopped": 2, "alerts off": 1, "paused": 1, "blocked": 1}
    reached = DEMO_MAKERS - 4  # the four makers above
    assert summary["by_channel"] == {"sms": reached, "telegram": 1}
    assert summary["sms_segments"] == 1 and summary["estimated_cost_usd"] == round(reached * PRICE, 2)
    assert len(summary["sample"]) == 5


def test_each_languages_version_is_counted_and_said_and_the_organisers_words_stay_as_written(demo):
    with demo.read() as session:
        spoken = Counter(language_of(m.language) for m in session.exec(select(Maker)).all())
    assert spoken["es"] == 8  # the demo directory's Spanish-speaking makers
    result = preview(demo)
    summary = result.as_dict()
    by_language = {v["language"]: v for v in summary["sms_versions"]}
    assert by_language["es"] == {
        "language": "es", "language_name": "Spanish", "recipients": 8, "encoding": "GSM-7", "segments": 1
    }  # fmt: skip
    assert by_language["en"]["recipients"] == spoken["en"] and by_language["en"]["encoding"] == "GSM-7"
    assert summary["sms_summary"].startswith(f"English: GSM-7, 1 segment each, to {spoken['en']}; ")
    assert "Spanish: GSM-7, 1 segment each, to 8" in summary["sms_summary"]
    assert by_language["ar"]["encoding"] == "UCS-2" and "Arabic: UCS-2, 1 segment each, to 2" in summary["sms_summary"]
    # Arabic is UCS-2, 70 characters a segment: longer words with the Arabic footer cost two, and say so.
    with demo.read() as session:
        longer = broadcast_service.audience(
            session, TAXONOMY, Audience(), "Hospitals need isolation gowns this week: who can sew 200?", PRICE
        )
    assert {v.language: (v.encoding, v.segments) for v in longer.versions} == {
        "en": ("GSM-7", 1), "es": ("GSM-7", 1), "ar": ("UCS-2", 2)
    }  # fmt: skip
    assert "Arabic: UCS-2, 2 segments each, to 2" in longer.sms_text()
    assert longer.segments == 2 and longer.cost_usd == pytest.approx((DEMO_MAKERS + 2) * PRICE)
    # An emoji in the organiser's words makes every version UCS-2, and the preview says which character did.
    with demo.read() as session:
        emoji = broadcast_service.audience(session, TAXONOMY, Audience(), "Gowns needed 🙏 " + "x" * 60, PRICE)
    assert {v.encoding for v in emoji.versions} == {"UCS-2"} and emoji.segments == 2
    assert emoji.sms_text().endswith("The text itself needs UCS-2 for 🙏")
    assert emoji.cost_usd == pytest.approx(DEMO_MAKERS * 2 * PRICE)
    draft, _ = broadcast_service.create(demo, TAXONOMY, "Gowns needed: who can sew?", Audience(), "cli", PRICE, now=NOW)
    broadcast_service.confirm(demo, TAXONOMY, draft.id, "cli", now=NOW)
    with demo.read() as session:
        rows = session.exec(select(OutboundMessage).where(OutboundMessage.broadcast_id == draft.id)).all()
    by_text = Counter(r.text for r in rows)
    assert by_text["Gowns needed: who can sew?\n- makerlink alert. ALERTS OFF stops these."] == spoken["en"]
    assert by_text["Gowns needed: who can sew?\n- aviso de makerlink. AVISOS NO los detiene."] == 8
    assert by_text["Gowns needed: who can sew?\nلإيقاف التنبيهات: ALERTS OFF"] == 2


def test_a_double_confirm_sends_one_broadcast_and_opted_out_makers_get_nothing(demo):
    with demo.transaction() as session:
        quiet = session.exec(select(Maker).where(Maker.phone == "+13135550101")).one()
        quiet.alerts_opt_out = True
    draft, result = broadcast_service.create(
        demo, TAXONOMY, "Gowns needed: reply if you can sew", Audience(), "cli", PRICE, now=NOW
    )
    first = broadcast_service.confirm(demo, TAXONOMY, draft.id, "cli", now=NOW)
    again = broadcast_service.confirm(demo, TAXONOMY, draft.id, "cli", now=NOW)
    assert first == len(result.recipients) and again == 0
    with demo.read() as session:
        rows = session.exec(select(OutboundMessage).where(OutboundMessage.broadcast_id == draft.id)).all()
        actions = session.exec(select(AdminAction.action)).all()
    assert len(rows) == first and len({r.address for r in rows}) == first
    assert all(r.lane == "bulk" and r.purpose == "alert" for r in rows)
    assert "+13135550101" not in {r.address for r in rows}
    assert actions == ["broadcast_draft", "broadcast_send"]
    # A maker turning alerts off after the confirmation still gets nothing: checked at send time.
    with demo.transaction() as session:
        session.exec(select(Maker).where(Maker.phone == rows[0].address)).one().alerts_opt_out = True
    sender = RecordingSender()
    asyncio.run(Dispatcher(demo, {"sms": sender}, {"sms": ChannelPolicy()}, clock=lambda: NOW).drain())
    assert rows[0].address not in {m.address for m in sender.sent}
    report = broadcast_service.report(demo, draft.id)
    assert report.done and report.by_status == {"sent": first - 1, "cancelled": 1}
    assert report.failures == {"alerts_off": 1} and report.broadcast.status == "sent"
    figures = stats_service.collect(demo)
    assert figures["broadcasts"][0]["messages"] == {"sent": first - 1, "cancelled": 1}


def test_a_makers_reply_to_an_alert_reaches_the_admins(demo):
    draft, _ = broadcast_service.create(demo, TAXONOMY, "Who can sew gowns?", Audience(), "cli", PRICE, now=NOW)
    broadcast_service.confirm(demo, TAXONOMY, draft.id, "cli", now=NOW)
    asyncio.run(Dispatcher(demo, {"sms": RecordingSender()}, {"sms": ChannelPolicy()}, clock=lambda: NOW).drain())
    with demo.transaction() as session:
        handle_sms(
            session,
            TAXONOMY,
            phone="+13135550101",
            text="YES I can sew 200",
            message_id="SMreply1",
            now=NOW + timedelta(hours=1),
            admin_ids=(999, 998),
        )
    with demo.read() as session:
        forwarded = session.exec(select(OutboundMessage).where(OutboundMessage.purpose == "broadcast_reply")).all()
        thanks = session.exec(
            select(OutboundMessage).where(OutboundMessage.idempotency_key.startswith("sms-reply:SMreply1"))
        ).all()
    assert {m.address for m in forwarded} == {"999", "998"}
    assert all("YES I can sew 200" in m.text and f"#{draft.id}" in m.text for m in forwarded)
    assert [m.text for m in thanks] == ["Thanks — your reply went to the organisers."]


def test_stats_count_makers_requests_answers_and_messages(demo):
    from bot.services import requests as request_service

    opened = request_service.open_request(
        demo, TAXONOMY, "500 face shields near 48201", radius_miles=50, max_invites=3, now=NOW
    )
    phone = opened.invited[0][1].phone
    with demo.transaction() as session:
        handle_sms(
            session, TAXONOMY, phone=phone, text="yes $2 each", message_id="SMs1", now=NOW + timedelta(minutes=30)
        )
    figures = stats_service.collect(demo)
    assert figures["makers"]["active"] == DEMO_MAKERS and figures["requests"]["open"] == 1
    assert figures["median_minutes_to_first_answer"] == 30.0 and figures["answer_rate"] == round(1 / 3, 3)
    assert figures["messages"]["queued"] >= 4


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
@pytest.mark.real_clock  # makerlink runs as another process here
def test_sigkill_mid_broadcast_and_restart_reaches_each_recipient_once(tmp_path, database):
    """A worker dies (SIGKILL) in the middle of a broadcast; the restarted one finishes it. Each recipient gets
    the alert once: what the dead worker had sent but not recorded is looked up (here in the fake provider's log),
    not resent."""
    import collections
    import contextlib

    from bot.db import Database
    from tests.benchmarks.outbox_faults import kill_mid_queue
    from tests.conftest import fresh_postgres_schema

    with contextlib.ExitStack() as stack:
        url = stack.enter_context(fresh_postgres_schema()) if database == "postgres" else f"sqlite:///{tmp_path}/b.db"
        db = Database(url)
        stack.callback(db.dispose)
        db.upgrade()
        big_directory(db, makers=600)
        who = Audience(to="makers")
        draft, _ = broadcast_service.create(db, TAXONOMY, "Gowns needed this week: who can sew?", who, "cli", PRICE)
        queued = broadcast_service.confirm(db, TAXONOMY, draft.id, "cli")
        assert queued == 600

        report = kill_mid_queue(db, url, tmp_path, queued, kill_after=200, lookup=True)

        assert report.kill_after is not None and 200 <= report.kill_after < queued  # it died mid-broadcast
        assert (report.never_sent, report.sent_twice_or_more, report.sent_once) == (0, 0, queued)
        sends = collections.Counter(int(line) for line in (tmp_path / "sends.log").read_text().split())
        with db.read() as session:
            address_of = dict(
                session.exec(
                    select(OutboundMessage.id, OutboundMessage.address).where(OutboundMessage.broadcast_id == draft.id)
                ).all()
            )
        per_recipient = collections.Counter(address_of[message_id] for message_id in sends.elements())
        assert len(per_recipient) == 600 and set(per_recipient.values()) == {1}
        result = broadcast_service.report(db, draft.id)
        assert result.by_status == {"sent": 600} and result.broadcast.status == "sent"
