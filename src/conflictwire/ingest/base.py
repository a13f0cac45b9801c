"""Shared shapes and helpers of the format readers."""

from __future__ import annotations

from typing import TypeAlias

from conflictwire.limits import MAX_ARTICLE_CHARS, MAX_MARKUP_BYTES
from conflictwire.model import Article, InputError, RawInput, safe_text

from .errors import InputProblem

#: What a reader yields: one article with the bytes it came from, or one bad item.
Item: TypeAlias = "tuple[Article, RawInput] | InputError"


def item_source(source: str, n: int) -> str:
    """Name the Nth (1-based) item of a multi-article input: ``feed.xml#3``."""
    return f"{source}#{n}"


def to_error(source: str, problem: InputProblem) -> InputError:
    """Turn a raised problem into the record the batch carries on with."""
    return InputError(source=source, code=problem.code, message=problem.message)


def checked(article: Article) -> Article:
    """The article, if its text is within the limit every reader and the API apply."""
    if len(article.text) > MAX_ARTICLE_CHARS:
        raise InputProblem("too-large", f"the article's text is {len(article.text):,} characters, over the "
                                        f"{MAX_ARTICLE_CHARS:,}-character limit")
    return article


def check_markup_size(data: bytes, kind: str) -> None:
    """Refuse a feed or page too large to parse in reasonable time, before parsing it."""
    if len(data) > MAX_MARKUP_BYTES:
        raise InputProblem("too-large", f"the {kind} is {len(data):,} bytes, over the {MAX_MARKUP_BYTES:,}-byte "
                                        f"limit for markup")


def pair(article: Article, data: bytes, source: str) -> tuple[Article, RawInput]:
    """Bind an article to its raw bytes, sharing one source name and hash."""
    source = safe_text(source)
    raw = RawInput(data=data, source=source)
    article.source = source
    article.raw_sha256 = raw.sha256
    return article, raw


def decode_utf8(data: bytes) -> str:
    """Decode strict UTF-8 (a leading BOM is dropped); name the first bad byte's offset."""
    bom = data.startswith(b"\xef\xbb\xbf")
    body = data[3:] if bom else data
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as e:
        offset = e.start + (3 if bom else 0)
        line = data.count(b"\n", 0, offset) + 1
        raise InputProblem(
            "invalid-encoding",
            f"not valid UTF-8: byte 0x{data[offset]:02x} at byte offset {offset:,} (line {line})",
        ) from None


def normalise_newlines(text: str) -> str:
    """Turn CRLF and lone CR into LF so line-based layouts parse the same everywhere."""
    return text.replace("\r\n", "\n").replace("\r", "\n")
