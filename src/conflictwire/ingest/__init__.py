"""Ingest: read articles from files, folders and stdin in any supported format.

``read_inputs`` is the entry point. It yields, in a deterministic order, one
``(Article, RawInput)`` per article found, or one ``model.InputError`` per bad input; a bad
input never stops the batch. Formats: plain text (the seed's layout), HTML, JSON / JSON
Lines, RSS/Atom and WARC. Copy detection helpers live in ``ingest.copies``.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from conflictwire.limits import INPUT_SECONDS, MAX_INPUT_BYTES, TimeLimitExceeded, time_limit
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
    "INTERNAL_ERROR",
    "Item",
    "guarded",
    "internal_error",
    "read_bytes",
    "read_inputs",
]

DEFAULT_MAX_BYTES = MAX_INPUT_BYTES
#: The code of an input that made conflictwire itself fail: a bug, not bad input (exit status 3).
INTERNAL_ERROR = "internal-error"

log = logging.getLogger(__name__)


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
    seconds: float | None = INPUT_SECONDS,
) -> Iterator[tuple[Article, RawInput] | InputError]:
    """Yield each article (with its raw bytes) or input error, in input order.

    ``-`` reads stdin; folders are walked recursively in name order, skipping hidden files and
    anything that is not a regular file. Nothing an input holds stops the batch: a bad input is an
    error item, one that takes over ``seconds`` to read is stopped (``timeout``), and one that makes
    conflictwire itself fail is an ``internal-error`` item naming it.
    """
    for found in expand(paths):
        if isinstance(found, tuple):
            yield to_error(found[0], found[1])
            continue
        sidecar = _sidecar_defaults(found.meta) if found.meta else None
        for item in guarded(_read_source(found, stdin, max_bytes), found.name, seconds):
            if not isinstance(item, InputError):
                for d in (sidecar, defaults):
                    if d is not None:
                        d.apply(item[0])
            yield item


def guarded(items: Iterator[Item], source: str, seconds: float | None = INPUT_SECONDS) -> Iterator[Item]:
    """The items of one input; whatever goes wrong ends that input with one error item, never the batch.

    Each step (reading and parsing the input, then each item) has ``seconds`` to finish.
    """
    while True:
        try:
            with time_limit(seconds, f"reading {source}"):
                item = next(items)
        except StopIteration:
            return
        except InputProblem as problem:
            yield to_error(source, problem)
            return
        except TimeLimitExceeded as exc:
            yield InputError(source, "timeout", str(exc))
            return
        except RecursionError:
            yield InputError(source, "too-deep", "the input is nested too deeply to read")
            return
        except MemoryError:
            yield InputError(source, "too-large", "the input needs more memory than there is to read it")
            return
        except Exception as exc:  # noqa: BLE001 - one input's failure must never end the batch
            yield internal_error(source, exc)
            return
        yield item


def internal_error(source: str, exc: BaseException) -> InputError:
    """An input error for a failure of conflictwire itself, logged with its traceback."""
    log.error("internal error reading %s", source, exc_info=exc)
    where = _innermost_frame(exc)
    return InputError(source, INTERNAL_ERROR, f"conflictwire failed on this input ({type(exc).__name__}: "
                                              f"{str(exc)[:200]}{where}); please report it with the input")


def _innermost_frame(exc: BaseException) -> str:
    """`` at file.py:123`` for the deepest frame of the traceback, or nothing."""
    tb = exc.__traceback__
    if tb is None:
        return ""
    while tb.tb_next is not None:
        tb = tb.tb_next
    return f" at {os.path.basename(tb.tb_frame.f_code.co_filename)}:{tb.tb_lineno}"


def _sidecar_defaults(meta: dict[str, str]) -> ArticleDefaults:
    """Defaults from a folder's sidecar metadata for one file (its dates were checked when read)."""
    return ArticleDefaults(parse_published(meta.get("published")), meta.get("outlet"), meta.get("url"))


def _read_source(src: Source, stdin: BinaryIO | None, max_bytes: int) -> Iterator[Item]:
    """Read one file or stdin; any problem becomes an error item for that input."""
    try:
        if src.path is None:
            data = read_stream(stdin if stdin is not None else sys.stdin.buffer, max_bytes)
        else:
            data = read_file(src.path, max_bytes, regular_only=src.regular_only)
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
