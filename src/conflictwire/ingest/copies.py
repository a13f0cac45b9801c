"""Copy detection: MinHash fingerprints for near-duplicates, and the agency a text credits.

Syndicated and translated copies of one story must count once when sources are counted.
Fingerprints are deterministic across processes and machines (blake2b and a fixed seed,
never Python's salted ``hash()``), so they can be stored and compared later.
"""

from __future__ import annotations

import hashlib
import random
import re
import unicodedata
from functools import lru_cache

from .errors import FingerprintError

SHINGLE_WORDS = 5
_PRIME = (1 << 61) - 1  # Mersenne prime: universal hashing modulus
_MAX_HASH = _PRIME  # signature value of an empty text: above every real hash
_SEED = 20161017
_WORD = re.compile(r"\w+")


def normalise(text: str) -> list[str]:
    """Words of ``text`` after Unicode compatibility folding and case folding."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[str]:
    """The set of word ``size``-grams of the normalised text (the whole text if shorter)."""
    words = normalise(text)
    if len(words) <= size:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}


def fingerprint(text: str, num_perm: int = 64) -> list[int]:
    """MinHash signature of ``text`` over word 5-shingles, ``num_perm`` values long."""
    hashes = [_hash64(s) for s in shingles(text)]
    if not hashes:
        return [_MAX_HASH] * num_perm
    return [min((a * h + b) % _PRIME for h in hashes) for a, b in _permutations(num_perm)]


def similarity(a: list[int], b: list[int]) -> float:
    """Estimated Jaccard similarity of the shingle sets behind two fingerprints."""
    if len(a) != len(b) or not a:
        raise FingerprintError(f"fingerprints of different or zero lengths ({len(a)} and {len(b)}) cannot be compared")
    return sum(1 for x, y in zip(a, b, strict=True) if x == y) / len(a)


def is_near_duplicate(a: list[int], b: list[int], threshold: float = 0.8) -> bool:
    """True when two fingerprints are at least ``threshold`` similar."""
    return similarity(a, b) >= threshold


def _hash64(shingle: str) -> int:
    """A stable 64-bit hash of one shingle."""
    return int.from_bytes(hashlib.blake2b(shingle.encode("utf-8"), digest_size=8).digest(), "big")


@lru_cache(maxsize=8)
def _permutations(num_perm: int) -> tuple[tuple[int, int], ...]:
    """The (a, b) pairs of the universal hash functions, fixed by a constant seed."""
    rng = random.Random(_SEED)
    return tuple((rng.randrange(1, _PRIME), rng.randrange(0, _PRIME)) for _ in range(num_perm))


# --- credited sources -------------------------------------------------------------------

# Short names of news agencies and broadcasters: an all-caps word is credited only if listed,
# so "according to the UN" or "ISIS reported" are not taken for a news source.
AGENCY_ACRONYMS = frozenset(
    "AFP AP ANA ANF ANI ANSA APA BBC BNA CNA CNN DPA DW EFE IANS INA IRNA ISNA KCNA KUNA "
    "MENA NHK NNA NPR PTI QNA RIA RT SANA SPA TASS UNA UPI VOA WAFA WAM".split()
)
# Words that make a capitalised name an outlet ("Federal News Agency", "Al Jazeera").
_MEDIA_WORDS = frozenset(
    "agency press news times post television tv radio broadcasting network channel journal "
    "gazette herald tribune telegraph guardian daily observer monitor wire media reuters "
    "bloomberg interfax xinhua anadolu jazeera arabiya sputnik tasnim fars mehr ria-novosti".split()
)
# Capitalised words that start sentences or date them, not names of outlets.
_LEADING_NOISE = frozenset("the a an on in at yesterday today tonight meanwhile earlier later also and but as when state".split())

_CAP = r"[A-Z][\w'’&.\-]*"
_NAME = rf"{_CAP}(?:\s+(?:(?:of|for|and|al|el|de|the|&)\s+)?{_CAP}){{0,6}}"
_PATTERNS = (
    # "ALEPPO (Reuters) -" and "(AP) —": a dateline credit.
    re.compile(rf"\((?P<name>{_NAME})\)\s*[-–—]"),
    # "... — AFP" or "-- Reuters" closing a paragraph.
    re.compile(rf"(?:[–—]|--|\s-)\s*(?P<name>{_NAME})\s*$", re.MULTILINE),
    # "according to the Associated Press", "reported by Federal News Agency", "correspondents of ...".
    re.compile(
        rf"\b(?i:according to|reported by|cited by|quoted by|told|correspondents? of|reporters? of)"
        rf"\s+(?:the\s+)?(?P<name>{_NAME})"
    ),
    # "SANA reported", "the Syrian Arab News Agency (SANA) reported".
    re.compile(rf"(?P<name>{_NAME})(?:\s+\([A-Z]{{2,6}}\))?\s+(?:has\s+)?(?:reported|reports|quoted|cited)\b"),
)


def credited_source(text: str) -> str | None:
    """The agency or outlet ``text`` credits, as written ("Reuters", "Federal News Agency").

    Of several credits, the one that comes first in the text wins. None when there is none.
    """
    best: tuple[int, str] | None = None
    for pattern in _PATTERNS:
        for m in pattern.finditer(text):
            name = _outlet_name(m["name"], strict=pattern is not _PATTERNS[0])
            if name and (best is None or m.start() < best[0]):
                best = (m.start(), name)
                break
    return best[1] if best else None


def _outlet_name(candidate: str, strict: bool) -> str | None:
    """Trim sentence words off a capitalised run and keep it only if it names an outlet.

    A dateline credit "(Reuters) -" is trusted as it stands; elsewhere the name must be a known
    agency acronym or contain a media word, since "according to X" is mostly not about outlets.
    """
    words = candidate.split()
    while words and words[0].lower() in _LEADING_NOISE:
        words.pop(0)
    if not words:
        return None
    name = " ".join(words).rstrip(".")
    if not strict:
        return name
    if len(words) == 1 and words[0].isupper():
        return name if words[0] in AGENCY_ACRONYMS else None
    lowered = {w.lower().strip("'’.") for w in words}
    return name if lowered & _MEDIA_WORDS or set(words) & AGENCY_ACRONYMS else None
