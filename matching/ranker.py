"""Scores 0–100 for a maker against a request, and the one line that says why.

Capability confidence dominates: a maker who lists the item beats one whose machines could make it,
wherever they are within the radius. Distance, capacity and responsiveness order makers of equal fit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from matching.directory import MakerProfile
from matching.text import tokens

# How sure we are that a maker can make what was asked, by the kind of evidence.
LISTED = "listed"  # the maker's own words name the item, in the buyer's words
ALIAS = "alias"  # the maker names the same item differently ("visors" for face shields)
KIND = "kind"  # the maker names a kind of the item (cloth masks for "masks")
PROCESS = "process"  # the maker has a process that makes the item (laser cutting → face shields)
WHOLE = "whole"  # the maker makes the whole thing the buyer wants a part of
BROADER = "broader"  # the maker names something broader ("masks" for cloth masks)
FUZZY = "fuzzy"  # similar wording the taxonomy does not know

CONFIDENCE = {LISTED: 1.0, ALIAS: 0.92, KIND: 0.88, PROCESS: 0.7, WHOLE: 0.65, BROADER: 0.58}
PROCESS_FOR_KIND = 0.64  # a process that makes a kind of the item (sewing → cloth masks, for "masks")
CORRECTED_PENALTY = 0.04  # the maker's phrase only matched after forgiving a typo
FUZZY_MIN_SCORE = 86.0  # WRatio below this is not evidence of anything
FUZZY_RANGE = (0.42, 0.58)
EXTRA_ITEM_BONUS = 0.04  # per further requested item the same maker covers
MIN_CONFIDENCE = 0.42

WEIGHTS = {"capability": 0.70, "distance": 0.15, "capacity": 0.10, "responsiveness": 0.05}
UNKNOWN_DISTANCE = 0.5
UNKNOWN_CAPACITY = 0.8
UNKNOWN_RESPONSIVENESS = 0.5


@dataclass(frozen=True)
class Evidence:
    """Why one maker might serve one requested concept."""

    fit: str
    confidence: float
    capability: int  # position of the maker's capability phrase in the directory
    concept: str  # the requested concept this answers
    made: str | None = None  # for PROCESS: the item (or kind of it) the process makes


def fuzzy_confidence(score: float) -> float:
    low, high = FUZZY_RANGE
    share = (min(score, 100.0) - FUZZY_MIN_SCORE) / (100.0 - FUZZY_MIN_SCORE)
    return round(low + (high - low) * max(0.0, share), 3)


@dataclass(frozen=True)
class CapacityFit:
    value: float
    notes: tuple[str, ...] = ()


def capacity_fit(maker: MakerProfile, quantity: int | None, deadline: date | None, today: date) -> CapacityFit:
    """How well the order fits what the maker takes on: size and time."""
    value = UNKNOWN_CAPACITY
    notes: list[str] = []
    if quantity:
        if maker.min_order and quantity < maker.min_order:
            value = 0.3
            notes.append(f"minimum order {maker.min_order:,}")
        elif maker.max_order and quantity > maker.max_order:
            value = 0.55  # they can still take part of it; a request may be split
            notes.append(f"up to {maker.max_order:,} of {quantity:,}")
        elif maker.max_order:
            value = 1.0
            notes.append(f"takes orders up to {maker.max_order:,}")
    if deadline and maker.lead_time_days is not None:
        days_left = (deadline - today).days
        if maker.lead_time_days > max(days_left, 0):
            value *= 0.6
            notes.append(f"needs {maker.lead_time_days} days, deadline in {max(days_left, 0)}")
    return CapacityFit(round(value, 3), tuple(notes))


def distance_score(distance: float | None, radius: float | None) -> float:
    if distance is None or not radius:
        return UNKNOWN_DISTANCE
    return max(0.0, 1.0 - distance / radius)


def total_score(confidence: float, distance: float, capacity: float, responsiveness: float | None) -> float:
    resp = UNKNOWN_RESPONSIVENESS if responsiveness is None else max(0.0, min(1.0, responsiveness))
    value = (
        WEIGHTS["capability"] * confidence
        + WEIGHTS["distance"] * distance
        + WEIGHTS["capacity"] * capacity
        + WEIGHTS["responsiveness"] * resp
    )
    return round(100.0 * value, 1)


def explain(evidence: Evidence, phrase: str, labels, distance: float | None, notes: tuple[str, ...]) -> str:
    """One line a buyer or an organiser can read: what matched, how far, and any capacity caveat."""
    wanted = labels(evidence.concept)
    if evidence.fit == LISTED:
        head = f"lists “{phrase}”"
    elif evidence.fit == ALIAS:
        same = set(tokens(wanted)) <= set(tokens(phrase))
        head = f"lists “{phrase}”" if same else f"lists “{phrase}” ({wanted})"
    elif evidence.fit == KIND:
        head = f"lists “{phrase}”, a kind of {wanted}"
    elif evidence.fit == PROCESS:
        head = f"“{phrase}” can make {labels(evidence.made or evidence.concept)}"
    elif evidence.fit == WHOLE:
        head = f"lists “{phrase}”; may supply {wanted}"
    elif evidence.fit == BROADER:
        head = f"lists “{phrase}”, broader than {wanted}"
    else:
        head = f"similar wording: “{phrase}”"
    parts = [head]
    if distance is not None:
        parts.append(f"{distance:.1f} mi")
    parts.extend(notes)
    return " · ".join(parts)
