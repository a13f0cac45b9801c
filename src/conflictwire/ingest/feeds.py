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

from conflictwire.model import Article

from .base import Item, item_source, pair, to_error
from .dates import parse_published
from .errors import InputProblem

_ITEM_TAGS = {"item", "{http://www.w3.org/2005/Atom}entry", "{http://purl.org/rss/1.0/}item"}
_BLOCK_TAGS = {
    "p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr", "table", "section", "article",
}
_SPACES = re.compile(r"[ \t\u00a0]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def read_feed(data: bytes, source: str) -> Iterator[Item]:
    """Read each entry of an RSS or Atom feed, named ``source#N`` (1-based)."""
    feed = feedparser.parse(data, sanitize_html=False, resolve_relative_uris=False)
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
        raw = raws[number - 1] if raws else json.dumps(dict(entry), ensure_ascii=False, default=str).encode("utf-8")
        yield pair(article, raw, name)


def article_from_entry(entry: Any, outlet: str | None) -> Article:
    """Build an article from one feedparser entry."""
    text = _entry_text(entry)
    if not text:
        raise InputProblem("no-text", "the entry has no summary or content")
    return Article(
        text=text,
        title=markup_to_text(entry.get("title", "")) or None,
        url=entry.get("link") or None,
        published=_entry_date(entry),
        byline=entry.get("author") or None,
        outlet=outlet,
        external_id=entry.get("id") or None,
    )


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
    return dt.date(parsed.tm_year, parsed.tm_mon, parsed.tm_mday) if parsed else None


def markup_to_text(markup: str) -> str:
    """Strip HTML to text, keeping paragraph breaks as blank lines."""
    if not markup or not markup.strip():
        return ""
    if "<" not in markup:
        return unescape(markup).strip()
    try:
        root = lxml.html.fragment_fromstring(markup, create_parent="div")
    except lxml.etree.ParserError:
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
    except lxml.etree.XMLSyntaxError:
        return None
    if root is None:
        return None
    items = [lxml.etree.tostring(el, encoding="utf-8", with_tail=False) for el in root.iter(*_ITEM_TAGS)]
    return items if len(items) == expected else None
