"""HTML pages: main text and metadata with trafilatura."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import lxml.etree
import trafilatura
from trafilatura.settings import Document

from conflictwire.model import Article

from .base import Item, check_markup_size, checked, pair
from .dates import parse_published
from .errors import InputProblem

# Only dates the page states in its metadata, markup or URL: the extensive search would
# also read "Copyright 2022" footers, which date the site, not the story.
_DATE_PARAMS = {"extensive_search": False, "original_date": True}


#: Fewer words than this is no article (a headline alone still has more once the body is there).
MIN_WORDS = 8


def read_html(data: bytes, source: str) -> Iterator[Item]:
    """Read one HTML page as one article."""
    yield pair(parse_html(data), data, source)


def parse_html(data: bytes, url: str | None = None) -> Article:
    """Extract the main text and metadata of one page; raise InputProblem ``no-text`` if none."""
    check_markup_size(data, "page")
    try:
        doc = trafilatura.bare_extraction(
            data,
            url=url,
            with_metadata=True,
            include_comments=False,
            include_tables=True,
            date_extraction_params=_DATE_PARAMS,
        )
    except (ValueError, TypeError, AttributeError, LookupError, UnicodeError, OverflowError, lxml.etree.Error) as e:
        # trafilatura and lxml give up on some broken pages: the page is unreadable, not the batch
        raise InputProblem("no-text", f"the HTML cannot be read: {type(e).__name__}: {e}") from None
    text = (doc.text or "").strip() if isinstance(doc, Document) else ""
    if not isinstance(doc, Document) or not text:
        raise InputProblem("no-text", "no main text found in the HTML")
    words = len(text.split())
    if words < MIN_WORDS:
        # a page of menus and links: what trafilatura falls back to is page furniture, not an article
        raise InputProblem("no-text", f"no main text found in the HTML (only {words} words outside the page furniture)")
    title = (doc.title or "").strip() or None
    return checked(Article(
        text=_drop_title_line(text, title),
        title=title,
        outlet=doc.sitename or None,
        url=doc.url or url,
        published=_page_date(doc.date),
        language=doc.language or None,
        byline=doc.author or None,
    ))


def _drop_title_line(text: str, title: str | None) -> str:
    """Drop the headline trafilatura repeats as the first line of the text."""
    first, sep, rest = text.partition("\n")
    if title and sep and first.strip() == title and rest.strip():
        return rest.strip()
    return text


def _page_date(value: str | None) -> dt.date | None:
    """Parse trafilatura's YYYY-MM-DD date, ignoring one it got wrong rather than failing."""
    try:
        return parse_published(value)
    except InputProblem:
        return None
