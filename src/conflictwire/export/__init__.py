"""Event exports: JSONL (the EVENT contract), GeoJSON, ACLED-style CSV and Parquet."""

from conflictwire.export.acled import ACLED_COLUMNS, acled_row, iter_acled_csv, write_acled_csv
from conflictwire.export.geojson import event_feature, iter_geojson, write_geojson
from conflictwire.export.jsonl import iter_jsonl, write_jsonl
from conflictwire.export.parquet import PARQUET_SCHEMA, write_parquet

__all__ = [
    "ACLED_COLUMNS",
    "PARQUET_SCHEMA",
    "acled_row",
    "event_feature",
    "iter_acled_csv",
    "iter_geojson",
    "iter_jsonl",
    "write_acled_csv",
    "write_geojson",
    "write_jsonl",
    "write_parquet",
]
