"""Free-text request → what, how many, by when, where: `parse("need 500 face shields by Friday near 48201")`.

Never raises: whatever cannot be found is returned as None, and the caller asks for it.
"""

from __future__ import annotations

import itertools
import logging
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from matching import courtesy, geo, preferences
from matching.dates import find_deadline
from matching.item_phrase import ARABIC_SCRIPT, WORD, item_phrase, modifiers_in, product_of, says_nothing
from matching.modifiers import find_processes
from matching.quantities import THING_UNITS, UNIT_OF, find_quantity
from matching.taxonomy import NOT_DONE_HERE, Taxonomy, load_taxonomy
from matching.text import WORD_CHAR, fold_chars, stem, strip_urls, tokens

log = logging.getLogger(__name__)

MAX_TEXT = 2000  # a request is a sentence or two; anything longer is cut, not refused

_ZIP_PLUS4 = re.compile(r"(?<![\d.,$])(\d{5})-\d{4}(?!\d)")
# Words that introduce a place: "near 48201", "ship to 48201-2153", "cerca de 48201", "قرب 48201".
_ZIP_LEADS = (
    r"near|nr|in|zip(?:\s*code)?|zipcode|postal code|to|ship(?:ping)? to|deliver(?:y|ed)? to|send to|around|at|"
    r"area|location|cerca de|en|codigo postal|cp|enviar a|entrega en|قرب|بالقرب من|بجوار|في|الي|الرمز البريدي|رمز بريدي"
)
_LOCATION_LEAD = re.compile(rf"(?:(?<!\w)(?:{_ZIP_LEADS})\s*[:#]?\s*)$")
_ZIP_LABELLED = re.compile(rf"(?<!\w)(?:{_ZIP_LEADS})\s*[:#]?\s*(\d{{5}})(?!\d|[,.]\d)")
# Labels that make a 5-digit number a ZIP even when it is not a known one (then the buyer is told).
_ZIP_WORDS = ("zip", "postal", "codigo postal", "cp", "الرمز البريدي", "رمز بريدي")
_ZIP_BARE = re.compile(r"(?<![\w.,$#/-])(\d{5})(?![\w,.]\d|\s*(?:k|pcs|x)\b)")
# Phone numbers and street addresses hold numbers that are neither counts nor ZIPs.
_PHONE = re.compile(r"(?<![\w+])(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]\d{4}(?!\d)")
_STREET = re.compile(
    r"(?<!\w)\d{1,6}\s+(?:[NSEW]\.?\s+)?(?:[A-Z][\w'.-]*\s+){1,3}"
    r"(?:St|Street|Ave|Avenue|Rd|Road|Blvd|Boulevard|Dr|Drive|Ln|Lane|Way|Ct|Court|Pkwy|Parkway|Hwy|Highway|Pl|Place)\b\.?"
)
_RADIUS = re.compile(
    r"(?<!\w)(?:(?:within|inside|in|under|up to|max(?:imum)?|less than|a|en un radio de|dentro de|a menos de|"
    r"radio de|radius(?: of)?|ضمن|في حدود|في نطاق|علي بعد)\s+)?(\d+(?:\.\d+)?)\s*-?\s*"
    r"(miles?|mi|km|kms|kilometers?|kilometres?|millas?|kilometros?|ميل|اميال|اميل|كم|كيلومتر|كيلومترات)"
    r"(?:\s+radius|\s+de radio|\s+away|\s+from (?:here|us|me))?(?!\w)"
)
# Words that show a 5-digit number just before them was a place ("48201 clinic", "48201 need masks"); courtesy
# words do too. A unit or an item after it makes it a count ("20000 pcs", "10000 masks").
_AFTER_ZIP = frozenset(
    tokens(
        "need needs by before near asap within area zip urgent urgently ship "
        "deliver delivery necesitamos para antes cerca نحتاج قبل بحلول "
        "clinic clinics hospital office facility center centre home location site campus"
    )
)
_MAX_ZIP_CANDIDATES = 25
_PLACE_LEAD = re.compile(
    r"(?<!\w)(near|nr|around|in|at|to|ship(?:ping)? to|deliver(?:y|ed)? to|send to|located in|based in|"
    r"cerca de|en|قرب|بالقرب من|في)\s+"
)
_PLACE_WORD = re.compile(rf"[^\W\d_](?:(?!\d){WORD_CHAR}|['.-])*")
_STRONG_PLACE_LEADS = frozenset(
    {
        "near", "nr", "around", "ship to", "shipping to", "deliver to", "delivery to", "delivered to", "send to",
        "located in", "based in", "cerca de", "قرب", "بالقرب من",
    }
)  # fmt: skip
# "at Beaumont Hospital" names a hospital, not Beaumont, Texas.
_FACILITY_WORDS = frozenset(
    {
        "hospital", "hospitals", "clinic", "clinics", "health", "medical", "center", "centre", "urgent", "care",
        "nursing", "university", "college", "school", "county", "memorial", "general", "regional", "community",
        "home", "homes", "rehab", "hospice", "pharmacy", "dental",
    }
)  # fmt: skip
_MAX_PLACE_LEADS = 25
# Short words that are also names of US towns; with no state they stay words.
_ORDINARY_PLACE_WORDS = frozenset({"home", "hope", "ford", "need", "help", "work", "care", "health", "time", "may"})
_CITY_ABBREVIATIONS = {"st": "saint", "st.": "saint", "ft": "fort", "ft.": "fort", "mt": "mount", "mt.": "mount"}

# Time on a tool rather than a thing made: "rent a laser cutter for an afternoon", "use your kiln", "commercial
# kitchen by the hour". The buyer wants access, so only makers who offer it answer.
_TOOL = (
    r"(?:cutters?|printers?|routers?|lathes?|mills?|welders?|kilns?|machines?|press(?:es)?|looms?|saws?|ovens?|"
    r"kitchens?|tools?|equipment|shop|studio|booth|bench|sergers?|embroiderers?)"
)
_ACCESS = re.compile(
    rf"(?<!\w)(?:(?:rent|borrow|use|access\s+to|time\s+on|book|reserve)\s+(?:(?:a|an|the|your|some)\s+)?(?:\w+\s+){{0,2}}{_TOOL}"
    rf"|{_TOOL}\s+(?:for\s+(?:an?|the|one)\s+(?:afternoon|morning|evening|hour|day|weekend|few\s+hours)|by\s+the\s+(?:hour|day)|per\s+hour))(?!\w)"
)
TOOL_ACCESS = "tool_access"
# Words standing in for a thing the buyer names only by how it is made: "something distilled", "stuff printed".
_PLACEHOLDERS = frozenset(tokens("something stuff thing things anything algo cosas شيء"))

_SPANISH_HINT = re.compile(
    r"(?<!\w)(?:necesitamos|necesito|para|cerca|mascarillas?|caretas?|batas?|guantes|cubrebocas|viernes|lunes|"
    r"semana|urgente|por favor|antes del?|hola|unidades|piezas)(?!\w)|[ñ¿¡]"
)


@dataclass(frozen=True)
class ParsedRequest:
    """What a buyer asked for. Anything the text did not say is None."""

    text: str
    item: str | None = None
    items: tuple[str, ...] = ()  # canonical taxonomy ids named in `item`, in order
    quantity: int | None = None
    unit: str | None = None
    approximate: bool = False  # the quantity is a reading of vague words: "a few hundred" → 300
    deadline: date | None = None
    urgency: str | None = None  # "asap" | "no_rush"
    zip: str | None = None
    zip_source: str | None = None  # "zip" when the text gave one, "city" when it named a town
    place_name: str | None = None  # "Detroit, MI" when the place came from a city name
    radius_miles: float | None = None
    language: str | None = None
    product: str | None = None  # the head of `item`, without how and of what: "brackets"; None for a service
    process: str | None = None  # how it is to be made, canonical: "CNC machining" (matching.modifiers)
    material: str | None = None  # what of: "aluminum"
    preferences: tuple[str, ...] = ()  # of the maker: "green", "makerspace", "made-in-detroit" (matching.preferences)
    only: tuple[str, ...] = ()  # the preferences said with "only": makers without them are left out

    def as_dict(self) -> dict[str, Any]:
        return {
            "item": self.item,
            "items": list(self.items),
            "quantity": self.quantity,
            "unit": self.unit,
            "approximate": self.approximate,
            "deadline": self.deadline.isoformat() if self.deadline else None,
            "urgency": self.urgency,
            "zip": self.zip,
            "place": self.place_name,
            "radius_miles": self.radius_miles,
            "language": self.language,
            "product": self.product,
            "process": self.process,
            "material": self.material,
            "preferences": list(self.preferences),
            "only": list(self.only),
        }


def parse(text: object, now: datetime | date | None = None, taxonomy: Taxonomy | None = None) -> ParsedRequest:
    """Read a buyer's request. Never raises: on any surprise it returns what it has, the rest unknown."""
    raw = text if isinstance(text, str) else ("" if text is None else str(text))
    try:
        return _parse(raw, now, taxonomy or load_taxonomy())
    except Exception:  # the parser must never take a conversation down
        log.exception("parse failed; treating the request as an unparsed item")
        return ParsedRequest(text=raw, item=raw.strip()[:200] or None)


def _today(now: datetime | date | None) -> date:
    if now is None:
        return date.today()
    return now.date() if isinstance(now, datetime) else now


def _parse(raw: str, now: datetime | date | None, taxonomy: Taxonomy) -> ParsedRequest:
    # Composed, so an accent typed as a separate mark folds away with its letter ("ma\u0301scaras").
    original = strip_urls(unicodedata.normalize("NFC", raw[:MAX_TEXT]).replace("\x00", " "))
    low = list(fold_chars(original))
    # What has been read, by position: `low` alone cannot say, as folding blanks some letters (the tatweel
    # that stretches "قنـاع"), and the item would lose them.
    taken = [False] * len(original)

    def take(span: tuple[int, int]) -> None:
        for i in range(span[0], span[1]):
            low[i] = " "
            taken[i] = True

    def current() -> str:
        return "".join(low)

    found: re.Match[str] | None
    for pattern, text in ((_PHONE, current()), (_STREET, original)):
        for found in pattern.finditer(text):
            take(found.span())

    # "only Made in Detroit", "eco-friendly": said of the maker, so neither a place nor part of the item.
    prefs = preferences.find(current(), _is_place)
    preferred = [False] * len(original)
    for preference in prefs:
        if not preference.keep_in_item:
            for i in range(*preference.span):
                low[i] = " "
                preferred[i] = True

    zip_code = None
    zip_source = None
    place_name = None
    found = _ZIP_PLUS4.search(current())
    if found:
        zip_code = found.group(1)
        lead = _LOCATION_LEAD.search(current()[: found.start()])
        take((lead.start() if lead else found.start(), found.end()))

    radius = None
    found = _RADIUS.search(current())
    if found:
        value = float(found.group(1))
        unit = found.group(2)
        if unit.startswith(("k", "ك")):
            value /= geo.KM_PER_MILE
        if 0 < value <= 3000:
            radius = round(value, 1)
            take(found.span())

    if zip_code is None:
        zip_code = _labelled_zip(current(), take, taxonomy)

    deadline = find_deadline(current(), _today(now))
    for span in deadline.spans:
        take(span)

    if zip_code is None:
        zip_code = _bare_zip(current(), take, taxonomy)
    if zip_code is not None:
        zip_source = "zip"
    else:
        city = _city(current(), original, take, taxonomy)
        if city is not None:
            zip_code, zip_source, place_name = city.zip, "city", f"{city.city}, {city.state}"

    # "mil gracias", "thanks a million": numbers inside courtesy count nothing.
    quantity = find_quantity(_blank(current(), _courtesy_spans(current())), _names_an_item(taxonomy))
    if quantity:
        take(quantity.span)

    # A unit without a number ("boxes of gloves") is still a unit; drop it from the item words.
    unit = quantity.unit if quantity else None

    def rest() -> str:
        return "".join(" " if taken[i] or preferred[i] else ch for i, ch in enumerate(original))

    remaining = rest()
    item_text, items, gloss = item_phrase(remaining, quantity.span if quantity else None, taxonomy)
    if quantity and quantity.unit in THING_UNITS and quantity.unit_span and says_nothing(item_text):
        # "need 500 bags": the unit word is the thing asked for, and the count is of it ("500 bags", not
        # "500 bag of bags").
        for i in range(*quantity.unit_span):
            taken[i] = False
        remaining = rest()
        item_text, items, gloss = item_phrase(remaining, quantity.span, taxonomy)
        unit = None
    if (not item_text or says_nothing(item_text)) and any(preferred):
        # "a makerspace near 48201": the words are what is asked for, not only who should make it.
        preferred = [False] * len(original)
        remaining = rest()
        item_text, items, gloss = item_phrase(remaining, quantity.span if quantity else None, taxonomy)
    if not items and item_text:
        # "things out of metal, plastic, or wood"; "polypropylene parts, mold needed": the first part alone.
        items = taxonomy.goods_of(item_text) or taxonomy.goods_of(item_text.split(",")[0])
    process, material = modifiers_in(remaining)
    if not items and process and item_text and not _PLACEHOLDERS.isdisjoint(tokens(item_text)):
        # "something distilled and bottled under our own label": what that process makes is asked for; not
        # "just the files, no printing".
        flat = tokens(remaining)
        if not any(
            NOT_DONE_HERE.intersection(flat[max(found.start - 2, 0) : found.start]) for found in find_processes(flat)
        ):
            items = tuple(tag.id for tag in taxonomy.tag(process) if taxonomy.kind(tag.id) == "process")
    if items and TOOL_ACCESS not in items and _ACCESS.search(fold_chars(original)):
        items = (*items, TOOL_ACCESS)
    return ParsedRequest(
        text=raw,
        item=item_text,
        items=items,
        quantity=quantity.value if quantity else None,
        unit=unit,
        approximate=bool(quantity and quantity.approximate),
        deadline=deadline.day,
        urgency=deadline.urgency,
        zip=zip_code,
        zip_source=zip_source,
        place_name=place_name,
        radius_miles=radius,
        # A gloss in another script ("gloves قفازات") says nothing of the language the buyer reads.
        language=_language(fold_chars(_blank(original, gloss))),
        product=product_of(item_text),
        process=process,
        material=material,
        preferences=preferences.words_of(prefs),
        only=preferences.words_of(p for p in prefs if p.only),
    )


def _is_place(name: str) -> bool:
    """A state, or a town big enough to have a label of its own ("Made in Detroit", not "made in China, Maine")."""
    return geo.state_code(name) is not None or (geo.lookup_city(name) is not None and geo.city_zip_count(name) >= 2)


def _courtesy_spans(low: str) -> list[tuple[int, int]]:
    found = list(WORD.finditer(low))
    return [(found[a].start(), found[b - 1].end()) for a, b in courtesy.phrases_in([m.group() for m in found])]


def _blank(low: str, spans: list[tuple[int, int]]) -> str:
    chars = list(low)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def _names_an_item(taxonomy: Taxonomy) -> Callable[[str], bool]:
    def names_an_item(following: str) -> bool:
        return bool(taxonomy.tag(following))

    return names_an_item


def _counts_what_follows(low: str, end: int, taxonomy: Taxonomy) -> bool | None:
    """What the words right after a 5-digit number make of it.

    True: they say what it counts ("10000 masks", "20500 disposable gowns", "20000 pcs"). False: they say
    it was a place, or nothing follows ("48201 clinic", "48201, gracias 🙏", "48201 500 masks"). None: they
    do not tell ("48201 widgets", or thanks in a language the parser does not know).
    """
    run: list[str] = []
    position = end
    for found in WORD.finditer(low, end, min(len(low), end + 80)):
        if low[position : found.start()].strip(" ,") != "" or len(run) == 4:
            break
        run.append(found.group())
        position = found.end()
    if not run or run[0][0].isdigit():
        return False
    if run[0] in UNIT_OF:
        return True
    toks = tokens(" ".join(run))
    describing = []
    for index, tok in enumerate(toks):
        if tok in _AFTER_ZIP or courtesy.courtesy_at(toks, index):
            break
        describing.append(tok)
    if not describing:
        return False
    return True if taxonomy.locate(describing) else None


_Take = Callable[[tuple[int, int]], None]  # marks a span of the text as read


def _labelled_zip(low: str, take: _Take, taxonomy: Taxonomy) -> str | None:
    """A ZIP after a place word ("near 48201", "cerca de 48201"): a known one is a place unless what follows
    says it counts something ("in 20000 pcs")."""
    for found in _ZIP_LABELLED.finditer(low):
        code = found.group(1)
        labelled = any(word in found.group(0) for word in _ZIP_WORDS)
        if labelled or (geo.is_known_zip(code) and not _counts_what_follows(low, found.end(), taxonomy)):
            take(found.span())
            return code
    return None


def _bare_zip(low: str, take: _Take, taxonomy: Taxonomy) -> str | None:
    """A known ZIP on its own ("masks 48201"). When the words after it do not tell, it is the place only if
    something else in the text can be the count ("500 caretas 48201 köszönöm", not "need 12345 widgets")."""
    candidates = list(itertools.islice(_ZIP_BARE.finditer(low), _MAX_ZIP_CANDIDATES))
    other_count = None
    for found in candidates:
        code = found.group(1)
        if not geo.is_known_zip(code):
            continue
        counts = _counts_what_follows(low, found.end(), taxonomy)
        if counts is None:
            if other_count is None:
                other_count = _count_elsewhere(low, [c.span() for c in candidates], taxonomy)
            counts = not other_count
        if not counts:
            take(found.span())
            return code
    return None


def _count_elsewhere(low: str, spans: list[tuple[int, int]], taxonomy: Taxonomy) -> bool:
    """Whether the text holds a count besides the 5-digit numbers at `spans`."""
    return find_quantity(_blank(low, spans + _courtesy_spans(low)), _names_an_item(taxonomy)) is not None


def _city(low: str, original: str, take: _Take, taxonomy: Taxonomy) -> geo.Place | None:
    """A town named after a place word: "near Dearborn", "in Ann Arbor, MI", "ship to St. Louis".

    Careful, because a wrong town is worse than none (the bot asks when it has none): a state name is not
    a town, a name that runs on ("Henry Ford Hospital", "Wayne State") is an institution, and a small or
    ordinary-word town ("Home", "Christmas") needs its state or a clear "near".
    """
    for attempt, lead in enumerate(_PLACE_LEAD.finditer(low)):
        if attempt == _MAX_PLACE_LEADS:
            break
        run: list[re.Match[str]] = []
        for m in _PLACE_WORD.finditer(low, lead.end(), min(len(low), lead.end() + 60)):
            if run and low[run[-1].end() : m.start()].strip(" ,") != "":
                break
            run.append(m)
            if len(run) == 6:
                break
        thanks = courtesy.phrases_in([m.group() for m in run])
        run = run[: thanks[0][0]] if thanks else run  # "near Detroit Please": the town ends at the thanks
        if not run or run[0].start() != lead.end():
            continue
        strong = lead.group(1) in _STRONG_PLACE_LEADS
        for n in range(min(3, len(run)), 0, -1):
            name = " ".join(_CITY_ABBREVIATIONS.get(w.group(), w.group().rstrip(".")) for w in run[:n])
            rest = [w.group() for w in run[n : n + 2]]
            state = None
            used = n
            for width in (2, 1):
                if len(rest) >= width and geo.state_code(" ".join(rest[:width])):
                    state = geo.state_code(" ".join(rest[:width]))
                    used = n + width
                    break
            if not state:
                if geo.state_code(name):
                    continue  # "in Michigan" is a state, not Michigan, North Dakota
                if any(w.group() in _FACILITY_WORDS for w in run[n : n + 3]):
                    continue  # "Garden City Hospital"
                if rest and original[run[n].start()].isupper():
                    continue  # "Henry Ford", "Wayne State": the proper name goes on
            place = geo.lookup_city(name, state)
            if place is None:
                continue
            if not (original[run[0].start()].isupper() or state or strong):
                continue
            ordinary = n == 1 and (stem(name) in taxonomy.ordinary_words or name in _ORDINARY_PLACE_WORDS)
            size = geo.city_zip_count(name)
            if not state and ((ordinary and size < 4) or (size < 2 and not strong)):
                continue
            take((lead.start(), run[used - 1].end()))
            return place
    return None


def _language(folded: str) -> str | None:
    if ARABIC_SCRIPT.search(folded):
        return "ar"
    if _SPANISH_HINT.search(folded):
        return "es"
    if re.search(r"[a-z]", folded):
        return "en"
    return None
