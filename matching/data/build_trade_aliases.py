"""Rebuild trade_aliases_naics.csv: candidate aliases for the taxonomy's trades, from the NAICS 2012 index.

    python -m matching.data.build_trade_aliases NAICS_INDEX.csv

The input is ../shared/data/naics-2012/naics_2012_index_entries.csv (US Census Bureau, public domain; see
SOURCES.md). Every item and process in taxonomy.toml and trades.toml may list NAICS industries under `naics`
(mapped by hand). The index entries of those industries name products in an inverted form — "Cabinets, kitchen
(except freestanding), stock or custom wood, manufacturing", "Ale brewing", "Crates, wood, wirebound,
manufacturing" — which this script turns back into buyer words: "kitchen cabinets", "ale", "wood crates".

An industry listed by several items gives its words to the one that is broader than all the others (311812
commercial bakeries → baked goods, not bread); when none is, to the one process that lists it; else to nobody.
The output is read at run time after the hand-written aliases, which always win a shared word.
"""

from __future__ import annotations

import csv
import re
import sys
import tomllib
from pathlib import Path
from typing import Any

from matching.taxonomy import DATA_FILES, merge_data
from matching.text import tokens

HERE = Path(__file__).parent
TARGET = HERE / "trade_aliases_naics.csv"
HEADER = (
    "# Aliases derived from the US Census NAICS 2012 index entries (public domain, via codeforamerica/naics-api,\n"
    "# BSD-3-Clause) of the industries each taxonomy entry lists under `naics`. See SOURCES.md.\n"
    "# Rebuild with: python -m matching.data.build_trade_aliases NAICS_INDEX.csv\n"
)
# How an index entry says what is done with the product; what stays is the product.
_TRAILERS = re.compile(
    r"\s+(?:manufacturing|made in .*|made from .*|mills?|shops?|brewing|distilling|roasting|"
    r"commercial printing.*|screen printing.*|printing.*|contractors?|job shops?|for the trade.*|"
    r"on a contract basis.*|merchant wholesalers.*|\(except .*|cut and sew.*)$"
)
_PLAIN = re.compile(r"^[a-z][a-z' -]*[a-z]$")
# Words that say nothing about what a buyer wants, or that would capture ordinary requests.
_STOP = {
    "and", "or", "other", "except", "all", "not", "specified", "elsewhere", "classified", "nec", "products", "product",
    "goods", "materials", "material", "equipment", "parts", "supplies", "machinery", "industrial", "custom", "stock",
    "plants", "plant", "establishments", "services", "service", "purchased", "household", "type", "types",
    "related", "similar", "miscellaneous", "articles", "items", "general", "special", "commercial", "apparatus",
    "machine", "machines", "work", "shop", "novelties",
}  # fmt: skip
_MAX_WORDS = 3


def candidates(entry: str) -> list[str]:
    """Buyer words for one index entry: "Crates, wood, manufacturing" → ["wood crates"]."""
    text = entry.strip().lower()
    parts = [p.strip() for p in re.split(r",(?![^()]*\))", text) if p.strip()]
    if not parts:
        return []
    head = _TRAILERS.sub("", parts[0]).strip()
    qualifiers = [_TRAILERS.sub("", p).strip() for p in parts[1:]]
    qualifiers = [q for q in qualifiers if q and q not in {"manufacturing", "n.e.c."}]
    out: list[str] = []
    if qualifiers:
        # Inverted entry: "cabinets, kitchen" → "kitchen cabinets". A head whose qualifier cannot be read back
        # ("Flooring, open steel (i.e., grating)") is left out: alone it would name something else.
        if "(" not in qualifiers[0] and len(qualifiers[0].split()) <= 2:
            out.append(f"{qualifiers[0]} {head}")
    else:
        out.append(head)
    kept = []
    for phrase in out:
        phrase = re.sub(r"\s+", " ", phrase.replace("-", " ")).strip()
        words = phrase.split()
        if not _PLAIN.match(phrase) or not 1 <= len(words) <= _MAX_WORDS:
            continue
        if any(w in _STOP for w in words) or (len(words) == 1 and len(phrase) < 5):
            continue
        kept.append(phrase)
    return kept


def owners(data: dict[str, Any]) -> dict[str, str]:
    """Which concept gets the words of each listed NAICS industry."""
    parent = {e["id"]: e.get("parent") for e in data.get("item", [])}

    def ancestors(concept: str) -> set[str]:
        seen: set[str] = set()
        while parent.get(concept) and parent[concept] not in seen:
            concept = parent[concept]
            seen.add(concept)
        return seen

    items: dict[str, list[str]] = {}
    processes: dict[str, list[str]] = {}
    for kind, table in (("item", items), ("process", processes)):
        for entry in data.get(kind, []):
            for code in entry.get("naics", ()):
                table.setdefault(code, []).append(entry["id"])
    out: dict[str, str] = {}
    for code in set(items) | set(processes):
        listed = items.get(code, [])
        broadest = [c for c in listed if all(c == o or c in ancestors(o) for o in listed)]
        if len(broadest) == 1:
            out[code] = broadest[0]
        elif len(processes.get(code, [])) == 1:
            out[code] = processes[code][0]
    return out


def main(naics_index: str) -> None:
    data = merge_data([tomllib.loads((HERE / name).read_text(encoding="utf-8")) for name in DATA_FILES])
    taken = {
        tuple(tokens(phrase))
        for kind in ("item", "process")
        for entry in data.get(kind, [])
        for phrase in [entry["label"], *entry.get("aliases", ())]
    }
    owner = owners(data)
    rows: dict[tuple[str, ...], tuple[str, str, str]] = {}
    with open(naics_index, encoding="utf-8") as f:
        for row in csv.DictReader(f):
            concept = owner.get(row["code"])
            if concept is None:
                continue
            for phrase in candidates(row["index_entry"]):
                key = tuple(tokens(phrase))
                if key and key not in taken and key not in rows:
                    rows[key] = (concept, phrase, row["code"])
    with TARGET.open("w", encoding="utf-8", newline="") as f:
        f.write(HEADER)
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["concept", "alias", "naics"])
        for concept, phrase, code in sorted(rows.values()):
            writer.writerow([concept, phrase, code])
    print(f"{len(rows)} aliases → {TARGET}")


if __name__ == "__main__":
    main(sys.argv[1])
