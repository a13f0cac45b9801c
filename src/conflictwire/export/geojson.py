"""GeoJSON export: a FeatureCollection of Points; events without coordinates get geometry null."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

from conflictwire.model import Event


def event_feature(event: Event) -> dict[str, Any]:
    """One event as a GeoJSON Feature (RFC 7946: coordinates are longitude, latitude)."""
    loc = event.location
    geometry = None
    if loc is not None and loc.lat is not None and loc.lon is not None:
        geometry = {"type": "Point", "coordinates": [loc.lon, loc.lat]}
    properties = event.to_dict(with_reports=False)
    properties["article_ids"] = list(
        dict.fromkeys(r.article_external_id or str(r.article_id) for r in event.reports)
    )
    properties["outlets"] = sorted({r.outlet for r in event.reports if r.outlet})
    return {"type": "Feature", "id": event.id, "geometry": geometry, "properties": properties}


def iter_geojson(events: Iterable[Event]) -> Iterator[str]:
    """A FeatureCollection as text chunks, one feature a line, so large exports stream."""
    yield '{"type": "FeatureCollection", "features": [\n'
    first = True
    for event in events:
        yield ("" if first else ",\n") + json.dumps(event_feature(event), ensure_ascii=False)
        first = False
    yield "\n]}\n"


def write_geojson(events: Iterable[Event], fp: TextIO) -> int:
    """Write a FeatureCollection, one feature a line so large exports stream; returns the count."""
    chunks = 0
    for chunk in iter_geojson(events):
        fp.write(chunk)
        chunks += 1
    return chunks - 2  # the opening and closing chunks are not features
