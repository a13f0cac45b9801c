"""Find and resolve the place mentions of a text: the ``conflictwire geoparse`` contract.

Without spans, mentions are spaCy's GPE/LOC/FAC entities plus names of the project's gazetteer
additions found in the text (the small model misses "Bustan al-Qasr"); with spans, exactly those.
Resolution uses an article-level context: the countries of the unambiguous mentions first, then the
previous resolved place as an anchor for the next.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable
from typing import Any, Protocol

from conflictwire.geo.normalize import normalize
from conflictwire.geo.resolve import GeoContext, PlaceResolver, Want, context_from_mentions
from conflictwire.model import Location

#: spaCy entity labels that name places.
PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})

#: Labels the small English model often gives to place names ("Aleppo" as NORP or LANGUAGE, "Idlib" as
#: ORG); such entities count as places only when they are a strong gazetteer match (a language name such
#: as "Arabic" or "Kurdish" is not one: no gazetteer entry, or a demonym).
MISLABELLED = frozenset({"NORP", "ORG", "PERSON", "LANGUAGE"})
#: A mislabelled entity must name a country, admin1 region or continent, or a place this populous.
STRONG_POPULATION = 100_000

#: Generic heads next to a name that belong to the mention ("the province of Idlib", "Homs countryside").
_HEAD_BEFORE = re.compile(r"(?:\b(?:the\s+)?(?:province|governorate|region|district|city|town|village|"
                          r"outskirts|countryside|suburbs)\s+of\s+)$", re.IGNORECASE)
_HEAD_AFTER = re.compile(r"^\s+(?:province|governorate|region|district|countryside|county|oblast)\b",
                         re.IGNORECASE)
_OF_NAME = re.compile(r"\bof\s+(?:the\s+)?([A-Z][\w'’\-]*(?:\s+[A-Z][\w'’\-]*)*)$")

#: Quote-like characters a name may carry between letters in running text ("Shuja'iyya").
_OPTIONAL_QUOTE = "['’ʿʾ`]?"
_SEPARATOR = r"[\s\-‐‑–]+"


class _Doc(Protocol):
    ents: Any


class Nlp(Protocol):
    """The part of a spaCy Language object geoparse needs."""

    def __call__(self, text: str) -> _Doc: ...


def geoparse(text: str, spans: list[tuple[int, int]] | None, resolver: PlaceResolver,
             nlp: Nlp | None) -> list[dict[str, Any] | None]:
    """Resolved places of a text: found ones (spans None, needs nlp) or one entry per given span, in order."""
    if spans is None:
        if nlp is None:
            raise ValueError("geoparse without spans needs a spaCy pipeline to find mentions")
        spans = find_mentions(text, resolver, nlp)
    mentions = [text[s:e] if 0 <= s < e <= len(text) else "" for s, e in spans]
    out: list[dict[str, Any] | None] = []
    for (start, end), mention, (loc, why) in zip(spans, mentions, resolve_spans(text, spans, mentions, resolver),
                                                 strict=True):
        if not mention:
            out.append(_unresolved(start, end, "", f"span {start}-{end} is outside the text"))
        elif loc is None or loc.lat is None or loc.lon is None:
            out.append(_unresolved(start, end, mention, why))
        else:
            out.append(_place(start, end, mention, loc))
    return out


def resolve_spans(text: str, spans: list[tuple[int, int]], mentions: list[str],
                  resolver: PlaceResolver) -> list[tuple[Location | None, str]]:
    """(Location or None, why) for each span of a text, in order: the article-level two-pass country vote,
    the containment the text states ("X, Y", "X in Y") and the previous resolved place as anchor.

    ``mentions`` are the words to resolve for each span (usually ``text[start:end]``; a caller may widen
    one, "the province of Idlib"); an empty mention is left unresolved. Spans must be in text order.
    """
    context = context_from_mentions([m for m in mentions if m], resolver)
    wants: list[Want | None] = [None] * len(spans)
    out = _resolve_pass(text, spans, mentions, resolver, context, wants)
    for _ in range(3):  # a list turns to admin1s item by item ("Ohio, Oregon and Washington")
        new = _wants(text, spans, [loc for loc, _ in out])
        if new == wants:
            break
        wants = new
        out = _resolve_pass(text, spans, mentions, resolver, context, wants)
    return out


def _resolve_pass(text: str, spans: list[tuple[int, int]], mentions: list[str], resolver: PlaceResolver,
                  context: GeoContext, wants: list[Want | None]) -> list[tuple[Location | None, str]]:
    """One left-to-right pass: each span with its container, the kind the text asks for, and the anchor."""
    out: list[tuple[Location | None, str]] = []
    for i, mention in enumerate(mentions):
        if not mention:
            out.append((None, "empty mention"))
            continue
        container = _container(text, i, spans, mentions, resolver, context)
        ctx = GeoContext(context.country_counts, context.admin1_hint, context.anchor, container, wants[i])
        loc, why = resolver.resolve_with_reason(mention, ctx)
        out.append((loc, why))
        if loc is not None and loc.lat is not None and loc.lon is not None:
            context = GeoContext(context.country_counts, context.admin1_hint, (loc.lat, loc.lon))
    return out


#: Words next to a name that say it is a first-level region: "the state of X", "upstate X", "X state".
_ADMIN1_BEFORE = re.compile(r"(?:\b(?:state|province|governorate|oblast|prefecture)\s+of\s+(?:the\s+)?|"
                            r"\bupstate\s+)$", re.IGNORECASE)
_ADMIN1_AFTER = re.compile(r"^\s+(?:state|province|governorate|oblast|prefecture)\b", re.IGNORECASE)
_PLACE_AFTER = re.compile(r"^\s+(?:city|town|village)\b", re.IGNORECASE)
#: What stands between two items of a list: "X, Y", "X and Y", "X, and Y", "X or Y".
_LIST_SEPARATOR = re.compile(r"^\s*(?:,\s*(?:(?:and|or)\s+)?|\s+(?:and|or)\s+)$", re.IGNORECASE)


def _wants(text: str, spans: list[tuple[int, int]], locs: list[Location | None]) -> list[Want | None]:
    """Per span, "admin1" when the text says it is a first-level region, else None: a head word next to it
    ("the state of X", "X province", "upstate X"); a list whose neighbouring item resolved to an admin1
    ("Ohio, Oregon and Washington": at least half of the list's other items); or the Y of "X, Y" when X is a town and Y ends the list
    ("Buffalo, New York")."""
    def is_admin1(j: int) -> bool:
        loc = locs[j] if 0 <= j < len(locs) else None
        return loc is not None and loc.feature_code == "ADM1"

    def listed(a: int, b: int) -> bool:
        return 0 <= a < b < len(spans) and bool(_LIST_SEPARATOR.match(text[spans[a][1]:spans[b][0]]))

    run = list(range(len(spans)))  # run[i]: the first item of the list span i belongs to
    for i in range(1, len(spans)):
        if listed(i - 1, i):
            run[i] = run[i - 1]
    # per list: its size and how many of its items are admin1 regions (linear, however long the list)
    size = Counter(run)
    admin1 = Counter(r for j, r in enumerate(run) if is_admin1(j))
    out: list[Want | None] = []
    for i, (start, end) in enumerate(spans):
        others = size[run[i]] - 1
        cue = _ADMIN1_BEFORE.search(text[max(0, start - 40):start]) or _ADMIN1_AFTER.match(text[end:end + 20])
        in_list = others > 0 and (admin1[run[i]] - is_admin1(i)) * 2 >= others
        if _PLACE_AFTER.match(text[end:end + 20]):
            out.append(None)  # "Aleppo city and Idlib province": the text says it is the town
            continue
        prev = locs[i - 1] if i > 0 else None
        after_town = (i > 0 and prev is not None and prev.feature_code is not None and prev.feature_code.startswith("PPL")
                      and text[spans[i - 1][1]:start].strip() == "," and not listed(i, i + 1))
        out.append("admin1" if cue or in_list or after_town else None)
    return out


#: What may stand between a place and the larger place it lies in: "Hama, Syria", "Kafr Nabl in Idlib
#: province", "Tripoli in northern Lebanon", "Saraqib, in the Idlib countryside".
_CONTAINED_BY = re.compile(r"^\s*(?:,\s*(?:in\s+)?|\s+in\s+)(?:the\s+)?(?:(?:north|south|east|west|central)"
                           r"(?:ern|-?(?:east|west)(?:ern)?)?\s+)?$", re.IGNORECASE)


def _container(text: str, i: int, spans: list[tuple[int, int]], mentions: list[str], resolver: PlaceResolver,
               context: GeoContext) -> tuple[str, str | None] | None:
    """(country code, admin1) of the next span when the text says span i lies in it ("X, Y", "X in Y")."""
    if i + 1 >= len(spans) or not mentions[i + 1]:
        return None
    between = text[spans[i][1]:spans[i + 1][0]]
    if not _CONTAINED_BY.match(between):
        return None
    outer = resolver.resolve(mentions[i + 1], context)
    if outer is None or not outer.country_code:
        return None
    # a town as container ("Hama, Homs and Aleppo" is more often a list than containment) gives its
    # country only; a province or district gives its admin1 too
    in_region = bool(outer.feature_code and outer.feature_code.startswith("ADM"))
    return outer.country_code, outer.admin1 if in_region else None


def find_mentions(text: str, resolver: PlaceResolver, nlp: Nlp) -> list[tuple[int, int]]:
    """Place mention spans, in text order: additions names, then NER places that do not overlap them."""
    found = SpanIndex(additions_spans(text, resolver))
    for ent in nlp(text).ents:
        span = _entity_place(text, ent.start_char, ent.end_char, ent.label_, resolver)
        if span and not found.overlaps(*span):
            found.add(_expand(text, *span))
    return found.spans()


def _entity_place(text: str, start: int, end: int, label: str, resolver: PlaceResolver) -> tuple[int, int] | None:
    """The place span of one entity: all of a GPE/LOC/FAC, or a strong place name inside a mislabelled one."""
    if label in PLACE_LABELS:
        return start, end
    if label not in MISLABELLED:
        return None
    if _is_strong_place(text[start:end], resolver):
        return start, end
    m = _OF_NAME.search(text[start:end])  # "the Defence Ministry of Syria"
    if m and _is_strong_place(m.group(1), resolver):
        return start + m.start(1), start + m.end(1)
    return None


def _is_strong_place(mention: str, resolver: PlaceResolver) -> bool:
    """True when a mention names a country/admin1/continent or a large place under its own or alternate name."""
    cands, _, _ = resolver.candidates(mention)
    if not cands or cands[0].match.kind > 1:
        return False
    e = cands[0].entry
    norm = normalize(mention)
    if " " not in norm and resolver.gazetteer.word_kind(norm) == "common":
        # "Eastern" tagged ORG is an adjective, not Saudi Arabia's Eastern Province; the word list
        # (WordNet) also holds "aleppo", so a large city under that name still counts.
        return e.feature_class == "P" and e.population >= STRONG_POPULATION
    return e.feature_code in ("PCLI", "ADM1", "CONT") or e.population >= STRONG_POPULATION or e.is_addition


def _expand(text: str, start: int, end: int) -> tuple[int, int]:
    """The span grown over a generic head before or after it ("province of" Idlib, Homs "countryside")."""
    before = _HEAD_BEFORE.search(text[max(0, start - 40):start])
    if before:
        start -= len(before.group(0))
    after = _HEAD_AFTER.match(text[end:end + 30])
    if after:
        end += after.end()
    return start, end


def additions_spans(text: str, resolver: PlaceResolver) -> list[tuple[int, int]]:
    """Spans of the gazetteer additions' names in the text, longest first where they overlap."""
    hits: list[tuple[int, int]] = []
    by_first, always = _additions_index(resolver)
    matches: list[re.Match[str]] = [m for pattern in always for m in pattern.finditer(text)]
    # Each key is tried only where a word of the text is its first word: linear in the text.
    for w in _WORD.finditer(text):
        word = w.group(0)
        # "Remal's": the key may end at any quote inside the word as well as at its end
        forms = {word} | {word[:q.start()] for q in _QUOTES.finditer(word)}
        for form in forms:
            for pattern in by_first.get(_QUOTES.sub("", form).lower().replace("i\u0307", "i"), ()):
                m = pattern.match(text, w.start())
                if m:
                    matches.append(m)
    for m in matches:
        if m.group(0)[0].isupper() or not m.group(0)[0].isascii():  # place names are capitalised
            hits.append(m.span())
    hits.sort(key=lambda s: (-(s[1] - s[0]), s[0]))
    kept = SpanIndex()
    for s in hits:
        if not kept.overlaps(*s):
            kept.add(s)
    return kept.spans()


_PATTERN_CACHE: dict[int, list[re.Pattern[str]]] = {}
_KEYS_CACHE: dict[int, list[str]] = {}
_INDEX_CACHE: dict[int, tuple[dict[str, list[re.Pattern[str]]], list[re.Pattern[str]]]] = {}
_WORD = re.compile(r"(?<!\w)\w[\w'’ʿʾ`]*")
_QUOTES = re.compile(r"['’ʿʾ`]")
_PLAIN_WORD = re.compile(r"\w+")


def _additions_index(resolver: PlaceResolver) -> tuple[dict[str, list[re.Pattern[str]]], list[re.Pattern[str]]]:
    """The additions' patterns by the first word of their key, and those with no plain first word."""
    key = id(resolver.gazetteer)
    if key not in _INDEX_CACHE:
        by_first: dict[str, list[re.Pattern[str]]] = {}
        always: list[re.Pattern[str]] = []
        for k, pattern in zip(_additions_keys(resolver), _additions_patterns(resolver)):
            first = k.split(" ")[0]
            if _PLAIN_WORD.fullmatch(first) and first == first.lower() and not _QUOTES.search(first):
                by_first.setdefault(first, []).append(pattern)
            else:
                always.append(pattern)
        _INDEX_CACHE[key] = (by_first, always)
    return _INDEX_CACHE[key]


def _additions_keys(resolver: PlaceResolver) -> list[str]:
    """The additions' name keys worth looking for, longest first (one per ``_additions_patterns`` entry)."""
    gaz = resolver.gazetteer
    if id(gaz) in _KEYS_CACHE:
        return _KEYS_CACHE[id(gaz)]
    keys = gaz.addition_keys()
    # A one-word key that is an English word ("Mawasi" is not, "Rimal" is not, but guard anyway)
    # would fire on ordinary prose.
    keys = {k for k in keys if len(k) >= 4 and (" " in k or gaz.word_kind(k) is None)}
    _KEYS_CACHE[id(gaz)] = sorted(keys, key=lambda k: (-len(k), k))
    return _KEYS_CACHE[id(gaz)]


def _additions_patterns(resolver: PlaceResolver) -> list[re.Pattern[str]]:
    """One regex per additions name key, tolerant of dashes and quotes; cached per gazetteer."""
    gaz = resolver.gazetteer
    key = id(gaz)
    if key not in _PATTERN_CACHE:
        _PATTERN_CACHE[key] = [_key_pattern(k) for k in _additions_keys(resolver)]
    return _PATTERN_CACHE[key]


def _key_pattern(key: str) -> re.Pattern[str]:
    """A case-insensitive regex matching a normalised key in running text."""
    words = [_OPTIONAL_QUOTE.join(re.escape(ch) for ch in word) for word in key.split(" ")]
    return re.compile(r"(?<!\w)" + _SEPARATOR.join(words) + r"(?!\w)", re.IGNORECASE)


class SpanIndex:
    """Character spans with an overlap test that costs O(log n + k), not a scan of every span: a
    text naming one place thousands of times must stay linear (k: spans starting within the longest
    span's length before the query)."""

    def __init__(self, spans: Iterable[tuple[int, int]] = ()) -> None:
        self._spans = sorted(spans)
        self._starts = [s for s, _ in self._spans]
        self._longest = max((e - s for s, e in self._spans), default=0)

    def overlaps(self, start: int, end: int) -> bool:
        """True when [start, end) overlaps a span."""
        lo = bisect_left(self._starts, start - self._longest)
        hi = bisect_left(self._starts, end)
        return any(self._spans[k][1] > start for k in range(lo, hi))

    def add(self, span: tuple[int, int]) -> None:
        k = bisect_left(self._spans, span)
        self._spans.insert(k, span)
        self._starts.insert(k, span[0])
        self._longest = max(self._longest, span[1] - span[0])

    def spans(self) -> list[tuple[int, int]]:
        """The spans, in text order."""
        return list(self._spans)


def _place(start: int, end: int, mention: str, loc: Location) -> dict[str, Any]:
    """A resolved place in the geoparse output shape."""
    return {
        "start": start, "end": end, "text": mention, "name": loc.name, "lat": loc.lat, "lon": loc.lon,
        "country_code": loc.country_code, "admin1": loc.admin1, "geonameid": loc.geonameid,
        "feature_code": loc.feature_code, "score": loc.score,
    }


def _unresolved(start: int, end: int, mention: str, why: str) -> dict[str, Any]:
    """An unresolved span in the geoparse output shape, with the reason."""
    return {
        "start": start, "end": end, "text": mention, "name": None, "lat": None, "lon": None,
        "country_code": None, "admin1": None, "geonameid": None, "feature_code": None, "score": None,
        "why": why,
    }
