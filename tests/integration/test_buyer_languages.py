"""Buyers in their own language: a Telegram user whose app is in Arabic has the whole journey in Arabic — from the
welcome to the rating — and can switch language in /settings."""

from __future__ import annotations

import json
import re

import pytest

from bot.services import makers as maker_service
from tests.conftest import demo_csv
from tests.integration.test_reminders import TAXONOMY, World

ARABIC = re.compile("[\u0600-\u06ff]")
# Written the same in every language: names of languages, ratings, and what the buyer or maker typed.
SAME_EVERYWHERE = {"English", "Español", "1", "2", "3", "4", "5"}


@pytest.fixture
def world(any_db):
    maker_service.import_makers(any_db, demo_csv(), "demo", TAXONOMY)
    return World(any_db)


def _chat(world):
    return world.messages(address="1001")


def _labels(message) -> list[str]:
    return [label for row in json.loads(message.buttons or "[]") for label, _ in row]


def test_an_arabic_buyers_whole_journey_is_in_arabic(world):
    world.buyer(command="start", language_code="ar")
    world.buyer(text="48201")
    world.buyer(text="أحتاج 500 واقي وجه يوم الجمعة")
    world.buyer(callback=f"send:{world.request().id}")
    world.deliver()
    phones = [m.address for m in world.messages("invitation")]
    world.maker(phones[0], "yes 500 at $2 each 5 days")
    world.buyer(callback=f"accept:{world.invitations()[0].id}")
    world.deliver()
    world.advance(days=9)  # past the deadline: did it arrive?
    [ask] = world.messages("buyer_checkin")
    world.buyer(callback=json.loads(ask.buttons)[0][0][1])
    world.buyer(command="requests")
    world.buyer(command="settings")
    world.buyer(command="help")

    said = _chat(world)
    purposes = {m.purpose for m in said}
    assert {"quote", "introduction", "buyer_checkin"} <= purposes and len(said) >= 10
    for message in said:
        assert ARABIC.search(message.text), f"not Arabic: {message.text!r}"
        for label in _labels(message):
            assert label in SAME_EVERYWHERE or ARABIC.search(label), f"an English button: {label!r}"
    texts = [m.text for m in said]
    assert texts[0].startswith("مرحبًا!")
    assert any(t.startswith("أُرسل إلى 3 صنّاع ضمن 50 ميل") for t in texts)  # Arabic's plural for 3-10
    [quote] = [m.text for m in said if m.purpose == "quote"]
    assert "بسعر $2 للقطعة، جاهز خلال 5 أيام" in quote
    assert any("الجمعة، 4 ديسمبر" in t for t in texts)  # the deadline, as Arabic writes dates


def test_the_arabic_plural_forms_follow_the_count(world):
    from bot.locales import catalogue

    t = catalogue("ar")
    sent = [t.BUYER_SENT.format(count=n, radius=50.0, code="K7Q2") for n in (1, 2, 3, 11, 100)]
    assert sent[0].startswith("أُرسل إلى صانع واحد") and sent[1].startswith("أُرسل إلى صانعَين")
    assert sent[2].startswith("أُرسل إلى 3 صنّاع") and sent[3].startswith("أُرسل إلى 11 صانعًا")
    assert sent[4].startswith("أُرسل إلى 100 صانع ")


def test_a_buyer_switches_to_arabic_in_settings_and_back(world):
    world.buyer(command="start", language_code="en")
    world.buyer(text="48201")
    world.buyer(command="settings")
    [settings] = [m for m in _chat(world) if m.text.startswith("Your settings")]
    assert "العربية" in _labels(settings)
    world.buyer(callback="lang:ar")
    world.buyer(command="help")
    assert _chat(world)[-1].text.startswith("اكتب ما تحتاجه بكلماتك")
    world.buyer(callback="lang:en")
    world.buyer(command="help")
    assert _chat(world)[-1].text.startswith("Write what you need in your own words")
