"""Storage of articles, reports and events in SQLite or PostgreSQL (one schema, migrations)."""

from conflictwire.store.db import DEFAULT_SORT, SORTS, EventFilter, Store, default_db_path, resolve_url
from conflictwire.store.errors import (
    BadDatabaseURL,
    InvalidCursor,
    InvalidQuery,
    InvalidRecord,
    MigrationError,
    NotFound,
    StoreError,
)

__all__ = [
    "DEFAULT_SORT",
    "SORTS",
    "BadDatabaseURL",
    "EventFilter",
    "InvalidCursor",
    "InvalidQuery",
    "InvalidRecord",
    "MigrationError",
    "NotFound",
    "Store",
    "StoreError",
    "default_db_path",
    "resolve_url",
]
