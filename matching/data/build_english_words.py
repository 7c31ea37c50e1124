"""Rebuild english_words.txt from the NAICS and Harmonized System texts (run by hand when the stemmer changes).

    python -m matching.data.build_english_words NAICS_INDEX.csv NAICS_TITLES.csv HS.csv

The inputs are the files of ../shared/data/naics-2012 and ../shared/data/harmonized-system (see SOURCES.md).
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from matching.taxonomy import load_taxonomy
from matching.text import stem, words

HEADER = (
    '# Ordinary English words (stemmed) that typo correction must leave alone: "layers" is not "laser".\n'
    "# Derived from the words of the US Census NAICS 2012 titles, descriptions and index entries (public domain)\n"
    "# and the Harmonized System descriptions (datasets/harmonized-system, ODC-PDDL-1.0). See SOURCES.md.\n"
    "# Rebuild with: python -m matching.data.build_english_words NAICS_INDEX.csv NAICS_TITLES.csv HS.csv\n"
)


def main(naics_index: str, naics_titles: str, harmonized: str) -> None:
    seen: set[str] = set()
    columns = [
        (naics_index, ("index_entry", "title")),
        (naics_titles, ("title", "description")),
        (harmonized, ("description",)),
    ]
    for path, names in columns:
        with open(path, encoding="utf-8") as f:
            for row in csv.DictReader(f):
                for name in names:
                    seen.update(w for w in words(row.get(name) or "") if w.isalpha() and w.isascii() and len(w) >= 5)
    taxonomy_words = {tok for key in load_taxonomy().aliases for tok in key}
    out = sorted({stem(w) for w in seen} - taxonomy_words)
    target = Path(__file__).with_name("english_words.txt")
    target.write_text(HEADER + "\n".join(out) + "\n", encoding="utf-8")
    print(f"{len(out)} words → {target}")


if __name__ == "__main__":
    main(*sys.argv[1:4])
