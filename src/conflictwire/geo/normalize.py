"""Place-name normalisation shared by the gazetteer builder and the resolver.

Both sides must normalise identically, or index keys and query keys drift apart: keep every rule here.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

#: Letters NFKD does not decompose into a base letter plus marks.
_FOLD = str.maketrans({"ı": "i", "ø": "o", "đ": "d", "ł": "l", "æ": "ae", "œ": "oe", "þ": "th", "ħ": "h"})

#: Hyphens and dashes of every kind become a space, so "al-Qasr", "al Qasr" and "al‐Qasr" meet.
_DASHES = re.compile(r"[\-\u2010-\u2015\u2212\u00ad_/]+")

#: Apostrophes, quotes, ayn/hamza letters: dropped, so "Ma'arrat", "Maʿarrat" and "Maarrat" meet.
_QUOTES = re.compile(r"[\"'`\u00b4\u2018-\u201f\u02b0-\u02ff\u0060\u00ab\u00bb]+")

#: Other punctuation that never distinguishes two places ("St. Louis" and "St Louis").
_PUNCT = re.compile(r"[.,;:!?()\[\]{}]+")

_SPACES = re.compile(r"\s+")

#: Dotted initialisms ("U.S.", "u.k.", "D.C.") collapse to their letters, so they meet "US", "UK", "DC".
_INITIALISM = re.compile(r"(?<!\w)((?:[^\W\d_]\.)+[^\W\d_]\.?)(?!\w)")

#: Arabic definite-article forms as transliterated in GeoNames and in news ("Ar Raqqah", "ash-Sham").
ARABIC_ARTICLES = frozenset({
    "al", "el", "ash", "as", "ad", "ar", "at", "az", "an", "ath", "adh", "ed", "es", "ez", "et", "en", "er", "ul",
})


@lru_cache(maxsize=200_000)
def normalize(name: str) -> str:
    """Casefold, strip diacritics, unify dashes and quotes, collapse spaces."""
    text = name.casefold()
    if not text.isascii():  # the decomposition is the slow part; most names need none
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
        text = text.translate(_FOLD)
    text = _INITIALISM.sub(lambda m: m.group(1).replace(".", ""), text)
    text = _QUOTES.sub("", text)
    text = _DASHES.sub(" ", text)
    text = _PUNCT.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def strip_articles(norm: str) -> str | None:
    """The normalised name without Arabic articles ("bustan al qasr" -> "bustan qasr"), or None if unchanged.

    An article is only dropped when another word follows it, so a name is never reduced to nothing and
    a trailing "as"/"an" that is part of the name stays.
    """
    tokens = norm.split(" ")
    kept = [t for i, t in enumerate(tokens) if not (t in ARABIC_ARTICLES and i + 1 < len(tokens))]
    if len(kept) == len(tokens) or not kept:
        return None
    return " ".join(kept)


def name_keys(name: str) -> list[tuple[str, bool]]:
    """Index keys of one name: (normalised, False) and, where it differs, (without articles, True)."""
    norm = normalize(name)
    if not norm:
        return []
    keys = [(norm, False)]
    bare = strip_articles(norm)
    if bare:
        keys.append((bare, True))
    return keys
