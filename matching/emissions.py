"""What making close by saves in transport emissions: an estimate, and called one wherever it is shown.

Freight emissions follow the UK Government's method for company reporting (Defra/DECC "Greenhouse gas conversion
factors for company reporting", freight annex): the weight of the goods in tonnes × the distance carried by a mode
in km × that mode's factor in kg CO2e per tonne-km. The default factors are Defra's direct emission factors for
freight as the Mode Shift Centre (Freight Transport Association) lists them:
http://www.modeshiftcentre.org.uk/water_freight/why_use_water_freight/environment/
— vans 0.5907, HGVs 0.12631, deep-sea container ships (3,000 TEU upwards) 0.01536 kg CO2e per tonne-km.

The local trip is the maker's van over the road distance to the buyer: the straight-line distance × 1.2, the
circuity of the US road network (Ballou, Rahardja and Sakai, "Selected country circuity factors for road and
rail networks", Journal of Business Logistics, 2002: 1.20 for the United States). The typical import route is a
container ship from Shanghai to Los Angeles/Long Beach (about 10,500 km) and a truck from there to the buyer's
region (about 3,800 km to Detroit). All of these are settings (README: Configuration), so a programme can use its
own route or newer factors. No weight known, no estimate: nothing here ever guesses one.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources

MILES_TO_KM = 1.609344
ROAD_CIRCUITY = 1.2
LB_KG = 0.45359237
# Units that are themselves a weight or a volume of something close to water, in kg each.
_UNIT_KG = {"lb": LB_KG, "kg": 1.0, "ton": 907.18474, "gallon": 3.785, "liter": 1.0, "oz": 0.0283495}
# Units that say how the item travels better than the item's own figure: a keg is a half barrel full of beer.
_PACKAGE_KG = {"keg": 73.0}
# Units that count the item itself, so its typical weight applies to each. Any other unit (a box, a case, a roll,
# a yard) holds an unknown number of items: no estimate.
_ONE_ITEM = frozenset({"piece", "pair", "set", "bottle", "loaf", "can", "jar", "bar"})


@dataclass(frozen=True)
class Factors:
    """kg CO2e per tonne-km, by mode."""

    van: float = 0.5907
    truck: float = 0.12631
    ship: float = 0.01536


@dataclass(frozen=True)
class ImportRoute:
    """The way the same goods would come from elsewhere: by sea, then by road."""

    sea_km: float = 10_500.0
    road_km: float = 3_800.0


@dataclass(frozen=True)
class Estimate:
    """Transport emissions of one order, in kg CO2e: from the local maker, and on the import route."""

    weight_kg: float
    local_kg: float
    imported_kg: float

    @property
    def avoided_kg(self) -> float:
        return max(0.0, self.imported_kg - self.local_kg)

    def as_dict(self) -> dict[str, float | bool]:
        return {
            "estimate": True,
            "weight_kg": round(self.weight_kg, 1),
            "local_kg_co2e": round(self.local_kg, 2),
            "import_kg_co2e": round(self.imported_kg, 2),
            "avoided_kg_co2e": round(self.avoided_kg, 2),
        }


def freight_kg(weight_kg: float, km: float, factor: float) -> float:
    """kg CO2e of carrying `weight_kg` over `km` by a mode with `factor` kg CO2e per tonne-km."""
    return weight_kg / 1000.0 * km * factor


DEFAULT_ROUTE = ImportRoute()
DEFAULT_FACTORS = Factors()


def estimate(
    weight_kg: float, distance_miles: float, route: ImportRoute = DEFAULT_ROUTE, factors: Factors = DEFAULT_FACTORS
) -> Estimate:
    """The transport emissions of `weight_kg` from a maker `distance_miles` away (as the crow flies), and by the
    import route."""
    local_km = distance_miles * MILES_TO_KM * ROAD_CIRCUITY
    return Estimate(
        weight_kg=weight_kg,
        local_kg=freight_kg(weight_kg, local_km, factors.van),
        imported_kg=freight_kg(weight_kg, route.sea_km, factors.ship)
        + freight_kg(weight_kg, route.road_km, factors.truck),
    )


@cache
def unit_weights() -> dict[str, float]:
    """Typical kg per unit by taxonomy concept id (matching/data/unit_weights.toml)."""
    raw = resources.files("matching.data").joinpath("unit_weights.toml").read_text(encoding="utf-8")
    return {concept: float(kg) for concept, kg in tomllib.loads(raw)["kg"].items()}


def _no_ancestors(_concept: str) -> list[str]:
    return []


def order_weight_kg(
    quantity: int | None,
    unit: str | None,
    items: Iterable[str],
    ancestors: Callable[[str], list[str]] = _no_ancestors,
) -> float | None:
    """The weight of an order: from its unit when that is a weight ("200 lbs"), else the quantity times the
    typical weight of the first item that has one (or of its nearest broader item). None when unknown."""
    if not quantity:
        return None
    if unit in _UNIT_KG:
        return quantity * _UNIT_KG[unit]
    if unit in _PACKAGE_KG:
        return quantity * _PACKAGE_KG[unit]
    if unit is not None and unit not in _ONE_ITEM:
        return None  # "10 boxes of gloves": how many gloves to a box, the text does not say
    weights = unit_weights()
    for concept in items:
        for candidate in [concept, *ancestors(concept)]:
            if candidate in weights:
                return quantity * weights[candidate]
    return None
