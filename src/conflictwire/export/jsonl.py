"""JSONL export: one EVENT object (``Event.to_dict()``) a line."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TextIO

from conflictwire.model import Event


def write_jsonl(events: Iterable[Event], fp: TextIO) -> int:
    """Write one JSON line per event, with its reports; returns how many were written."""
    count = 0
    for event in events:
        fp.write(json.dumps(event.to_dict(), ensure_ascii=False))
        fp.write("\n")
        count += 1
    return count
