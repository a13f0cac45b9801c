"""WARC archives (plain or gzipped) with warcio: each HTML response record is an article."""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterator

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord

from .base import Item, item_source, pair, to_error
from .errors import InputProblem
from .html import parse_html

_HTML_TYPES = ("text/html", "application/xhtml+xml")
_WARCIO_FAILURES = (ArchiveLoadFailed, zlib.error, EOFError, AttributeError, ValueError, TypeError, IndexError,
                    KeyError, UnicodeError, OSError, OverflowError)


def read_warc(data: bytes, source: str, max_bytes: int) -> Iterator[Item]:
    """Read each HTML ``response`` record, named ``source#N`` with N the record's 1-based position."""
    found = 0
    records = enumerate(ArchiveIterator(io.BytesIO(data)), start=1)
    while True:
        try:
            number, record = next(records)
            html = _is_html_response(record)
        except StopIteration:
            break
        except _WARCIO_FAILURES as e:
            # warcio gives up on broken records in several ways (a response record with no
            # WARC-Target-URI is an AttributeError inside it): the rest of the archive is unreadable
            raise InputProblem("malformed-warc", f"not a readable WARC after {found} HTML records: "
                                                 f"{type(e).__name__}: {e}") from None
        if html:
            found += 1
            yield _read_record(record, item_source(source, number), max_bytes)
    if not found:
        raise InputProblem("no-text", "the WARC has no HTML response records")


def _is_html_response(record: ArcWarcRecord) -> bool:
    """True for a response record whose HTTP payload is HTML."""
    if record.rec_type != "response" or record.http_headers is None:
        return False
    ctype = (record.http_headers.get_header("Content-Type") or "").lower()
    return ctype.startswith(_HTML_TYPES)


def _read_record(record: ArcWarcRecord, name: str, max_bytes: int) -> Item:
    """Turn one response record into an article, or an error for that record only."""
    try:
        payload = record.content_stream().read(max_bytes + 1)
    except _WARCIO_FAILURES as e:
        return to_error(name, InputProblem("malformed-warc", f"unreadable record payload: {type(e).__name__}: {e}"))
    if len(payload) > max_bytes:
        return to_error(name, InputProblem("too-large", f"record payload is over the {max_bytes:,}-byte limit (--max-bytes)"))
    url = record.rec_headers.get_header("WARC-Target-URI")
    try:
        article = parse_html(payload, url=url)
    except InputProblem as problem:
        return to_error(name, problem)
    # The page URL is where it was captured, whatever canonical link the page claims.
    article.url = url or article.url
    return pair(article, payload, name)
