"""No input string makes parse or match raise (hypothesis)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching.parse import parse
from tests.conftest import TODAY

# Text a buyer could send: any Unicode, plus the fragments the parser looks for, shuffled together.
FRAGMENTS = st.sampled_from(
    ["500", "1,000", "5k", "x", "qty", "by", "Friday", "before", "Dec", "10", "4/15", "within", "2", "weeks",
     "miles", "km", "near", "48201", "-2153", "ship to", "asap", "no rush", "face shields", "N95", "masks", "gowns",
     "for", "of", "a thousand", "two dozen", "half a", "dozen", "pcs", "boxes", "caretas", "نحتاج", "كمامة",
     "٥٠٠", "بحلول", "الجمعة", "in", "Detroit", ",", "MI", "St.", "🙏", "!!!", "(", ")", "/", "-", "$", "%", "\n",
     "plastic", "parts", "3-ply", "level 3", "2/30", "13/45/2026", "9999999999999", "0", "00000", "http://x.y/z"]
)
REQUEST_TEXT = st.one_of(
    st.text(max_size=300),
    st.lists(FRAGMENTS, max_size=25).map(" ".join),
    st.lists(st.one_of(FRAGMENTS, st.text(max_size=5)), max_size=20).map("".join),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(REQUEST_TEXT)
def test_parse_never_raises(text):
    parsed = parse(text, TODAY)
    assert parsed.quantity is None or parsed.quantity > 0
    assert parsed.zip is None or (len(parsed.zip) == 5 and parsed.zip.isdigit())
    assert parsed.radius_miles is None or parsed.radius_miles > 0


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(REQUEST_TEXT, st.one_of(st.none(), st.text(max_size=12), st.sampled_from(["48201", "99999", "48201-2153"])))
def test_match_never_raises(demo_matcher, text, zip_code):
    result = demo_matcher.match(text, zip=zip_code, now=TODAY)
    assert all(0 <= m.score <= 100 for m in result.matches)
    assert result.as_dict()["matches"] == [m.as_dict() for m in result.matches]
