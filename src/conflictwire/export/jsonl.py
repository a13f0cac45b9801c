"""JSONL export: one EVENT object (``Event.to_dict()``) a line."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import TextIO

from conflictwire.model import Event


def iter_jsonl(events: Iterable[Event]) -> Iterator[str]:
    """One JSON line per event, with its reports, as text chunks (for streaming)."""
    for event in events:
        yield json.dumps(event.to_dict(), ensure_ascii=False) + "\n"


def write_jsonl(events: Iterable[Event], fp: TextIO) -> int:
    """Write one JSON line per event, with its reports; returns how many were written."""
    count = 0
    for line in iter_jsonl(events):
        fp.write(line)
        count += 1
    return count
