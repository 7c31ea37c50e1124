"""Makers' SMS replies, one table per kind of message. Reference day: Friday 27 November 2026."""

from __future__ import annotations

import dataclasses
import random
import time
from datetime import date

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.services.replies import (
    CODE_DIGITS,
    CODE_LETTERS,
    CODE_PATTERN,
    KINDS,
    MAX_DAYS,
    MAX_PRICE_CENTS,
    MAX_TOTAL_CENTS,
    Reply,
    new_code,
    parse_reply,
)
from matching.quantities import MAX_QUANTITY

TODAY = date(2026, 11, 27)  # a Friday
# A guard against runaway regular expressions (backtracking that grows with the square or worse of the length), not a
# speed goal: one message of up to 5,000 characters takes milliseconds to half a second, and a busy machine may take
# several times that. Speed is measured in tests/benchmarks.
TIME_LIMIT = 5.0


def _fields(text: str) -> dict[str, object]:
    """The reply's fields that differ from their defaults (always the kind), without the echoed text."""
    reply = parse_reply(text, TODAY)
    return {
        field.name: getattr(reply, field.name)
        for field in dataclasses.fields(reply)
        if field.name == "kind" or (field.name != "text" and getattr(reply, field.name) != field.default)
    }


def _check(table):
    return pytest.mark.parametrize(("text", "expected"), table, ids=[row[0][:40] or "<empty>" for row in table])


YES = [
    # the examples of the brief
    ("yes we can do 500 at $2.10 each, ready in 5 days", {"quantity": 500, "price_cents": 210, "lead_time_days": 5}),
    ("YES K7Q2 $1.50 7 days", {"code": "K7Q2", "price_cents": 150, "lead_time_days": 7}),
    ("Y", {}),
    ("yes 300", {"quantity": 300}),
    ("yes K7Q2 300 @ 1.25 ready by friday", {"code": "K7Q2", "quantity": 300, "price_cents": 125, "lead_time_days": 7}),
    # synonyms and punctuation around the first word
    ("Yes!!", {}),
    ("YES.", {}),
    ("yes, 200", {"quantity": 200}),
    ("yeah 200", {"quantity": 200}),
    ("yep", {}),
    ("yup k7q2", {"code": "K7Q2"}),
    ("ya", {}),
    ("Sure, 50", {"quantity": 50}),
    ("ok", {}),
    ("Okay!", {}),
    ("oui 200", {"quantity": 200}),
    ("si", {}),
    ("Sí, 500 para el viernes", {"quantity": 500, "lead_time_days": 7}),
    ("si, dos mil", {"quantity": 2000}),
    ("yesss 200", {"quantity": 200}),
    ("👍 yes", {}),
    ("yep 👍 500", {"quantity": 500}),
    ("ＹＥＳ ５００", {"quantity": 500}),  # full-width, as some keyboards type
    ("YES ٥٠٠", {"quantity": 500}),  # Arabic-Indic digits
    ("No problem, 500 by Friday", {"quantity": 500, "lead_time_days": 7}),
    # codes in various places and cases
    ("yes k7q2 500", {"code": "K7Q2", "quantity": 500}),
    ("yes 500 (K7Q2)", {"code": "K7Q2", "quantity": 500}),
    ("yes, #K7Q2 500", {"code": "K7Q2", "quantity": 500}),
    ("yes 1000 $1.2 each 5 days K7Q2", {"code": "K7Q2", "quantity": 1000, "price_cents": 120, "lead_time_days": 5}),
    ("yes M4X9P7 250", {"code": "M4X9P7", "quantity": 250}),
    ("K7Q2 yes 500", {"code": "K7Q2", "quantity": 500}),
    ("yes A1B2 500", {"quantity": 500}),  # 1 is not a code digit: not a code, and its digits are no quantity
    # quantities
    ("yes 5k", {"quantity": 5000}),
    ("yes 2.5k", {"quantity": 2500}),
    ("yes 1,000", {"quantity": 1000}),
    ("yes all 500", {"quantity": 500}),
    ("yes do 500", {"quantity": 500}),
    ("yes two hundred", {"quantity": 200}),
    ("yes 500 in stock", {"quantity": 500}),
    ("yes 500 w/ logo", {"quantity": 500}),
    ("yes 500 each week", {"quantity": 500}),
    ("yes 500 per day", {"quantity": 500}),
    ("yes, one question", {}),
    ("yes call 313-555-0142 for 400", {"quantity": 400}),
    ("yes 12x18 signs, 100", {"quantity": 100}),
    ("yes 50% deposit, 500 units", {"quantity": 500}),
    ("yes 500 ready 10am tomorrow", {"quantity": 500, "lead_time_days": 1}),
    # model numbers are neither codes nor quantities nor prices
    ("yes we make N95 masks, 500 available", {"quantity": 500}),
    ("yes KN95 500", {"quantity": 500}),
    ("yes FFP2 300", {"quantity": 300}),
    ("yes 300 3-ply, level 3", {"quantity": 300}),
    ("yes N95", {}),
    # prices per unit
    ("yes 2.10/ea", {"price_cents": 210}),
    ("yes $2 per unit", {"price_cents": 200}),
    ("yes @ $1.5", {"price_cents": 150}),
    ("yes $0.85", {"price_cents": 85}),
    ("yes 2.10", {"price_cents": 210}),
    ("yes 2 each", {"price_cents": 200}),
    ("yes 500 at 2 each", {"quantity": 500, "price_cents": 200}),
    ("yes 500 @ 2", {"quantity": 500, "price_cents": 200}),
    ("yes 4 dollars a piece", {"price_cents": 400}),
    ("yes $3 apiece", {"price_cents": 300}),
    ("yes 1.75 usd /unit", {"price_cents": 175}),
    ("yes 85 cents each", {"price_cents": 85}),
    ("yes $2.105 each", {"price_cents": 211}),  # rounded to the nearest cent
    ("yes 1,000 @ $0.95", {"quantity": 1000, "price_cents": 95}),
    ("yes we can do them for $2", {"price_cents": 200}),
    ("yes 200 @ 3.50 for 0.5 mm acrylic", {"quantity": 200, "price_cents": 350}),
    ("yes $99999999 each", {}),  # over $1,000,000 a unit: noise
    # totals
    ("yes $500 total", {"total_cents": 50000}),
    ("yes 1000 dollars for all", {"total_cents": 100000}),
    ("yes $1,050 for the lot", {"total_cents": 105000}),
    ("yes total: $1,000.50", {"total_cents": 100050}),
    ("yes $5k total", {"total_cents": 500000}),
    ("yes, we can do 500 for $1000", {"quantity": 500, "total_cents": 100000}),
    ("yes 500 @ 2 = $1000", {"quantity": 500, "price_cents": 200, "total_cents": 100000}),
    # lead times
    ("yes 500 5d", {"quantity": 500, "lead_time_days": 5}),
    ("yes 500 2w", {"quantity": 500, "lead_time_days": 14}),
    ("yes 500 in 2 weeks", {"quantity": 500, "lead_time_days": 14}),
    ("yes 500 within a week", {"quantity": 500, "lead_time_days": 7}),
    ("yes 3 wks", {"lead_time_days": 21}),
    ("yes tomorrow", {"lead_time_days": 1}),
    ("yes today", {"lead_time_days": 0}),
    ("yes 1,000 by Dec 10", {"quantity": 1000, "lead_time_days": 13}),
    ("yes 500 by the 15th", {"quantity": 500, "lead_time_days": 18}),
    ("okay, 200 by next week", {"quantity": 200, "lead_time_days": 7}),
    ("ok 200 @ $3 ready 12/10", {"quantity": 200, "price_cents": 300, "lead_time_days": 13}),
    ("yes 5 business days", {"lead_time_days": 7}),  # Friday + 5 weekdays = next Friday
    ("Yes! 1000 pcs, $1.10 ea, 10 business days", {"quantity": 1000, "price_cents": 110, "lead_time_days": 14}),
    ("yes 3-5 days", {"lead_time_days": 5}),  # a range promises its later end
    ("yes, 2 or 3 days", {"lead_time_days": 3}),
    ("yes 1.5 weeks", {"lead_time_days": 11}),
    ("yes 48 hours", {"lead_time_days": 2}),
    ("yes a couple of days", {"lead_time_days": 2}),
    ("yes we 3d print them, 200 in 4 days", {"quantity": 200, "lead_time_days": 4}),
    ("yes 3D printed 500", {"quantity": 500}),
    ("yes 500 in 9999 days", {"quantity": 500}),  # over ten years: noise, and not a quantity either
    ("yes 5k units 2.10 each 3 weeks", {"quantity": 5000, "price_cents": 210, "lead_time_days": 21}),
]


@_check(YES)
def test_yes(text, expected):
    assert _fields(text) == {"kind": "yes", **expected}


NO_DONE_LATE = [
    ("no", {"kind": "no"}),
    ("N", {"kind": "no"}),
    ("Nope.", {"kind": "no"}),
    ("nah", {"kind": "no"}),
    ("decline K7Q2", {"kind": "no", "code": "K7Q2"}),
    ("pass on this one", {"kind": "no"}),
    ("No thanks", {"kind": "no"}),
    ("no K7Q2", {"kind": "no", "code": "K7Q2"}),
    ("NO, not #k7q2, sorry", {"kind": "no", "code": "K7Q2"}),
    ("sorry no", {"kind": "no"}),
    ("Sorry, can't do K7Q2", {"kind": "no", "code": "K7Q2"}),
    ("nooo", {"kind": "no"}),
    ("K7Q2 no", {"kind": "no", "code": "K7Q2"}),
    ("done", {"kind": "done"}),
    ("done K7Q2", {"kind": "done", "code": "K7Q2"}),
    ("DONE K7Q2 thanks", {"kind": "done", "code": "K7Q2"}),
    # Sentences that open with a command word but are not the command.
    ("Done by Friday, don't worry", {"kind": "unknown"}),
    ("Done deal, 500 at $2 each", {"kind": "unknown"}),
    ("End of the week works for me", {"kind": "unknown"}),
    ("cancel K7Q2", {"kind": "no", "code": "K7Q2"}),
    ("Cancel K7Q2, we can't make it", {"kind": "no", "code": "K7Q2"}),
    ("Busy right now, I'll get back to you later today", {"kind": "unknown"}),
    ("back next week", {"kind": "unknown"}),
    ("pause today", {"kind": "pause"}),
    ("Delivered!", {"kind": "done"}),
    ("shipped k7q2 today", {"kind": "done", "code": "K7Q2"}),
    ("complete", {"kind": "done"}),
    ("Completed #M4X9P7", {"kind": "done", "code": "M4X9P7"}),
    ("LATE 3", {"kind": "late", "days": 3}),
    ("late K7Q2 3 days", {"kind": "late", "code": "K7Q2", "days": 3}),
    ("late K7Q2", {"kind": "late", "code": "K7Q2"}),
    ("late by a week", {"kind": "late", "days": 7}),
    ("late 2w", {"kind": "late", "days": 14}),
    ("delay k7q2 2 days", {"kind": "late", "code": "K7Q2", "days": 2}),
    ("delayed until monday", {"kind": "late", "days": 3}),
    ("late tomorrow", {"kind": "late", "days": 1}),
    ("late 9999", {"kind": "late"}),
]


@_check(NO_DONE_LATE)
def test_no_done_late(text, expected):
    assert _fields(text) == expected


MY_PAUSE_RESUME = [
    ("MY", {"kind": "my"}),
    ("my jobs", {"kind": "my"}),
    ("list", {"kind": "my"}),
    ("open orders", {"kind": "my"}),
    ("jobs?", {"kind": "my"}),
    ("my bad, wrong number", {"kind": "unknown"}),
    ("PAUSE", {"kind": "pause"}),
    ("PAUSE 2w", {"kind": "pause", "days": 14}),
    ("pause 10 days", {"kind": "pause", "days": 10}),
    ("pause 10d", {"kind": "pause", "days": 10}),
    ("pause a month", {"kind": "pause", "days": 30}),
    ("pause until jan 5", {"kind": "pause", "days": 39}),
    ("away till monday", {"kind": "pause", "days": 3}),
    ("vacation for 2 weeks", {"kind": "pause", "days": 14}),
    ("busy until 12/15", {"kind": "pause", "days": 18}),
    ("pause indefinitely", {"kind": "pause"}),
    ("resume", {"kind": "resume"}),
    ("unpause", {"kind": "resume"}),
    ("Back!", {"kind": "resume"}),
    ("available", {"kind": "resume"}),
    ("I'm back", {"kind": "unknown"}),
]


@_check(MY_PAUSE_RESUME)
def test_my_pause_resume(text, expected):
    assert _fields(text) == expected


CAPS_ALERTS = [
    ("CAPS", {"kind": "caps"}),
    ("capabilities", {"kind": "caps"}),
    ("caps list", {"kind": "caps"}),
    (
        "CAPS ADD face shields; gowns, 3D printed parts",
        {"kind": "caps_add", "phrases": ("face shields", "gowns", "3D printed parts")},
    ),
    ("Caps add: acrylic signs.", {"kind": "caps_add", "phrases": ("acrylic signs",)}),
    (
        "caps add laser cutting\nCNC milling\n\n3D printing",
        {"kind": "caps_add", "phrases": ("laser cutting", "CNC milling", "3D printing")},
    ),
    ("caps add masks, Masks,, ;", {"kind": "caps_add", "phrases": ("masks",)}),
    ("CAPS ADD", {"kind": "caps_add"}),
    ("CAPS REMOVE 2", {"kind": "caps_remove", "number": 2}),
    ("caps delete #3", {"kind": "caps_remove", "number": 3}),
    ("CAPS REMOVE 0", {"kind": "caps_remove"}),
    ("caps remove 99999999999", {"kind": "caps_remove"}),
    ("CAPS DEL masks", {"kind": "caps_remove", "phrases": ("masks",)}),
    ("caps remove 2, 3", {"kind": "caps_remove", "phrases": ("2", "3")}),
    ("CAPS DELETE N95 masks; gowns", {"kind": "caps_remove", "phrases": ("N95 masks", "gowns")}),
    ("ALERTS OFF", {"kind": "alerts_off"}),
    ("alert off", {"kind": "alerts_off"}),
    ("Alerts on!", {"kind": "alerts_on"}),
    ("ALERTS", {"kind": "help"}),
]


@_check(CAPS_ALERTS)
def test_caps_and_alerts(text, expected):
    assert _fields(text) == expected


# The greener practices and what a maker teaches are lists kept like CAPS; a badge is asked for, never set.
GREEN_TEACH_BADGE = [
    ("GREEN", {"kind": "green"}),
    ("practices?", {"kind": "green"}),
    (
        "GREEN ADD solar powered; recycled materials",
        {"kind": "green_add", "phrases": ("solar powered", "recycled materials")},
    ),
    ("eco add zero waste", {"kind": "green_add", "phrases": ("zero waste",)}),
    ("GREEN REMOVE 1", {"kind": "green_remove", "number": 1}),
    ("Practices delete solar", {"kind": "green_remove", "phrases": ("solar",)}),
    ("TEACH", {"kind": "teach"}),
    ("TEACH ADD TIG welding classes", {"kind": "teach_add", "phrases": ("TIG welding classes",)}),
    (
        "training add open shop hours, sewing for beginners",
        {"kind": "teach_add", "phrases": ("open shop hours", "sewing for beginners")},
    ),
    ("CLASSES REMOVE 2", {"kind": "teach_remove", "number": 2}),
    ("BADGE Made in Detroit", {"kind": "badge"}),
    ("badges add woman-owned", {"kind": "badge"}),
    ("LABEL B Corp", {"kind": "badge"}),
]


@_check(GREEN_TEACH_BADGE)
def test_green_teach_and_badge(text, expected):
    assert _fields(text) == expected


KEYWORDS = [
    ("STOP", "stop"),
    ("stop.", "stop"),
    ("Stop sending me these", "stop"),
    ("STOPALL", "stop"),
    ("stop all", "stop"),
    ("unsubscribe", "stop"),
    ("cancel", "stop"),
    ("END", "stop"),
    ("quit", "stop"),
    ("opt out", "stop"),
    ("OPTOUT", "stop"),
    ("revoke", "stop"),
    ("K7Q2 stop", "stop"),
    ("START", "start"),
    ("unstop", "start"),
    ("help", "help"),
    ("HELP!", "help"),
    ("info", "help"),
    ("commands", "help"),
    ("?", "help"),
    ("??", "help"),
    ("join", "join"),
    ("signup", "join"),
    ("sign up", "join"),
    ("Sign-up please", "join"),
    ("register", "join"),
]


@pytest.mark.parametrize(("text", "kind"), KEYWORDS, ids=[row[0] for row in KEYWORDS])
def test_keywords(text, kind):
    assert _fields(text) == {"kind": kind}  # no code, no fields: the word is the whole meaning


CODES_AND_JUNK = [
    ("K7Q2", {"kind": "code", "code": "K7Q2"}),
    ("k7q2", {"kind": "code", "code": "K7Q2"}),
    ("#k7q2!", {"kind": "code", "code": "K7Q2"}),
    ("  (K7Q2)  ", {"kind": "code", "code": "K7Q2"}),
    ("M4X9P7", {"kind": "code", "code": "M4X9P7"}),
    ("", {"kind": "empty"}),
    ("   \n\t ", {"kind": "empty"}),
    ("...", {"kind": "empty"}),
    ("👍", {"kind": "empty"}),
    ("🙏🙏🙏", {"kind": "empty"}),
    ("K7Q", {"kind": "unknown"}),
    ("K7Q2M", {"kind": "unknown"}),
    ("K1Q2", {"kind": "unknown"}),  # 1 is not a code digit
    ("I7Q2", {"kind": "unknown"}),  # nor I a code letter
    ("N95", {"kind": "unknown"}),
    ("KN95", {"kind": "unknown"}),
    ("K7Q2 thanks", {"kind": "unknown"}),
    ("maybe", {"kind": "unknown"}),
    ("who is this?", {"kind": "unknown"}),
    ("Liked “Can you make 500 face shields?”", {"kind": "unknown"}),  # an iPhone reaction relayed as text
    ("yes500", {"kind": "unknown"}),
    ("y'all need masks?", {"kind": "unknown"}),
    ("don't", {"kind": "unknown"}),
    ("500 @ $2", {"kind": "unknown"}),
]


@_check(CODES_AND_JUNK)
def test_codes_and_junk(text, expected):
    assert _fields(text) == expected


def test_the_original_text_is_kept_stripped():
    assert parse_reply("  yes 500 \n").text == "yes 500"
    assert parse_reply("CAPS ADD Face Shields").phrases == ("Face Shields",)


def test_today_defaults_to_the_real_day():
    assert parse_reply("yes tomorrow").lead_time_days == 1
    assert parse_reply("yes by friday").lead_time_days in range(1, 8)


def test_by_friday_counts_from_the_given_day():
    assert parse_reply("yes by friday", date(2026, 11, 25)).lead_time_days == 2  # a Wednesday
    assert parse_reply("yes by friday", TODAY).lead_time_days == 7  # on a Friday: next week's


CODE_TOKENS = [
    ("K7Q2", True),
    ("k7q2", True),
    ("#K7Q2", True),
    ("M4X9P7", True),
    ("A2B3", True),
    ("K7Q", False),
    ("K7Q2M", False),
    ("K7Q2M3P", False),
    ("N95", False),
    ("KN95", False),
    ("I7Q2", False),
    ("L7Q2", False),
    ("O7Q2", False),
    ("K1Q2", False),
    ("K0Q2", False),
    ("7KQ2", False),
    ("\u212a7Q2", False),  # the Kelvin sign looks like K but is not one
    ("K7Q2 ", False),
]


@pytest.mark.parametrize(("token", "valid"), CODE_TOKENS)
def test_code_pattern(token, valid):
    assert (CODE_PATTERN.fullmatch(token) is not None) is valid


@pytest.mark.parametrize("length", [4, 6])
def test_new_code_is_valid_and_parses_back(length):
    rng = random.Random(length)
    codes = {new_code(rng, length) for _ in range(500)}
    assert len(codes) > 400  # random, not stuck
    for code in codes:
        assert len(code) == length
        assert CODE_PATTERN.fullmatch(code)
        assert set(code[0::2]) <= set(CODE_LETTERS) and set(code[1::2]) <= set(CODE_DIGITS)
        assert parse_reply(code) == Reply("code", code=code, text=code)
        assert parse_reply(f"yes {code.lower()} 500").code == code


def test_new_code_rejects_other_lengths():
    with pytest.raises(ValueError):
        new_code(random.Random(0), 5)


# ── never raises, always quick ──

FRAGMENTS = st.sampled_from(
    ["yes", "no", "Y", "STOP", "late", "pause", "caps", "add", "remove", "alerts", "off", "K7Q2", "#k7q2", "M4X9P7",
     "N95", "KN95", "500", "1,000", "5k", "2.5k", "$", "$2.10", "2.10", "/ea", "each", "per unit", "@", "total",
     "for the lot", "for all", "dollars", "cents", "usd", "5", "days", "d", "2w", "weeks", "business", "in", "a",
     "month", "by", "Friday", "Dec 10", "12/10", "until", "jan 5", "tomorrow", "today", "3d", "print", "x", "12x18",
     "313-555-0142", "%", "-", "–", ",", ";", "\n", ".", "?", "!", "'", "(", ")", "👍", "🙏", "sí", "٥٠٠", "ＹＥＳ",
     "9" * 40, "0", "1.000", "1.5", "=", "\u212a", "\u0301", "ـ"]
)  # fmt: skip
REPLY_TEXT = st.one_of(
    st.text(max_size=300),
    st.lists(FRAGMENTS, max_size=30).map(" ".join),
    st.lists(st.one_of(FRAGMENTS, st.text(max_size=5)), max_size=25).map("".join),
)
LONG_TEXT = REPLY_TEXT.map(lambda s: ((s or " ") * (5000 // len(s or " ") + 1))[:5000])


def _assert_sane(text: str, reply: Reply, seconds: float) -> None:
    assert seconds < TIME_LIMIT, f"{seconds:.2f}s for {len(text)} characters"
    assert reply.kind in KINDS
    assert reply.text == text.strip()
    assert reply.code is None or (CODE_PATTERN.fullmatch(reply.code) and reply.code == reply.code.upper())
    assert reply.quantity is None or 0 < reply.quantity < MAX_QUANTITY
    assert reply.price_cents is None or 0 <= reply.price_cents <= MAX_PRICE_CENTS
    assert reply.total_cents is None or 0 <= reply.total_cents <= MAX_TOTAL_CENTS
    assert reply.lead_time_days is None or 0 <= reply.lead_time_days <= MAX_DAYS
    assert reply.days is None or 0 <= reply.days <= MAX_DAYS
    assert all(phrase and phrase == phrase.strip() for phrase in reply.phrases)
    assert reply.number is None or reply.number >= 1


def _timed(text: str) -> tuple[Reply, float]:
    started = time.perf_counter()
    reply = parse_reply(text, TODAY)
    return reply, time.perf_counter() - started


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(REPLY_TEXT)
@example("")
@example("yes " + "1" * 4996)
@example("yes" + " " * 4997)
@example("caps add " + "x;" * 2495)
@example("yes " + "$1 " * 1665)
def test_parse_reply_never_raises(text):
    reply, seconds = _timed(text)
    _assert_sane(text, reply, seconds)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(LONG_TEXT)
def test_parse_reply_never_raises_on_5000_characters(text):
    assert len(text) == 5000
    reply, seconds = _timed(text)
    _assert_sane(text, reply, seconds)


@pytest.mark.parametrize(
    "text",
    ["yes " + "by friday " * 499, "yes " + "dec 10 " * 714, "yes " + "5 days " * 714, "pause " + "9" * 4994,
     "caps remove " + "9" * 4988, "?" * 5000, "👍" * 5000, "#" * 5000, "yes\n" * 1250, "yes " + "|" * 4996],
    ids=lambda text: repr(text[:16]),
)  # fmt: skip
def test_adversarial_long_messages_are_quick(text):
    reply, seconds = _timed(text)
    _assert_sane(text, reply, seconds)


# ── Spanish and Arabic: understood whatever the maker's language ──

IN_THREE_LANGUAGES = [
    ("SÍ 2.50 5 días", {"kind": "yes", "price_cents": 250, "lead_time_days": 5}),
    ("si K7Q2 $3 c/u 2 semanas", {"kind": "yes", "code": "K7Q2", "price_cents": 300, "lead_time_days": 14}),
    ("Sí, 500 a 1.20 cada uno, en 3 días", {"kind": "yes", "quantity": 500, "price_cents": 120, "lead_time_days": 3}),
    ("نعم ٢٫٥٠ للقطعة ٥ أيام", {"kind": "yes", "price_cents": 250, "lead_time_days": 5}),
    ("نعم K7Q2 2.50 دولار 5 أيام", {"kind": "yes", "code": "K7Q2", "price_cents": 250, "lead_time_days": 5}),
    ("نعم خلال يومين", {"kind": "yes", "lead_time_days": 2}),  # Arabic's dual: two days
    ("نعم ١١ يومًا", {"kind": "yes", "lead_time_days": 11}),
    ("NO K7Q2", {"kind": "no", "code": "K7Q2"}),
    ("لا K7Q2", {"kind": "no", "code": "K7Q2"}),
    ("ENTREGADO K7Q2", {"kind": "done", "code": "K7Q2"}),
    ("listo, gracias", {"kind": "done"}),
    ("تم K7Q2", {"kind": "done", "code": "K7Q2"}),
    ("تم التسليم", {"kind": "done"}),
    ("RETRASO K7Q2 3", {"kind": "late", "code": "K7Q2", "days": 3}),
    ("TARDE 2 días", {"kind": "late", "days": 2}),
    ("متأخر ٣", {"kind": "late", "days": 3}),
    ("MIS TRABAJOS", {"kind": "my"}),
    ("طلباتي", {"kind": "my"}),
    ("PAUSA 2 semanas", {"kind": "pause", "days": 14}),
    ("استراحة أسبوعين", {"kind": "pause", "days": 14}),
    ("REANUDAR", {"kind": "resume"}),
    ("استئناف", {"kind": "resume"}),
    ("PRODUCTOS AGREGAR caretas; costura", {"kind": "caps_add", "phrases": ("caretas", "costura")}),
    ("منتجات إضافة واقيات وجه؛ خياطة", {"kind": "caps_add", "phrases": ("واقيات وجه", "خياطة")}),
    ("PRODUCTOS QUITAR 2", {"kind": "caps_remove", "number": 2}),
    ("منتجات حذف 2", {"kind": "caps_remove", "number": 2}),
    ("VERDE", {"kind": "green"}),
    ("أخضر", {"kind": "green"}),
    ("CLASES", {"kind": "teach"}),
    ("تعليم", {"kind": "teach"}),
    ("AVISOS NO", {"kind": "alerts_off"}),
    ("AVISOS SÍ", {"kind": "alerts_on"}),
    ("تنبيهات إيقاف", {"kind": "alerts_off"}),
    ("تنبيهات تشغيل", {"kind": "alerts_on"}),
    ("AYUDA", {"kind": "help"}),
    ("مساعدة", {"kind": "help"}),
    ("UNIRSE", {"kind": "join"}),
    ("انضمام", {"kind": "join"}),
    ("PARAR", {"kind": "stop"}),
    ("إيقاف", {"kind": "stop"}),
    ("Baja California tiene talleres", {"kind": "unknown"}),  # BAJA opts out only alone
    ("LANG ES", {"kind": "lang", "language": "es"}),
    ("IDIOMA inglés", {"kind": "lang", "language": "en"}),
    ("لغة عربي", {"kind": "lang", "language": "ar"}),
    ("لغة العربية", {"kind": "lang", "language": "ar"}),
    ("LANGUAGE klingon", {"kind": "lang"}),
]


@_check(IN_THREE_LANGUAGES)
def test_spanish_and_arabic_keywords_and_numbers(text, expected):
    assert _fields(text) == expected


@pytest.mark.parametrize(
    ("text", "language"),
    [("UNIRSE", "es"), ("hola, quiero unirme", "es"), ("¿qué es esto?", "es"), ("انضمام", "ar"), ("JOIN", None)],
)
def test_a_strangers_language_is_guessed_only_when_plain(text, language):
    from bot.services.replies import guess_language

    assert guess_language(text) == language
