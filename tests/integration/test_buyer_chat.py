"""The buyer's journey through the chat service, channel-agnostic: what is stored, and what is queued to whom."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from bot.models import Buyer, Invitation, Maker, OutboundMessage, Request
from bot.services import makers as maker_service
from bot.services.buyers import ChatConfig, ChatEvent, handle_chat
from bot.services.sms_inbox import handle_sms
from matching.taxonomy import load_taxonomy
from tests.conftest import demo_csv

NOW = datetime(2026, 11, 27, 17, 0, tzinfo=UTC)  # Friday noon in Detroit
TAXONOMY = load_taxonomy()
CONFIG = ChatConfig(max_invites=3, radius_miles=50, admin_ids=(999,))
_ids = itertools.count(1)


@pytest.fixture
def db(any_db):
    maker_service.import_makers(any_db, demo_csv(), "demo", TAXONOMY)
    return any_db


@pytest.fixture
def directory(db):
    cache = maker_service.DirectoryCache(db, TAXONOMY)
    return lambda: cache.get(NOW)


class Buyer_:
    """One buyer in a private chat; each call is one event, returning what the bot queued for this chat."""

    def __init__(self, db, directory, user_id=1001, username="dana_hospital", first_name="Dana"):
        self.db, self.directory = db, directory
        self.user_id, self.username, self.first_name = user_id, username, first_name
        self.toast = None
        self.language_code = "en"

    def _event(self, **kw):
        event = ChatEvent(
            channel="telegram",
            event_id=str(next(_ids)),
            user_id=self.user_id,
            chat_id=self.user_id,
            first_name=self.first_name,
            username=self.username,
            language_code=self.language_code,
            **kw,
        )
        with self.db.transaction() as session:
            answer = handle_chat(session, TAXONOMY, self.directory, CONFIG, event, NOW)
        self.toast = answer.toast
        with self.db.read() as session:
            rows = session.exec(
                select(OutboundMessage)
                .where(OutboundMessage.idempotency_key.startswith(f"telegram:{event.event_id}:"))
                .order_by(OutboundMessage.id)
            ).all()
        assert all(r.address == str(self.user_id) for r in rows)
        return [(r.text, json.loads(r.buttons) if r.buttons else None) for r in rows]

    def send(self, text):
        return self._event(text=text)

    def command(self, name):
        return self._event(command=name)

    def press(self, data):
        return self._event(callback=data)

    def location(self, lat, lon):
        return self._event(location=(lat, lon))

    def contact(self, phone):
        return self._event(contact_phone=phone)


def button(messages, label_start):
    for _text, buttons in messages:
        for row in buttons or []:
            for label, data in row:
                if label.startswith(label_start):
                    return data
    raise AssertionError(f"no button starting {label_start!r} in {messages}")


def requests_of(db, user_id=1001):
    with db.read() as session:
        return session.exec(
            select(Request).join(Buyer).where(Buyer.telegram_user_id == user_id).order_by(Request.id)
        ).all()


def sms_to(db, purpose=None):
    with db.read() as session:
        query = select(OutboundMessage).where(OutboundMessage.channel == "sms")
        if purpose:
            query = query.where(OutboundMessage.purpose == purpose)
        return session.exec(query.order_by(OutboundMessage.id)).all()


def maker_says(db, phone, text):
    with db.transaction() as session:
        handle_sms(session, TAXONOMY, phone=phone, text=text, message_id=f"SM{next(_ids):032x}", now=NOW)


def buyer_messages(db, user_id=1001, purpose=None):
    with db.read() as session:
        query = select(OutboundMessage).where(OutboundMessage.address == str(user_id))
        if purpose:
            query = query.where(OutboundMessage.purpose == purpose)
        return session.exec(query.order_by(OutboundMessage.id)).all()


@pytest.fixture
def dana(db, directory):
    return Buyer_(db, directory)


def test_start_asks_for_a_zip_with_a_location_button(dana, db):
    [(text, buttons)] = dana.command("start")
    assert "local makers" in text and "ZIP" in text
    assert buttons == [[["📍 Share my location", "@location"]]]
    [(text, _)] = dana.send("48201")
    assert "48201" in text and "Detroit" in text
    [(text, _)] = dana.command("start")
    assert "Welcome back" in text


def test_a_shared_location_becomes_the_nearest_zip(dana, db):
    dana.command("start")
    [(text, _)] = dana.location(42.3314, -83.0458)
    assert "Detroit" in text
    with db.read() as session:
        assert session.exec(select(Buyer)).one().zip.startswith("482")


def sent_request(dana, text="need 500 face shields by Friday"):
    dana.command("start")
    dana.send("48201")
    [(summary, buttons)] = dana.send(text)
    assert "Here is what I understood" in summary
    [(sent, _)] = dana.press(button([(summary, buttons)], "✅"))
    deliver_sms(dana.db)
    return sent


def deliver_sms(db) -> None:
    """The dispatcher sends what is queued for makers (here: through a recording sender, at noon)."""
    import asyncio

    from bot.outbox import Dispatcher
    from tests.fakes.senders import RecordingSender

    asyncio.run(Dispatcher(db, {"sms": RecordingSender()}, clock=lambda: NOW).drain())


def test_a_request_is_summarised_then_sent_to_the_best_makers(dana, db):
    dana.command("start")
    dana.send("48201")
    messages = dana.send("need 500 face shields by Friday")
    [(summary, buttons)] = messages
    assert "face shields" in summary and "500" in summary and "Fri Dec 4" in summary and "48201" in summary
    assert [label for row in buttons for label, _ in row] == [
        "✅ Send to makers",
        "✏️ Change…",
        "✖️ Cancel",
        "🌱 Prefer greener / local label…",
    ]
    [(sent, _)] = dana.press(button(messages, "✅"))
    assert "Sent to 3 makers within 50 miles" in sent
    [request] = requests_of(db)
    assert request.status == "open" and request.code in sent
    invitations = sms_to(db, "invitation")
    assert len(invitations) == 3 and all(request.code in m.text for m in invitations)
    assert all("Dana" not in m.text and "dana_hospital" not in m.text for m in invitations)  # no buyer identity
    # The same button again changes nothing.
    assert dana.press(button(messages, "✅")) == [] and dana.toast == "This request was already sent."
    assert len(sms_to(db, "invitation")) == 3


def test_missing_pieces_are_asked_one_at_a_time(dana, db):
    [(ask_place, buttons)] = dana.send("200 isolation gowns")
    assert "Where" in ask_place and buttons == [[["📍 Share my location", "@location"]]]
    [(summary, _)] = dana.send("Dearborn, MI")
    assert "200" in summary and "gowns" in summary and "Dearborn" in summary
    [(ask_quantity, buttons)] = dana.send("face shields near 48201")
    assert "How many face shields" in ask_quantity and buttons[0][0][0] == "Not sure"
    [(summary, _)] = dana.send("not sure")
    assert "not sure yet" in summary


def test_text_the_parser_cannot_use_gets_an_example(dana):
    [(text, _)] = dana.send("hello, is anyone there?")
    assert "need 200 wooden pallets by Friday near 48201" in text


def test_change_the_quantity_before_sending(dana, db):
    dana.command("start")
    dana.send("48201")
    messages = dana.send("500 face shields")
    choices = dana.press(button(messages, "✏️"))
    prompt = dana.press(button(choices, "How many"))
    assert "How many" in prompt[0][0]
    [(summary, _)] = dana.send("300")
    assert "• How many: 300" in summary
    assert requests_of(db)[0].quantity == 300


def test_a_maker_quote_reaches_the_buyer_without_name_or_phone(dana, db):
    sent_request(dana)
    first = sms_to(db, "invitation")[0]
    maker_says(db, first.address, "yes we can do 500 at $2.10 each, ready in 5 days")
    [quote] = buyer_messages(db, purpose="quote")
    assert quote.text.startswith("Maker 1 — ") and "can make 500 at $2.10 each, ready in 5 days" in quote.text
    with db.read() as session:
        maker = session.exec(select(Maker).where(Maker.phone == first.address)).one()
    assert maker.name not in quote.text and maker.phone not in quote.text
    assert [label for label, _ in json.loads(quote.buttons)[0]] == ["Accept", "Decline"]


def test_accept_introduces_both_sides_and_closes_the_others(dana, db):
    sent_request(dana)
    invitations = sms_to(db, "invitation")
    maker_says(db, invitations[0].address, "yes 500 at $2.10 each 5 days")
    maker_says(db, invitations[1].address, "yes $1.90 each 10 days")
    quotes = buyer_messages(db, purpose="quote")
    accept = json.loads(quotes[0].buttons)[0][0][1]
    dana.press(accept)
    assert dana.toast.startswith("Accepted")
    [intro] = buyer_messages(db, purpose="introduction")
    with db.read() as session:
        maker = session.exec(select(Maker).where(Maker.phone == invitations[0].address)).one()
    assert maker.name in intro.text and maker.phone in intro.text and "$2.10 each" in intro.text
    [maker_intro] = sms_to(db, "introduction")
    assert maker_intro.address == maker.phone and "@dana_hospital" in maker_intro.text and "Dana" in maker_intro.text
    assert requests_of(db)[0].status == "matched"
    filled = {m.address: m.text for m in sms_to(db, "filled")}
    assert set(filled) == {invitations[1].address, invitations[2].address}
    code = requests_of(db)[0].code
    # The maker who quoted is thanked for answering; the one who never answered is told not to.
    assert (
        filled[invitations[1].address]
        == f"makerlink: job {code} has been filled by other makers. Thank you for answering!"
    )
    assert (
        filled[invitations[2].address]
        == f"makerlink: job {code} is no longer needed: it has been filled. No need to answer."
    )
    # The other quote's Accept is now stale.
    assert dana.press(json.loads(quotes[1].buttons)[0][0][1]) == []
    assert dana.toast == "That answer is no longer open; nothing changed."


@pytest.mark.parametrize(
    ("language", "late", "delivered", "rate", "rank"),
    [
        (
            "en",
            "{name} says order {code} is running late (3 days).",
            "{name} says your order {code} is delivered.",
            "Great! How was {name}? 1 = poor, 5 = excellent.",
            "Maker 1",
        ),
        (
            "es",
            "{name} dice que el pedido {code} viene con retraso (3 días).",
            "{name} dice que su pedido {code} fue entregado.",
            "¡Excelente! ¿Qué tal {name}? 1 = malo, 5 = excelente.",
            "abricante 1",
        ),
    ],
    ids=["en", "es"],
)
def test_after_the_introduction_the_buyer_reads_the_makers_name(dana, db, language, late, delivered, rate, rank):
    dana.language_code = language
    dana.command("start")
    dana.send("48201")
    dana.press(button(dana.send("500 face shields" if language == "en" else "500 caretas"), "✅"))
    deliver_sms(db)
    phone = sms_to(db, "invitation")[0].address
    maker_says(db, phone, "yes 500 at $2 each 4 days")
    [quote] = buyer_messages(db, purpose="quote")
    dana.press(json.loads(quote.buttons)[0][0][1])
    name, code = maker_named(db, phone), requests_of(db)[0].code
    maker_says(db, phone, f"LATE {code} 3")
    maker_says(db, phone, f"DONE {code}")
    [told_late] = buyer_messages(db, purpose="late")
    [told_delivered] = buyer_messages(db, purpose="delivered")
    assert told_late.text == late.format(name=name, code=code)
    assert told_delivered.text == delivered.format(name=name, code=code)
    [(rating, _buttons)] = dana.press(f"arrived:{json.loads(quote.buttons)[0][0][1].split(':')[1]}")
    assert rating == rate.format(name=name)
    assert all(rank not in m.text for m in (told_late, told_delivered)) and rank not in rating


def maker_named(db, phone):
    with db.read() as session:
        return session.exec(select(Maker).where(Maker.phone == phone)).one().name


def test_a_buyer_without_username_shares_a_phone_first(db, directory):
    sam = Buyer_(db, directory, user_id=2002, username=None, first_name="Sam")
    sent_request(sam)
    phone = sms_to(db, "invitation")[0].address
    maker_says(db, phone, "yes 500 $2 each 3 days")
    [quote] = buyer_messages(db, 2002, "quote")
    [(ask, buttons)] = sam.press(json.loads(quote.buttons)[0][0][1])
    assert "phone number" in ask and buttons == [[["📱 Share my phone number", "@contact"]]]
    assert sms_to(db, "introduction") == []
    sam.contact("+1 313 555 0177")
    [maker_intro] = sms_to(db, "introduction")
    assert "+13135550177" in maker_intro.text


def test_a_partial_quantity_keeps_the_rest_open(dana, db):
    sent_request(dana)
    invitations = sms_to(db, "invitation")
    maker_says(db, invitations[0].address, "yes we can do 300 at $2 each")
    maker_says(db, invitations[1].address, "yes 400 at $2.50 each")
    quotes = buyer_messages(db, purpose="quote")
    dana.press(json.loads(quotes[0].buttons)[0][0][1])
    assert any("300 of 500 committed" in m.text for m in buyer_messages(db))
    assert requests_of(db)[0].status == "open"
    dana.press(json.loads(quotes[1].buttons)[0][0][1])
    request = requests_of(db)[0]
    assert (request.status, request.quantity_committed) == ("matched", 500)
    with db.read() as session:
        second = session.get(Invitation, int(json.loads(quotes[1].buttons)[0][0][1].split(":")[1]))
    assert second.quantity_offered == 200  # only what was still needed


def test_buttons_act_only_on_the_pressers_own_request(dana, db, directory):
    sent_request(dana)
    maker_says(db, sms_to(db, "invitation")[0].address, "yes 500 $2 each")
    [quote] = buyer_messages(db, purpose="quote")
    mallory = Buyer_(db, directory, user_id=3003, username="mallory")
    accept = json.loads(quote.buttons)[0][0][1]
    assert mallory.press(accept) == [] and mallory.toast == "That button belongs to someone else's request."
    assert mallory.press(f"cancel:{requests_of(db)[0].id}") == []
    assert requests_of(db)[0].status == "open" and sms_to(db, "introduction") == []
    assert mallory.press("garbage:") == [] and mallory.press("accept:notanumber") == []


def test_every_no_is_summarised_once(dana, db):
    sent_request(dana)
    for message in sms_to(db, "invitation"):
        maker_says(db, message.address, "no sorry")
    [summary] = buyer_messages(db, purpose="all_declined")
    assert "None of the 3 makers" in summary.text
    assert [row[0][0] for row in json.loads(summary.buttons)] == ["Widen to 100 miles", "Tell the organisers"]


def test_nobody_near_is_said_honestly_and_can_be_widened_or_escalated(dana, db):
    dana.command("start")
    dana.send("99501")  # Anchorage: no demo maker within 50 or 100 miles
    messages = dana.send("500 face shields")
    [(nobody, buttons)] = dana.press(button(messages, "✅"))
    assert "no maker" in nobody and "within 50 miles of 99501" in nobody
    [(still, buttons)] = dana.press(button([(nobody, buttons)], "Widen"))
    assert "within 100 miles" in still
    dana.press(button([(still, buttons)], "Tell the organisers"))
    [alert] = buyer_messages(db, user_id=999)
    assert "found no maker" in alert.text and "@dana_hospital" in alert.text
    assert requests_of(db)[0].escalated_at is not None


def test_cancel_tells_the_makers(dana, db):
    sent_request(dana)
    invitations = sms_to(db, "invitation")
    maker_says(db, invitations[0].address, "yes 500 at $2 each")
    [(_question, buttons)] = dana.command("cancel")
    [(done, _)] = dana.press(buttons[0][0][1])
    assert "cancelled" in done
    assert requests_of(db)[0].status == "cancelled"
    told = {m.address: m.text for m in sms_to(db, "cancelled")}
    assert set(told) == {m.address for m in invitations}
    code = requests_of(db)[0].code
    assert (
        told[invitations[0].address]
        == f"makerlink: the buyer cancelled job {code}. Sorry for the trouble, and thank you."
    )
    for silent in invitations[1:]:  # never answered: nothing to thank them for, and no answer needed now
        assert (
            told[silent.address]
            == f"makerlink: job {code} is no longer needed: the buyer cancelled it. No need to answer."
        )


def test_requests_lists_status_and_answers(dana, db):
    sent_request(dana)
    maker_says(db, sms_to(db, "invitation")[0].address, "yes 500 $2 each")
    maker_says(db, sms_to(db, "invitation")[1].address, "no")
    [(listing, _)] = dana.command("requests")
    code = requests_of(db)[0].code
    assert code in listing and "open" in listing and "Maker 1" in listing and "1 said no, 1 not answered yet" in listing


def test_settings_change_radius_and_language(dana, db):
    [(settings_text, _buttons)] = dana.command("settings")
    assert "Search radius: 50 miles" in settings_text
    dana.press("radius:25")
    dana.press("lang:es")
    with db.read() as session:
        buyer = session.exec(select(Buyer)).one()
    assert (buyer.radius_miles, buyer.language) == (25.0, "es")
    assert dana.press("radius:7") == [] and dana.toast == "Ese botón está desactualizado; no cambió nada."
    [(text, _)] = dana.send("500 face shields near 48201")
    assert text.startswith("Esto es lo que entendí")


def test_a_spanish_telegram_gets_spanish_and_makers_still_get_english(db, directory):
    ana = Buyer_(db, directory, user_id=5005, username="ana_clinica", first_name="Ana")
    ana.language_code = "es-MX"
    [(welcome, buttons)] = ana.command("start")
    assert welcome.startswith("¡Hola!") and buttons == [[["📍 Compartir mi ubicación", "@location"]]]
    ana.send("48201")
    messages = ana.send("necesito 500 caretas para el viernes")
    [(summary, _)] = messages
    assert "• Cuántos: 500" in summary
    [(sent, _)] = ana.press(button(messages, "✅"))
    assert sent.startswith("Enviado a 3 fabricantes")
    invitation = sms_to(db, "invitation")[0]
    assert invitation.text.startswith("makerlink job") and "face shields" in invitation.text
    maker_says(db, invitation.address, "yes 500 at $2 each 4 days")
    [quote] = buyer_messages(db, 5005, "quote")
    assert quote.text.startswith("Fabricante 1") and "puede hacer 500 a $2 cada uno, listo en 4 días" in quote.text


def test_a_nul_where_the_zip_is_asked_gets_the_usual_answer(dana):
    dana.command("start")
    [(text, _)] = dana.send("48\x0001")  # PostgreSQL cannot store a NUL in the reply that quotes the text
    assert "\x00" not in text


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=400))
def test_no_text_makes_the_chat_raise(dana, text):
    dana.send(text)


def test_cancelling_at_night_withdraws_invitations_still_held_by_quiet_hours(dana, db):
    import asyncio

    from bot.outbox import ChannelPolicy, Dispatcher, parse_quiet_hours
    from tests.fakes.senders import RecordingSender

    dana.command("start")
    dana.send("48201")
    dana.press(button(dana.send("need 500 face shields by Friday"), "✅"))
    night = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)  # 22:00 in Detroit
    sender = RecordingSender()
    policy = ChannelPolicy(quiet_hours=parse_quiet_hours("21:00-08:00"))
    asyncio.run(Dispatcher(db, {"sms": sender}, {"sms": policy}, clock=lambda: night).drain())
    assert sender.sent == []  # invitations are bulk: held until morning
    [(_question, buttons)] = dana.command("cancel")
    dana.press(buttons[0][0][1])
    assert sms_to(db, "cancelled") == []  # nobody is told about a job they never heard of
    assert {m.status for m in sms_to(db, "invitation")} == {"cancelled"}
    morning = datetime(2026, 11, 28, 14, 0, tzinfo=UTC)
    asyncio.run(Dispatcher(db, {"sms": sender}, {"sms": policy}, clock=lambda: morning).drain())
    assert sender.sent == []


def test_the_quantity_question_is_asked_again_for_the_next_request(dana):
    dana.command("start")
    dana.send("48201")
    [(ask, _)] = dana.send("face shields")
    assert "How many" in ask
    dana.send("500")
    [(ask, _)] = dana.send("isolation gowns")
    assert "How many" in ask


def test_a_new_request_typed_during_a_question_is_not_lost(dana, db):
    dana.command("start")
    [(summary, _)] = dana.send("need 500 face shields by Friday near 48201")  # instead of just a ZIP
    assert "Here is what I understood" in summary and "48201" in summary
    [(ask, _)] = dana.send("face shields")
    assert "How many" in ask
    [(summary, _)] = dana.send("actually I need 200 isolation gowns by Monday")
    assert "gowns" in summary and "200" in summary and "Mon Nov 30" in summary
    [(ask, _)] = dana.send("face shields")
    [(summary, _)] = dana.send("500 face shields")  # the answer to "how many face shields?"
    assert "• How many: 500" in summary


def test_a_typed_phone_number_works_when_the_contact_is_asked(db, directory):
    sam = Buyer_(db, directory, user_id=2003, username=None, first_name="Sam")
    sent_request(sam)
    maker_says(db, sms_to(db, "invitation")[0].address, "yes 500 $2 each 3 days")
    [quote] = buyer_messages(db, 2003, "quote")
    sam.press(json.loads(quote.buttons)[0][0][1])
    [(again, _)] = sam.send("hmm why?")
    assert "/cancel" in again
    sam.send("(313) 555-0178")
    [maker_intro] = sms_to(db, "introduction")
    assert "+13135550178" in maker_intro.text


def test_a_total_price_is_scaled_to_the_part_still_needed(dana, db):
    sent_request(dana)
    invitations = sms_to(db, "invitation")
    maker_says(db, invitations[0].address, "yes 300 at $2 each")
    maker_says(db, invitations[1].address, "yes we can do 400 for $800 total")
    quotes = buyer_messages(db, purpose="quote")
    dana.press(json.loads(quotes[0].buttons)[0][0][1])
    dana.press(json.loads(quotes[1].buttons)[0][0][1])
    intro = next(m for m in sms_to(db, "introduction") if m.address == invitations[1].address)
    assert "200" in intro.text and "for $400 in all" in intro.text


def test_the_buyer_hears_when_nobody_is_left_for_the_rest(dana, db):
    sent_request(dana)
    invitations = sms_to(db, "invitation")
    maker_says(db, invitations[0].address, "yes 300 at $2 each")
    dana.press(json.loads(buyer_messages(db, purpose="quote")[0].buttons)[0][0][1])
    maker_says(db, invitations[1].address, "no")
    maker_says(db, invitations[2].address, "no")
    [rest] = buyer_messages(db, purpose="all_declined")
    assert "300 of 500 committed" in rest.text and "Widen" in rest.buttons


def test_old_buttons_and_unknown_zips_do_not_change_drafts_silently(dana, db):
    dana.command("start")
    dana.send("48201")
    [(_ask, buttons)] = dana.send("face shields")
    unsure = buttons[0][0][1]
    dana.send("500")
    assert dana.press(unsure) == [] and dana.toast == "That button is out of date; nothing changed."
    assert requests_of(db)[-1].quantity == 500
    [(ask_place, _)] = dana.send("500 face shields near 99999")
    assert "Where" in ask_place  # not quietly searched around the home ZIP
    [(dropped, _)] = dana.command("cancel")
    assert "dropped" in dropped and requests_of(db)[-1].status == "cancelled"


def test_a_location_shared_mid_draft_places_the_draft(dana, db):
    dana.command("start")
    dana.send("48201")
    dana.send("500 face shields")
    [(summary, _)] = dana.location(42.2808, -83.7430)  # Ann Arbor
    assert "Ann Arbor" in summary and "Here is what I understood" in summary


def test_a_new_buyers_first_two_updates_at_once_make_one_buyer(postgres_db):
    import threading

    maker_service.import_makers(postgres_db, demo_csv(), "demo", TAXONOMY)
    cache = maker_service.DirectoryCache(postgres_db, TAXONOMY)
    barrier = threading.Barrier(2)
    errors = []

    def one(event_id, **kw):
        event = ChatEvent(channel="telegram", event_id=event_id, user_id=7007, chat_id=7007, first_name="Lee", **kw)
        try:
            barrier.wait()
            with postgres_db.transaction() as session:
                handle_chat(session, TAXONOMY, lambda: cache.get(NOW), CONFIG, event, NOW)
        except Exception as error:  # pragma: no cover - the assertion below reports it
            errors.append(error)

    threads = [
        threading.Thread(target=one, args=("a",), kwargs={"command": "start"}),
        threading.Thread(target=one, args=("b",), kwargs={"text": "need 500 face shields near 48201"}),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with postgres_db.read() as session:
        assert len(session.exec(select(Buyer).where(Buyer.telegram_user_id == 7007)).all()) == 1
