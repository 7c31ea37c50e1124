"""The buyer's words for what they want: the item phrase, its head, and the process and material words
that describe it ("CNC machined aluminum brackets" → brackets, by CNC machining, in aluminum).

Works on the text the parser leaves once quantities, dates and places are taken out of it.
"""

from __future__ import annotations

import re

from matching import courtesy
from matching.modifiers import MATERIAL_LEADS, find_materials, find_processes
from matching.quantities import MEASURES, THING_UNITS, UNIT_OF, is_model_number
from matching.taxonomy import Tag, Taxonomy
from matching.text import WORD_CHAR, fold_chars, has_cjk, tokens, written_words

WORD = re.compile(rf"(?i:3-d\b)|[^\W_]{WORD_CHAR}*(?:['’]{WORD_CHAR}+)*")  # "3-D printed" is one word, as "3D" is
ARABIC_SCRIPT = re.compile(r"[\u0600-\u06ff]")

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
    # Where, said without a place: the buyer's own ZIP answers it ("a makerspace near me").
    "near me", "nearby", "close by", "close to me", "around here", "in my area", "in the area", "in town", "locally",
    "made locally", "cerca de mi", "por aqui", "بالقرب مني",
]
# "face shields for our nurses": the beneficiary is not part of the item.
_BENEFICIARY = re.compile(r"\s(?:for|para|pour|für)\s+", re.IGNORECASE)
_FOR_WHOM_THEN_LIST = re.compile(
    r"\s(?:for|para)\s+(?:our|my|the|a|an|nuestro|nuestra|mi)\s[^-–—:,]{1,40}?\s*(?:\s-|–|—|:)\s+", re.IGNORECASE
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


def _flat_tokens(words: list[tuple[str, int, int]], start: int = 0) -> tuple[list[str], list[int]]:
    """The tokens of words[start:] in a row, and the index of the word each came from."""
    flat: list[str] = []
    word_of: list[int] = []
    for index in range(start, len(words)):
        for tok in tokens(words[index][0]):
            flat.append(tok)
            word_of.append(index)
    return flat, word_of


def product_of(item: str | None) -> str | None:
    """The thing asked for, without the process and material words that describe it: "CNC machined aluminum
    brackets" → "brackets", "vacuum forming trays" → "trays". None when the item names only a service
    ("welding", "CNC machining")."""
    if not item:
        return None
    words = [(m.group(), m.start(), m.end()) for m in WORD.finditer(item)]
    served = _service_object(item, words, 0)
    if served:
        return _tidy(item[words[served[0]][1] : words[served[1]][2]]) or None
    flat, word_of = _flat_tokens(words)
    processes = find_processes(flat)
    describing = {word_of[i] for m in processes + find_materials(flat) for i in range(m.start, m.end)}
    first = 0
    while first < len(words) and (first in describing or set(tokens(words[first][0])) <= _JOINING_WORDS):
        first += 1
    if first == len(words):
        return None if processes else item  # "welding" is a service; "beeswax, 10 kg" asks for the material
    return _tidy(item[words[first][1] :]) or None


def modifiers_in(remaining: str) -> tuple[str | None, str | None]:
    """The first process and the first material the request names.

    A material word counts when it describes something: before another word of the same phrase ("oak
    table", "stainless railings") or after "in"/"of"/"de" ("brackets in aluminum", "juguetes de madera").
    Last in its phrase and unled, it is the product itself or part of its name ("safety glasses").
    Arabic adjectives follow their noun, so an Arabic material word counts anywhere.
    """
    words = [(m.group(), m.start(), m.end()) for m in WORD.finditer(remaining)]
    flat, word_of = _flat_tokens(words)
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


def says_nothing(item: str | None) -> bool:
    """No item, or only filler words left of one ("need")."""
    return item is None or all((tok,) in _EDGE_WORDS for tok in tokens(item))


def _strip_edges(words: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """Drop filler phrases from both ends: "we need gowns please" → "gowns"."""
    keys = [tuple(tokens(w)) for w, _, _ in words]

    def flat(seq: list[tuple[str, ...]]) -> tuple[str, ...]:
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


# "have the CAD", "we already have our logo design": what the buyer has is not what they ask for.
_HAVE = frozenset(tokens("have has got tengo tenemos"))
_HAVE_WHO = frozenset(tokens("i we already ive weve also ya"))
_HAVE_WHAT = frozenset(tokens("a an the our my all existing own finished ready nuestro nuestra mi el la los las"))


# "opening a bakery", "we're a brewery", "I run a food truck": who the buyer is, before what they ask for.
_WHO_WE_ARE = frozenset(tokens("opening opened run own starting started launching launched were im am abriendo abrimos"
                               " somos soy"))
_AT = frozenset(tokens("at in inside en"))
_PLACE_OWNER = frozenset(tokens("the our my la el nuestra nuestro mi"))
_OWN_MARKS = frozenset(tokens("logo logos brand branding name colors colours colores marca nombre شعار"))
_POSSESSIVE = frozenset(tokens("our my your their his her nuestro nuestra mi su"))
_BUSINESS_ARTICLE = frozenset(tokens("a an our my new un una nuestro nuestra mi"))
# After a business, what is happening to it: "food truck launch: need a full wrap", "bakery remodel - new signage".
_OCCASION = frozenset(tokens("launch launching opening remodel remodeling renovation rebrand rebranding buildout"
                             " expansion apertura inauguracion remodelacion"))


def _clause_tags(clause: str, taxonomy: Taxonomy) -> tuple[list[tuple[str, int, int]], list[tuple[Tag, int, int]]]:
    """Words of a clause and the concepts found in them, located by word index; not what the buyer denies ("knit
    beanies (not embroidered)") nor what they say they have ("20,000 housings, have the CAD"). What follows a dash
    or colon after whom the order is for is read on its own: "printing for our conference - programs, posters"."""
    listed = _FOR_WHOM_THEN_LIST.search(clause)
    if not listed:
        return _words_and_tags(clause, taxonomy)
    words, located = _words_and_tags(clause[: listed.end()], taxonomy)
    more_words, more = _clause_tags(clause[listed.end() :], taxonomy)
    shift = len(words)
    words += [(word, start + listed.end(), end + listed.end()) for word, start, end in more_words]
    return words, located + [(tag, first + shift, last + shift) for tag, first, last in more]


def _words_and_tags(clause: str, taxonomy: Taxonomy) -> tuple[list[tuple[str, int, int]], list[tuple[Tag, int, int]]]:
    words = [(m.group(), m.start(), m.end()) for m in WORD.finditer(clause)]
    flat, word_of = _flat_tokens(words)
    found = taxonomy.undenied(taxonomy.locate(flat), flat, asked=True)
    if found and not _HAVE.isdisjoint(flat):
        found = [entry for entry in found if not _had(clause, words, word_of, flat, entry[1])]
    if found and not _WHO_WE_ARE.isdisjoint(flat):
        found = [entry for entry in found if not _who_we_are(flat, entry[1])]
    if found and not _OWN_MARKS.isdisjoint(flat):
        # "knit hats with our brewery logo": whose logo, not a brewery wanted.
        found = [e for e in found if not (e[1] > 0 and e[2] < len(flat) and flat[e[1] - 1] in _POSSESSIVE
                                          and flat[e[2]] in _OWN_MARKS)]
    if len(found) > 1 and not _OCCASION.isdisjoint(flat):
        # "food truck launch: need a full wrap + a stainless hood": whose launch, not a food truck wanted.
        found = [e for e in found if not (e[2] < len(flat) and flat[e[2]] in _OCCASION)] or found
    if found and not _AT.isdisjoint(flat):
        # "our walk-in cooler at the bakery quit": where, not what.
        found = [e for e in found if not (e[1] >= 2 and flat[e[1] - 2] in _AT and flat[e[1] - 1] in _PLACE_OWNER)]
    if len(found) > 1 and (written := written_words(clause)) is not None and len(written) == len(flat):
        found = taxonomy.without_modifiers(found, written)  # "need 20 bike bags": bags
    return words, [(tag, word_of[start], word_of[end - 1]) for tag, start, end in found]


def _who_we_are(flat: list[str], start: int) -> bool:
    """Whether the thing named at token `start` is the buyer's own business: "opening a bakery cafe, need a
    roaster", "we're a brewery", "I run a food truck", "launching our hot sauce, need labels"."""
    for at in range(max(start - 4, 0), start - 1):
        if flat[at] in _WHO_WE_ARE and flat[at + 1] in _BUSINESS_ARTICLE:
            return all(tok not in _WHO_WE_ARE for tok in flat[at + 2 : start])
    return False


def _had(clause: str, words: list[tuple[str, int, int]], word_of: list[int], flat: list[str], start: int) -> bool:
    """Whether the thing named at token `start` is what the buyer has: "have the CAD", "we have our own design",
    "we have the part design". Not "do you have custom cookies", "need to have 50 mugs made"."""
    at = start - 1
    while at >= max(start - 2, 0) and flat[at] not in _HAVE_WHAT and flat[at] not in _HAVE:
        at -= 1  # a word or two describing it ("the part design"), after a determiner
    if at < start - 1 and (at < 0 or flat[at] not in _HAVE_WHAT):
        return False
    while at >= 0 and flat[at] in _HAVE_WHAT:
        at -= 1
    if at < 0 or flat[at] not in _HAVE:
        return False
    if at == 0:
        return True
    word = word_of[at]
    after_comma = word > 0 and "," in clause[words[word - 1][2] : words[word][1]]
    return after_comma or flat[at - 1] in _HAVE_WHO


_GLOSS_GAP = re.compile(r"[\s()\[\]/=:–—-]*")


def _is_arabic(word: str) -> bool:
    return bool(ARABIC_SCRIPT.search(word))


def _without_gloss(
    clause: str, words: list[tuple[str, int, int]], located: list[tuple[Tag, int, int]]
) -> tuple[list[tuple[Tag, int, int]], set[int]]:
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

    kept: list[tuple[Tag, int, int]] = []
    gloss: set[int] = set()
    for tag, s in zip(located, scripts, strict=True):
        _, first, last = tag
        if s == {not main_arabic} and beside(first, last):
            gloss.update(range(first, last + 1))
        else:
            kept.append(tag)
    return kept, gloss


def item_phrase(
    remaining: str, quantity_span: tuple[int, int] | None, taxonomy: Taxonomy
) -> tuple[str | None, tuple[str, ...], list[tuple[int, int]]]:
    """The buyer's words for the item, the taxonomy ids they name, and where a translation beside them stands
    (see `_without_gloss`)."""
    best = None
    services: dict[str, int] = {}  # a service named in any clause, by the clause's start
    processes: dict[str, int] = {}  # and any other process
    for found in re.finditer(r"[^.!?;\n•|]+", remaining):
        clause = found.group()
        if not WORD.search(clause):
            continue
        words, located = _clause_tags(clause, taxonomy)
        for tag, _, _ in located:
            if taxonomy.kind(tag.id) == "process":
                (services if taxonomy.is_service(tag.id) else processes).setdefault(tag.id, found.start())
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
            stripped = _strip_edges([(m.group(), m.start(), m.end()) for m in WORD.finditer(clause)])
            served = _service_object(clause, stripped, 0)
        if served:  # "powder coat 40 railings": the item runs from the service to the thing it is done to
            return _tidy(clause[stripped[0][1] : stripped[served[1]][2]]), (), []
        beneficiary = _BENEFICIARY.search(clause)
        if beneficiary:
            clause = clause[: beneficiary.start()]
            words = [(m.group(), m.start(), m.end()) for m in WORD.finditer(clause)]
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
    # "who does anodizing near 06108? 200 aluminum housings": the service asked in another clause, done on these.
    elsewhere = tuple(c for c, at in services.items() if at != start and c not in ids)
    # "who does FDM printing? 15 cosplay armor pieces": how they are to be made, asked in another clause, when
    # these words name no way of making them.
    if not any(taxonomy.kind(c) == "process" for c in ids):
        elsewhere += tuple(c for c, at in processes.items() if at != start and c not in ids)
    ids = (*elsewhere, *ids)
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
        # A size stays with the thing it sizes: "6 ft | tables", "12 oz jars of | honey".
        if previous and first >= 2 and first - 1 not in gloss and _is_size(words[first - 2][0], previous):
            first -= 2
            continue
        if previous and first >= 2 and previous[0] in _OF_WORDS and _is_container(words[first - 2][0]):
            first -= 1  # "jars of | honey": the container, then its size on the next round
            continue
        if not previous or (not part_word and not joined and (previous in _EDGE_WORDS or counted)):
            break
        if first - 1 in gloss:
            break
        first -= 1
    while last + 1 < len(words) and (
        set(tokens(words[last + 1][0])) & taxonomy.part_words or _DIMENSIONS.fullmatch(words[last + 1][0])
    ):
        last += 1  # "… valves", "boxes 12x12x12"
    if all(taxonomy.kind(tag.id) == "process" for tag, _, _ in located):
        # Process words name no product: the product is the thing the service is done to ("vacuum forming 300
        # trays"), or the head they describe ("CNC machined aluminum brackets").
        served = _service_object(clause, words, min(first for _, first, _ in located))
        last = served[1] if served else _head_after(clause, words, last)
    return _tidy(clause[words[first][1] : words[last][2]]), ids, gloss_spans


_PURPOSE_WORDS = frozenset(tokens("for para"))
_DIMENSIONS = re.compile(r"\d+(?:\.\d+)?(?:\s*[x×]\s*\d+(?:\.\d+)?)+\w*", re.I)
_OF_WORDS = frozenset(tokens("of de"))


def _is_container(word: str) -> bool:
    folded = fold_chars(word).lower()
    return any(UNIT_OF.get(form) in THING_UNITS for form in (folded, " ".join(tokens(word))))


def _is_size(number: str, unit_words: tuple[str, ...]) -> bool:
    """ "12" + ("oz",): a measure written before the thing it sizes."""
    return number.replace(".", "", 1).isdigit() and UNIT_OF.get(" ".join(unit_words)) in MEASURES


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
        if following[0] in _PURPOSE_WORDS:  # "a CNC machine | for sale", "engraved plaques | for our team"
            break
        last += 1
    return last


def _service_object(clause: str, words: list[tuple[str, int, int]], first: int) -> tuple[int, int] | None:
    """The words of the thing a service is done to, when the phrase opens with process words set apart from
    it: "powder coat 40 railings", "CNC machining for 200 parts", "laser engraving our logo on 100 cutting
    boards". None when the phrase does not open with process words, or they and the product read as one
    phrase ("CNC machined aluminum brackets")."""
    flat, word_of = _flat_tokens(words, first)
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
