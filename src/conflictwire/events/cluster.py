"""Clustering: reports of one incident, from many articles, become one event.

Incremental: each new report is compared with the live events near it in time and space (the store
blocks candidates by date window and bounding box), joins the best compatible one or starts a new
event. A report compatible with two events merges them. Event ids derive from the first report's
article content and position, so they do not depend on database ids or ingest order.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from conflictwire.annotate.dictionaries import OutletRegistry
from conflictwire.events import reconcile
from conflictwire.events.grade import grade, independent_sources
from conflictwire.extract.dates import parts_apart
from conflictwire.extract.embed import similarity
from conflictwire.geo.resolve import haversine_km
from conflictwire.model import Event, Location, Report, StoredReport
from conflictwire.taxonomy import event_type_of, family_of

_DATE_TOLERANCE_DAYS = {"day": 1, "week": 7, "month": 31, "year": 366}
_RADIUS_KM = {1: 30.0, 2: 60.0, 3: 250.0}
#: The evidence-meaning term of the compatibility score: weight x (cosine - pivot).
MEANING_WEIGHT = 1.0
MEANING_PIVOT = 0.45
#: Time expressions near midnight, where sources often name neighbouring days for one incident.
_AROUND_MIDNIGHT = re.compile(r"\b(overnight|night|late|early|dawn|midnight|small hours|before daybreak)\b", re.I)


class EventStore(Protocol):
    """What clustering needs from the store (conflictwire.store.Store)."""

    def candidate_events(self, date_from: dt.date | None, date_to: dt.date | None,
                         bbox: tuple[float, float, float, float] | None) -> list[Event]: ...

    def save_event(self, event: Event, reason: str) -> Event: ...

    def delete_event(self, event_id: str, reason: str) -> None: ...


@dataclass(frozen=True)
class ClusterConfig:
    """Thresholds of the compatibility score (see ``compatibility``)."""

    join_threshold: float = 1.1
    undated_window_days: int = 7


def event_id_for(r: StoredReport) -> str:
    """A stable event id from the report's article content and its place in the article."""
    first = r.report.evidence[0].start if r.report.evidence else 0
    key = f"{r.content_hash or r.article_id}:{r.report.sub_event_type}:{first}"
    return "ev-" + hashlib.sha256(key.encode()).hexdigest()[:16]


def _km(a: Location, b: Location) -> float:
    return haversine_km((a.lat or 0.0, a.lon or 0.0), (b.lat or 0.0, b.lon or 0.0))


def _date_score(a: Report, b: Report) -> float | None:
    """1 for the same day, less for dates apart within both precisions; None when incompatible."""
    da, db = a.date, b.date
    if da and db and da.part_of_day and db.part_of_day and parts_apart(da.part_of_day, db.part_of_day) \
            and (da.value == db.value or not (da.value and db.value)):
        return None  # a morning strike and an evening strike are two strikes (undated: the same day or two days)
    if not (da and da.value and db and db.value):
        return 0.3
    tol = max(_DATE_TOLERANCE_DAYS.get(da.precision or "year", 366), _DATE_TOLERANCE_DAYS.get(db.precision or "year", 366))
    gap = abs((dt.date.fromisoformat(da.value) - dt.date.fromisoformat(db.value)).days)
    if gap > tol:
        return None
    if gap and da.precision == db.precision == "day" and not (_AROUND_MIDNIGHT.search(da.text or "")
                                                               or _AROUND_MIDNIGHT.search(db.text or "")):
        return None  # two sources naming two different days tell of two days, unless one is about midnight
    return 1.0 - gap / (tol + 1)


def _place_score(a: Report, b: Report) -> float | None:
    """1 for the same spot, less with distance within both precisions; None when too far apart."""
    la, lb = a.location, b.location
    if not (la and la.lat is not None and lb and lb.lat is not None):
        if la and lb and la.country_code and lb.country_code and la.country_code != lb.country_code:
            return None
        return 0.3
    if la.country_code and lb.country_code and la.country_code != lb.country_code:
        return None
    radius = max(_RADIUS_KM.get(la.precision or 3, 250.0), _RADIUS_KM.get(lb.precision or 3, 250.0))
    d = _km(la, lb)
    if d > radius:
        return None
    return 1.0 - d / (radius * 1.5)


def _actor_score(a: Report, b: Report) -> float:
    """Shared named actors add; two sets of named actors with nothing in common subtract."""
    def named(r: Report) -> set[str]:
        return {x.name for x in (r.actor1, r.actor2, *r.associated_actors)
                if x and x.kind not in ("civilians", "unidentified")}
    na, nb = named(a), named(b)
    if not na or not nb:
        return 0.0
    shared = len(na & nb)
    return 0.4 * shared if shared else -0.6


def _meaning_score(a: Report, b: Report) -> float:
    """Sentences that mean alike add, unlike ones subtract (0 without embeddings, as under --fast).

    On the bundled corpus, reports of one incident that pass the date and place tests have a median
    cosine of about 0.6, and reports of different incidents that pass them 0.3 to 0.4: the term
    separates what time and place cannot, but is too noisy to decide alone.
    """
    if not (a.embedding and b.embedding):
        return 0.0
    return MEANING_WEIGHT * (similarity(a.embedding, b.embedding) - MEANING_PIVOT)


def pair_score(r: StoredReport, other: StoredReport) -> float | None:
    """How well two reports of different articles fit one incident: None when they cannot."""
    if family_of(r.report.event_type) != family_of(other.report.event_type):
        return None
    ds, ps = _date_score(r.report, other.report), _place_score(r.report, other.report)
    if ds is None or ps is None:
        return None
    score = ds + ps + _actor_score(r.report, other.report) + _meaning_score(r.report, other.report)
    return score + (0.4 if r.report.sub_event_type == other.report.sub_event_type else 0.0)


def compatibility(r: StoredReport, event: Event) -> float | None:
    """How well a report fits an event: None when it cannot be the same incident."""
    if any(x.article_id == r.article_id for x in event.reports):
        return None  # one article's reports are different incidents by construction
    if family_of(r.report.event_type) != family_of(event.event_type):
        return None
    best: float | None = None
    for other in event.reports:
        score = pair_score(r, other)
        if score is None:
            return None  # a report must fit every report of the event, not just one
        best = score if best is None else max(best, score)
    return best


def split_off(r: StoredReport, event: Event, threshold: float) -> list[StoredReport]:
    """The reports of ``event`` that belong with ``r`` rather than with its own article's report there.

    An event holding a report of r's article cannot take r: the extractor told them apart as two
    incidents. If other reports of the event fit r better than the sibling (a roundup that tells the
    morning strike and the evening strike apart, after three outlets' reports of them were merged),
    the event was wrongly merged and those reports go with r. Empty when there is nothing to split.
    """
    own = [x for x in event.reports if x.article_id == r.article_id]
    others = [x for x in event.reports if x.article_id != r.article_id]
    if not own or not others:
        return []
    moved = []
    for x in others:
        mine = pair_score(r, x)
        theirs = [s for s in (pair_score(o, x) for o in own) if s is not None]
        if mine is not None and mine >= threshold and (not theirs or mine > max(theirs)):
            moved.append(x)
    if len(moved) == len(others) or any(pair_score(a, b) is None for a in moved for b in moved if a.id < b.id):
        return []  # all of them (the sibling is then the odd one out) or a set that is no incident itself
    return moved


class Clusterer:
    """Assigns stored reports to events in the store, creating, updating and merging events."""

    def __init__(self, store: EventStore, outlets: OutletRegistry | None = None,
                 config: ClusterConfig | None = None, credits: Callable[[int], str | None] | None = None) -> None:
        """``credits`` gives the outlet an article's text credits (a wire agency), by article id."""
        self.store = store
        self.outlets = outlets or OutletRegistry.default()
        self.config = config or ClusterConfig()
        self.credits = credits or (lambda _article_id: None)

    def add(self, reports: Sequence[StoredReport]) -> list[Event]:
        """Cluster new reports; returns the events created or changed, as stored."""
        changed: dict[str, Event] = {}
        for r in reports:
            for ev in self._add_one(r):
                changed[ev.id] = ev
        return list(changed.values())

    def _add_one(self, r: StoredReport) -> list[Event]:
        scored = []
        for ev in self._candidates(r):
            s = compatibility(r, ev)
            if s is not None and s >= self.config.join_threshold:
                scored.append((s, ev))
            elif s is None and (moved := split_off(r, ev, self.config.join_threshold)):
                return self._split(r, ev, moved)
        scored.sort(key=lambda x: (-x[0], x[1].id))
        if not scored:
            event = self._build(event_id_for(r), [r], version=0)
            return [self.store.save_event(event, "new event from a report of an article not seen before")]
        target = scored[0][1]
        members = [*target.reports, r]
        reason = f"report {r.id} ({r.outlet or 'unknown outlet'}) joined"
        for _, other in scored[1:]:
            if all(compatibility(x, target) is not None for x in other.reports):
                members += other.reports
                self.store.delete_event(other.id, f"merged into {target.id}: report {r.id} links them")
                reason += f"; merged {other.id}"
        event = self._build(target.id, members, target.version)
        return [self.store.save_event(event, reason)]

    def _split(self, r: StoredReport, event: Event, moved: list[StoredReport]) -> list[Event]:
        """Split ``moved`` off ``event`` into a new event with ``r`` (see ``split_off``)."""
        moved_ids = {x.id for x in moved}
        kept = [x for x in event.reports if x.id not in moved_ids]
        new_id = event_id_for(r)
        names = ", ".join(f"report {x.id} ({x.outlet or 'unknown outlet'})" for x in moved)
        siblings = ", ".join(str(x.id) for x in kept if x.article_id == r.article_id)
        old = self.store.save_event(self._build(event.id, kept, event.version),
                                    f"split: {names} moved to {new_id}, as article {r.article_id} tells their "
                                    f"incident apart from report(s) {siblings}")
        new = self.store.save_event(self._build(new_id, [*moved, r], version=0),
                                    f"new event split from {event.id}: report {r.id} ({r.outlet or 'unknown outlet'}) "
                                    f"and {names}, which fit it better than its sibling report(s) {siblings}")
        return [old, new]

    def _candidates(self, r: StoredReport) -> list[Event]:
        """Live events near the report in time and space."""
        d = r.report.date
        if d and d.value:
            center = dt.date.fromisoformat(d.value)
            tol = _DATE_TOLERANCE_DAYS.get(d.precision or "year", 366)
        else:
            center = r.published or dt.date.today()
            tol = self.config.undated_window_days
        loc = r.report.location
        bbox = None
        if loc and loc.lat is not None and loc.lon is not None:
            deg = _RADIUS_KM[3] / 111.0
            bbox = (loc.lon - deg, loc.lat - deg, loc.lon + deg, loc.lat + deg)
        return self.store.candidate_events(center - dt.timedelta(days=tol), center + dt.timedelta(days=tol), bbox)

    def _build(self, event_id: str, members: list[StoredReport], version: int) -> Event:
        """An event with fields reconciled from its reports and its grade."""
        credits = {m.article_id: self.credits(m.article_id) for m in members}
        sources = independent_sources(members, self.outlets, credits)
        sub = reconcile.sub_event_type(members)
        a1, a2 = reconcile.actors(members)
        g, why = grade(members, sources)
        return Event(
            id=event_id, event_type=event_type_of(sub), sub_event_type=sub, actor1=a1, actor2=a2,
            location=reconcile.location(members), date=reconcile.date(members),
            fatalities=reconcile.fatalities(members, sources), grade=g, grade_reason=why,  # type: ignore[arg-type]
            independent_sources=len(sources.groups),
            reports=[dataclasses.replace(m) for m in sorted(members, key=lambda m: m.id)], version=version,
        )
