"""Free-text request → what, how many, by when, where: `parse("need 500 face shields by Friday near 48201")`.

Never raises: whatever cannot be found is returned as None, and the caller asks for it.
"""

from __future__ import annotations

import itertools
import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from matching import courtesy, geo
from matching.dates import find_deadline
from matching.modifiers import MATERIAL_LEADS, find_materials, find_processes
from matching.quantities import THING_UNITS, UNIT_OF, find_quantity, is_model_number
from matching.taxonomy import Taxonomy, load_taxonomy
from matching.text import WORD_CHAR, fold_chars, has_cjk, stem, strip_urls, tokens

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
_WORD = re.compile(rf"[^\W_]{WORD_CHAR}*(?:['’]{WORD_CHAR}+)*")

_LEADING_FILLER = [
    "we really need", "we urgently need", "urgently need", "we need", "i need", "we still need", "still need",
    "need urgently", "need", "needed", "needing", "we are looking for", "im looking for", "i am looking for",
    "looking for", "can anyone make", "can anyone provide", "can anyone supply", "can someone make",
    "can you make", "could anyone make", "could you make", "could someone make", "does anyone have",
    "does anyone make", "anyone have", "anyone make", "who can make", "who makes", "who can supply", "we want",
    "i want", "want", "we would like", "i would like", "id like", "we require", "require", "requesting",
    "request for", "request", "seeking", "searching for", "in need of", "we are in need of",
    "in desperate need of", "desperately need", "dire need of", "we are in dire need of", "we have no",
    "we are low on", "low on", "short on", "shortage of", "our hospital needs", "our clinic needs", "hi", "hello",
    "hey", "urgent", "urgently", "help", "sos", "we", "i", "our", "us", "the", "a", "an",
    "delivered to", "deliver to", "ship to", "send to",
    "only", "just", "about", "are", "is", "have", "has", "get", "got", "them", "these", "those", "this", "that",
    "some", "more", "any", "new", "of", "for", "to", "and", "with", "also", "about", "around", "approx",
    "approximately", "at least", "total", "a few", "few", "several", "a couple of", "lots of", "a lot of", "many",
    "necesitamos", "necesito", "se necesitan", "se necesita", "buscamos",
    "busco", "alguien puede hacer", "alguien que pueda hacer", "quien puede hacer", "quien puede fabricar",
    "hola", "urgente", "unos", "unas", "un", "una", "de", "el", "la", "los", "las", "nuestro", "nuestra",
    "نحتاج الى", "نحتاج", "احتاج الى", "احتاج", "نريد", "اريد", "نبحث عن", "ابحث عن", "مطلوب",
    "من يستطيع صنع", "هل يمكن لاحد صنع", "هل يمكن صنع", "مرحبا", "السلام عليكم", "ارجو", "عاجل",
    "الى", "الي",
]
_TRAILING_FILLER = [
    "each", "every", "total", "in total", "if possible", "a week", "per week", "every week", "weekly", "a month",
    "per month", "every month", "monthly", "a day", "per day", "daily", "por semana", "a la semana", "al mes",
    "por mes", "cada semana",
    "if you can", "urgently", "urgent", "needed", "asap", "of",
    "and", "or", "for", "to", "the", "a", "de", "y", "para", "at", "in", "on", "by", "near", "cerca", "with",
    "قرب", "في", "we", "i",
]
# "face shields for our nurses": the beneficiary is not part of the item.
_BENEFICIARY = re.compile(r"\s(?:for|para|pour|für)\s+", re.IGNORECASE)
_SPANISH_HINT = re.compile(
    r"(?<!\w)(?:necesitamos|necesito|para|cerca|mascarillas?|caretas?|batas?|guantes|cubrebocas|viernes|lunes|"
    r"semana|urgente|por favor|antes del?|hola|unidades|piezas)(?!\w)|[ñ¿¡]"
)


def _phrase_list(phrases: list[str]) -> list[tuple[str, ...]]:
    keyed = {tuple(tokens(p)) for p in phrases}
    return sorted((k for k in keyed if k), key=len, reverse=True)


# Asking words may open a request ("please, 500 caretas"); thanks only close one ("thank you cards" is an item).
_LEADING = _phrase_list(_LEADING_FILLER + courtesy.PLEASE)
_TRAILING = _phrase_list(_TRAILING_FILLER + courtesy.PLEASE + courtesy.THANKS)
# Words that end a run of describing words before an item: "can anyone make | sneeze guards", "por favor |
# caretas". Of a courtesy phrase only its last word, which is the one next to the item ("very" stays).
_EDGE_WORDS = frozenset(
    [(tok,) for key in _phrase_list(_LEADING_FILLER + _TRAILING_FILLER) for tok in key]
    + [key[-1:] for key in courtesy.all_phrases()]
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

    def as_dict(self) -> dict:
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

    for pattern, text in ((_PHONE, current()), (_STREET, original)):
        for found in pattern.finditer(text):
            take(found.span())

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

    remaining = "".join(" " if taken[i] else ch for i, ch in enumerate(original))
    item_text, items, gloss = _item_phrase(remaining, quantity.span if quantity else None, taxonomy)
    if quantity and quantity.unit in THING_UNITS and quantity.unit_span and _says_nothing(item_text):
        # "need 500 bags": the unit word is the thing asked for, and the count is of it ("500 bags", not
        # "500 bag of bags").
        for i in range(*quantity.unit_span):
            taken[i] = False
        remaining = "".join(" " if taken[i] else ch for i, ch in enumerate(original))
        item_text, items, gloss = _item_phrase(remaining, quantity.span, taxonomy)
        unit = None
    process, material = _modifiers(remaining)
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
        product=_product(item_text),
        process=process,
        material=material,
    )


def _product(item: str | None) -> str | None:
    """The thing asked for, without the process and material words that describe it: "CNC machined aluminum
    brackets" → "brackets", "vacuum forming trays" → "trays". None when the item names only a service
    ("welding", "CNC machining")."""
    if not item:
        return None
    words = [(m.group(), m.start(), m.end()) for m in _WORD.finditer(item)]
    served = _service_object(item, words, 0)
    if served:
        return _tidy(item[words[served[0]][1] : words[served[1]][2]]) or None
    flat: list[str] = []
    word_of: list[int] = []
    for index, (word, _, _) in enumerate(words):
        for tok in tokens(word):
            flat.append(tok)
            word_of.append(index)
    processes = find_processes(flat)
    describing = {word_of[i] for m in processes + find_materials(flat) for i in range(m.start, m.end)}
    first = 0
    while first < len(words) and (first in describing or set(tokens(words[first][0])) <= _JOINING_WORDS):
        first += 1
    if first == len(words):
        return None if processes else item  # "welding" is a service; "beeswax, 10 kg" asks for the material
    return _tidy(item[words[first][1] :]) or None


def _modifiers(remaining: str) -> tuple[str | None, str | None]:
    """The first process and the first material the request names.

    A material word counts when it describes something: before another word of the same phrase ("oak
    table", "stainless railings") or after "in"/"of"/"de" ("brackets in aluminum", "juguetes de madera").
    Last in its phrase and unled, it is the product itself or part of its name ("safety glasses").
    Arabic adjectives follow their noun, so an Arabic material word counts anywhere.
    """
    words = [(m.group(), m.start(), m.end()) for m in _WORD.finditer(remaining)]
    flat: list[str] = []
    word_of: list[int] = []
    for index, (word, _, _) in enumerate(words):
        for tok in tokens(word):
            flat.append(tok)
            word_of.append(index)
    processes = find_processes(flat)
    process = processes[0].name if processes else None
    material = None
    for found in find_materials(flat):
        first, last = word_of[found.start], word_of[found.end - 1]
        lead = tuple(tokens(words[first - 1][0])) if first > 0 else ()
        led = (
            bool(lead)
            and lead[-1] in MATERIAL_LEADS
            and remaining[words[first - 1][2] : words[first][1]].strip() == ""
        )
        describes = False
        if last + 1 < len(words):
            following = tuple(tokens(words[last + 1][0]))
            gap = remaining[words[last][2] : words[last + 1][1]]
            describes = (
                bool(following)
                and gap.strip(" -") == ""
                and not following[0].isdigit()
                and following not in _EDGE_WORDS
            )
        if led or describes or _is_arabic(words[first][0]):
            material = found.name
            break
    return process, material


def _says_nothing(item: str | None) -> bool:
    """No item, or only filler words left of one ("need")."""
    return item is None or all((tok,) in _EDGE_WORDS for tok in tokens(item))


def _courtesy_spans(low: str) -> list[tuple[int, int]]:
    found = list(_WORD.finditer(low))
    return [(found[a].start(), found[b - 1].end()) for a, b in courtesy.phrases_in([m.group() for m in found])]


def _blank(low: str, spans: list[tuple[int, int]]) -> str:
    chars = list(low)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def _names_an_item(taxonomy: Taxonomy):
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
    for found in _WORD.finditer(low, end, min(len(low), end + 80)):
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


def _labelled_zip(low: str, take, taxonomy: Taxonomy) -> str | None:
    """A ZIP after a place word ("near 48201", "cerca de 48201"): a known one is a place unless what follows
    says it counts something ("in 20000 pcs")."""
    for found in _ZIP_LABELLED.finditer(low):
        code = found.group(1)
        labelled = any(word in found.group(0) for word in _ZIP_WORDS)
        if labelled or (geo.is_known_zip(code) and not _counts_what_follows(low, found.end(), taxonomy)):
            take(found.span())
            return code
    return None


def _bare_zip(low: str, take, taxonomy: Taxonomy) -> str | None:
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


def _city(low: str, original: str, take, taxonomy: Taxonomy) -> geo.Place | None:
    """A town named after a place word: "near Dearborn", "in Ann Arbor, MI", "ship to St. Louis".

    Careful, because a wrong town is worse than none (the bot asks when it has none): a state name is not
    a town, a name that runs on ("Henry Ford Hospital", "Wayne State") is an institution, and a small or
    ordinary-word town ("Home", "Christmas") needs its state or a clear "near".
    """
    for attempt, lead in enumerate(_PLACE_LEAD.finditer(low)):
        if attempt == _MAX_PLACE_LEADS:
            break
        run = []
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


def _strip_edges(words: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """Drop filler phrases from both ends: "we need gowns please" → "gowns"."""
    keys = [tuple(tokens(w)) for w, _, _ in words]

    def flat(seq):
        return tuple(t for key in seq for t in key)

    changed = True
    while changed and words:
        changed = False
        for phrase in _LEADING:
            n = 0
            acc: tuple[str, ...] = ()
            while n < len(keys) and len(acc) < len(phrase):
                acc = acc + keys[n]
                n += 1
            if acc == phrase and n < len(keys):
                words, keys = words[n:], keys[n:]
                changed = True
                break
        for phrase in _TRAILING:
            n = 0
            acc = ()
            while n < len(keys) and len(acc) < len(phrase):
                acc = keys[len(keys) - 1 - n] + acc
                n += 1
            if acc == phrase and n < len(keys):
                words, keys = words[: len(words) - n], keys[: len(keys) - n]
                changed = True
                break
        if words and not flat(keys[:1]):
            words, keys = words[1:], keys[1:]
            changed = True
    return words


def _clause_tags(clause: str, taxonomy: Taxonomy):
    """Words of a clause and the concepts found in them, located by word index."""
    words = [(m.group(), m.start(), m.end()) for m in _WORD.finditer(clause)]
    flat: list[str] = []
    word_of: list[int] = []
    for index, (word, _, _) in enumerate(words):
        for tok in tokens(word):
            flat.append(tok)
            word_of.append(index)
    located = [
        (tag, word_of[start], word_of[end - 1]) for tag, start, end in taxonomy.locate(flat)
    ]
    return words, located


_ARABIC_SCRIPT = re.compile(r"[\u0600-\u06ff]")
_GLOSS_GAP = re.compile(r"[\s()\[\]/=:–—-]*")


def _is_arabic(word: str) -> bool:
    return bool(_ARABIC_SCRIPT.search(word))


def _without_gloss(clause: str, words, located):
    """Drop a translation written right beside the item in the other script ("face shields قناع", "قفازات
    (gloves)"): the item is the buyer's main words, and a loose translation must not add a second item. The main
    script is the one of most item words (on a tie, of the first). Words joined by a comma or "and" are a second
    item, not a translation. Returns the tags kept and the translation's word indices."""
    scripts = [{_is_arabic(words[i][0]) for i in range(first, last + 1)} for _, first, last in located]
    size = {
        flag: sum(last - first + 1 for (_, first, last), s in zip(located, scripts, strict=True) if s == {flag})
        for flag in (True, False)
    }
    if not size[True] or not size[False]:
        return located, set()
    main_arabic = size[True] > size[False] or (size[True] == size[False] and scripts[0] == {True})
    main = [(first, last) for (_, first, last), s in zip(located, scripts, strict=True) if s == {main_arabic}]

    def beside(first: int, last: int) -> bool:
        for m_first, m_last in main:
            if m_last + 1 == first and _GLOSS_GAP.fullmatch(clause[words[m_last][2] : words[first][1]]):
                return True
            if last + 1 == m_first and _GLOSS_GAP.fullmatch(clause[words[last][2] : words[m_first][1]]):
                return True
        return False

    kept, gloss = [], set()
    for tag, s in zip(located, scripts, strict=True):
        _, first, last = tag
        if s == {not main_arabic} and beside(first, last):
            gloss.update(range(first, last + 1))
        else:
            kept.append(tag)
    return kept, gloss


def _item_phrase(
    remaining: str, quantity_span: tuple[int, int] | None, taxonomy: Taxonomy
) -> tuple[str | None, tuple[str, ...], list[tuple[int, int]]]:
    """The buyer's words for the item, the taxonomy ids they name, and where a translation beside them stands
    (see `_without_gloss`)."""
    best = None
    for found in re.finditer(r"[^.!?;\n•|]+", remaining):
        clause = found.group()
        if not _WORD.search(clause):
            continue
        words, located = _clause_tags(clause, taxonomy)
        names_item = any(taxonomy.kind(tag.id) != "process" for tag, _, _ in located) or has_cjk(clause)
        holds_quantity = quantity_span is not None and found.start() <= quantity_span[0] < found.end()
        rank = 0 if names_item else 1 if located else 2 if holds_quantity else 3
        if best is None or rank < best[0]:
            best = (rank, clause, words, located, found.start())
    if best is None:
        return None, (), []
    _, clause, words, located, start = best
    if has_cjk(clause):
        ids = tuple(tag.id for tag in taxonomy.tag(clause))
        return _tidy(clause) or None, ids, []
    if not located:
        served = None
        if find_processes(tokens(clause)):
            stripped = _strip_edges([(m.group(), m.start(), m.end()) for m in _WORD.finditer(clause)])
            served = _service_object(clause, stripped, 0)
        if served:  # "powder coat 40 railings": the item runs from the service to the thing it is done to
            return _tidy(clause[stripped[0][1] : stripped[served[1]][2]]), (), []
        beneficiary = _BENEFICIARY.search(clause)
        if beneficiary:
            clause = clause[: beneficiary.start()]
            words = [(m.group(), m.start(), m.end()) for m in _WORD.finditer(clause)]
        words = _strip_edges(words)
        if not words:
            return None, (), []
        phrase = _tidy(clause[words[0][1] : words[-1][2]])
        if not phrase or all(UNIT_OF.get(tok) not in (None, *THING_UNITS) for tok in tokens(phrase)):
            return None, (), []
        return phrase, (), []
    located, gloss = _without_gloss(clause, words, located)
    gloss_spans = [(start + words[i][1], start + words[i][2]) for i in sorted(gloss)]
    ids = tuple(dict.fromkeys(tag.id for tag, _, _ in located))
    first = min(first for _, first, _ in located)
    last = max(last for _, _, last in located)
    # Keep up to three describing words before the item ("cotton fabric medical face masks"), and the
    # "plastic for" of a part; stop at filler and numbers.
    is_part = any(tag.id.endswith(".part") for tag, _, _ in located)
    part_grammar = taxonomy.part_words | taxonomy.material_words | taxonomy.for_words
    for _ in range(3):
        if first == 0:
            break
        previous = tuple(tokens(words[first - 1][0]))
        joined = clause[words[first - 1][2] : words[first][1]] == "-"  # "3-ply"
        part_word = is_part and bool(previous) and previous[0] in part_grammar  # "plastic for | face shields"
        model = first >= 2 and is_model_number(fold_chars(words[first - 2][0]), words[first - 1][0])  # "3M 1860"
        counted = previous and previous[0].isdigit() and not model
        if not previous or (not part_word and not joined and (previous in _EDGE_WORDS or counted)):
            break
        if first - 1 in gloss:
            break
        first -= 1
    while last + 1 < len(words) and set(tokens(words[last + 1][0])) & taxonomy.part_words:
        last += 1
    if all(taxonomy.kind(tag.id) == "process" for tag, _, _ in located):
        # Process words name no product: the product is the thing the service is done to ("vacuum forming 300
        # trays"), or the head they describe ("CNC machined aluminum brackets").
        served = _service_object(clause, words, min(first for _, first, _ in located))
        last = served[1] if served else _head_after(clause, words, last)
    return _tidy(clause[words[first][1] : words[last][2]]), ids, gloss_spans


# Words for the job rather than the thing: "turning work: 500 pins", "welding repair on a trailer frame".
_JOB_WORDS = frozenset(tokens("work job run production repair service batch built made done ok okay"))
_JOINING_WORDS = frozenset(tokens("and then plus y & و"))
_MAX_HEAD_WORDS = 4


def _joined(clause: str, words: list[tuple[str, int, int]], index: int) -> bool:
    """Whether word `index` follows the one before it within one phrase (a space or a hyphen, nothing taken)."""
    return clause[words[index - 1][2] : words[index][1]] in (" ", "-")


def _head_after(clause: str, words: list[tuple[str, int, int]], last: int) -> int:
    """Extend an item that ends in process words over the head they describe: "laser engraved | wedding
    invitations"."""
    for _ in range(_MAX_HEAD_WORDS):
        if last + 1 >= len(words) or not _joined(clause, words, last + 1):
            break
        following = tuple(tokens(words[last + 1][0]))
        if not following or following in _EDGE_WORDS or following[0].isdigit() or set(following) <= _JOB_WORDS:
            break
        last += 1
    return last


def _service_object(clause: str, words: list[tuple[str, int, int]], first: int) -> tuple[int, int] | None:
    """The words of the thing a service is done to, when the phrase opens with process words set apart from
    it: "powder coat 40 railings", "CNC machining for 200 parts", "laser engraving our logo on 100 cutting
    boards". None when the phrase does not open with process words, or they and the product read as one
    phrase ("CNC machined aluminum brackets")."""
    flat: list[str] = []
    word_of: list[int] = []
    for index in range(first, len(words)):
        for tok in tokens(words[index][0]):
            flat.append(tok)
            word_of.append(index)
    covered = {word_of[i] for found in find_processes(flat) for i in range(found.start, found.end)}
    k = first
    while k < len(words) and (k in covered or set(tokens(words[k][0])) <= _JOINING_WORDS):
        k += 1
    if k == first or k == len(words):
        return None
    runs: list[list[int]] = []
    for index in range(k, len(words)):
        if any(runs) and index > k and set(clause[words[index - 1][2] : words[index][1]]) & set(",:"):
            break  # "screen printing on 150 t-shirts, 2 colors front": the thing ends at the comma
        toks = tuple(tokens(words[index][0]))
        if not toks or toks in _EDGE_WORDS or toks[0].isdigit() or index in covered or set(toks) <= _JOB_WORDS:
            runs.append([])
            continue
        if runs and runs[-1] and _joined(clause, words, index):
            runs[-1].append(index)
        else:
            runs.append([index])
    runs = [run for run in runs if run]
    if not runs or (runs[0][0] == k and _joined(clause, words, k)):
        return None  # "CNC machined aluminum brackets", "baked goods for a bake sale": one phrase
    return runs[-1][0], runs[-1][-1]


def _tidy(phrase: str) -> str:
    return re.sub(r"\s+", " ", phrase).strip(" ,-–—:/&+*()[]\"'")


def _language(folded: str) -> str | None:
    if _ARABIC_SCRIPT.search(folded):
        return "ar"
    if _SPANISH_HINT.search(folded):
        return "es"
    if re.search(r"[a-z]", folded):
        return "en"
    return None
