"""Phone numbers to E.164."""

from __future__ import annotations

import re

import pytest

from bot.phones import to_e164


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("(313) 555-0142", "+13135550142"),
        ("313-555-0199", "+13135550199"),
        ("313.555.0100", "+13135550100"),
        ("+1 313 555 0100", "+13135550100"),
        ("1 (734) 555-0115", "+17345550115"),
        ("+44 20 7946 0958", "+442079460958"),
        ("555-1234", None),
        ("123", None),
        ("(013) 555-0142", None),
        ("not a phone", None),
        ("", None),
        ("9" * 60, None),
    ],
)
def test_to_e164(raw, e164):
    assert to_e164(raw) == e164


@pytest.mark.parametrize(
    "raw",
    [
        "(313) 555-0142", "313-555-0199", "313.555.0100", "3135550100", "13135550100", "+13135550100",
        "+1 313 555 0100", "+1-313-555-0100", "1.313.555.0100", "+1(313)555-0100", "1 (734) 555-0115",
        "(911) 555-0100", "(313)555 0100", "313 5550100", "(200) 200-0000", "+1 (999) 999-9999",
    ],
)  # fmt: skip
def test_usual_north_american_writings_read_as_phonenumbers_reads_them(raw, monkeypatch):
    quick = to_e164(raw)
    monkeypatch.setattr("bot.phones._NANP_WRITTEN", re.compile(r"(?!)"))  # never matches: phonenumbers decides
    assert quick == to_e164(raw) is not None
