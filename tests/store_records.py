"""Builders of model records for the store, API and export tests."""

from __future__ import annotations

import datetime as dt

from conflictwire.model import (
    Actor,
    Article,
    Claimant,
    DateInfo,
    Event,
    Fatalities,
    Location,
    Report,
    Span,
    StoredReport,
)


def make_article(n: int, text: str | None = None, **kw: object) -> Article:
    """An article numbered ``n``, with distinct text unless ``text`` is given."""
    fields: dict[str, object] = {
        "title": f"Shelling in town {n}",
        "external_id": f"ext-{n}",
        "outlet": f"Outlet {n % 3}",
        "url": f"https://example.org/{n}",
        "published": dt.date(2024, 10, 17),
        "language": "en",
        "source": f"input-{n}.txt",
    }
    fields.update(kw)
    body = text if text is not None else f"Article {n}: government forces shelled the town of Kafr {n}."
    return Article(text=body, **fields)  # type: ignore[arg-type]


def make_report(day: int = 17, lat: float | None = 35.9, lon: float | None = 36.6,
                actor: str = "Military Forces of Syria", side: str | None = "government") -> Report:
    """A shelling report dated 2024-10-``day``."""
    return Report(
        event_type="Explosions/Remote violence",
        sub_event_type="Shelling/artillery/missile attack",
        confidence=0.8,
        actor1=Actor("government forces", actor, "state", side),
        actor2=Actor("civilians", "Civilians (Syria)", "civilians"),
        location=Location("Kafr", "Kafr Nabl", lat, lon, "Syria", "SY", "Idlib", None, 101, 1)
        if lat is not None else None,
        date=DateInfo("on Thursday", f"2024-10-{day:02d}", "day"),
        fatalities=Fatalities(3, 3, 3, "three people", None),
        claimant=Claimant("the outlet", "Outlet", "outlet"),
        modality="asserted",
        evidence=[Span(0, 20)],
    )


def make_event(event_id: str, reports: list[StoredReport], day: int | None = 17,
               lat: float | None = 35.9, lon: float | None = 36.6, grade: str = "single-source",
               sources: int = 1, event_type: str = "Explosions/Remote violence",
               sub_event_type: str = "Shelling/artillery/missile attack",
               actor: str = "Military Forces of Syria", country_code: str = "SY",
               fatalities: int | None = 3) -> Event:
    """An event over already-stored reports."""
    return Event(
        id=event_id,
        event_type=event_type,
        sub_event_type=sub_event_type,
        actor1=Actor("government forces", actor, "state", "government"),
        actor2=None,
        location=Location("Kafr", "Kafr Nabl", lat, lon, "Syria", country_code, "Idlib", None, 101, 1)
        if lat is not None else None,
        date=DateInfo("on Thursday", f"2024-10-{day:02d}", "day") if day is not None else None,
        fatalities=Fatalities(fatalities, fatalities, fatalities, "people", "at least")
        if fatalities is not None else None,
        grade=grade,  # type: ignore[arg-type]
        grade_reason="one outlet",
        independent_sources=sources,
        reports=reports,
    )
