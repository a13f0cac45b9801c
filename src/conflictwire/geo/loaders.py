"""Add places to an existing gazetteer store from files a user supplies.

Formats:

- ``geonames``: full GeoNames dumps (``allCountries.txt``, a country file such as ``SY.txt``, or
  ``cities500.txt``: the 19 tab-separated columns), with ``alternateNamesV2.txt`` (or
  ``alternateNames.txt``), ``admin1CodesASCII.txt`` and ``admin2Codes.txt`` read from the same folder
  when they are there.
- ``csv``: a user's gazetteer with columns ``name, lat, lon`` and optionally ``id, aliases`` (or
  ``alternate_names``; ``|``-separated), ``feature_code`` or ``kind``, ``country_code, admin1, admin2,
  population, source, geonameid``.
- ``geojson``: a FeatureCollection whose features carry a ``name`` property (and the optional CSV
  columns as properties); Points are used as they are, other geometries reduced to a representative
  point (shapely when installed, else the mean of the coordinates).

Rows go through ``geo.build.append_entries``, the same insertion as a full build. A bad row is reported
(``GazetteerLoadError`` naming the file, line or feature, and the problem) and the rest of the file goes
on; a file that cannot be read at all adds nothing. The store is changed on a copy that replaces it
atomically, so readers never see a half-written file.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conflictwire.geo.build import (
    _CLASS_OF_CODE,
    BUILD_VERSION,
    KIND_ALTERNATE,
    KIND_PRIMARY,
    KIND_VARIANT,
    _Entry,
    _keep_alternate,
    admin_stem,
    append_entries,
    replacing,
    write_database,
)
from conflictwire.geo.errors import GazetteerBuildError
from conflictwire.geo.normalize import normalize

FORMATS = ("geonames", "csv", "geojson")

#: GeoNames alternateNames "languages" that are not names: links, postcodes, airport and other codes.
_NOT_NAMES = {"link", "wkdt", "post", "iata", "icao", "faac", "tcid", "unlc", "abbr", "fr_1793", "phon", "piny"}

#: The main GeoNames files of a folder: the whole world, a cities extract or one country.
_MAIN_FILE = re.compile(r"^(?:allCountries|cities\d+|[A-Z]{2})\.txt$")

#: User "kind" words -> GeoNames feature codes.
_KIND_CODES = {
    "city": "PPL", "town": "PPL", "village": "PPL", "place": "PPL", "settlement": "PPL", "capital": "PPLC",
    "neighbourhood": "PPLX", "neighborhood": "PPLX", "district": "PPLX", "quarter": "PPLX", "suburb": "PPLX",
    "camp": "CMP", "region": "RGN", "area": "AREA", "landmark": "BLDG", "building": "BLDG",
    "airport": "AIRP", "hospital": "HSP", "market": "MKT", "castle": "CSTL", "factory": "MFG",
    "province": "ADM1", "governorate": "ADM1", "state": "ADM1", "admin1": "ADM1",
    "county": "ADM2", "admin2": "ADM2", "country": "PCLI", "continent": "CONT",
}

_BATCH = 5000


class GazetteerLoadError(GazetteerBuildError):
    """A file, or one row of it, cannot be loaded into the gazetteer."""

    def __init__(self, path: Path | str, where: str | None, message: str) -> None:
        super().__init__(f"{path}{' ' + where if where else ''}: {message}")
        self.path = str(path)
        self.where = where
        self.message = message


@dataclass
class LoadReport:
    """What loading one file did."""

    path: str
    format: str
    added: int = 0
    replaced: int = 0
    skipped: int = 0  # already in the store (same id) and not replaced, or outside the country filter
    problems: list[GazetteerLoadError] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary."""
        return {"path": self.path, "format": self.format, "added": self.added, "replaced": self.replaced,
                "skipped": self.skipped, "problems": [str(p) for p in self.problems]}


@dataclass
class StoreContext:
    """What parsers need to know about the store: country names and admin spellings."""

    countries: dict[str, str] = field(default_factory=dict)
    #: (country code, normalised admin1 name or alias) -> admin1 as the store spells it
    admin1_keys: dict[tuple[str, str], str] = field(default_factory=dict)
    #: geonameid of an ADM1/ADM2 entry -> its admin1/admin2 name as the store spells it
    admin_by_gid: dict[int, str] = field(default_factory=dict)

    @classmethod
    def of(cls, con: sqlite3.Connection) -> StoreContext:
        """The context of an open gazetteer database."""
        ctx = cls(countries=dict(con.execute("SELECT code, name FROM countries").fetchall()))
        for cc, a1, key in con.execute(
                "SELECT e.country_code, e.admin1, n.key FROM names n JOIN entries e ON e.pk = n.pk "
                "WHERE e.feature_code = 'ADM1' AND e.admin1 IS NOT NULL"):
            ctx.admin1_keys.setdefault((cc or "", key), a1)
        for gid, code, a1, a2 in con.execute(
                "SELECT geonameid, feature_code, admin1, admin2 FROM entries "
                "WHERE feature_code IN ('ADM1', 'ADM2') AND geonameid IS NOT NULL"):
            name = a1 if code == "ADM1" else a2
            if name:
                ctx.admin_by_gid[int(gid)] = name
        return ctx

    def admin1_name(self, cc: str, name: str | None) -> str | None:
        """A user's admin1 name in the store's spelling where one matches ("Aleppo Governorate" -> "Aleppo")."""
        if not name:
            return None
        norm = normalize(name)
        found = self.admin1_keys.get((cc, norm))
        if found is None:
            stem = admin_stem(name)
            found = self.admin1_keys.get((cc, normalize(stem))) if stem else None
        return found or name


# ---------------------------------------------------------------------------------------------- format


def detect_format(path: Path) -> str:
    """geonames for a folder or a .txt dump, csv for .csv/.tsv, geojson for .geojson/.json."""
    if path.is_dir():
        return "geonames"
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv"):
        return "csv"
    if suffix in (".geojson", ".json"):
        return "geojson"
    if suffix == ".txt":
        return "geonames"
    raise GazetteerLoadError(path, None, "cannot tell the format from the file name; give --format")


# ---------------------------------------------------------------------------------------------- GeoNames


@dataclass
class GeoNamesFiles:
    """The files of one GeoNames load."""

    main: list[Path]
    alternates: Path | None
    admin1: Path | None
    admin2: Path | None

    @classmethod
    def find(cls, path: Path) -> GeoNamesFiles:
        """The dumps at path: a folder, or one main file with its companions beside it."""
        folder = path if path.is_dir() else path.parent
        if path.is_dir():
            main = sorted(p for p in folder.iterdir() if _MAIN_FILE.match(p.name))
            if not main:
                raise GazetteerLoadError(path, None, "no allCountries.txt, cities*.txt or XX.txt GeoNames file here")
        elif path.is_file():
            main = [path]
        else:
            raise GazetteerLoadError(path, None, "no such file or folder")

        def first(*names: str) -> Path | None:
            return next((folder / n for n in names if (folder / n).is_file()), None)

        return cls(main, first("alternateNamesV2.txt", "alternateNames.txt"),
                   first("admin1CodesASCII.txt"), first("admin2Codes.txt"))


def _tsv_lines(path: Path, problems: list[GazetteerLoadError]) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) of a tab-separated UTF-8 file; undecodable lines are reported and skipped."""
    try:
        fp = path.open("rb")
    except OSError as exc:
        raise GazetteerLoadError(path, None, f"cannot read: {exc.strerror or exc}") from exc
    with fp:
        for n, raw in enumerate(fp, start=1):
            try:
                line = raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError as exc:
                problems.append(GazetteerLoadError(path, f"line {n}", f"not UTF-8 ({exc.reason})"))
                continue
            if line and not line.startswith("#"):
                yield n, line.split("\t")


def read_admin_codes(path: Path, ctx: StoreContext, problems: list[GazetteerLoadError]) -> dict[str, str]:
    """admin1CodesASCII.txt / admin2Codes.txt: code ("SY.09", "SY.09.1234") -> name, in the store's
    spelling where the store has the region's geonameid, else the ASCII name."""
    out: dict[str, str] = {}
    for n, cols in _tsv_lines(path, problems):
        if len(cols) < 4:
            problems.append(GazetteerLoadError(path, f"line {n}", f"expected 4 tab-separated columns, found {len(cols)}"))
            continue
        code, name, ascii_name, gid = cols[:4]
        spelled = ctx.admin_by_gid.get(int(gid)) if gid.isdigit() else None
        out[code] = spelled or ascii_name or name
    return out


def _alternates_db(path: Path, problems: list[GazetteerLoadError]) -> sqlite3.Connection:
    """A private temporary database of (geonameid, name) from alternateNames(V2).txt, names filtered."""
    db = sqlite3.connect("")  # an anonymous on-disk temporary database: the file can be large
    db.execute("CREATE TABLE alt (gid INTEGER NOT NULL, name TEXT NOT NULL)")

    def rows() -> Iterator[tuple[int, str]]:
        for n, cols in _tsv_lines(path, problems):
            if len(cols) < 4 or not cols[1].isdigit():
                problems.append(GazetteerLoadError(path, f"line {n}", "expected alternateNameId, geonameid, "
                                                   "isolanguage, alternate name (tab-separated)"))
                continue
            if cols[2] in _NOT_NAMES or not _keep_alternate(cols[3]):
                continue
            yield int(cols[1]), cols[3]

    db.executemany("INSERT INTO alt VALUES (?,?)", rows())
    db.execute("CREATE INDEX alt_gid ON alt (gid)")
    return db


def _float(value: str, what: str, low: float, high: float) -> float:
    """A number within [low, high]; ValueError with a readable message otherwise."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{what} {value!r} is not a number") from None
    if not (low <= x <= high):
        raise ValueError(f"{what} {x} is outside [{low:g}, {high:g}]")
    return x


def _int(value: str | None, what: str) -> int:
    """A non-negative integer (empty is 0); ValueError otherwise."""
    text = (value or "").strip().replace(",", "").replace("_", "")
    if not text:
        return 0
    try:
        x = int(float(text))
    except ValueError:
        raise ValueError(f"{what} {value!r} is not a number") from None
    if x < 0:
        raise ValueError(f"{what} {x} is negative")
    return x


def _geonames_entry(cols: list[str], ctx: StoreContext, admin1: dict[str, str], admin2: dict[str, str]) -> _Entry:
    """One allCountries row as an entry; ValueError on a bad value."""
    if len(cols) < 15:
        raise ValueError(f"expected 19 tab-separated columns, found {len(cols)}")
    gid_text, name, ascii_name, alt_col, lat, lon, fclass, fcode, cc = cols[:9]
    if not gid_text.isdigit():
        raise ValueError(f"geonameid {gid_text!r} is not a number")
    if not name.strip():
        raise ValueError("empty name")
    lat_f = _float(lat, "latitude", -90, 90)
    lon_f = _float(lon, "longitude", -180, 180)
    gid = int(gid_text)
    a1_code, a2_code = cols[10], cols[11]
    a1 = admin1.get(f"{cc}.{a1_code}") if a1_code else None
    a2 = admin2.get(f"{cc}.{a1_code}.{a2_code}") if a2_code else None
    fcode = fcode or {"P": "PPL", "A": "ADM", "L": "AREA"}.get(fclass, "")
    entry = _Entry(
        id=f"gn:{gid}", geonameid=gid, name=name, lat=lat_f, lon=lon_f, country_code=cc or None,
        country=ctx.countries.get(cc), admin1=a1, admin2=a2 if fcode != "ADM1" else None,
        feature_class=fclass or "P", feature_code=fcode, population=_int(cols[14], "population"),
        source="geonames",
    )
    entry.names.append((name, KIND_PRIMARY))
    if ascii_name and ascii_name != name:
        entry.names.append((ascii_name, KIND_ALTERNATE))
    entry.names.extend((a, KIND_ALTERNATE) for a in alt_col.split(",") if _keep_alternate(a))
    if fcode in ("ADM1", "ADM2"):
        own = a1 if fcode == "ADM1" else a2
        if own:  # the region's name in the codes file / the store: "Aleppo" for "Muḩāfaz̧at Ḩalab"
            entry.names.append((own, KIND_PRIMARY))
        stem = admin_stem(name)
        if stem:
            entry.names.append((stem, KIND_VARIANT))
    return entry


def read_geonames(path: Path, ctx: StoreContext, problems: list[GazetteerLoadError],
                  countries: set[str] | None = None) -> Iterator[_Entry]:
    """Entries of the GeoNames dumps at path (a folder or a main file), with alternate names and admin
    names from the companion files; rows outside ``countries`` (ISO codes) are left out."""
    files = GeoNamesFiles.find(path)
    admin1 = read_admin_codes(files.admin1, ctx, problems) if files.admin1 else {}
    admin2 = read_admin_codes(files.admin2, ctx, problems) if files.admin2 else {}
    alt = _alternates_db(files.alternates, problems) if files.alternates else None
    try:
        for main in files.main:
            batch: list[_Entry] = []
            for n, cols in _tsv_lines(main, problems):
                if countries and (len(cols) < 9 or cols[8] not in countries):
                    continue
                try:
                    batch.append(_geonames_entry(cols, ctx, admin1, admin2))
                except ValueError as exc:
                    problems.append(GazetteerLoadError(main, f"line {n}", str(exc)))
                    continue
                if len(batch) >= _BATCH:
                    yield from _with_alternates(batch, alt)
                    batch = []
            yield from _with_alternates(batch, alt)
    finally:
        if alt is not None:
            alt.close()


def _with_alternates(batch: list[_Entry], alt: sqlite3.Connection | None) -> list[_Entry]:
    """The batch with the alternateNames file's names added."""
    if alt is None or not batch:
        return batch
    by_gid = {e.geonameid: e for e in batch}
    ids = list(by_gid)
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        rows = alt.execute(f"SELECT gid, name FROM alt WHERE gid IN ({','.join('?' * len(chunk))})", chunk)
        for gid, name in rows:
            by_gid[gid].names.append((name, KIND_ALTERNATE))
    return batch


# ---------------------------------------------------------------------------------------------- CSV / GeoJSON

_SLUG = re.compile(r"[^a-z0-9]+")


def _user_entry(props: dict[str, Any], lat: float, lon: float, ctx: StoreContext, default_source: str) -> _Entry:
    """An entry from a user's row or feature properties (coordinates already checked); ValueError if bad."""
    name = str(props.get("name") or "").strip()
    if not name:
        raise ValueError("empty name")
    cc = str(props.get("country_code") or "").strip().upper()
    if cc and not re.fullmatch(r"[A-Z]{2}", cc):
        raise ValueError(f"country_code {cc!r} is not a two-letter ISO code")
    code = str(props.get("feature_code") or "").strip().upper()
    kind = str(props.get("kind") or "").strip()
    if not code and kind:
        code = _KIND_CODES.get(kind.casefold(), kind.upper() if kind.isupper() else "")
        if not code:
            raise ValueError(f"unknown kind {kind!r} (give a GeoNames feature_code, or one of "
                             f"{', '.join(sorted(_KIND_CODES))})")
    code = code or "PPL"
    fclass = next((v for k, v in _CLASS_OF_CODE.items() if code.startswith(k)), "P")
    raw_id = str(props.get("id") or "").strip()
    slug = _SLUG.sub("-", normalize(raw_id or f"{cc} {name}")).strip("-")
    gid_text = str(props.get("geonameid") or "").strip()
    if gid_text and not gid_text.isdigit():
        raise ValueError(f"geonameid {gid_text!r} is not a number")
    admin1 = ctx.admin1_name(cc, str(props.get("admin1") or "").strip() or None)
    if code == "ADM1" and not admin1:
        admin1 = name
    admin2 = str(props.get("admin2") or "").strip() or (name if code == "ADM2" else None)
    entry = _Entry(
        id=f"cw:{slug}", geonameid=int(gid_text) if gid_text else None, name=name, lat=lat, lon=lon,
        country_code=cc or None, country=ctx.countries.get(cc), admin1=admin1, admin2=admin2,
        feature_class=fclass, feature_code=code, population=_int(str(props.get("population") or ""), "population"),
        source=str(props.get("source") or "").strip() or default_source,
    )
    entry.names.append((name, KIND_PRIMARY))
    aliases = props.get("aliases", props.get("alternate_names")) or []
    if isinstance(aliases, str):
        aliases = aliases.split("|")
    if not isinstance(aliases, list):
        raise ValueError("aliases must be a |-separated string or a list of strings")
    entry.names.extend((str(a).strip(), KIND_ALTERNATE) for a in aliases if str(a).strip())
    if fclass == "A":
        stem = admin_stem(name)
        if stem:
            entry.names.append((stem, KIND_VARIANT))
    return entry


def _read_text(path: Path) -> str:
    """The file as UTF-8 text; a GazetteerLoadError naming the line of the first bad byte otherwise."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise GazetteerLoadError(path, None, f"cannot read: {exc.strerror or exc}") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise GazetteerLoadError(path, f"line {line}", f"not UTF-8 ({exc.reason})") from exc


_LAT_COLS = ("lat", "latitude")
_LON_COLS = ("lon", "lng", "long", "longitude")


def read_csv(path: Path, ctx: StoreContext, problems: list[GazetteerLoadError]) -> Iterator[_Entry]:
    """Entries of a user's gazetteer CSV (or TSV); see the module docstring for the columns."""
    text = _read_text(path)
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [h.strip().casefold() for h in (reader.fieldnames or [])]
    reader.fieldnames = header
    lat_col = next((c for c in _LAT_COLS if c in header), None)
    lon_col = next((c for c in _LON_COLS if c in header), None)
    missing = [c for c, found in (("name", "name" in header), ("lat", lat_col), ("lon", lon_col)) if not found]
    if missing:
        raise GazetteerLoadError(path, "line 1", f"missing column(s) {', '.join(missing)}; "
                                 f"the header is {','.join(header) or '(empty)'}")
    default_source = f"user:{path.name}"
    try:
        for row in reader:
            line = reader.line_num  # the row's last physical line (its only one unless a field spans lines)
            if None in row:
                problems.append(GazetteerLoadError(path, f"line {line}", f"more fields than the header's {len(header)}"))
                continue
            try:
                lat = _float(row.get(lat_col) or "", "latitude", -90, 90)  # type: ignore[arg-type]
                lon = _float(row.get(lon_col) or "", "longitude", -180, 180)  # type: ignore[arg-type]
                yield _user_entry(row, lat, lon, ctx, default_source)
            except ValueError as exc:
                problems.append(GazetteerLoadError(path, f"line {line}", str(exc)))
    except csv.Error as exc:
        problems.append(GazetteerLoadError(path, f"line {reader.line_num}", f"malformed CSV: {exc}; the rest "
                                           "of the file is not read"))


def _positions(coords: Any) -> Iterator[tuple[float, float]]:
    """Every (lon, lat) position in a GeoJSON coordinates array."""
    if isinstance(coords, list) and len(coords) >= 2 and all(isinstance(c, (int, float)) for c in coords[:2]):
        yield float(coords[0]), float(coords[1])
    elif isinstance(coords, list):
        for c in coords:
            yield from _positions(c)
    else:
        raise ValueError("coordinates are not an array of positions")


def representative_point(geometry: Any) -> tuple[float, float]:
    """(lat, lon) for a GeoJSON geometry: a Point itself, else a point inside it (shapely's
    representative_point when shapely is installed) or the mean of its coordinates."""
    if not isinstance(geometry, dict) or "type" not in geometry:
        raise ValueError("no geometry")
    gtype = geometry["type"]
    coords = geometry.get("coordinates")
    if gtype == "Point":
        pts = list(_positions(coords))
        if len(pts) != 1:
            raise ValueError("a Point needs one [lon, lat] position")
        lon, lat = pts[0]
    elif gtype in ("MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"):
        pts = list(_positions(coords))
        if not pts:
            raise ValueError(f"a {gtype} with no coordinates")
        try:
            from shapely.geometry import shape
        except ImportError:
            shape = None
        if shape is not None and gtype != "MultiPoint":
            try:
                p = shape(geometry).representative_point()
                lon, lat = p.x, p.y
            except Exception as exc:  # noqa: BLE001 - shapely raises many kinds on bad shapes
                raise ValueError(f"bad {gtype}: {exc}") from exc
        else:
            if gtype in ("Polygon", "MultiPolygon"):
                # rings repeat their first position at the end; leave the repeats out of the mean
                rings = [coords] if gtype == "Polygon" else coords
                pts = [pt for poly in rings for ring in poly[:1]
                       for pt in (list(_positions(ring))[:-1] or list(_positions(ring)))]
            lon = sum(p[0] for p in pts) / len(pts)
            lat = sum(p[1] for p in pts) / len(pts)
    else:
        raise ValueError(f"geometry type {gtype!r} is not supported")
    return _float(str(lat), "latitude", -90, 90), _float(str(lon), "longitude", -180, 180)


def read_geojson(path: Path, ctx: StoreContext, problems: list[GazetteerLoadError]) -> Iterator[_Entry]:
    """Entries of a GeoJSON FeatureCollection (or a single Feature) with a ``name`` property."""
    try:
        doc = json.loads(_read_text(path))
    except json.JSONDecodeError as exc:
        raise GazetteerLoadError(path, f"line {exc.lineno}", f"not JSON: {exc.msg}") from exc
    if isinstance(doc, dict) and doc.get("type") == "Feature":
        features = [doc]
    elif isinstance(doc, dict) and doc.get("type") == "FeatureCollection" and isinstance(doc.get("features"), list):
        features = doc["features"]
    else:
        raise GazetteerLoadError(path, None, "expected a GeoJSON FeatureCollection or Feature")
    default_source = f"user:{path.name}"
    for i, feat in enumerate(features, start=1):
        where = f"feature {i}"
        try:
            if not isinstance(feat, dict) or feat.get("type") != "Feature":
                raise ValueError("not a GeoJSON Feature")
            props = dict(feat.get("properties") or {})
            if feat.get("id") is not None and not props.get("id"):
                props["id"] = feat["id"]
            if props.get("name"):
                where += f" ({props['name']})"
            lat, lon = representative_point(feat.get("geometry"))
            yield _user_entry(props, lat, lon, ctx, default_source)
        except ValueError as exc:
            problems.append(GazetteerLoadError(path, where, str(exc)))


# ---------------------------------------------------------------------------------------------- the store


class StoreWriter:
    """Adds entries to an open gazetteer database, skipping (or replacing) ids it already has."""

    def __init__(self, con: sqlite3.Connection) -> None:
        self.con = con
        self.ctx = StoreContext.of(con)
        self._pk_of: dict[str, int] = {}
        for pk, eid, gid in con.execute("SELECT pk, id, geonameid FROM entries"):
            self._pk_of.setdefault(eid or f"gn:{gid}", pk)
        self._next_pk = int(con.execute("SELECT COALESCE(MAX(pk), 0) FROM entries").fetchone()[0]) + 1

    def add(self, entries: Iterable[_Entry], report: LoadReport, replace: bool = False) -> None:
        """Add entries in batches; counts go to report."""
        batch: list[_Entry] = []
        for e in entries:
            batch.append(e)
            if len(batch) >= _BATCH:
                self._flush(batch, report, replace)
                batch = []
        self._flush(batch, report, replace)

    def _flush(self, batch: list[_Entry], report: LoadReport, replace: bool) -> None:
        fresh: dict[str, _Entry] = {}
        stale: list[int] = []
        for e in batch:
            if e.id in fresh:  # the same id twice in one batch: the later row wins when replacing
                report.skipped += 1
                if replace:
                    fresh[e.id] = e
                continue
            old = self._pk_of.get(e.id)
            if old is not None:
                if not replace:
                    report.skipped += 1
                    continue
                stale.append(old)
                report.replaced += 1
            fresh[e.id] = e
        if stale:
            marks = ",".join("?" * len(stale))
            self.con.execute(f"DELETE FROM names WHERE pk IN ({marks})", stale)
            self.con.execute(f"DELETE FROM entries WHERE pk IN ({marks})", stale)
        entries = list(fresh.values())
        first = self._next_pk
        self._next_pk = append_entries(self.con, entries, first)
        for pk, e in enumerate(entries, start=first):
            self._pk_of[e.id] = pk
        report.added += len(entries) - len(stale)  # replaced rows are not new


def create_empty_store(path: Path | str) -> Path:
    """A new gazetteer file with no entries (tests, or a gazetteer made only of a user's files)."""
    path = Path(path)
    if path.exists():
        path.unlink()
    write_database(path, [], {}, {"build_version": str(BUILD_VERSION), "fingerprint": "empty",
                                  "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
    return path


def _entries_of(path: Path, fmt: str, ctx: StoreContext, problems: list[GazetteerLoadError],
                countries: set[str] | None) -> Iterator[_Entry]:
    if fmt == "geonames":
        return read_geonames(path, ctx, problems, countries)
    if fmt == "csv":
        reader = read_csv(path, ctx, problems)
    elif fmt == "geojson":
        reader = read_geojson(path, ctx, problems)
    else:
        raise GazetteerLoadError(path, None, f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    return (e for e in reader if not countries or e.country_code in countries)


def add_files(store: Path | str, sources: Iterable[tuple[Path | str, str | None]], *,
              countries: Iterable[str] | None = None, replace: bool = False) -> list[LoadReport]:
    """Load each (path, format or None to detect) into the gazetteer file at store, one report per file.

    An entry whose id the store already has ("gn:<geonameid>" for GeoNames rows, "cw:<id>" for a user's
    rows) is skipped, or replaced with ``replace``. A file that fails as a whole adds nothing and has its
    error as its only problem; the other files still load. Raises GazetteerBuildError when the store
    itself cannot be opened or written.
    """
    store = Path(store)
    wanted = {c.strip().upper() for c in countries} if countries else None
    try:
        with replacing(store) as tmp:
            shutil.copyfile(store, tmp)
            con = sqlite3.connect(tmp, isolation_level=None)
            try:
                reports = _load_sources(con, store, sources, wanted, replace)
            finally:
                con.close()
    except (OSError, sqlite3.Error) as exc:
        raise GazetteerBuildError(f"cannot add to the gazetteer at {store}: {exc}") from exc
    return reports


def _load_sources(con: sqlite3.Connection, store: Path, sources: Iterable[tuple[str | Path, str | None]],
                  wanted: set[str] | None, replace: bool) -> list[LoadReport]:
    """Load each source into the open store, one savepoint per file; record the loads in its meta."""
    reports: list[LoadReport] = []
    meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
    if meta.get("build_version") != str(BUILD_VERSION):
        raise GazetteerBuildError(f"{store} has build version {meta.get('build_version')}, "
                                  f"expected {BUILD_VERSION}: rebuild it first")
    writer = StoreWriter(con)
    loaded = json.loads(meta.get("loaded_files") or "[]")
    for src, fmt in sources:
        path = Path(src)
        report = LoadReport(str(path), fmt or "?")
        reports.append(report)
        con.execute("SAVEPOINT load_file")
        try:
            report.format = fmt or detect_format(path)
            writer.add(_entries_of(path, report.format, writer.ctx, report.problems, wanted), report, replace)
        except GazetteerLoadError as exc:
            con.execute("ROLLBACK TO load_file")
            report.added = report.replaced = report.skipped = 0
            report.problems.append(exc)
            writer = StoreWriter(con)  # its id map may hold rows the rollback removed
        con.execute("RELEASE load_file")
        if report.added or report.replaced:
            loaded.append({"path": str(path.resolve()), "format": report.format, "added": report.added,
                           "replaced": report.replaced,
                           "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
    con.execute("INSERT OR REPLACE INTO meta VALUES ('loaded_files', ?)", (json.dumps(loaded),))
    return reports

