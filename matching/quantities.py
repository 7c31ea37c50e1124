"""Quantities in buyers' words: "500", "1,000", "5k", "a thousand", "two dozen", "x 100", "qty 50", "500 pcs".

Works on text folded by `matching.text.fold_chars` (lower case, no accents, ASCII digits).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from rapidfuzz.distance import OSA

from matching.text import fold, ordinary_words, stem

# ── number words (English, Spanish, Arabic after folding: ة→ه, أ→ا) ──

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40,
    "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "couple": 2,
    "uno": 1, "una": 1, "un": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7, "ocho": 8,
    "nueve": 9, "diez": 10, "once": 11, "doce": 12, "quince": 15, "veinte": 20, "veinticinco": 25, "treinta": 30,
    "cuarenta": 40, "cincuenta": 50, "sesenta": 60, "setenta": 70, "ochenta": 80, "noventa": 90,
    "cien": 100, "ciento": 100, "doscientos": 200, "doscientas": 200, "trescientos": 300, "trescientas": 300,
    "cuatrocientos": 400, "cuatrocientas": 400, "quinientos": 500, "quinientas": 500, "seiscientos": 600,
    "seiscientas": 600, "setecientos": 700, "setecientas": 700, "ochocientos": 800, "ochocientas": 800,
    "novecientos": 900, "novecientas": 900,
    "واحد": 1, "واحده": 1, "اثنان": 2, "اثنين": 2, "ثلاث": 3, "ثلاثه": 3, "اربع": 4, "اربعه": 4, "خمس": 5,
    "خمسه": 5, "ست": 6, "سته": 6, "سبع": 7, "سبعه": 7, "ثمان": 8, "ثمانيه": 8, "تسع": 9, "تسعه": 9, "عشر": 10,
    "عشره": 10, "عشرين": 20, "عشرون": 20, "ثلاثين": 30, "اربعين": 40, "خمسين": 50, "مئه": 100, "مائه": 100,
    "مئتين": 200, "مائتين": 200, "مئتان": 200, "ثلاثمائه": 300, "ثلاثمئه": 300, "اربعمائه": 400, "اربعمئه": 400,
    "خمسمائه": 500, "خمسمئه": 500, "ستمائه": 600, "سبعمائه": 700, "ثمانمائه": 800, "تسعمائه": 900,
    "الفين": 2000, "الفان": 2000,
}
_UNITS = {fold(word): value for word, value in _UNITS.items()}  # Arabic hamza forms fold like the input
_HUNDRED = {"hundred", "hundreds", "cientos", fold("مئات")}
_MULTIPLIERS = {
    "thousand": 1000, "thousands": 1000, "k": 1000, "mil": 1000, "الف": 1000, "الاف": 1000, "million": 1_000_000,
    "millon": 1_000_000, "millones": 1_000_000, "مليون": 1_000_000,
    "dozen": 12, "dozens": 12, "docena": 12, "docenas": 12, "دزينه": 12, "دسته": 12,
}
_MULTIPLIERS = {fold(word): value for word, value in _MULTIPLIERS.items()}
_ARTICLES = {"a", "an", "un", "una"}  # "a thousand", "una docena"
# Vague counts, read only before a scale ("a few hundred", "several thousand", "unas cuantas docenas"): a
# modest reading of the words, and the quantity is marked approximate. "A few masks" stays uncounted.
_VAGUE = {"few": 3, "several": 3, "cuantos": 3, "cuantas": 3, "varios": 3, "varias": 3, "بضع": 3, "بضعه": 3}
_VAGUE = {fold(word): value for word, value in _VAGUE.items()}
_APPROXIMATE = frozenset(_VAGUE) | {"couple", "hundreds", "thousands", "dozens", "docenas", "الاف", "مئات"}
_JOINERS = {"and", "y", "و"}

_UNIT_WORDS = {
    "piece": ("pcs", "pc", "piece", "pieces", "unit", "units", "each", "ea", "pzas", "pza", "piezas", "pieza",
              "unidades", "unidad", "قطعه", "قطع", "وحده", "وحدات", "items", "item"),
    "box": ("box", "boxes", "bx", "cajas", "caja", "علبه", "علب", "صندوق", "صناديق", "cartons", "carton"),
    "pair": ("pair", "pairs", "pr", "prs", "pares", "par", "زوج", "ازواج"),
    "set": ("set", "sets", "juego", "juegos", "طقم", "اطقم"),
    "case": ("case", "cases", "cs"),
    "pack": ("pack", "packs", "package", "packages", "pk", "packet", "packets", "paquete", "paquetes", "عبوه", "عبوات"),
    "kit": ("kit", "kits"),
    "bottle": ("bottle", "bottles", "botella", "botellas", "زجاجه", "زجاجات"),
    "gallon": ("gallon", "gallons", "gal", "galon", "galones", "جالون"),
    "liter": ("liter", "liters", "litre", "litres", "l", "lt", "litro", "litros", "لتر", "لترات"),
    "roll": ("roll", "rolls", "rollo", "rollos", "spool", "spools", "bobina", "bobinas"),
    # Counting words of the trades: the baker's loaves, the brewer's kegs, the lumberyard's sheets and boards.
    "loaf": ("loaf", "loaves", "loafs", "hogaza", "hogazas", "رغيف", "ارغفه"),
    "keg": ("keg", "kegs", "half barrel", "half barrels", "barrel", "barrels", "sixtel", "sixtels", "barril",
            "barriles", "برميل", "براميل"),
    "can": ("cans", "lata", "latas"),  # not "can": "no one can make them"
    "jar": ("jar", "jars", "frasco", "frascos", "tarro", "tarros", "برطمان", "مرطبان"),
    "bag": ("bag", "bags", "sack", "sacks", "costal", "costales", "كيس", "اكياس"),
    "sheet": ("sheet", "sheets", "hoja", "hojas", "لوح", "الواح"),
    "board": ("board", "boards", "tabla", "tablas"),
    "bar": ("bar", "bars", "barra", "barras", "pastilla", "pastillas"),
    # Measures: how much of a material or a bulk good.
    "lb": ("lb", "lbs", "pound", "pounds", "libra", "libras", "رطل", "ارطال"),
    "kg": ("kg", "kgs", "kilo", "kilos", "kilogram", "kilograms", "kilogramo", "kilogramos", "كيلو", "كغ", "كجم"),
    "oz": ("oz", "ounce", "ounces", "onza", "onzas"),
    "yard": ("yard", "yards", "yd", "yds", "yarda", "yardas", "ياردة", "ياردات"),
    "meter": ("meter", "meters", "metre", "metres", "metro", "metros", "متر", "امتار"),
    "foot": ("foot", "feet", "ft", "linear feet", "linear ft"),
    "ton": ("ton", "tons", "tonne", "tonnes", "tonelada", "toneladas", "طن", "اطنان"),
    "sq ft": ("sq ft", "sqft", "sq feet", "square feet", "square foot", "pies cuadrados"),
    "board foot": ("board feet", "board foot", "board ft", "bd ft", "bdft"),
}
# A measure just before another word is a size, not an amount: "12 oz jars", "14 ft gate", "5 gallon buckets".
# Before "of" or alone it is the amount: "50 lbs of coffee", "beeswax, 10 kg".
MEASURES = frozenset({"gallon", "liter", "lb", "kg", "oz", "ton", "yard", "meter", "foot", "sq ft", "board foot"})
# Units that are also what is asked for: "need 500 bags" asks for bags.
THING_UNITS = frozenset({"bottle", "loaf", "keg", "jar", "bag", "sheet", "board", "bar", "roll", "kit", "box"})
UNIT_OF = {fold(word): unit for unit, words in _UNIT_WORDS.items() for word in words}
# How a unit reads after a count other than one; units not listed take an "s" ("bottle" → "bottles").
_PLURALS = {
    "box": "boxes", "loaf": "loaves", "foot": "feet", "board foot": "board feet", "lb": "lb", "kg": "kg",
    "oz": "oz", "sq ft": "sq ft",
}  # fmt: skip


def unit_label(unit: str, quantity: int | None) -> str:
    """The unit as it reads after `quantity`: "loaves" after 200, "loaf" after 1, "sq ft" after both."""
    return unit if quantity == 1 else _PLURALS.get(unit, unit + "s")
_UNIT_RE = "|".join(sorted((re.escape(w).replace(r"\ ", r"\s+") for w in UNIT_OF), key=len, reverse=True))

_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d{1,3}(?:\.\d{3})+(?![\d.])|\d+(?:\.\d+)?"
_SCALE = r"k|thousand|mil|الف|الاف|million|millon|millones|dozen|docenas?"
# A number that is part of a name or a measure, not a count: N95, 3M, 3-ply, level 3, size 6, NEMA 4X, $2.10, 60%.
_NOT_BEFORE = re.compile(
    r"(?:\b(?:level|type|size|class|grade|model|tier|no|number|version|step|phase|covid|ffp|n|kn|p|r|room|suite|zip|"
    r"floor|ext|usd|nivel|talla|tipo|nema|reynolds|columbus|iso|astm|ansi|sae|ul|din|aisi)\s*[-#.:]?\s*|[$€£#])$"
)
_NOT_AFTER = re.compile(r"^(?:\s*-\s*d\b|\s+d[\s-]+p|\s*%|\s*-?\s*(?:ply|colou?rs?|sided)\b|\s*(?:st|nd|rd|th)\b|\s*[:/]\d|\s*(?:am|pm|mg|ml|mm|cm|in)\b)")
# (?!\d) after the number stops "10am" from being read as "1" followed by "0am".
_PLAIN = re.compile(
    rf"(?<![\w.,/$#-])({_NUM})(?!\d)(?:\s*({_SCALE})(?![^\W\d_]))?(?:\s*({_UNIT_RE})(?![^\W\d_]))?(?![^\W\d_])"
)
_TIMES = re.compile(rf"(?:(?<![^\W\d_])[x×]\s*({_NUM})(?!\w)|(?<![\w.,])({_NUM})\s*[x×](?![^\W\d_]))")
_TIMES_BEFORE = re.compile(r"(?<![^\W\d_])[x×]\s*$")
_LABELLED = re.compile(rf"\b(?:qty|quantity|cantidad|cant|الكميه|كميه|عدد)\s*[:#=.]?\s*({_NUM})(?:\s*({_SCALE})\b)?")
_WORD = re.compile(r"[^\W\d_]+")
_UNIT_AFTER = re.compile(rf"^\s*(?:of\s+|de\s+)?({_UNIT_RE})(?![^\W\d_])")


# Sizes written with "x" are not counts: "boxes 12x12x12", "24x36 posters", "4 x 8 x 3/4 plywood".
_DIMENSIONS = re.compile(
    r"(?<![\w.])\d+(?:\.\d+)?(?:\s*[x×]\s*\d+(?:\.\d+)?){2,}(?![\w.])|(?<![\w.])\d+(?:\.\d+)?[x×]\d+(?:\.\d+)?(?![\w.])"
)

MAX_QUANTITY = 1_000_000_000  # more than anyone orders from a maker; beyond it a "number" is noise


@dataclass(frozen=True)
class Quantity:
    value: int
    unit: str | None
    span: tuple[int, int]
    approximate: bool = False  # read from vague words: "a few hundred" → 300
    unit_span: tuple[int, int] | None = None  # where the unit word stands, inside `span`


def _unit_of(written: str) -> str | None:
    return UNIT_OF.get(" ".join(written.split()))


# A model number, not a count: four digits right after a model name ("N95 1870", "3M 1860 respirators",
# "FFP2 8810"). Orders come in round numbers, so a round one there is still a count ("N95 1000").
_MODEL_NAME = re.compile(r"(?<![\w-])(?:[a-z]+\d+[a-z\d]*|\d+[a-z]+[a-z\d]*)\s*$")
_MODEL_NUMBER = re.compile(r"\d{4}")


def is_model_number(before: str, number: str) -> bool:
    """Whether `number`, written right after `before`, is a model number ("3M 1860")."""
    if not _MODEL_NUMBER.fullmatch(number) or int(number) % 50 == 0:
        return False
    return bool(_MODEL_NAME.search(before[-12:]))


def _is_model_number(low: str, found: re.Match[str]) -> bool:
    if found.group(2) or found.group(3):
        return False
    return is_model_number(low[max(0, found.start() - 12) : found.start()], found.group(1))


_UNIT_SLIP = re.compile(r"\s*([^\W\d_]{6,})(?![^\W\d_])")
_SLIP_FORMS = tuple(word for word in UNIT_OF if len(word) >= 6 and word.isalpha())


@cache
def _misspelt_unit(word: str) -> str | None:
    """A unit word with one slip, right after a number, where a unit is expected: "500 peices", "20 bottels".
    Only long words, and never an ordinary word ("bottled") or one the taxonomy knows."""
    if word in UNIT_OF or stem(word) in ordinary_words():
        return None
    near = {UNIT_OF[form] for form in _SLIP_FORMS if OSA.distance(word, form, score_cutoff=1) <= 1}
    return near.pop() if len(near) == 1 else None


# Words after a measure that show it is the amount after all: "20 lb a week", "10 kg of", "5 gallons each".
_NOT_A_NOUN = frozenset(
    {
        "of", "de", "من", "each", "total", "a", "an", "per", "every", "for", "by", "before", "near", "in", "on",
        "at", "to", "asap", "please", "pls", "weekly", "monthly", "daily", "week", "month", "day", "al", "por",
        "cada", "para",
    }
)  # fmt: skip


_YEAR_LEAD = re.compile(r"(?<![^\W\d_])(?:a|an|the|my|our|his|her|their|un|una|mi|nuestro|nuestra)\s+$")


# An alloy's grade before its metal, not a count: "6061 aluminum", "304 stainless", "6061-T6", "1018 steel".
_METAL_AFTER = re.compile(r"\s*-?\s*(?:t\d{1,2}\s*)?(?:aluminum|aluminium|alu|stainless|ss|steel|brass|bronze|copper|ti|titanium)\b")


def _is_a_grade(low: str, found: re.Match[str]) -> bool:
    number = found.group(1)
    if found.group(2) or found.group(3) or not number.isdigit() or len(number) not in (3, 4):
        return False
    if int(number) % (10 if len(number) == 3 else 50) == 0:
        return False  # "300 steel brackets": round numbers are counts
    return bool(_METAL_AFTER.match(low, found.end()))


def _is_a_year(low: str, found: re.Match[str]) -> bool:
    """"engine rebuild for a 2012 F-150": a year after an article names a model year, not a count."""
    number = found.group(1)
    if found.group(2) or found.group(3) or not re.fullmatch(r"(?:19[5-9]|20[0-3])\d", number):
        return False
    return bool(_YEAR_LEAD.search(low, 0, found.start()))


def _is_a_size(low: str, unit: str | None, end: int) -> bool:
    """A measure followed by a noun ("12 oz jars") sizes the thing; it does not say how many."""
    if unit not in MEASURES:
        return False
    following = _WORD.match(low, end + len(low[end:]) - len(low[end:].lstrip(" -")))
    return following is not None and following.group() not in _NOT_A_NOUN


def _number(text: str) -> float | None:
    if "," in text:
        text = text.replace(",", "")
    elif re.fullmatch(r"\d{1,3}(?:\.\d{3})+", text):
        text = text.replace(".", "")  # "1.000" is a thousand in most of the world
    try:
        return float(text)
    except ValueError:
        return None


def _scaled(value: float | None, scale: str | None) -> int | None:
    if value is None:
        return None
    if scale:
        value *= _MULTIPLIERS.get(scale, 1)
    if value <= 0 or value >= MAX_QUANTITY:
        return None
    return round(value)


def word_numbers(low: str) -> list[tuple[int, int, int]]:
    """Spans of spelled-out numbers: "two dozen" → 24, "a thousand" → 1000, "خمسمائة" → 500."""
    found: list[tuple[int, int, int]] = []
    words = list(_WORD.finditer(low))
    i = 0
    while i < len(words):
        start = i
        total: float = 0  # "half a dozen" passes through 0.5
        current: float = 0
        seen_number = False
        j = i
        while j < len(words):
            word = words[j].group()
            nxt = words[j + 1].group() if j + 1 < len(words) else ""
            if word in _UNITS:
                current += _UNITS[word]
                seen_number = True
            elif word in _VAGUE and (nxt in _MULTIPLIERS or nxt in _HUNDRED) and nxt != "k":
                current += _VAGUE[word]
                seen_number = True
            elif word in _HUNDRED:
                current = (current or 1) * 100
                seen_number = True
            elif word in _MULTIPLIERS and word != "k":
                current = (current or 1) * _MULTIPLIERS[word]
                if _MULTIPLIERS[word] >= 1000:
                    total += current
                    current = 0
                seen_number = True
            elif word == "half" and nxt in _ARTICLES:
                current += 0.5  # "half a dozen"
                j += 1
            elif word in _ARTICLES and (nxt in _MULTIPLIERS or nxt in _HUNDRED or nxt in _VAGUE or nxt == "couple"):
                pass  # "a thousand": the article counts as one only through the word after it
            elif word in _JOINERS and seen_number and nxt and (nxt in _UNITS or nxt in _HUNDRED):
                pass
            else:
                break
            j += 1
        value = total + current
        if seen_number and 1 <= value < MAX_QUANTITY and not (j - start == 1 and words[start].group() in {"un", "una", "once"}):
            found.append((words[start].start(), words[j - 1].end(), round(value)))
            i = j
        else:
            i = start + 1
    return found


def find_quantity(low: str, names_an_item: Callable[[str], bool]) -> Quantity | None:
    """The requested quantity, or None.

    `names_an_item(text)` tells whether the words right after a number name something buyers ask
    for; a number followed by a unit or an item is preferred over any other number in the text.
    """
    labelled = _LABELLED.search(low)
    if labelled:
        value = _scaled(_number(labelled.group(1)), labelled.group(2))
        if value:
            return Quantity(value, _unit_after(low, labelled.end()), labelled.span())
    low = _DIMENSIONS.sub(lambda m: " " * len(m.group()), low)
    candidates: list[tuple[int, Quantity]] = []
    for found in _TIMES.finditer(low):
        if _NOT_BEFORE.search(low[max(0, found.start() - 12) : found.start()]):
            continue  # "NEMA 4X": a rating, not four of them
        value = _scaled(_number(found.group(1) or found.group(2)), None)
        if value:
            candidates.append((1, Quantity(value, None, found.span())))
    for found in _PLAIN.finditer(low):
        if _NOT_BEFORE.search(low[max(0, found.start() - 12) : found.start()]):
            continue
        if _NOT_AFTER.match(low[found.end() : found.end() + 10]):
            continue
        if len(found.group(1)) > 1 and found.group(1).startswith("0"):
            continue  # "02 monitors" (O2), "007": a label, not a count
        value = _scaled(_number(found.group(1)), found.group(2))
        if not value or _is_model_number(low, found) or _is_a_year(low, found) or _is_a_grade(low, found):
            continue
        unit = _unit_of(found.group(3)) if found.group(3) else None
        unit_span = found.span(3) if found.group(3) else None
        if unit is None:
            slip = _UNIT_SLIP.match(low, found.end())
            unit = _misspelt_unit(slip.group(1)) if slip else None
            unit_span = slip.span(1) if unit and slip else None
        end = unit_span[1] if unit_span else found.end()
        if _is_a_size(low, unit, end):
            continue
        rank = 0 if unit or names_an_item(low[end : end + 40]) else 2
        times = _TIMES_BEFORE.search(low, 0, found.start())  # "x 100 gowns": the "x" goes with the count
        span = (times.start() if times else found.start(), end)
        candidates.append((rank, Quantity(value, unit, span, unit_span=unit_span)))
    for start, end, value in word_numbers(low):
        unit_match = _UNIT_AFTER.match(low[end:])
        unit = _unit_of(unit_match.group(1)) if unit_match else None
        span_end = end + unit_match.end() if unit_match else end
        unit_span = (end + unit_match.start(1), span_end) if unit_match else None
        rank = 0 if unit or names_an_item(low[span_end : span_end + 40]) else 3
        approximate = any(word in _APPROXIMATE for word in _WORD.findall(low[start:end]))
        candidates.append((rank, Quantity(value, unit, (start, span_end), approximate, unit_span)))
    if not candidates:
        return None
    # A count in counting units beats a measure beside it: "soy candles, 8oz, 150 pcs" asks for 150 candles.
    candidates.sort(key=lambda pair: (pair[0], pair[1].unit in MEASURES, pair[1].span[0]))
    return candidates[0][1]


def _unit_after(low: str, position: int) -> str | None:
    found = _UNIT_AFTER.match(low[position:])
    return _unit_of(found.group(1)) if found else None
