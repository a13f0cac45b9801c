"""Place resolution: a mention ("Idlib province", "eastern Aleppo", "Khan Younis") to a model.Location.

Ranking is a small linear score over interpretable features (name match kind, log population, feature
class, country prior, admin1 hint, distance to the previous place); each chosen Location says why.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from conflictwire.geo.gazetteer import GazEntry, Gazetteer, NameMatch
from conflictwire.geo.normalize import normalize
from conflictwire.model import PRECISION_EXACT, PRECISION_NEAR, PRECISION_REGION, Location

Want = Literal["admin1", "admin2", "place"]

#: Weights of the ranking features; see _score.
W_KIND = (1.0, 0.75, 0.5)  # own name, alternate name, variant
W_BARE = -0.1  # matched only after dropping Arabic articles from the mention
W_LOGPOP = 0.15
W_COUNTRY_SHARE = 1.2
W_TOP_COUNTRY = 0.3
W_ADMIN1_HINT = 0.6
W_ANCHOR = 0.5
ANCHOR_KM = 250.0
#: "X, Y" / "X in Y": X lies in the country (and admin1) the container Y resolved to.
W_CONTAINER_COUNTRY = 1.5
W_CONTAINER_ADMIN1 = 1.0
#: Curated additions carry no population; this stands in for it (about a 10k-people town).
W_ADDITION = 0.6
W_FEATURE = {"P": 0.3, "A": 0.0, "L": 0.0, "H": 0.0, "T": 0.0, "S": -0.1}
W_COUNTRY_ENTRY = 0.6  # a country, continent or ocean under its own or alternate name means it
W_WANT = 1.5
W_WANT_OTHER_ADMIN = 0.8
W_REGION_OF_CITY = -0.5  # "Idlib" is the city when the region is named after it
#: A small place matched under an alternate name that is an admin1's or country's own name ("Minnesota"
#: listed for the town of Minneota): the region is meant, unless the place is a major city of that size.
W_ALIAS_OF_REGION = -1.0
ALIAS_CITY_SHARE = 0.1

_ADMIN1_WORDS = ("province", "governorate", "region", "state", "oblast", "prefecture", "department", "wilaya",
                 "emirate", "territory")
_ADMIN2_WORDS = ("district", "county", "municipality", "raion", "rayon", "subdistrict", "sub-district", "nahiya")
_PLACE_WORDS = ("city", "town", "village", "neighbourhood", "neighborhood", "quarter", "suburb", "area")
_NEAR_WORDS = ("outskirts", "suburbs", "countryside", "vicinity", "environs", "surroundings", "periphery",
               "villages", "farmlands", "rural areas")
_DIRECTIONS = (
    "north", "south", "east", "west", "northern", "southern", "eastern", "western", "central", "downtown",
    "northeast", "northwest", "southeast", "southwest", "northeastern", "northwestern", "southeastern",
    "southwestern", "north-east", "north-west", "south-east", "south-west", "north-eastern", "north-western",
    "south-eastern", "south-western", "rural", "greater", "outer", "inner", "upper", "lower",
)
_HEAD_WORDS = _ADMIN1_WORDS + _ADMIN2_WORDS + _PLACE_WORDS + _NEAR_WORDS + ("districts", "neighbourhoods",
                                                                            "neighborhoods", "areas", "parts")
_OF_HEAD = re.compile(r"^(?:the\s+)?(?P<head>" + "|".join(map(re.escape, _HEAD_WORDS)) + r")\s+of\s+(?P<rest>.+)$",
                      re.IGNORECASE)
_TAIL = re.compile(r"^(?P<rest>.+?)(?:'s)?\s+(?P<head>" + "|".join(map(re.escape, _HEAD_WORDS)) + r")$",
                   re.IGNORECASE)
_DIRECTION = re.compile(r"^(?:the\s+)?(?P<dir>" + "|".join(map(re.escape, _DIRECTIONS)) + r")(?:ern)?\s+(?P<rest>.+)$",
                        re.IGNORECASE)
_THE = re.compile(r"^the\s+", re.IGNORECASE)
_TRIM = re.compile(r"^[\s\"'“”‘’«»(\[]+|[\s\"'“”‘’«»)\].,;:!?]+$")
_POSSESSIVE = re.compile(r"(?:'s|’s|'|’)$")

_REGION_CODES = {"ADM1", "PCLI", "CONT"}


@dataclass
class GeoContext:
    """What an article already says about where it is."""

    #: Country code -> how many mentions point there; fractional when a mention is shared between countries.
    country_counts: Mapping[str, float] = field(default_factory=dict)
    admin1_hint: tuple[str, str] | None = None  # (country code, admin1 name as the gazetteer spells it)
    anchor: tuple[float, float] | None = None  # (lat, lon) of the previous resolved place in the article
    #: (country code, admin1 or None) of the place the text says this one lies in ("X, Y", "X in Y province").
    container: tuple[str, str | None] | None = None
    #: What the surrounding text says the mention is ("the state of X", a list of provinces, the "Y" of
    #: "X, Y"); applied only when the mention has an entry of that kind under its own or alternate name.
    want: Want | None = None


@dataclass(frozen=True)
class Parsed:
    """A mention with its generic heads and tails taken off, and what they said."""

    core: str
    want: Want | None = None
    part: str | None = None  # "east", "north", ...: a part of the place is meant
    near: bool = False  # "outskirts of", "countryside": somewhere around the place

    @property
    def changed(self) -> bool:
        """True when a head, tail or direction was removed."""
        return bool(self.want or self.part or self.near)


@dataclass(frozen=True)
class Candidate:
    """A scored gazetteer match."""

    score: float
    match: NameMatch

    @property
    def entry(self) -> GazEntry:
        """The matched gazetteer entry."""
        return self.match.entry


def clean_mention(mention: str) -> str:
    """The mention without surrounding quotes/punctuation, a leading "the" and a possessive "'s"."""
    text = _TRIM.sub("", " ".join(mention.split()))
    text = _THE.sub("", text)
    return _POSSESSIVE.sub("", text).strip()


def parse_mention(text: str) -> Parsed:
    """Strip generic heads ("province of", "eastern") and tails ("province", "countryside") from a mention."""
    core, want, part, near = text, None, None, False
    for _ in range(4):  # "the eastern countryside of Idlib province" has at most a few layers
        m = _OF_HEAD.match(core) or _TAIL.match(core)
        if m:
            head = m.group("head").casefold()
            core = m.group("rest").strip()
            want = want or _want_of(head)
            near = near or head in _NEAR_WORDS
            continue
        d = _DIRECTION.match(core)
        if d and len(d.group("rest").split()) >= 1:
            part = part or d.group("dir").casefold().removesuffix("ern")
            core = d.group("rest").strip()
            continue
        break
    return Parsed(core=_POSSESSIVE.sub("", core).strip(), want=want, part=part, near=near)


def _is_kind(m: NameMatch, want: Want) -> bool:
    """True when a match is an entry of the kind asked for."""
    if want == "place":
        return m.entry.feature_class == "P"
    return m.entry.feature_code == ("ADM1" if want == "admin1" else "ADM2")


def _want_of(head: str) -> Want | None:
    """What kind of entry a head word asks for."""
    if head in _ADMIN1_WORDS:
        return "admin1"
    if head in _ADMIN2_WORDS:
        return "admin2"
    if head in _PLACE_WORDS:
        return "place"
    return None


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in km between two (lat, lon) points."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(h)))


#: GeoNames classes of extended features: A admin region, L area, H water (sea, river, lake), T landform
#: (range, island, peninsula, desert). None is a point; a point inside one stands in for the event.
_AREA_CLASSES = frozenset("ALHT")
#: Codes of areas that, spanning several countries, are continent-scale ("West Africa", "the Middle
#: East", "the Mediterranean", "the Himalayas"): only the region is known, as with a province.
_LARGE_AREA_CODES = frozenset({"RGN", "SEA", "OCN", "MTS", "DSRT", "PEN", "ISL"})


def base_precision(entry: GazEntry) -> int:
    """ACLED precision of an entry standing for itself: 1 the place itself, 2 a district or an area (water,
    landform, region within a country), 3 a province, country, continent or multi-country region."""
    if entry.feature_code in _REGION_CODES:
        return PRECISION_REGION
    if entry.feature_class in _AREA_CLASSES:
        if not entry.country_code and entry.feature_code in _LARGE_AREA_CODES:
            return PRECISION_REGION
        return PRECISION_NEAR
    return PRECISION_EXACT


class PlaceResolver:
    """Resolves place mentions against a gazetteer."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        self.gazetteer = gazetteer

    def resolve(self, mention: str, context: GeoContext | None = None) -> Location | None:
        """The best Location for a mention, or None."""
        return self.resolve_with_reason(mention, context)[0]

    def resolve_with_reason(self, mention: str, context: GeoContext | None = None) -> tuple[Location | None, str]:
        """The best Location and why it was chosen, or None and why there is none."""
        cands, parsed, reason = self.candidates(mention, context)
        if not cands:
            return None, reason
        best = cands[0]
        precision = base_precision(best.entry)
        why = [reason]
        if (parsed.part or parsed.near) and precision == PRECISION_EXACT:
            precision = PRECISION_NEAR
            why.append(f"{'the ' + parsed.part + ' of' if parsed.part else 'near'} {best.entry.name} stands in")
        loc = self._location(mention, best, precision, "; ".join(why), self._confidence(cands))
        return loc, loc.why or ""

    def candidates(self, mention: str, context: GeoContext | None = None) -> tuple[list[Candidate], Parsed, str]:
        """Scored candidates, best first, with the parsed mention and a reason (why none, or how matched)."""
        text = clean_mention(mention)
        parsed = Parsed(core=text)
        if not text:
            return [], parsed, "empty mention"
        refusal = self._refusal(text)
        if refusal:
            return [], parsed, refusal
        matches = self.gazetteer.matches(text)
        how = f"name {text!r}"
        if not matches:
            parsed = parse_mention(text)
            if not parsed.changed or not parsed.core:
                return [], parsed, f"no gazetteer entry named {text!r}"
            refusal = self._refusal(parsed.core)
            if refusal:
                return [], parsed, refusal
            matches = self.gazetteer.matches(parsed.core)
            if not matches:
                return [], parsed, f"no gazetteer entry named {parsed.core!r} (from {text!r})"
            how = f"name {parsed.core!r} from {text!r}" + (f", asking for {parsed.want}" if parsed.want else "")
        matches = self._plausible(parsed.core, matches)
        if not matches:
            return [], parsed, f"{parsed.core!r} is a common English word and no populated place or region has it"
        cands = self._rank(matches, parsed, context or GeoContext())
        best = cands[0].entry
        return cands, parsed, f"{how} -> {best.name} ({best.feature_code}, {best.country_code or 'no country'})"

    def _refusal(self, text: str) -> str | None:
        """Why a mention is not a place name at all, or None."""
        norm = normalize(text)
        kind = self.gazetteer.word_kind(norm)
        if kind == "demonym":
            return f"{text!r} is a demonym, not a place"
        if text.islower() and all(self.gazetteer.word_kind(t) == "common" for t in norm.split()):
            return f"{text!r} is a lower-case common word"
        return None

    def _plausible(self, core: str, matches: list[NameMatch]) -> list[NameMatch]:
        """Drop unpopulated non-region matches for single words that are also English words."""
        norm = normalize(core)
        if " " in norm or self.gazetteer.word_kind(norm) != "common":
            return matches
        return [m for m in matches if m.entry.population > 0 or m.entry.feature_class == "A" or m.entry.is_addition]

    def _rank(self, matches: list[NameMatch], parsed: Parsed, ctx: GeoContext) -> list[Candidate]:
        """Matches scored and sorted best first (ties: larger population, then id, for a stable order)."""
        places = {(m.entry.country_code, m.entry.admin1, m.entry.admin2) for m in matches
                  if m.entry.feature_class == "P" and m.kind < 2}
        total = sum(ctx.country_counts.values())
        top = max(ctx.country_counts, key=lambda c: ctx.country_counts[c]) if total else None
        # A mention that is a country's own name keeps it against the article's prior, unless the prior
        # points at a region of that name ("Georgia" in an American story): no town outvotes a country.
        names_country = not parsed.changed and any(m.entry.feature_code == "PCLI" and m.kind < 2 for m in matches)
        if ctx.want and not parsed.want and any(_is_kind(m, ctx.want) and m.kind < 2 for m in matches):
            parsed = Parsed(parsed.core, ctx.want, parsed.part, parsed.near)
        cands = [Candidate(self._score(m, parsed, ctx, places, total if not names_country or
                                       m.entry.feature_class == "A" else 0, top), m) for m in matches]
        if not parsed.changed and not any(m.kind == 0 and m.entry.feature_class in "ALHT" for m in matches):
            # a country, continent or ocean under an alternate name ("Burma", "Macedonia", "the Pacific")
            # outranks a town of that name, unless an area carries the name as its own ("Gaza Strip")
            cands = [Candidate(c.score + W_COUNTRY_ENTRY, c.match) if c.match.kind == 1 and c.entry.feature_code
                     in ("PCLI", "CONT", "OCN") else c for c in cands]
        region_pop = max((m.entry.population for m in matches if m.kind == 0 and m.entry.feature_code in
                          ("ADM1", "PCLI")), default=0)
        if region_pop:
            cands = [Candidate(c.score + W_ALIAS_OF_REGION, c.match) if c.match.kind > 0 and c.entry.feature_class
                     == "P" and c.entry.population < ALIAS_CITY_SHARE * region_pop else c for c in cands]
        cands.sort(key=lambda c: (-c.score, -c.entry.population, c.entry.id))
        return cands

    def _score(self, m: NameMatch, parsed: Parsed, ctx: GeoContext,
               places: set[tuple[str | None, str | None, str | None]], total: float, top: str | None) -> float:
        """Linear score of one match."""
        e = m.entry
        s = W_KIND[m.kind] + (W_BARE if m.bare else 0.0)
        s += W_LOGPOP * math.log10(1 + e.population) + (W_ADDITION if e.is_addition else 0.0)
        s += W_FEATURE.get(e.feature_class, 0.0)
        if e.feature_code in ("PCLI", "CONT", "OCN") and m.kind == 0 and not parsed.changed:
            s += W_COUNTRY_ENTRY
        s += self._want_score(e, parsed.want)
        if e.feature_code == "ADM1" and parsed.want is None and (e.country_code, e.admin1) in {p[:2] for p in places}:
            s += W_REGION_OF_CITY
        if e.feature_code == "ADM2" and parsed.want is None and (e.country_code, e.admin1, e.admin2) in places:
            s += W_REGION_OF_CITY
        if total and e.country_code:
            s += W_COUNTRY_SHARE * ctx.country_counts.get(e.country_code, 0) / total
            s += W_TOP_COUNTRY if e.country_code == top else 0.0
        if ctx.admin1_hint and (e.country_code, e.admin1) == ctx.admin1_hint:
            s += W_ADMIN1_HINT
        if ctx.anchor:
            s += W_ANCHOR * math.exp(-haversine_km(ctx.anchor, (e.lat, e.lon)) / ANCHOR_KM)
        if ctx.container and e.country_code == ctx.container[0]:
            s += W_CONTAINER_COUNTRY
            if ctx.container[1] and e.admin1 == ctx.container[1]:
                s += W_CONTAINER_ADMIN1
        return s

    @staticmethod
    def _want_score(e: GazEntry, want: Want | None) -> float:
        """Bonus for the entry kind a head word asked for."""
        if want is None:
            return 0.0
        code = e.feature_code
        if want == "place":
            return W_WANT if e.feature_class == "P" else 0.0
        target, other = ("ADM1", "ADM2") if want == "admin1" else ("ADM2", "ADM1")
        if code == target:
            return W_WANT
        if code == other or e.feature_class == "A":
            return W_WANT_OTHER_ADMIN
        return 0.0

    @staticmethod
    def _confidence(cands: list[Candidate]) -> float:
        """Softmax share of the best candidate: 1.0 when nothing competes."""
        top = cands[0].score
        z = sum(math.exp(c.score - top) for c in cands[:50])
        return round(1.0 / z, 3)

    @staticmethod
    def _location(mention: str, cand: Candidate, precision: int, why: str, score: float) -> Location:
        """A model.Location from a chosen candidate."""
        e = cand.entry
        return Location(
            text=mention, name=e.name, lat=e.lat, lon=e.lon, country=e.country, country_code=e.country_code,
            admin1=e.admin1, admin2=e.admin2, geonameid=e.geonameid, precision=precision, why=why,
            feature_code=e.feature_code, score=score,
        )


def context_from_mentions(mentions: list[str], resolver: PlaceResolver) -> GeoContext:
    """An article-level context: each mention votes for its best candidate's country with that country's
    share of it, twice: the second time each mention is ranked in the light of the others' first votes
    (so "Moscow", itself not quite sure, and "St. Petersburg" pull each other to Russia). Only the best
    country votes: runner-up namesakes ("Athens", "Cairo" and "Peru" all have American namesakes) would
    otherwise add up to a country nobody meant."""
    first = [resolver.candidates(m)[0] for m in mentions]
    votes = [_vote(c) for c in first]
    total: Counter[str] = Counter()
    for v in votes:
        total.update(v)
    countries: Counter[str] = Counter()
    admins: Counter[tuple[str, str]] = Counter()
    for mention, own in zip(mentions, votes, strict=True):
        if not own:
            continue
        others = {c: n - own.get(c, 0.0) for c, n in total.items() if n - own.get(c, 0.0) > 1e-9}
        cands = resolver.candidates(mention, GeoContext(country_counts=others))[0] if others else \
            resolver.candidates(mention)[0]
        vote = _vote(cands)
        if max(vote.values(), default=0.0) >= VOTE_MIN_SHARE:
            countries.update(vote)
        best = cands[0].entry
        if best.admin1 and best.country_code and best.feature_code != "PCLI" and _unambiguous(cands):
            admins[(best.country_code, best.admin1)] += 1
    top = countries.most_common(1)[0][0] if countries else None
    admins = Counter({k: n for k, n in admins.items() if k[0] == top})
    hint = admins.most_common(1)[0][0] if admins else None
    counts = {c: round(n, 3) for c, n in countries.items() if n >= 0.05}
    return GeoContext(country_counts=counts, admin1_hint=hint)


#: Temperature of the country vote: below 1 sharpens it, so a clear leader is not outvoted by many
#: small namesakes (sixteen American "Lebanon"s against the country).
VOTE_TEMPERATURE = 0.5
#: A mention votes in the final count only when this share of it goes to one country.
VOTE_MIN_SHARE = 0.5


def _vote(cands: list[Candidate]) -> dict[str, float]:
    """{country of the best candidate: its share}, or {}."""
    shares = country_shares(cands)
    if not shares:
        return {}
    cc = max(shares, key=lambda c: shares[c])
    return {cc: shares[cc]}


def country_shares(cands: list[Candidate]) -> dict[str, float]:
    """A mention's vote over countries: each country's best candidate, softmax-weighted (sums to 1)."""
    best: dict[str, float] = {}
    for c in cands:
        cc = c.entry.country_code
        if cc and cc not in best:
            best[cc] = c.score
    if not best:
        return {}
    top = max(best.values())
    weights = {cc: math.exp((sc - top) / VOTE_TEMPERATURE) for cc, sc in best.items()}
    z = sum(weights.values())
    return {cc: w / z for cc, w in weights.items()}


#: Score margin over the best candidate of another country that makes a mention unambiguous.
UNAMBIGUOUS_MARGIN = 0.5


def _unambiguous(cands: list[Candidate]) -> bool:
    """True when every candidate shares the best one's country, or it leads the others by a margin."""
    best = cands[0]
    rivals = [c for c in cands[1:] if c.entry.country_code != best.entry.country_code]
    return not rivals or best.score - rivals[0].score >= UNAMBIGUOUS_MARGIN
