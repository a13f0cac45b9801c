"""Exports: JSONL, GeoJSON, ACLED-style CSV and Parquet."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from store_records import make_article, make_event, make_report

from conflictwire.export import ACLED_COLUMNS, write_acled_csv, write_geojson, write_jsonl, write_parquet
from conflictwire.model import Actor, DateInfo, Event, StoredReport
from conflictwire.store import EventFilter, Store

EVENT_KEYS = {"id", "event_type", "sub_event_type", "actor1", "actor2", "location", "date", "fatalities",
              "grade", "grade_reason", "independent_sources", "reports", "version"}


def _stored(report_id: int, external_id: str | None, outlet: str) -> StoredReport:
    """A stored report without a database."""
    return StoredReport(id=report_id, article_id=100 + report_id, report=make_report(),
                        article_external_id=external_id, outlet=outlet, url=f"https://x.org/{report_id}",
                        published=dt.date(2024, 10, 17))


@pytest.fixture
def events() -> list[Event]:
    """A located, dated event with two sources and an unlocated, undated one."""
    located = make_event("SYR-1", [_stored(1, "seed-1", "SANA"), _stored(2, None, "Enab Baladi")],
                         sources=2, grade="corroborated")
    located.actor2 = Actor("residents", "Civilians (Syria)", "civilians")
    bare = make_event("SYR-2", [], day=None, lat=None, fatalities=None, actor="Unidentified Armed Group (Syria)")
    bare.date = DateInfo("in October", "2024-10-01", "month")
    bare.location = None
    return [located, bare]


def test_jsonl_lines_follow_the_event_contract(events: list[Event]) -> None:
    buf = io.StringIO()
    assert write_jsonl(events, buf) == 2
    lines = buf.getvalue().splitlines()
    first = json.loads(lines[0])
    assert set(first) == EVENT_KEYS
    assert [r["article_id"] for r in first["reports"]] == ["seed-1", "102"]
    assert first["reports"][0]["outlet"] == "SANA" and first["reports"][0]["event_type"] == first["event_type"]
    assert json.loads(lines[1])["location"] is None


def test_geojson_is_a_valid_feature_collection(events: list[Event]) -> None:
    buf = io.StringIO()
    assert write_geojson(events, buf) == 2
    doc = json.loads(buf.getvalue())
    assert doc["type"] == "FeatureCollection" and len(doc["features"]) == 2
    located, bare = doc["features"]
    assert located["type"] == "Feature" and located["id"] == "SYR-1"
    assert located["geometry"] == {"type": "Point", "coordinates": [36.6, 35.9]}  # longitude first
    assert located["properties"]["article_ids"] == ["seed-1", "102"]
    assert located["properties"]["outlets"] == ["Enab Baladi", "SANA"]
    assert bare["geometry"] is None and bare["properties"]["id"] == "SYR-2"
    empty = io.StringIO()
    write_geojson([], empty)
    assert json.loads(empty.getvalue()) == {"type": "FeatureCollection", "features": []}


def test_acled_csv_columns_and_values(events: list[Event]) -> None:
    buf = io.StringIO()
    assert write_acled_csv(events, buf) == 2
    reader = csv.DictReader(io.StringIO(buf.getvalue()))
    assert tuple(reader.fieldnames or ()) == ACLED_COLUMNS
    located, bare = list(reader)
    assert located["event_id_cnty"] == "SYR-1" and located["event_date"] == "2024-10-17"
    assert (located["year"], located["time_precision"]) == ("2024", "1")
    assert located["disorder_type"] == "Political violence"
    assert (located["actor1"], located["inter1"], located["inter2"]) == ("Military Forces of Syria", "1", "7")
    assert located["interaction"] == "17" and located["civilian_targeting"] == "Civilian targeting"
    assert (located["iso"], located["country"], located["admin1"]) == ("760", "Syria", "Idlib")
    assert (located["latitude"], located["longitude"], located["geo_precision"]) == ("35.9", "36.6", "1")
    assert located["source"] == "SANA; Enab Baladi" and located["fatalities"] == "3"
    assert "Shelling/artillery/missile attack by Military Forces of Syria" in located["notes"]
    assert (bare["time_precision"], bare["interaction"], bare["actor2"]) == ("3", "10", "")
    assert (bare["latitude"], bare["country"], bare["fatalities"], bare["timestamp"]) == ("", "", "", "")


def test_parquet_is_readable_by_pyarrow(events: list[Event], tmp_path: Path) -> None:
    path = tmp_path / "events.parquet"
    assert write_parquet(events, path) == 2
    table = pq.read_table(path)
    assert table.num_rows == 2 and table.schema.field("date").type == pa.date32()
    rows = table.to_pylist()
    assert rows[0]["date"] == dt.date(2024, 10, 17) and rows[0]["latitude"] == 35.9
    assert rows[0]["article_ids"] == ["seed-1", "102"] and rows[0]["fatalities_best"] == 3
    assert len(json.loads(rows[0]["reports_json"])) == 2
    assert rows[1]["latitude"] is None and rows[1]["fatalities_best"] is None
    write_parquet([], tmp_path / "empty.parquet")
    assert pq.read_table(tmp_path / "empty.parquet").num_rows == 0


def test_export_from_the_store_matches_the_stored_events(sqlite_url: str) -> None:
    store = Store.open(sqlite_url)
    article, _ = store.add_article(make_article(1), None)
    reports = store.add_reports(article.id, [make_report()])  # type: ignore[arg-type]
    saved = store.save_event(make_event("ev-1", reports), "new")
    buf = io.StringIO()
    write_jsonl(store.iter_events(EventFilter()), buf)
    store.close()
    assert json.loads(buf.getvalue()) == saved.to_dict()
    assert json.loads(buf.getvalue())["reports"][0]["article_id"] == "ext-1"
