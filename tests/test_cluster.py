"""Clustering decisions on hand-made reports: days, midnight, parts of the day, places, splits, meaning."""

from __future__ import annotations

import datetime as dt

import numpy as np

from conflictwire.events.cluster import Clusterer, compatibility
from conflictwire.extract.embed import quantize
from conflictwire.model import DateInfo, Event, Location, Report, StoredReport


class _Store:
    """Every live event is a candidate: the decisions here are the clusterer's, not the blocking's."""

    def __init__(self) -> None:
        self.events: dict[str, Event] = {}

    def candidate_events(self, date_from, date_to, bbox):  # type: ignore[no-untyped-def]
        return list(self.events.values())

    def save_event(self, event: Event, reason: str) -> Event:
        event.version += 1
        self.events[event.id] = event
        return event

    def delete_event(self, event_id: str, reason: str) -> None:
        self.events.pop(event_id, None)


def _report(i: int, day: str, text: str) -> StoredReport:
    rep = Report(event_type="Explosions/Remote violence", sub_event_type="Shelling/artillery/missile attack",
                 confidence=0.9, actor1=None, actor2=None,
                 location=Location(text="Ariha", name="Ariha", lat=35.81, lon=36.61, country_code="SY", precision=1),
                 date=DateInfo(text, day, "day", None), fatalities=None, quantities=[], claimant=None,
                 modality="reported", evidence=[], why_empty={})
    return StoredReport(id=i, article_id=i, report=rep, article_external_id=None, outlet=f"Outlet {i}", url=None,
                        published=dt.date.fromisoformat(day), content_hash=f"h{i}")


def test_the_same_town_on_consecutive_days_is_two_events():
    store = _Store()
    Clusterer(store).add([_report(1, "2023-08-21", "on Monday"), _report(2, "2023-08-22", "on Tuesday")])
    assert len(store.events) == 2


def test_one_night_named_by_two_days_is_one_event():
    store = _Store()
    Clusterer(store).add([_report(1, "2023-08-21", "late on Monday"), _report(2, "2023-08-22", "early on Tuesday")])
    assert len(store.events) == 1


def test_the_same_day_from_two_outlets_is_one_event():
    store = _Store()
    Clusterer(store).add([_report(1, "2023-08-21", "on Monday"), _report(2, "2023-08-21", "on Monday afternoon")])
    assert len(store.events) == 1


def _at(i: int, article: int, lat: float, lon: float, part: str | None = None, day: str = "2025-03-11") -> StoredReport:
    """An air strike in Kharkiv, at a point, from an article, timed to a part of the day or not."""
    rep = Report(event_type="Explosions/Remote violence", sub_event_type="Air/drone strike", confidence=0.9,
                 location=Location(text="Kharkiv", name="Kharkiv", lat=lat, lon=lon, country_code="UA", precision=1),
                 date=DateInfo("on Tuesday", day, "day", None, part), modality="reported")
    return StoredReport(id=i, article_id=article, report=rep, article_external_id=None, outlet=f"Outlet {article}",
                        url=None, published=dt.date.fromisoformat(day), content_hash=f"h{article}")


_INDUSTRIAL = (49.95, 36.40)
_SALTIVKA = (50.03, 36.30)  # about 11 km from _INDUSTRIAL: within one city-level place's reach


def test_a_morning_and_an_evening_strike_on_one_day_are_two_events():
    store = _Store()
    Clusterer(store).add([_at(1, 1, *_INDUSTRIAL, "morning"), _at(2, 2, *_SALTIVKA, "evening")])
    assert len(store.events) == 2


def test_neighbouring_parts_of_the_day_stay_one_event():
    store = _Store()
    Clusterer(store).add([_at(1, 1, *_INDUSTRIAL, "evening"), _at(2, 2, *_INDUSTRIAL, "night")])
    assert len(store.events) == 1


def test_a_roundup_that_tells_two_strikes_apart_splits_a_wrongly_merged_event():
    store = _Store()
    clusterer = Clusterer(store)
    # two outlets, one strike each, neither timed: one event, as nothing tells them apart
    clusterer.add([_at(1, 1, *_INDUSTRIAL), _at(2, 2, *_SALTIVKA)])
    assert len(store.events) == 1
    merged_id = next(iter(store.events))
    # a roundup reports both, apart: its first report joins the event, its second splits the Saltivka report off
    changed = clusterer.add([_at(3, 3, *_INDUSTRIAL), _at(4, 3, *_SALTIVKA)])
    groups = sorted(sorted(r.id for r in e.reports) for e in store.events.values())
    assert groups == [[1, 3], [2, 4]]
    assert merged_id in store.events and sorted(r.id for r in store.events[merged_id].reports) == [1, 3]
    assert {e.id for e in changed} == set(store.events)


def test_an_event_of_one_incident_is_not_split_by_a_roundup_sibling():
    store = _Store()
    clusterer = Clusterer(store)
    clusterer.add([_at(1, 1, *_INDUSTRIAL), _at(2, 2, *_INDUSTRIAL)])
    # the roundup's second report is of another incident in another country: nothing to split off
    far = _at(4, 3, 48.0, 37.8)
    far.report.location = Location(text="Donetsk", name="Donetsk", lat=48.0, lon=37.8, country_code="UA", precision=1)
    clusterer.add([_at(3, 3, *_INDUSTRIAL), far])
    groups = sorted(sorted(r.id for r in e.reports) for e in store.events.values())
    assert groups == [[1, 2, 3], [4]]


def _embedded(i: int, vec: list[float]) -> StoredReport:
    r = _at(i, i, *_INDUSTRIAL)
    r.report.embedding = quantize([np.asarray(vec, dtype=np.float32)])
    return r


def test_evidence_that_means_alike_fits_better_than_evidence_that_does_not():
    base = [1.0, 0.0, 0.0, 0.0]
    event = Event(id="ev", event_type="Explosions/Remote violence", sub_event_type="Air/drone strike", actor1=None,
                  actor2=None, location=None, date=None, fatalities=None, grade="single-source", grade_reason="",
                  independent_sources=1, reports=[_embedded(1, base)])
    alike = compatibility(_embedded(2, [0.9, 0.1, 0.0, 0.0]), event)
    unlike = compatibility(_embedded(3, [0.0, 0.0, 1.0, 0.0]), event)
    without = compatibility(_at(4, 4, *_INDUSTRIAL), event)
    assert alike is not None and unlike is not None and without is not None
    assert alike > without > unlike
