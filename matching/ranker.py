"""Scores 0–100 for a maker against a request, and the one line that says why.

Capability confidence dominates: a maker who lists the item beats one whose machines could make it,
wherever they are within the radius. Distance, capacity and responsiveness order makers of equal fit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from matching.directory import MakerProfile
from matching.text import tokens

# How sure we are that a maker can make what was asked, by the kind of evidence.
LISTED = "listed"  # the maker's own words name the item, in the buyer's words
ALIAS = "alias"  # the maker names the same item differently ("visors" for face shields)
KIND = "kind"  # the maker names a kind of the item (cloth masks for "masks")
PROCESS = "process"  # the maker has a process that makes the item (laser cutting → face shields)
PRODUCT = "product"  # for a trade the buyer names, the maker lists what it makes ("signs" for a sign shop)
WHOLE = "whole"  # the maker makes the whole thing the buyer wants a part of
BROADER = "broader"  # the maker names something broader ("masks" for cloth masks)
SIBLING = "sibling"  # the maker lists another thing its trade makes, of the same material (furniture, for cabinets)
FUZZY = "fuzzy"  # similar wording the taxonomy does not know

CONFIDENCE = {
    LISTED: 1.0, ALIAS: 0.92, KIND: 0.88, PROCESS: 0.7, PRODUCT: 0.68, WHOLE: 0.65, SIBLING: 0.6, BROADER: 0.58
}
TRADE_MARK = 0.04  # for a trade asked for, how much a product few other trades make adds (and one many make takes)
TRADE_BREADTH = 0.02  # ... and each other thing of that trade the maker lists, up to two
SIGNATURE_PRODUCT = 0.86  # for a process asked for, a maker listing what only that process makes ("3D printed parts")
PROCESS_FOR_KIND = 0.64  # a process that makes a kind of the item (sewing → cloth masks, for "masks")
CORRECTED_PENALTY = 0.04  # the maker's phrase only matched after forgiving a typo
FUZZY_MIN_SCORE = 86.0  # WRatio below this is not evidence of anything
FUZZY_RANGE = (0.42, 0.58)
COVERAGE_WEIGHT = 0.1  # share of the capability score that depends on covering every requested item
MIN_CONFIDENCE = 0.42
SERVICED_ITEM = 0.8  # an item named as what a requested service is done on ("powder coat 40 railings")
SERVICED_ELSEWHERE = 0.4  # ... which that service does not make: its makers alone fall below MIN_CONFIDENCE
MADE_AS_ASKED = 0.8  # a maker whose process makes the item, by the process the buyer named
NOT_AS_ASKED = 0.75  # a maker who lists the item but not the process the buyer named
ADD_ON = 0.85  # an item that comes with the one asked for ("gin w/ custom labels"): the labels' makers rank lower
MADE_OTHERWISE = 0.58  # a maker whose other process could make the item: below MIN_CONFIDENCE
SAME_MATERIAL = 0.03  # the maker names the material asked for (or the item's usual one)
OTHER_MATERIAL = 0.55  # a process claim from a maker who names only other materials: below MIN_CONFIDENCE
OTHER_MATERIAL_LISTED = 0.85  # the maker lists the item but names only materials other than the one asked for

# A maker who fits what the buyer prefers ("eco-friendly", "from a makerspace", "Made in Detroit") gains a few
# points per preference: enough to lead makers of equal fit, not enough to lift a process claim over a maker who
# lists the item.
PREFERENCE_BONUS = 4.0
MAX_PREFERENCES = 2

WEIGHTS = {"capability": 0.70, "distance": 0.15, "capacity": 0.10, "responsiveness": 0.05}
UNKNOWN_DISTANCE = 0.5
UNKNOWN_CAPACITY = 0.8
UNKNOWN_RESPONSIVENESS = 0.5


@dataclass(frozen=True)
class Evidence:
    """Why one maker might serve one requested concept."""

    fit: str
    concept: str  # the requested concept this answers
    made: str | None = None  # for PROCESS: the item (or kind of it) the process makes


def fuzzy_confidence(score: float) -> float:
    low, high = FUZZY_RANGE
    share = (min(score, 100.0) - FUZZY_MIN_SCORE) / (100.0 - FUZZY_MIN_SCORE)
    return round(low + (high - low) * max(0.0, share), 3)


# How the order fits what the maker takes on.
BELOW_MINIMUM = 0.3  # they may not take an order this small
OVER_MAXIMUM = 0.55  # they can still take part of it; a request may be split
FITS = 1.0
TOO_SLOW = 0.6  # factor when their lead time overruns the deadline


def capacity_values(
    min_order: np.ndarray, max_order: np.ndarray, lead_time: np.ndarray, quantity: int | None, days_left: int | None
) -> np.ndarray:
    """Capacity fit 0..1 for many makers at once (NaN = the maker did not say)."""
    value = np.full(len(min_order), UNKNOWN_CAPACITY)
    with np.errstate(invalid="ignore"):
        if quantity:
            below = min_order > quantity
            over = ~below & (max_order < quantity)
            fits = ~below & ~over & ~np.isnan(max_order)
            value[below] = BELOW_MINIMUM
            value[over] = OVER_MAXIMUM
            value[fits] = FITS
        if days_left is not None:
            value[lead_time > max(days_left, 0)] *= TOO_SLOW
    return value


def capacity_notes(maker: MakerProfile, quantity: int | None, days_left: int | None) -> tuple[str, ...]:
    """The same judgement as `capacity_values`, in words, for one maker."""
    notes: list[str] = []
    if quantity:
        if maker.min_order and quantity < maker.min_order:
            notes.append(f"minimum order {maker.min_order:,}")
        elif maker.max_order and quantity > maker.max_order:
            notes.append(f"up to {maker.max_order:,} of {quantity:,}")
        elif maker.max_order:
            notes.append(f"takes orders up to {maker.max_order:,}")
    if days_left is not None and maker.lead_time_days is not None and maker.lead_time_days > max(days_left, 0):
        notes.append(f"needs {maker.lead_time_days} days, deadline in {max(days_left, 0)}")
    return tuple(notes)


def distance_scores(distances: np.ndarray | None, radius: float | None, count: int) -> np.ndarray:
    if distances is None or not radius:
        return np.full(count, UNKNOWN_DISTANCE)
    return np.clip(1.0 - distances / radius, 0.0, 1.0)


def total_scores(
    confidence: np.ndarray, distance: np.ndarray, capacity: np.ndarray, responsiveness: np.ndarray
) -> np.ndarray:
    resp = np.where(np.isnan(responsiveness), UNKNOWN_RESPONSIVENESS, np.clip(responsiveness, 0.0, 1.0))
    value = (
        WEIGHTS["capability"] * confidence
        + WEIGHTS["distance"] * distance
        + WEIGHTS["capacity"] * capacity
        + WEIGHTS["responsiveness"] * resp
    )
    return np.round(100.0 * value, 1)


def explain(
    evidence: Evidence, phrase: str, labels: Callable[[str], str], distance: float | None, notes: tuple[str, ...]
) -> str:
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
    elif evidence.fit == PRODUCT:
        head = f"lists “{phrase}”, which {wanted} makes"
    elif evidence.fit == WHOLE:
        head = f"lists “{phrase}”; may supply {wanted}"
    elif evidence.fit == BROADER:
        head = f"lists “{phrase}”, broader than {wanted}"
    elif evidence.fit == SIBLING:
        head = f"lists “{phrase}”; that trade makes {wanted} too"
    else:
        head = f"similar wording: “{phrase}”"
    parts = [head]
    if distance is not None:
        parts.append(f"{distance:.1f} mi")
    parts.extend(notes)
    return " · ".join(parts)
