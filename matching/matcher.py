"""Request in, ranked makers out: `Matcher(directory).match("need 500 face shields near 48201")`.

Candidates come from the taxonomy first (makers whose phrases name the item, a kind of it, or a process
that makes it), then from a loose fuzzy layer over the phrases the taxonomy could not place. Nothing
that fits poorly is returned: an empty answer is a correct answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np

from matching import emissions, geo, ranker, service_requests
from matching.directory import TRAINING, Directory
from matching.emissions import Estimate
from matching.parse import TOOL_ACCESS, ParsedRequest, parse
from matching.practices import label as practice_label
from matching.preferences import GREEN
from matching.ranker import Evidence
from matching.taxonomy import BENEFICIARY_FOR, NOT_DONE_HERE, WITH_WORDS, Tag, Taxonomy
from matching.text import tokens

DEFAULT_RADIUS_MILES = 50.0
DEFAULT_LIMIT = 5
_FUZZY_POOL = 50  # phrases the fuzzy layer looks at per request
_BROAD_TRADE = 10  # a trade that makes this many kinds of things or more makes most things of its material
# Words that ask for a business of a trade rather than a thing: "sign shop", "electronics manufacturer".
_TRADE_NOUNS = frozenset(
    tokens(
        "shop shops company companies manufacturer manufacturers manufacturing maker makers printer printers studio "
        "works supplier suppliers fabricator fabricators business businesses firm vendor vendors factory house "
        "woodwork taller tienda empresa fabricante fabrica imprenta مصنع ورشة شركة"
    )
)
# Words for the person or the place of a trade ("woodworker", "bakery", "machinist", "jeweler", "tailor"): asked
# for, they too ask for a business; the technique's own words ("powder coating", "laser engraving") do not.
_AGENT_ENDINGS = ("er", "ers", "ery", "eries", "ist", "ists", "ier", "iers", "smith", "smiths", "wright", "wrights")
_AGENT_WORDS = frozenset(tokens("tailor tailors seamstress seamstresses woodshop woodshops"))
_NEXT_JOB = frozenset({"then", "and", "plus", "also", "luego", "despues", "y", "ثم", "و"})
_ASSEMBLY = "assembly"
_NEW = "new"
_THEN = frozenset({"then", "luego", "despues", "ثم"})
_DETERMINERS = frozenset(tokens("a an the our my your their his her its nuestro nuestra nuestros mi mis su sus"))
_ADD_ON = frozenset({"with", "including", "incl", "plus", "and", "con", "y", "مع"})  # "cabinets with installation"


@dataclass(frozen=True)
class Match:
    maker_id: int | str
    name: str
    score: float
    distance_miles: float | None
    matched: str  # the maker's own words that matched
    why: str
    fit: str  # ranker.LISTED, ALIAS, KIND, PROCESS, PRODUCT, WHOLE, SIBLING, BROADER or FUZZY
    concept: str  # the requested concept this maker answers
    kind: str = "business"  # who the maker is: business, makerspace, school, cooperative, individual
    badges: tuple[str, ...] = ()
    practices: tuple[str, ...] = ()  # in the maker's words
    preferred: tuple[str, ...] = ()  # the buyer's preferences this maker fits
    emissions: Estimate | None = None  # transport, local against imported; None with no weight known

    def as_dict(self) -> dict[str, Any]:
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
    hidden: int = 0  # makers who could do it but lack what the buyer asked for with "only"

    def as_dict(self) -> dict[str, Any]:
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


_MAKING_FITS = frozenset({ranker.PROCESS, ranker.PRODUCT})  # evidence that a maker could make a thing, not list it


@dataclass
class _Candidates:
    """Evidence as parallel arrays: one entry per (capability phrase, kind of evidence)."""

    caps: list[np.ndarray] = field(default_factory=list)
    confidence: list[np.ndarray] = field(default_factory=list)
    group: list[np.ndarray] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)  # what each group of entries means
    concept_of_group: list[int] = field(default_factory=list)  # requested-concept index; -1 for fuzzy
    wanted: int = 0  # how many concepts the request names
    how: list[str] = field(default_factory=list)  # processes the buyer asked the items be made by
    asked_how: list[str] = field(default_factory=list)  # every process the buyer named that is no service
    how_in_name: list[str] = field(default_factory=list)  # the process the item's name holds ("laser cut acrylic")
    tools: int = 0  # "a laser cutter for an afternoon": the first `tools` concepts are the tools asked for
    add_ons: set[int] = field(default_factory=set)  # things that only come with another ("gin w/ custom labels")

    def scale_concept(self, concept_index: int, factor: float, fits: frozenset[str] | None = None) -> None:
        """Weaken the evidence for one requested concept (an item a requested service is done on), or only the
        evidence of some fits."""
        for position, index in enumerate(self.concept_of_group):
            if index == concept_index and position < len(self.confidence):
                if fits is None or self.evidence[position].fit in fits:
                    self.confidence[position] = self.confidence[position] * factor

    def add(
        self,
        caps: np.ndarray,
        confidence: float | np.ndarray,
        fit: str,
        concept: str,
        concept_index: int,
        made: str | None = None,
    ) -> None:
        if len(caps) == 0:
            return
        number = len(self.evidence)
        self.caps.append(caps)
        values = np.broadcast_to(np.asarray(confidence, dtype=np.float64), caps.shape)
        self.confidence.append(np.array(values, dtype=np.float64))
        self.group.append(np.full(len(caps), number, dtype=np.int32))
        self.evidence.append(Evidence(fit, concept, made))
        self.concept_of_group.append(concept_index)


def _makes_any(taxonomy: Taxonomy, process: str, makers_of: set[str]) -> bool:
    return any(p in makers_of for p in [process, *taxonomy.descendants(process)])


def _today(now: datetime | date | None) -> date:
    if now is None:
        return date.today()
    return now.date() if isinstance(now, datetime) else now


class Matcher:
    def __init__(
        self,
        directory: Directory,
        *,
        radius_miles: float = DEFAULT_RADIUS_MILES,
        limit: int = DEFAULT_LIMIT,
        import_route: emissions.ImportRoute = emissions.DEFAULT_ROUTE,
        factors: emissions.Factors = emissions.DEFAULT_FACTORS,
    ) -> None:
        self.directory = directory
        self.taxonomy = directory.taxonomy
        self._phrase_concepts: dict[str, frozenset[str]] = {}  # a class phrase → the concepts it names
        self.radius_miles = radius_miles
        self.limit = limit
        self.import_route = import_route
        self.factors = factors

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
        # A ZIP in the text that is not a real one does not push aside a good one passed in.
        text_place = geo.lookup_zip(parsed.zip) if parsed.zip_source == "zip" else None
        place = text_place or geo.lookup_zip(zip) or geo.lookup_zip(parsed.zip)
        radius = parsed.radius_miles or radius_miles or self.radius_miles
        limit = limit or self.limit
        empty = MatchResult(parsed, place, radius if place else None, ())

        toks = tokens(parsed.text)
        if (
            self._asks_for_unmade(parsed)
            or service_requests.asks_for_equipment(self.taxonomy, toks)
            or service_requests.asks_for_work_on_own_things(self.taxonomy, toks)
            or service_requests.asks_for_supplies(self.taxonomy, toks)
            or service_requests.asks_for_design_only(parsed.items, toks)
        ):
            return empty  # "sewing machine repair", "a used embroidery machine", "paint my cabinets", "ink, 5 gal"
        if parsed.items and set(parsed.items) <= _DECORATED and not _UNDECORATED.isdisjoint(toks):
            return empty  # "60 plain Yeti tumblers, no logo": the blank goods are bought, not engraved
        repairers_only = service_requests.asks_for_a_repair(self.taxonomy, toks)
        # "used kids bikes": only a maker who offers them second-hand ("refurbished bikes") sells that.
        second_hand = service_requests.asks_for_used(self.taxonomy, toks)
        found = self._candidates(parsed)
        if not found.caps:
            return empty
        directory = self.directory
        caps = np.concatenate(found.caps)
        confidence = np.concatenate(found.confidence)
        group = np.concatenate(found.group)
        if not any(self.taxonomy.is_class(c) for c in parsed.items):
            # What a maker teaches is not what they make: a welding class is no welding job.
            making = ~directory.cap_training[caps]
            caps, confidence, group = caps[making], confidence[making], group[making]
        elif subject := self._class_subject(parsed):
            # "CAD class", "pottery class": a class goes to who teaches that subject, not to anyone who teaches;
            # a yoga class goes to nobody in a directory of makers.
            # A phrase that offers a class ("pottery classes - wheel & handbuilding") is as much a class as one
            # whose making is only taught.
            about = np.asarray([self._about(subject, int(c)) for c in caps], dtype=bool)
            caps, confidence, group = caps[about], confidence[about], group[about]
        makers = directory.cap_maker[caps]
        if len(directory) < len(directory.makers):  # some makers were removed or replaced since the build
            current = directory.active[makers]
            caps, confidence, group, makers = caps[current], confidence[current], group[current], makers[current]
        if second_hand:
            resold = np.asarray(
                [service_requests.resells(directory.capabilities[int(c)].phrase) for c in caps], dtype=bool
            )
            caps, confidence, group, makers = caps[resold], confidence[resold], group[resold], makers[resold]
        if repairers_only:
            # "lamp repair": not a lamp maker's job as such, only of one who says they repair what they make.
            repairs = {int(m): service_requests.offers_repairs(directory.phrases_of(int(m))) for m in np.unique(makers)}
            fixes = np.asarray([repairs[int(m)] for m in makers], dtype=bool)
            caps, confidence, group, makers = caps[fixes], confidence[fixes], group[fixes], makers[fixes]
        if parsed.process and service_requests.brings_tooling(toks):
            # "metal stamping, 25k steel clips, we have the die": only a shop with that process can run the tooling.
            tags = self.taxonomy.tag(parsed.process)  # "stamping" names stamped parts too: then what makes them
            named = [t.id for t in tags if self.taxonomy.kind(t.id) == "process"] or sorted(
                {p for t in tags for p in self.taxonomy.processes_for(t.id)}
            )
            if named:
                able = self._makers_with([*named, *(t.id for t in tags)])[makers]
                caps, confidence, group, makers = caps[able], confidence[able], group[able], makers[able]
        refused = self._refused(toks)
        if refused:
            # "knit beanies (not embroidered)": not from a phrase that offers what the buyer said no to.
            # A phrase that also names a process the buyer asked for ("screen printing & embroidery" for "screen
            # printed, no embroidery") still serves.
            denied = np.concatenate(
                [directory.capabilities_of(c) for r in refused for c in (r, *sorted(self.taxonomy.descendants(r)))]
            )
            asked = {c for c in parsed.items if self.taxonomy.kind(c) == "process"}
            fine = ~np.isin(caps, denied)
            for i in np.flatnonzero(~fine):
                fine[i] = any(tag.id in asked for tag in directory.capabilities[int(caps[i])].tags)
            caps, confidence, group, makers = caps[fine], confidence[fine], group[fine], makers[fine]
        if TOOL_ACCESS in parsed.items:
            # Time on a laser cutter: only makers who open their shop or teach can give it.
            offers = directory.teaches[makers]
            if found.tools:  # and who have the tool: open hours at a bike co-op are no time on a laser cutter
                tool_groups = [g for g, c in enumerate(found.concept_of_group) if 0 <= c < found.tools]
                offers &= np.isin(makers, makers[np.isin(group, tool_groups)])
            caps, confidence, group, makers = caps[offers], confidence[offers], group[offers], makers[offers]
        if len(caps) == 0:
            return empty

        # Best evidence per maker: sort by maker, strongest first, keep the first of each maker.
        order = np.lexsort((-confidence, makers))
        firsts = order[np.r_[True, makers[order][1:] != makers[order][:-1]]]
        best_maker, best_conf = makers[firsts], confidence[firsts]
        best_cap, best_group = caps[firsts], group[firsts]

        # "CNC machined brackets": the buyer said how. A maker with that process fits better than one who
        # lists the item but makes it some other way.
        if found.how:
            has_how = self._makers_with(found.how)  # Swiss turning is machining
            listed = np.asarray([found.evidence[g].fit != ranker.PROCESS for g in best_group])
            made_how = np.asarray([found.evidence[g].fit == ranker.PROCESS for g in best_group]) & has_how[best_maker]
            best_conf = np.where(made_how, np.maximum(best_conf, ranker.MADE_AS_ASKED), best_conf)
            best_conf = np.where(listed & ~has_how[best_maker], best_conf * ranker.NOT_AS_ASKED, best_conf)
            best_conf = np.where(listed & has_how[best_maker], np.minimum(1.0, best_conf + 0.02), best_conf)

        if found.how_in_name:
            # "laser cut acrylic letters": a maker who names the thing by another name ("coasters") without the
            # process fits less than one who has it; one who names it in the buyer's words still fits.
            has_how = self._makers_with(found.how_in_name)
            other_name = np.asarray([found.evidence[g].fit == ranker.ALIAS for g in best_group], dtype=bool)
            best_conf = np.where(other_name & ~has_how[best_maker], best_conf * ranker.NOT_AS_ASKED, best_conf)

        if found.asked_how:
            # "bronze casting for a plaque": an engraver could make a plaque, but not the way the buyer asked.
            has_asked = self._makers_with(found.asked_how)
            by_process = np.asarray([found.evidence[g].fit == ranker.PROCESS for g in best_group], dtype=bool)
            otherwise = by_process & ~has_asked[best_maker]
            best_conf = np.where(otherwise, best_conf * ranker.MADE_OTHERWISE, best_conf)

        best_conf = self._material_fit(parsed, found, best_maker, best_group, best_conf)
        best_conf = self._trade_breadth(found, makers, group, best_maker, best_group, best_conf)

        # How many of the requested items each maker covers (fuzzy evidence does not count).
        concept_index = np.asarray(found.concept_of_group, dtype=np.int64)[group]
        counted = concept_index >= 0
        pairs = np.unique(makers[counted].astype(np.int64) * 1024 + concept_index[counted])
        covered = np.bincount((pairs // 1024).astype(np.int64), minlength=len(directory.makers))[best_maker]
        if found.wanted > 1:  # "surgical masks and gowns": a maker of both serves the whole request
            best_conf = best_conf * (1.0 - ranker.COVERAGE_WEIGHT * (1.0 - covered / found.wanted))

        keep = best_conf >= ranker.MIN_CONFIDENCE
        distances = None
        if place is not None:
            distances = geo.distances_miles(place.lat, place.lon, directory.lat[best_maker], directory.lon[best_maker])
            with np.errstate(invalid="ignore"):
                keep &= distances <= radius  # NaN (no location) is left out: we cannot tell if they are near
        if not keep.any():
            return empty
        best_maker, best_conf = best_maker[keep], best_conf[keep]
        best_cap, best_group = best_cap[keep], best_group[keep]
        if found.add_ons and all(found.concept_of_group[g] in found.add_ons | {-1} for g in best_group):
            return empty  # "bourbon with our company label": the label printer alone serves no part of the order
        if distances is not None:
            distances = distances[keep]

        days_left = (parsed.deadline - today).days if parsed.deadline else None
        capacity = ranker.capacity_values(
            directory.min_order[best_maker],
            directory.max_order[best_maker],
            directory.lead_time[best_maker],
            parsed.quantity,
            days_left,
        )
        scores = ranker.total_scores(
            best_conf,
            ranker.distance_scores(distances, radius if place else None, len(best_maker)),
            capacity,
            directory.responsiveness[best_maker],
        )
        preferred = {word: directory.fits(word)[best_maker] for word in parsed.preferences}
        if preferred:
            fitted = np.sum(list(preferred.values()), axis=0)
            scores = scores + ranker.PREFERENCE_BONUS * np.minimum(fitted, ranker.MAX_PREFERENCES)
        hidden = 0
        if parsed.only:
            kept = np.logical_and.reduce([preferred[word] for word in parsed.only])
            hidden = int((~kept).sum())
            best_maker, best_conf, best_cap, best_group, scores = (
                best_maker[kept], best_conf[kept], best_cap[kept], best_group[kept], scores[kept]
            )
            preferred = {word: fits[kept] for word, fits in preferred.items()}
            if distances is not None:
                distances = distances[kept]
            if not kept.any():
                return MatchResult(parsed, place, radius if place else None, (), hidden)
        tiebreak_distance = distances if distances is not None else np.zeros(len(best_maker))
        top = np.lexsort((best_maker, tiebreak_distance, -scores))[:limit]

        weight = emissions.order_weight_kg(parsed.quantity, parsed.unit, parsed.items, self.taxonomy.ancestors)
        matches = []
        for i in top:
            position = int(best_maker[i])
            maker = directory.makers[position]
            evidence = found.evidence[int(best_group[i])]
            phrase = directory.capabilities[int(best_cap[i])].phrase
            distance = None if distances is None else float(distances[i])
            fits = tuple(word for word, values in preferred.items() if values[i])
            notes = ranker.capacity_notes(maker, parsed.quantity, days_left) + self._preference_notes(position, fits)
            if TOOL_ACCESS in parsed.items and position in directory.teaching:
                notes = (f"offers “{directory.teaching[position]}”", *notes)
            why = ranker.explain(evidence, phrase, self.taxonomy.label, distance, notes)
            matches.append(
                Match(
                    maker.id,
                    maker.name,
                    float(scores[i]),
                    distance,
                    phrase,
                    why,
                    evidence.fit,
                    evidence.concept,
                    kind=maker.kind or "business",
                    badges=maker.badges,
                    practices=maker.practices,
                    preferred=fits,
                    emissions=None
                    if weight is None or distance is None
                    else emissions.estimate(weight, distance, self.import_route, self.factors),
                )
            )
        return MatchResult(parsed, place, radius if place else None, tuple(matches), hidden)

    def _asks_for_unmade(self, parsed: ParsedRequest) -> bool:
        """Whether the request is for something no maker makes to order: a repair, a rental, an installation.
        Not when that only comes with what is made: "kitchen cabinets with installation"."""
        if not any(self.taxonomy.is_unmade(c) for c in parsed.items):
            return False
        toks = tokens(parsed.item or parsed.text)
        process_before = made_before = False
        located = self.taxonomy.locate(toks)
        named = {tag.id for tag, _start, _end in located}
        if any(self.taxonomy.is_unmade(c) and c not in named for c in parsed.items):
            return True  # what the words around it made of a thing: a car's "ceramic coating" is car care
        for tag, start, _end in located:
            before = start - 1
            while before >= 0 and toks[before] in _DETERMINERS:  # "with our logo design"
                before -= 1
            unmade = self.taxonomy.is_unmade(tag.id)
            if unmade and made_before and not WITH_WORDS.isdisjoint(toks[max(start - 3, 0) : start]):
                continue  # "plywood crates w/ heat treated lumber": what the crates are made with
            if unmade and made_before and not BENEFICIARY_FOR.isdisjoint(toks[:start]):
                continue  # "uniformes para taller mecánico": who the uniforms are for, not a mechanic wanted
            if unmade and tag.id == _PROFESSIONS and made_before and self._names_a_thing_after(parsed, tag):
                continue  # "cutting boards, realtor closing gifts": whom the thing right after is for
            made_before = made_before or not unmade
            # "TIG welding an aluminum boat hull": what a process named first is done on, not what is asked for;
            # but "welders for rent" asks for a rental all the same.
            done_on = process_before and not self.taxonomy.is_offered_alone(tag.id)
            if unmade and not done_on and not (before >= 0 and toks[before] in _ADD_ON):
                return True
            # "assemble an IKEA wardrobe": putting together what was bought is no making of it.
            process_before = process_before or (
                not unmade and self.taxonomy.kind(tag.id) == "process" and tag.id != _ASSEMBLY
            )
        return False

    def _refused(self, toks: list[str]) -> set[str]:
        """What the buyer says no to: "(not embroidered)", "no screen printing"."""
        if NOT_DONE_HERE.isdisjoint(toks):
            return set()
        located = self.taxonomy.locate(toks)
        kept = {tag.id for tag, _start, _end in self.taxonomy.undenied(located, toks, asked=True)}
        return {tag.id for tag, _start, _end in located} - kept

    def _describing(self, parsed: ParsedRequest) -> set[str]:
        """Services named only as how the next thing is made: "embroidered polos", "laser engraved tumblers"."""
        located = self.taxonomy.locate(tokens(parsed.item or ""))
        item_starts = {start for tag, start, _end in located if self.taxonomy.kind(tag.id) != "process"}
        describing: dict[str, bool] = {}
        for tag, _start, end in located:
            if self.taxonomy.kind(tag.id) == "process":
                as_adjective = tag.surface.endswith("ed") and end in item_starts
                describing[tag.id] = describing.get(tag.id, True) and as_adjective
        return {concept for concept, yes in describing.items() if yes}

    @staticmethod
    def _names_a_thing_after(parsed: ParsedRequest, tag: Tag) -> bool:
        """Whether a word of a thing follows a profession in the buyer's words ("realtor closing gifts")."""
        full = tokens(parsed.text)
        last = tokens(tag.surface)[-1:]
        for i, tok in enumerate(full[:-1]):
            if [tok] == last:
                after = full[i + 1]
                return after.isalpha() and after not in _NOT_A_THING_AFTER
        return False

    def _makers_with(self, processes: list[str]) -> np.ndarray:
        """Which makers list one of the processes, or a kind of one, as a mask over the directory's makers."""
        directory = self.directory
        out = np.zeros(len(directory.makers), dtype=bool)
        for named in processes:
            for process in [named, *sorted(self.taxonomy.descendants(named))]:
                out[directory.cap_maker[directory.capabilities_of(process)]] = True
        return out

    def _how_in_name(self, parsed: ParsedRequest, makers_of: set[str]) -> list[str]:
        """The process that the one name of the item holds ("laser cut acrylic", "injection molded parts"): how the
        buyer asked it made, as if the process had been named apart."""
        for tag in self.taxonomy.tag(parsed.item or parsed.text):
            words = tag.surface.split()
            for end in range(len(words) - 1, 0, -1):
                named = self.taxonomy.tag(" ".join(words[:end]))
                if len(named) == 1 and self.taxonomy.kind(named[0].id) == "process":
                    if _makes_any(self.taxonomy, named[0].id, makers_of):
                        return [named[0].id]
                    break
        return []

    def _class_subject(self, parsed: ParsedRequest) -> service_requests.ClassSubject | None:
        """For a request for classes that no class concept names ("yoga class", "CAD class"), what it is about."""
        if TRAINING not in parsed.items:
            return None
        # The item's whole clause: "a course to learn G-code and run a Haas, career change" is about G-code and Haas.
        clause = parsed.item or parsed.text
        for part in re.split(r"[,.;!?\n]+", parsed.text):
            if parsed.item and parsed.item in part:
                clause = part
                break
        return service_requests.class_subject(self.taxonomy, tokens(clause))

    def _about(self, subject: service_requests.ClassSubject, cap: int) -> bool:
        """Whether a capability is about a class's subject: a class it offers ("pottery classes - wheel &
        handbuilding") teaches the subject's trade; a making that is only taught, its trade and words as well."""
        capability = self.directory.capabilities[cap]
        if self.directory.cap_training[cap]:
            return self._teaches(subject, capability.phrase)
        if any(self.taxonomy.is_class(tag.id) for tag in capability.tags):
            return self._teaches(subject, capability.phrase, by_words=False)
        return True

    def _teaches(self, subject: service_requests.ClassSubject, phrase: str, by_words: bool = True) -> bool:
        named = self._phrase_concepts.get(phrase)
        if named is None:
            if len(self._phrase_concepts) > 100_000:
                self._phrase_concepts.clear()
            named = frozenset(tag.id for tag, _start, _end in self.taxonomy.locate(tokens(phrase)))
            self._phrase_concepts[phrase] = named
        return service_requests.teaches_subject(self.taxonomy, subject, phrase, named, by_words)

    def _add_ons(self, parsed: ParsedRequest) -> set[str]:
        """What comes with the thing asked for ("gin w/ custom labels", "tables with benches"): a maker of that
        alone serves the order less than a maker of the thing."""
        toks = tokens(parsed.item or parsed.text)
        located = self.taxonomy.locate(toks)
        if not located:
            return set()
        first_end = located[0][2]
        out = set()
        for tag, start, _end in located[1:]:
            if not WITH_WORDS.isdisjoint(toks[first_end:start]) and tag.id != located[0][0].id:
                out.add(tag.id)
        return out

    def _siblings(self, concept: str) -> list[str]:
        tax = self.taxonomy
        node = tax.concept(concept)
        makers_of = tax.processes_for(concept)
        if node is None or not makers_of:
            return []
        related = {concept, *tax.ancestors(concept), *tax.descendants(concept)}
        out = set()
        for process in makers_of:
            found = tax.concept(process)
            for sibling in found.makes if found is not None else ():
                other = tax.concept(sibling)
                if (
                    other is None or sibling in related or other.kind != "item" or other.strict or other.vague
                    or other.unmade or other.material != node.material or node.material is None
                    or not tax.processes_for(sibling) <= makers_of or other.parent != node.parent
                ):
                    continue
                out.add(sibling)
        return sorted(out)

    def _asked_new(self, parsed: ParsedRequest, concept: str) -> bool:
        """Whether a thing is asked for new beside a service: "reupholster 10 booths and a new stair railing" wants
        the railing made, not upholstered."""
        toks = tokens(parsed.item or "")
        return any(
            tag.id == concept and _NEW in toks[max(start - 3, 0) : start]
            and not _NEXT_JOB.isdisjoint(toks[max(start - 4, 0) : start])
            for tag, start, _end in self.taxonomy.locate(toks)
        )

    def _serviced_then(self, parsed: ParsedRequest, services: list[str]) -> bool:
        """Whether a service is named after "then", with a thing before it: "50 brackets cut and bent, then powder
        coat black" wants the brackets made, then coated."""
        toks = tokens(parsed.item or "")
        located = self.taxonomy.locate(toks)
        first_thing = min((start for tag, start, _end in located if tag.id not in services), default=None)
        return first_thing is not None and any(
            tag.id in services and first_thing < start and not _THEN.isdisjoint(toks[max(start - 2, 0) : start])
            for tag, start, _end in located
        )

    def _named_as_a_job(self, parsed: ParsedRequest) -> list[str]:
        toks = tokens(parsed.item or "")
        return [
            tag.id
            for tag, start, _end in self.taxonomy.locate(toks)
            if self.taxonomy.kind(tag.id) == "process" and start > 0 and toks[start - 1] in _NEXT_JOB
        ]

    def _preference_notes(self, position: int, fits: tuple[str, ...]) -> tuple[str, ...]:
        """What the maker has of what the buyer prefers, in the maker's or the organisers' words."""
        notes = []
        for word in fits:
            if word == GREEN:
                practices = self.directory.green_practices[position]
                notes.append("greener: " + ", ".join(practice_label(p) for p in practices))
            elif (badge := self.directory.badge(position, word)) is not None:
                notes.append(badge)
            else:
                notes.append(word)  # a kind of maker: "makerspace", "cooperative"
        return tuple(notes)

    def _material_fit(
        self, parsed: ParsedRequest, found: _Candidates, makers: np.ndarray, groups: np.ndarray, confidence: np.ndarray
    ) -> np.ndarray:
        """Materials are constraints: "laser cut acrylic" is no job for a shop that names only steel and stone.

        The material is the one the buyer names or, failing that, the one the items are usually made of. A maker
        who names none is not judged; one who names it gains a little; one who names only others loses a process
        claim (they may have the machine, not for this material) and, when the buyer named it, some of a listed one.
        """
        tax = self.taxonomy
        said = tax.materials(parsed.text)
        wanted = said or tax.material_mask(
            tax.default_material[c] for c in parsed.items if c in tax.default_material
        )
        if not wanted:
            return confidence
        named = self.directory.materials[makers]
        same = (named & wanted) != 0
        other = (named != 0) & ~same
        fits = np.asarray([found.evidence[g].fit for g in groups])
        claimed = (fits == ranker.LISTED) | (fits == ranker.ALIAS) | (fits == ranker.FUZZY)
        penalty = np.where(claimed, ranker.OTHER_MATERIAL_LISTED if said else 1.0, ranker.OTHER_MATERIAL)
        confidence = np.where(other, confidence * penalty, confidence)
        return np.where(same, np.minimum(1.0, confidence + ranker.SAME_MATERIAL), confidence)

    # ── evidence ──

    def _candidates(self, parsed: ParsedRequest) -> _Candidates:
        tax = self.taxonomy
        items = [c for c in parsed.items if tax.kind(c) in ("item", "part")]
        processes = [c for c in parsed.items if tax.kind(c) == "process"]
        made = [c for c in items if not tax.is_unmade(c)]
        if processes or made:
            # "TIG welding an aluminum boat hull": the welding is asked for, the hull is what it is done on;
            # "uniformes para taller mecánico": the uniforms, not a mechanic (see _asks_for_unmade).
            items = made
        services = [c for c in processes if tax.is_service(c)]
        if services and items:
            # "2 conference tables and 40 embroidered polos": a service named as how a thing is made, right before
            # it, asks for the thing; "embroidery on 40 polos", "polos embroidered" ask for the service.
            describing = self._describing(parsed)
            services = [c for c in services if c not in describing]
        if len(items) > 1:
            # "reupholster 4 dining chairs": upholstery is done to the buyer's chairs, as a service is; not so
            # "upholstered dining chairs", new chairs made that way.
            done_to = {t.id for t in tax.tag(parsed.item or "") if not t.surface.endswith("ed")}
            applied = [c for c in items if c in done_to and tax.is_service(c)]
            if applied and len(applied) < len(items):
                services += applied
                items = [c for c in items if c not in applied]
        # "3D printed face shields" asks for face shields, not for printing; but "powder coating, 40 railings"
        # asks for the coating: a service is wanted for itself, and the items it names are what it is done on.
        wanted = [*services, *items] if services else items or processes
        if TOOL_ACCESS in items:
            # "a laser cutter for an afternoon": the access, and the tool it is on.
            wanted = [*processes, *(c for c in items if c != TOOL_ACCESS), TOOL_ACCESS]
            tools = len(processes)
            processes = []
        else:
            tools = 0
        found = _Candidates(wanted=len(wanted), tools=tools)
        # A process counts as how the buyer wants the items made only if it makes one of them ("cargo bike for
        # deliveries" says nothing about how the bike is made).
        makers_of = {p for item in items for kind in [item, *tax.descendants(item)] for p in tax.processes_for(kind)}
        # "100 tees printed + 50 embroidered hats": how one of several things is made says nothing of the others.
        own_how = self._describing(parsed) if len(items) > 1 else set()
        found.how = [p for p in processes if p not in services and p not in own_how and _makes_any(tax, p, makers_of)]
        if len(items) == 1 and not processes:
            found.how_in_name = self._how_in_name(parsed, makers_of)
        found.asked_how = [p for p in processes if p not in services and p not in own_how] if items else []
        add_ons = self._add_ons(parsed) if len(wanted) > 1 else set()
        for index, concept in enumerate(wanted):
            self._taxonomy_evidence(found, concept, index, parsed)
            if concept in add_ons:
                found.scale_concept(index, ranker.ADD_ON)
                if tax.kind(concept) == "item" and not tax.is_service(concept):
                    found.add_ons.add(index)  # a thing, not work done on the thing ("cutting boards with engraving")
            if services and concept not in services and not self._asked_new(parsed, concept):
                # "screen printing on 150 t-shirts": a maker of the t-shirts may print them, since printing makes
                # printed ones; "reupholster 4 dining chairs", "powder coat a bike frame": the makers of chairs or
                # frames are not who does that.
                made_so = any(
                    p in services for kind in [concept, *tax.ancestors(concept)] for p in tax.processes_for(kind)
                ) or any(concept in tax.concepts[p].makes for p in services if p in tax.concepts)
                # "a gate fabricated and powder coated", "50 brackets cut and bent, then powder coat": the thing is
                # made first, and wanted too.
                made_first = bool(found.how) or self._serviced_then(parsed, services)
                made_so = made_so or made_first
                found.scale_concept(index, ranker.SERVICED_ITEM if made_so else ranker.SERVICED_ELSEWHERE)
                if not made_first:
                    # "anodizing for aluminum parts": who could make the parts is no answer to their finishing; but
                    # "brackets, machined then powder coated" asks for the brackets too.
                    found.scale_concept(index, 0.0, fits=_MAKING_FITS)
        if items:
            # "3D printed prototype, then injection molding for 10k": a process that makes none of the items, named
            # after "then" or "and", is a job of its own ("gloves (vinyl or nitrile)" names a material, not a job).
            # "3D printing 20 brackets in PETG": a process the buyer names for items it is not known to make is
            # still how they want them made; its makers answer too.
            unknown_how = [p for p in processes if p not in services and p not in found.how]
            # "welding classes, want to get AWS certified": the welding is what is taught, no job of its own.
            taught = {node.teaches for c in items if (node := tax.concept(c)) is not None and node.teaches}
            if TRAINING in items:  # "a class to learn running a CNC mill": any process it names is what is taught
                taught.update(processes)
            for process in [*self._named_as_a_job(parsed), *unknown_how]:
                if process not in {*services, *found.how, *wanted, *taught}:
                    wanted.append(process)
                    found.wanted = len(wanted)
                    self._taxonomy_evidence(found, process, len(wanted) - 1, parsed)
        self._fuzzy_evidence(found, parsed, known_item=bool(items))
        return found

    def _taxonomy_evidence(self, found: _Candidates, concept: str, index: int, parsed: ParsedRequest) -> None:
        tax = self.taxonomy
        directory = self.directory
        request_words = " ".join(tokens(parsed.item or ""))
        node = tax.concept(concept)
        # The item itself, named in the buyer's words (listed) or in others (alias).
        for surface, caps in directory.capabilities_of_by_surface(concept).items():
            fit = ranker.LISTED if surface and surface in request_words else ranker.ALIAS
            confidence = ranker.CONFIDENCE[fit] - ranker.CORRECTED_PENALTY * directory.cap_inexact[caps]
            found.add(caps, confidence, fit, concept, index)
        # Kinds of it ("cloth masks" answer "masks").
        kinds = sorted(tax.descendants(concept))
        for kind in kinds:
            found.add(directory.capabilities_of(kind), ranker.CONFIDENCE[ranker.KIND], ranker.KIND, concept, index)
        # Something broader, unless a broad claim cannot vouch for this item (N95s are certified).
        parents = tax.ancestors(concept)[:1]
        # Nor for a service: a blanket maker's "soft furnishings" is no upholstery of the buyer's booths.
        if node is not None and not node.strict and not tax.is_service(concept):
            for parent in parents:
                parent_node = tax.concept(parent)
                if parent_node is not None and not parent_node.strict:
                    caps = directory.capabilities_of(parent)
                    found.add(caps, ranker.CONFIDENCE[ranker.BROADER], ranker.BROADER, concept, index)
        # Another thing the same trade makes, of the same material: a furniture maker could make the cabinets.
        if node is not None and node.kind == "item" and not node.strict and not node.vague:
            for sibling in self._siblings(concept):
                found.add(directory.capabilities_of(sibling), ranker.CONFIDENCE[ranker.SIBLING], ranker.SIBLING,
                          concept, index, made=sibling)
        # The whole thing, for a request for one of its parts (never the other way round).
        if node is not None and node.kind == "part" and node.part_of:
            caps = directory.capabilities_of(node.part_of)
            found.add(caps, ranker.CONFIDENCE[ranker.WHOLE], ranker.WHOLE, concept, index)
        # For a trade asked for as a business ("sign shop", "electronics manufacturer", "a commercial printer"): makers
        # who list what the trade makes. A technique alone ("glassblowing") still needs a maker who names it.
        trade = node is not None and node.kind == "process" and self._asks_for_the_trade(concept, parsed, request_words)
        if node is not None and node.kind == "process" and not trade and not tax.is_service(concept):
            # "3D printing": a maker who lists 3D printed parts, which nothing else makes (a makerspace aside), does it.
            # Not for a service: a maker of hats does not embroider them for that.
            for product in sorted(node.makes):
                # Nothing else makes it but trades that make most things of their material (woodworking, for
                # woodturning's bowls).
                if all(self._is_broad(other) for other in tax.processes_for(product) - {concept} - _GENERALISTS):
                    caps = directory.capabilities_of(product)
                    found.add(caps, ranker.SIGNATURE_PRODUCT, ranker.PRODUCT, concept, index, made=product)
        if trade and node is not None:
            for product in sorted(node.makes):
                for kind in [product, *sorted(tax.descendants(product))]:
                    makers_of_kind = tax.processes_for(kind)
                    if kind != product and makers_of_kind and not _makes_any(tax, concept, set(makers_of_kind)):
                        continue  # a welder makes metal parts, yet no Swiss-turned pins: other trades make those
                    caps = directory.capabilities_of(kind)
                    # A woodworker is likelier a maker of furniture, which two other trades make, than of signs,
                    # which six do: what many trades make says less of this one.
                    sharing = len(set(makers_of_kind) - {concept} - _GENERALISTS)
                    confidence = ranker.CONFIDENCE[ranker.PRODUCT] + (
                        ranker.TRADE_MARK if sharing <= 2 else -ranker.TRADE_MARK if sharing >= 4 else 0.0
                    )
                    found.add(caps, confidence, ranker.PRODUCT, concept, index, made=kind)
        # Processes that make it, or make a kind of it.
        for process in sorted(tax.processes_for(concept)):
            caps = directory.capabilities_of(process)
            found.add(caps, ranker.CONFIDENCE[ranker.PROCESS], ranker.PROCESS, concept, index, made=concept)
        for kind in kinds:
            kind_node = tax.concept(kind)
            if kind_node is None or kind_node.strict:
                continue
            for process in sorted(tax.processes_for(kind)):
                caps = directory.capabilities_of(process)
                found.add(caps, ranker.PROCESS_FOR_KIND, ranker.PROCESS, concept, index, made=kind)

    def _is_broad(self, process: str) -> bool:
        """A trade that makes most things of its material (woodworking, sewing)."""
        node = self.taxonomy.concept(process)
        return node is not None and len(node.makes) >= _BROAD_TRADE

    @staticmethod
    def _trade_breadth(
        found: _Candidates,
        makers: np.ndarray,
        group: np.ndarray,
        best_maker: np.ndarray,
        best_group: np.ndarray,
        best_conf: np.ndarray,
    ) -> np.ndarray:
        """For a trade asked for ("a woodworker"), a maker who lists several things it makes (tables, cabinets,
        cutting boards) is likelier of that trade than one who lists one of them among other work (a powder
        coater's "patio furniture")."""
        made_by = {g: e.made for g, e in enumerate(found.evidence) if e.fit == ranker.PRODUCT}
        if not made_by:
            return best_conf
        # Each group's product as a number (-1: no product evidence); then distinct (maker, product) pairs.
        numbers = {made: n for n, made in enumerate(dict.fromkeys(made_by.values()))}
        product_of = np.full(len(found.evidence), -1, dtype=np.int64)
        for g, made in made_by.items():
            product_of[g] = numbers[made]
        products = product_of[group]
        listed = products >= 0
        pairs = np.unique(makers[listed].astype(np.int64) * len(numbers) + products[listed])
        breadth = np.bincount(pairs // len(numbers), minlength=int(best_maker.max()) + 1)[best_maker]
        by_product = product_of[best_group] >= 0
        bonus = ranker.TRADE_BREADTH * np.clip(breadth - 1, 0, 2)
        return np.where(by_product, np.minimum(1.0, best_conf + bonus), best_conf)

    def _asks_for_the_trade(self, concept: str, parsed: ParsedRequest, request_words: str) -> bool:
        """Whether the buyer names a process as a business ("sign shop", "a woodworker", "bakery") rather than
        as a technique to be done ("glassblowing", "powder coating")."""
        if _TRADE_NOUNS & set(request_words.split()):
            return True
        technique = set(tokens(self.taxonomy.label(concept)))
        for tag in self.taxonomy.tag(parsed.item or ""):
            if tag.id == concept:
                last = tokens(tag.surface)[-1:]
                return any(_is_agent_word(word) and word not in technique for word in last)
        return False

    def _fuzzy_evidence(self, found: _Candidates, parsed: ParsedRequest, known_item: bool) -> None:
        """Similar wording among phrases the taxonomy could not place: the last resort, kept strict."""
        if not parsed.item or len(self.directory.capabilities) == 0:
            return
        generic = self.taxonomy.generic_words
        words = tokens(parsed.item)
        if known_item:
            # Only the item's own words: "private label gin" is no look-alike of a "private label" phrase.
            named = {tok for tag in self.taxonomy.tag(parsed.item) for tok in tokens(tag.surface)}
            words = [t for t in words if t in named] or words
        wanted_words = {t for t in words if len(t) >= 3 and t not in generic}
        if not wanted_words:
            return
        cutoff = ranker.FUZZY_MIN_SCORE + (4.0 if known_item else 0.0)
        concept = parsed.items[0] if parsed.items else ""
        caps, confidences = [], []
        for hit in self.directory.index.search(parsed.item, limit=_FUZZY_POOL, score_cutoff=cutoff):
            if not self.directory.names_no_item[hit.phrase_id]:
                continue  # the taxonomy knows what this phrase is, and it is not what was asked
            if known_item and self.directory.capabilities[hit.phrase_id].tags:
                continue  # "sewing" is a known process, not a look-alike of "sewing machine repair"
            phrase = self.directory.capabilities[hit.phrase_id].phrase
            if not wanted_words & {t for t in tokens(phrase) if t not in generic}:
                continue  # similar letters, no shared word: "gowns" is not "wagons"
            caps.append(hit.phrase_id)
            confidences.append(ranker.fuzzy_confidence(hit.score))
        found.add(np.asarray(caps, dtype=np.int32), np.asarray(confidences), ranker.FUZZY, concept, -1)


_NOT_A_THING_AFTER = frozenset(tokens("for to and or with who that near in at from on"))
_PROFESSIONS = "personal_service"  # the taxonomy's concept for trades that serve people (accountants, photographers)
_DECORATED = frozenset({"engraved_goods"})  # goods that are what they are by their decoration
_UNDECORATED = frozenset(tokens("plain blank unbranded undecorated unengraved liso lisos"))
_GENERALISTS = frozenset({"makerspace"})  # trades that make a little of everything


def _is_agent_word(word: str) -> bool:
    return word in _AGENT_WORDS or (len(word) >= 5 and word.endswith(_AGENT_ENDINGS))
