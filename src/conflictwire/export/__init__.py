"""Event exports: JSONL (the EVENT contract), GeoJSON, ACLED-style CSV and Parquet."""

from conflictwire.export.acled import ACLED_COLUMNS, acled_row, write_acled_csv
from conflictwire.export.geojson import event_feature, write_geojson
from conflictwire.export.jsonl import write_jsonl
from conflictwire.export.parquet import PARQUET_SCHEMA, write_parquet

__all__ = [
    "ACLED_COLUMNS",
    "PARQUET_SCHEMA",
    "acled_row",
    "event_feature",
    "write_acled_csv",
    "write_geojson",
    "write_jsonl",
    "write_parquet",
]
