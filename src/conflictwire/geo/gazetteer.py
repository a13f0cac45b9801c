"""The gazetteer store: a read-only SQLite file of places and a normalised name index.

The file is built from packaged data (see ``geo.build``) on first use into the user cache directory,
named after a fingerprint of its sources, so a new package version or a changed additions file gets a
new file and two versions never share one. ``CONFLICTWIRE_GAZETTEER`` points at a prebuilt file instead.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from conflictwire.geo.build import BUILD_VERSION, KIND_VARIANT, build_gazetteer, replacing, source_fingerprint
from conflictwire.geo.errors import GazetteerBuildError, GazetteerOpenError
from conflictwire.geo.normalize import normalize, strip_articles

ENV_PATH = "CONFLICTWIRE_GAZETTEER"

_COLUMNS = ("pk, id, geonameid, name, lat, lon, country_code, admin1, admin2, feature_class, "
            "feature_code, population, source")


@dataclass(frozen=True)
class GazEntry:
    """One place of the gazetteer."""

    geonameid: int | None
    id: str  # "gn:<geonameid>" for GeoNames places, "cw:<slug>" for the project's additions
    name: str
    lat: float
    lon: float
    country_code: str | None
    country: str | None
    admin1: str | None
    admin2: str | None
    feature_class: str  # GeoNames class: P populated place, A admin region, L area, S spot
    feature_code: str  # PPL, PPLC, PPLX, ADM1, ADM2, PCLI, CONT, RGN, ...
    population: int
    source: str

    @property
    def is_addition(self) -> bool:
        """True for an entry of the project's own additions file."""
        return self.id.startswith("cw:")


@dataclass(frozen=True)
class NameMatch:
    """A gazetteer entry found for a name, and how the name matched it."""

    entry: GazEntry
    kind: int  # 0 the entry's own name, 1 an alternate name, 2 a variant (article or admin word dropped)
    bare: bool  # matched only after dropping Arabic articles from the query


class Gazetteer:
    """Read-only access to a gazetteer SQLite file."""

    _default: ClassVar[Gazetteer | None] = None
    _default_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise GazetteerOpenError(f"no gazetteer file at {self.path}")
        # check_same_thread=False: the file is opened read-only, so sharing across threads is safe.
        self._con = sqlite3.connect(f"file:{self.path}?mode=ro&immutable=1", uri=True, check_same_thread=False)
        try:
            meta = dict(self._con.execute("SELECT key, value FROM meta").fetchall())
            self._countries = dict(self._con.execute("SELECT code, name FROM countries").fetchall())
        except sqlite3.DatabaseError as exc:
            raise GazetteerOpenError(f"{self.path} is not a gazetteer file: {exc}") from exc
        if meta.get("build_version") != str(BUILD_VERSION):
            raise GazetteerOpenError(f"{self.path} has build version {meta.get('build_version')}, "
                                     f"expected {BUILD_VERSION}: rebuild it")
        self.meta = meta
        self._words: dict[str, str] | None = None

    @classmethod
    def default(cls) -> Gazetteer:
        """The process-wide gazetteer, built into the user cache directory on first use."""
        with cls._default_lock:
            if cls._default is None:
                env = os.environ.get(ENV_PATH)
                cls._default = cls(Path(env) if env else ensure_built(default_path()))
            return cls._default

    def close(self) -> None:
        """Close the database connection."""
        self._con.close()

    def prominent_names(self, min_population: int = 100_000) -> list[str]:
        """Names (as written, capitalised) of countries, first-level regions and places of at least
        ``min_population`` people: names worth tagging as places where they appear capitalised."""
        rows = self._con.execute(
            "SELECT name, MAX(CASE WHEN feature_code = 'PCLI' THEN 10000000000 WHEN feature_class = 'P' "
            "THEN population ELSE 0 END) FROM entries "
            "WHERE feature_code IN ('PCLI', 'ADM1') OR (feature_class = 'P' AND population >= ?) GROUP BY name",
            (min_population,)).fetchall()
        out = []
        for name, pop in rows:
            norm = normalize(name)
            if len(norm) < 4 or not name[:1].isupper():
                continue
            # an English word ("Eastern", "Mobile") only when it is a country or a city of a million
            if " " not in norm and self.word_kind(norm) == "common" and pop < 1_000_000:
                continue
            out.append(name)
        return sorted(out)

    def lookup(self, name: str) -> list[GazEntry]:
        """Every entry whose normalised name equals the normalised name (articles dropped if none)."""
        return [m.entry for m in self.matches(name)]

    def matches(self, name: str) -> list[NameMatch]:
        """Like lookup, with how each entry matched; the exact key first, the article-less key if none."""
        norm = normalize(name)
        if not norm:
            return []
        found = self._by_key(norm, bare=False)
        if not found:
            bare = strip_articles(norm)
            if bare:
                found = self._by_key(bare, bare=True)
        return found

    def get(self, entry_id: str) -> GazEntry | None:
        """The entry with this id ("gn:170063", "cw:sy-aleppo-bustan-al-qasr"), or None."""
        if entry_id.startswith("gn:") and entry_id[3:].isdigit():
            row = self._con.execute(f"SELECT {_COLUMNS} FROM entries WHERE geonameid = ? ORDER BY id IS NOT NULL "
                                    "LIMIT 1", (int(entry_id[3:]),)).fetchone()
        else:
            row = self._con.execute(f"SELECT {_COLUMNS} FROM entries WHERE id = ?", (entry_id,)).fetchone()
        return self._entry(row) if row else None

    def word_kind(self, norm: str) -> str | None:
        """"demonym", "common" (an English word) or None for a normalised single word."""
        if self._words is None:
            self._words = dict(self._con.execute("SELECT word, kind FROM words").fetchall())
        return self._words.get(norm)

    def country_name(self, code: str) -> str | None:
        """The country name for an ISO code, as the gazetteer spells it."""
        return self._countries.get(code)

    def additions(self) -> list[GazEntry]:
        """Every entry of the project's additions file."""
        rows = self._con.execute(f"SELECT {_COLUMNS} FROM entries WHERE id LIKE 'cw:%'").fetchall()
        return [self._entry(r) for r in rows]

    def addition_keys(self) -> set[str]:
        """The normalised keys of every entry of the additions file, in one pass over the names
        (``names_of`` for each addition would scan the names table once per entry)."""
        rows = self._con.execute("SELECT n.key FROM names n JOIN entries e ON n.pk = e.pk "
                                 "WHERE e.id LIKE 'cw:%' AND n.kind < ?", (KIND_VARIANT,)).fetchall()
        return {r[0] for r in rows}

    def names_of(self, entry: GazEntry) -> list[str]:
        """The normalised keys that index an entry (for finding its names in text)."""
        pk = self._pk(entry)
        rows = self._con.execute("SELECT key FROM names WHERE pk = ? AND kind < ?", (pk, KIND_VARIANT)).fetchall()
        return [r[0] for r in rows]

    def _pk(self, entry: GazEntry) -> int:
        """The row key of an entry."""
        if entry.id.startswith("gn:"):
            row = self._con.execute("SELECT pk FROM entries WHERE geonameid = ? AND name = ?",
                                    (entry.geonameid, entry.name)).fetchone()
        else:
            row = self._con.execute("SELECT pk FROM entries WHERE id = ?", (entry.id,)).fetchone()
        if row is None:
            raise GazetteerOpenError(f"entry {entry.id} is not in {self.path}")
        return int(row[0])

    def _by_key(self, key: str, bare: bool) -> list[NameMatch]:
        """Matches of one normalised key."""
        rows = self._con.execute(
            f"SELECT n.kind, {', '.join('e.' + c.strip() for c in _COLUMNS.split(','))} "
            "FROM names n JOIN entries e ON e.pk = n.pk WHERE n.key = ?", (key,)).fetchall()
        return [NameMatch(self._entry(r[1:]), int(r[0]), bare) for r in rows]

    def _entry(self, row: tuple) -> GazEntry:
        """A GazEntry from an entries row."""
        _pk, eid, gid, name, lat, lon, cc, a1, a2, fclass, fcode, pop, source = row
        return GazEntry(
            geonameid=gid, id=eid or f"gn:{gid}", name=name, lat=lat, lon=lon, country_code=cc,
            country=self._countries.get(cc) if cc else None, admin1=a1, admin2=a2, feature_class=fclass,
            feature_code=fcode, population=pop, source=source or "geonames",
        )


def default_path() -> Path:
    """Where the default gazetteer lives: the user cache dir, named by the sources' fingerprint."""
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("conflictwire")) / f"gazetteer-{source_fingerprint()}.sqlite"


def ensure_built(path: Path) -> Path:
    """Build the gazetteer at path unless it exists; the file appears whole or not at all."""
    if path.is_file():
        return path
    try:
        with replacing(path) as tmp:
            build_gazetteer(tmp)
    except (OSError, sqlite3.Error) as exc:
        raise GazetteerBuildError(f"cannot build the gazetteer at {path}: {exc}") from exc
    _remove_stale(path)
    return path


def _remove_stale(current: Path) -> None:
    """Delete gazetteer files of other fingerprints beside current (a process still reading one keeps
    its open file on POSIX; on failure the file just stays)."""
    for old in current.parent.glob("gazetteer-*.sqlite"):
        if old != current:
            try:
                old.unlink()
            except OSError:
                pass  # in use on Windows, or removed by another process first: harmless
