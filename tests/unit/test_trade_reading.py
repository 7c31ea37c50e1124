"""How the taxonomy reads buyers' slips and makers' phrases, and what a few request shapes ask for."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import pytest

from matching import geo
from matching.directory import Directory, MakerProfile
from matching.matcher import Matcher
from matching.parse import parse
from matching.taxonomy import load_taxonomy
from tests.conftest import TODAY


@pytest.fixture(scope="module")
def tax():
    return load_taxonomy()


def _ids(tags) -> list[str]:
    return [t.id for t in tags]


@pytest.mark.parametrize(
    ("word", "reads_as"),
    [
        ("lazer", "laser"),  # z and s are neighbouring keys; "lager" is one slip away too
        ("powdr", "powder"),  # a letter left out, not "power"
        ("trailor", "trailer"),  # a vowel for a vowel, not "tailor"
        ("touring", "touring"),  # an English word with an ending: not "turning"
        ("crack", "crack"),  # the first letter is rarely the slip: not "rack"
        ("bunch", "bunch"),  # not "bench"
    ],
)
def test_a_slip_reads_as_the_likeliest_word(tax, word, reads_as):
    assert tax._correction(word)[0] == (reads_as,)


@pytest.mark.parametrize(
    ("phrase", "offered"),
    [
        ("anodize & powder outsourced", []),
        ("screen printing, no embroidery", ["screen_printing"]),
        ("no minimum on screen printing", ["screen_printing"]),
        ("wholesale accounts for coffee shops & grocers", []),
        ("custom mugs for cafes & breweries", ["ceramics"]),
        ("frames for face shields", ["face_shield.part"]),
        ("welders for rent", []),
        ("open shop hours; bike repair", ["tool_access", "machine_service"]),
        ("private label candles for boutiques", ["candle"]),
        ("stair balusters & table legs turned to match", ["turned_wood", "woodturning"]),
        ("lost wax casting in gold & silver", ["jewelry_making"]),
        ("CNC plasma table 5x10", ["metal_cutting"]),
        ("we don't build guitars", []),  # the "not" goes on past its verb
        ("no hacemos tortillas", []),
        ("NOT a custom furniture shop", []),
        ("screen printing, no embroidery or sewing", ["screen_printing"]),  # and on past "or"
        ("tees and hoodies, no minimum", ["tshirt", "hoodie"]),
        ("wheels, railings, bike frames (coating only - we don't fabricate or weld)", ["metal_finishing"]),
        ("passivation of stainless", ["surface_treatment"]),  # no plating: it lays down no metal
        ("sides by the pan", []),  # an English pan, no bread
        ("bisque mugs, plates & figurines to paint", []),  # blanks the customers paint
        ("paint-your-own pottery", []),
        ("coffee scented candles", ["candle"]),  # the coffee says how the candles smell
        ("anodize & powder subbed out", []),
        ("vinyl pressing through our plant partner", []),
        ("contract sewing partner for outdoor brands", ["sewing"]),
        ("acrylic, baltic birch plywood, MDF, felt, leather", ["plastics_fabrication"]),  # materials, no leather goods
        ("merch design", ["design_engineering"]),  # the design, not the merch
        ("CNC router nested", ["cnc_routing"]),  # a cabinet shop's router is no machine shop
        ("sourcing knits & wovens", []),  # fabrics
        ("woodturning - bowls, vases, pens", ["turned_wood"]),  # wooden vases, no blown glass
        ("distributor: nitrile gloves, N95 & KN95", []),  # resold, not made
        ("totopos en bolsa de 5 lb", ["tortilla"]),  # how the totopos come
        ("teething rings (maple, food safe finish)", ["wooden_toy"]),  # no jewellery
        ("guitar repairs", []),  # work on the buyer's guitar
        ("stained glass repair", ["stained_glass"]),  # a trade mending its own craft
        ("vintage guitar neck repair", []),  # one word may come between
        ("Tiffany-style lamps; repair and restoration", ["lighting"]),  # two offers
        ("خبز صاج وخبز عربي", ["bread"]),  # saj bread, no sheet metal
        ("lighted cabinet signs", ["sign"]),  # a noun before another says what it is for
        ("bourbon truffles, bonbons", ["chocolate"]),
        ("jar, bottle and candle labels", ["label"]),
        ("engraved cutting boards & coasters", ["engraved_goods", "cutting_board", "laser_cut_part"]),  # a participle
        ("prototype PCBA (5-500 boards)", ["prototype", "pcb_assembly"]),  # a stage of any making
        ("cold brew kegs", ["coffee", "beer"]),  # a container may hold what is named before it
        ("candle holders & bike racks", []),  # what holds a thing is no thing of its own kind
        ("laser engraving on jewelry, tumblers", ["engraving", "engraved_goods"]),  # engraved, not made
        ("jewelry engraving", ["engraving"]),
        ("custom jewelry & engraving", ["jewelry", "engraving"]),
        ("laser etching - pint & rocks glasses (sandblast etch)", ["engraving"]),  # etched glasses, no coating
        ("study tables & wifi", []),  # what a café offers its guests
        ("we brew beans from Manchester Street Coffee Roasters (we don't roast)", []),  # a source by its name
        ("drip coffee & espresso", []),  # a café's drinks, no roasted coffee
        ("coffee shop & roastery", ["coffee_roasting"]),
        ("we carry local spirits", []),  # sold here, made elsewhere
        ("liquor store", []),
        ("in stock: 200 pallets ready", ["pallet"]),
        ("pottery classes", ["ceramics", "training"]),  # the subject of a class
        ("we design, partners print", ["design_engineering"]),  # what the partner does
        ("anodize & plating handled through approved outside vendors", []),
        ("no wide-format banners", []),  # the "not" reaches past two describing words
        ("no rush fees on banners", ["banner"]),  # not past what says something else
        ("molds built in house", []),  # no built-ins
        ("leather seat repair", []),  # the seat is mended, no leather goods made
        ("leather repair", ["leather_goods"]),  # a trade mending its own craft
        ("keg & CO2 refills", []),  # the buyer's keg refilled
        ("homebrew supplies", []),  # for brewing, not beer
        ("we design only - printing is referred to partner shops", ["design_service"]),  # a design alone
        ("product labels on rolls", ["label"]),  # how the labels come, no bread rolls
        ("tile installation - backsplashes, showers, floors", ["site_service", "sheet_metal_part"]),  # no tiles
        ("rent welders, tile saws, floor sanders", ["machine_service"]),  # a rental word first rents all it lists
        ("IPC-A-610 class 2/3", []),  # a grade of work, no class taught
        ("stretch film, bubble wrap, packing tape", []),  # packing supplies, no vehicle wraps
        ("hand turned bowls, pens, bottle stoppers, candlesticks", ["turned_wood"]),  # a word of its own, no candles
        ("custom lugged & fillet brazed steel frames", ["bike_frame", "welded_fabrication"]),
        ("cold brew concentrate in kegs", ["coffee"]),  # what it comes in, no beer
        ("board-level soldering repairs", []),  # electronics mended, none made
        ("screen printing - plastisol, water based, discharge", ["screen_printing"]),  # no water
        ("CNC nested", ["cnc_routing"]),  # a cabinet shop's nesting router, no machine shop
        ("CNC press brake bending", ["sheet_metal"]),
        ("event catering, boxed lunches, drop-off trays", ["catering"]),  # food on trays, no formed plastic
        ("brand identity, logo design, packaging design, web design", ["design_service"]),  # designs, no packaging
        ("engraved tumblers, leather hat patches", ["engraved_goods", "patch"]),  # patches for hats, no hats
        # the feature ends where the list goes on
        ("work shirts w/ reflective tape, scrubs, cook aprons", ["uniform", "scrubs", "apron"]),
        ("rentals & custom fabrication", ["machine_service", "welded_fabrication"]),  # a rental word, and made things
        ("custom sewing specializing in tote bags", ["sewing", "tote_bag"]),  # no container: the bags are made
        # only what the brackets name is done elsewhere; brackets that name nothing speak of all before them
        ("3D printing - FDM & SLA resin, nylon PA12 (SLS through a partner)", ["3d_printing"]),
        ("label design (print handled by partners)", ["design_engineering"]),
        ("powder coating (outsourced)", []),
        ("pastries delivered daily from local bakeries", []),  # bought in
        ("plated dinners, buffets, grazing tables", ["catering"]),  # no plating, no furniture
        ("commercial embroidery - 6 Tajima multi-head machines", ["embroidery"]),  # a brand, no "tarima" (pallet)
        ("anodize & powder coat coordinated through vendors", []),
        ("anodize & plating sent out to vendors", []),
        ("powder coating, wheels & rims sent out for chrome", ["powder_coating"]),  # only what follows "for"
        ("work uniforms (embroidery sent out)", ["uniform"]),
        ("welders, tile saws, floor sanders", ["welding"]),  # a tool, no tile
        ("student-built fire pits & BBQ smokers to order", ["metal_cut_part", "welded_fabrication"]),  # no catering
        ("buffet or plated", ["catering"]),
        ("anodize only - we don't do zinc, nickel or chrome plating", ["anodizing"]),  # the "not" reaches the list
        ("stone & tile", []),  # what a cutter cuts, no tile made
        ("lost wax & ceramic shell", ["foundry"]),  # a foundry's moulds, no pottery
        ("print farm of 30 printers", ["3d_printing"]),  # no paper printing
        # what is done elsewhere is only what the words speak of: their part of the list, or the thing before brackets
        ("CNC machining - heat treat & plating through our vendors", ["cnc_machining"]),
        ("CNC machining, anodizing (outsourced)", ["cnc_machining"]),
        ("custom t-shirts, orders sent out in 3 days", ["printed_tshirt"]),  # nothing named is sent out
        ("event vendor banners & signs", ["banner", "sign"]),  # banners for vendors
        ("pastries from local bakeries and our own sourdough bread", ["bread"]),
        ("soap made with oils from local suppliers", ["soap"]),
        ("distributor of nitrile gloves, N95s, safety glasses", []),  # a distributor's whole list is bought in
        ("blacksmithing - hooks, bottle openers, knives, gift boxes", ["forging", "forged_goods", "packaging_box"]),
        ("direct to garment printing, one-offs welcome", ["garment_printing"]),  # no posters
        ("12 ft press brake, shear, roll former", ["sheet_metal"]),  # no bread rolls
        ("HVAC ductwork, flashing & gutters, kitchen hoods, custom boxes", ["sheet_metal_part"]),  # boxes of metal
        ("foodsafe clamshell trays", ["thermoformed_part"]),  # food safe: no food
        ("venta por docena o por caja a restaurantes", []),  # sold by the case, no boxes made
    ],
)
def test_what_a_makers_phrase_offers(tax, phrase, offered):
    assert _ids(tax.read_offer(phrase)[0]) == offered


@pytest.mark.parametrize(
    ("text", "quantity"),
    [
        ("6061 aluminum blocks machined, 15 pcs", 15),  # an alloy's grade
        ("304 stainless brackets", None),
        ("300 steel brackets", 300),  # a round number before a metal is a count
        ("risograph 2 color run, 300 flyers", 300),
    ],
)
def test_grades_and_colours_are_no_counts(text, quantity):
    assert parse(text, TODAY, load_taxonomy()).quantity == quantity


def _names(matcher: Matcher, text: str) -> list[str]:
    """Who answers `text` near Detroit, best first."""
    return [m.name for m in matcher.match(text, zip="48201", now=TODAY).matches]


def _asking(*makers: MakerProfile) -> Callable[[str], list[str]]:
    """Who answers a request near Detroit, best first, in a directory of these makers alone."""
    return partial(_names, Matcher(Directory(list(makers))))


def _maker(id, name, caps):
    place = geo.lookup_zip("48201")
    return MakerProfile(id=id, name=name, capabilities=tuple(caps), lat=place.lat, lon=place.lon, zip="48201")


@pytest.fixture(scope="module")
def matcher():
    return Matcher(
        Directory(
            [
                _maker(1, "Bike co-op", ["refurbished bikes for sale", "kids bikes"]),
                _maker(2, "Mobile welder", ["mobile welding", "aluminum boat repair"]),
                _maker(3, "Distillery", ["small batch gin and vodka"]),
                _maker(4, "Label printer", ["roll labels", "for craft beverage & food"]),
                _maker(5, "Engraver", ["laser engraving", "awards & plaques"]),
                _maker(6, "Foundry", ["sand casting aluminum & bronze"]),
                _maker(7, "Upholsterer", ["reupholstery", "restaurant booths"]),
                _maker(8, "Woodshop", ["dining tables and chairs"]),
                _maker(9, "Brewery", ["brewery & taproom"]),
                _maker(10, "Cabinet shop", ["custom kitchen cabinets"]),
                _maker(11, "Embroiderer", ["embroidered beanies", "custom patches"]),
                _maker(12, "Print farm", ["3D printed parts, PLA and PETG"]),
                _maker(13, "Party furniture", ["folding tables and chairs"]),
                _maker(14, "Chocolatier", ["truffles and bars", "corporate gift boxes"]),
                _maker(15, "Box plant", ["corrugated shipping boxes"]),
                _maker(16, "Safety supply", ["distributor: nitrile gloves, paper towels"]),
            ]
        )
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("used kids bikes for a charity drive, 25", ["Bike co-op"]),  # only who sells them refurbished
        ("TIG welding aluminum boat hull crack", ["Mobile welder"]),  # the hull is what the welding is done on
        ("private label gin for our restaurant", ["Distillery"]),
        ("local gin w/ custom labels for 80 clients", ["Distillery", "Label printer"]),  # the labels come with it
        ("bronze casting for a memorial plaque", ["Foundry"]),  # the engraver's plaques are not cast
        ("reupholster 6 dining chairs", ["Upholsterer"]),  # not the chairs' maker
        ("hand sanitizer by the gallon", []),  # a brewery made it in 2020 only where it said so
        ("bike tune up", []),  # a service, not making
        ("rent a welder for the weekend", []),
        ("iphone screen replacement", []),
        ("paint my kitchen cabinets white", []),  # work on the buyer's own things
        ("patch a hole in the drywall", []),  # "patch" is the verb
        ("custom patches for our jackets, 50", ["Embroiderer"]),
        ("need 40 folding chairs rented for a party", []),
        # bought, to rent out
        ("folding tables to rent out at our venue, 10", ["Party furniture", "Woodshop", "Cabinet shop"]),
        ("knit beanies with our logo knitted in (not embroidered)", []),  # what the buyer said no to
        ("3D printing 20 brackets in PETG", ["Print farm"]),  # 3D printed parts are made no other way
        ("need an accountant for our bakery", []),
        ("custom printed mailer boxes, 1000", ["Box plant"]),  # the chocolatier's gift boxes hold its chocolates
        ("private label protein powder, chocolate flavor", []),
        ("need my snowboard waxed and edges tuned", []),  # tuned, not turned; work done to the buyer's board
        # "painted" after a thing to be made is how it is made, not work on the buyer's kitchen
        ("remodeling our kitchen, want custom cabinets painted white", ["Cabinet shop", "Woodshop", "Party furniture"]),
        ("flat tire patch on my truck", []),
        ("jersey barriers for a parking lot", []),
        ("opening a brewery taproom, need 40 custom tap handles turned", []),  # the brewery is the buyer
        ("30 Herman Miller Aeron chairs for the new office", []),  # bought, not made
        ("nitrile gloves, 50 cases", []),  # resold, and no similar wording stands in for it
        ("60 plain tumblers, no logo", []),  # blanks are bought, not engraved
        ("engraved tumblers, 60", ["Engraver"]),
        # the gifts are for a realtor
        ("custom dining tables, realtor closing gifts", ["Woodshop", "Party furniture", "Cabinet shop"]),
        # both things
        ("2 dining tables and 20 embroidered beanies", ["Embroiderer", "Woodshop", "Party furniture", "Cabinet shop"]),
        ("beer garden table reservation for a birthday", []),
        ("sell my old dining chairs", []),
        ("haul away old cabinets", []),
        ("need 40 wine labels", ["Label printer"]),  # labels for wine: no distillery nor brewery
        ("knit beanies with our brewery logo, 150", ["Embroiderer"]),  # whose logo, no brewery wanted
        ("daily delivery of truffles for our cafe", ["Chocolatier"]),  # how they come, no logistics
        ("edible gifts for 50 clients", ["Chocolatier"]),  # food gifts: the shelf-stable goods of food makers
    ],
)
def test_what_a_request_asks_for(matcher, text, expected):
    assert _names(matcher, text) == expected


def test_a_trade_is_read_from_all_of_a_makers_phrases():
    names = _asking(
        _maker(1, "Powder coater", ["powder coating", "wheels, railings, patio furniture"]),
        _maker(2, "Fab shop", ["steel fabrication", "in-house powder coat", "railings and gates"]),
        _maker(3, "Plate cutter", ["plasma cutting up to 1 inch"]),
        _maker(4, "Stamping plant", ["metal stamping", "brackets and clips"]),
        _maker(5, "Furniture studio", ["dining tables", "cutting boards", "built-in bookcases"]),
        _maker(6, "Sign shop", ["storefront signs", "vinyl banners"]),
        _maker(7, "Turner", ["turned bowls", "pens"]),
        _maker(8, "Brewery", ["taproom & brewery", "private events"]),
    )
    # A coater's list is what it coats; a fab shop that also coats makes what it lists.
    assert names("outdoor dining tables, 6") == ["Furniture studio"]
    assert names("steel railings for a porch") == ["Fab shop"]
    assert names("3/8 steel plate gussets x40") == ["Plate cutter"]  # gusset plates are cut from plate
    # Bowls turned: the maker who lists turned bowls, which only woodworkers in general make otherwise.
    assert names("a few bowls turned from our old oak tree") == ["Turner"]
    assert names("3 half barrels of something local and hoppy") == ["Brewery"]
    assert names("something brewed for our block party") == ["Brewery"]  # what the process named makes
    assert names("need a logo designed, just the files, no printing") == []
    # A woodworker: who lists several things of the trade, before one who lists one thing many trades make.
    assert names("looking for a local woodworker")[0] == "Furniture studio"


@pytest.fixture(scope="module")
def trades():
    return Matcher(
        Directory(
            [
                _maker(1, "Sewing shop", ["contract sewing", "aprons and tote bags"]),
                _maker(2, "Machine shop", ["CNC machining", "machinist training"]),
                _maker(3, "Print shop", ["screen printing", "embroidery"]),
                _maker(4, "Candle maker", ["soy candles"]),
                _maker(5, "Wrap shop", ["vinyl wraps for vans and trucks"]),
                _maker(6, "Pallet yard", ["new and recycled pallets"]),
                _maker(7, "Gift shop", ["corporate gifts", "gift baskets"]),
            ]
        )
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Each trade answers what it makes...
        ("40 aprons for our cafe", ["Sewing shop"]),
        ("CNC machined brackets, 50", ["Machine shop"]),
        ("screen printed tees, 100", ["Print shop"]),
        ("200 soy wax candles", ["Candle maker"]),  # the wax says what the candles are
        ("custom vinyl wrap for my van", ["Wrap shop"]),
        ("40 pallets", ["Pallet yard"]),
        ("corporate gifts for employees, 30", ["Gift shop", "Candle maker"]),
        # ...and nothing of what it only works with, or what no maker makes to order.
        ("looking for a job as a seamstress", []),  # work wanted, no order
        ("hiring a CNC machinist, full time", []),
        ("sewing machine servicing", []),  # the machine, not sewing
        ("embroidery thread, 40 spools", []),  # a maker's supplies, bought
        ("screen printing ink, 5 gallons", []),
        ("candle wax, 50 lb", []),
        ("amazon gift cards for employees", []),
        ("vinyl wrap removal from my van", []),  # work on the buyer's van
        ("storage for 20 pallets of inventory", []),
        ("stretch wrap and packing tape, 30 rolls each", []),
        ("full truck graphics for our food trailer", ["Wrap shop"]),  # a vehicle's graphics are its wrap
        ("need 20 pallets of drywall delivered to a jobsite", []),  # how the drywall comes
        ("soy wax flakes, 50 lb", []),  # a supply, though "soy wax" names candles too
        ("soy wax, 8oz, 150 pcs for a fundraiser", ["Candle maker"]),
        ("windshield replacement for a 2019 F-150", []),
    ],
)
def test_what_no_maker_makes_to_order_beside_makers_of_the_trade(trades, text, expected):
    assert _names(trades, text) == expected


def test_what_a_business_rents_coats_or_names_in_grades():
    names = _asking(
        _maker(1, "Capitol Party Rentals", ["tables, chairs, linens, tents", "delivery & setup"]),
        _maker(2, "Furniture studio", ["walnut dining tables"]),
        _maker(3, "Powder coater", ["powder coating", "wheels, frames, gates"]),
        _maker(4, "Fab shop", ["structural steel fabrication", "mobile welding"]),
        _maker(5, "Precision shop", ["CNC milling 3 & 4 axis", "6061/7075, 303/316 SS, Delrin, PEEK"]),
        _maker(6, "EMS", ["SMT & through-hole PCB assembly", "IPC-A-610 class 2/3", "box build"]),
        _maker(7, "Welding academy", ["welding classes: MIG, TIG, stick & flux core"]),
        _maker(8, "Auto spa", ["ceramic coating", "window tint", "paint correction"]),
        _maker(9, "Engraver", ["laser engraving", "awards & plaques"]),
        _maker(10, "Molder", ["plastic injection molding 55-330 ton", "overmolding"]),
        _maker(11, "Harness shop", ["wire harnesses & cable assemblies", "crimp, solder, overmold"]),
        _maker(12, "Sewing school", ["sewing classes: beginner machine, quilting, garment fitting"]),
        _maker(13, "Tee printer", ["screen printing up to 8 colors", "DTG for small runs"]),
        _maker(14, "Embroiderer", ["embroidery on polos, caps, beanies"]),
    )
    assert names("6 dining tables for our restaurant") == ["Furniture studio"]  # the rental shop's are rented
    assert names("steel driveway gate, 16 ft") == ["Fab shop"]  # a coater's list with things of no trade: coated
    assert names("CNC machined parts, 20 pcs") == ["Precision shop"]  # its grades are metals: it machines metal
    assert names("need electronics manufactured for our sensor, 500 units") == ["EMS"]  # SMT is electronics work
    assert names("أحتاج تصليح ولحام باب حديد مكسور") == ["Fab shop"]  # "and welding", the "and" written onto it
    assert names("lookin for welding clases, want to get AWS certifcation") == ["Welding academy"]  # taught, no job
    assert names("ceramic coating + tint on my new tesla") == []  # car care, no coating shop's work
    assert names("overmolding, 10k parts, we have the mold") == ["Molder"]
    assert names("polypropylene parts, 50k pcs, mold needed") == ["Molder"]  # parts of a material: its goods
    assert names("need someone with pick and place + reflow for 500 boards") == ["EMS"]
    assert names("wire harness for a race car, 1 off") == ["Harness shop"]
    assert names("custom evening gown for a wedding") == []  # a school headed by its classes teaches them
    assert set(names("100 tees printed + 50 embroidered hats")) == {"Tee printer", "Embroiderer"}  # how each is made


def test_a_coaters_list_a_class_heading_and_several_materials():
    names = _asking(
        _maker(1, "Coater", ["powder coating", "railings, gates, fences, etc."]),
        _maker(2, "Woodshop", ["woodworking classes & custom furniture"]),
        _maker(3, "Woodshop school", ["woodworking classes (intro, build-a-table weekend)"]),
    )
    assert names("steel railings for a porch") == ["Coater"]  # one trade's own list, "etc." and all
    assert names("6 dining tables") == ["Woodshop"]  # a class beside made goods; a class heading teaches only
    assert parse("things out of metal, plastic, or wood", TODAY, load_taxonomy()).items == (
        "metal_part", "plastic_part", "wood_products"
    )


def test_how_a_name_says_it_is_made_what_a_buyer_has_and_what_a_class_teaches():
    names = _asking(
        _maker(1, "Resin studio", ["river tables", "coasters"]),
        _maker(2, "Laser shop", ["CO2 laser cutting - acrylic, plywood, MDF"]),
        _maker(3, "Molder", ["plastic injection molding 55-400 ton"]),
        _maker(4, "Design studio", ["product design", "design for manufacturing"]),
        _maker(5, "Pottery studio", ["pottery classes - wheel & handbuilding"]),
        _maker(6, "Makerspace", ["CNC router & Tormach mill classes"]),
    )
    # "laser cut" in the item's name: the laser shop before a maker of coasters by another way
    assert names("laser cut acrylic letters for a wall display")[0] == "Laser shop"
    assert names("injection molded parts, 20k pcs/yr in ABS, we have the part design") == ["Molder"]
    # a class of another trade teaches nothing of a CNC mill
    assert names("evening class to learn running a CNC mill?") == ["Makerspace"]
    assert names("pottery class for two") == ["Pottery studio"]
    assert names("need someone to design my product in CAD, just drawings, no manufacturing") == []


def test_what_a_reseller_lists_and_what_only_comes_with_the_order():
    names = _asking(
        _maker(1, "Promo shop", ["promotional products", "branded pens, mugs, tumblers",
                                "we source from national suppliers"]),
        _maker(2, "Print shop", ["roll labels & sticker sheets"]),
        _maker(3, "Engraver", ["laser engraving on tumblers"]),
        _maker(4, "Potter", ["mugs, bowls, plates", "we source from local clay suppliers"]),
        _maker(5, "Candle maker", ["soy candles"]),
    )
    assert names("handmade ceramic mugs with our logo, 50") == ["Potter"]  # the promo shop buys its mugs
    assert names("laser engraving on 100 Yeti tumblers") == ["Engraver"]
    # no distillery near: the label printer serves no part of a bottled spirit
    assert names("custom bottled bourbon with our company label, 48 bottles") == []
    assert names("roll labels for our bourbon, 500") == ["Print shop"]
    assert names("need somebody to fire my pottery in their kiln") == []  # work on the buyer's own pieces
    assert names("handmade mugs for our cafe, 50") == ["Potter"]  # buying clay is no reselling of mugs
    assert names("soy wax 50lbs") == []  # a candle maker's supply


def test_the_list_after_whom_the_order_is_for_and_a_rental_stores_machines():
    names = _asking(
        _maker(1, "Fab shop", ["welding & fabrication", "railings, gates"]),
        _maker(2, "Rental store", ["welders", "tile saws, floor sanders", "in-house sign maker"]),
        _maker(3, "Bar", ["taproom & kitchen"]),
    )
    # what follows the dash after "for our taproom" is what is wanted: a foot rail, not the taproom
    assert names("need some custom metalwork for our taproom - footrail and shelf supports") == ["Fab shop"]
    assert names("welding repair on a trailer hitch") == ["Fab shop"]  # a rental store's welders are rented
    assert names("custom yard sign 24x18") == ["Rental store"]  # but its sign maker makes signs



def test_made_then_serviced_work_on_what_was_bought_and_licensed_drinks():
    names = _asking(
        _maker(1, "Laser shop", ["fiber laser cutting", "gussets, base plates, brackets"]),
        _maker(2, "Coater", ["powder coating"]),
        _maker(3, "Cafe", ["espresso drinks", "pastries from local bakers"]),
        _maker(4, "Forge", ["hand forged hooks", "chef knives"]),
        _maker(5, "Cabinet shop", ["custom cabinets", "final assembly and install"]),
        _maker(6, "Sheet metal", ["NEMA enclosures & electrical boxes"]),
    )
    # the brackets are made first, then coated: both are wanted
    assert set(names("50 brackets cut and bent, then powder coat black")) == {"Laser shop", "Coater"}
    assert names("powder coating for 50 brackets we have") == ["Coater"]
    assert names("private label bourbon for our anniversary") == []  # a café's drinks are no spirits
    assert names("need 30 kitchen knives sharpened every week") == []  # the buyer's knives, sharpened
    assert names("chef knives, 30") == ["Forge"]
    assert names("someone to assemble an IKEA PAX wardrobe") == []  # putting together what was bought
    assert names("NEMA 4X box for an outdoor sensor, 50 units") == ["Sheet metal"]


def test_a_bronze_plaque_is_poured_and_isinglass_enclosures_are_canvas():
    names = _asking(
        _maker(1, "Engraver", ["laser engraving", "plaques, awards, name badges"]),
        _maker(2, "Foundry", ["aluminum and bronze sand casting"]),
        _maker(3, "Marine canvas", ["bimini tops", "isinglass enclosures"]),
        _maker(4, "Sheet metal", ["electrical enclosures"]),
    )
    assert names("cast bronze plaque for a memorial bench, 12x8") == ["Foundry"]
    assert names("bronze plaque for our building dedication") == ["Foundry"]
    assert names("award plaques for our bowling league, 12")[0] == "Engraver"
    assert names("isinglass enclosure for my boat") == ["Marine canvas"]
    assert names("NEMA 4X enclosures, 20")[0] == "Sheet metal"


def test_what_is_only_drawn_or_fired_for_the_buyer():
    names = _asking(
        _maker(1, "Design studio", ["product design", "CAD and prototyping"]),
        _maker(2, "Clay studio", ["pottery classes", "kiln firing", "mugs and bowls"]),
    )
    assert names("CAD renders of my product for kickstarter") == []
    assert names("looking for kiln firing for my own pottery pieces") == []
    assert names("handmade mugs, 40") == ["Clay studio"]


def test_whose_occasion_a_new_thing_beside_a_service_and_a_process_in_another_sentence():
    names = _asking(
        _maker(1, "Wrap shop", ["vehicle wraps - cars, vans, food trucks"]),
        _maker(2, "Sheet metal", ["stainless range hoods", "ductwork"]),
        _maker(3, "Upholsterer", ["restaurant booths", "reupholstery"]),
        _maker(4, "Iron works", ["railings & gates"]),
        _maker(5, "Print farm", ["FDM 3D printing"]),
        _maker(6, "Yarn shop", ["yarn & needles", "knit night Thursdays"]),
        _maker(7, "Frame builder", ["custom steel bicycle frames", "frame repair"]),
    )
    # the food truck is whose launch it is
    assert set(names("food truck launch: need a full wrap + a stainless hood built")) == {"Wrap shop", "Sheet metal"}
    # the railing is wanted new, not reupholstered
    assert set(names("restaurant remodel: reupholster 10 booths and a new stair railing")) == {"Upholsterer",
                                                                                            "Iron works"}
    assert names("who does FDM printing? 15 cosplay armor pieces before a con")[0] == "Print farm"
    assert names("hand knit baby blankets, 6 for gifts") == []  # a knitting night makes nothing
    assert names("bike fram repair, cracked chainstay") == ["Frame builder"]  # a short slip, read beside "bike"
    assert names("taxidermy - shoulder mount for the buck I got") == []


def test_a_buyers_own_tooling_whose_label_and_mass_made_labels():
    names = _asking(
        _maker(1, "Fab shop", ["brackets & enclosures", "MIG welding"]),
        _maker(2, "Stamping plant", ["progressive & transfer die stamping"]),
        _maker(3, "Potter", ["logo mugs (stamped underglaze)"]),
        _maker(4, "Soap maker", ["cold process soap", "private label with your label or ours"]),
        _maker(5, "Label printer", ["digital roll labels"]),
    )
    # the buyer has the die: only a stamping shop can run it
    assert names("progressive die stamping, 50k steel clips, we have the die") == ["Stamping plant"]
    assert names("hot sauce labels, 500") == ["Label printer"]  # a soap maker's "your label" is a brand
    assert names("thermal shipping labels, 4x6, 2000") == []  # stock labels, made by the million
