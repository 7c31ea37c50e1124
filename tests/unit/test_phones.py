"""Phone numbers to E.164."""

from __future__ import annotations

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
