"""Clustering decisions on hand-made reports: days, midnight, places."""

from __future__ import annotations

import datetime as dt

from conflictwire.events.cluster import Clusterer
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
