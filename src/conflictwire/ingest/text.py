"""Plain text in the seed's layout: a title line, a blank line, then the body.

Optional ``Translated by NAME`` and ``By NAME`` lines right under the title become the
article's translator and byline and are left out of the body. The body is otherwise kept
as written (only line endings are unified and the whole is stripped), so character
offsets into it stay meaningful.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from conflictwire.model import Article

from .base import Item, checked, decode_utf8, normalise_newlines, pair
from .errors import InputProblem

_TRANSLATOR = re.compile(r"^translated(?:\s+from\s+[A-Za-z]+)?\s+by[:\s]\s*(?P<name>.+?)\s*$", re.IGNORECASE)
_BYLINE = re.compile(r"^by[:\s]\s*(?P<name>.+?)\s*$", re.IGNORECASE)
# Words allowed in lower case inside a person or desk name ("Ahmad al-Hassan and Lena de Vries").
_NAME_CONNECTORS = {
    "and", "de", "der", "van", "von", "da", "di", "del", "la", "le", "al", "el", "bin", "ibn", "in", "&", "|", ",",
}
_MAX_HEADER_LINE = 100  # longer lines are prose, never a byline
_MAX_TITLE_LINE = 300
_HEADER_SCAN_LINES = 6  # header lines are looked for only this near the top


@dataclass
class Layout:
    """The parts of a plain-text article."""

    title: str | None
    body: str
    byline: str | None = None
    translator: str | None = None


def read_text(data: bytes, source: str) -> Iterator[Item]:
    """Read one plain-text article."""
    yield pair(parse_text(data), data, source)


def parse_text(data: bytes) -> Article:
    """Decode and split one plain-text article; raise InputProblem when there is no text."""
    text = normalise_newlines(decode_utf8(data))
    if not text.strip():
        raise InputProblem("empty", f"file has no text ({len(data):,} bytes of whitespace)")
    layout = split_layout(text)
    return checked(Article(text=layout.body, title=layout.title, byline=layout.byline, translator=layout.translator))


def split_layout(text: str) -> Layout:
    """Find title, translator and byline at the top of ``text``; the rest is the body."""
    lines = text.split("\n")
    first = next(i for i, line in enumerate(lines) if line.strip())
    byline: str | None = None
    translator: str | None = None
    i = first + 1
    header_seen = False
    while i < len(lines) and i <= first + _HEADER_SCAN_LINES + 1:
        line = lines[i].strip()
        if not line:
            i += 1
            continue
        kind, name = _header_line(line)
        if kind is None:
            break
        if kind == "translator" and translator is None:
            translator = name
        elif kind == "byline" and byline is None:
            byline = name
        header_seen = True
        i += 1
    title_line = lines[first].strip()
    # A title is a short first line set apart by a blank line (or by the header lines).
    has_break = first + 1 < len(lines) and (not lines[first + 1].strip() or header_seen)
    rest = "\n".join(lines[i:]).strip()
    if not has_break or len(title_line) > _MAX_TITLE_LINE or not rest:
        return Layout(title=None, body=text.strip())
    return Layout(title=title_line, body=rest, byline=byline, translator=translator)


def _header_line(line: str) -> tuple[str | None, str | None]:
    """Classify a line as a translator or byline credit, or neither."""
    if len(line) > _MAX_HEADER_LINE:
        return None, None
    m = _TRANSLATOR.match(line)
    if m and _looks_like_name(m["name"]):
        return "translator", m["name"]
    m = _BYLINE.match(line)
    if m and _looks_like_name(m["name"]):
        return "byline", m["name"]
    return None, None


def _looks_like_name(name: str) -> bool:
    """True for 'Ollie Richardson' or 'Mara Voss and Ali Haddad'; False for 'nightfall, the army'."""
    words = name.replace(",", " , ").split()
    if not words or len(words) > 10:
        return False
    # A sentence ends with punctuation; a name does not (bar "Jr.").
    if name.endswith((".", "!", "?", ":")) and not name.endswith(("Jr.", "Sr.")):
        return False
    return all(w[0].isupper() or w.lower() in _NAME_CONNECTORS or w.lower().startswith(("al-", "el-")) for w in words)
