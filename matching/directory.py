"""The makers a matcher chooses from, as plain values, indexed once for many requests."""

from __future__ import annotations

import gc
import pickle
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from operator import attrgetter
from typing import Any, BinaryIO, overload

import numpy as np

from matching import practices as practice_vocabulary
from matching.growable import Growable
from matching.index import PhraseIndex
from matching.preferences import GREEN, slug
from matching.taxonomy import MADE_CUES, Tag, Taxonomy, load_taxonomy
from matching.text import tokens

_EMPTY = np.zeros(0, dtype=np.int32)
TRAINING = "training"  # the taxonomy's concept for classes, courses and tool access
# What a capability phrase's tags say, as bits (Directory._read): a typo was forgiven, no item or part is named,
# it offers a class rather than the work, it names a class (the maker teaches).
_INEXACT, _NO_ITEM, _TRAINING, _NAMES_TRAINING = 1, 2, 4, 8
_LIST_BREAK = re.compile(r"[,&/+]|\band\b")  # between the things of a list
_BOX_IDS = frozenset({"packaging_box", "packaging", "bag"})  # see Taxonomy.packs_own_goods
# A business named for its rentals ("Capitol Party Rentals") rents the things it lists ("tables, chairs, tents"),
# unless a phrase says it makes them ("custom-built bars").
_RENTS = re.compile(r"\b(?:rent|rental|rentals|renta|rentas|alquiler|alquileres)\b|ايجار|إيجار", re.IGNORECASE)
# A business that says it buys what it sells ("we source from national suppliers") resells the things it lists.
_RESELLS = re.compile(
    r"\b(?:we\s+source\s+(?:them\s+|it\s+|everything\s+|all\s+|our\s+products\s+)?from\s+(?:\w+\s+)?"
    r"(?:national|overseas|offshore|wholesale|promo|promotional|branded)\s+(?:suppliers|vendors|manufacturers|factories)"
    r"|no\s+production\s+on\s+site|we\s+(?:don[\'’]?t|do\s+not)\s+(?:manufacture|make\s+anything))\b",
    re.IGNORECASE,
)
_MACHINES = frozenset(tokens("welder welders cutter cutters printer printers router routers sander sanders saw saws "
                              "lathe lathes press presses compressor compressors machine machines"))
_RESELL_CORES = ("source", "production", "manufactur", "anything")
# A list's parts that name nothing at all: "railings, gates, fences, etc.".
# A phrase headed by a class, before a colon, a dash or a bracket: "sewing classes: quilting, garment fitting",
# "woodworking classes (intro, build-a-table weekend)".
_CLASS_HEAD = re.compile(
    r"[^:;,&(]*?\b(?:classes|class|courses|course|lessons|workshops)\s*(?::|\(|-\s|–|—)", re.IGNORECASE
)
_LIST_FILLER = frozenset(tokens("etc more others misc and so on"))


@dataclass(frozen=True, slots=True)
class MakerProfile:
    """What the matcher needs to know about one maker."""

    id: int | str
    name: str
    capabilities: tuple[str, ...]  # phrases in the maker's own words
    lat: float | None = None
    lon: float | None = None
    zip: str | None = None
    min_order: int | None = None
    max_order: int | None = None
    lead_time_days: int | None = None
    responsiveness: float | None = None  # 0..1 from past outcomes; None until there are some
    kind: str = "business"  # business, makerspace, school, cooperative or individual
    badges: tuple[str, ...] = ()  # labels organisers gave: "Made in Detroit", "woman-owned"
    practices: tuple[str, ...] = ()  # greener practices in the maker's words: "recycled materials"
    training: tuple[str, ...] = ()  # what they teach or lend: "TIG welding classes", "open shop hours"


_PROFILE_FIELDS = tuple(f.name for f in fields(MakerProfile))
_profile_row = attrgetter(*_PROFILE_FIELDS)  # a profile's fields as a tuple, in that order


@dataclass(frozen=True, slots=True)
class Capability:
    maker: int  # position in Directory.makers
    phrase: str
    tags: tuple[Tag, ...]
    training: bool = False  # a class or access the maker offers, not a thing they make


class _Makers(Sequence[MakerProfile]):
    """The directory's makers by position, kept as rows of plain values: saved and loaded again (a snapshot), 100,000
    rows take a tenth of the time 100,000 profile objects would. A profile is made again when it is asked for."""

    def __init__(self) -> None:
        self._rows: list[tuple[Any, ...]] = []

    def append(self, maker: MakerProfile) -> None:
        self._rows.append(_profile_row(maker))

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, position: int) -> MakerProfile: ...
    @overload
    def __getitem__(self, position: slice) -> list[MakerProfile]: ...
    def __getitem__(self, position: int | slice) -> MakerProfile | list[MakerProfile]:
        if isinstance(position, slice):
            return [MakerProfile(*row) for row in self._rows[position]]
        return MakerProfile(*self._rows[position])


class _Capabilities(Sequence[Capability]):
    """The directory's capability phrases by id, read from its columns."""

    def __init__(self, directory: Directory) -> None:
        self._directory = directory

    def __len__(self) -> int:
        return len(self._directory._cap_phrases)

    @overload
    def __getitem__(self, cap_id: int) -> Capability: ...
    @overload
    def __getitem__(self, cap_id: slice) -> list[Capability]: ...
    def __getitem__(self, cap_id: int | slice) -> Capability | list[Capability]:
        if isinstance(cap_id, slice):
            return [self[i] for i in range(*cap_id.indices(len(self)))]
        d = self._directory
        maker, training = int(d.cap_maker[cap_id]), bool(d.cap_training[cap_id])
        return Capability(maker, d._cap_phrases[cap_id], d._cap_tags[cap_id], training)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Building allocates millions of small objects that all live on; the cycle collector would walk them
    again and again (a third of the build time at 100,000 phrases) and find nothing to free."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _says_it_resells(phrases: tuple[str, ...]) -> bool:
    text = "; ".join(phrases).lower()
    # A look for the words' cores first: the pattern is run on the few makers that hold one.
    return any(core in text for core in _RESELL_CORES) and _RESELLS.search(text) is not None


def _a_machine(surface: str) -> bool:
    """Whether a trade is named by its machine ("welders", "plasma cutter"), not by its work nor its people."""
    return surface.rsplit(" ", 1)[-1] in _MACHINES


def _forget(ids: list[int], cap: int) -> None:
    """Take a phrase's id out of the ids of its tags: searched from the end, where the maker just read was added."""
    for at in range(len(ids) - 1, -1, -1):
        if ids[at] == cap:
            del ids[at]
            return


def _floats(values: Iterable[float | int | None]) -> np.ndarray:
    return np.asarray([np.nan if v is None else float(v) for v in values], dtype=np.float64)


class _Column:
    """A read-only view of one of the directory's growable columns: `directory.lat` is `directory._lat.values`."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.attr = "_" + name

    def __get__(self, directory: object, owner: type | None = None) -> np.ndarray:
        column: Growable = getattr(directory, self.attr)
        return column.values


class Directory:
    """Makers with their capability phrases tagged by the taxonomy and fuzzily searchable.

    Per-maker facts are also kept as numpy arrays, so that ranking thousands of candidates is a few
    vector operations rather than a Python loop. A maker can be added, replaced or removed in time proportional
    to that maker (`add`, `remove`): the directory of a busy network follows its changes instead of being
    rebuilt. A removed maker keeps its position (positions are never reused) and is left out of every answer.
    """

    def __init__(self, makers: Iterable[MakerProfile], taxonomy: Taxonomy | None = None) -> None:
        with _collector_paused():
            self._build(makers, taxonomy)

    def _build(self, makers: Iterable[MakerProfile], taxonomy: Taxonomy | None) -> None:
        self.taxonomy = taxonomy or load_taxonomy()
        self.makers = _Makers()
        self._cap_phrases: list[str] = []  # by capability id, with _cap_tags and the arrays below
        self._cap_tags: list[tuple[Tag, ...]] = []
        self._by_concept: dict[str, dict[str, np.ndarray]] = {}
        self._position_of: dict[int | str, int] = {}
        self._first_cap, self._end_cap = Growable(np.int32), Growable(np.int32)  # maker position → its capability ids
        self._tag_cache: dict[str, tuple[tuple[Tag, ...], int, int]] = {}  # phrase → tags, materials, facts
        self._same_tags: dict[tuple[Tag, ...], tuple[Tag, ...]] = {}  # one tuple for all phrases tagged alike
        self._alike: dict[tuple[Tag, ...], tuple[tuple[Tag, ...], int]] = {}  # tags read → as offered, facts
        self._fits: dict[str, np.ndarray] = {}
        self.green_practices: list[tuple[str, ...]] = []
        self._badges: list[dict[str, str]] = []
        self.teaching: dict[int, str] = {}  # maker position → the first phrase of what they teach or lend
        self._active_count = 0
        tax = self.taxonomy
        self._training_concepts = {c for c in tax.concepts if tax.is_class(c)}
        self._finishes = frozenset(c for c in tax.concepts if tax.is_finish(c))  # see _finished_goods
        # Per capability phrase, and per maker position; read through the properties below.
        self._cap_maker, self._cap_inexact = Growable(np.int32), Growable(bool)
        self._names_no_item, self._cap_training = Growable(bool), Growable(bool)
        self._lat, self._lon = Growable(np.float64), Growable(np.float64)
        self._min_order, self._max_order = Growable(np.float64), Growable(np.float64)
        self._lead_time, self._responsiveness = Growable(np.float64), Growable(np.float64)
        self._materials, self._teaches = Growable(np.int64), Growable(bool)
        self._active, self._kinds = Growable(bool), Growable(object)
        self.index = PhraseIndex([])
        self._append(list(makers), build=True)

    # ── changes ──

    def add(self, maker: MakerProfile) -> None:
        """Add a maker, or replace the one with the same id: in time proportional to that maker."""
        with _collector_paused():
            self.remove(maker.id)
            self._append([maker], build=False)

    def update(self, makers: Iterable[MakerProfile], gone: Iterable[int | str] = ()) -> None:
        """Add or replace `makers` and remove the makers with the ids in `gone`, in time proportional to them."""
        makers = list(makers)
        with _collector_paused():
            for maker_id in [m.id for m in makers] + list(gone):
                self.remove(maker_id)
            if makers:
                self._append(makers, build=False)

    def remove(self, maker_id: int | str) -> bool:
        """Leave a maker out of every answer from now on. False when there was none with that id."""
        position = self._position_of.pop(maker_id, None)
        if position is None:
            return False
        self._active.values[position] = False
        self._active_count -= 1
        self.index.remove(range(self._first_cap.values[position], self._end_cap.values[position]))
        return True

    def phrase_count(self, maker_id: int | str) -> int:
        """How many capability phrases (not counting what they teach) the maker has here; 0 when not here."""
        position = self._position_of.get(maker_id)
        return 0 if position is None else len(self.makers[position].capabilities)

    @property
    def removed_share(self) -> float:
        """The share of indexed phrases that belong to removed makers: a rebuild gives their memory back."""
        return self.index.removed / max(len(self._cap_phrases), 1)

    def _append(self, makers: list[MakerProfile], build: bool) -> None:
        first_cap = len(self._cap_phrases)
        counts, facts, materials, teaches, firsts = [], [], [], [], []
        tag_cache, cap_tags = self._tag_cache, self._cap_tags
        # The new capability ids by their tags, for _by_concept. Keyed by the tuple's id: phrases tagged alike share
        # one tuple (_same_tags), and hashing it would hash every tag in it, in Python, for every phrase.
        alike: dict[int, tuple[tuple[Tag, ...], list[int]]] = {}
        for maker in makers:
            position = len(self.makers)
            self.makers.append(maker)
            self._position_of[maker.id] = position
            offered = len(maker.capabilities)
            listed = maker.capabilities + maker.training
            mask = 0
            first = len(self._cap_phrases)
            firsts.append(first)
            self._cap_phrases.extend(listed)
            counts.append(len(listed))
            boxes = finishes = False
            for number, phrase in enumerate(listed):
                cached = tag_cache.get(phrase)  # makers often list the very same phrase
                if cached is None:
                    cached = self._read(phrase)
                    if build or len(tag_cache) < 10_000:
                        tag_cache[phrase] = cached
                tags, phrase_mask, phrase_facts = cached
                mask |= phrase_mask
                cap_tags.append(tags)
                facts.append(phrase_facts if number < offered else phrase_facts | _TRAINING)
                if tags:
                    boxes = boxes or tags[0].id in _BOX_IDS
                    finishes = finishes or not self._finishes.isdisjoint(t.id for t in tags)
                    same = alike.get(id(tags))
                    if same is None:
                        alike[id(tags)] = (tags, [first + number])
                    else:
                        same[1].append(first + number)
                    if phrase_facts & _NAMES_TRAINING and position not in self.teaching:
                        self.teaching[position] = phrase
            if boxes and offered > 1:
                self._own_boxes(first, listed, alike)
            if finishes and offered > 1:
                self._finished_goods(first, offered, alike)
            if offered and _RENTS.search(maker.name):
                self._goods_not_made(first, offered, alike, tools=True)
            elif offered and _says_it_resells(listed[:offered]):
                self._goods_not_made(first, offered, alike)
            materials.append(mask)
            teaches.append(position in self.teaching)
            # Who each maker is, for the buyers' preferences (matching.preferences).
            self.green_practices.append(practice_vocabulary.known_practices(maker.practices))
            self._badges.append({slug(b): b for b in maker.badges})
        # Each concept's phrases by the words they used, one pass per distinct tags rather than per phrase. Tags
        # are gone through in the order they first appear, so concepts and words come in the order phrases name
        # them; the ids of one (concept, words) from several tags tuples are merged back into phrase order.
        new_concepts: dict[str, dict[str, list[list[int]]]] = {}
        for tags, ids in alike.values():
            if not ids:
                continue  # every phrase so tagged was found to name nothing (_own_boxes)
            for tag in tags:
                new_concepts.setdefault(tag.id, {}).setdefault(tag.surface, []).append(ids)
        for concept, surfaces in new_concepts.items():
            known = self._by_concept.setdefault(concept, {})
            for surface, id_lists in surfaces.items():
                if len(id_lists) == 1:
                    fresh = np.asarray(id_lists[0], dtype=np.int32)
                else:
                    fresh = np.sort(np.concatenate([np.asarray(ids, dtype=np.int32) for ids in id_lists]))
                known[surface] = fresh if surface not in known else np.concatenate((known[surface], fresh))
        flags = np.asarray(facts, dtype=np.uint8)
        positions = np.arange(len(self.makers) - len(makers), len(self.makers), dtype=np.int32)
        self._first_cap.extend(firsts)
        self._end_cap.extend([*firsts[1:], len(self._cap_phrases)] if firsts else [])
        self._cap_maker.extend(np.repeat(positions, counts))
        self._cap_inexact.extend((flags & _INEXACT).astype(bool))
        self._names_no_item.extend((flags & _NO_ITEM).astype(bool))
        self._cap_training.extend((flags & _TRAINING).astype(bool))
        self._lat.extend(np.radians(_floats(m.lat for m in makers)))
        self._lon.extend(np.radians(_floats(m.lon for m in makers)))
        self._min_order.extend(_floats(m.min_order or None for m in makers))  # 0 means "no minimum"
        self._max_order.extend(_floats(m.max_order or None for m in makers))
        self._lead_time.extend(_floats(m.lead_time_days for m in makers))
        self._responsiveness.extend(_floats(m.responsiveness for m in makers))
        # The material classes each maker names anywhere ("stainless and aluminum", "acrylic and wood"), as bits.
        self._materials.extend(materials)
        self._teaches.extend(teaches)
        self._active.extend([True] * len(makers))
        self._kinds.extend([m.kind or "business" for m in makers])
        self._active_count += len(makers)
        self._fits.clear()
        phrases = self._cap_phrases[first_cap:]
        if build:
            self.index = PhraseIndex(phrases)
            self._tag_cache = {}  # it saved the build re-reading repeated phrases; kept, it would double the memory
        else:
            self.index.add(phrases)

    # ── saving and loading (a snapshot: see save / load) ──

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.update(taxonomy=None, _tag_cache={}, _same_tags={}, _alike={}, _fits={})  # the taxonomy is the loader's
        return state

    def save(self, file: BinaryIO) -> None:
        """Write the directory to a binary file, to be read by `Directory.load` with the same taxonomy and code."""
        pickle.dump(self, file, protocol=pickle.HIGHEST_PROTOCOL)

    @classmethod
    def load(cls, file: BinaryIO, taxonomy: Taxonomy) -> Directory:
        """A directory `save` wrote. The file must come from this code and this taxonomy (see `fingerprint`), and be
        trusted like the code itself: loading it runs what it says."""
        with _collector_paused():
            directory = pickle.load(file)
        if not isinstance(directory, cls):
            raise TypeError("not a saved directory")
        directory.taxonomy = taxonomy
        return directory

    # ── what the matcher reads: by capability, then by maker position ──

    cap_maker = _Column()
    cap_inexact = _Column()
    names_no_item = _Column()
    cap_training = _Column()
    active = _Column()  # False once the maker was removed or replaced
    lat = _Column()
    lon = _Column()
    min_order = _Column()
    max_order = _Column()
    lead_time = _Column()
    responsiveness = _Column()
    materials = _Column()
    teaches = _Column()

    def __len__(self) -> int:
        return self._active_count

    @property
    def capabilities(self) -> Sequence[Capability]:
        """Every indexed phrase by capability id, removed makers' too."""
        return _Capabilities(self)

    def phrases_of(self, position: int) -> list[str]:
        """Every phrase a maker lists, by the maker's position."""
        first, end = int(self._first_cap.values[position]), int(self._end_cap.values[position])
        return self._cap_phrases[first:end]

    def _read(self, phrase: str) -> tuple[tuple[Tag, ...], int, int]:
        """A phrase's tags as offered, the material classes it names (bits) and what its tags say (_INEXACT …)."""
        found, mask, named = self.taxonomy.read_offer_named(phrase)
        if not found and named:
            return (), mask, 0  # "no hacemos tortillas", "distributor: nitrile gloves": known, and nothing offered
        key = tuple(found)
        known = self._alike.get(key)  # most phrases are tagged like many others: work out the rest once for those
        if known is None:
            teaches_only = self._only_teaches(found, phrase)
            if teaches_only:
                found += self.taxonomy.classes_in(found)  # "welding and woodshop classes"
            tags = tuple(found)
            tags = self._same_tags.setdefault(tags, tags)
            kind_of = self.taxonomy.kind
            facts = 0
            if any(not tag.exact for tag in tags):
                facts |= _INEXACT
            # Phrases the taxonomy could not place: only these are open to the loose fuzzy layer.
            if not any(kind_of(t.id) in ("item", "part") for t in tags):
                facts |= _NO_ITEM
            # "welding and woodshop classes" offers classes, not welding jobs, though it names the process.
            if teaches_only:
                facts |= _TRAINING
            if any(tag.id in self._training_concepts for tag in tags):
                facts |= _NAMES_TRAINING
            known = self._alike[key] = (tags, facts)
        return known[0], mask, known[1]

    def _own_boxes(self, first: int, phrases: tuple[str, ...], alike: dict[int, tuple[Any, list[int]]]) -> None:
        """A chocolatier's "corporate gift boxes" are its chocolates boxed, not boxes made for a buyer: the phrases of
        the maker whose capabilities start at `first` that only name such boxes are made to name nothing."""
        tags_of = self._cap_tags
        for number, phrase in enumerate(phrases):
            tags = tags_of[first + number]
            others = (tags_of[first + n] for n in range(len(phrases)) if n != number)
            if tags and self.taxonomy.packs_own_goods(phrase, tags, others):
                tags_of[first + number] = ()
                _forget(alike[id(tags)][1], first + number)

    def _finished_goods(self, first: int, offered: int, alike: dict[int, tuple[Any, list[int]]]) -> None:
        """A powder coater's "wheels, railings, patio furniture" are what it coats, not what it makes: for a maker
        who finishes metal and names no process that makes anything, the phrases that only list three things or more,
        of several kinds, are made to name nothing."""
        tags_of = self._cap_tags
        kind_of, finishes = self.taxonomy.kind, self._finishes
        phrases = [tags_of[first + n] for n in range(offered)]
        if any(kind_of(t.id) == "process" and t.id not in finishes for tags in phrases for t in tags):
            return  # "sheet metal fab; in-house powder coat": it makes the things it names too
        for number, tags in enumerate(phrases):
            # A list of things of several trades ("wheels, railings, patio furniture"), or some of no trade known
            # ("wheels, frames, gates"), not one trade's own goods ("railings, gates & fences"), which a maker that
            # coats them may well make.
            parts = _LIST_BREAK.split(self._cap_phrases[first + number])
            entries = [e for e in parts if not _LIST_FILLER.issuperset(tokens(e))]
            if (
                tags
                and len(entries) >= 3
                and all(kind_of(t.id) in ("item", "part") for t in tags)
                and (len({t.id for t in tags}) >= 2 or not all(self.taxonomy.locate(tokens(e)) for e in entries))
            ):
                tags_of[first + number] = ()
                _forget(alike[id(tags)][1], first + number)

    def _goods_not_made(
        self, first: int, offered: int, alike: dict[int, tuple[Any, list[int]]], tools: bool = False
    ) -> None:
        """A rental business's "tables, chairs, linens, tents" are rented, and a reseller's "branded pens, mugs" bought,
        not made: of the maker whose capabilities start at `first`, the phrases naming things (no process) with no
        word of making are made to name nothing; with `tools`, also those naming a trade by its machine ("welders",
        "tile saws" at a rental store)."""
        tags_of, kind_of = self._cap_tags, self.taxonomy.kind
        for number in range(offered):
            tags = tags_of[first + number]
            if (
                tags
                and all(kind_of(t.id) in ("item", "part") or (tools and _a_machine(t.surface)) for t in tags)
                and MADE_CUES.isdisjoint(tokens(self._cap_phrases[first + number]))
            ):
                tags_of[first + number] = ()
                _forget(alike[id(tags)][1], first + number)

    def _only_teaches(self, tags: list[Tag], phrase: str) -> bool:
        """A phrase naming a class or course and processes, but nothing made, or headed by a class of a trade before a
        colon, a dash or a bracket ("sewing classes: quilting, garment fitting"; not "woodworking classes & custom
        furniture"): what the maker teaches."""
        kind_of = self.taxonomy.kind
        head = self.taxonomy.concept(tags[0].id) if tags else None
        if head is not None and head.teaches and _CLASS_HEAD.match(phrase):
            return True
        return any(t.id in self._training_concepts for t in tags) and not any(
            kind_of(t.id) in ("item", "part") and t.id not in self._training_concepts for t in tags
        )

    def fits(self, preference: str) -> np.ndarray:
        """Which makers fit a buyer's preference word (matching.preferences): by practices, type or label."""
        known = self._fits.get(preference)
        if known is None:
            if len(self._fits) >= 64:
                self._fits.clear()  # labels come from buyers' words: keep a few, not one array per town ever named
            if preference == GREEN:
                known = np.asarray([bool(p) for p in self.green_practices], dtype=bool)
            else:
                by_badge = np.asarray([preference in badges for badges in self._badges], dtype=bool)
                known = (self._kinds.values == preference) | by_badge if len(self.makers) else by_badge
            self._fits[preference] = known
        return known

    def badge(self, position: int, preference: str) -> str | None:
        """The label as it was given ("Made in Detroit") when the maker at `position` holds that preference's."""
        return self._badges[position].get(preference)

    def capabilities_of(self, concept: str) -> np.ndarray:
        """Positions of the capability phrases that name `concept`."""
        surfaces = self._by_concept.get(concept)
        if not surfaces:
            return _EMPTY
        return np.concatenate(list(surfaces.values()))

    def capabilities_of_by_surface(self, concept: str) -> dict[str, np.ndarray]:
        """The same, split by the words each phrase used for it."""
        return self._by_concept.get(concept, {})
