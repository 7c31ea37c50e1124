"""SMS segment counting, as carriers bill it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.segments import beyond_gsm7, cheapest, count_segments, encoding, is_gsm7, plain_gsm7

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


def test_each_language_says_its_encoding_and_what_needs_ucs2():
    assert encoding("Gowns needed: who can sew? ñ é") == "GSM-7"
    assert encoding("¿Puede hacerlo? Responda SÍ") == "UCS-2"  # Í is not in GSM-7 (É is)
    assert encoding("نعم") == encoding("thanks 🙏") == "UCS-2"
    assert beyond_gsm7("Sí, días “ok” 🙏🙏") == "í“”🙏"


def test_plain_spelling_drops_only_what_gsm7_lacks_and_gives_up_on_other_scripts():
    assert plain_gsm7("SÍ 2.50 5 días — “ya”…") == 'SI 2.50 5 dias - "ya"...'
    assert plain_gsm7("Año ñandú") == "Año ñandu"  # ñ is GSM-7: kept
    assert plain_gsm7("نعم") is None and plain_gsm7("ok 🙏") is None


def test_the_plain_spelling_is_used_only_where_it_saves_a_segment():
    short = "Responda SÍ con precio y días"
    assert cheapest(short) == short  # one segment either way: kept as written
    long = "Responda SÍ con precio y días. " * 3
    assert count_segments(long) == 2 and cheapest(long) == plain_gsm7(long) and count_segments(cheapest(long)) == 1
