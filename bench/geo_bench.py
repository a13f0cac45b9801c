"""Place-resolution benchmark on GeoVirus gold spans (a script, not a test).

    PYTHONPATH=src python bench/geo_bench.py [path/to/GeoVirus.xml]

Feeds each article's gold spans to geoparse and scores the share within 161 km (acc@161; an unresolved
span counts as a miss), within 25 km (acc@25), within 5 km (a proxy for the exact-entry rate: GeoVirus
gives coordinates and a Wikipedia page per span, no gazetteer id, so whether the very entry was chosen
cannot be checked), mean and median error in km over the resolved spans, and the share unresolved;
the same for a population-only baseline (the most populous gazetteer entry of the exact name) in the
same run. Also places resolved per second, the gazetteer file size and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from conflictwire.geo import Gazetteer, PlaceResolver, geoparse
from conflictwire.geo.resolve import haversine_km

DEFAULT_XML = Path("/work/shared/dev-data/geovirus/GeoVirus.xml")
ACC_KM = 161.0
ACC_NEAR_KM = 25.0
#: Within this distance of gold a resolved point is taken to be the gold entry (the exact-entry proxy).
EXACT_PROXY_KM = 5.0


@dataclass
class GoldArticle:
    text: str
    spans: list[tuple[int, int]]
    points: list[tuple[float, float]]


@dataclass
class Score:
    """Errors in km of one system; None for an unresolved span."""

    errors: list[float | None] = field(default_factory=list)

    def report(self, label: str) -> str:
        """One line of figures."""
        done = [e for e in self.errors if e is not None]
        n = len(self.errors)
        acc = sum(1 for e in done if e <= ACC_KM) / n
        near = sum(1 for e in done if e <= ACC_NEAR_KM) / n
        exact = sum(1 for e in done if e <= EXACT_PROXY_KM) / n
        return (f"{label:<22} acc@161 {acc:6.1%}  acc@25 {near:6.1%}  within 5 km {exact:6.1%}  "
                f"median {statistics.median(done):8.1f} km  mean {statistics.fmean(done):8.1f} km  "
                f"unresolved {1 - len(done) / n:6.1%}  (n={n})")


def read_geovirus(path: Path) -> tuple[list[GoldArticle], int]:
    """Articles with their gold spans and coordinates, and the offset shift applied to the spans.

    The distributed offsets are one character off (1-based); the shift that makes most spans equal
    their gold name is measured, not assumed, and applied.
    """
    raw = []
    for art in ET.parse(path).getroot().iter("article"):
        text = art.findtext("text") or ""
        locs = [(loc.findtext("name") or "", int(loc.findtext("start") or 0), int(loc.findtext("end") or 0),
                 float(loc.findtext("lat") or 0), float(loc.findtext("lon") or 0)) for loc in art.iter("location")]
        raw.append((text, locs))
    shift = max((0, -1, 1), key=lambda d: sum(t[s + d:e + d] == n for t, locs in raw for n, s, e, _, _ in locs))
    out = [GoldArticle(text, [(s + shift, e + shift) for _, s, e, _, _ in locs], [(la, lo) for *_, la, lo in locs])
           for text, locs in raw]
    return out, shift


def _error(pred_lat: float | None, pred_lon: float | None, gold: tuple[float, float]) -> float | None:
    """Distance in km, or None when nothing was predicted."""
    if pred_lat is None or pred_lon is None:
        return None
    return haversine_km((pred_lat, pred_lon), gold)


def run(path: Path) -> None:
    """Score geoparse and the population baseline; print the figures."""
    articles, shift = read_geovirus(path)
    t0 = time.perf_counter()
    gaz = Gazetteer.default()
    resolver = PlaceResolver(gaz)
    t_open = time.perf_counter() - t0
    system, baseline = Score(), Score()
    n_spans = 0
    t_sys = 0.0
    for art in articles:
        t = time.perf_counter()
        out = geoparse(art.text, art.spans, resolver, None)
        t_sys += time.perf_counter() - t
        n_spans += len(art.spans)
        for place, gold in zip(out, art.points, strict=True):
            system.errors.append(_error(place["lat"], place["lon"], gold) if place else None)
        for (s, e), gold in zip(art.spans, art.points, strict=True):
            cands = gaz.lookup(art.text[s:e])
            best = max(cands, key=lambda c: c.population) if cands else None
            baseline.errors.append(_error(best.lat, best.lon, gold) if best else None)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"GeoVirus: {len(articles)} articles, {n_spans} gold spans (offsets shifted by {shift})")
    print(system.report("geoparse (context)"))
    print(baseline.report("population baseline"))
    print(f"exact-entry rate: not computable on GeoVirus (gold gives coordinates and a Wikipedia page, no "
          f"GeoNames id); 'within {EXACT_PROXY_KM:.0f} km' above is the proxy for it")
    print(f"speed: {n_spans / t_sys:.0f} places/s (resolution only; gazetteer open {t_open:.2f} s)")
    print(f"gazetteer: {gaz.path} {gaz.path.stat().st_size / 1e6:.1f} MB; peak RSS {rss_mb:.0f} MB")


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description="GeoVirus place-resolution benchmark")
    parser.add_argument("xml", nargs="?", type=Path, default=DEFAULT_XML)
    args = parser.parse_args(argv)
    if not args.xml.is_file():
        print(f"no GeoVirus file at {args.xml}", file=sys.stderr)
        return 1
    run(args.xml)
    return 0


if __name__ == "__main__":
    sys.exit(main())
