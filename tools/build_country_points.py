"""Write src/conflictwire/data/country_points.csv: one representative point per country.

    pip install countryinfo==1.0.1 && python tools/build_country_points.py

The points are the `latlng` field of the `countryinfo` package (MIT; its data is taken from Wikipedia
and the CIA World Factbook, whose "geographic coordinates" are a point near each country's centre).
Coordinates are facts; the CSV is committed so the gazetteer build needs no extra package. Re-run this
script only to refresh the file; the gazetteer fingerprint covers the CSV, so a change rebuilds caches.
"""

from __future__ import annotations

import argparse
import csv
import importlib.metadata
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src" / "conflictwire" / "data" / "country_points.csv"


def main(argv: list[str] | None = None) -> int:
    """Read countryinfo, write the CSV sorted by ISO code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    from countryinfo import CountryInfo

    version = importlib.metadata.version("countryinfo")
    rows: dict[str, tuple[str, float, float]] = {}
    for data in CountryInfo.all().values():
        iso = (data.get("ISO") or {}).get("alpha2")
        latlng = data.get("latlng") or []
        if not iso or len(latlng) != 2:
            continue
        rows[iso.upper()] = (data.get("name") or "", float(latlng[0]), float(latlng[1]))
    with args.out.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["iso2", "name", "lat", "lon", "source"])
        for iso in sorted(rows):
            name, lat, lon = rows[iso]
            w.writerow([iso, name, f"{lat:g}", f"{lon:g}", f"countryinfo {version} latlng"])
    print(f"wrote {len(rows)} countries to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
