"""Clustering cost as the number of reports grows (a script, not a test).

    python bench/cluster_bench.py [--sizes 10000,100000,1000000] [--per-day 3000] [--undated 0.05]

Synthetic reports shaped like conflict news (by default 3,000 reports a day, so the span grows with
the size; ``--per-day 0`` puts every size in one year, so density grows too): incidents at 40 hot spots (points spread over
~150 km around real conflict areas), one to eight reports each from different articles (most one or
two), dates at day precision with some one-day disagreement, a share at week or month precision and
a share undated, places jittered by up to 15 km with precisions 1-3, types from all families, and
actors from a small pool. Reports arrive in random order. Each size runs through the real
``Clusterer`` against an in-memory store that blocks candidates exactly as the SQL store does
(date window, bounding box; undated or unplaced events are always candidates). The database's own
cost (one transaction per article, see bench/extract_bench.py for the whole pipeline) is not in these
figures. Prints reports/s, seconds, events made and candidates compared per report, so how cost grows
is visible.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import random
import sys
import time
from bisect import bisect_left, bisect_right

import numpy as np

from conflictwire.events.cluster import Clusterer
from conflictwire.extract.embed import DIMENSION, quantize
from conflictwire.model import Actor, DateInfo, Event, Location, Report, StoredReport

HOTSPOTS = [(36.2, 37.15), (35.9, 36.6), (33.5, 36.3), (31.5, 34.45), (15.6, 32.5), (13.6, 25.35), (48.0, 37.8),
            (49.99, 36.23), (46.6, 32.6), (2.05, 45.3), (11.85, 13.15), (12.0, 8.5), (16.27, -0.04), (14.0, 0.9),
            (12.4, -1.5), (-1.68, 29.22), (-0.5, 29.0), (9.0, 38.75), (13.5, 39.5), (34.5, 69.2), (31.6, 65.7),
            (33.0, 70.1), (21.9, 96.1), (19.75, 96.1), (4.6, -74.1), (8.0, -72.5), (19.4, -99.1), (18.55, -72.33),
            (33.3, 44.4), (36.35, 43.15), (15.35, 44.2), (12.8, 45.0), (6.45, 3.4), (9.6, 20.0), (4.4, 18.55),
            (-12.9, 40.5), (7.0, 125.6), (24.9, 67.0), (30.2, 67.0), (27.7, 85.3)]
TYPES = [("Battles", "Armed clash"), ("Explosions/Remote violence", "Air/drone strike"),
         ("Explosions/Remote violence", "Shelling/artillery/missile attack"), ("Violence against civilians", "Attack"),
         ("Violence against civilians", "Abduction/forced disappearance"), ("Protests", "Peaceful protest"),
         ("Riots", "Violent demonstration"), ("Strategic developments", "Arrests")]
ACTORS = [Actor("", n, k) for n, k in [("Military Forces of Syria", "state"), ("Hayat Tahrir al-Sham", "rebel"),
                                       ("Rapid Support Forces", "rebel"), ("Military Forces of Russia", "state"),
                                       ("Al Shabaab", "rebel"), ("Boko Haram", "rebel"), ("JNIM", "rebel"),
                                       ("M23", "rebel"), ("Military Forces of Ukraine", "state"), ("Arakan Army", "rebel")]]
PRECISION_OF_DATE = (["day"] * 85) + (["week"] * 8) + (["month"] * 7)


def _meaning(rng: random.Random, np_rng: np.random.Generator, base: np.ndarray) -> bytes | None:
    """An evidence embedding near its incident's (cosine about 0.6, as sentences about one incident
    measure on the bundled corpus); one report in ten has none (extracted with --fast)."""
    if rng.random() < 0.1:
        return None
    return quantize([base + np_rng.normal(0.0, 1.2 / math.sqrt(DIMENSION), DIMENSION).astype(np.float32)])


def synthetic_reports(n: int, undated: float, days: int, seed: int = 7) -> tuple[list[StoredReport], dict[int, int]]:
    """``n`` reports of incidents over ``days`` days, shuffled, and the incident of each report id."""
    rng = random.Random(seed)
    np_rng = np.random.default_rng(seed)
    truth: dict[int, int] = {}
    incident = 0
    start = dt.date(2025, 1, 1)
    out: list[StoredReport] = []
    article = 0
    while len(out) < n:
        hub = rng.choice(HOTSPOTS)
        lat = hub[0] + rng.gauss(0, 0.7)
        lon = hub[1] + rng.gauss(0, 0.7)
        day = start + dt.timedelta(days=rng.randrange(days))
        etype, sub = rng.choice(TYPES)
        a1, a2 = rng.sample(ACTORS, 2)
        k = min(8, 1 + int(rng.expovariate(0.9)))
        incident += 1
        base = np_rng.normal(0.0, 1.0, DIMENSION).astype(np.float32)
        base /= np.linalg.norm(base)
        part = rng.choice((None, None, None, "morning", "afternoon", "evening", "night"))
        for _ in range(k):
            if len(out) >= n:
                break
            article += 1
            prec = rng.choice(PRECISION_OF_DATE)
            shift = rng.choice((0, 0, 0, 0, -1, 1)) if prec == "day" else 0
            date = (DateInfo(None, None, None, "no time expression") if rng.random() < undated
                    else DateInfo("", (day + dt.timedelta(days=shift)).isoformat(), prec, None,
                                  part if rng.random() < 0.5 else None))
            jitter = rng.uniform(0, 15) / 111.0
            angle = rng.uniform(0, 2 * math.pi)
            loc = Location(text="", name="place", lat=lat + jitter * math.cos(angle), lon=lon + jitter * math.sin(angle),
                           country_code="XX", precision=rng.choice((1, 1, 1, 2, 3)))
            rep = Report(event_type=etype, sub_event_type=sub, confidence=0.8, actor1=a1, actor2=a2, location=loc,
                         date=date, fatalities=None, quantities=[], claimant=None, modality="reported", evidence=[],
                         why_empty={}, embedding=_meaning(rng, np_rng, base))
            truth[article] = incident
            out.append(StoredReport(id=article, article_id=article, report=rep, article_external_id=None,
                                    outlet=f"outlet-{rng.randrange(300)}", url=None, published=day,
                                    content_hash=f"h{article}"))
    rng.shuffle(out)
    return out, truth


def bcubed_f1(clusters: list[list[int]], truth: dict[int, int]) -> float:
    """B-cubed F1 of report clusters against the incidents the reports were made from."""
    by_incident: dict[int, int] = {}
    for rid in truth.values():
        by_incident[rid] = by_incident.get(rid, 0) + 1
    p = r = 0.0
    for members in clusters:
        counts: dict[int, int] = {}
        for m in members:
            counts[truth[m]] = counts.get(truth[m], 0) + 1
        for m in members:
            same = counts[truth[m]]
            p += same / len(members)
            r += same / by_incident[truth[m]]
    n = sum(len(c) for c in clusters)
    p, r = p / n, r / n
    return 2 * p * r / (p + r)


def agreement(a: list[list[int]], b: list[list[int]]) -> float:
    """B-cubed F1 of one clustering against another (1.0: the same partition)."""
    label = {m: i for i, c in enumerate(b) for m in c}
    return bcubed_f1(a, label)


class MemoryStore:
    """Events in memory, blocked as the SQL store blocks them: by date window and bounding box, with
    undated or unplaced events always candidates. A grid of one-degree cells, each a date-sorted list,
    stands in for the database's indexes."""

    def __init__(self) -> None:
        self.events: dict[str, Event] = {}
        self.cells: dict[tuple[int, int], list[tuple[dt.date, str]]] = {}
        self.floating: set[str] = set()  # undated or unplaced
        self.compared = 0

    @staticmethod
    def _cell(lat: float, lon: float) -> tuple[int, int]:
        return (math.floor(lat), math.floor(lon))

    def _index(self, e: Event, add: bool) -> None:
        d = e.date.value if e.date and e.date.value else None
        loc = e.location
        if d is None or loc is None or loc.lat is None or loc.lon is None:
            (self.floating.add if add else self.floating.discard)(e.id)
            return
        cell = self.cells.setdefault(self._cell(loc.lat, loc.lon), [])
        key = (dt.date.fromisoformat(d), e.id)
        i = bisect_left(cell, key)
        if add:
            cell.insert(i, key)
        elif i < len(cell) and cell[i] == key:
            cell.pop(i)

    def candidate_events(self, date_from, date_to, bbox):  # type: ignore[no-untyped-def]
        out = []
        if bbox is None:
            cells = list(self.cells.values())
        else:
            lo_lat, hi_lat = math.floor(bbox[1]), math.floor(bbox[3])
            lo_lon, hi_lon = math.floor(bbox[0]), math.floor(bbox[2])
            cells = [self.cells[(a, b)] for a in range(lo_lat, hi_lat + 1) for b in range(lo_lon, hi_lon + 1)
                     if (a, b) in self.cells]
        for cell in cells:
            lo = bisect_left(cell, (date_from, "")) if date_from else 0
            hi = bisect_right(cell, (date_to, "\uffff")) if date_to else len(cell)
            for _, eid in cell[lo:hi]:
                e = self.events[eid]
                if bbox is None or (bbox[0] <= e.location.lon <= bbox[2] and bbox[1] <= e.location.lat <= bbox[3]):  # type: ignore[union-attr]
                    out.append(e)
        out += [self.events[i] for i in sorted(self.floating)]
        self.compared += len(out)
        return out

    def save_event(self, event: Event, reason: str) -> Event:
        old = self.events.get(event.id)
        if old is not None:
            self._index(old, add=False)
        event.version += 1
        self.events[event.id] = event
        self._index(event, add=True)
        return event

    def delete_event(self, event_id: str, reason: str) -> None:
        old = self.events.pop(event_id, None)
        if old is not None:
            self._index(old, add=False)


def run(reports: list[StoredReport], store) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    clusterer = Clusterer(store)
    t0 = time.perf_counter()
    for i in range(0, len(reports), 500):
        clusterer.add(reports[i:i + 500])
    return time.perf_counter() - t0, len(store.events)


def _clusters(store: MemoryStore) -> list[list[int]]:
    return [[r.id for r in e.reports] for e in store.events.values()]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--undated", type=float, default=0.0, help="share of undated reports (always candidates)")
    ap.add_argument("--per-day", type=int, default=3000,
                    help="reports per day: the span grows with the size (0: every size over one year)")
    ap.add_argument("--order-check", type=int, default=10000,
                    help="also cluster the first size in a second random order and compare (0: skip)")
    args = ap.parse_args(argv)
    print(f"{'store':<8} {'reports':>9} {'days':>5} {'seconds':>9} {'reports/s':>10} {'events':>9} "
          f"{'compared/report':>16} {'B3 F1':>6}")
    first = True
    for n in (int(x) for x in args.sizes.split(",")):
        days = max(1, n // args.per_day) if args.per_day else 365
        reports, truth = synthetic_reports(n, args.undated, days)
        mem = MemoryStore()
        secs, events = run(reports, mem)
        f1 = bcubed_f1(_clusters(mem), truth)
        print(f"{'memory':<8} {n:>9,} {days:>5} {secs:>9.1f} {n / secs:>10,.0f} {events:>9,} "
              f"{mem.compared / n:>16.1f} {f1:>6.3f}", flush=True)
        if first and args.order_check and n <= args.order_check:
            again = MemoryStore()
            run(list(reversed(reports)), again)
            print(f"  the same {n:,} reports in reverse order: B3 F1 {bcubed_f1(_clusters(again), truth):.3f}; "
                  f"agreement with the first order (B3 F1 of one partition against the other) "
                  f"{agreement(_clusters(mem), _clusters(again)):.3f}", flush=True)
        first = False
    return 0


if __name__ == "__main__":
    sys.exit(main())
