"""The request parser, one table per thing it reads. Reference day: Friday 27 November 2026."""

from __future__ import annotations

from datetime import date

import pytest

from matching.parse import parse
from matching.quantities import unit_label
from tests.conftest import TODAY


def _p(text: str):
    return parse(text, TODAY)


QUANTITIES = [
    ("need 500 face shields", 500, None),
    ("1,000 gowns", 1000, None),
    ("5k surgical masks", 5000, None),
    ("1.5k ear savers", 1500, None),
    ("a thousand N95 masks", 1000, None),
    ("two dozen cloth gowns", 24, None),
    ("half a dozen intubation boxes", 6, None),
    ("five thousand masks", 5000, None),
    ("two hundred fifty caps", 250, None),
    ("500 pcs ear savers", 500, "piece"),
    ("500 units of hand sanitizer", 500, "piece"),
    ("300 BOXES OF GLOVES", 300, "box"),
    ("200 pairs of safety goggles", 200, "pair"),
    ("50 sets of scrubs", 50, "set"),
    ("50 gallons of hand sanitizer", 50, "gallon"),
    ("N95 masks x 4", 4, None),
    ("x 100 gowns", 100, None),
    ("qty 50 intubation boxes", 50, None),
    ("Quantity: 2,500 face shields", 2500, None),
    ("3-ply masks level 3, 2000 units", 2000, "piece"),
    ("10000 masks", 10000, None),
    ("dos mil mascarillas quirúrgicas", 2000, None),
    ("quinientas caretas", 500, None),
    ("نحتاج خمسمائة كمامة", 500, None),
    ("نحتاج ٥٠٠ كمامة", 500, None),
    ("٣ آلاف قفاز", 3000, None),
    ("N95s", None, None),
    ("3M N95 Masks", None, None),
    ("02 monitors", None, None),
    ("$2.10 each for face shields", None, None),
    ("KN95 respirators, level 3", None, None),
    ("NEMA 4X enclosure", None, None),  # a rating, not four of them
    ("Reynolds 853 frame", None, None),  # a tubing's grade
    ("soy candles, 8oz, 150 pcs", 150, "piece"),  # the count, not the size beside it
]


@pytest.mark.parametrize(("text", "quantity", "unit"), QUANTITIES)
def test_quantity(text, quantity, unit):
    parsed = _p(text)
    assert (parsed.quantity, parsed.unit) == (quantity, unit)


TRADE_QUANTITIES = [
    # Counting words and measures of every trade (issue 14); the unit is the singular, as for "gallon".
    ("Sourdough bread, 40 loaves every Friday", 40, "loaf", "Sourdough bread"),
    ("200 loaves of sourdough", 200, "loaf", "sourdough"),
    ("need 40 loaves", 40, None, "loaves"),  # the unit word is the thing asked for: "40 loaves", no unit
    ("beer, 20 kegs", 20, "keg", "beer"),
    ("gin, 30 bottles", 30, "bottle", "gin"),
    ("100 cans of soup", 100, "can", "soup"),
    ("50 jars of jam", 50, "jar", "jam"),
    ("200 bags of flour", 200, "bag", "flour"),
    ("need 500 bags", 500, None, "bags"),
    ("50 lbs of coffee", 50, "lb", "coffee"),
    ("10 kg of beeswax", 10, "kg", "beeswax"),
    ("beeswax, 10 kg", 10, "kg", "beeswax"),
    ("100 yards of denim", 100, "yard", "denim"),
    ("25 meters of cable", 25, "meter", "cable"),
    ("200 feet of rope", 200, "foot", "rope"),
    ("200 sq ft of tile", 200, "sq ft", "tile"),
    ("40 sheets of plywood", 40, "sheet", "plywood"),
    ("300 board feet of walnut", 300, "board foot", "walnut"),
    ("olive oil soap for our spa, 300 bars", 300, "bar", "olive oil soap"),
    ("10 rolls of fabric", 10, "roll", "fabric"),
    # A measure before a noun is a size, not the amount.
    ("12 oz jars of honey, 200", 200, None, "12 oz jars of honey"),
    ("6 ft tables, 10", 10, None, "6 ft tables"),
    # Model numbers are not counts; a round number after a model name still is.
    ("N95 1870", None, None, "N95"),
    ("3M 1860 respirators", None, None, "3M 1860 respirators"),
    ("3M 1860 respirators x 200", 200, None, "3M 1860 respirators"),
    ("N95 1000", 1000, None, "N95"),
    ("M8 bolts, 500", 500, None, "M8 bolts"),
    ("24V power supply", None, None, "24V power supply"),
    # Sizes are not counts.
    ("corrugated cardboard boxes 12x12x12, 500", 500, None, "corrugated cardboard boxes 12x12x12"),
    ("24x36 posters, 50", 50, None, "24x36 posters"),
    ("14 ft driveway gate", None, None, "14 ft driveway gate"),
    ("x 100 gowns", 100, None, "gowns"),
    # A slip in a unit word right after a number, where a unit is expected; not an ordinary word.
    ("500 peices of ear savers", 500, "piece", "ear savers"),
    ("20 bottels of gin", 20, "bottle", "gin"),
    ("10 galons of sanitizer", 10, "gallon", "sanitizer"),
    ("20 bottled waters", 20, None, "bottled waters"),
    # A measure before a rate or a function word is the amount, and the rate is no part of the item.
    ("coffee beans 20 lb a week for the office", 20, "lb", "coffee beans"),
    ("tortillas de maíz, 20 docenas por semana", 240, None, "tortillas de maíz"),
    ("200 tons of structural steel beams", 200, "ton", "structural steel beams"),
    ("3 half barrels of beer for the block party", 3, "keg", "beer"),
    ("engine rebuild for a 2012 F-150", None, None, "engine rebuild"),  # a model year
    ("a 2000 pcs order of gowns", 2000, "piece", "gowns"),
]


@pytest.mark.parametrize(("text", "quantity", "unit", "item"), TRADE_QUANTITIES)
def test_trade_quantity(text, quantity, unit, item):
    parsed = _p(text)
    assert (parsed.quantity, parsed.unit, parsed.item) == (quantity, unit, item)


@pytest.mark.parametrize(
    ("unit", "quantity", "label"),
    [("loaf", 200, "loaves"), ("loaf", 1, "loaf"), ("box", 300, "boxes"), ("keg", 20, "kegs"),
     ("board foot", 300, "board feet"), ("lb", 50, "lb"), ("sq ft", 200, "sq ft"), ("piece", 50, "pieces")],
)  # fmt: skip
def test_unit_label_reads_after_its_count(unit, quantity, label):
    assert unit_label(unit, quantity) == label


VAGUE_QUANTITIES = [
    # A vague count takes a modest reading of its words and is marked approximate.
    ("a few hundred ear savers", 300, True, "ear savers"),
    ("a couple hundred tees", 200, True, "tees"),
    ("several thousand masks", 3000, True, "masks"),
    ("a couple dozen cookies", 24, True, "cookies"),
    ("a few dozen cupcakes", 36, True, "cupcakes"),
    ("hundreds of face shields", 100, True, "face shields"),
    ("unas cuantas docenas de galletas", 36, True, "galletas"),
    ("half a dozen chairs", 6, False, "chairs"),
    ("two dozen cloth gowns", 24, False, "cloth gowns"),
    ("a few masks", None, False, "masks"),  # "a few" alone is no number
]


@pytest.mark.parametrize(("text", "quantity", "approximate", "item"), VAGUE_QUANTITIES)
def test_vague_quantity(text, quantity, approximate, item):
    parsed = _p(text)
    assert (parsed.quantity, parsed.approximate, parsed.item) == (quantity, approximate, item)
    assert parsed.as_dict()["approximate"] is approximate


DEADLINES = [
    ("need 500 face shields by Friday", date(2026, 12, 4), None),  # said on a Friday: next week's
    ("gowns by monday", date(2026, 11, 30), None),
    ("masks before Dec 10", date(2026, 12, 10), None),
    ("masks before December 10th", date(2026, 12, 10), None),
    ("caps by 10 Dec", date(2026, 12, 10), None),
    ("gowns by 4/15", date(2027, 4, 15), None),  # April has passed this year
    ("gowns by 12/20/2026", date(2026, 12, 20), None),
    ("gowns by 2027-01-05", date(2027, 1, 5), None),
    ("ear savers within 2 weeks", date(2026, 12, 11), None),
    ("ear savers in 10 days", date(2026, 12, 7), None),
    ("within a month", date(2026, 12, 27), None),
    ("face shields tomorrow", date(2026, 11, 28), None),
    ("gowns by next week", date(2026, 12, 4), None),
    ("by the end of the month", date(2026, 11, 30), None),
    ("gowns asap", None, "asap"),
    ("NEED N95's Yesterday!!!! Please get them here ASAP", None, "asap"),
    ("intubation boxes, no rush", None, "no_rush"),
    ("caretas para el viernes", date(2026, 12, 4), None),
    ("batas antes del 10 de diciembre", date(2026, 12, 10), None),
    ("mascarillas lo antes posible", None, "asap"),
    ("بحلول يوم الجمعة", date(2026, 12, 4), None),
    ("خلال أسبوعين", date(2026, 12, 11), None),
    ("كمامات عاجل", None, "asap"),
    ("sun shields", None, None),  # "sun" alone is not Sunday
    ("masks by 2/30", None, None),  # no such day
]


@pytest.mark.parametrize(("text", "deadline", "urgency"), DEADLINES)
def test_deadline(text, deadline, urgency):
    parsed = _p(text)
    assert (parsed.deadline, parsed.urgency) == (deadline, urgency)


PLACES = [
    ("need 500 face shields by Friday near 48201", "48201", None),
    ("ship to 48201-2153", "48201", None),
    ("gowns zip 48126", "48126", None),
    ("masks 48201", "48201", None),
    ("48201 need masks", "48201", None),
    ("face shields within 25 miles of 48201", "48201", 25.0),
    ("gowns within 40 km", None, 24.9),
    ("25-mile radius", None, 25.0),
    ("necesitamos caretas cerca de 48201", "48201", None),
    ("نحتاج كمامات قرب 48201", "48201", None),
    ("10000 masks", None, None),  # a count, not a ZIP
    ("500 masks", None, None),
]


@pytest.mark.parametrize(("text", "zip_code", "radius"), PLACES)
def test_place(text, zip_code, radius):
    parsed = _p(text)
    assert (parsed.zip, parsed.radius_miles) == (zip_code, radius)


COURTESY = [
    # Please and thanks, in any language and on either side of the place, hide neither the place nor the count,
    # and stay out of the item: (text, zip, quantity, item).
    ("necesitamos 500 caretas cerca de 48201 por favor", "48201", 500, "caretas"),
    ("need 500 face shields near 48201 por favor", "48201", 500, "face shields"),
    ("need 500 face shields in 48201 por favor", "48201", 500, "face shields"),
    ("necesitamos 500 caretas en 48201, gracias 🙏", "48201", 500, "caretas"),
    ("need 500 face shields near 48201 s'il vous plaît", "48201", 500, "face shields"),
    ("need 500 face shields near 48201 svp, merci!", "48201", 500, "face shields"),
    ("need 500 face shields near 48201 bitte, danke", "48201", 500, "face shields"),
    ("need 200 gowns near 48201 obrigada", "48201", 200, "gowns"),
    ("need 200 gowns near 48201 per favore, grazie mille", "48201", 200, "gowns"),
    ("نحتاج 500 درع وجه بالقرب من 48201 لو سمحت", "48201", 500, "درع وجه"),
    ("نحتاج 500 درع وجه قرب 48201 شكراً 🙏", "48201", 500, "درع وجه"),
    ("نحتاج 500 درع وجه في 48201 شكرا", "48201", 500, "درع وجه"),
    ("please, 500 custom tote bags near 48201 thanks", "48201", 500, "custom tote bags"),
    ("need 500 widgets near 48201 merci", "48201", 500, "widgets"),
    ("500 widgets, por favor en 48201 gracias", "48201", 500, "widgets"),
    ("500 caretas 48201 köszönöm", "48201", 500, "caretas"),  # thanks the parser does not know
    ("mil gracias, necesitamos 500 caretas cerca de 48201", "48201", 500, "caretas"),  # "mil" counts nothing
    ("kindly send 500 face shields near 48201", "48201", 500, "face shields"),  # not a misspelt Kindle
]


@pytest.mark.parametrize(("text", "zip_code", "quantity", "item"), COURTESY)
def test_courtesy_hides_nothing(text, zip_code, quantity, item):
    parsed = _p(text)
    assert (parsed.zip, parsed.quantity, parsed.item) == (zip_code, quantity, item)


CITIES = [
    ("isolation gowns for our nursing home in Dearborn by next Friday", "Dearborn, MI"),
    ("500 face shields near detroit", "Detroit, MI"),
    ("masks in Ann Arbor, Michigan", "Ann Arbor, MI"),
    ("ship to St. Louis, MO 20 intubation boxes", "Saint Louis, MO"),
    ("masks near Detroit Please", "Detroit, MI"),
    ("masks in Ann Arbor Thank you", "Ann Arbor, MI"),
    ("caretas en Dearborn Gracias", "Dearborn, MI"),
    ("need gowns at Beaumont Hospital", None),  # a hospital, not Beaumont, Texas
    ("in need of masks", None),
]


@pytest.mark.parametrize(("text", "place"), CITIES)
def test_city(text, place):
    parsed = _p(text)
    assert parsed.place_name == place
    assert (parsed.zip_source == "city") == (place is not None)


ITEMS = [
    # The buyer's words for the item, and what they name. Real phrases from findthemasks (March 2020).
    ("need 500 face shields by Friday near 48201", "face shields", ("face_shield",)),
    ("We need 1,000 N95 masks before Dec 10, ship to 48201-2153", "N95 masks", ("n95",)),
    ("Can anyone make 200 sneeze guards for our front desk?", "sneeze guards", ("sneeze_guard",)),
    ("LOOKING FOR 300 BOXES OF GLOVES!!!", "GLOVES", ("gloves",)),
    ("two dozen cloth gowns for our clinic pls 🙏", "cloth gowns", ("cloth_gown",)),
    ("Gowns are in extreme needs.", "Gowns", ("gown",)),
    ("Hello, I'm a nurse at Henry Ford. We need 500 gowns asap.", "gowns", ("gown",)),
    ("We have field staff of 200 and only 20 N95 masks", "N95 masks", ("n95",)),
    ("Masks (N95) and Hand Sanitizer.", "Masks (N95) and Hand Sanitizer", ("n95", "sanitizer")),
    ("N95/ face shields", "N95/ face shields", ("n95", "face_shield")),
    ("Faceshields", "Faceshields", ("face_shield",)),
    ("N95masks", "N95masks", ("n95",)),
    ("respirtaors", "respirtaors", ("respirator",)),
    ("Safety googles", "Safety googles", ("safety_goggles",)),
    ("thermothers", "thermothers", ("thermometer",)),
    ("Hand disfection", "Hand disfection", ("sanitizer",)),
    ("PAPPR", "PAPPR", ("papr",)),
    ("Home sewn masks: https://www.craftpassion.com/face-mask-sewing-pattern/", "Home sewn masks", ("cloth_mask",)),
    ("cotton fabric medical face masks", "cotton fabric medical face masks", ("cloth_mask",)),
    ("10,000 3-ply disposable masks", "3-ply disposable masks", ("surgical_mask",)),
    ("PPE - N95 Masks", "PPE - N95 Masks", ("n95",)),
    ("plastic for face shields", "plastic for face shields", ("face_shield.part",)),
    ("necesitamos 500 caretas para el viernes cerca de 48201", "caretas", ("face_shield",)),
    ("نحتاج 500 درع وجه بحلول يوم الجمعة قرب 48201", "درع وجه", ("face_shield",)),
    ("口罩", "口罩", ("surgical_mask",)),
    # Words written with marks or joiners that Python's \w leaves out are still whole words.
    ("نحتاج قنـاع", "قنـاع", ("face_mask",)),  # tatweel
    ("نحتاج قِناع", "قِناع", ("face_mask",)),  # a vowel sign
    ("نحتاج ق\u200cناع", "ق\u200cناع", ("face_mask",)),  # a zero-width non-joiner
    # A translation beside the item, in the other script, is not part of the item nor a second one...
    ("face shields قناع", "face shields", ("face_shield",)),
    ("face shields قنـاع", "face shields", ("face_shield",)),
    ("500 gloves (قفازات) near 48201", "gloves", ("gloves",)),
    ("قفازات / gloves", "قفازات", ("gloves",)),
    # ...but joined by a comma or "and" it is a second item.
    ("need masks and قفازات", "masks and قفازات", ("face_mask", "gloves")),
    ("need 500 ma\u0301scaras", "máscaras", ("face_mask",)),  # the accent typed as its own mark
    ("layers are relatively easy to breathe through", "layers are relatively easy to breathe through", ()),
]


MODIFIERS = [
    # How and of what the product is to be made (issue 14): canonical names, None when the text does not say.
    ("CNC machined aluminum brackets, 50 pcs", "CNC machining", "aluminum"),
    ("laser engraved wedding invitations", "laser engraving", None),
    ("powder coat 40 railings", "powder coating", None),
    ("stainless railings for a deck", None, "stainless steel"),
    ("stainless steel brackets, 100", None, "stainless steel"),
    ("oak dining table for 8", None, "oak"),
    ("need a pattern made and 6 parts cast in bronze", "casting", "bronze"),
    ("organic cotton tees, 100", None, "organic cotton"),
    ("3D printed nylon gears", "3D printing", "nylon"),
    ("embroidered polos with our logo", "embroidery", None),
    ("screen printed tees", "screen printing", None),
    ("40 steel brackets, machined then powder coated", "CNC machining", "steel"),
    ("juguetes de madera", None, "wood"),
    ("bolsas de algodón bordadas", "embroidery", "cotton"),
    ("طاولة خشبية", None, "wood"),
    ("alumnum brackets", None, "aluminum"),  # a slip in a long word
    ("3d printted parts, 200 pcs", "3D printing", None),  # a slipped word still joins its phrase
    ("laser engravng on 60 tumblers", "laser engraving", None),
    ("injecton molding 10k parts", "injection molding", None),
    ("a used CNC machine for sale", "CNC machining", None),  # "machine" is a word, not a slip of "machined"
    ("beer and gin for a wedding of 150", None, None),  # nor is "wedding" one of "welding"
    ("bordar 50 camisas con logo", "embroidery", None),
    ("necesitamos soldar una reja", "welding", None),
    # A material word that is the product, or ends its name, describes nothing.
    ("safety glasses", None, None),
    ("need 500 face shields by Friday near 48201", None, None),
    ("gowns asap", None, None),
]


HEADS = [
    # The product is the head of the phrase; process and material words describe it (issue 14). The item
    # keeps the buyer's words; `product` is the head alone, None when only a service is named.
    ("CNC machined aluminum brackets, 50 pcs", "CNC machined aluminum brackets", "brackets", 50),
    ("CNC machined brackets, 50", "CNC machined brackets", "brackets", 50),
    ("laser engraved wedding invitations", "laser engraved wedding invitations", "wedding invitations", None),
    ("lathe turned wooden table legs, 16", "lathe turned wooden table legs", "table legs", 16),
    ("oak dining table for 8", "oak dining table", "dining table", 8),
    ("hand sewn masks", "hand sewn masks", "masks", None),
    # A service done to a thing: the thing is the product, and the count is of it.
    ("powder coat 40 railings", "powder coat railings", "railings", 40),
    ("need powder coating for 40 railings", "powder coating for railings", "railings", 40),
    ("vacuum forming 300 trays", "vacuum forming trays", "trays", 300),
    ("need CNC machining for 200 parts", "CNC machining for parts", "parts", 200),
    ("turning work: 500 pins", "turning work: pins", "pins", 500),
    ("laser engraving our logo on 100 cutting boards", "laser engraving our logo on cutting boards",
     "cutting boards", 100),
    ("screen printing on 150 t-shirts, 2 colors front", "screen printing on t-shirts", "t-shirts", 150),
    ("welding repair on a trailer frame", "welding repair on a trailer frame", "trailer frame", None),
    # Only a service, or a thing the process words describe as one phrase.
    ("bordar 50 camisas con logo", "bordar camisas", "camisas", 50),  # the shirts named, as in English
    ("soldadura de un portón", "soldadura de un portón", "portón", None),
    ("welding", "welding", None, None),
    ("looking for someone who does injection molding, 5000 pcs", "injection molding", None, 5000),
    ("baked goods for a bake sale", "baked goods", "goods", None),
    # A machine for sale, which the taxonomy knows as such (nobody makes it): its words are the item.
    ("a used CNC machine for sale", "used CNC machine", "used CNC machine", None),
    ("beeswax, 10 kg", "beeswax", "beeswax", 10),
    ("need 500 face shields by Friday near 48201", "face shields", "face shields", 500),
]


@pytest.mark.parametrize(("text", "item", "product", "quantity"), HEADS)
def test_product_is_the_head(text, item, product, quantity):
    parsed = _p(text)
    assert (parsed.item, parsed.product, parsed.quantity) == (item, product, quantity)


@pytest.mark.parametrize(("text", "process", "material"), MODIFIERS)
def test_process_and_material(text, process, material):
    parsed = _p(text)
    assert (parsed.process, parsed.material) == (process, material)
    assert parsed.as_dict()["process"] == process and parsed.as_dict()["material"] == material


@pytest.mark.parametrize(("text", "item", "items"), ITEMS)
def test_item(text, item, items):
    parsed = _p(text)
    assert (parsed.item, parsed.items) == (item, items)


def test_language():
    assert _p("necesitamos 500 caretas").language == "es"
    assert _p("نحتاج كمامات").language == "ar"
    assert _p("need masks").language == "en"
    assert _p("500 face shields قناع").language == "en"  # an English request with an Arabic gloss


@pytest.mark.parametrize("text", ["", "   ", "🙂🙂🙂", "!!!", "500", None, 3.25, "\x00\x00"])
def test_nothing_usable_is_unknown_not_an_error(text):
    parsed = parse(text, TODAY)
    assert parsed.items == ()
    assert parsed.deadline is None and parsed.zip is None


def test_only_a_number_is_a_quantity_without_item():
    parsed = _p("500")
    assert (parsed.item, parsed.quantity) == (None, 500)


def test_very_long_text_is_cut_not_refused():
    parsed = _p("need 500 face shields " + "please " * 5000)
    assert parsed.items == ("face_shield",)
    assert parsed.quantity == 500


NOT_QUANTITIES = [
    # Numbers that belong to something else: a time, a day, a size, a phone number, a street address.
    "need masks by 10am",
    "need 10mm tubing",
    "face shields, 12in visor",
    "need masks, call (313) 555-0100",
    "delivered to 123 Main St, Detroit MI 48201",
    "zip 482011 masks",
]


@pytest.mark.parametrize("text", NOT_QUANTITIES)
def test_numbers_that_are_not_counts(text):
    assert _p(text).quantity is None


def test_ordinal_day_is_a_deadline():
    assert _p("gowns by the 21st near 48201").deadline == date(2026, 12, 21)
    assert _p("masks by the 15th").deadline == date(2026, 12, 15)


@pytest.mark.parametrize(
    ("text", "zip_code", "quantity"),
    [
        ("need masks in 20000 pcs", None, 20000),
        ("Our 48201 clinic needs masks", "48201", None),
        ("need masks in 48201", "48201", None),
        ("need 12345 widgets", None, 12345),  # nothing else can be the count
        ("need 12345 widgets near 48201", "48201", 12345),
        ("need 20500 disposable gowns", None, 20500),
        ("near 48201 500 masks", "48201", 500),
    ],
)
def test_labelled_zip_or_count(text, zip_code, quantity):
    parsed = _p(text)
    assert (parsed.zip, parsed.quantity) == (zip_code, quantity)


@pytest.mark.parametrize(
    "text",
    [
        "need 100 gowns in Michigan",  # a state, not Michigan, North Dakota
        "gowns in Ohio",
        "need gowns at Henry Ford Hospital",  # not Henry, Virginia
        "at Garden City Hospital",
        "at Wayne State University",
        "at St. Joseph Mercy",
        "around Christmas",
        "at Home",
    ],
)
def test_names_that_are_not_towns(text):
    assert _p(text).place_name is None


def test_filler_stays_out_of_part_requests():
    assert _p("need ventilator parts near 48201").item == "ventilator parts"
    assert _p("need plastic for face shields").item == "plastic for face shields"


ADVERSARIAL = [
    "due by " * 300,
    "para el " * 250,
    "hasta el " * 250,
    "in " * 700,
    "by by by by " * 100,
    "1 " * 1000,
    "near " * 400,
    "ship to " * 250,
    "need " + "hundred " * 250 + "face shields",
    "need 500 face shields near 48201 within 3000000 days",
    "٥" * 2000,
    "a" * 5000,
    "x" * 100 + "," * 1900,
]


@pytest.mark.parametrize("text", ADVERSARIAL, ids=range(len(ADVERSARIAL)))
def test_adversarial_input_returns(text):
    """Inputs that once hung the parser (exponential regex) or overflowed; a hang fails by alarm, not by timing."""
    import signal

    def hung(*_):
        raise TimeoutError("parse did not return")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(20)
    try:
        parsed = _p(text)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert parsed.quantity is None or parsed.quantity < 1_000_000_000


def test_a_silly_deadline_keeps_the_rest():
    parsed = _p("need 500 face shields near 48201 within 3000000 days")
    assert (parsed.items, parsed.quantity, parsed.zip, parsed.deadline) == (("face_shield",), 500, "48201", None)


def test_where_said_without_a_place_is_not_part_of_the_item():
    parsed = parse("a makerspace near me")
    assert parsed.item == "makerspace" and parsed.items == ("makerspace",)


def test_a_phrase_ending_in_half_a_process_name_parses():
    # A process word at the very end used to read past the last word (an IndexError, caught as a parse failure).
    assert parse("branded merchandise for a conference").item == "branded merchandise"


@pytest.mark.parametrize("text", ["3-D printed knobs, 20", "20 3-d printed knobs", "3-d printing 20 knobs"])
def test_3_d_with_a_hyphen_or_a_space_is_3d_not_a_count_of_three(text):
    parsed = parse(text)
    assert parsed.quantity == 20 and "3d_printing" in parsed.items
