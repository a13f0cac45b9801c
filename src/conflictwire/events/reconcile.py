"""Reconciled event fields from an event's reports: votes for types and actors, ranges for numbers."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence

from conflictwire.events.grade import SourceGroups, source_figures, standing_figures
from conflictwire.model import Actor, DateInfo, Fatalities, Location, StoredReport

#: The qualifier of a reconciled toll that is the latest count of figures rising day by day.
RUNNING_TOLL = "latest count of a rising toll"
_PRECISION_RANK = {"day": 0, "week": 1, "month": 2, "year": 3}


def sub_event_type(reports: Sequence[StoredReport]) -> str:
    """The sub-event type with the most confidence behind it."""
    votes: Counter[str] = Counter()
    for r in reports:
        votes[r.report.sub_event_type] += r.report.confidence
    return votes.most_common(1)[0][0]


def date(reports: Sequence[StoredReport]) -> DateInfo | None:
    """The most precise date the reports give; among equally precise ones, the most often given."""
    dated = [r.report.date for r in reports if r.report.date and r.report.date.value]
    if not dated:
        whys = [r.report.date.why for r in reports if r.report.date and r.report.date.why]
        return DateInfo(None, None, None, whys[0] if whys else "no report gives a date")
    best_rank = min(_PRECISION_RANK.get(d.precision or "year", 3) for d in dated)
    precise = [d for d in dated if _PRECISION_RANK.get(d.precision or "year", 3) == best_rank]
    counts = Counter(d.value for d in precise)
    top = max(counts.items(), key=lambda kv: (kv[1], -int((kv[0] or "0").replace("-", ""))))[0]
    return next(d for d in precise if d.value == top)


def location(reports: Sequence[StoredReport]) -> Location | None:
    """The most precise place, the one named most often among equally precise ones."""
    locs = [r.report.location for r in reports if r.report.location and r.report.location.lat is not None]
    if not locs:
        return None
    best = min(loc.precision or 3 for loc in locs)
    precise = [loc for loc in locs if (loc.precision or 3) == best]
    counts = Counter((loc.name, loc.geonameid) for loc in precise)
    key = counts.most_common(1)[0][0]
    return next(loc for loc in precise if (loc.name, loc.geonameid) == key)


def actors(reports: Sequence[StoredReport]) -> tuple[Actor | None, Actor | None]:
    """actor1 and actor2 by vote over the reports."""
    a1: Counter[str] = Counter()
    a2: Counter[str] = Counter()
    seen: dict[str, Actor] = {}
    for r in reports:
        for counter, actor in ((a1, r.report.actor1), (a2, r.report.actor2)):
            if actor:
                counter[actor.name] += 1
                seen.setdefault(actor.name, actor)
    first = a1.most_common(1)[0][0] if a1 else None
    second = next((n for n, _ in a2.most_common() if n != first), None)
    return (seen[first] if first else None), (seen[second] if second else None)


def fatalities(reports: Sequence[StoredReport], sources: SourceGroups) -> Fatalities | None:
    """Low/best/high across independent sources, each source's own figure (its highest) kept in the
    text; a running toll counts its latest figures only (see ``grade.standing_figures``)."""
    figures = source_figures(reports, sources)
    if not figures:
        return None
    standing = standing_figures(figures)
    per_source = [(label, f) for label, (f, _) in figures.items() if label in standing]
    bests = [f.best for _, f in per_source if f.best is not None]
    lows = [f.low if f.low is not None else f.best for _, f in per_source]
    highs = [f.high if f.high is not None else f.best for _, f in per_source]
    text = "; ".join(f"{label}: {f.text}" + ("" if label in standing else f" (superseded, {d})")
                     for label, (f, d) in figures.items())
    if len(per_source) < len(figures):
        qualifier = RUNNING_TOLL
    else:
        qualifier = per_source[0][1].qualifier if len(per_source) == 1 else "range across sources"
    return Fatalities(
        low=min(x for x in lows if x is not None) if any(x is not None for x in lows) else None,
        best=int(statistics.median_low(bests)) if bests else None,
        high=max(x for x in highs if x is not None) if any(x is not None for x in highs) else None,
        text=text,
        qualifier=qualifier,
    )
