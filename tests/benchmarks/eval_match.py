"""Match quality on real request phrases against the demo directory: nDCG@5, P@1, false-match rate.

    python tests/benchmarks/eval_match.py            # summary
    python tests/benchmarks/eval_match.py --verbose  # every request that missed
    python tests/benchmarks/eval_match.py --json     # machine-readable

The labels are human judgements kept in two files beside this script, independent of the engine:
`maker_labels.csv` says, per demo maker, which needs it MAKES (grade 2: it lists that product) and which it
COULD MAKE (grade 1: it has a process for it); `requests.csv` holds real request phrases from findthemasks
(March 2020, MIT) and GetUsPPE (MIT) with a real facility ZIP and the needs each phrase expresses.
A maker is relevant to a request when it makes or could make one of its needs and lies within the radius
of the request's ZIP. A request with no relevant maker is "unservable": any answer to it is a false match.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
import tempfile
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path

from bot.db import Database
from bot.services import makers as maker_service
from matching import geo
from matching.matcher import Matcher

HERE = Path(__file__).parent / "eval"
TODAY = date(2026, 11, 27)
RADIUS = 50.0
K = 5


@dataclass
class Outcome:
    id: str
    text: str
    zip: str
    relevant: dict[str, int]
    returned: list[str]

    @property
    def servable(self) -> bool:
        return bool(self.relevant)

    def ndcg(self) -> float:
        gains = [2 ** self.relevant.get(name, 0) - 1 for name in self.returned[:K]]
        dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains))
        ideal = sorted((2**g - 1 for g in self.relevant.values()), reverse=True)[:K]
        idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
        return dcg / idcg if idcg else 0.0

    def hit_at_1(self) -> bool:
        return bool(self.returned) and self.relevant.get(self.returned[0], 0) >= 1


def _labels() -> dict[str, tuple[str, set[str], set[str]]]:
    out = {}
    with open(HERE / "maker_labels.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            out[row["name"]] = (row["zip"], set(row["makes"].split()), set(row["could_make"].split()))
    return out


def _relevant(wants: set[str], zip_code: str, labels) -> dict[str, int]:
    place = geo.lookup_zip(zip_code)
    out: dict[str, int] = {}
    for name, (maker_zip, makes, could) in labels.items():
        grade = 2 if wants & makes else 1 if wants & could else 0
        if not grade:
            continue
        where = geo.lookup_zip(maker_zip)
        if place and where and geo.distance_miles(place.lat, place.lon, where.lat, where.lon) > RADIUS:
            continue
        out[name] = grade
    return out


def evaluate() -> list[Outcome]:
    labels = _labels()
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{tmp}/eval.db")
        db.upgrade()
        demo = (resources.files("bot.data") / "demo_makers.csv").read_bytes()
        maker_service.import_makers(db, demo, "demo")
        matcher = Matcher(maker_service.active_directory(db), radius_miles=RADIUS, limit=K)
        outcomes = []
        with open(HERE / "requests.csv", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                result = matcher.match(row["text"], zip=row["zip"], now=TODAY)
                outcomes.append(
                    Outcome(
                        id=row["id"],
                        text=row["text"],
                        zip=row["zip"],
                        relevant=_relevant(set(row["wants"].split()), row["zip"], labels),
                        returned=[m.name for m in result.matches],
                    )
                )
        db.dispose()
    return outcomes


def summarize(outcomes: list[Outcome]) -> dict:
    servable = [o for o in outcomes if o.servable]
    unservable = [o for o in outcomes if not o.servable]
    returned = [name for o in servable for name in o.returned]
    relevant_returned = sum(1 for o in servable for name in o.returned if o.relevant.get(name, 0) >= 1)
    return {
        "requests": len(outcomes),
        "servable": len(servable),
        "unservable": len(unservable),
        "ndcg_at_5": round(sum(o.ndcg() for o in servable) / max(len(servable), 1), 4),
        "precision_at_1": round(sum(o.hit_at_1() for o in servable) / max(len(servable), 1), 4),
        "false_match_rate": round(sum(bool(o.returned) for o in unservable) / max(len(unservable), 1), 4),
        "returned_relevant_share": round(relevant_returned / max(len(returned), 1), 4),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="list every request that missed")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    args = parser.parse_args(argv)
    outcomes = evaluate()
    summary = summarize(outcomes)
    if args.json:
        print(json.dumps(summary))
        return 0
    if args.verbose:
        for o in outcomes:
            wrong_top = o.servable and not o.hit_at_1()
            if (o.servable and o.ndcg() < 0.8) or wrong_top or (not o.servable and o.returned):
                print(f"#{o.id} {o.text[:60]!r} @{o.zip}: ndcg={o.ndcg():.2f} returned={o.returned}")
                print(f"      relevant={dict(sorted(o.relevant.items(), key=lambda kv: -kv[1]))}")
    print(
        f"{summary['requests']} requests ({summary['servable']} servable, {summary['unservable']} unservable) "
        f"against the demo directory, radius {RADIUS:g} mi, top {K}:"
    )
    print(f"  nDCG@5            {summary['ndcg_at_5']:.3f}   (target ≥ 0.85)")
    print(f"  P@1               {summary['precision_at_1']:.3f}   (target ≥ 0.90)")
    print(f"  false-match rate  {summary['false_match_rate']:.3f}   (target ≤ 0.10, on unservable requests)")
    print(f"  relevant share of all returned makers: {summary['returned_relevant_share']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
