"""The makers a matcher chooses from, as plain values, indexed once for many requests."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from matching.index import PhraseIndex
from matching.taxonomy import Tag, Taxonomy, load_taxonomy
from matching.text import norm


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class Capability:
    maker: int  # position in Directory.makers
    phrase: str
    tags: tuple[Tag, ...]


class Directory:
    """Makers with their capability phrases tagged by the taxonomy and fuzzily searchable."""

    def __init__(self, makers: Iterable[MakerProfile], taxonomy: Taxonomy | None = None) -> None:
        self.taxonomy = taxonomy or load_taxonomy()
        self.makers: list[MakerProfile] = list(makers)
        self.capabilities: list[Capability] = []
        self.by_concept: dict[str, list[int]] = {}  # concept id → capability positions
        tag_cache: dict[str, tuple[Tag, ...]] = {}
        for position, maker in enumerate(self.makers):
            for phrase in maker.capabilities:
                key = norm(phrase)
                tags = tag_cache.get(key)
                if tags is None:
                    tags = tag_cache[key] = tuple(self.taxonomy.tag(phrase))
                cap_id = len(self.capabilities)
                self.capabilities.append(Capability(position, phrase, tags))
                for tag in tags:
                    self.by_concept.setdefault(tag.id, []).append(cap_id)
        self.index = PhraseIndex([c.phrase for c in self.capabilities])
        kinds = [
            any(self.taxonomy.kind(t.id) in ("item", "part") for t in c.tags) for c in self.capabilities
        ]
        # Phrases the taxonomy could not place: only these are open to the loose fuzzy layer.
        self.names_no_item = ~np.asarray(kinds, dtype=bool) if kinds else np.zeros(0, dtype=bool)
        lats = [m.lat if m.lat is not None else np.nan for m in self.makers]
        lons = [m.lon if m.lon is not None else np.nan for m in self.makers]
        self.lat = np.radians(np.asarray(lats, dtype=np.float64))
        self.lon = np.radians(np.asarray(lons, dtype=np.float64))

    def __len__(self) -> int:
        return len(self.makers)

    def capabilities_of(self, concept_ids: Sequence[str]) -> list[int]:
        out: list[int] = []
        for concept_id in concept_ids:
            out.extend(self.by_concept.get(concept_id, ()))
        return out
