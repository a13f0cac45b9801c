"""RSS and Atom feeds with feedparser: one article per entry."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from html import unescape
from typing import Any

import feedparser
import lxml.etree
import lxml.html

from conflictwire.limits import MAX_MARKUP_DEPTH
from conflictwire.model import Article

from .base import Item, check_markup_size, checked, item_source, pair, to_error
from .dates import parse_published
from .errors import InputProblem

_ITEM_TAGS = {"item", "{http://www.w3.org/2005/Atom}entry", "{http://purl.org/rss/1.0/}item"}
_BLOCK_TAGS = {
    "p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr", "table", "section", "article",
}
# Characters XML cannot hold (lxml refuses them): C0 controls but tab and newlines, lone surrogates.
_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_CDATA = re.compile(rb"<!\[CDATA\[.*?\]\]>", re.DOTALL)
# an opening tag's name, a closing tag, or the end of an empty element ("<x/>" opens and closes)
_TAG = re.compile(rb"(/>)|<(/)?([A-Za-z][\w:.-]*)")
_VOID = {b"br", b"img", b"hr", b"meta", b"link", b"input", b"area", b"base", b"col", b"embed", b"source",
         b"track", b"wbr", b"param"}
_CHAR_REF = re.compile(rb"&#(?:[xX]([0-9a-fA-F]{1,64})|([0-9]{1,64}));")
_SPACES = re.compile(r"[ \t\u00a0]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def read_feed(data: bytes, source: str) -> Iterator[Item]:
    """Read each entry of an RSS or Atom feed, named ``source#N`` (1-based)."""
    check_markup_size(data, "feed")
    _check_depth(data)
    data = _CHAR_REF.sub(_valid_char_ref, data)
    try:
        feed = feedparser.parse(data, sanitize_html=False, resolve_relative_uris=False)
    except (ValueError, OverflowError, LookupError, UnicodeError, TypeError, AssertionError,
            lxml.etree.Error) as e:
        # feedparser's own parsers give up on some broken markup (bad character references,
        # encodings it cannot decode): the feed is unreadable, the rest of the batch goes on
        raise InputProblem("malformed-feed", f"not a readable RSS/Atom feed: {type(e).__name__}: {e}") from None
    if not feed.entries:
        if feed.get("bozo"):
            raise InputProblem("malformed-feed", f"not a readable RSS/Atom feed: {feed.get('bozo_exception')}")
        raise InputProblem("no-text", "the feed has no entries")
    outlet = (feed.feed.get("title") or "").strip() or None
    raws = _raw_items(data, len(feed.entries))
    for number, entry in enumerate(feed.entries, start=1):
        name = item_source(source, number)
        try:
            article = article_from_entry(entry, outlet)
        except InputProblem as problem:
            yield to_error(name, problem)
            continue
        except (ValueError, OverflowError, UnicodeError, lxml.etree.Error) as e:
            yield to_error(name, InputProblem("malformed-feed", f"unreadable entry: {type(e).__name__}: {e}"))
            continue
        raw = raws[number - 1] if raws else (
            json.dumps(dict(entry), ensure_ascii=False, default=str).encode("utf-8", "replace"))
        yield pair(article, raw, name)


def _check_depth(data: bytes) -> None:
    """Refuse a feed whose elements nest deeper than MAX_MARKUP_DEPTH before parsing it (feedparser
    spends seconds a megabyte on such markup); CDATA and HTML's empty elements are not counted."""
    depth = 0
    for m in _TAG.finditer(_CDATA.sub(b"", data)):
        if m[1] == b"/>":
            depth -= 1
        elif m[2]:
            depth -= 1
        elif m[3].lower() not in _VOID:
            depth += 1
            if depth > MAX_MARKUP_DEPTH:
                raise InputProblem("too-deep", f"the feed's elements nest more than {MAX_MARKUP_DEPTH} levels deep")


def _valid_char_ref(m: re.Match[bytes]) -> bytes:
    """A numeric character reference to no character (a surrogate, past U+10FFFF, NUL) becomes U+FFFD."""
    value = int(m[1], 16) if m[1] else int(m[2])
    if value == 0 or value > 0x10FFFF or 0xD800 <= value <= 0xDFFF:
        return b"&#xFFFD;"
    return m[0]


def article_from_entry(entry: Any, outlet: str | None) -> Article:
    """Build an article from one feedparser entry."""
    text = _entry_text(entry)
    if not text:
        raise InputProblem("no-text", "the entry has no summary or content")
    return checked(Article(
        text=text,
        title=markup_to_text(entry.get("title", "")) or None,
        url=entry.get("link") or None,
        published=_entry_date(entry),
        byline=entry.get("author") or None,
        outlet=outlet,
        external_id=entry.get("id") or None,
    ))


def _entry_text(entry: Any) -> str:
    """The longest of the entry's content parts and summary, as plain text."""
    parts = [c.get("value", "") for c in entry.get("content", [])]
    parts.append(entry.get("summary", ""))
    return max((markup_to_text(p) for p in parts), key=len, default="")


def _entry_date(entry: Any) -> dt.date | None:
    """Publication date as written in the feed; feedparser's parsed tuple is UTC-shifted."""
    for key in ("published", "updated"):
        try:
            value = parse_published(entry.get(key))
        except InputProblem:
            value = None
        if value:
            return value
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    try:
        return dt.date(parsed.tm_year, parsed.tm_mon, parsed.tm_mday) if parsed else None
    except (ValueError, OverflowError, AttributeError, TypeError):
        return None  # a date the feed gets wrong (year 0) is no date, not a bad entry


def markup_to_text(markup: str) -> str:
    """Strip HTML to text, keeping paragraph breaks as blank lines."""
    if not markup or not markup.strip():
        return ""
    if "<" not in markup:
        return unescape(markup).strip()
    try:
        root = lxml.html.fragment_fromstring(_XML_UNSAFE.sub("", markup), create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return ""
    for el in root.iter("script", "style"):
        el.drop_tree()
    for el in root.iter():
        if el.tag == "br":
            el.tail = "\n" + (el.tail or "")
        elif el.tag in _BLOCK_TAGS:
            el.tail = "\n\n" + (el.tail or "")
    lines = [_SPACES.sub(" ", line).strip() for line in root.text_content().split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def _raw_items(data: bytes, expected: int) -> list[bytes] | None:
    """Serialise each item/entry element so each article archives its own bytes.

    Returns None when the XML does not line up with feedparser's entries (a broken feed
    feedparser could still read); callers then archive the parsed entry instead.
    """
    parser = lxml.etree.XMLParser(resolve_entities=False, no_network=True, recover=True, huge_tree=False)
    try:
        root = lxml.etree.fromstring(data, parser)
    except (lxml.etree.Error, ValueError):
        return None
    if root is None:
        return None
    items = [lxml.etree.tostring(el, encoding="utf-8", with_tail=False) for el in root.iter(*_ITEM_TAGS)]
    return items if len(items) == expected else None
