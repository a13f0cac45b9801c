"""B-cubed scoring of article-to-event assignment, on hand-made events."""

from __future__ import annotations

import dataclasses

import pytest

from conflictwire.events.scoring import score_events
from conflictwire.model import DateInfo, Event, Location, Report, StoredReport

_REPORT = Report(event_type="Battles", sub_event_type="Armed clash", confidence=0.9, actor1=None, actor2=None,
                 location=Location(text="Inekar", name="Inékar", lat=15.96, lon=3.14, country_code="ML", precision=1),
                 date=DateInfo("Tuesday", "2024-04-02", "day", None), fatalities=None, quantities=[], claimant=None,
                 modality="asserted", evidence=[], why_empty={})


def _event(eid: str, article_ids: list[int], grade: str = "corroborated") -> Event:
    reports = [StoredReport(id=i, article_id=i, report=_REPORT, article_external_id=None, outlet=None, url=None,
                            published=None) for i in article_ids]
    return Event(id=eid, event_type="Battles", sub_event_type="Armed clash", actor1=None, actor2=None,
                 location=_REPORT.location, date=_REPORT.date, fatalities=None, grade=grade, grade_reason="",  # type: ignore[arg-type]
                 independent_sources=len(article_ids), reports=reports)


GOLD = [{"key": "a", "event_type": "Battles", "date": "2024-04-02", "near": [15.96, 3.14], "within_km": 25,
         "articles": ["a1", "a2", "a3"], "grade": "corroborated"},
        {"key": "b", "event_type": "Battles", "date": "2024-04-02", "near": [15.96, 3.14], "within_km": 25,
         "articles": ["b1"], "grade": "single-source"}]
REFS = {1: "a1", 2: "a2", 3: "a3", 4: "b1"}


def test_perfect_clustering_scores_one():
    sc = score_events([_event("e1", [1, 2, 3]), _event("e2", [4], "single-source")], REFS, GOLD)
    assert (sc.items, sc.precision, sc.recall, sc.f1) == (4, 1.0, 1.0, 1.0)
    assert sc.graded_right == 2


def test_a_wrong_merge_costs_precision_not_recall():
    sc = score_events([_event("e1", [1, 2, 3, 4])], REFS, GOLD)
    assert sc.recall == 1.0
    # three items see 3 of 4 right, the lone one 1 of 4
    assert sc.precision == pytest.approx((3 * 0.75 + 0.25) / 4)
    assert sc.graded_right == 1  # "b" is graded corroborated: wrong


def test_a_split_costs_recall_not_precision():
    sc = score_events([_event("e1", [1, 2]), _event("e3", [3]), _event("e2", [4], "single-source")], REFS, GOLD)
    assert sc.precision == 1.0
    assert sc.recall == pytest.approx((2 / 3 + 2 / 3 + 1 / 3 + 1) / 4)
    assert sc.per_incident[0]["system_events"] == 2


def test_an_event_elsewhere_is_no_fragment_of_the_incident():
    far = dataclasses.replace(_event("e9", [3]), location=Location(text="Gao", name="Gao", lat=16.27, lon=-0.04,
                                                                   country_code="ML", precision=1))
    sc = score_events([_event("e1", [1, 2]), far, _event("e2", [4], "single-source")], REFS, GOLD)
    assert sc.per_incident[0]["system_events"] == 1
