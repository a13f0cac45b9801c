"""Scoring events against a gold corpus: B-cubed of article-to-event assignment, grades and fields.

The gold (``examples/corpus/gold.json``) lists, per real incident, the articles that report it and its
grade. An *item* is one (article, incident) pair of the gold. The system's event of an item is the
stored event that holds a report of that article and gathers most of the incident's articles. B-cubed
precision of an item is the share of the items in its system event that belong to its incident;
recall is the share of its incident's items that its system event holds (Bagga and Baldwin, 1998).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conflictwire.geo.resolve import haversine_km
from conflictwire.model import Event


def article_ref(source: str) -> str:
    """The gold.json reference of an article's source path: its file name, "#N" kept ("batch.jsonl#2")."""
    return Path(source).name


def events_by_ref(store: Any) -> tuple[list[Event], dict[int, str]]:
    """A store's events, and the gold reference of each article their reports come from."""
    events = list(store.iter_events())
    ids = {r.article_id for e in events for r in e.reports}
    return events, {i: article_ref(a.source or "") for i, a in store.get_articles(ids).items()}


@dataclass
class EventScores:
    items: int = 0
    precision: float = 0.0
    recall: float = 0.0
    graded: int = 0
    graded_right: int = 0
    events_per_incident: float = 0.0
    per_incident: list[dict[str, Any]] = field(default_factory=list)

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"items": self.items, "bcubed_precision": self.precision, "bcubed_recall": self.recall,
                "bcubed_f1": self.f1, "grades_right": self.graded_right, "graded": self.graded,
                "events_per_incident": self.events_per_incident, "incidents": self.per_incident}


def score_events(events: Sequence[Event], refs: Mapping[int, str], gold: Iterable[Mapping[str, Any]]) -> EventScores:
    """Score stored ``events`` (``refs``: article id -> gold reference) against gold incidents."""
    gold = list(gold)
    by_ref: dict[str, list[Event]] = {}
    for e in events:
        for r in e.reports:
            ref = refs.get(r.article_id)
            if ref is not None and e not in by_ref.setdefault(ref, []):
                by_ref[ref].append(e)
    assign: dict[tuple[str, str], str | None] = {}  # (article ref, incident key) -> system event id
    out = EventScores()
    spread = []
    for g in gold:
        wanted = set(g["articles"])
        # the incident's system events: from its articles, of its type, on its day and at its place
        touched = {e.id for a in wanted for e in by_ref.get(a, []) if _looks_like(e, g)}
        spread.append(len(touched))
        for a in wanted:
            cands = by_ref.get(a, [])
            best = max(cands, key=lambda e: (len(wanted & {refs.get(r.article_id) for r in e.reports}), e.id),
                       default=None)
            assign[(a, g["key"])] = best.id if best else None
        main = max((e for e in events if wanted & {refs.get(r.article_id) for r in e.reports}),
                   key=lambda e: len(wanted & {refs.get(r.article_id) for r in e.reports}), default=None)
        ok_grades = [g.get("grade"), *g.get("grade_also", [])]
        right = main is not None and main.grade in ok_grades
        out.graded += 1
        out.graded_right += right
        out.per_incident.append({"key": g["key"], "system_events": max(len(touched), 1 if main else 0),
                                 "grade": main.grade if main else None, "gold_grade": g.get("grade"),
                                 "grade_right": right})
    items = list(assign)
    out.items = len(items)
    if not items:
        return out
    p_sum = r_sum = 0.0
    for a, k in items:
        mine = assign[(a, k)]
        same_gold = [i for i in items if i[1] == k]
        if mine is None:
            # an article whose report was lost: an event of its own, right only about itself
            p_sum += 1.0
            r_sum += 1.0 / len(same_gold)
            continue
        same_sys = [i for i in items if assign[i] == mine]
        both = sum(1 for i in same_sys if i[1] == k)
        p_sum += both / len(same_sys)
        r_sum += both / len(same_gold)
    out.precision = p_sum / len(items)
    out.recall = r_sum / len(items)
    out.events_per_incident = sum(spread) / len(spread) if spread else 0.0
    return out


def _looks_like(e: Event, g: Mapping[str, Any]) -> bool:
    """Whether a system event matches a gold incident's type, day (within a day) and place."""
    if e.event_type != g.get("event_type"):
        return False
    if g.get("date") and e.date and e.date.value:
        if abs((dt.date.fromisoformat(e.date.value) - dt.date.fromisoformat(g["date"])).days) > 1:
            return False
    if g.get("near") and e.location and e.location.lat is not None and e.location.lon is not None:
        if haversine_km((e.location.lat, e.location.lon), tuple(g["near"])) > max(g.get("within_km", 25), 25):
            return False
    return True


def format_events(sc: EventScores) -> str:
    """Plain-text figures: B-cubed, grades, and each incident's system events and grade."""
    lines = [f"article-to-event assignment, B-cubed over {sc.items} (article, incident) items:",
             f"  precision {sc.precision:.3f}  recall {sc.recall:.3f}  F1 {sc.f1:.3f}",
             f"  system events per incident (of its type, day and place, from its articles): {sc.events_per_incident:.2f}",
             f"grades right: {sc.graded_right}/{sc.graded}"]
    for row in sc.per_incident:
        mark = "ok " if row["grade_right"] else "BAD"
        lines.append(f"  {mark} {row['key']:<40} events {row['system_events']}  grade {row['grade']} "
                     f"(gold {row['gold_grade']})")
    return "\n".join(lines)
