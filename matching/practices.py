"""Greener practices in a maker's own words, mapped to a small shared vocabulary.

"we print with water-based inks" → low-toxicity; "solar panels on the roof" → renewable-energy. A maker with at
least one known practice fits a buyer's "eco-friendly" or "sustainable"; the words themselves are shown as the
maker wrote them. The vocabulary is this project's own, grouped the way greener-business programmes usually
list practices (materials, energy, waste, chemicals, sourcing, reuse, delivery, packaging).
"""

from __future__ import annotations

from collections.abc import Iterable

from matching.text import tokens

PRACTICES: dict[str, tuple[str, list[str]]] = {
    "recycled-materials": ("recycled materials", [
        "recycled", "recycled materials", "recycled content", "post consumer", "post-consumer", "reclaimed",
        "reclaimed wood", "urban wood", "urban lumber", "salvaged", "upcycled", "upcycling", "repurposed",
        "deadstock", "reciclado", "reciclados", "materiales reciclados", "madera recuperada", "معاد تدويره",
    ]),
    "renewable-energy": ("renewable energy", [
        "solar", "solar powered", "solar-powered", "solar panels", "wind power", "renewable energy",
        "100% renewable", "green energy", "green power", "geothermal", "energia solar", "طاقه شمسيه",
    ]),
    "zero-waste": ("low waste", [
        "zero waste", "zero-waste", "low waste", "scrap recycling", "we recycle our scrap", "offcuts", "compost",
        "composting", "cero residuos", "sin desperdicio",
    ]),
    "organic": ("organic", [
        "organic", "certified organic", "organic cotton", "organic ingredients", "organico", "organica", "عضوي",
    ]),
    "low-toxicity": ("low-toxicity inputs", [
        "water based", "water-based", "water based inks", "low voc", "low-voc", "zero voc", "non toxic",
        "non-toxic", "natural dyes", "plant based dyes", "plant-based", "soy ink", "soy inks", "soy based",
        "vegetable tanned", "veg tanned", "veg-tan", "natural finishes", "tintas al agua",
    ]),
    "local-sourcing": ("local sourcing", [
        "local materials", "locally sourced", "local ingredients", "local suppliers", "michigan grown",
        "michigan-grown", "local wood", "local farms", "ingredientes locales",
    ]),
    "repair-reuse": ("repair and reuse", [
        "repair", "repairs", "refurbished", "refurbishing", "take back", "take-back", "returnable", "refill",
        "refills", "reusable", "reuse", "reparacion",
    ]),
    "clean-delivery": ("clean delivery", [
        "bike delivery", "bicycle delivery", "cargo bike", "electric delivery", "ev delivery", "electric van",
        "electric vans",
    ]),
    "green-packaging": ("greener packaging", [
        "compostable packaging", "compostable", "plastic free", "plastic-free", "recyclable packaging", "no plastic",
        "biodegradable packaging", "biodegradable",
    ]),
    "energy-efficiency": ("energy efficiency", [
        "energy efficient", "energy-efficient", "led lighting", "energy star", "carbon neutral", "carbon offset",
        "carbon offsets", "net zero", "heat recovery",
    ]),
}  # fmt: skip

_KEYS: dict[tuple[str, ...], str] = {}
for _practice, (_label, _aliases) in PRACTICES.items():
    for _alias in _aliases:
        _KEYS.setdefault(tuple(tokens(_alias)), _practice)
_LONGEST = max(len(key) for key in _KEYS)


def practices_in(phrase: str) -> tuple[str, ...]:
    """The known practices a phrase names, in order, once each."""
    toks = tokens(phrase)
    out: list[str] = []
    i = 0
    while i < len(toks):
        for length in range(min(_LONGEST, len(toks) - i), 0, -1):
            practice = _KEYS.get(tuple(toks[i : i + length]))
            if practice is not None:
                if practice not in out:
                    out.append(practice)
                i += length
                break
        else:
            i += 1
    return tuple(out)


def known_practices(phrases: Iterable[str]) -> tuple[str, ...]:
    """The known practices of all of a maker's phrases, once each."""
    return tuple(dict.fromkeys(p for phrase in phrases for p in practices_in(phrase)))


def label(practice: str) -> str:
    return PRACTICES[practice][0]
