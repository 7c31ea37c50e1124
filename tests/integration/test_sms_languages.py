"""Makers in their own language: invitations and replies from the maker's catalogue, keywords of English, Spanish
and Arabic understood whoever writes them, the language set by the CSV, by LANG / IDIOMA / لغة, or by JOIN."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from bot.models import Maker, OutboundMessage
from bot.segments import count_segments, encoding
from bot.services import makers as maker_service
from tests.conftest import demo_csv
from tests.integration.test_reminders import World
from tests.integration.test_sms_inbox import NOW, TAXONOMY, invitation, maker, open_request, text
from tests.integration.test_sms_inbox import db as db

BAKERY = "+13135550165"  # Panadería La Esperanza, language es in the demo directory
AL_NOOR = "+13135550167"  # Al-Noor Bakery, language ar
LATER = NOW + timedelta(minutes=30)


def invitation_text(db, phone):
    with db.read() as session:
        return session.exec(
            select(OutboundMessage.text).where(
                OutboundMessage.address == phone, OutboundMessage.purpose == "invitation"
            )
        ).one()


@pytest.fixture
def conchas(db):
    opened = open_request(db, "need 200 conchas by Friday near 48209", max_invites=5)
    assert BAKERY in {m.phone for _, m in opened.invited}
    return opened.request


def test_a_spanish_speaking_maker_is_invited_in_spanish_and_answers_si_with_price_and_days(db, conchas):
    sms = invitation_text(db, BAKERY)
    assert f"trabajo {conchas.code}" in sms and "vie, 4 dic" in sms
    # "SÍ … días" would make it UCS-2 and 3 segments: spelt plainly, it stays GSM-7 in two.
    assert f"Responda SI {conchas.code} con precio y dias" in sms
    assert encoding(sms) == "GSM-7" and count_segments(sms) <= 2
    [thanks] = text(db, BAKERY, "SÍ 2.50 5 días", now=LATER)
    inv = invitation(db, conchas, BAKERY)
    assert (inv.status, inv.price_cents, inv.lead_time_days) == ("quoted", 250, 5)
    assert thanks.startswith("¡Gracias!") and "$2.50 cada uno" in thanks and "5 días" in thanks


def test_an_arabic_speaking_maker_is_invited_in_arabic_and_answers_with_arabic_digits(db):
    opened = open_request(db, "need 100 baklava near 48126", max_invites=5)
    assert AL_NOOR in {m.phone for _, m in opened.invited}
    sms = invitation_text(db, AL_NOOR)
    assert f"نعم {opened.request.code}" in sms and encoding(sms) == "UCS-2"
    assert count_segments(sms) <= 3 and "..." not in sms  # three UCS-2 segments keep the item whole
    [thanks] = text(db, AL_NOOR, f"نعم {opened.request.code} ٢٫٥٠ للقطعة ٥ أيام", now=LATER)
    inv = invitation(db, opened.request, AL_NOOR)
    assert (inv.status, inv.price_cents, inv.lead_time_days) == ("quoted", 250, 5)
    assert thanks.startswith("شكرًا") and "5 أيام" in thanks


@pytest.mark.parametrize(
    ("body", "kind"),
    [("NO", "declined"), ("لا", "declined"), ("yes $3 each 4 days", "quoted"), ("si 3 dolares 4 dias", "quoted")],
)
def test_every_languages_keywords_work_whatever_the_makers_language(db, conchas, body, kind):
    text(db, BAKERY, body, now=LATER)
    assert invitation(db, conchas, BAKERY).status == kind


def test_help_and_nonsense_answer_in_the_makers_language(db):
    [help_es] = text(db, BAKERY, "AYUDA")
    assert help_es.startswith("makerlink: SÍ código precio días")
    [help_ar] = text(db, AL_NOOR, "مساعدة")
    assert help_ar.startswith("makerlink: نعم/YES")
    [unknown] = text(db, BAKERY, "qué tal")
    assert unknown.startswith("Disculpe")


def test_lang_idioma_and_lugha_change_the_language_of_every_later_text(db):
    [set_en] = text(db, BAKERY, "LANG EN")
    assert set_en.startswith("From now on makerlink texts you in English") and "EN, " in set_en
    assert maker(db, BAKERY).language == "en"
    [help_en] = text(db, BAKERY, "HELP")
    assert help_en.startswith("makerlink: YES code price days")
    [set_ar] = text(db, BAKERY, "لغة عربي")
    assert set_ar.startswith("من الآن يراسلك makerlink بالعربية") and maker(db, BAKERY).language == "ar"
    [set_es] = text(db, BAKERY, "IDIOMA español")
    assert set_es.startswith("Desde ahora makerlink le escribe en español") and maker(db, BAKERY).language == "es"
    [which] = text(db, BAKERY, "IDIOMA klingon")
    assert which.startswith("¿Qué idioma?") and maker(db, BAKERY).language == "es"


def test_a_stranger_writing_spanish_joins_in_spanish_and_is_told_once_how_to_change_it(db):
    phone = "+13135550999"
    [welcome] = text(db, phone, "UNIRSE")
    assert welcome.startswith("¡Bienvenido a makerlink!") and "IDIOMA" in welcome and "EN, " in welcome
    [ask_zip] = text(db, phone, "Panadería Lupita")
    assert ask_zip.startswith("Gracias, Panadería Lupita.") and "IDIOMA" not in ask_zip
    [ask_caps] = text(db, phone, "48209")
    assert ask_caps.startswith("¿Qué hace o fabrica?")
    [joined] = text(db, phone, "pan dulce; conchas")
    assert joined.startswith("¡Ya está dentro, Panadería Lupita")
    assert maker(db, phone).language == "es"


def test_an_arabic_join_and_a_change_of_mind_half_way(db):
    phone = "+13135550998"
    [welcome] = text(db, phone, "انضمام")
    assert welcome.startswith("أهلًا بك في makerlink")
    [switched] = text(db, phone, "LANG EN")
    assert switched.startswith("From now on makerlink texts you in English")
    [ask_zip] = text(db, phone, "Al-Salam Sweets")
    assert ask_zip == "Thanks, Al-Salam Sweets. What is your 5-digit ZIP code?"
    text(db, phone, "48126")
    text(db, phone, "baklava; pastries")
    assert maker(db, phone).language == "en"


def test_an_english_join_stays_english_without_a_language_note(db):
    [welcome] = text(db, "+13135550997", "JOIN")
    assert welcome == "Welcome to makerlink! What is your business or shop name?"


def test_spanish_and_arabic_stop_words_opt_out_and_are_confirmed_since_twilio_does_not_know_them(db):
    [parar] = text(db, BAKERY, "PARAR")
    assert parar == "No le enviaremos más mensajes de makerlink. Escriba START para volver."
    [iqaf] = text(db, AL_NOOR, "إيقاف")
    assert iqaf.startswith("لن تصلك رسائل أخرى من makerlink")
    assert maker(db, BAKERY).status == maker(db, AL_NOOR).status == "stopped"
    assert text(db, BAKERY, "STOP") == []  # Twilio's own keyword: Twilio confirms it


def test_follow_ups_introductions_and_check_ins_are_in_the_makers_language(any_db):
    world = World(any_db)
    maker_service.import_makers(any_db, demo_csv(), "demo", TAXONOMY)
    world.buyer(command="start")
    world.buyer(text="48209")
    world.buyer(text="need 200 conchas by Friday")
    world.buyer(callback=f"send:{world.request().id}")
    world.deliver()
    assert BAKERY in [m.address for m in world.messages("invitation")]
    world.advance(hours=4, minutes=1)
    [nudge] = world.messages("nudge", address=BAKERY)
    assert nudge.text.startswith("Recordatorio de makerlink")
    world.maker(BAKERY, "SÍ 2.50 c/u 5 días")
    [bakery] = [i for i in world.invitations() if i.price_cents == 250]
    world.buyer(callback=f"accept:{bakery.id}")
    [intro] = world.messages("introduction", address=BAKERY)
    assert (
        intro.text.startswith(f"makerlink: ¡el trabajo {world.request().code} es suyo!")
        and "$2.50 cada uno" in intro.text
    )
    world.deliver()
    world.advance(days=5, hours=6)
    [checkin] = world.messages("checkin", address=BAKERY)
    assert "4 dic" in checkin.text and f"ENTREGADO {world.request().code}" in checkin.text


def test_the_csv_language_column_is_the_makers_language(db):
    with db.read() as session:
        languages = {m.phone: m.language for m in session.exec(select(Maker)).all()}
    assert languages[BAKERY] == "es" and languages[AL_NOOR] == "ar"


def test_a_maker_listed_in_english_who_writes_spanish_is_told_in_spanish_how_to_switch(db):
    phone = "+13135550101"  # listed without a language: English
    [answer] = text(db, phone, "hola, no entiendo qué tengo que hacer")
    assert answer.startswith("Sorry, I did not understand.")
    assert answer.endswith("Para recibir los mensajes de makerlink en español, responda IDIOMA ES.")
    [switched] = text(db, phone, "IDIOMA ES")
    assert switched.startswith("Desde ahora") and maker(db, phone).language == "es"
