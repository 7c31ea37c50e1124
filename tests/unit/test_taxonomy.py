"""The shipped taxonomy: what it recognises, and what it refuses to confuse."""

from __future__ import annotations

import pytest

from matching.taxonomy import build_taxonomy, load_taxonomy


@pytest.fixture(scope="module")
def tax():
    return load_taxonomy()


def ids(tax, text):
    return [t.id for t in tax.tag(text)]


NAMES = [
    # Buyers' and makers' words → canonical ids (real wording from findthemasks, GetUsPPE, NAICS, Detroit 2020).
    ("Face shields", ["face_shield"]),
    ("visors", ["face_shield"]),
    ("N95s", ["n95"]),
    ("N-95 masks", ["n95"]),
    ("FFP2", ["n95"]),
    ("KN95 Respirators", ["kn95"]),
    ("Surgical Caps / Bouffant Caps", ["surgical_cap"]),
    ("Disposable booties", ["shoe_cover"]),
    ("Coveralls / Bunny Suits", ["coveralls"]),
    ("Sneeze Guards / Barriers", ["sneeze_guard"]),
    ("Plastic ear saver", ["ear_saver"]),
    ("Intubation box/shield", ["intubation_box"]),
    ("PAPR Replacement Face Shields", ["papr_shield"]),
    ("Maxair CAPR shields", ["papr_shield"]),
    ("hospital-grade masks", ["surgical_mask"]),
    ("Hand-sewn face masks", ["cloth_mask"]),
    ("reusable gowns from airbag material", ["cloth_gown"]),
    ("Gowns, hospital, surgical and patient, cut and sew apparel contractors", ["gown", "sewing"]),
    ("3D printing service", ["3d_printing"]),
    ("Sewing or textiles", ["sewing"]),
    ("distillery", ["distilling"]),
    ("Machine shops", ["cnc_machining"]),
    ("knife cutter (similar to die cutting)", ["die_cutting"]),
    # Spanish and Arabic, from findthemasks' translations and usage
    ("Caretas", ["face_shield"]),
    ("mascarillas quirúrgicas", ["surgical_mask"]),
    ("cubrebocas de tela", ["cloth_mask"]),
    ("Alcohol en gel", ["sanitizer"]),
    ("Guantes", ["gloves"]),
    ("دروع الوجه", ["face_shield"]),
    ("معقم اليدين", ["sanitizer"]),
    ("أقنعة جراحية", ["surgical_mask"]),
    ("الخياطة", ["sewing"]),
    # Other locales of the 16 (findthemasks i18n)
    ("Visières", ["face_shield"]),
    ("Gesichtsschutz", ["face_shield"]),
    ("フェイスシールド", ["face_shield"]),
    ("안면 보호대", ["face_shield"]),
    ("Хирургические маски", ["surgical_mask"]),
]


@pytest.mark.parametrize(("text", "expected"), NAMES)
def test_names(tax, text, expected):
    assert ids(tax, text) == expected


LOOK_ALIKES = [
    # Share a word with PPE, are not PPE: a plain string matcher would send these to a hospital.
    ("Bridal dresses or gowns, custom made", "gown"),
    ("Gowns, wedding, cut and sew apparel contractors", "gown"),
    ("Caps and gowns, academic", "gown"),
    ("Nightgowns cut and sew apparel contractors", "gown"),
    ("Heat shields, carbon or graphite, manufacturing", "face_shield"),
    ("Windshields, plastics, manufacturing", "face_shield"),
    ("Baseball caps", "surgical_cap"),
    ("Work gloves and mittens, knit", "gloves"),
    ("ski masks", "face_mask"),
    ("welding masks", "face_mask"),
    ("masking tape", "face_mask"),
    ("Sewage treatment plants", "sewing"),
    ("vapor barrier installation", "sneeze_guard"),
    ("baby booties", "shoe_cover"),
    ("layers are relatively easy to breathe through", "laser_cutting"),
]


@pytest.mark.parametrize(("text", "not_this"), LOOK_ALIKES)
def test_look_alikes_are_something_else(tax, text, not_this):
    assert not_this not in ids(tax, text)


PARTS = [
    ("ventilator airflow assemblies", "ventilator.part"),
    ("Ventilator part", "ventilator.part"),
    ("plastic for face shields", "face_shield.part"),
    ("transparency sheets", "face_shield.part"),
    ("N95 Mask replacements", "n95.part"),
    ("PAPR hoods", "papr.part"),
    ("Filters for cloth masks with pockets", "cloth_mask.part"),
]


@pytest.mark.parametrize(("text", "part"), PARTS)
def test_parts_are_not_the_whole(tax, text, part):
    found = ids(tax, text)
    assert part in found
    assert part.removesuffix(".part") not in found


def test_typos_are_forgiven_and_marked(tax):
    tags = tax.tag("Safety gogles")
    assert [t.id for t in tags] == ["safety_goggles"]
    assert tags[0].exact is False
    assert tax.tag("Safety goggles")[0].exact is True


def test_generic_word_beside_a_kind_means_the_kind(tax):
    assert ids(tax, "3M N95 Masks") == ["n95"]
    assert ids(tax, "Masks and gowns") == ["face_mask", "gown"]


def test_processes_make_items_not_machines(tax):
    makes_face_shields = tax.processes_for("face_shield")
    assert {"3d_printing", "laser_cutting", "die_cutting", "injection_molding", "vacuum_forming"} <= makes_face_shields
    assert tax.processes_for("cloth_mask") >= {"sewing"}
    assert tax.processes_for("gown") >= {"sewing"}
    assert tax.processes_for("surgical_cap") >= {"sewing"}
    assert tax.processes_for("sanitizer") >= {"distilling", "chemical_manufacturing"}
    assert "brewing" not in tax.processes_for("sanitizer")  # a brewery that made it says so
    # A machine shop makes ventilator parts, never a ventilator.
    assert "cnc_machining" in tax.processes_for("ventilator.part")
    assert tax.processes_for("ventilator") == frozenset()
    assert tax.processes_for("n95") == frozenset()


def test_hierarchy(tax):
    assert "face_mask" in tax.ancestors("cloth_mask")
    assert {"n95", "kn95", "papr"} <= tax.descendants("respirator")
    assert tax.concept("n95").strict is True
    assert tax.concept("ventilator.part").kind == "part"
    assert tax.label("ventilator.part") == "parts for ventilators"


def test_every_process_target_and_parent_exists(tax):
    for concept in tax.concepts.values():
        for target in concept.makes:
            assert tax.concept(target) is not None, (concept.id, target)
        if concept.parent:
            assert concept.parent in tax.concepts


def test_broken_taxonomy_data_is_refused():
    with pytest.raises(ValueError, match="unknown parent"):
        build_taxonomy({"item": [{"id": "a", "label": "a", "parent": "nope"}]}, {})
    with pytest.raises(ValueError, match="makes unknown item"):
        build_taxonomy({"process": [{"id": "p", "label": "p", "makes": ["nope"]}]}, {})
    with pytest.raises(ValueError, match="duplicate id"):
        build_taxonomy({"item": [{"id": "a", "label": "a"}, {"id": "a", "label": "b"}]}, {})


def test_every_concept_names_its_sources(tax):
    missing = [c.id for c in tax.concepts.values() if not c.sources]
    assert missing == []


@pytest.mark.parametrize(
    ("process", "item"),
    [
        ("turning", "turned_part"),
        ("sewing", "tote_bag"),
        ("sewing", "uniform"),
        ("brewing", "beer"),
        ("distilling", "spirits"),
        ("baking", "bread"),
        ("makerspace", "prototype"),
        ("cabinetmaking", "cabinet"),
        ("screen_printing", "printed_tshirt"),
        ("cable_assembly", "wire_harness"),
    ],
)
def test_trades_make_their_products(tax, process, item):
    assert process in tax.processes_for(item)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("juguetes de madera", "wooden_toy"),
        ("gabinetes de cocina", "cabinet"),
        ("rejas", "railing"),
        ("velas de soya", "candle"),
        ("خبز عربي", "bread"),
        ("تطريز", "embroidery"),
        ("مخبز", "baking"),
        ("tees", "tshirt"),
        ("built-ins", "millwork"),
        ("powder coat", "powder_coating"),
        ("laser etching", "engraving"),
        ("swag", "promo_products"),
        ("band merch", "merch"),
    ],
)
def test_trade_words_in_three_languages(tax, text, expected):
    assert expected in ids(tax, text)


@pytest.mark.parametrize(
    ("text", "not_this"),
    [
        ("shield logos for a football team", "face_shield"),
        ("dog masks", "face_mask"),
        ("polypropylene caps", "surgical_cap"),
    ],
)
def test_trade_look_alikes(tax, text, not_this):
    assert not_this not in ids(tax, text)


def test_naics_derived_aliases_are_read_after_the_hand_written_ones(tax):
    # "Rolling pins, wood, manufacturing" (NAICS 321999) becomes "wood rolling pins", a wood product.
    assert "wood_products" in ids(tax, "wood rolling pins")
    # NAICS 311812 also says "bread"; the hand-written alias keeps it for bread, not for baked goods in general.
    assert ids(tax, "bread") == ["bread"]


def test_a_derived_alias_never_takes_a_hand_written_word():
    data = {
        "item": [
            {"id": "bread", "label": "bread", "aliases": ["loaf"]},
            {"id": "baked_goods", "label": "baked goods"},
        ]
    }
    built = build_taxonomy(data, {}, derived={"baked_goods": ["loaf", "crullers"], "unknown": ["x"]})
    assert [t.id for t in built.tag("loaf")] == ["bread"]
    assert [t.id for t in built.tag("crullers")] == ["baked_goods"]


def test_who_an_order_is_for_is_not_a_second_item(tax):
    assert ids(tax, "boxes and labels for our hot sauce") == ["packaging_box", "label"]
    assert ids(tax, "packaging for my candle business") == ["packaging"]
    # Nothing named before "for": the words after it are the item.
    assert ids(tax, "for our café: 40 sourdough loaves") == ["bread"]
    assert ids(tax, "plastic for face shields") == ["face_shield.part"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20 kegs of IPA", "beer"),
        ("IPA 70% for the clinic", "isopropyl_alcohol"),
        ("custom tees with our logo", "printed_tshirt"),
        ("private label bar soap", "soap"),
        ("CNC machinist training", "training_cnc"),
    ],
)
def test_the_words_around_a_word_decide_what_it_is(tax, text, expected):
    assert expected in ids(tax, text)


def test_private_label_names_no_label(tax):
    assert "label" not in ids(tax, "private label candles")
    assert "cnc_machining" not in ids(tax, "CNC machinist training")


def test_everyday_spanish_words_are_not_typos(tax):
    assert ids(tax, "tamales de pollo") == ["tamales"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("coffee table", ["furniture"]), ("wine rack", ["furniture"]), ("laser printer", ["maker_supplies"])],
)
def test_the_first_word_of_a_compound_is_not_a_product(tax, text, expected):
    assert ids(tax, text) == expected


def test_one_slip_of_the_keys_beats_two_words_run_together(tax):
    assert ids(tax, "candels") == ["candle"]
    assert ids(tax, "3dprinting") == ["3d_printing"]
    assert ids(tax, "laserengraving") == ["engraving"]  # two words of one known phrase run together
    assert ids(tax, "recoating") == ["metal_finishing"]  # a verb done again
    assert ids(tax, "candlesticks") == []  # a word of its own that only holds two known ones


def test_water_based_inks_are_no_drinking_water(tax):
    assert "food" not in ids(tax, "water-based inks")
    assert "food" not in ids(tax, "food business classes")


@pytest.mark.parametrize(
    ("text", "not_this"),
    [
        ("manual and CNC lathe work", "book"),
        ("40 printers", "commercial_printing"),
        ("LED light fixtures", "machined_part"),
        ("half and sixth barrel kegs", "wood_products"),
        ("3D scanning and printing", "commercial_printing"),
    ],
)
def test_trade_words_that_mean_something_else_here(tax, text, not_this):
    assert not_this not in ids(tax, text)


@pytest.mark.parametrize("word", ["machine", "umbrellas", "tents", "flooring", "suits"])
def test_catch_all_industries_lend_no_words(tax, word):
    # NAICS "all other" industries (339999 candles… and umbrellas) give no aliases to a specific item.
    assert ids(tax, word) == []


def test_a_doubled_letter_typed_once_is_forgiven_in_short_words():
    from matching.taxonomy import load_taxonomy
    from matching.text import tokens

    taxonomy = load_taxonomy()
    assert [tag.id for tag, _s, _e in taxonomy.locate(tokens("stained glas window"))] == ["stained_glass"]


def test_what_a_thing_is_for_is_no_second_item():
    from matching.taxonomy import load_taxonomy
    from matching.text import tokens

    taxonomy = load_taxonomy()

    def ids(text):
        return [tag.id for tag, _s, _e in taxonomy.locate(tokens(text))]

    assert ids("candles and soap for gift bags") == ["candle", "soap"]
    assert "hat" in ids("screen printing for tshirts and hats")  # a process before "for": the things are wanted
