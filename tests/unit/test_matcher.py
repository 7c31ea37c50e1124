"""Ranking: who comes back for a request, in what order, and why — on the demo directory and on small ones."""

from __future__ import annotations

from datetime import date

import pytest

from matching import geo
from matching.directory import Directory, MakerProfile
from matching.matcher import Matcher
from tests.conftest import TODAY

DETROIT = geo.lookup_zip("48201")


def maker(id, name, caps, zip_code="48201", **kw):
    place = geo.lookup_zip(zip_code)
    return MakerProfile(id=id, name=name, capabilities=tuple(caps), lat=place.lat, lon=place.lon, zip=zip_code, **kw)


def names(result):
    return [m.name for m in result.matches]


# ── the demo directory ──


def test_face_shields_near_detroit(demo_matcher):
    result = demo_matcher.match("need 500 face shields by Friday near 48201", now=TODAY)
    top = result.matches
    assert [m.fit for m in top[:4]] == ["listed"] * 4
    assert {m.name for m in top[:2]} == {"Neumann/Smith Architecture", "Xenith"}
    assert all(m.distance_miles is not None and m.distance_miles <= 50 for m in top)
    assert "mi" in top[0].why and "face shields" in top[0].why
    # Suppliers of face-shield plastic are not face-shield makers.
    assert "Detroit Denim" not in names(result) and "Pingree Detroit" not in names(result)


def test_listed_beats_process_even_when_farther(demo_matcher):
    result = demo_matcher.match("face shields", zip="48201", now=TODAY, limit=10)
    fits = [m.fit for m in result.matches]
    assert fits.index("process") > max(i for i, f in enumerate(fits) if f == "listed")


def test_a_part_maker_is_not_offered_for_the_whole_machine(demo_matcher):
    assert demo_matcher.match("Ventilators", zip="48201", now=TODAY).matches == ()
    parts = demo_matcher.match("ventilator parts", zip="48201", now=TODAY)
    assert parts.matches[0].name == "PTI Engineered Plastics"


@pytest.mark.parametrize(
    "text", ["thermometers", "Disinfecting wipes", "nitrile gloves", "toilet paper", "KN95", "Safety googles"]
)
def test_nobody_fits_is_an_empty_answer(demo_matcher, text):
    assert demo_matcher.match(text, zip="48201", now=TODAY).matches == ()


def test_certified_items_need_a_maker_who_names_them(demo_matcher):
    result = demo_matcher.match("N95s", zip="48201", now=TODAY)
    assert names(result) == ["LIFT"]  # the sewing shops listing "masks" are not N95 makers


def test_radius(demo_matcher):
    assert demo_matcher.match("Gowns", zip="49544", now=TODAY).matches == ()  # Grand Rapids: nobody within 50 mi
    wide = demo_matcher.match("Gowns", zip="49544", radius_miles=200, now=TODAY)
    assert wide.matches and all(m.distance_miles <= 200 for m in wide.matches)
    narrow = demo_matcher.match("Gowns within 5 miles of 48201", now=TODAY)
    assert narrow.matches and all(m.distance_miles <= 5 for m in narrow.matches)


def test_without_a_place_nobody_is_excluded_for_distance(demo_matcher):
    result = demo_matcher.match("N95s", now=TODAY)
    assert len(result.matches) == 5 and all(m.distance_miles is None for m in result.matches)


def test_zip_in_text_beats_argument_which_beats_a_town(demo_matcher):
    assert demo_matcher.match("gowns near 48126", zip="02215", now=TODAY).place.zip == "48126"
    assert demo_matcher.match("gowns in Boston", zip="48126", now=TODAY).place.zip == "48126"
    assert demo_matcher.match("gowns in Dearborn", now=TODAY).place.city == "Dearborn"


def test_a_place_followed_by_thanks_keeps_the_search_near_it(demo_matcher):
    for text in ("necesitamos 500 caretas cerca de 48201 por favor", "نحتاج 500 درع وجه قرب 48201 شكراً"):
        result = demo_matcher.match(text, now=TODAY)
        assert result.place is not None and result.place.zip == "48201"
        assert result.matches and all(m.distance_miles is not None for m in result.matches)


def test_spanish_and_arabic_requests(demo_matcher):
    es = demo_matcher.match("necesitamos 500 caretas para el viernes cerca de 48201", now=TODAY)
    ar = demo_matcher.match("نحتاج 500 درع وجه بحلول يوم الجمعة قرب 48201", now=TODAY)
    assert names(es)[:2] == names(ar)[:2] == names(demo_matcher.match("face shields near 48201", now=TODAY))[:2]


def test_result_contract(demo_matcher):
    as_dict = demo_matcher.match("need 500 face shields by Friday near 48201", now=TODAY).as_dict()
    assert as_dict["request"] == {
        "item": "face shields",
        "quantity": 500,
        "unit": None,
        "deadline": "2026-12-04",
        "zip": "48201",
    }
    assert set(as_dict["matches"][0]) == {"maker_id", "name", "score", "distance_miles", "matched", "why"}
    scores = [m["score"] for m in as_dict["matches"]]
    assert scores == sorted(scores, reverse=True) and all(0 <= s <= 100 for s in scores)


# ── small directories, one behaviour each ──


def test_confidence_order_listed_alias_kind_process_broader():
    directory = Directory(
        [
            maker(1, "Listed", ["face masks"]),
            maker(2, "Alias", ["cubrebocas"]),
            maker(3, "Kind", ["cloth masks"]),
            maker(4, "Process", ["sewing"]),
            maker(5, "Nothing", ["hand sanitizer"]),
        ]
    )
    result = Matcher(directory).match("face masks", zip="48201", now=TODAY)
    assert names(result) == ["Listed", "Alias", "Kind", "Process"]
    assert [m.fit for m in result.matches] == ["listed", "alias", "kind", "process"]


def test_broader_claim_counts_weakly_and_never_for_strict_items():
    directory = Directory([maker(1, "Masks in general", ["masks"])])
    matcher = Matcher(directory)
    cloth = matcher.match("cloth masks", zip="48201", now=TODAY)
    assert [m.fit for m in cloth.matches] == ["broader"]
    assert matcher.match("N95 masks", zip="48201", now=TODAY).matches == ()


def test_capacity_and_time_shape_the_order():
    directory = Directory(
        [
            maker(1, "Small shop", ["face shields"], max_order=100),
            maker(2, "Big shop", ["face shields"], max_order=10_000),
            maker(3, "Wholesale only", ["face shields"], min_order=50_000),
            maker(4, "Slow shop", ["face shields"], lead_time_days=30),
        ]
    )
    result = Matcher(directory).match("500 face shields by Dec 4", zip="48201", now=TODAY)
    assert names(result)[0] == "Big shop"
    why = {m.name: m.why for m in result.matches}
    assert "up to 100 of 500" in why["Small shop"]
    assert "minimum order 50,000" in why["Wholesale only"]
    assert "needs 30 days, deadline in 7" in why["Slow shop"]


def test_responsiveness_breaks_ties():
    directory = Directory(
        [
            maker(1, "Never answers", ["gowns"], responsiveness=0.0),
            maker(2, "Always answers", ["gowns"], responsiveness=1.0),
        ]
    )
    assert names(Matcher(directory).match("gowns", zip="48201", now=TODAY)) == ["Always answers", "Never answers"]


def test_closer_wins_among_equals():
    directory = Directory([maker(1, "Pontiac", ["gowns"], "48342"), maker(2, "Midtown", ["gowns"], "48202")])
    assert names(Matcher(directory).match("gowns", zip="48201", now=TODAY)) == ["Midtown", "Pontiac"]


def test_covering_more_of_the_request_helps():
    directory = Directory(
        [maker(1, "Masks only", ["surgical masks"]), maker(2, "Both", ["surgical masks", "isolation gowns"])]
    )
    assert names(Matcher(directory).match("surgical masks and gowns", zip="48201", now=TODAY))[0] == "Both"


def test_fuzzy_layer_bridges_words_the_taxonomy_does_not_know():
    directory = Directory(
        [maker(1, "Decoy carver", ["hand carved duck decoys"]), maker(2, "Bakery", ["sourdough bread"])]
    )
    result = Matcher(directory).match("carved duck decoys", zip="48201", now=TODAY)
    assert names(result) == ["Decoy carver"]
    assert result.matches[0].fit == "fuzzy" and "similar wording" in result.matches[0].why


def test_fuzzy_layer_never_overrules_the_taxonomy():
    # "wedding gowns" is known to the taxonomy as something else than hospital gowns.
    directory = Directory([maker(1, "Bridal shop", ["wedding gowns"]), maker(2, "Tailor", ["bridal alterations"])])
    assert Matcher(directory).match("isolation gowns", zip="48201", now=TODAY).matches == ()


def test_makers_without_a_location_are_left_out_when_the_buyer_has_one():
    directory = Directory([MakerProfile(id=1, name="Somewhere", capabilities=("gowns",))])
    assert Matcher(directory).match("gowns", zip="48201", now=TODAY).matches == ()
    assert names(Matcher(directory).match("gowns", now=TODAY)) == ["Somewhere"]


def test_limit_and_empty_directory():
    directory = Directory([maker(i, f"Shop {i}", ["gowns"]) for i in range(20)])
    assert len(Matcher(directory, limit=3).match("gowns", now=TODAY).matches) == 3
    assert len(Matcher(directory).match("gowns", now=TODAY, limit=12).matches) == 12
    assert Matcher(Directory([])).match("gowns", zip="48201", now=TODAY).matches == ()


def test_deadline_uses_reference_day():
    directory = Directory([maker(1, "Slow", ["gowns"], lead_time_days=10)])
    late = Matcher(directory).match("gowns by Dec 1", now=date(2026, 11, 27)).matches[0]
    assert "deadline in 4" in late.why


def test_an_unknown_zip_in_the_text_does_not_push_aside_the_buyers_zip(demo_matcher):
    result = demo_matcher.match("need gowns zip 00000", zip="48201", now=TODAY)
    assert result.place.zip == "48201"


def test_absurd_quantities_do_not_break_ranking():
    directory = Directory([maker(1, "Shop", ["face shields"], min_order=10, max_order=100)])
    result = Matcher(directory).match("need " + "hundred " * 155 + "face shields", zip="48201", now=TODAY)
    assert names(result) == ["Shop"]


# ── the general trades (issue 14) ──


def test_a_fit_scores_apart_from_a_coincidence_and_why_says_which():
    directory = Directory(
        [
            maker(1, "Screw machine shop", ["Swiss turning; shafts; bushings"]),
            maker(2, "Lathe shop", ["manual and CNC lathe work"]),
            maker(3, "Bakery", ["sourdough bread"]),
        ]
    )
    result = Matcher(directory).match("need 50 machined shafts", zip="48201", now=TODAY)
    assert names(result) == ["Screw machine shop", "Lathe shop"]
    listed, process = result.matches
    assert listed.fit == "listed" and listed.score >= 90
    assert process.fit == "process" and 70 <= process.score <= listed.score - 8
    assert "can make" in process.why


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("beer, 20 kegs", "Brewery"),
        ("gin, 30 bottles", "Distillery"),
        ("loaves of sourdough", "Bakery"),
        ("kitchen cabinet maker", "Cabinet shop"),
        ("custom tees with our logo", "Screen printer"),
        ("juguetes de madera", "Toy maker"),
        ("خبز عربي 200 رغيف", "Bakery"),
    ],
)
def test_trade_requests_find_the_trade(text, expected):
    directory = Directory(
        [
            maker(1, "Brewery", ["brewery; craft beer; kegs and cans"]),
            maker(2, "Distillery", ["distillery; whiskey; vodka"]),
            maker(3, "Bakery", ["bakery"]),
            maker(4, "Cabinet shop", ["custom furniture; cabinets"]),
            maker(5, "Screen printer", ["screen printing; t-shirts"]),
            maker(6, "Toy maker", ["wooden toys; puzzles"]),
            maker(7, "Sanitizer maker", ["hand sanitizer"]),
        ]
    )
    assert names(Matcher(directory).match(text, zip="48201", now=TODAY))[:1] == [expected]


@pytest.mark.parametrize("text", ["shield logos for a football team", "dog masks", "sewing machine repair"])
def test_a_shared_word_alone_is_not_a_fit(text):
    directory = Directory(
        [
            maker(1, "Shield shop", ["face shields"]),
            maker(2, "Mask shop", ["face masks"]),
            maker(3, "Sewing shop", ["sewing"]),
        ]
    )
    assert Matcher(directory).match(text, zip="48201", now=TODAY).matches == ()


def test_a_requested_service_is_wanted_for_itself():
    directory = Directory(
        [maker(1, "Ironworks", ["railings; gates"]), maker(2, "Powder coater", ["powder coating; sandblasting"])]
    )
    result = Matcher(directory).match("powder coating, 40 railings", zip="48201", now=TODAY)
    assert names(result)[0] == "Powder coater" and result.matches[0].score >= 85


def test_the_process_the_buyer_named_wins():
    directory = Directory(
        [maker(1, "Sheet metal shop", ["brackets; panels"]), maker(2, "Machine shop", ["CNC machining"])]
    )
    result = Matcher(directory).match("CNC machined aluminum brackets, 50 pcs", zip="48201", now=TODAY)
    assert names(result)[0] == "Machine shop"


def test_a_repair_or_a_rental_is_not_a_making_request():
    directory = Directory([maker(1, "Tailor", ["sewing; alterations"]), maker(2, "Print farm", ["3D printing"])])
    for text in ["prom gown rental", "sewing machine repair", "3D printer filament, 50 spools"]:
        assert Matcher(directory).match(text, zip="48201", now=TODAY).matches == ()
    # The same trade words in a making request still find the maker.
    assert names(Matcher(directory).match("a bridal gown", zip="48201", now=TODAY)) == ["Tailor"]


def test_materials_are_constraints():
    directory = Directory(
        [
            maker(1, "Metal laser shop", ["laser cutting", "steel, aluminum, stone and glass"]),
            maker(2, "Acrylic laser shop", ["laser cutting", "acrylic and wood signs"]),
            maker(3, "Laser shop", ["laser cutting"]),
        ]
    )
    matcher = Matcher(directory)
    # The material asked for, or the one the item is usually made of (face shields are plastic).
    for text in ["laser cut acrylic pieces, 200", "500 face shields"]:
        found = names(matcher.match(text, zip="48201", now=TODAY))
        assert found[0] == "Acrylic laser shop" and "Laser shop" in found and "Metal laser shop" not in found


def test_a_process_that_cannot_make_the_item_says_nothing_about_how():
    directory = Directory([maker(1, "Bike shop", ["cargo bikes"]), maker(2, "Couriers", ["delivery"])])
    result = Matcher(directory).match("cargo bike for deliveries", zip="48201", now=TODAY)
    assert names(result) == ["Bike shop"] and result.matches[0].score >= 90


def test_private_label_is_how_a_product_is_sold_not_the_product():
    directory = Directory(
        [maker(1, "Roaster", ["private label coffee bags"]), maker(2, "Skincare lab", ["lip balm", "body butter"])]
    )
    assert names(Matcher(directory).match("lip balm private label 500 units", zip="48201", now=TODAY)) == [
        "Skincare lab"
    ]


@pytest.mark.parametrize(
    ("text", "maker_words"),
    [
        ("walnut coffee table", "woodworker"),
        ("steel frame for a sign", "metal fabricator"),
        ("smoked sausage for a picnic", "butcher shop"),
        ("ice cream for 80 guests", "creamery"),
    ],
)
def test_a_maker_who_names_the_trade_can_make_its_products(text, maker_words):
    directory = Directory([maker(1, "Trade", [maker_words]), maker(2, "Bakery", ["bakery"])])
    result = Matcher(directory).match(text, zip="48201", now=TODAY)
    assert names(result) == ["Trade"] and result.matches[0].fit == "process"


# ── a directory that follows changes ──


def test_a_directory_follows_makers_added_replaced_and_removed_as_a_rebuild_would():
    from matching.directory import Directory, MakerProfile
    from matching.matcher import Matcher

    near = {"lat": 42.35, "lon": -83.06, "zip": "48201"}
    first = [
        MakerProfile(1, "Gown Shop", ("isolation gowns",), **near),
        MakerProfile(2, "Shield Lab", ("face shields", "laser cutting"), **near),
    ]
    directory = Directory(first)
    directory.add(MakerProfile(3, "Tee Press", ("screen printing", "t-shirts"), **near))
    directory.add(MakerProfile(2, "Shield Lab", ("3D printing",), **near))  # replaced: no longer face shields
    assert directory.remove(1) and not directory.remove(99)
    rebuilt = Directory(
        [
            MakerProfile(2, "Shield Lab", ("3D printing",), **near),
            MakerProfile(3, "Tee Press", ("screen printing", "t-shirts"), **near),
        ]
    )
    assert len(directory) == len(rebuilt) == 2
    requests = ["500 face shields near 48201", "gowns near 48201", "200 tees near 48201", "3d printed parts near 48201",
                "laser cutting near 48201", "custom printed t-shirts near 48201"]  # fmt: skip
    for request in requests:
        followed = [(m.name, m.score, m.why) for m in Matcher(directory).match(request).matches]
        fresh = [(m.name, m.score, m.why) for m in Matcher(rebuilt).match(request).matches]
        assert followed == fresh, request


def test_a_saved_directory_answers_as_the_one_that_was_saved(demo_directory):
    import io

    saved = io.BytesIO()
    demo_directory.save(saved)
    saved.seek(0)
    loaded = Directory.load(saved, demo_directory.taxonomy)
    for request in ["500 face shields near 48201", "bread, 40 loaves near 48201", "tig welding classes near 48201"]:
        before = [(m.name, m.score, m.why) for m in Matcher(demo_directory).match(request, now=TODAY).matches]
        assert [(m.name, m.score, m.why) for m in Matcher(loaded).match(request, now=TODAY).matches] == before
    loaded.update([MakerProfile(10_001, "Late Bakery", ("sourdough bread",), lat=42.35, lon=-83.06, zip="48201")])
    assert len(loaded) == len(demo_directory) + 1
    assert "Late Bakery" in {m.name for m in Matcher(loaded).match("sourdough near 48201", now=TODAY).matches}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("looking for a woodworker", "Furniture shop"),
        ("a bakery for our coffee shop", "Bread bakery"),
        ("need a machinist", "Machine shop"),
        ("who can make things out of metal", "Machine shop"),
        ("a woodturner for 20 bowls", "Bowl turner"),
    ],
)
def test_a_trade_named_by_its_worker_or_its_workshop_finds_makers_of_its_goods(text, expected):
    directory = Directory(
        [
            maker(1, "Furniture shop", ["dining tables; benches; bookshelves"]),
            maker(2, "Bread bakery", ["sourdough loaves; rye bread"]),
            maker(3, "Machine shop", ["shafts; bushings; brackets"]),
            maker(4, "Bowl turner", ["turned bowls and pens"]),
            maker(5, "Powder coater", ["powder coating"]),
        ]
    )
    assert names(Matcher(directory).match(text, zip="48201", now=TODAY))[:1] == [expected]


def test_a_technique_alone_still_wants_a_maker_who_names_it():
    directory = Directory([maker(1, "Ironworks", ["railings; gates"]), maker(2, "Machine shop", ["brackets"])])
    assert Matcher(directory).match("powder coating", zip="48201", now=TODAY).matches == ()


@pytest.mark.parametrize("text", ["logo design", "a graphic designer for our menu", "dog grooming"])
def test_design_and_personal_services_are_not_making_requests(text):
    directory = Directory(
        [maker(1, "Cabinet shop", ["design and install; kitchen cabinets"]), maker(2, "Leather", ["dog collars"])]
    )
    assert Matcher(directory).match(text, zip="48201", now=TODAY).matches == ()


def test_a_service_that_only_comes_with_the_making_does_not_block_it():
    directory = Directory([maker(1, "Screen printer", ["screen printing; t-shirts"])])
    result = Matcher(directory).match("screen printing with our logo design on 100 shirts", zip="48201", now=TODAY)
    assert names(result) == ["Screen printer"]


def test_a_class_in_a_process_is_taught_not_made():
    directory = Directory(
        [maker(1, "Makerspace", ["welding and woodshop classes"]), maker(2, "Ironworks", ["railings and gates"])]
    )
    assert names(Matcher(directory).match("iron gate for my driveway", zip="48201", now=TODAY)) == ["Ironworks"]
    assert names(Matcher(directory).match("a place to learn welding", zip="48201", now=TODAY)) == ["Makerspace"]


@pytest.mark.parametrize("text", ["solar panels", "bottled water, 20 cases", "stained glass panels"])
def test_a_shared_head_word_or_a_mass_produced_good_finds_no_panel_shop(text):
    directory = Directory([maker(1, "Controls", ["panel building"]), maker(2, "Caterer", ["food and water"])])
    assert Matcher(directory).match(text, zip="48201", now=TODAY).matches == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("chleb na zakwasie, 40 bochenków", "Bakery"),
        ("stoły drewniane", "Furniture shop"),
        ("stoly drewniane", "Furniture shop"),
        ("koszulki z nadrukiem 100", "Screen printer"),
        ("gâteau de mariage", "Bakery"),
        ("Holzspielzeug", "Toy maker"),
        ("футболки с логотипом 50", "Screen printer"),
    ],
)
def test_requests_in_more_languages_find_the_trade(text, expected):
    directory = Directory(
        [
            maker(1, "Bakery", ["sourdough loaves; wedding cakes"]),
            maker(2, "Furniture shop", ["dining tables; benches"]),
            maker(3, "Screen printer", ["screen printing; custom t-shirts"]),
            maker(4, "Toy maker", ["wooden toys"]),
        ]
    )
    assert names(Matcher(directory).match(text, zip="48201", now=TODAY))[:1] == [expected]


def test_a_finish_offers_the_finish_not_the_things_it_is_done_to():
    directory = Directory(
        [
            maker(1, "Powder coater", ["Powder coat - wheels, frames, railings, industrial parts"]),
            maker(2, "Ironworks", ["ornamental railings"]),
            maker(3, "Upholsterer", ["Upholstery - restaurant booths, dining chairs, cushions"]),
        ]
    )
    assert names(Matcher(directory).match("stair railing", zip="48201", now=TODAY)) == ["Ironworks"]
    assert names(Matcher(directory).match("12 dining chairs", zip="48201", now=TODAY)) == []
    assert names(Matcher(directory).match("powder coating 20 chairs", zip="48201", now=TODAY))[:1] == ["Powder coater"]
    assert names(Matcher(directory).match("reupholster our booths", zip="48201", now=TODAY)) == ["Upholsterer"]


def test_time_on_a_tool_needs_a_maker_who_has_that_tool():
    directory = Directory(
        [
            maker(1, "Bike co-op", ["open shop hours; bike repair"]),
            maker(2, "Makerspace", ["laser cutter; open shop hours"]),
        ]
    )
    result = Matcher(directory).match("need a laser cutter for an afternoon", zip="48201", now=TODAY)
    assert names(result) == ["Makerspace"]
    assert names(Matcher(directory).match("open shop hours", zip="48201", now=TODAY)) == ["Bike co-op", "Makerspace"]


# ── requests that name something made, but ask for what no maker does to order ──


def _trades_directory():
    return Directory(
        [
            maker(1, "Woodshop", ["dining tables; chairs; benches"]),
            maker(2, "Print farm", ["3D printing; no-touch door openers"]),
            maker(3, "Bike co-op", ["bike repair; refurbished bikes"]),
            maker(4, "Embroiderer", ["embroidery on hats and polos"]),
            maker(5, "Makerspace", ["welding and woodshop classes; CAD classes"]),
            maker(6, "Glass studio", ["glassblowing; glassblowing classes"]),
            maker(7, "Lamp studio", ["Tiffany-style lamps; repair and restoration"]),
            maker(8, "Lighting works", ["table lamps and pendant lights"]),
        ]
    )


@pytest.mark.parametrize(
    "text",
    [
        "garage door opener repair",  # a door opener named, a repairer wanted
        "fix my garage door opener",
        "used office chairs, 10",
        "office chairs used",
        "embroidery machine",
        "welder machine miller 211",
        "yoga class for kids",
        "guitar lessons",
        "sign language interpreter for an event",
    ],
)
def test_a_service_on_a_made_thing_finds_nobody(text):
    assert Matcher(_trades_directory()).match(text, zip="48201", now=TODAY).matches == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("chair repair, 6 chairs", "Woodshop"),  # woodworkers mend what they make
        ("10 used kids bikes fixed up for a charity", "Bike co-op"),  # made good again is a maker's job
        ("office chairs used in our cafe, 20 new ones", "Woodshop"),
        ("embroidery on 50 hats", "Embroiderer"),
        ("CAD class for beginners", "Makerspace"),  # a subject named in a class the maker lists
        ("glassblowing class", "Glass studio"),
        ("lamp repair", "Lamp studio"),  # only the lamp maker who says they repair
    ],
)
def test_the_same_words_in_a_making_request_still_find_the_maker(text, expected):
    assert names(Matcher(_trades_directory()).match(text, zip="48201", now=TODAY)) == [expected]


def test_a_container_after_food_is_how_it_comes():
    directory = Directory(
        [
            maker(1, "Sweets", ["baklava; maamoul"]),
            maker(2, "Thermoformer", ["vacuum formed trays; clamshells"]),
            maker(3, "Box maker", ["folding cartons; printed boxes"]),
        ]
    )
    matcher = Matcher(directory)
    assert names(matcher.match("baklava trays for eid, 10", zip="48201", now=TODAY)) == ["Sweets"]
    # Wanted for itself, the container is the thing to make.
    assert names(matcher.match("custom printed boxes for our baklava, 300", zip="48201", now=TODAY))[0] == "Box maker"


def test_cut_parts_are_the_parts_themselves():
    directory = Directory([maker(1, "Laser shop", ["fiber laser cutting; steel and aluminum"])])
    assert names(Matcher(directory).match("laser cut steel parts from a dxf", zip="48201", now=TODAY)) == ["Laser shop"]


def test_goods_named_by_their_use_find_the_makers_of_such_goods():
    directory = Directory(
        [
            maker(1, "Chocolatier", ["truffles; chocolate bars"]),
            maker(2, "Candle shop", ["soy candles"]),
            maker(3, "Welding shop", ["structural steel; trailer hitches"]),
        ]
    )
    found = names(Matcher(directory).match("corporate gifts for 40 clients", zip="48201", now=TODAY))
    assert sorted(found) == ["Candle shop", "Chocolatier"]


def test_a_maker_of_another_thing_of_the_same_trade_and_material_could_make_it():
    directory = Directory(
        [
            maker(1, "Cabinet shop", ["kitchen cabinets and vanities"]),
            maker(2, "Furniture maker", ["dining tables and benches"]),
            maker(3, "Toy maker", ["wooden toys"]),
            maker(4, "Ironworks", ["railings and gates"]),
        ]
    )
    matcher = Matcher(directory)
    found = matcher.match("custom kitchen cabinets", zip="48201", now=TODAY).matches
    assert [m.name for m in found] == ["Cabinet shop", "Furniture maker"]  # not the toys: another kind of goods
    assert found[1].fit == "sibling" and "that trade makes cabinets too" in found[1].why
    assert names(matcher.match("wooden crates to ship a machine", zip="48201", now=TODAY)) == []
    assert names(matcher.match("hand forged hooks", zip="48201", now=TODAY)) == []  # railings are no blacksmith's hooks
