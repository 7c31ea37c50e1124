"""Rebuild zip_places.csv from the `zipcodes` package (run by hand when it is upgraded).

    pip install -e ".[data]" && python -m matching.data.build_zip_places

One row per ZIP code with coordinates: its centroid, city, state, IANA time zone and whether it is a standard
(street delivery) ZIP code. Reading this file takes a few hundredths of a second and about 15 MB; asking `zipcodes`
itself takes a second or more and keeps over 100 MB in every process that does (see SOURCES.md).
"""

from __future__ import annotations

import csv
from pathlib import Path

HEADER = "# US ZIP code centroids from GeoNames (https://www.geonames.org/, CC BY 4.0) via the zipcodes package.\n"
COLUMNS = ("zip", "lat", "lon", "city", "state", "timezone", "standard")


def main() -> None:
    import zipcodes

    out = Path(__file__).with_name("zip_places.csv")
    with out.open("w", encoding="utf-8", newline="") as handle:
        handle.write(HEADER)
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        for row in sorted(zipcodes.list_all(), key=lambda r: r["zip_code"]):
            try:
                lat, lon = float(row["lat"]), float(row["long"])
            except (KeyError, TypeError, ValueError):
                continue  # a row without coordinates cannot place anyone
            standard = "1" if row.get("zip_code_type") == "STANDARD" else ""
            writer.writerow((row["zip_code"], lat, lon, row.get("city") or "", row.get("state") or "",
                             row.get("timezone") or "", standard))  # fmt: skip


if __name__ == "__main__":
    main()
