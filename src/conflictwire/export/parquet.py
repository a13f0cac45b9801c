"""Parquet export with pyarrow: flat columns for analysis, the full reports as JSON text."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from conflictwire.model import Event

PARQUET_SCHEMA = pa.schema([
    ("id", pa.string()),
    ("event_type", pa.string()),
    ("sub_event_type", pa.string()),
    ("actor1", pa.string()),
    ("actor1_kind", pa.string()),
    ("actor2", pa.string()),
    ("actor2_kind", pa.string()),
    ("location", pa.string()),
    ("country", pa.string()),
    ("country_code", pa.string()),
    ("admin1", pa.string()),
    ("admin2", pa.string()),
    ("latitude", pa.float64()),
    ("longitude", pa.float64()),
    ("geo_precision", pa.int8()),
    ("date", pa.date32()),
    ("date_precision", pa.string()),
    ("fatalities_low", pa.int32()),
    ("fatalities_best", pa.int32()),
    ("fatalities_high", pa.int32()),
    ("grade", pa.string()),
    ("grade_reason", pa.string()),
    ("independent_sources", pa.int32()),
    ("version", pa.int32()),
    ("article_ids", pa.list_(pa.string())),
    ("outlets", pa.list_(pa.string())),
    ("reports_json", pa.string()),
])

#: Rows buffered before a row group is written: bounds memory on large exports.
_BATCH = 5000


def _row(event: Event) -> dict[str, Any]:
    """One event as a flat Parquet row."""
    loc, date, fat = event.location, event.date, event.fatalities
    a1, a2 = event.actor1, event.actor2
    return {
        "id": event.id,
        "event_type": event.event_type,
        "sub_event_type": event.sub_event_type,
        "actor1": a1.name if a1 else None,
        "actor1_kind": a1.kind if a1 else None,
        "actor2": a2.name if a2 else None,
        "actor2_kind": a2.kind if a2 else None,
        "location": loc.name if loc else None,
        "country": loc.country if loc else None,
        "country_code": loc.country_code if loc else None,
        "admin1": loc.admin1 if loc else None,
        "admin2": loc.admin2 if loc else None,
        "latitude": loc.lat if loc else None,
        "longitude": loc.lon if loc else None,
        "geo_precision": loc.precision if loc else None,
        "date": dt.date.fromisoformat(date.value) if date and date.value else None,
        "date_precision": date.precision if date else None,
        "fatalities_low": fat.low if fat else None,
        "fatalities_best": fat.best if fat else None,
        "fatalities_high": fat.high if fat else None,
        "grade": event.grade,
        "grade_reason": event.grade_reason,
        "independent_sources": event.independent_sources,
        "version": event.version,
        "article_ids": list(dict.fromkeys(r.article_external_id or str(r.article_id) for r in event.reports)),
        "outlets": sorted({r.outlet for r in event.reports if r.outlet}),
        "reports_json": json.dumps(event.to_dict()["reports"], ensure_ascii=False),
    }


def _batches(events: Iterable[Event]) -> Iterator[list[dict[str, Any]]]:
    """Rows in lists of at most _BATCH."""
    batch: list[dict[str, Any]] = []
    for event in events:
        batch.append(_row(event))
        if len(batch) >= _BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def write_parquet(events: Iterable[Event], path: str | Path) -> int:
    """Write events to a Parquet file at ``path``; returns how many rows were written."""
    count = 0
    with pq.ParquetWriter(str(path), PARQUET_SCHEMA) as writer:
        for batch in _batches(events):
            writer.write_table(pa.Table.from_pylist(batch, schema=PARQUET_SCHEMA))
            count += len(batch)
    return count
