"""SMS segment counting, as carriers bill it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.segments import count_segments, is_gsm7

CASES = [
    ("", 1),
    ("x" * 160, 1),
    ("x" * 161, 2),
    ("x" * 306, 2),
    ("x" * 307, 3),
    ("€" * 80, 1),  # extension characters take two septets: 160 septets
    ("€" * 81, 2),
    ("x" * 152 + "€" + "x" * 10, 2),  # the escape pair is not split across parts
    ("é à ñ ü Ä £ ¥ @ _ {}[]~|^\\", 1),
    ("ç" * 70, 1),  # lower-case ç is not in GSM-7 (only Ç): UCS-2
    ("ç" * 71, 2),
    ("ç" * 134, 2),
    ("ç" * 135, 3),
    ("نعم" * 20, 1),
    ("👍" * 35, 1),  # an emoji is two UCS-2 units
    ("👍" * 36, 2),
    ("x" * 66 + "👍" + "x" * 66, 3),  # …and stays whole, so 134 units need three parts
    ("smart quotes “like these”", 1),
]


@pytest.mark.parametrize(("text", "segments"), CASES)
def test_segments(text, segments):
    assert count_segments(text) == segments


def test_plain_ascii_is_gsm7_and_emoji_is_not():
    assert is_gsm7("Reply YES K7Q2 $2.10 each 5 days, or NO K7Q2.")
    assert not is_gsm7("thanks 👍")


@given(st.text(max_size=2000))
def test_segments_grow_with_text_and_never_fail(text):
    n = count_segments(text)
    assert n >= 1
    assert n <= max(1, len(text))
