"""Ingest: read articles from files, folders and stdin in any supported format.

``read_inputs`` is the entry point. It yields, in a deterministic order, one
``(Article, RawInput)`` per article found, or one ``model.InputError`` per bad input; a bad
input never stops the batch. Formats: plain text (the seed's layout), HTML, JSON / JSON
Lines, RSS/Atom and WARC. Copy detection helpers live in ``ingest.copies``.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from conflictwire.model import Article, InputError, RawInput

from .base import Item, to_error
from .dates import parse_published
from .detect import Format, detect_format
from .errors import FingerprintError, IngestError, InputProblem
from .feeds import read_feed
from .html import read_html
from .jsonl import read_json, read_jsonl
from .sources import Source, expand, read_file, read_stream
from .text import read_text
from .warc import read_warc

__all__ = [
    "ArticleDefaults",
    "FingerprintError",
    "IngestError",
    "InputProblem",
    "Item",
    "read_bytes",
    "read_inputs",
]

DEFAULT_MAX_BYTES = 50 * 2**20


@dataclass
class ArticleDefaults:
    """Values for articles that do not state them (e.g. from the command line)."""

    published: dt.date | None = None
    outlet: str | None = None
    url: str | None = None

    def apply(self, article: Article) -> None:
        """Fill only the fields the article lacks."""
        article.published = article.published or self.published
        article.outlet = article.outlet or self.outlet
        article.url = article.url or self.url


def read_inputs(
    paths: Iterable[str],
    defaults: ArticleDefaults | None = None,
    stdin: BinaryIO | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Iterator[tuple[Article, RawInput] | InputError]:
    """Yield each article (with its raw bytes) or input error, in input order.

    ``-`` reads stdin; folders are walked recursively in name order, skipping hidden files.
    """
    for found in expand(paths):
        if isinstance(found, tuple):
            yield to_error(found[0], found[1])
            continue
        sidecar = _sidecar_defaults(found.meta) if found.meta else None
        for item in _read_source(found, stdin, max_bytes):
            if not isinstance(item, InputError):
                for d in (sidecar, defaults):
                    if d is not None:
                        d.apply(item[0])
            yield item


def _sidecar_defaults(meta: dict[str, str]) -> ArticleDefaults:
    """Defaults from a folder's sidecar metadata for one file (its dates were checked when read)."""
    return ArticleDefaults(parse_published(meta.get("published")), meta.get("outlet"), meta.get("url"))


def _read_source(src: Source, stdin: BinaryIO | None, max_bytes: int) -> Iterator[Item]:
    """Read one file or stdin; any problem becomes an error item for that input."""
    try:
        if src.path is None:
            data = read_stream(stdin if stdin is not None else sys.stdin.buffer, max_bytes)
        else:
            data = read_file(src.path, max_bytes)
        yield from read_bytes(data, src.name, None if src.path is None else src.name, max_bytes)
    except InputProblem as problem:
        yield to_error(src.name, problem)


def read_bytes(data: bytes, source: str, filename: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[Item]:
    """Parse bytes already in memory; ``filename`` (if any) guides the format by extension.

    Raises InputProblem when the whole input is unreadable; per-item problems are yielded.
    """
    fmt = detect_format(filename, data)
    if fmt == "warc":
        return read_warc(data, source, max_bytes)
    return _READERS[fmt](data, source)


_READERS: dict[Format, Callable[[bytes, str], Iterator[Item]]] = {
    "text": read_text,
    "html": read_html,
    "json": read_json,
    "jsonl": read_jsonl,
    "feed": read_feed,
}
