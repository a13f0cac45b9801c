"""Reviewed data files shipped with the package (see SOURCES.md for sources and licences)."""

from __future__ import annotations

import csv
import io
from functools import lru_cache
from importlib import resources


def read_csv(name: str) -> list[dict[str, str]]:
    """Rows of a packaged CSV data file as dicts (empty cells are empty strings)."""
    text = resources.files(__name__).joinpath(name).read_text(encoding="utf-8")
    return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(io.StringIO(text))]


def split_aliases(cell: str) -> list[str]:
    """Pipe-separated aliases of a data cell."""
    return [a.strip() for a in cell.split("|") if a.strip()]


@lru_cache(maxsize=None)
def cached_csv(name: str) -> tuple[dict[str, str], ...]:
    """Like read_csv, cached per process: data files do not change while running."""
    return tuple(read_csv(name))
