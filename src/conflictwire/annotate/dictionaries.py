"""The project's dictionaries (actors, countries, outlets), loaded from the packaged data files."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlparse

from conflictwire.data import cached_csv, split_aliases


def name_key(text: str) -> str:
    """Normalised form of a name for dictionary look-up: case, accents, quotes and hyphens folded."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"[\u2018\u2019\u02bc\u02bb`´]", "'", text)
    text = re.sub(r"[\"\u201c\u201d\u00ab\u00bb]", "", text)
    text = re.sub(r"[-\u2010-\u2015_]", " ", text)
    return " ".join(text.casefold().split())


@dataclass(frozen=True)
class ActorEntry:
    name: str
    kind: str
    country: str | None
    side: str | None
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class Country:
    iso2: str
    name: str
    demonyms: tuple[str, ...]
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class Outlet:
    domain: str
    name: str
    aliases: tuple[str, ...]
    country: str | None
    owner: str
    state_affiliated: str
    wire: bool
    side: str | None


class CountryTable:
    """Countries by ISO code, name, alias and demonym."""

    def __init__(self, rows: list[Country]) -> None:
        self.by_iso = {c.iso2: c for c in rows}
        self._by_key: dict[str, Country] = {}
        for c in rows:
            for n in (c.name, *c.aliases, *c.demonyms):
                self._by_key.setdefault(name_key(n), c)
        self.demonym_keys = {name_key(d) for c in rows for d in c.demonyms}

    @classmethod
    def default(cls) -> CountryTable:
        return cls([
            Country(r["iso2"], r["name"], tuple(split_aliases(r["demonyms"])), tuple(split_aliases(r["aliases"])))
            for r in cached_csv("countries.csv")
        ])

    def find(self, text: str) -> Country | None:
        """The country a name, alias or demonym ("Syrian") refers to."""
        return self._by_key.get(name_key(text))

    def name_of(self, iso2: str | None) -> str | None:
        c = self.by_iso.get(iso2 or "")
        return c.name if c else None


class ActorDictionary:
    """Named actors with ACLED-style names and their aliases."""

    def __init__(self, entries: list[ActorEntry]) -> None:
        self.entries = entries
        self._by_key: dict[str, ActorEntry] = {}
        for e in entries:
            for n in (e.name, *e.aliases):
                self._by_key.setdefault(name_key(n), e)

    @classmethod
    def default(cls) -> ActorDictionary:
        return cls([
            ActorEntry(r["name"], r["kind"], r["country"] or None, r["side"] or None, tuple(split_aliases(r["aliases"])))
            for r in cached_csv("actors.csv")
        ])

    def find(self, text: str) -> ActorEntry | None:
        """The actor a name or alias refers to, or None."""
        key = name_key(text)
        hit = self._by_key.get(key)
        if hit is None and key.startswith("the "):
            hit = self._by_key.get(key[4:])
        return hit

    def by_name(self, name: str) -> ActorEntry | None:
        return next((e for e in self.entries if e.name == name), None)

    def surface_forms(self) -> list[tuple[str, ActorEntry]]:
        """Every name and alias with its entry, for entity rules."""
        return [(n, e) for e in self.entries for n in (e.name, *e.aliases)]


class OutletRegistry:
    """Outlets with their ownership group, state affiliation and side."""

    def __init__(self, outlets: list[Outlet]) -> None:
        self.outlets = outlets
        self._by_key: dict[str, Outlet] = {}
        for o in outlets:
            for n in (o.name, *o.aliases, o.domain):
                if n:
                    self._by_key.setdefault(name_key(n), o)

    @classmethod
    def default(cls) -> OutletRegistry:
        return cls([
            Outlet(r["domain"], r["name"], tuple(split_aliases(r["aliases"])), r["country"] or None, r["owner"] or r["name"],
                   r["state_affiliated"], r["wire"] == "yes", r["side"] or None)
            for r in cached_csv("outlets.csv")
        ])

    def find(self, name: str | None = None, url: str | None = None) -> Outlet | None:
        """The registry entry for an outlet name or a URL's domain."""
        if name:
            hit = self._by_key.get(name_key(name))
            if hit:
                return hit
        if url:
            host = (urlparse(url).hostname or "").lower()
            parts = host.split(".")
            for i in range(len(parts) - 1):
                hit = self._by_key.get(".".join(parts[i:]))
                if hit:
                    return hit
        return None

    def owner_of(self, name: str | None, url: str | None = None) -> str:
        """The ownership group an outlet counts under for independence (its own name if unknown)."""
        o = self.find(name, url)
        if o:
            return o.owner
        if name:
            return name_key(name)
        return (urlparse(url).hostname or "unknown").lower() if url else "unknown"
