"""What makers can text, end to end through the service: state changes and the replies queued."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.models import Invitation, Maker, MakerCapability, OptOut, OutboundMessage, Request
from bot.segments import count_segments
from bot.services import makers as maker_service
from bot.services import requests as request_service
from bot.services.sms_inbox import handle_sms
from matching.taxonomy import load_taxonomy
from tests.conftest import TODAY, demo_csv

NOW = datetime(2026, 11, 27, 17, 0, tzinfo=UTC)
TAXONOMY = load_taxonomy()
_sids = itertools.count(1)


@pytest.fixture
def db(any_db):
    maker_service.import_makers(any_db, demo_csv(), "demo", TAXONOMY)
    return any_db


def open_request(db, text="need 500 face shields by Friday near 48201", **kw):
    return request_service.open_request(
        db,
        TAXONOMY,
        text,
        radius_miles=kw.pop("radius_miles", 50),
        max_invites=kw.pop("max_invites", 3),
        now=NOW,
        today=TODAY,
        **kw,
    )


def text(db, phone: str, body: str, now=NOW, **kw) -> list[str]:
    """Send one SMS from `phone`; return the replies it queued."""
    sid = f"SM{next(_sids):032x}"
    with db.transaction() as session:
        handle_sms(session, TAXONOMY, phone=phone, text=body, message_id=sid, now=now, **kw)
    with db.read() as session:
        rows = session.exec(
            select(OutboundMessage).where(OutboundMessage.idempotency_key.startswith(f"sms-reply:{sid}:"))
        ).all()
    for row in rows:
        assert row.address == phone and row.lane == "reply"
    return [row.text for row in rows]


def maker(db, phone) -> Maker:
    with db.read() as session:
        return session.exec(select(Maker).where(Maker.phone == phone)).one()


def invitation(db, request: Request, phone: str) -> Invitation:
    with db.read() as session:
        found = session.exec(
            select(Invitation).join(Maker).where(Invitation.request_id == request.id, Maker.phone == phone)
        ).one()
    return found


def set_invitation(db, inv: Invitation, **fields) -> None:
    with db.transaction() as session:
        row = session.get(Invitation, inv.id)
        for key, value in fields.items():
            setattr(row, key, value)


@pytest.fixture
def job(db):
    opened = open_request(db)
    assert opened.invited, "the demo directory has face-shield makers near 48201"
    first = opened.invited[0][1]
    return opened.request, first.phone


def test_the_invitation_says_what_where_when_and_how_to_answer(db, job):
    request, phone = job
    with db.read() as session:
        sms = session.exec(
            select(OutboundMessage).where(OutboundMessage.address == phone, OutboundMessage.purpose == "invitation")
        ).one()
    assert sms.lane == "bulk" and sms.request_id == request.id
    assert f"job {request.code}" in sms.text and f"YES {request.code}" in sms.text and f"NO {request.code}" in sms.text
    assert "500 face shields" in sms.text and "Fri Dec 4" in sms.text and "Detroit 48201" in sms.text
    assert " mi from you" in sms.text
    assert count_segments(sms.text) <= 2
    assert maker(db, phone).invited_count == 1


def test_a_long_foreign_request_still_fits_two_segments(db):
    opened = open_request(db, "necesitamos 200 batas de aislamiento desechables para el hospital en 48201 urgente")
    with db.read() as session:
        texts = session.exec(select(OutboundMessage.text).where(OutboundMessage.purpose == "invitation")).all()
    assert texts and all(count_segments(t) <= 2 for t in texts)
    assert all(f"YES {opened.request.code}" in t for t in texts)


def test_free_text_yes_becomes_a_quote(db, job):
    request, phone = job
    [reply] = text(db, phone, "yes we can do 500 at $2.10 each, ready in 5 days", now=NOW + timedelta(minutes=30))
    inv = invitation(db, request, phone)
    assert (inv.status, inv.quantity_offered, inv.price_cents, inv.lead_time_days) == ("quoted", 500, 210, 5)
    assert request.code in reply and "$2.10 each" in reply and "5 days" in reply
    m = maker(db, phone)
    assert (m.replied_count, m.yes_count, m.median_reply_seconds) == (1, 1, 1800)


@pytest.mark.parametrize("body", ["Y", "Yes!!", "YES", "yes", "si"])
def test_a_bare_yes_answers_the_only_invitation(db, job, body):
    request, phone = job
    [reply] = text(db, phone, body)
    assert invitation(db, request, phone).status == "quoted"
    assert "Tip: add your price" in reply


def test_several_open_invitations_ask_which_then_a_code_settles_it(db, job):
    first, phone = job
    second = open_request(db, "300 face shields near 48201").request
    assert invitation(db, second, phone).status == "invited"
    [question] = text(db, phone, "yes $1.50 each 4 days")
    assert first.code in question and second.code in question
    assert invitation(db, first, phone).status == invitation(db, second, phone).status == "invited"
    [thanks] = text(db, phone, second.code.lower())
    inv = invitation(db, second, phone)
    assert (inv.status, inv.price_cents, inv.lead_time_days) == ("quoted", 150, 4)
    assert invitation(db, first, phone).status == "invited"
    assert second.code in thanks


def test_yes_with_a_code_needs_no_question(db, job):
    first, phone = job
    open_request(db, "300 face shields near 48201")
    [reply] = text(db, phone, f"YES {first.code} $2 7 days")
    inv = invitation(db, first, phone)
    assert (inv.status, inv.price_cents, inv.lead_time_days) == ("quoted", 200, 7)
    assert "$2 each" in reply


def test_no_declines(db, job):
    request, phone = job
    [reply] = text(db, phone, f"no {request.code} sorry, fully booked")
    assert invitation(db, request, phone).status == "declined"
    assert request.code in reply
    assert maker(db, phone).replied_count == 1


def test_an_unknown_code_is_named(db, job):
    _request, phone = job
    [reply] = text(db, phone, "YES Z9Z9")
    assert "no job Z9Z9" in reply


def test_done_and_late_need_an_accepted_order(db, job):
    request, phone = job
    [reply] = text(db, phone, f"DONE {request.code}")
    assert "not accepted" in reply
    inv = invitation(db, request, phone)
    set_invitation(db, inv, status="accepted", accepted_at=NOW)
    [reply] = text(db, phone, "late 3")
    assert invitation(db, request, phone).late_days == 3 and "3 days late" in reply
    [reply] = text(db, phone, "DONE")
    assert invitation(db, request, phone).status == "delivered"
    assert maker(db, phone).delivered_count == 1
    assert "delivered" in reply


def test_my_lists_open_jobs_with_codes(db, job):
    request, phone = job
    [reply] = text(db, phone, "MY")
    assert request.code in reply and "waiting for your answer" in reply


def test_pause_for_two_weeks_then_resume(db, job):
    _request, phone = job
    [reply] = text(db, phone, "PAUSE 2w")
    m = maker(db, phone)
    assert m.status == "paused" and "Dec 11" in reply
    directory_ids = {p.id for p in maker_service.active_directory(db, TAXONOMY, now=NOW).makers}
    assert m.id not in directory_ids
    later = {p.id for p in maker_service.active_directory(db, TAXONOMY, now=NOW + timedelta(days=15)).makers}
    assert m.id in later
    [reply] = text(db, phone, "resume")
    assert maker(db, phone).status == "active" and "Welcome back" in reply


def test_caps_show_add_and_remove(db, job):
    _request, phone = job
    [shown] = text(db, phone, "CAPS")
    assert shown.startswith("You make: 1) ")
    [added] = text(db, phone, "CAPS ADD isolation gowns; widget wrangling")
    assert "isolation gowns" in added and "Kept as written" in added and "widget wrangling" in added
    with db.read() as session:
        caps = session.exec(
            select(MakerCapability).join(Maker).where(Maker.phone == phone).order_by(MakerCapability.position)
        ).all()
    assert caps[-2].phrase == "isolation gowns" and "gown" in caps[-2].concepts.split()
    [removed] = text(db, phone, f"CAPS REMOVE {len(caps)}")
    assert "widget wrangling" in removed
    [missing] = text(db, phone, "caps remove unicorns")
    assert "Nothing to remove" in missing


def test_alerts_off_and_on(db, job):
    _request, phone = job
    text(db, phone, "ALERTS OFF")
    assert maker(db, phone).alerts_opt_out is True
    text(db, phone, "alerts on")
    assert maker(db, phone).alerts_opt_out is False


@pytest.mark.parametrize("keyword", ["STOP", "stopall", "Unsubscribe", "CANCEL", "end", "QUIT"])
def test_stop_words_opt_out_silently_and_start_brings_back(db, job, keyword):
    _request, phone = job
    assert text(db, phone, keyword) == []  # the carrier confirms an opt-out; a reply would be refused anyway
    assert maker(db, phone).status == "stopped"
    with db.read() as session:
        assert session.exec(select(OptOut).where(OptOut.address == phone)).one().reason == keyword.upper()
    [reply] = text(db, phone, "START")
    assert maker(db, phone).status == "active" and "back on makerlink" in reply
    with db.read() as session:
        assert session.exec(select(OptOut).where(OptOut.address == phone)).first() is None


def test_twilio_advanced_opt_out_type_wins(db, job):
    _request, phone = job
    assert text(db, phone, "please stop", opt_out_type="STOP") == []
    assert maker(db, phone).status == "stopped"


def test_help_and_nonsense_get_useful_answers(db, job):
    request, phone = job
    [help_text] = text(db, phone, "HELP")
    assert "YES code" in help_text and "STOP" in help_text and count_segments(help_text) <= 2
    [confused] = text(db, phone, "what is this about??")
    assert f"YES {request.code}" in confused


def test_a_stranger_joins_one_question_at_a_time(db):
    phone = "+13135559876"
    [intro] = text(db, phone, "hello?")
    assert "JOIN" in intro
    assert "business" in text(db, phone, "join")[0]
    assert "ZIP" in text(db, phone, "Eastside Sewing Co-op")[0]
    assert "could not find ZIP" in text(db, phone, "99999")[0]
    assert "What do you make" in text(db, phone, "48207")[0]
    [welcome] = text(db, phone, "cloth masks; isolation gowns; alterations")
    m = maker(db, phone)
    assert (m.name, m.zip, m.status, m.timezone) == ("Eastside Sewing Co-op", "48207", "active", "America/Detroit")
    assert "You're in, Eastside Sewing Co-op" in welcome and "gowns" in welcome
    # …and can be matched straight away.
    opened = open_request(db, "200 isolation gowns near 48207", max_invites=10)
    assert phone in [mk.phone for _inv, mk in opened.invited]


def test_a_closed_request_cannot_be_answered(db, job):
    request, phone = job
    with db.transaction() as session:
        session.get(Request, request.id).status = "cancelled"
    [reply] = text(db, phone, f"YES {request.code}")
    assert "closed" in reply
    assert invitation(db, request, phone).status == "invited"


def test_a_shop_name_with_a_stop_word_is_not_an_opt_out(db):
    phone = "+13135559877"
    text(db, phone, "JOIN")
    assert "ZIP" in text(db, phone, "End Grain Woodworks")[0]
    text(db, phone, "48201")
    text(db, phone, "cutting boards; laser cutting")
    assert maker(db, phone).name == "End Grain Woodworks"


def test_stop_in_a_sentence_is_confirmed_once_despite_the_opt_out(db, job):
    import asyncio

    from bot.outbox import Dispatcher
    from tests.fakes.senders import RecordingSender

    _request, phone = job
    [confirmation] = text(db, phone, "stop sending me these")  # Twilio acts on bare keywords only: we confirm
    assert maker(db, phone).status == "stopped"
    sender = RecordingSender()
    asyncio.run(Dispatcher(db, {"sms": sender}, clock=lambda: NOW).drain())
    assert (
        sender.texts_to(phone)
        == [confirmation]
        == ["You will get no more texts from makerlink. Text START to come back."]
    )
    assert text(db, phone, "STOP") == []  # a bare keyword: Twilio confirms it, we add nothing


def test_sentences_that_start_with_a_stop_word_do_not_opt_out(db, job):
    request, phone = job
    [reply] = text(db, phone, "End of the week works for me")
    assert maker(db, phone).status == "active" and "Sorry" in reply
    [reply] = text(db, phone, f"Cancel {request.code}, we can't make it")
    assert maker(db, phone).status == "active"
    assert invitation(db, request, phone).status == "declined"


def test_a_bare_yes_flagged_as_opt_in_by_twilio_still_answers_the_job(db, job):
    request, phone = job
    [reply] = text(db, phone, "YES", opt_out_type="START")
    assert invitation(db, request, phone).status == "quoted"
    assert "went to the buyer" in reply


def test_ok_thanks_after_a_quote_changes_nothing(db, job):
    request, phone = job
    text(db, phone, "yes 500 at $2.10 each 5 days")
    [reply] = text(db, phone, "ok thanks")
    inv = invitation(db, request, phone)
    assert (inv.price_cents, inv.answer_text) == (210, "yes 500 at $2.10 each 5 days")
    assert "is with the buyer" in reply
    [reply] = text(db, phone, "yes $1.90 each")
    assert invitation(db, request, phone).price_cents == 190


def test_done_by_friday_is_not_a_delivery(db, job):
    request, phone = job
    set_invitation(db, invitation(db, request, phone), status="accepted", accepted_at=NOW)
    text(db, phone, "Done by Friday, don't worry")
    assert invitation(db, request, phone).status == "accepted"


def test_join_takes_a_zip_inside_an_address_and_caps_long_phrases(db):
    phone = "+13135559878"
    text(db, phone, "JOIN")
    text(db, phone, "Long Answer Fabrication")
    assert "What do you make" in text(db, phone, "Detroit, MI 48207.")[0]
    text(db, phone, "x" * 400 + "; face shields")
    m = maker(db, phone)
    assert m.zip == "48207"
    with db.read() as session:
        caps = session.exec(select(MakerCapability).where(MakerCapability.maker_id == m.id)).all()
    assert len(caps) == 2 and all(len(c.phrase) <= maker_service.MAX_CAPABILITY for c in caps)


def test_a_long_item_list_keeps_gsm_and_the_how_to(db):
    opened = open_request(
        db,
        "500 face shields, surgical masks, isolation gowns, nitrile gloves, hand sanitizer, shoe covers, "
        "bouffant caps, safety goggles, thermometers and disinfectant wipes near 48201",
        max_invites=1,
    )
    with db.read() as session:
        [sms] = session.exec(select(OutboundMessage.text).where(OutboundMessage.purpose == "invitation")).all()
    assert count_segments(sms) <= 2 and "…" not in sms
    assert f"YES {opened.request.code}" in sms and f"NO {opened.request.code}" in sms
    assert len(sms) > 200  # cut to fit GSM-7's two segments, not UCS-2's


def test_tomorrow_is_the_buyers_tomorrow(db):
    thursday_evening = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)  # Thu 21:00 in Detroit, already Fri in UTC
    opened = request_service.open_request(
        db,
        TAXONOMY,
        "200 face shields by tomorrow near 48201",
        radius_miles=50,
        max_invites=1,
        now=thursday_evening,
        timezone="America/Detroit",
    )
    assert opened.request.deadline.isoformat() == "2026-11-27"
