"""The makers a matcher chooses from, as plain values, indexed once for many requests."""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from matching import practices as practice_vocabulary
from matching.index import PhraseIndex
from matching.preferences import GREEN, slug
from matching.taxonomy import Tag, Taxonomy, load_taxonomy

_EMPTY = np.zeros(0, dtype=np.int32)
TRAINING = "training"  # the taxonomy's concept for classes, courses and tool access


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


@dataclass(frozen=True, slots=True)
class Capability:
    maker: int  # position in Directory.makers
    phrase: str
    tags: tuple[Tag, ...]
    training: bool = False  # a class or access the maker offers, not a thing they make


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


def _floats(values: Iterable[float | int | None]) -> np.ndarray:
    return np.asarray([np.nan if v is None else float(v) for v in values], dtype=np.float64)


class Directory:
    """Makers with their capability phrases tagged by the taxonomy and fuzzily searchable.

    Per-maker facts are also kept as numpy arrays, so that ranking thousands of candidates is a few
    vector operations rather than a Python loop.
    """

    def __init__(self, makers: Iterable[MakerProfile], taxonomy: Taxonomy | None = None) -> None:
        with _collector_paused():
            self._build(makers, taxonomy)

    def _build(self, makers: Iterable[MakerProfile], taxonomy: Taxonomy | None) -> None:
        self.taxonomy = taxonomy or load_taxonomy()
        self.makers: list[MakerProfile] = list(makers)
        self.capabilities: list[Capability] = []
        by_concept: dict[str, dict[str, list[int]]] = {}  # concept → surface words → capability positions
        inexact: set[int] = set()
        tag_cache: dict[str, tuple[tuple[Tag, ...], int]] = {}
        materials = [0] * len(self.makers)
        owners: list[int] = []
        for position, maker in enumerate(self.makers):
            offered = len(maker.capabilities)
            for number, phrase in enumerate(maker.capabilities + maker.training):
                cached = tag_cache.get(phrase)  # makers often list the very same phrase
                if cached is None:
                    found, mask = self.taxonomy.read(phrase)
                    cached = tag_cache[phrase] = (tuple(found), mask)
                tags, mask = cached
                materials[position] |= mask
                cap_id = len(self.capabilities)
                self.capabilities.append(Capability(position, phrase, tags, number >= offered))
                owners.append(position)
                for tag in tags:
                    by_concept.setdefault(tag.id, {}).setdefault(tag.surface, []).append(cap_id)
                    if not tag.exact:
                        inexact.add(cap_id)
        self._by_concept = {
            concept: {surface: np.asarray(ids, dtype=np.int32) for surface, ids in surfaces.items()}
            for concept, surfaces in by_concept.items()
        }
        self.cap_maker = np.asarray(owners, dtype=np.int32)
        self.cap_inexact = np.zeros(len(self.capabilities), dtype=bool)
        if inexact:
            self.cap_inexact[list(inexact)] = True
        self.index = PhraseIndex([c.phrase for c in self.capabilities])
        # Phrases the taxonomy could not place: only these are open to the loose fuzzy layer.
        kind = self.taxonomy.kind
        self.names_no_item = np.asarray(
            [not any(kind(t.id) in ("item", "part") for t in c.tags) for c in self.capabilities], dtype=bool
        )
        self.lat = np.radians(_floats(m.lat for m in self.makers))
        self.lon = np.radians(_floats(m.lon for m in self.makers))
        self.min_order = _floats(m.min_order or None for m in self.makers)  # 0 means "no minimum"
        self.max_order = _floats(m.max_order or None for m in self.makers)
        self.lead_time = _floats(m.lead_time_days for m in self.makers)
        self.responsiveness = _floats(m.responsiveness for m in self.makers)
        # The material classes each maker names anywhere ("stainless and aluminum", "acrylic and wood"), as bits.
        self.materials = np.asarray(materials, dtype=np.int64)
        # Who each maker is, for the buyers' preferences (matching.preferences).
        self.green_practices = [practice_vocabulary.known_practices(m.practices) for m in self.makers]
        self._fits: dict[str, np.ndarray] = {GREEN: np.asarray([bool(p) for p in self.green_practices], dtype=bool)}
        self._kinds = np.asarray([m.kind or "business" for m in self.makers], dtype=object)
        self._badges = [{slug(b): b for b in m.badges} for m in self.makers]
        # Phrases of what a maker teaches or lends, and the makers who offer any class or tool access at all.
        self.cap_training = np.asarray([c.training for c in self.capabilities], dtype=bool)
        self.teaching: dict[int, str] = {}  # maker position → the first phrase of what they teach or lend
        for c in self.capabilities:
            if c.maker not in self.teaching and any(
                t.id == TRAINING or TRAINING in self.taxonomy.ancestors(t.id) for t in c.tags
            ):
                self.teaching[c.maker] = c.phrase
        self.teaches = np.zeros(len(self.makers), dtype=bool)
        if self.teaching:
            self.teaches[sorted(self.teaching)] = True

    def __len__(self) -> int:
        return len(self.makers)

    def fits(self, preference: str) -> np.ndarray:
        """Which makers fit a buyer's preference word (matching.preferences): by practices, type or label."""
        known = self._fits.get(preference)
        if known is None:
            by_badge = np.asarray([preference in badges for badges in self._badges], dtype=bool)
            known = (self._kinds == preference) | by_badge if len(self.makers) else by_badge
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
