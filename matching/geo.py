"""US ZIP codes → centroid and time zone, offline, and distances between places.

ZIP centroids come from GeoNames (CC BY 4.0, https://www.geonames.org/) by way of the `zipcodes` package, kept in
data/zip_places.csv (rebuilt by data/build_zip_places.py): no network at run time, and a few hundredths of a second
and about 15 MB to read, where `zipcodes` itself takes a second or more and keeps 100 MB in every process.
"""

from __future__ import annotations

import csv
import functools
import math
import re
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy is imported lazily at run time
    import numpy as np
    from numpy.typing import NDArray

_ZIP = re.compile(r"^\s*(\d{5})(?:-\d{4})?\s*$")
_EARTH_RADIUS_MILES = 3958.7613
KM_PER_MILE = 1.609344


@dataclass(frozen=True)
class Place:
    zip: str
    lat: float
    lon: float
    city: str
    state: str
    timezone: str | None


@functools.cache
def _table() -> tuple[dict[str, Place], frozenset[str]]:
    """Every ZIP code with coordinates, and those of them that are standard (street delivery) ZIP codes."""
    table: dict[str, Place] = {}
    standard: set[str] = set()
    text = (resources.files("matching.data") / "zip_places.csv").read_text(encoding="utf-8")
    rows = csv.reader(line for line in text.splitlines() if not line.startswith("#"))
    next(rows)  # the header
    for code, lat, lon, city, state, timezone, is_standard in rows:
        table[code] = Place(code, float(lat), float(lon), city, state, timezone or None)
        if is_standard:
            standard.add(code)
    return table, frozenset(standard)


def _places() -> dict[str, Place]:
    return _table()[0]


def normalize_zip(text: str | None) -> str | None:
    """"48201-2153" → "48201"; anything that is not a 5-digit ZIP (optionally ZIP+4) → None."""
    if text is None:
        return None
    found = _ZIP.match(str(text))
    return found.group(1) if found else None


def lookup_zip(text: str | None) -> Place | None:
    """The centroid of a known US ZIP code, or None."""
    code = normalize_zip(text)
    return _places().get(code) if code else None


def is_known_zip(code: str) -> bool:
    return code in _places()


def distance_miles(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * _EARTH_RADIUS_MILES * math.asin(min(1.0, math.sqrt(a)))


_STATES = {
    "AL": "alabama", "AK": "alaska", "AZ": "arizona", "AR": "arkansas", "CA": "california", "CO": "colorado",
    "CT": "connecticut", "DE": "delaware", "DC": "district of columbia", "FL": "florida", "GA": "georgia",
    "HI": "hawaii", "ID": "idaho", "IL": "illinois", "IN": "indiana", "IA": "iowa", "KS": "kansas", "KY": "kentucky",
    "LA": "louisiana", "ME": "maine", "MD": "maryland", "MA": "massachusetts", "MI": "michigan", "MN": "minnesota",
    "MS": "mississippi", "MO": "missouri", "MT": "montana", "NE": "nebraska", "NV": "nevada", "NH": "new hampshire",
    "NJ": "new jersey", "NM": "new mexico", "NY": "new york", "NC": "north carolina", "ND": "north dakota",
    "OH": "ohio", "OK": "oklahoma", "OR": "oregon", "PA": "pennsylvania", "RI": "rhode island",
    "SC": "south carolina", "SD": "south dakota", "TN": "tennessee", "TX": "texas", "UT": "utah", "VT": "vermont",
    "VA": "virginia", "WA": "washington", "WV": "west virginia", "WI": "wisconsin", "WY": "wyoming",
    "PR": "puerto rico",
}  # fmt: skip
STATE_OF = {**{code.lower(): code for code in _STATES}, **{name: code for code, name in _STATES.items()}}


@functools.cache
def _cities() -> dict[str, dict[str, list[Place]]]:
    table: dict[str, dict[str, list[Place]]] = {}
    places, standard = _table()
    for code, place in places.items():
        if code in standard and place.city:
            table.setdefault(place.city.casefold(), {}).setdefault(place.state, []).append(place)
    return table


def state_code(text: str) -> str | None:
    """"MI", "mi" or "Michigan" → "MI"."""
    return STATE_OF.get(text.strip().casefold().rstrip("."))


def city_zip_count(name: str) -> int:
    """How many ZIP codes the largest US town of this name has (0 if there is none)."""
    by_state = _cities().get(name.strip().casefold())
    return max((len(zips) for zips in by_state.values()), default=0) if by_state else 0


def lookup_city(name: str, state: str | None = None) -> Place | None:
    """A US city by name → a Place at the middle of its ZIP codes (its ZIP is the one nearest that middle).

    Without a state the city with that name and the most ZIP codes wins ("Detroit" → Detroit, MI).
    """
    by_state = _cities().get(name.strip().casefold())
    if not by_state:
        return None
    if state:
        zips = by_state.get(state)
        if not zips:
            return None
    else:
        zips = max(by_state.values(), key=len)
    lat = sum(p.lat for p in zips) / len(zips)
    lon = sum(p.lon for p in zips) / len(zips)
    middle = min(zips, key=lambda p: distance_miles(lat, lon, p.lat, p.lon))
    return Place(middle.zip, middle.lat, middle.lon, middle.city, middle.state, middle.timezone)


def distances_miles(
    lat: float, lon: float, lats_rad: NDArray[np.float64], lons_rad: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Haversine from one place to many (numpy arrays in radians); NaN where a position is unknown."""
    import numpy as np

    phi1 = math.radians(lat)
    dphi = lats_rad - phi1
    dlmb = lons_rad - math.radians(lon)
    a: NDArray[np.float64] = np.sin(dphi / 2) ** 2 + math.cos(phi1) * np.cos(lats_rad) * np.sin(dlmb / 2) ** 2
    return 2 * _EARTH_RADIUS_MILES * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


@functools.cache
def _zip_arrays() -> tuple[list[Place], NDArray[np.float64], NDArray[np.float64]]:
    import numpy as np

    places = [p for p in _places().values() if (p.lat, p.lon) != (0.0, 0.0)]  # military APO/FPO placeholders
    lats = np.radians(np.array([p.lat for p in places]))
    lons = np.radians(np.array([p.lon for p in places]))
    return places, lats, lons


def nearest_zip(lat: float, lon: float, max_miles: float = 50.0) -> Place | None:
    """The ZIP whose centroid is nearest to a point (a shared location), or None if none is within reach."""
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    places, lats, lons = _zip_arrays()
    distances = distances_miles(lat, lon, lats, lons)
    best = int(distances.argmin())
    return places[best] if distances[best] <= max_miles else None
