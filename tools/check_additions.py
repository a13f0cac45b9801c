"""Check src/conflictwire/data/gazetteer_additions.csv against the GeoNames part of the gazetteer.

    python tools/check_additions.py [path/to/additions.csv] [--max-km 40]

Every row must have the build's columns, a unique country-prefixed slug id, a name, coordinates in
range, a feature code from ALLOWED_CODES, a kind and a source; its admin1, when given, must be an admin1
region of its country in the gazetteer. Its point must lie in its country: the nearest GeoNames populated
place (cities500) must have the row's country code and lie within --max-km, unless the notes say
"remote" (then only a same-country place within REMOTE_KM is required) or "border" (a crossing or a
place on a frontier, whose nearest town may lie across it: then a same-country place within --max-km
is required). Exit status 0 when every row
passes, 1 on any problem (each printed as "line N id: problem"), 2 when the file cannot be read.

The gazetteer is the default one (built on first use, ~35 s, when the data files changed).
"""

from __future__ import annotations

import argparse
import csv
import math
import re
import sqlite3
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CSV = ROOT / "src" / "conflictwire" / "data" / "gazetteer_additions.csv"
sys.path.insert(0, str(ROOT / "src"))

from conflictwire.geo.build import ADDITIONS_COLUMNS
from conflictwire.geo.gazetteer import Gazetteer

#: GeoNames feature codes the additions file may use.
ALLOWED_CODES = frozenset({
    "PPL", "PPLX", "PPLL", "RGN", "AREA", "CMP", "CMPRF", "PSTB", "INSM", "AIRP", "AIRB", "RD", "BDG", "HSP",
    "CSTL", "MFG", "PRN", "PRT", "DAM", "SQR", "BLDG", "MKT", "PSN", "ISL",
})
MAX_KM = 40.0
#: A row marked "remote" still needs a same-country populated place this close.
REMOTE_KM = 250.0
_ID = re.compile(r"^[a-z]{2}-[a-z0-9]+(?:-[a-z0-9]+)*$")


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km."""
    p1, p2, dl, dp = map(math.radians, (lat1, lat2, lon2 - lon1, lat2 - lat1))
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(h)))


def nearest_places(con: sqlite3.Connection, lat: float, lon: float,
                   radius_km: float) -> list[tuple[float, str, str | None]]:
    """(km, name, country code) of GeoNames populated places within radius_km, nearest first."""
    dlat = radius_km / 111.0
    dlon = radius_km / max(1.0, 111.0 * math.cos(math.radians(lat)))
    rows = con.execute(
        "SELECT name, lat, lon, country_code FROM entries WHERE feature_class = 'P' AND geonameid IS NOT NULL "
        "AND feature_code LIKE 'PPL%' AND lat BETWEEN ? AND ? AND lon BETWEEN ? AND ?",
        (lat - dlat, lat + dlat, lon - dlon, lon + dlon)).fetchall()
    out = [(haversine_km(lat, lon, la, lo), name, cc) for name, la, lo, cc in rows]
    return sorted(o for o in out if o[0] <= radius_km)


def is_admin1(gaz: Gazetteer, cc: str, name: str) -> bool:
    """True when name (own or alternate) is an admin1 region of country cc in the gazetteer."""
    return any(m.entry.feature_code == "ADM1" and m.entry.country_code == cc for m in gaz.matches(name))


def check(path: Path, gaz: Gazetteer, max_km: float = MAX_KM) -> list[str]:
    """Problems of the additions file, one string each; [] when every row passes."""
    con = sqlite3.connect(f"file:{gaz.path}?mode=ro&immutable=1", uri=True)
    admin_ok: dict[tuple[str, str], bool] = {}
    countries = {cc for (cc,) in con.execute("SELECT code FROM countries")}
    problems: list[str] = []
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        if tuple(reader.fieldnames or ()) != ADDITIONS_COLUMNS:
            return [f"line 1: expected columns {','.join(ADDITIONS_COLUMNS)}, got {reader.fieldnames}"]
        seen: dict[str, int] = {}
        for line, row in enumerate(reader, start=2):
            rid = (row.get("id") or "").strip()

            def bad(msg: str, line: int = line, rid: str = rid) -> None:
                problems.append(f"line {line} {rid or '?'}: {msg}")

            if None in row or any(v is None for v in row.values()):
                bad("wrong number of fields")
                continue
            cc = row["country_code"].strip().upper()
            if not _ID.match(rid):
                bad("id must be a lower-case slug")
            elif not rid.startswith(cc.lower() + "-"):
                bad(f"id must start with the country code {cc.lower()}-")
            if rid in seen:
                bad(f"id repeats line {seen[rid]}")
            seen.setdefault(rid, line)
            if not row["name"].strip():
                bad("empty name")
            if any(not a.strip() for a in row["alternate_names"].split("|")) and row["alternate_names"]:
                bad("empty alternate name (doubled or trailing |)")
            if cc not in countries:
                bad(f"unknown country code {cc!r}")
            code = row["feature_code"].strip()
            if code not in ALLOWED_CODES:
                bad(f"feature code {code!r} not in the allowed list")
            if not row["kind"].strip() or not row["source"].strip():
                bad("kind and source are required")
            a1 = row["admin1"].strip()
            if a1 and (cc, a1) not in admin_ok:
                admin_ok[(cc, a1)] = is_admin1(gaz, cc, a1)
            if a1 and not admin_ok[(cc, a1)]:
                bad(f"admin1 {a1!r} is not an admin1 region of {cc} in the gazetteer")
            try:
                lat, lon = float(row["lat"]), float(row["lon"])
            except ValueError:
                bad(f"bad coordinates {row['lat']!r},{row['lon']!r}")
                continue
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                bad("coordinates out of range")
                continue
            notes = row["notes"].casefold()
            remote, border = "remote" in notes, "border" in notes
            near = nearest_places(con, lat, lon, REMOTE_KM if remote else max_km)
            if remote:
                if not any(p[2] == cc for p in near):
                    bad(f"remote, but no {cc} populated place within {REMOTE_KM:.0f} km")
            elif not near:
                bad(f"no populated place within {max_km:.0f} km (say 'remote' in notes if that is right)")
            elif border:
                if not any(p[2] == cc for p in near):
                    bad(f"border, but no {cc} populated place within {max_km:.0f} km")
            elif near[0][2] != cc:
                km, name, other = near[0]
                bad(f"nearest populated place is {name} ({other}) {km:.1f} km away, not in {cc}")
    con.close()
    return problems


def main(argv: list[str] | None = None) -> int:
    """Check the file and print problems; 0 when clean, 1 on problems, 2 when unreadable."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", nargs="?", type=Path, default=DEFAULT_CSV)
    parser.add_argument("--max-km", type=float, default=MAX_KM)
    args = parser.parse_args(argv)
    if not args.csv.is_file():
        print(f"no file at {args.csv}", file=sys.stderr)
        return 2
    problems = check(args.csv, Gazetteer.default(), args.max_km)
    for p in problems:
        print(p)
    with args.csv.open(encoding="utf-8") as fh:
        n = sum(1 for _ in csv.DictReader(fh))
    print(f"{args.csv.name}: {n} rows, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
