"""The shipped taxonomy: canonical items and processes, their aliases, and the tagger that finds them in text.

Data lives in `matching/data/taxonomy.toml` (PPE, hand-curated from public sources, see SOURCES.md),
`matching/data/trades.toml` (the general trades of local making, read after it),
`matching/data/trade_aliases_naics.csv` (aliases derived from NAICS index entries by build_trade_aliases.py) and
`matching/data/ftm_labels_i18n.csv` (findthemasks' labels in 16 locales, MIT).
"""

from __future__ import annotations

import csv
import functools
import io
import itertools
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from rapidfuzz import fuzz, process
from rapidfuzz.distance import DamerauLevenshtein

from matching import courtesy
from matching.quantities import THING_UNITS, UNIT_OF
from matching.text import fold, has_cjk, is_singular, stem, tokens, written_words

PART_SUFFIX = ".part"
_REFINE_WINDOW = 3
_MAX_FUZZY_CANDIDATES = 6
NO_ITEM = ""  # what the aliases map a phrase to that names no product ("private label")
# Neighbouring keys on a QWERTY keyboard: of two words one slip away ("lazer": laser or lager?), the slip of a
# neighbouring key, or of a vowel for another, is the likelier.
_NEAR_KEYS = {
    a: frozenset(b)
    for a, b in {
        "q": "wa", "w": "qeas", "e": "wrsdi", "r": "etdf", "t": "ryfg", "y": "tugh", "u": "yihjo", "i": "uojkey",
        "o": "ipklu", "p": "ol", "a": "qwsz", "s": "awedxzc", "d": "serfcx", "f": "drtgvc", "g": "ftyhbv",
        "h": "gyujnb", "j": "huikmn", "k": "jiolm", "l": "kop", "z": "asx", "x": "zsdc", "c": "xdfvsk",
        "v": "cfgb", "b": "vghn", "n": "bhjm", "m": "njk",
    }.items()
}  # fmt: skip
# Endings of English words made from another ("touring", "painted", "framer"): such a word is left alone when the
# word it is made from is an ordinary one.
_VOWELS = frozenset("aeiou")  # one for another is a slip of spelling, not of the keys: "trailor", "desinger"
_INFLECTIONS = ("ing", "ed", "er", "ers", "ings")
_SHORT_VOWEL_END = re.compile(r"(?:^|[^aeiou])[aeiou][bdgklmnprt]$")
# Splits a translated label into its alternatives: "Walkie-talkies / baby monitors", "Sewing or textiles".
_LABEL_SPLIT = re.compile(r"\s*/\s*|\s+(?:or|o|ou|oder|of|lub|или|أو|او|或|または|또는|या)\s+|、|・")
_LABEL_QUALIFIER = re.compile(r"\s*(?:\(.*?\)|[:：].*$|\s-\s.*$)")
_HEADED = re.compile(r"^[^-–—:;,]{3,40}?\s*(?:\s[-–—]\s|:)")  # "woodturning - bowls, vases", "Glass: vases"


BENEFICIARY_FOR = frozenset({"for", "para", "pour"})  # "boxes for our sauce"
WITH_WORDS = frozenset({"with", "w", "con", "مع"})  # "w/" is read as "w"
# Words before "for the …" that ask for nothing themselves: "looking for a roaster", "quotes for our bakery".
_NOT_A_HEAD = frozenset(
    {"looking", "look", "searching", "search", "someone", "somebody", "anyone", "anybody", "help", "quote", "quotes",
     "price", "prices", "pricing", "bid", "bids", "ask", "asking", "me", "us", "here", "options", "something", "stuff",
     "things", "supplier", "suppliers", "vendor", "vendors", "busco", "buscando", "alguien", "cotizacion"}
)  # fmt: skip
_RENTAL_WORDS = frozenset(
    {"rental", "rent", "for", "a", "sale", "hire", "rented", "renting", "lease", "leased", "leasing", "alquiler", "en"}
)
# In a maker's phrase, what follows these is not done by the maker ("no welding"), or nothing of it is ("outsourced").
_DONE_ELSEWHERE = frozenset(
    {"outsourced", "outsource", "outsourcing", "subcontracted", "subcontract", "subcontracting", "subbed",
     "distributor", "distribute", "distributing", "reseller", "resell", "reselling", "distribuidor",
     "referred", "refer", "tercerizado", "subcontratado", "subcontratamos", "consignment", "consigned"}
)  # fmt: skip
# Of those, what says the maker sells what others made: the whole phrase is bought in.
_RESOLD = frozenset(
    tokens("distributor distribute distributing reseller resell reselling distribuidor consignment consigned")
)
NOT_DONE_HERE = _DONE_ELSEWHERE | {
    "not", "no", "without", "sin", "except", "excluding", "dont", "doesnt", "cant", "cannot", "wont", "never",
    "nor", "لا"}  # fmt: skip
# Between a "not" and what is not done: "we don't build guitars", "no hacemos tortillas", "not a custom furniture
# shop", "we do not do embroidery". Stemmed as `tokens` stems them.
_NEGATED_VERBS = frozenset(
    {"do", "doe", "need", "want", "make", "made", "build", "built", "offer", "sell", "carry", "stock", "provide",
     "handle", "take", "accept", "repair", "fix", "any", "a", "an", "the", "custom", "u", "you", "really",
     "currently", "anymore", "longer", "hacemo", "hago", "hace", "fabricamo", "vendemo", "ofrecemo", "manejamo",
     "trabajamo", "damo", "نصنع", "نبيع", "نقدم", "نعمل", "يوجد"}
)  # fmt: skip
_RENTAL_CUES = _RENTAL_WORDS - {"for", "a", "en"}
# "merch design", "label design": a design studio's work on the thing, which others make.
_DESIGN_WORDS = frozenset({"design", "designer", "designing", "diseno", "تصميم"})
# After a thing in a maker's phrase, work on the buyer's own ("guitar repairs"), not the thing made.
_AFTERCARE = frozenset({"restoration", "repair", "refinishing", "refurbishing", "refurbishment", "servicing",
                        "reparacion", "restauracion", "installation", "install", "installing", "instalacion",
                        "refill", "refills", "refilling", "supply", "supplies"})
_AFTERCARE_WORDS = "|".join(sorted(_AFTERCARE))
_THROUGH = frozenset({"our", "through", "via", "thru", "by"})
_LIST_BREAKS = re.compile(r"[,;:()]|\s[-–—]|[–—]")  # what parts a list, in the words' gaps (see written_words)
# "pastries delivered daily from local bakeries", "beans from area roasters": bought in, not made here.
_SOURCED_FROM = frozenset(tokens("bakeries bakery bakehouse bakeshop roasters roastery roasteries breweries creamery "
                                 "suppliers supplier vendors makers artisans distributors wholesalers"))
_SOURCE_KIND = frozenset(tokens("local area nearby partner regional other various select trusted"))
# Words that say a thing is made here, not rented or resold: "rentals & custom fabrication", "tables built to order".
MADE_CUES = frozenset(tokens("custom made make makes making build built builds fabricate fabricated fabrication "
                             "handmade sew sewn manufacture manufactured hecho hechos hecha hechas fabricamos"))
_ELSEWHERE_PAIRS = frozenset(
    {("outside", w) for w in ("vendor", "shop", "partner", "source", "supplier", "service", "company", "lab")}
    | {("third", "party"), ("3rd", "party")}
    | {(w, "out") for w in tokens("sent send sends farmed")}  # "anodize & plating sent out to vendors"
)
_ELSEWHERE_FIRST = frozenset(first for first, _ in _ELSEWHERE_PAIRS)
_PARTNERS = frozenset(tokens("partner vendor vendors supplier suppliers subcontractor subcontractors"))
_PARTNER_DOES = frozenset({"shop", "do", "doe", "handle", "will", "can"})
# Words without which a maker's phrase offers all it names (see Taxonomy._offered).
_OFFER_CUES = (
    NOT_DONE_HERE | _RENTAL_CUES | WITH_WORDS | BENEFICIARY_FOR
    | {"to", "only", "outside", "third", "3rd", "from", "out"} | _PARTNERS | _DESIGN_WORDS | _AFTERCARE
)
_DONE_BY_CUSTOMERS = frozenset({"paint", "decorate", "color", "colour", "glaze", "assemble", "try", "borrow", "pintar",
                                "decorar"})
# After a product word, these make it say how another thing is: "chocolate flavor", "coffee scented", "pallet style".
_DESCRIBED = frozenset({"flavor", "flavour", "flavored", "flavoured", "scent", "scented", "themed", "theme", "style",
                        "styled", "inspired", "sabor", "aroma"})
# After a thing's word, these name what holds or serves it, which is the thing made: "candle holders", "bike racks",
# "soap dispensers", "wine charms", "honey dippers", "candle molds" are no candles, bikes, soap, wine or honey; "sign
# blanks", "tumbler blanks" are what a decorator starts from.
_HOLDING = frozenset(tok for w in (
    "holder", "holders", "rack", "racks", "dispenser", "dispensers", "dipper", "dippers", "snuffer", "snuffers",
    "warmer", "warmers", "charm", "charms", "caddy", "caddies", "opener", "openers", "stopper", "stoppers", "hanger",
    "hangers", "organizer", "organizers", "organiser", "organisers", "mold", "molds", "mould", "moulds", "mount",
    "mounts", "hook", "hooks", "cozy", "cozies", "koozie", "koozies", "carrier", "carriers", "scoop", "scoops",
    "tongs", "blank", "blanks") for tok in tokens(w))
# Things any making can be a stage of: "prototype enclosure" asks for both.
_ANY_THING = frozenset({"prototype"})
_TRAINING = "training"
_FINISHES = ("metal_finishing", "heat_treating")

# Words that cannot describe the noun after them as a noun does (see _is_noun_modifier).
_FUNCTION_WORDS = frozenset(
    {"into", "onto", "for", "from", "with", "out", "off", "and", "the", "per", "via", "our", "your"}
)
_PARTICIPLES = frozenset({"cast", "built", "cut", "made", "sewn", "spun", "blown", "bent", "hand", "custom"})
# "we have no gowns", "there are no masks left": in a request, what follows is what the buyer lacks.
_LACKING = frozenset({"have", "has", "had", "got", "are", "is", "were", "was", "tenemo", "tengo", "hay", "لدينا"})
# Words after a "not" that say something other than what the denied thing is like: "no minimum on banners".
_NOT_DESCRIBING = frozenset(
    {"minimum", "min", "minimums", "order", "rush", "fee", "setup", "charge", "extra", "problem", "limit", "job", "on",
     "for", "of", "to", "in", "at", "with", "by", "from", "than", "too", "more", "less", "other", "else", "same"}
)
# "we don't fabricate or weld", "no engraving or embroidery": the "not" goes on past these to the next thing named.
_NEGATION_GOES_ON = frozenset({"or", "and", "nor", "ni", "o", "y", "او", "أو", "و"})
_BENEFICIARY_OWNER = frozenset(
    {"my", "our", "your", "their", "his", "her", "a", "an", "the", "mi", "mis", "nuestro", "nuestra", "nuestros",
     "nuestras", "su", "sus", "un", "una", "el", "la", "los", "las"}
)  # fmt: skip


@dataclass(frozen=True)
class Concept:
    """An item (something a buyer asks for), a process (how a maker makes things) or an item's part."""

    id: str
    kind: str  # "item" | "process" | "part"
    label: str
    parent: str | None = None
    strict: bool = False
    makes: frozenset[str] = frozenset()
    part_of: str | None = None
    vague: bool = False  # "PPE": names no particular product
    material: str | None = None  # what the item is made of unless the buyer says otherwise
    service: bool = False  # a process a buyer orders as such ("powder coating", "embroidery")
    unmade: bool = False  # not made to order by anyone: a repair, a rental, raw supplies
    teaches: str | None = None  # for a class: the process it teaches ("welding classes" → welding)
    applied: bool = False  # done to the buyer's own things: a finish, upholstery
    mends: bool = False  # a process whose makers also repair what it makes: sewing, woodworking, welding
    offered_alone: bool = False  # in a maker's phrase, all it offers: "welders for rent" rents, makes nothing
    covers: tuple[str, ...] = ()  # a loose kind of goods and the items that count as it: gifts ← candles, chocolate
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Tag:
    """One concept found in a text: which, through which words, and whether a typo had to be forgiven."""

    id: str
    surface: str
    exact: bool = True


@dataclass
class _Rule:
    item: str
    when: frozenset[str]
    becomes: str


@dataclass
class Taxonomy:
    concepts: dict[str, Concept]
    aliases: dict[tuple[str, ...], str]
    cjk_aliases: list[tuple[str, str]]
    refinements: list[_Rule]
    part_words: frozenset[str]
    material_words: frozenset[str]
    for_words: frozenset[str]
    generic_words: frozenset[str]
    ordinary_words: frozenset[str] = frozenset()  # English words typo correction leaves alone
    english_words: frozenset[str] = frozenset()  # every English word known, the taxonomy's own too
    material_ids: list[str] = field(default_factory=list)  # material classes; bit i of a mask is material_ids[i]
    material_words_of: dict[tuple[str, ...], int] = field(default_factory=dict)  # one or two words → mask
    default_material: dict[str, str] = field(default_factory=dict)  # item → what it is usually made of
    material_goods: dict[str, str] = field(default_factory=dict)  # material → what "things of it" most often are
    _vocab: list[str] = field(default_factory=list)
    _vocab_set: frozenset[str] = frozenset()
    _max_alias_len: int = 1
    _lengths_from: dict[str, tuple[int, ...]] = field(default_factory=dict)  # first word → its aliases' lengths
    _longer_from: dict[tuple[str, str], tuple[int, ...]] = field(default_factory=dict)  # the same by two words
    _vocab_by_length: dict[int, list[str]] = field(default_factory=dict)  # typo candidates within two letters
    _made_by: dict[str, frozenset[str]] = field(default_factory=dict)
    _children: dict[str, frozenset[str]] = field(default_factory=dict)
    _fixes: dict[str, str | None] = field(default_factory=dict)
    _doubles: dict[str, str | None] = field(default_factory=dict)  # short words with a doubled letter typed once
    _short_slips: dict[str, tuple[str, ...]] = field(default_factory=dict)  # a short word → alias words one slip away
    _corrections: dict[str, tuple[tuple[str, ...], bool]] = field(default_factory=dict)  # token → what it reads as
    _ancestors: dict[str, tuple[str, ...]] = field(default_factory=dict)
    _material_starts: frozenset[str] = frozenset()  # the first word of every material word or pair
    _rules_of: dict[str, list[_Rule]] = field(default_factory=dict)  # refinements by the item they refine
    _as_written: set[str] = field(default_factory=set)  # tokens that read as themselves
    _classes_of: dict[str, tuple[str, ...]] = field(default_factory=dict)  # process → the classes teaching it

    def __post_init__(self) -> None:
        self._material_starts = frozenset(key[0] for key in self.material_words_of)
        for rule in self.refinements:
            self._rules_of.setdefault(rule.item, []).append(rule)
        vocab = {tok for key in self.aliases for tok in key}
        self._vocab_set = frozenset(vocab)
        # Only words long enough for a typo to be told apart from another word are corrected.
        self._vocab = sorted(tok for tok in vocab if len(tok) >= 4 and not tok.isdigit())
        self._max_alias_len = max((len(key) for key in self.aliases), default=1)
        lengths_from: dict[str, set[int]] = {}
        longer_from: dict[tuple[str, str], set[int]] = {}
        for key in self.aliases:
            lengths_from.setdefault(key[0], set()).add(len(key))
            if len(key) > 1:
                longer_from.setdefault((key[0], key[1]), set()).add(len(key))
        # Longest first; only the lengths some alias has are tried ("custom" starts aliases of two and three words).
        self._lengths_from = {word: tuple(sorted(lengths, reverse=True)) for word, lengths in lengths_from.items()}
        self._longer_from = {words: tuple(sorted(lengths, reverse=True)) for words, lengths in longer_from.items()}
        for size in {len(tok) for tok in self._vocab}:
            self._vocab_by_length[size] = [tok for tok in self._vocab if abs(len(tok) - size) <= 2]
        made_by: dict[str, set[str]] = {}
        children: dict[str, set[str]] = {}
        for concept in self.concepts.values():
            for target in concept.makes:
                made_by.setdefault(target, set()).add(concept.id)
            if concept.parent:
                children.setdefault(concept.parent, set()).add(concept.id)
            for member in concept.covers:
                if member not in self.concepts:
                    raise ValueError(f"taxonomy: {concept.id} covers unknown {member}")
                children.setdefault(concept.id, set()).add(member)
        self._made_by = {k: frozenset(v) for k, v in made_by.items()}
        self._children = {k: frozenset(v) for k, v in children.items()}
        # A process all of whose goods are of one material (woodturning: wood): in a maker's phrase that names it,
        # a thing of another material is that process's work ("woodturning - bowls, vases, pens": wooden vases).
        self._process_material: dict[str, str] = {}
        for concept in self.concepts.values():
            materials = {getattr(self.concepts.get(m), "material", None) for m in concept.makes}
            only = materials.pop() if len(materials) == 1 else None
            if concept.kind == "process" and only:
                self._process_material[concept.id] = only
        classes: dict[str, list[str]] = {}
        for concept in self.concepts.values():
            if concept.teaches:
                if concept.teaches not in self.concepts:
                    raise ValueError(f"taxonomy: {concept.id} teaches unknown {concept.teaches}")
                classes.setdefault(concept.teaches, []).append(concept.id)
        self._classes_of = {k: tuple(v) for k, v in classes.items()}

    # ── concepts ──

    def concept(self, concept_id: str) -> Concept | None:
        found = self.concepts.get(concept_id)
        if found is not None or not concept_id.endswith(PART_SUFFIX):
            return found
        whole = self.concepts.get(concept_id[: -len(PART_SUFFIX)])
        if whole is None or whole.kind != "item":
            return None
        return Concept(
            id=concept_id, kind="part", label=f"parts for {whole.label}", part_of=whole.id, unmade=whole.unmade
        )

    def label(self, concept_id: str) -> str:
        found = self.concept(concept_id)
        return found.label if found else concept_id

    def kind(self, concept_id: str) -> str | None:
        found = self.concept(concept_id)
        return found.kind if found else None

    def ancestors(self, concept_id: str) -> list[str]:
        """Broader items, nearest first."""
        found = self._ancestors.get(concept_id)
        if found is None:
            found = self._ancestors[concept_id] = tuple(self._ancestors_uncached(concept_id))
        return list(found)

    def _ancestors_uncached(self, concept_id: str) -> list[str]:
        out: list[str] = []
        current = self.concepts.get(concept_id)
        while current is not None and current.parent and current.parent not in out:
            out.append(current.parent)
            current = self.concepts.get(current.parent)
        return out

    def descendants(self, concept_id: str) -> set[str]:
        out: set[str] = set()
        todo = [concept_id]
        while todo:
            for child in self._children.get(todo.pop(), ()):
                if child not in out:
                    out.add(child)
                    todo.append(child)
        return out

    def is_mended_by_makers(self, concept_id: str) -> bool:
        """Whether a repair of this is a maker's job: a process that mends ("sewing"), a service or finish done to
        the buyer's things ("upholstery"), or an item such a process makes ("chairs": woodworking)."""
        concept = self.concept(concept_id)
        if concept is None or concept.unmade:
            return False
        if concept.mends or concept.service or concept.applied:
            return True
        for item in [concept_id, *self.ancestors(concept_id)]:
            for maker_process in self.processes_for(item):
                found = self.concepts.get(maker_process)
                if found is not None and found.mends:
                    return True
        return False

    def processes_for(self, item_id: str) -> frozenset[str]:
        """Processes that can make this item (or part)."""
        return self._made_by.get(item_id, frozenset())

    # ── tagging ──

    def tag(self, text: str) -> list[Tag]:
        """Every item and process named in `text`, in order, without repeats."""
        return self._tags_in(text, tokens(text))

    def materials(self, text: str) -> int:
        """The material classes `text` names, as a bit mask (see `material_ids`)."""
        return self._materials_in(tokens(text))

    def read(self, text: str) -> tuple[list[Tag], int]:
        """`tag` and `materials` at once, reading the text once."""
        toks = tokens(text)
        return self._tags_in(text, toks), self._materials_in(toks)

    def read_offer(self, text: str) -> tuple[list[Tag], int]:
        """`read` for a maker's phrase: what it offers (`as_offered`). Whom it is for is not on offer: "wholesale
        accounts for coffee shops", "for craft beverage & food", "mugs for cafes" offer no coffee nor drinks; a
        part for a thing ("frames for face shields") and what a process or a class is done for are still read."""
        tags, mask, _named = self.read_offer_named(text)
        return tags, mask

    def read_offer_named(self, text: str) -> tuple[list[Tag], int, bool]:
        """`read_offer`, and whether the phrase names anything the taxonomy knows, offered or not: "no hacemos
        tortillas" offers nothing, yet is no unknown phrase for the loose fuzzy layer to guess at."""
        toks = tokens(text)
        located = self.locate(toks)
        named = bool(located)
        if (
            len(located) > 1
            and any(here[2] == after[1] for here, after in itertools.pairwise(located))
            and (written := written_words(text)) is not None
            and len(written) == len(toks)
        ):
            located = self.without_modifiers(located, written)  # "wine labels": labels
        if located and not WITH_WORDS.isdisjoint(toks) and not _WHOSE.isdisjoint(toks):
            # "private label with your label or ours": whose brand goes on the goods, no labels made.
            located = [e for e in located if not (
                e[0].id == _LABEL and e[1] >= 2 and toks[e[1] - 1] in _WHOSE and toks[e[1] - 2] in WITH_WORDS
            )]
        if located and not _CARRY.isdisjoint(toks) and _OWN_MAKING.isdisjoint(toks) and MADE_CUES.isdisjoint(toks):
            # "we carry local spirits", "we carry honey, jams and candles": others' goods, sold here.
            located = [e for e in located if self.kind(e[0].id) == "process"]
        if located and not _AMENITIES.isdisjoint(toks):
            located = []  # "study tables & wifi": what a café offers its guests, nothing made to order
        if located and not _OFFER_CUES.isdisjoint(toks):
            located = self._offered(located, toks, text)
        if len(located) > 1 and any(tag.id == _ENGRAVING for tag, _start, _end in located):
            located = self._not_engraved_on(located, toks, written_words(text))
        tags = self._collect(located, text)
        if len(tags) > 1 and _HEADED.match(text):
            # "woodturning - bowls, vases, pens": what the head names sets the material of the list after it.
            head = tags[0].id
            node = self.concepts.get(head)
            own = self._process_material.get(head) or (node.material if node is not None else None)
            if own:
                tags = [t for t in tags if getattr(self.concepts.get(t.id), "material", None) in (None, own)]
        if len(tags) > 1 and any(t.id in _BOX_CONCEPTS and t.surface == "box" for t in tags):
            # "ductwork, flashing, hoods, machine guards, custom boxes": boxes in a list of metal work are metal.
            materials = [getattr(self.concepts.get(t.id), "material", None) for t in tags if t.id not in _BOX_CONCEPTS]
            metal = materials.count("metal")
            if metal and metal * 2 >= len(materials):
                tags = [Tag(_METAL_BOX, t.surface, t.exact) if t.id in _BOX_CONCEPTS and t.surface == "box" else t
                        for t in tags]
                tags = [t for i, t in enumerate(tags) if all(t.id != before.id for before in tags[:i])]
        mask = self._materials_in(toks)
        if tags and mask & (mask - 1) and all((tag.surface,) in self.material_words_of for tag in tags):
            # "acrylic, baltic birch plywood, MDF, felt, leather": the materials a laser cuts (acrylic work), not
            # leather goods; "acrylic and wood signs" names a thing, and offers all it names.
            tags = [tag for tag in tags if self.kind(tag.id) == "process"]
        return self.as_offered(tags), mask, named

    def modifies(self, modifier: Tag, head: Tag) -> bool:
        """Whether a thing named right before another, in one run of words, only says what the other is for or of:
        "sign brackets", "wine labels", "lighted cabinet signs", "t-shirt quilts" — the last is what is made.
        Both as written (no typo read into them) and things, not a process, a class, nor what no maker makes; not a
        material ("leather aprons"), a vague word, a stage of any making ("prototype enclosure"), nor a kind of the
        other; and not before a container, which may hold it ("coffee bags", "cold brew kegs")."""
        a, b = modifier.id, head.id
        if a == b or not (modifier.exact and head.exact) or a in _ANY_THING:
            return False
        if any(self.kind(c) != "item" or self._is_vague(c) or self.is_unmade(c) or self.is_class(c) for c in (a, b)):
            return False
        if (modifier.surface.split()[-1],) in self.material_words_of:
            return False  # "leather aprons"; but "leather hat patches" are patches
        if UNIT_OF.get(head.surface.split()[-1]) in THING_UNITS:
            return False
        return a not in self.ancestors(b) and b not in self.ancestors(a)

    def without_modifiers(
        self, located: list[tuple[Tag, int, int]], written: list[tuple[str, str]]
    ) -> list[tuple[Tag, int, int]]:
        """`located` (by token, end exclusive) without the things that only describe the next (see `modifies`):
        a noun written in the singular right before it, with nothing between ("engraved boards" and "cabinets
        countertops" keep both); `written`: each token's word as written and what stands before it."""
        kept = []
        for here, after in zip(located, [*located[1:], None], strict=True):
            if (
                after is not None
                and here[2] == after[1] < len(written)
                and not written[after[1]][1].strip()
                and _is_noun_modifier(written[here[2] - 1][0])
                and self.modifies(here[0], after[0])
            ):
                continue
            kept.append(here)
        return kept

    @staticmethod
    def undenied(
        located: list[tuple[Tag, int, int]], toks: list[str], asked: bool = False
    ) -> list[tuple[Tag, int, int]]:
        """What a phrase does not deny: "no embroidery", "we don't build guitars", "no hacemos tortillas", "we don't
        fabricate or weld", a buyer's "(not embroidered)" deny what follows the "not" past its verbs, and what is
        joined to it by "or"; "no minimum on screen printing" denies no printing. In a request (`asked`), what the
        buyer has none of is what they need: "we have NO GOWNS or MASKS"."""
        ends = {start: end for _tag, start, end in located}
        negated: set[int] = set()
        n = len(toks)
        for i, tok in enumerate(toks):
            if tok not in NOT_DONE_HERE:
                continue
            if asked and i > 0 and toks[i - 1] in _LACKING:
                continue
            j = i + 1
            while j < n:
                first = j
                while j < n and (toks[j] in _NEGATED_VERBS or toks[j] in NOT_DONE_HERE):
                    j += 1
                negated.update(range(first, j + 1))  # "not a custom furniture shop": the alias starts at "custom"
                # "no wide-format banners": up to two describing words before what is denied; more when they are a
                # list ("we don't do zinc, nickel or chrome plating").
                for k in range(j + 1, j + 5):
                    if k in ends:
                        if all(toks[m].isalpha() and toks[m] not in _NOT_DESCRIBING for m in range(j, k)) and (
                            k <= j + 2 or not _NEGATION_GOES_ON.isdisjoint(toks[j:k])
                        ):
                            negated.add(k)
                        break
                after = max([ends[k] for k in range(first, j + 1) if k in ends] or [j + 1])
                if after >= n or toks[after] not in _NEGATION_GOES_ON:
                    break
                j = after + 1
        if not negated:
            return located
        return [entry for entry in located if entry[1] not in negated]

    def _materials_in(self, toks: list[str]) -> int:
        if self._material_starts.isdisjoint(toks):
            return 0  # most phrases name no material
        mask = 0
        words_of, starts = self.material_words_of, self._material_starts
        for i, tok in enumerate(toks):
            if tok in starts:  # only where a material word or pair starts; at the end the pair is the word again
                mask |= words_of.get((tok,), 0) | words_of.get(tuple(toks[i : i + 2]), 0)
        return mask

    def goods_of(self, text: str) -> tuple[str, ...]:
        """What a vague thing of a named material asks for ("things out of metal", "plastic stuff", "something in
        wood"): the material's usual goods. Nothing when any other word says more."""
        toks = tokens(text)
        mask = 0
        i = 0
        while i < len(toks):
            width = 2 if tuple(toks[i : i + 2]) in self.material_words_of else 1
            bits = self.material_words_of.get(tuple(toks[i : i + width]), 0)
            if not bits and toks[i] not in _VAGUE_WORDS:
                return ()
            mask |= bits
            i += width
        if not mask or all(self.material_words_of.get((tok,)) for tok in toks):
            return ()  # "aluminum" alone is not a request for metal goods
        named = [m for bit, m in enumerate(self.material_ids) if mask >> bit & 1]
        return tuple(self.material_goods[m] for m in named if m in self.material_goods)

    def as_offered(self, tags: list[Tag]) -> list[Tag]:
        """What a maker's phrase offers. One that opens with a service done to the buyer's things ("Powder coat -
        wheels, frames, railings", "Upholstery: booths, dining chairs") offers the service, not the things; a
        product made that way ("powder coated railings") is still a product."""
        first = self.concepts.get(tags[0].id) if tags else None
        if first is None or not first.applied or tags[0].surface.endswith("ed"):
            return tags
        return [tag for tag in tags if tag.id == first.id or self.kind(tag.id) == "process"]

    def is_unmade(self, concept_id: str) -> bool:
        """Not made to order by anyone: a repair, a rental, an installation, raw supplies."""
        found = self.concept(concept_id)
        return found is not None and found.unmade

    def is_finish(self, concept_id: str) -> bool:
        """A finish laid on metal parts others make: powder coating, plating, anodizing, heat treating."""
        return concept_id in _FINISHES or _FINISHES[0] in self.ancestors(concept_id)

    def is_class(self, concept_id: str) -> bool:
        """Classes, of any subject."""
        return concept_id == _TRAINING or _TRAINING in self.ancestors(concept_id)

    def is_service(self, concept_id: str) -> bool:
        """A process ordered as such ("powder coating"), or done to the buyer's own things ("reupholster")."""
        found = self.concept(concept_id)
        return found is not None and (found.service or found.applied)

    def is_offered_alone(self, concept_id: str) -> bool:
        """A rental, sale or repair of machines: in a maker's phrase, all it offers."""
        found = self.concept(concept_id)
        return found is not None and found.offered_alone

    def _teaches_of(self, concept_id: str) -> bool:
        """A class or course concept ("welding classes for beginners" is for the beginners, of welding)."""
        found = self.concepts.get(concept_id)
        return found is not None and (found.teaches is not None or concept_id == "training")

    def classes_in(self, tags: Iterable[Tag]) -> list[Tag]:
        """The classes a phrase about teaching offers in the processes it names: "welding and woodshop classes"
        offers welding classes too."""
        named = [tag for tag in tags if self.kind(tag.id) == "process"]
        return [
            Tag(taught_by, tag.surface, tag.exact)
            for tag in named
            for taught_by in self._classes_of.get(tag.id, ())
        ]

    def material_mask(self, material_ids: Iterable[str]) -> int:
        return sum(1 << self.material_ids.index(m) for m in material_ids if m in self.material_ids)

    def _offered(
        self, located: list[tuple[Tag, int, int]], toks: list[str], text: str
    ) -> list[tuple[Tag, int, int]]:
        """What a maker's phrase offers of what it names, read from the words around them (see `read_offer`)."""
        if not _ELSEWHERE_FIRST.isdisjoint(toks):
            # "plating handled through approved outside vendors", "heat treat by a third party", "anodize & plating
            # sent out to vendors"; not "orders sent out in 3 days", which names nothing sent out.
            at = next((i for i, pair in enumerate(itertools.pairwise(toks)) if pair in _ELSEWHERE_PAIRS), None)
            if at is not None and toks[at + 1] == "out" and toks[at + 2 : at + 3] == ["for"]:
                located = [e for e in located if e[1] < at]  # "powder coating, wheels sent out for chrome"
            elif at is not None:
                located, toks = self._done_here(located, toks, text, at, whole=toks[at + 1] != "out")
        if "from" in toks:
            # "pastries delivered daily from local bakeries": bought in; not "soap made with oils from suppliers".
            for at in [i for i, tok in enumerate(toks) if tok == "from"]:
                source = [*toks[at + 1 : at + 3], ""]
                # "from local bakeries", or a source by its name: "from Manchester Street Coffee Roasters".
                named = next((j for j in range(at + 1, min(at + 6, len(toks))) if toks[j] in _SOURCED_FROM), None)
                if (
                    source[0] in _SOURCED_FROM or (source[0] in _SOURCE_KIND and source[1] in _SOURCED_FROM)
                    or named is not None
                ) and MADE_CUES.isdisjoint(toks):
                    low, _high = _segment_around(toks, text, at) or (0, at)
                    end = max(at + 2, named or 0)
                    located = [e for e in located if not low <= e[1] <= end]  # and the source: "bakeries"
        if not _PARTNERS.isdisjoint(toks):
            # "vinyl pressing through our plant partner", "heat treat & plating through our vendors": done elsewhere;
            # not "contract sewing partner for brands", "event vendor banners".
            at = next(i for i, tok in enumerate(toks) if tok in _PARTNERS)
            if not _THROUGH.isdisjoint(toks[max(at - 3, 0) : at]):
                located, toks = self._done_here(located, toks, text, at, whole=True)
            # "we design, partners print": what the partner does, named right after it, is not done here.
            after = at + 1
            while after < len(toks) and toks[after] in _PARTNER_DOES:
                after += 1
            if toks[at] == "partner" and any(start == after for _tag, start, _end in located):
                located = [e for e in located if e[1] < at]
        if not located:
            return []
        if not NOT_DONE_HERE.isdisjoint(toks):
            # "anodize & powder outsourced", "no embroidery": not what this maker does.
            if not _RESOLD.isdisjoint(toks):
                return []  # "distributor of nitrile gloves, N95s, safety glasses": all of it bought in
            if not _DONE_ELSEWHERE.isdisjoint(toks):
                at = next(i for i, tok in enumerate(toks) if tok in _DONE_ELSEWHERE)
                located, toks = self._done_here(located, toks, text, at, whole=True)
                if not located:
                    return []
            located = self.undenied(located, toks)
        if not _RENTAL_CUES.isdisjoint(toks):
            # What is rented or sold ("welders for rent", "costume rentals") is not on offer as made: the words right
            # before a bare rental word; "open shop hours, bike repair" still offers the open hours.
            rented = [
                start
                for tag, start, _ in located
                if self.is_offered_alone(tag.id) and set(tag.surface.split()) <= _RENTAL_WORDS
            ]
            if rented:  # "welders, plasma cutters, tile saws for rent": all of them
                located = [e for e in located if e[1] >= min(rented) or self.is_offered_alone(e[0].id)]
            if (
                located
                and located[0][1] == 0
                and self.is_offered_alone(located[0][0].id)
                and toks[0] in _RENTAL_CUES
                and MADE_CUES.isdisjoint(toks)
            ):
                # "rent welders, tile saws, floor sanders": a rental word first rents all it is followed by, unless
                # the phrase says something is made ("rentals & custom fabrication").
                located = [e for e in located if self.is_offered_alone(e[0].id)]
        if not _AFTERCARE.isdisjoint(toks):
            # "guitar repairs", "classic car restoration": work on the buyer's things, which the maker does not make;
            # what a trade mends as its own craft ("stained glass repair", "furniture restoration") it still offers.
            # "vintage guitar neck repair": one word may come between — and then it is that thing that is mended, not
            # what the trade mends as its craft ("leather seat repair" is no leather goods).
            plain = fold(text)
            starts = {e[1] for e in located}
            # A process that mends nothing as a trade ("board-level soldering repairs", "laser repair") is the repair.
            located = [e for e in located if not _repaired(e, toks, starts, plain)
                       or (self.kind(e[0].id) == "process" and self.is_mended_by_makers(e[0].id))
                       or (self.is_mended_by_makers(e[0].id) and toks[e[2]] in _AFTERCARE)]
        if not _DESIGN_WORDS.isdisjoint(toks):
            # "merch design", "logo design, packaging design, web design": the design alone; "cabinet design & build"
            # is still cabinets.
            located = [e for e in located if not _designed_only(e, toks) or self.kind(e[0].id) == "process"]
        if located and "to" in toks:
            # "bisque mugs & figurines to paint": blanks the customers paint themselves, not goods made to order.
            for i in range(len(toks) - 1):
                if toks[i] == "to" and toks[i + 1] in _DONE_BY_CUSTOMERS:
                    located = [e for e in located if e[1] > i + 1]
                    break
        if "only" in toks:
            # "wheels, railings, bike frames (coating only)": a service done to the things, not the things.
            if any(end < len(toks) and toks[end] == "only" and self.is_service(tag.id) for tag, _, end in located):
                located = [e for e in located if self.is_service(e[0].id) or self.kind(e[0].id) == "process"]
        if located and not WITH_WORDS.isdisjoint(toks):
            # "aprons w/ leather straps": a thing after "with" is a feature of what was named before it, not a second
            # offer; a service after it still is ("tees with embroidery").
            cut = next(i for i, tok in enumerate(toks) if tok in WITH_WORDS)
            if located[0][1] < cut:
                # The feature ends where the list goes on: "work shirts w/ reflective tape, scrubs, cook aprons".
                written = written_words(text)
                resume = len(toks)
                if written is not None and len(written) == len(toks):
                    resume = next((j for j in range(cut + 1, len(toks)) if "," in written[j][1]), len(toks))
                located = [e for e in located if e[1] < cut or e[1] >= resume or self.is_service(e[0].id)]
        if not BENEFICIARY_FOR.isdisjoint(toks):
            cut = next(i for i, tok in enumerate(toks) if tok in BENEFICIARY_FOR)
            # Not after a process or a class: "printing for tees and hats", "welding classes for beginners".
            if not any(start < cut and (self._teaches_of(tag.id) or self.kind(tag.id) == "process")
                       for tag, start, _ in located):
                located = [e for e in located if e[1] < cut or self.kind(e[0].id) == "part"]
        return located

    def _not_engraved_on(
        self, located: list[tuple[Tag, int, int]], toks: list[str], written: list[tuple[str, str]] | None
    ) -> list[tuple[Tag, int, int]]:
        """Without the things an engraver engraves but does not make: "laser engraving on jewelry, watches",
        "engraving - jewelry, watches, tumblers", "jewelry engraving" offer the engraving, not jewelry; "engraved
        tumblers" and "plaques" it makes, and "cutting boards & laser engraving" offers both."""
        engraving = self.concepts[_ENGRAVING]
        made = set(engraving.makes) | {d for c in engraving.makes for d in self.descendants(c)}
        at = [(start, end) for tag, start, end in located if tag.id == _ENGRAVING]
        whole = written is not None and len(written) == len(toks)

        def before(i: int) -> str:  # what stands before token i as written: "" when unknown
            return written[i][1] if whole and written is not None and i < len(written) else ""

        on_from = min(
            (end for _start, end in at
             if end < len(toks) and (toks[end] in _ENGRAVED_ON or before(end).strip() in ("-", ":"))),
            default=None,
        )
        kept = []
        for tag, start, end in located:
            named_before = whole and any(end == begin and not before(begin).strip() for begin, _end in at)
            if self.kind(tag.id) == "item" and tag.id not in made and (
                (on_from is not None and start >= on_from) or named_before
            ):
                continue
            kept.append((tag, start, end))
        return kept

    @staticmethod
    def _done_here(
        located: list[tuple[Tag, int, int]], toks: list[str], text: str, at: int, whole: bool
    ) -> tuple[list[tuple[Tag, int, int]], list[str]]:
        """What a maker still does when the word at token `at` says something is done elsewhere, and the words left
        to read. Only what those words speak of is done elsewhere: the part of the list or of the brackets they
        stand in ("CNC machining - heat treat & plating through our vendors", "3D printing - FDM & SLA, nylon PA12
        (SLS through a partner)"), or, when that names nothing, the part right before the brackets they stand in
        ("CNC machining, anodizing (outsourced)"). Where that part names nothing, everything when `whole` ("powder
        coat; all outsourced"), else nothing ("custom tees, orders sent out in 3 days")."""
        def names(span: tuple[int, int] | None) -> bool:
            return span is not None and any(span[0] <= start <= span[1] for _tag, start, _end in located)

        span = _segment_around(toks, text, at)
        if not names(span):
            bracket = _bracket_around(toks, text, at)
            if bracket is not None and bracket[0] > 0:
                span = _segment_around(toks, text, bracket[0] - 1)  # the thing right before the brackets
        if span is None or not names(span):
            return ([], toks) if whole else (located, toks)
        low, high = span
        kept = [entry for entry in located if not low <= entry[1] <= high]
        return kept, [*toks[:low], *([""] * (high + 1 - low)), *toks[high + 1 :]]

    def _tags_in(self, text: str, toks: list[str]) -> list[Tag]:
        return self._collect(self.locate(toks), text)

    def _collect(self, located: list[tuple[Tag, int, int]], text: str) -> list[Tag]:
        """The tags of the located concepts, each once, and of aliases inside text written without spaces."""
        tags: list[Tag] = []
        seen: set[str] = set()
        for found, _, _ in located:
            if found.id not in seen:
                seen.add(found.id)
                tags.append(found)
        if not text.isascii() and has_cjk(text):
            # No spaces between words: look for aliases inside the text, longest first, each span once.
            squeezed = fold(text).replace(" ", "")
            for alias, concept_id in self.cjk_aliases:
                if alias in squeezed:
                    squeezed = squeezed.replace(alias, " ")
                    if concept_id not in seen:
                        seen.add(concept_id)
                        tags.append(Tag(concept_id, alias))
        return tags

    def locate(self, toks: list[str]) -> list[tuple[Tag, int, int]]:
        """Concepts named in a token list, with the [start, end) token span each was found at."""
        fixed, exact, origin = self._correct(toks)
        aliases, lengths_from, longer_from, n = self.aliases, self._lengths_from, self._longer_from, len(fixed)
        starts = [i for i, word in enumerate(fixed) if word in lengths_from]  # most words start no alias
        if not starts:
            return []
        found: list[tuple[int, int, str, bool]] = []
        after = 0  # aliases found do not overlap: the first token after the last one
        for i in starts:
            if i < after:
                continue
            lengths = lengths_from[fixed[i]]
            if lengths[0] > 1:
                # Of the longer aliases, only those going on with the next word can fit: most words that start one
                # ("metal", "custom") are followed by other words.
                alone = (1,) if lengths[-1] == 1 else ()
                lengths = longer_from.get((fixed[i], fixed[i + 1]), ()) + alone if i + 1 < n else alone
            for length in lengths:
                concept_id = aliases.get(tuple(fixed[i : i + length])) if length <= n - i else None
                if concept_id is not None:
                    if concept_id != NO_ITEM:
                        found.append((i, i + length, concept_id, all(exact[i : i + length])))
                    after = i + length
                    break
        if not found:
            return []
        found = self._without_beneficiary(found, fixed)
        found = self._without_containers(found, fixed)
        if not _DESCRIBED.isdisjoint(fixed):
            # "chocolate flavor protein powder", "coffee scented candles", "pallet style furniture": how the thing is.
            found = [e for e in found if e[1] >= len(fixed) or fixed[e[1]] not in _DESCRIBED]
            if not found:
                return []
        if not _HOLDING.isdisjoint(fixed):
            found = [e for e in found
                     if e[1] >= len(fixed) or fixed[e[1]] not in _HOLDING or self.kind(e[2]) == "process"]
            if not found:
                return []
        located: list[tuple[Tag, int, int]] = []
        for start, end, concept_id, was_exact in found:
            concept_id = self._refine(concept_id, fixed, start, end)
            concept_id = self._as_part(concept_id, fixed, start, end)
            tag = Tag(concept_id, " ".join(fixed[start:end]), was_exact)
            located.append((tag, origin[start], origin[end - 1] + 1))
        if len(located) == 1:  # most phrases: one concept, and no other for it to give way to
            return [] if located[0][0].id in self.ancestors(located[0][0].id) else located
        # "3M N95 masks", "Masks (N95)": a generic item next to a kind of it means the kind; and a vague
        # word ("PPE - N95") says nothing once something specific is named.
        named = {tag.id for tag, _, _ in located}
        drop = {ancestor for concept_id in named for ancestor in self.ancestors(concept_id)}
        if any(not self._is_vague(c) for c in named):
            drop |= {c for c in named if self._is_vague(c)}
        return [entry for entry in located if entry[0].id not in drop]

    def _without_beneficiary(
        self, found: list[tuple[int, int, str, bool]], toks: list[str]
    ) -> list[tuple[int, int, str, bool]]:
        """ "boxes and labels for our hot sauce": what follows "for our" is who the order is for, not a second
        item. Only once something was named before it, and only after a possessive or an article — or right
        after "for" when what was named before is a thing, not a process ("candles and soap for gift bags"; but
        "printing for tees and hats" asks for the tees). And "a reach-in refrigerator for the bakery": when all that
        is named follows "for the", the thing asked for is the unknown word before it, not the bakery."""
        if found and found[0][0] >= 3:
            cut = found[0][0] - 2
            if (
                toks[cut] in BENEFICIARY_FOR
                and toks[cut + 1] in _BENEFICIARY_OWNER
                and toks[cut - 1] not in _NOT_A_HEAD
                and not toks[cut - 1].isdigit()
            ):
                return []
        if len(found) < 2:
            return found
        for index in range(1, len(toks) - 1):
            if toks[index] not in BENEFICIARY_FOR:
                continue
            before = [entry for entry in found if entry[1] <= index]
            owner = toks[index + 1] in _BENEFICIARY_OWNER
            things_before = any(self.kind(entry[2]) in ("item", "part") for entry in before)
            # "beanies for holiday merch", "soap for hotel welcome bags": up to two describing words may come between.
            named_after = any(
                index < entry[0] <= index + 3 and not any(tok.isdigit() for tok in toks[index + 1 : entry[0]])
                for entry in found
            )
            if owner or (things_before and named_after):
                if before and len(before) < len(found):
                    return before
                break
        return found

    def _without_containers(
        self, found: list[tuple[int, int, str, bool]], toks: list[str]
    ) -> list[tuple[int, int, str, bool]]:
        """ "baklava trays", "coffee bags", "cookie boxes": a plain container right after food or another filled
        good is how that good comes, not a second thing to make. Not when the words say the container is wanted
        for itself: "printed coffee bags", "custom boxes for cookies", "cookie boxes with our logo"."""
        if len(found) < 2 or any(tok in _CONTAINER_WANTED for tok in toks):
            return found
        kept = [found[0]]
        for entry in found[1:]:
            start, end, _concept, _exact = entry
            previous = kept[-1]
            # "baklava trays"; "totopos en bolsa", "honey in jars": the container right after, or after "in"; a keg or
            # a bottle only after "in" ("cold brew concentrate in kegs"; "cold brew kegs" may be beer too).
            after_in = start - previous[1] <= 2 and not _IN_WORDS.isdisjoint(toks[previous[1] : start])
            container = " ".join(toks[start:end])
            held = container in _CONTAINER_WORDS and (after_in or previous[1] == start)
            if (held or (after_in and container in _HELD_AFTER_IN)) and self._is_filled_good(previous[2]):
                continue
            kept.append(entry)
        return kept

    def packs_own_goods(self, phrase: str, tags: tuple[Tag, ...], other_tags: Iterable[tuple[Tag, ...]]) -> bool:
        """Whether a maker's phrase naming only boxes ("corporate gift boxes", "favor boxes") is how the maker's own
        food, candles or soap come, since another of its phrases names such goods; not "custom printed boxes"."""
        if not tags or any(tag.id not in _BOX_CONCEPTS for tag in tags):
            return False
        if any(tok in _CONTAINER_WANTED for tok in tokens(phrase)):
            return False
        return any(self._is_filled_good(tag.id) for other in other_tags for tag in other)

    def _is_filled_good(self, concept_id: str) -> bool:
        """Food, drink, soap, candles: goods sold in a bag, box, tray or jar."""
        return any(self.processes_for(item) & _FILLING_PROCESSES for item in [concept_id, *self.ancestors(concept_id)])

    def _is_vague(self, concept_id: str) -> bool:
        concept = self.concepts.get(concept_id)
        return concept is not None and concept.vague

    def _correct(self, toks: list[str]) -> tuple[list[str], list[bool], list[int]]:
        """Forgive typos and run-together words against the alias vocabulary only.

        Returns the corrected tokens, whether each is as written, and the input index each came from.
        """
        plain = self._as_written
        if plain.issuperset(toks):  # most phrases: nothing to forgive
            if self._short_slips.keys().isdisjoint(toks):
                return toks, [True] * len(toks), list(range(len(toks)))
            read, unchanged = self._short_in_context(toks, [True] * len(toks))
            return read, unchanged, list(range(len(toks)))
        out: list[str] = []
        exact: list[bool] = []
        origin: list[int] = []
        known = self._corrections
        for index, tok in enumerate(toks):
            fixed = known.get(tok)
            if fixed is None:
                fixed = self._correction(tok)
                if len(known) < 200_000:  # words repeat across phrases and requests; bound the memory anyway
                    known[tok] = fixed
                    if fixed == ((tok,), True):
                        plain.add(tok)
            words, as_written = fixed
            out.extend(words)
            exact.extend([as_written] * len(words))
            origin.extend([index] * len(words))
        if not self._short_slips.keys().isdisjoint(toks):
            out, exact = self._short_in_context(out, exact)
        return out, exact, origin

    def _short_in_context(self, out: list[str], exact: list[bool]) -> tuple[list[str], list[bool]]:
        """Short words a slip away from an alias word, read as it where the word beside them makes an alias with
        it: "bike fram repair" is a bike frame, "fram" alone is left as written."""
        out = list(out)
        exact = list(exact)
        for i, tok in enumerate(out):
            candidates = self._short_slips.get(tok)
            if not candidates:
                continue
            before = out[i - 1] if i > 0 else None
            after = out[i + 1] if i + 1 < len(out) else None
            fitting = [
                c for c in candidates
                if (before is not None and ((before, c) in self.aliases or (before, c) in self._longer_from))
                or (after is not None and ((c, after) in self.aliases or (c, after) in self._longer_from))
            ]
            if len(fitting) == 1:
                out[i], exact[i] = fitting[0], False
        return out, exact

    def _short_slip_candidates(self, tok: str) -> tuple[str, ...]:
        """Alias words a short word is one slip from: a letter left out ("fram") or one key for another ("frsme")."""
        letters = "abcdefghijklmnopqrstuvwxyz"
        left_out = {tok[:i] + c + tok[i:] for i in range(len(tok) + 1) for c in letters}
        slipped = {tok[:i] + c + tok[i + 1 :] for i in range(len(tok)) for c in letters if c != tok[i]}
        near = left_out | {w for w in slipped if _near_slip(tok, w)}
        return tuple(sorted(w for w in near if w in self._vocab_set and len(w) >= 4))

    def _correction(self, tok: str) -> tuple[tuple[str, ...], bool]:
        """What one token reads as: itself, the alias word a typo stands for, or the two words it runs together;
        and whether it is as written."""
        if tok in self._vocab_set:
            return (tok,), True
        if tok.startswith("و") and len(tok) >= 4 and tok[1:] in self._vocab_set:
            return (tok[1:],), True  # Arabic "and" written onto the word: "ولحام" is "and welding"
        if 3 <= len(tok) <= 4 and (doubled := self._doubled(tok)) is not None:
            return (doubled,), False  # "glas": a doubled letter typed once
        if len(tok) < 5 or tok.isdigit() or tok in self.ordinary_words or self._inflected(tok):
            if (
                3 <= len(tok) <= 4 and tok.isalpha() and tok.isascii() and tok not in self.english_words
                and tok not in self._material_starts
            ):
                candidates = self._short_slip_candidates(tok)
                if candidates and len(self._short_slips) < 50_000:
                    self._short_slips[tok] = candidates  # read in context (`_short_in_context`)
            return (tok,), True
        nearest = self._nearest(tok)
        # One slip of the keys ("candels") is likelier than two words run together ("can" + "del").
        split = None if nearest and DamerauLevenshtein.distance(tok, nearest) <= 1 else self._split_compound(tok)
        if split:
            return tuple(split), True
        return (nearest or tok,), nearest is None

    def _doubled(self, tok: str) -> str | None:
        """A short word with a doubled letter typed once ("glas", "gril"): the one alias word it can be. Shorter
        words are left alone otherwise, since a one-letter slip of a four-letter word is often another word."""
        if tok in self._vocab_set or tok.isdigit() or tok in self.ordinary_words:
            return None
        if tok in self._doubles:
            return self._doubles[tok]
        fixed = self._doubled_uncached(tok)
        if len(self._doubles) < 50_000:
            self._doubles[tok] = fixed
        return fixed

    def _inflected(self, tok: str) -> bool:
        """An ordinary word with an ending ("touring", "sanded"): not a typo of an alias word ("turning")."""
        for ending in _INFLECTIONS:
            if tok.endswith(ending) and len(tok) - len(ending) >= 3:
                base = tok[: -len(ending)]
                if _SHORT_VOWEL_END.search(base):
                    continue  # "cuting": "cut" doubles its last letter, so this is a slip of "cutting"
                if {base, base + "e", stem(base)} & self.english_words:
                    return True
        return False

    def _doubled_uncached(self, tok: str) -> str | None:
        found: set[str] = set()
        for word in {tok, tok + "s"} if len(tok) == 3 else {tok}:  # the stem of "glas" is "gla"
            found |= {word[: i + 1] + word[i] + word[i + 1 :] for i in range(len(word)) if word[i].isalpha()}
        found &= self._vocab_set
        return found.pop() if len(found) == 1 else None

    def _split_compound(self, tok: str) -> list[str] | None:
        """Two words of one phrase the taxonomy knows, run together ("3dprinting", "facemasks"); not a word of its own
        that only holds two known ones ("candlesticks" are no candles)."""
        for cut in range(2, len(tok) - 1):
            head, tail = tok[:cut], stem(tok[cut:])
            if (head, tail) in self._longer_from or (head, tail) in self.aliases:
                return [head, tail]
            if head == "re" and len(tail) >= 4 and tail in self._vocab_set:
                return [head, tail]  # a verb done again: "recoating", "reupholstered"
        return None

    def _nearest(self, tok: str) -> str | None:
        if tok in self._fixes:
            return self._fixes[tok]
        fixed = self._nearest_uncached(tok)
        if len(self._fixes) < 50_000:  # words repeat across requests; bound the memory anyway
            self._fixes[tok] = fixed
        return fixed

    def _nearest_uncached(self, tok: str) -> str | None:
        near_in_length = self._vocab_by_length.get(len(tok))
        if near_in_length is None:
            near_in_length = [word for word in self._vocab if abs(len(word) - len(tok)) <= 2]
        candidates = process.extract(
            tok, near_in_length, scorer=fuzz.ratio, score_cutoff=75, limit=_MAX_FUZZY_CANDIDATES
        )
        best: tuple[tuple[int, bool, bool, float], str] | None = None
        for candidate, score, _ in candidates:
            if abs(len(candidate) - len(tok)) > 2:
                continue
            if candidate[0] != tok[0] and candidate[:2] != tok[1::-1]:
                continue  # the first letter is rarely the slip: "crack" is not "rack"
            edits = DamerauLevenshtein.distance(tok, candidate)
            if edits == 2 and len(tok) >= 5 and candidate.startswith(tok) and candidate.endswith("s"):
                edits = 1  # "harnes" stemmed to "harne": one letter short of "harness", and the stem took the other
            if edits <= 1 or (len(tok) >= 7 and score >= 85):
                rank = (edits, not _left_out(tok, candidate), not _near_slip(tok, candidate), -score)
                if best is None or rank < best[0]:
                    best = (rank, candidate)
        return best[1] if best else None

    def _refine(self, concept_id: str, toks: list[str], start: int, end: int) -> str:
        rules = self._rules_of.get(concept_id)
        if not rules:
            return concept_id
        window = set(toks[max(0, start - _REFINE_WINDOW) : start]) | set(toks[end : end + _REFINE_WINDOW])
        for rule in rules:
            if window & rule.when:
                return rule.becomes
        return concept_id

    def _as_part(self, concept_id: str, toks: list[str], start: int, end: int) -> str:
        concept = self.concepts.get(concept_id)
        if concept is None or concept.kind != "item":
            return concept_id
        after = toks[end : end + 1]
        before = toks[max(0, start - 3) : start]
        part = bool(after) and after[0] in self.part_words
        if not part and before and before[-1] in self.for_words:
            part = any(tok in self.part_words or tok in self.material_words for tok in before[:-1])
        if not part:  # most items: no word next to them speaks of parts, and their ancestors need no look
            return concept_id
        if any(c.endswith("_part") for c in [concept_id, *self.ancestors(concept_id)]):
            return concept_id  # "laser cut steel parts" are the cut parts themselves, not parts of them
        return concept_id + PART_SUFFIX


# Containers that, right after a filled good, hold it ("baklava trays"); and words wanting the container itself.
_CONTAINER_WORDS = frozenset(
    stem(w)
    for w in ["bag", "bags", "box", "boxes", "tray", "trays", "carton", "cartons", "tin", "tins", "clamshell",
              "clamshells", "platter", "platters", "caja", "cajas", "charola", "charolas", "bolsa", "bolsas", "jar",
              "jars", "frasco", "frascos"]
)
_IN_WORDS = frozenset({"in", "en", "في"})
_HELD_AFTER_IN = frozenset(
    stem(w) for w in ["keg", "kegs", "bottle", "bottles", "barril", "barriles", "botella", "botellas"]
)
_BOX_CONCEPTS = frozenset({"packaging_box", "packaging", "bag"})
_ENGRAVING = "engraving"
_AMENITIES = frozenset({"wifi"})
_CARRY = frozenset(tokens("carry carries resell resells reseller"))
_OWN_MAKING = frozenset(tokens("our own house housemade brewed distilled roasted baked grown raised"))
_LABEL = "label"
_WHOSE = frozenset(tokens("your our their my his her customer customers client clients su sus nuestra"))
_ENGRAVED_ON = frozenset({"on", "onto", "en", "sobre", "على"})
_METAL_BOX = "sheet_metal_part"
_CONTAINER_WANTED = frozenset(
    stem(w)
    for w in ["printed", "print", "printing", "custom", "logo", "logos", "branded", "empty", "blank", "kraft",
              "corrugated", "cardboard", "plastic", "paper", "packaging", "impresas", "personalizadas"]
)
_FILLING_PROCESSES = frozenset(
    ["baking", "coffee_roasting", "cooking", "chocolate_making", "catering_service", "butchery", "creamery",
     "tortilleria", "brewing", "distilling", "soap_making", "candle_making", "cosmetics_making"]
)

# Words that name no particular thing: with a material they ask for its usual goods ("things out of metal").
_VAGUE_WORDS = frozenset(
    tokens(
        "thing things stuff item items product products piece pieces part parts component components clip clips "
        "something anything object objects goods "
        "made make makes out of from in with and or custom handmade company companies manufacturer manufacturers "
        "maker makers supplier suppliers shop shops business factory producer producers "
        "cosa cosas algo objeto objetos hecho hechos de en y o شيء أشياء اشياء من و"
    )
)


def _bracket_around(toks: list[str], text: str, at: int) -> tuple[int, int] | None:
    """The first and last token of the brackets the token `at` stands in, if it does."""
    written = written_words(text)
    if written is None or len(written) != len(toks):
        return None
    depth, inside = 0, []
    for _word, before in written:
        depth = max(depth + before.count("(") - before.count(")"), 0)
        inside.append(depth > 0)
    if not inside[at]:
        return None
    low = high = at
    while low > 0 and inside[low - 1]:
        low -= 1
    while high + 1 < len(toks) and inside[high + 1]:
        high += 1
    return low, high


def _segment_around(toks: list[str], text: str, at: int) -> tuple[int, int] | None:
    """The first and last token of the part of a list the token `at` stands in: between commas, semicolons, colons,
    brackets or a spaced dash ("CNC machining - heat treat & plating through our vendors")."""
    written = written_words(text)
    if written is None or len(written) != len(toks) or not 0 <= at < len(toks):
        return None
    breaks = [bool(_LIST_BREAKS.search(before)) for _word, before in written]
    low = at
    while low > 0 and not breaks[low]:
        low -= 1
    high = at
    while high + 1 < len(toks) and not breaks[high + 1]:
        high += 1
    return low, high


def _alias_key(phrase: str) -> tuple[str, ...]:
    return tuple(tokens(phrase))


def _label_alternatives(label: str) -> list[str]:
    plain = _LABEL_QUALIFIER.sub("", label).strip()
    parts = [p.strip() for p in _LABEL_SPLIT.split(plain) if p and p.strip()]
    return [plain, *parts] if len(parts) > 1 else [plain]


def _left_out(tok: str, candidate: str) -> bool:
    """Whether `tok` is `candidate` with one letter left out ("powdr": powder), the commonest slip on a phone."""
    if len(candidate) != len(tok) + 1:
        return False
    return any(candidate[:i] + candidate[i + 1 :] == tok for i in range(len(candidate)))


def _near_slip(tok: str, candidate: str) -> bool:
    """Whether the one letter that differs between two words of a length is a neighbouring key, or a vowel typed
    for another."""
    if len(tok) != len(candidate):
        return False
    differ = [(a, b) for a, b in zip(tok, candidate, strict=True) if a != b]
    if len(differ) != 1:
        return False
    typed, meant = differ[0]
    return meant in _NEAR_KEYS.get(typed, frozenset()) or (typed in _VOWELS and meant in _VOWELS)


def _read_ordinary_words() -> frozenset[str]:
    raw = resources.files("matching.data").joinpath("english_words.txt").read_text(encoding="utf-8")
    return frozenset(line.strip() for line in raw.splitlines() if line.strip() and not line.startswith("#"))


def _read_i18n() -> dict[str, list[str]]:
    raw = resources.files("matching.data").joinpath("ftm_labels_i18n.csv").read_text(encoding="utf-8")
    labels: dict[str, list[str]] = {}
    for row in csv.DictReader(io.StringIO(raw)):
        labels.setdefault(row["key"], []).append(row["label"])
    return labels


def build_taxonomy(
    data: dict[str, Any],
    i18n: dict[str, list[str]],
    ordinary_words: frozenset[str] = frozenset(),
    derived: dict[str, list[str]] | None = None,
) -> Taxonomy:
    concepts: dict[str, Concept] = {}
    aliases: dict[tuple[str, ...], str] = {}
    cjk_aliases: list[tuple[str, str]] = []
    translated: list[tuple[str, str]] = []

    def add_alias(phrase: str, concept_id: str) -> None:
        if has_cjk(phrase):
            cjk_aliases.append((fold(phrase).replace(" ", ""), concept_id))
            return
        key = _alias_key(phrase)
        # The first claim wins: hand-written aliases are added before machine-translated labels.
        if key and key not in aliases:
            aliases[key] = concept_id

    # Phrases that hold a product word but name no product: "private label" gin is gin under the buyer's brand.
    for phrase in data.get("grammar", {}).get("no_item_phrases", []):
        add_alias(phrase, NO_ITEM)
    for kind in ("item", "process"):
        for entry in data.get(kind, []):
            concept_id = entry["id"]
            if concept_id in concepts:
                raise ValueError(f"taxonomy: duplicate id {concept_id}")
            concepts[concept_id] = Concept(
                id=concept_id,
                kind=kind,
                label=entry["label"],
                parent=entry.get("parent"),
                strict=bool(entry.get("strict", False)),
                vague=bool(entry.get("vague", False)),
                material=entry.get("material"),
                service=bool(entry.get("service", False)),
                unmade=bool(entry.get("unmade", False)),
                teaches=entry.get("teaches"),
                applied=bool(entry.get("applied", False)),
                mends=bool(entry.get("mends", False)),
                offered_alone=bool(entry.get("offered_alone", False)),
                covers=tuple(entry.get("covers", ())),
                makes=frozenset(entry.get("makes", ())),
                sources=tuple(entry.get("sources", ())),
            )
            for phrase in [entry["label"], *entry.get("aliases", ())]:
                add_alias(phrase, concept_id)
            for phrase in entry.get("part_aliases", ()):
                add_alias(phrase, concept_id + PART_SUFFIX)
            split = entry.get("ftm_split", True)
            for key in entry.get("ftm", ()):
                for label in i18n.get(key, ()):
                    alternatives = _label_alternatives(label) if split else [label]
                    translated.extend((alt, concept_id) for alt in alternatives)
    # Buyers' words in more languages (languages.toml), after every English, Spanish and Arabic claim.
    for language, table in data.get("aliases", {}).items():
        for concept_id, phrases in table.items():
            if concept_id not in concepts:
                raise ValueError(f"taxonomy: {language} words for unknown concept {concept_id}")
            for phrase in phrases:
                add_alias(phrase, concept_id)
    # "Ventilator part" (ftm) is listed on the whole item; its labels name the part.
    for phrase, concept_id in translated:
        if concept_id == "ventilator" and any(w in fold(phrase) for w in ("part", "parte", "جزء")):
            concept_id = "ventilator.part"
        add_alias(phrase, concept_id)
    named_words = frozenset(tok for key in aliases for tok in key)
    # Machine-derived aliases come after every hand-written one: a hand-written claim on a word always wins.
    # They do not make a word extraordinary: "christmas tree ornaments" leaves "Christmas" an English word.
    for concept_id, phrases in (derived or {}).items():
        if concept_id in concepts:
            for phrase in phrases:
                add_alias(phrase, concept_id)

    for concept in concepts.values():
        if concept.parent and concept.parent not in concepts:
            raise ValueError(f"taxonomy: {concept.id} has unknown parent {concept.parent}")
        for target in concept.makes:
            base = target.removesuffix(PART_SUFFIX)
            if base not in concepts:
                raise ValueError(f"taxonomy: {concept.id} makes unknown item {target}")

    grammar = data.get("grammar", {})

    def stems(words: list[str]) -> frozenset[str]:
        return frozenset(stem(tok) for word in words for tok in tokens(word))

    rules = [
        _Rule(rule["item"], stems(rule["when"]), rule["becomes"]) for rule in data.get("refine", [])
    ]
    cjk_aliases.sort(key=lambda pair: len(pair[0]), reverse=True)
    material_ids = [entry["id"] for entry in data.get("material", [])]
    material_words_of: dict[tuple[str, ...], int] = {}
    for bit, entry in enumerate(data.get("material", [])):
        for phrase in [entry["id"], *entry.get("aliases", ())]:
            key = _alias_key(phrase)
            if 1 <= len(key) <= 2:
                material_words_of[key] = material_words_of.get(key, 0) | (1 << bit)
    material_goods = {entry["id"]: entry["goods"] for entry in data.get("material", []) if entry.get("goods")}
    for material, goods in material_goods.items():
        if goods not in concepts:
            raise ValueError(f"taxonomy: the goods of {material}, {goods}, are no concept")
    for concept in concepts.values():
        if concept.material and concept.material not in material_ids:
            raise ValueError(f"taxonomy: {concept.id} is made of unknown material {concept.material}")
    return Taxonomy(
        concepts=concepts,
        aliases=aliases,
        cjk_aliases=cjk_aliases,
        refinements=rules,
        part_words=stems(grammar.get("part_words", [])),
        material_words=stems(grammar.get("material_words", [])),
        for_words=stems(grammar.get("for_words", [])),
        generic_words=stems(grammar.get("generic_words", [])),
        ordinary_words=(ordinary_words - named_words) | stems(grammar.get("plain_words", [])),
        english_words=ordinary_words,
        material_ids=material_ids,
        material_words_of=material_words_of,
        default_material={c.id: c.material for c in concepts.values() if c.material},
        material_goods=material_goods,
    )


DATA_FILES = ("taxonomy.toml", "trades.toml", "languages.toml")
_LISTS = ("item", "process", "refine", "material")


def merge_data(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """One taxonomy from several files: their lists of items, processes and rules concatenated, in order."""
    merged: dict[str, Any] = {}
    for part in parts:
        for key, value in part.items():
            if key in _LISTS:
                merged.setdefault(key, []).extend(value)
            elif key == "aliases":  # per language: concept → words
                for language, table in value.items():
                    merged.setdefault("aliases", {}).setdefault(language, {}).update(table)
            elif key == "grammar":
                grammar = merged.setdefault("grammar", {})
                for name, words in value.items():
                    grammar[name] = [*grammar.get(name, []), *words]
            else:
                merged[key] = value
    return merged


def _read_derived_aliases() -> dict[str, list[str]]:
    """Aliases derived from NAICS index entries (build_trade_aliases.py), added after the hand-written ones."""
    path = resources.files("matching.data").joinpath("trade_aliases_naics.csv")
    if not path.is_file():
        return {}
    out: dict[str, list[str]] = {}
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    for row in csv.DictReader(lines):
        out.setdefault(row["concept"], []).append(row["alias"])
    return out


@functools.cache
def load_taxonomy() -> Taxonomy:
    """The taxonomy shipped with the package (loaded once per process)."""
    files = resources.files("matching.data")
    data = merge_data([tomllib.loads(files.joinpath(name).read_text(encoding="utf-8")) for name in DATA_FILES])
    # Courtesy words are left as written too: "kindly" is not a misspelt "kindle".
    ordinary = _read_ordinary_words() | courtesy.words()
    return build_taxonomy(data, _read_i18n(), ordinary, _read_derived_aliases())


def _aftercare_of(word: str, plain: str) -> bool:
    """Whether, in the folded text, the word is followed by a repair word with only spaces between."""
    return re.search(rf"\b{re.escape(word)}\w*\s+(?:{_AFTERCARE_WORDS})", plain) is not None


def _is_noun_modifier(word: str) -> bool:
    """A word as written that can describe the noun after it as a noun does: singular, no participle ("engraved",
    "reupholstering", "cast") and no hyphenated adjective ("built-in")."""
    return (
        is_singular(word) and len(word) > 2 and not word.endswith(("ing", "ed"))
        and word not in _PARTICIPLES and word not in _FUNCTION_WORDS
    )


_BUILT = frozenset({"build", "builds", "built", "fabrication", "fabricate", "make", "making", "manufacture",
                    "manufacturing", "production", "print", "printing", "install", "installation"})


def _designed_only(entry: tuple[Tag, int, int], toks: list[str]) -> bool:
    """Whether a design word follows the thing named at `entry` with no word of making after it ("packaging design",
    not "cabinet design & build")."""
    end = entry[2]
    return end < len(toks) and toks[end] in _DESIGN_WORDS and _BUILT.isdisjoint(toks[end + 1 : end + 3])


def _repaired(entry: tuple[Tag, int, int], toks: list[str], starts: set[int], plain: str) -> bool:
    """Whether a repair word follows the thing named at `entry` ("guitar repairs"), or one more word that names
    nothing else ("leather seat repair"), in one run of words ("lamps; repair and restoration" is two offers)."""
    end = entry[2]
    if end < len(toks) and toks[end] in _AFTERCARE:
        return _aftercare_of(toks[end - 1], plain)
    if end + 1 < len(toks) and toks[end + 1] in _AFTERCARE and end not in starts:
        return _aftercare_of(toks[end], plain)
    return False
