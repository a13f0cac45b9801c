"""Which reader an input needs: by extension first, then by sniffing its first bytes."""

from __future__ import annotations

import zlib
from typing import Literal

from .errors import InputProblem

Format = Literal["text", "html", "json", "jsonl", "feed", "warc"]

_BY_EXTENSION: dict[str, Format] = {
    ".txt": "text",
    ".text": "text",
    ".md": "text",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".rss": "feed",
    ".atom": "feed",
    ".warc": "warc",
    ".warc.gz": "warc",
}
_GZIP_MAGIC = b"\x1f\x8b"
_BINARY_MAGIC = (b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"PK\x03\x04", b"\x7fELF")
_SNIFF_BYTES = 2048


def detect_format(name: str | None, data: bytes) -> Format:
    """Choose the reader for ``data``; raise InputProblem for binary or unknown content."""
    head = data[:_SNIFF_BYTES]
    if head.startswith(_GZIP_MAGIC):
        return _gzip_format(head)
    ext = _extension(name)
    fmt = _BY_EXTENSION.get(ext)
    if fmt == "warc" or _lstrip(head).startswith(b"WARC/"):
        return "warc"  # before the binary check: WARC payloads may be images
    check_not_binary(data)
    if fmt == "text" and _sniff_markup(head) == "html":
        return "html"  # a .txt that is a saved web page
    if fmt is not None:
        return fmt
    if ext == ".xml":
        markup = _sniff_markup(head)
        if markup is None:
            raise InputProblem("unknown-format", "XML that is neither an RSS/Atom feed nor HTML")
        return markup
    return sniff(head)


def sniff(head: bytes) -> Format:
    """Guess the format from the first bytes of a text input."""
    start = _lstrip(head)
    if start[:1] in (b"{", b"["):
        return "json"
    return _sniff_markup(head) or "text"


def check_not_binary(data: bytes) -> None:
    """Raise InputProblem ``binary`` for NUL bytes or a known binary file signature."""
    if data.startswith(_BINARY_MAGIC):
        raise InputProblem("binary", "binary file (its signature is that of an image, PDF, archive or program)")
    nul = data.find(b"\x00")
    if nul >= 0:
        raise InputProblem("binary", f"binary file: NUL byte at byte offset {nul:,}")
    head = data[:_SNIFF_BYTES]
    controls = sum(1 for b in head if b < 0x09 or 0x0E <= b < 0x20)
    if head and controls / len(head) > 0.1:
        raise InputProblem("binary", f"binary file: {controls} control bytes in its first {len(head):,} bytes")


def _sniff_markup(head: bytes) -> Literal["html", "feed"] | None:
    """Tell an RSS/Atom feed from HTML by the root element near the top."""
    lower = _lstrip(head).lower()
    if not lower.startswith(b"<"):
        return None
    if b"<rss" in lower or b"<feed" in lower or b"<rdf:rdf" in lower:
        return "feed"
    if lower.startswith((b"<!doctype html", b"<html")) or b"<html" in lower or b"<body" in lower:
        return "html"
    return None


def _gzip_format(head: bytes) -> Format:
    """A gzip file is read only when it holds a WARC."""
    try:
        inner = zlib.decompressobj(wbits=31).decompress(head, 64)
    except zlib.error:
        raise InputProblem("binary", "corrupt gzip data") from None
    if inner.startswith(b"WARC/"):
        return "warc"
    raise InputProblem("binary", "gzip file that is not a WARC; decompress it first")


def _extension(name: str | None) -> str:
    """The lower-case extension, treating ``.warc.gz`` as one."""
    if not name:
        return ""
    lower = name.lower()
    if lower.endswith(".warc.gz"):
        return ".warc.gz"
    dot = lower.rfind(".")
    return lower[dot:] if dot > lower.rfind("/") else ""


def _lstrip(head: bytes) -> bytes:
    """Drop a UTF-8 BOM and leading whitespace."""
    return head.removeprefix(b"\xef\xbb\xbf").lstrip()
