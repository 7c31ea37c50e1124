"""What a buyer prefers of a maker besides the item: greener practices, a kind of maker, a label.

"eco-friendly tote bags", "from a makerspace", "only Made in Detroit", "woman-owned bakery". A preference
raises the makers who fit it; one said with "only" ("only Made in Detroit", "must be woman-owned") keeps
the others out. Patterns run over folded text (`text.fold_chars`: lower case, no accents, same length as
the original), so a span found here cuts the same place out of the buyer's own words.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from matching.text import tokens

GREEN = "green"
MAKER_TYPES = ("business", "makerspace", "school", "cooperative", "individual")


@dataclass(frozen=True)
class Preference:
    word: str  # "green", a maker type, or a label's slug ("made-in-detroit", "woman-owned")
    only: bool  # "only …", "must be …": makers without it are left out
    span: tuple[int, int]  # where the text said it, "only" included
    keep_in_item: bool = False  # "recycled paper": the word also says what the item is made of


def slug(label: str) -> str:
    """A label as a short comparable word: "Made in Detroit" → "made-in-detroit", "Women Owned" → "woman-owned"."""
    words = tokens(label)
    while words and words[-1] in _LABEL_TAIL:
        words = words[:-1]  # "woman-owned business", "Made in Detroit certified"
    words = [_SAME_LABEL_WORD.get(w, w) for w in words]
    if len(words) >= 2 and words[-1] in ("led", "run"):
        words[-1] = "owned"
    return "-".join(words)


_LABEL_TAIL = frozenset({"business", "busines", "company", "shop", "maker", "certified", "certification", "label"})
_SAME_LABEL_WORD = {
    "women": "woman", "female": "woman", "vet": "veteran", "latina": "latino", "latinx": "latino",
    "hispanic": "latino", "corporation": "corp", "hecho": "made", "hecha": "made", "en": "in",
}  # fmt: skip

_G = r"[\s-]"  # the space or hyphen between the words of a compound
# Greener ways of making, said of the maker or the job; the words say nothing of the item and leave it.
_GREEN = re.compile(
    rf"(?<!\w)(?:eco{_G}?(?:friendly|conscious)|(?:environment(?:ally)?|earth|planet|climate){_G}friendly|"
    rf"sustainabl[ey](?:{_G}(?:made|sourced|produced))?|greener|"
    rf"green\s+(?:makers?|shops?|business(?:es)?|compan(?:y|ies)|manufacturers?|suppliers?|options?|practices|way)|"
    rf"(?:go|going)\s+green|low{_G}(?:carbon|impact)|carbon{_G}neutral|net{_G}zero|zero{_G}waste|"
    rf"ecologic(?:o|a|os|as|al)|sostenibles?|sustentables?|amigables?\s+con\s+el\s+(?:medio\s+ambiente|planeta)|"
    rf"صديق(?:ه)?\s+للبيئه|مستدام(?:ه)?)(?!\w)"
)
# Greener materials: a preference, and also part of what is asked for ("recycled paper notebooks").
_GREEN_MATERIAL = re.compile(
    r"(?<!\w)(?:recycled|reciclad[oa]s?|upcycled|reclaimed|repurposed|salvaged|organic|organic[oa]s?|"
    r"compostable|biodegradable|معاد\s+تدويره|عضوي(?:ه)?)(?!\w)"
)
_MAKERSPACE = re.compile(
    r"(?<!\w)(?:(?:from|at|by|through|via)\s+)?(?:(?:a|an|the|our|your|local|community)\s+){0,2}"
    r"(?:makerspace|maker\s+space|hackerspace|hacker\s+space|fab\s?lab|community\s+(?:work)?shop|maker\s+collective)s?"
    r"(?!\w)"
)
_SCHOOL = re.compile(
    rf"(?<!\w)(?:student{_G}made|made\s+by\s+(?:the\s+)?students|by\s+students|"
    r"(?:from|by)\s+(?:a\s+)?(?:(?:trade|vocational|technical)\s+school|school|college|training\s+program(?:me)?))"
    r"(?!\w)"
)
_COOPERATIVE = re.compile(
    rf"(?<!\w)(?:(?:from|by)\s+(?:a\s+)?(?:worker\s+)?(?:co{_G}?op|cooperative|cooperativa)s?|"
    rf"worker{_G}(?:owned|run)|co{_G}?op{_G}made|cooperative{_G}made)(?!\w)"
)
_INDIVIDUAL = re.compile(
    rf"(?<!\w)(?:(?:from|by)\s+(?:an?\s+)?)?(?:independent|individual|solo|home{_G}based)\s+"
    r"(?:makers?|artisans?|crafters?|craftspeople|craftsperson)(?!\w)"
)
_OWNED = re.compile(
    rf"(?<!\w)((?:black|woman|women|female|minority|veteran|vet|latino|latina|latinx|hispanic|asian|arab|"
    rf"indigenous|native|immigrant|family|locally|employee|disabled|lgbtq|queer){_G}(?:owned|led|run))"
    r"(?:\s+(?:business(?:es)?|shops?|compan(?:y|ies)|makers?))?(?!\w)"
)
_CERTIFIED = re.compile(
    rf"(?<!\w)(?:certified\s+)?(b{_G}?corp(?:oration)?|union{_G}made|fair{_G}trade)(?:\s+certified)?(?!\w)"
)
# "Made in Detroit", "hecho en Detroit", "Detroit-made": a place label. The place is checked by the caller.
_MADE_IN = re.compile(r"(?<!\w)(?:made|hech[oa]s?|built|produced)\s+(?:in|en)\s+([a-z]+(?:\s+[a-z]+){0,2})")
_PLACE_MADE = re.compile(rf"(?<!\w)([a-z]+(?:\s[a-z]+)?){_G}made(?!\w)")
_NOT_A_PLACE = frozenset(
    {"custom", "hand", "tailor", "ready", "home", "well", "self", "man", "machine", "factory", "locally", "made",
     "pre", "student", "co", "op", "cooperative", "specially", "order", "newly", "freshly", "the"}
)  # fmt: skip
_PLACE_STOP = frozenset({"only", "for", "by", "near", "and", "with", "or", "to", "please", "asap", "if", "in", "de"})

_ONLY_BEFORE = re.compile(
    r"(?<!\w)(?:only|exclusively|solely|just|must\s+be|has\s+to\s+be|have\s+to\s+be|solo|solamente|unicamente|"
    r"exclusivamente|فقط)\s+(?:(?:from|by|de|a|an|the)\s+)?$"
)
_ONLY_AFTER = re.compile(
    r"^\s*(?:(?:makers?|business(?:es)?|shops?|ones)\s+)?(?:only|exclusively|solamente|unicamente|فقط)(?!\w)"
)


def find(low: str, is_place: Callable[[str], bool] = lambda _name: True) -> list[Preference]:
    """The preferences said in folded text `low`, left to right. `is_place` vouches for the X of "made in X"."""
    found: list[tuple[str, tuple[int, int], bool]] = []
    for pattern, word in ((_GREEN, GREEN), (_MAKERSPACE, "makerspace"), (_SCHOOL, "school"),
                          (_COOPERATIVE, "cooperative"), (_INDIVIDUAL, "individual")):  # fmt: skip
        found += [(word, m.span(), False) for m in pattern.finditer(low)]
    found += [(GREEN, m.span(), True) for m in _GREEN_MATERIAL.finditer(low)]
    found += [(slug(m.group(1)), m.span(), False) for m in _OWNED.finditer(low)]
    found += [(slug(m.group(1)), m.span(), False) for m in _CERTIFIED.finditer(low)]
    for m in _MADE_IN.finditer(low):
        words = []
        for word in m.group(1).split():
            if word in _PLACE_STOP:
                break
            words.append(word)
        while words and not is_place(" ".join(words)):
            words.pop()
        if words:
            end = m.start(1) + len(" ".join(words))
            found.append((slug("made in " + " ".join(words)), (m.start(), end), False))
    for m in _PLACE_MADE.finditer(low):
        name = m.group(1).split()
        while name and (name[0] in _NOT_A_PLACE or not is_place(" ".join(name))):
            name = name[1:]
        if name:
            start = m.end(1) - len(" ".join(name))
            found.append((slug("made in " + " ".join(name)), (start, m.end()), False))
    return _with_only(low, _without_overlaps(found))


def _without_overlaps(found: list[tuple[str, tuple[int, int], bool]]) -> list[tuple[str, tuple[int, int], bool]]:
    kept: list[tuple[str, tuple[int, int], bool]] = []
    for entry in sorted(found, key=lambda e: (e[1][0], -(e[1][1] - e[1][0]))):
        if kept and entry[1][0] < kept[-1][1][1]:
            continue
        kept.append(entry)
    return kept


def _with_only(low: str, found: Iterable[tuple[str, tuple[int, int], bool]]) -> list[Preference]:
    out: list[Preference] = []
    for word, (start, end), keep in found:
        before = _ONLY_BEFORE.search(low[max(0, start - 40) : start])
        after = _ONLY_AFTER.match(low[end : end + 40])
        if before and not keep:
            start = start - (len(low[max(0, start - 40) : start]) - before.start())
        if after and not keep:
            end += after.end()
        out.append(Preference(word, bool(before or after), (start, end), keep))
    return out


def words_of(preferences: Iterable[Preference]) -> tuple[str, ...]:
    """The preference words once each, in order."""
    return tuple(dict.fromkeys(p.word for p in preferences))
