"""What buyers prefer of a maker (greener, a makerspace, a label) and how it ranks and filters makers."""

from __future__ import annotations

from datetime import date

import pytest

from matching.directory import Directory, MakerProfile
from matching.emissions import Factors, estimate, freight_kg, order_weight_kg
from matching.matcher import Matcher
from matching.parse import parse
from matching.practices import practices_in
from matching.preferences import slug

TODAY = date(2026, 6, 1)


@pytest.mark.parametrize(
    "text, item, preferences, only",
    [
        ("eco-friendly tote bags, 200", "tote bags", ("green",), ()),
        ("200 sustainable tees near 48201", "tees", ("green",), ()),
        ("recycled paper notebooks, 300", "recycled paper notebooks", ("green",), ()),
        ("only Made in Detroit t-shirts, 100 near 48201", "t-shirts", ("made-in-detroit",), ("made-in-detroit",)),
        ("Detroit-made candles, must be women owned", "candles", ("made-in-detroit", "woman-owned"), ("woman-owned",)),
        (
            "camisetas ecológicas hecho en Detroit solamente",
            "camisetas",
            ("green", "made-in-detroit"),
            ("made-in-detroit",),
        ),
        ("200 tees from a makerspace near 48201", "tees", ("makerspace",), ()),
        ("tote bags from a worker-owned co-op", "tote bags", ("cooperative",), ()),
        ("student-made birdhouses 30", "birdhouses", ("school",), ()),
        ("custom signs from a B Corp", "custom signs", ("b-corp",), ()),
        # Not preferences: a colour, "just" a count, who the order is for, a town too small to be a label.
        ("green t-shirts 50", "green t-shirts", (), ()),
        ("just 20 tees", "tees", (), ()),
        ("t-shirts for 300 students", "t-shirts", (), ()),
        ("500 face shields made in China", "face shields", (), ()),
    ],
)
def test_preferences_are_read_and_kept_out_of_the_item(text, item, preferences, only):
    parsed = parse(text, TODAY)
    assert (parsed.item, parsed.preferences, parsed.only) == (item, preferences, only)


def test_made_in_a_town_is_a_label_not_the_place():
    parsed = parse("only Made in Detroit tees, 100, near 48201", TODAY)
    assert parsed.zip == "48201" and parsed.zip_source == "zip" and parsed.place_name is None


def test_a_preference_that_is_all_the_request_says_stays_the_item():
    assert parse("need a makerspace near 48201", TODAY).item == "makerspace"


def test_labels_compare_whatever_their_spelling():
    assert slug("Women-Owned Business") == slug("woman owned") == "woman-owned"
    assert slug("Made in Detroit certified") == slug("hecho en Detroit") == "made-in-detroit"


def test_practices_map_the_makers_words_to_a_shared_vocabulary():
    assert practices_in("we print with water-based inks on solar power") == ("low-toxicity", "renewable-energy")
    assert practices_in("friendly staff") == ()


def _directory() -> Directory:
    near = {"lat": 42.35, "lon": -83.06, "zip": "48201"}
    return Directory(
        [
            MakerProfile(1, "Plain Tees", ("screen printing", "t-shirts"), **near),
            MakerProfile(2, "Green Tees", ("screen printing", "t-shirts"), practices=("water-based inks",), **near),
            MakerProfile(3, "Label Tees", ("screen printing", "t-shirts"), badges=("Made in Detroit",), **near),
            MakerProfile(
                4,
                "Hive",
                ("laser cutting", "3D printing"),
                kind="makerspace",
                training=("open shop hours", "TIG welding classes"),
                **near,
            ),
            MakerProfile(5, "Laser Co", ("laser cutting",), **near),
            MakerProfile(6, "Weld Co", ("welding", "fabrication"), **near),
        ]
    )


def test_a_preference_puts_an_equally_capable_maker_first_and_says_why():
    matcher = Matcher(_directory())
    plain = matcher.match("200 t-shirts near 48201", now=TODAY)
    green = matcher.match("200 eco-friendly t-shirts near 48201", now=TODAY)
    assert plain.matches[0].name == "Plain Tees"  # the lowest id wins a tie
    assert green.matches[0].name == "Green Tees" and green.matches[0].preferred == ("green",)
    assert "greener: low-toxicity inputs" in green.matches[0].why
    assert {m.name for m in green.matches} == {m.name for m in plain.matches}  # raised, nobody hidden


def test_only_hides_the_others_and_counts_them():
    result = Matcher(_directory()).match("only Made in Detroit t-shirts near 48201", now=TODAY)
    assert [m.name for m in result.matches] == ["Label Tees"] and result.hidden == 2
    assert "Made in Detroit" in result.matches[0].why
    nobody = Matcher(_directory()).match("t-shirts near 48201, must be woman-owned", now=TODAY)
    assert nobody.matches == () and nobody.hidden == 3


def test_training_and_tool_access_find_who_teaches_and_only_them():
    matcher = Matcher(_directory())
    welding_class = matcher.match("a welding class for 5 people near 48201", now=TODAY)
    assert [m.name for m in welding_class.matches] == ["Hive"]
    access = matcher.match("need a laser cutter for an afternoon near 48201", now=TODAY)
    assert [m.name for m in access.matches] == ["Hive"] and "offers “open shop hours”" in access.matches[0].why
    # What a maker teaches is not a job they take: welding work goes to the welding shop alone.
    assert [m.name for m in matcher.match("welding near 48201", now=TODAY).matches] == ["Weld Co"]


# ── transport emissions, an estimate ──


def test_freight_follows_the_uk_government_method():
    # Defra's freight annex: tonnes × km × kg CO2e per tonne-km. 2 tonnes over 100 km by HGV at 0.12631:
    assert freight_kg(2000, 100, Factors().truck) == pytest.approx(25.262)
    # 500 face shields (30 kg) from a maker 10 miles away, against the default import route.
    found = estimate(30.0, 10.0)
    assert found.local_kg == pytest.approx(0.030 * 10 * 1.609344 * 1.2 * 0.5907)
    assert found.imported_kg == pytest.approx(0.030 * 10_500 * 0.01536 + 0.030 * 3_800 * 0.12631)
    assert found.avoided_kg == pytest.approx(found.imported_kg - found.local_kg)


def test_no_weight_known_no_estimate():
    assert order_weight_kg(500, None, ["face_shield"]) == pytest.approx(30.0)
    assert order_weight_kg(200, "lb", ["bracket"]) == pytest.approx(90.718474)
    assert order_weight_kg(20, "keg", ["beer"]) == pytest.approx(1460.0)
    assert order_weight_kg(50, None, ["bracket"]) is None  # brackets weigh grams or kilos: no guess
    assert order_weight_kg(40, "loaf", ["bread"]) == pytest.approx(32.0)
    assert order_weight_kg(10, "box", ["gloves"]) is None  # how many gloves to a box: unknown
    assert order_weight_kg(None, None, ["face_shield"]) is None
    shields = Matcher(_directory()).match("200 t-shirts near 48201", now=TODAY).matches[0]
    assert shields.emissions is not None and shields.emissions.weight_kg == pytest.approx(36.0)
    unknown = Matcher(_directory()).match("laser cutting near 48201", now=TODAY).matches[0]
    assert unknown.emissions is None
