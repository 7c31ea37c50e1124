"""Request in, ranked makers out: `Matcher(directory).match("need 500 face shields near 48201")`.

Candidates come from the taxonomy first (makers whose phrases name the item, a kind of it, or a process
that makes it), then from a loose fuzzy layer over the phrases the taxonomy could not place. Nothing
that fits poorly is returned: an empty answer is a correct answer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime

from matching import geo, ranker
from matching.directory import Directory
from matching.parse import ParsedRequest, parse
from matching.ranker import Evidence
from matching.text import tokens

DEFAULT_RADIUS_MILES = 50.0
DEFAULT_LIMIT = 5
_FUZZY_POOL = 50  # phrases the fuzzy layer looks at per request


@dataclass(frozen=True)
class Match:
    maker_id: int | str
    name: str
    score: float
    distance_miles: float | None
    matched: str  # the maker's own words that matched
    why: str
    fit: str  # ranker.LISTED, ALIAS, KIND, PROCESS, WHOLE, BROADER or FUZZY
    concept: str  # the requested concept this maker answers

    def as_dict(self) -> dict:
        return {
            "maker_id": self.maker_id,
            "name": self.name,
            "score": self.score,
            "distance_miles": None if self.distance_miles is None else round(self.distance_miles, 1),
            "matched": self.matched,
            "why": self.why,
        }


@dataclass(frozen=True)
class MatchResult:
    request: ParsedRequest
    place: geo.Place | None
    radius_miles: float | None
    matches: tuple[Match, ...]

    def as_dict(self) -> dict:
        req = self.request
        return {
            "request": {
                "item": req.item,
                "quantity": req.quantity,
                "unit": req.unit,
                "deadline": req.deadline.isoformat() if req.deadline else None,
                "zip": self.place.zip if self.place else req.zip,
            },
            "matches": [m.as_dict() for m in self.matches],
        }


def _today(now: datetime | date | None) -> date:
    if now is None:
        return date.today()
    return now.date() if isinstance(now, datetime) else now


class Matcher:
    def __init__(
        self, directory: Directory, *, radius_miles: float = DEFAULT_RADIUS_MILES, limit: int = DEFAULT_LIMIT
    ) -> None:
        self.directory = directory
        self.taxonomy = directory.taxonomy
        self.radius_miles = radius_miles
        self.limit = limit

    def match(
        self,
        request: str | ParsedRequest,
        *,
        zip: str | None = None,
        radius_miles: float | None = None,
        limit: int | None = None,
        now: datetime | date | None = None,
    ) -> MatchResult:
        """Rank the makers who can serve `request`. A ZIP or radius in the text wins over the arguments."""
        today = _today(now)
        parsed = request if isinstance(request, ParsedRequest) else parse(request, today, self.taxonomy)
        # A ZIP in the text beats the one passed in, which beats a town named in the text.
        wanted = parsed.zip if parsed.zip_source == "zip" else (zip or parsed.zip)
        place = geo.lookup_zip(wanted)
        radius = parsed.radius_miles or radius_miles or self.radius_miles
        evidence = self._evidence(parsed)
        matches = []
        for maker_pos, (best, covered) in evidence.items():
            maker = self.directory.makers[maker_pos]
            distance = None
            if place is not None:
                if maker.lat is None or maker.lon is None:
                    continue  # cannot tell whether they are near
                distance = geo.distance_miles(place.lat, place.lon, maker.lat, maker.lon)
                if distance > radius:
                    continue
            confidence = min(1.0, best.confidence + ranker.EXTRA_ITEM_BONUS * (covered - 1))
            fit = ranker.capacity_fit(maker, parsed.quantity, parsed.deadline, today)
            score = ranker.total_score(
                confidence, ranker.distance_score(distance, radius if place else None), fit.value, maker.responsiveness
            )
            phrase = self.directory.capabilities[best.capability].phrase
            why = ranker.explain(best, phrase, self.taxonomy.label, distance, fit.notes)
            matches.append(
                Match(maker.id, maker.name, score, distance, phrase, why, best.fit, best.concept)
            )
        matches.sort(key=lambda m: (-m.score, math.inf if m.distance_miles is None else m.distance_miles, m.name))
        return MatchResult(parsed, place, radius if place else None, tuple(matches[: limit or self.limit]))

    # ── evidence ──

    def _evidence(self, parsed: ParsedRequest) -> dict[int, tuple[Evidence, int]]:
        """Best evidence per maker position, and how many requested concepts that maker covers."""
        tax = self.taxonomy
        items = [c for c in parsed.items if tax.kind(c) in ("item", "part")]
        processes = [c for c in parsed.items if tax.kind(c) == "process"]
        wanted = items or processes  # "3D printed face shields" asks for face shields, not for printing
        per_concept: dict[str, dict[int, Evidence]] = {}
        for concept in wanted:
            found: dict[int, Evidence] = {}
            for ev in self._taxonomy_evidence(concept, parsed):
                maker = self.directory.capabilities[ev.capability].maker
                if maker not in found or ev.confidence > found[maker].confidence:
                    found[maker] = ev
            per_concept[concept] = found
        fuzzy = self._fuzzy_evidence(parsed, known_item=bool(items))
        best: dict[int, tuple[Evidence, int]] = {}
        for found in [*per_concept.values(), fuzzy]:
            for maker, ev in found.items():
                if ev.confidence < ranker.MIN_CONFIDENCE:
                    continue
                previous = best.get(maker)
                if previous is None:
                    best[maker] = (ev, 1)
                else:
                    top = ev if ev.confidence > previous[0].confidence else previous[0]
                    best[maker] = (top, previous[1] + (0 if found is fuzzy else 1))
        return best

    def _taxonomy_evidence(self, concept: str, parsed: ParsedRequest):
        tax = self.taxonomy
        directory = self.directory
        surfaces = {" ".join(tokens(parsed.item or ""))}
        node = tax.concept(concept)
        # The item itself, named in the buyer's words or others.
        for cap in directory.capabilities_of([concept]):
            tag = next(t for t in directory.capabilities[cap].tags if t.id == concept)
            same_words = tag.surface in surfaces or any(tag.surface in s for s in surfaces)
            fit = ranker.LISTED if same_words else ranker.ALIAS
            penalty = 0.0 if tag.exact else ranker.CORRECTED_PENALTY
            yield Evidence(fit, ranker.CONFIDENCE[fit] - penalty, cap, concept)
        # Kinds of it ("cloth masks" answer "masks").
        kinds = tax.descendants(concept)
        for cap in directory.capabilities_of(sorted(kinds)):
            yield Evidence(ranker.KIND, ranker.CONFIDENCE[ranker.KIND], cap, concept)
        # Something broader, unless the item is one a broad claim cannot vouch for (N95s are certified).
        if node is not None and not node.strict:
            for parent in tax.ancestors(concept):
                if tax.concept(parent) and not tax.concept(parent).strict:
                    for cap in directory.capabilities_of([parent]):
                        yield Evidence(ranker.BROADER, ranker.CONFIDENCE[ranker.BROADER], cap, concept)
                break
        # The whole thing, for a request for one of its parts (never the other way round).
        if node is not None and node.kind == "part" and node.part_of:
            for cap in directory.capabilities_of([node.part_of]):
                yield Evidence(ranker.WHOLE, ranker.CONFIDENCE[ranker.WHOLE], cap, concept)
        # Processes that make it, or make a kind of it.
        for process in sorted(tax.processes_for(concept)):
            for cap in directory.capabilities_of([process]):
                yield Evidence(ranker.PROCESS, ranker.CONFIDENCE[ranker.PROCESS], cap, concept, concept)
        for kind in sorted(kinds):
            kind_node = tax.concept(kind)
            if kind_node is not None and kind_node.strict:
                continue
            for process in sorted(tax.processes_for(kind)):
                for cap in directory.capabilities_of([process]):
                    yield Evidence(ranker.PROCESS, ranker.PROCESS_FOR_KIND, cap, concept, kind)

    def _fuzzy_evidence(self, parsed: ParsedRequest, known_item: bool) -> dict[int, Evidence]:
        """Similar wording among phrases the taxonomy could not place: the last resort, kept strict."""
        if not parsed.item or len(self.directory.capabilities) == 0:
            return {}
        generic = self.taxonomy.generic_words
        wanted_words = {t for t in tokens(parsed.item) if len(t) >= 3 and t not in generic}
        if not wanted_words:
            return {}
        cutoff = ranker.FUZZY_MIN_SCORE + (4.0 if known_item else 0.0)
        found: dict[int, Evidence] = {}
        for hit in self.directory.index.search(parsed.item, limit=_FUZZY_POOL, score_cutoff=cutoff):
            if not self.directory.names_no_item[hit.phrase_id]:
                continue  # the taxonomy knows what this phrase is, and it is not what was asked
            cap = self.directory.capabilities[hit.phrase_id]
            if not wanted_words & {t for t in tokens(cap.phrase) if t not in generic}:
                continue  # similar letters, no shared word: "gowns" is not "wagons"
            concept = parsed.items[0] if parsed.items else ""
            ev = Evidence(ranker.FUZZY, ranker.fuzzy_confidence(hit.score), hit.phrase_id, concept)
            if cap.maker not in found or ev.confidence > found[cap.maker].confidence:
                found[cap.maker] = ev
        return found
