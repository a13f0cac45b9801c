"""Independent sources and corroboration grades, each with its reason in words.

Reports reduce to independent sources in three steps: outlets of one owner count once; an article
that is a near-verbatim copy of another (syndication, translation of a wire) or that credits another
outlet counts with the original; and outlets that only carry one claimant's statement (five outlets
quoting one ministry) count as that one claimant.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from conflictwire.annotate.dictionaries import CountryTable, OutletRegistry, name_key
from conflictwire.data import cached_csv
from conflictwire.ingest.copies import is_near_duplicate
from conflictwire.model import Fatalities, StoredReport
from conflictwire.taxonomy import family_of

#: Claimant kinds that are a party's own word (carried by outlets, not checked by them).
_PARTY_CLAIMANTS = {"named", "official"}
_NOT_PERPETRATORS = {"unidentified", "civilians", "protesters"}
#: MinHash similarity from which two reports of one event are copies of one story: an edited or
#: re-headlined wire copy keeps about 0.7 of its word 5-grams; separately written reports share few.
COPY_SIMILARITY = 0.6
_MILITARY_VOICE = re.compile(r"\b(army|military|armed forces|defen[cs]e ministry|ministry of defen[cs]e|general staff|"
                             r"media wing|inter-services public relations|ISPR|joint command|air force|navy)\b", re.I)
_POLICE_VOICE = re.compile(r"\b(police|gendarmerie)\b", re.I)
_LOWER_BOUNDS = {"at least", "more than", "over", "not less than", "no fewer than", "no less than", "upwards of",
                 "dozens", "several", "scores", "hundreds", "many", "numerous", "a few", "few", "thousands"}


@dataclass(frozen=True)
class SourceGroups:
    """Reports grouped into independent sources; ``groups[i]`` are the report ids of source i."""

    groups: list[list[int]]
    labels: list[str]
    sides: list[str | None]


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def independent_sources(reports: Sequence[StoredReport], outlets: OutletRegistry,
                        credits: dict[int, str | None] | None = None) -> SourceGroups:
    """Group an event's reports into independent sources.

    ``credits`` maps an article id to the outlet its text credits ("(Reuters) -"), if any.
    """
    n = len(reports)
    uf = _UnionFind(n)
    owner_key: list[str] = []
    for r in reports:
        credited = (credits or {}).get(r.article_id)
        owner_key.append(outlets.owner_of(credited) if credited else outlets.owner_of(r.outlet, r.url))
    claim_key = [_claimant_key(r) for r in reports]
    for i in range(n):
        for j in range(i + 1, n):
            same_owner = owner_key[i] == owner_key[j]
            copies = (reports[i].fingerprint is not None and reports[j].fingerprint is not None
                      and is_near_duplicate(reports[i].fingerprint, reports[j].fingerprint, COPY_SIMILARITY))
            same_article = reports[i].article_id == reports[j].article_id
            same_claimant = claim_key[i] is not None and claim_key[i] == claim_key[j]
            if same_owner or copies or same_article or same_claimant:
                uf.union(i, j)
    buckets: dict[int, list[int]] = {}
    for i in range(n):
        buckets.setdefault(uf.find(i), []).append(i)
    groups, labels, sides = [], [], []
    for members in buckets.values():
        groups.append([reports[i].id for i in members])
        first = reports[members[0]]
        ck = claim_key[members[0]]
        labels.append(first.report.claimant.name if ck and first.report.claimant else (first.outlet or owner_key[members[0]]))
        side = None
        for i in members:
            o = outlets.find(reports[i].outlet, reports[i].url)
            side = side or (o.side if o else None) or _claimant_side(reports[i])
        sides.append(canonical_side(side))
    return SourceGroups(groups, labels, sides)


@lru_cache(maxsize=1)
def _side_aliases() -> dict[str, str]:
    return {row["side"]: row["same_as"] for row in cached_csv("sides.csv")}


def canonical_side(side: str | None) -> str | None:
    """One name per side: a state's "government-UA" is the registry's "ukraine" (data/sides.csv)."""
    return _side_aliases().get(side, side) if side else None


def _claimant_key(r: StoredReport) -> str | None:
    """A key for a party's own claim, so outlets that only carry it count as one source."""
    c = r.report.claimant
    if c is None or c.kind not in _PARTY_CLAIMANTS:
        return None
    # a state's forces speak through one press service, however outlets name it ("ISPR", "the
    # military's media wing", "Pakistan's military"): one claimant per arm and country
    arm = "military" if _MILITARY_VOICE.search(c.text) else "police" if _POLICE_VOICE.search(c.text) else None
    cc = _claimant_country(r) if arm else None
    if arm and cc:
        return f"claimant:{arm}-{cc}"
    return "claimant:" + name_key(c.name)


def _claimant_side(r: StoredReport) -> str | None:
    """The side of an official claimant: the government of the country its words name ("Russia's
    defence ministry", "Ukrainian officials"), else of the country where the event happened (a
    regional governor, the local police). Not the side of whoever the report says attacked."""
    c = r.report.claimant
    if c is None or c.kind != "official":
        return None
    cc = _claimant_country(r)
    return f"government-{cc}" if cc else None


def _claimant_country(r: StoredReport) -> str | None:
    """The country a claimant speaks for: the one its words name, else the event's."""
    named = _country_named(r.report.claimant.text) if r.report.claimant else None
    return named or (r.report.location.country_code if r.report.location else None)


@lru_cache(maxsize=4096)
def _country_named(text: str) -> str | None:
    """The ISO code of the first country a phrase names by name or demonym (cached: every rebuild of
    an event asks again for each of its reports' claimants)."""
    countries = CountryTable.default()
    words = [w.removesuffix("'s").removesuffix("’s") for w in re.findall(r"[\w'’-]+", text)]
    for i in range(len(words)):
        for n in (3, 2, 1):
            hit = countries.find(" ".join(words[i:i + n])) if i + n <= len(words) else None
            if hit:
                return hit.iso2
    return None


def grade(reports: Sequence[StoredReport], sources: SourceGroups) -> tuple[str, str]:
    """The event's grade and the reason for it, in words."""
    n = len(sources.groups)
    disagreement = _disagreement(reports, sources)
    if disagreement and n >= 2:
        return "contested", disagreement
    denied = [r for r in reports if r.report.modality == "denied"]
    if denied:
        who = denied[0].report.claimant.name if denied[0].report.claimant else denied[0].outlet or "a party"
        return "denied", f"{who} denies it ({len(denied)} of {len(reports)} reports carry a denial)"
    if n == 1:
        r = reports[0]
        basis = ""
        if r.report.claimant and r.report.claimant.kind != "outlet":
            basis = f", resting on {r.report.claimant.kind} claimant '{r.report.claimant.text}'"
        outlets = sorted({x.outlet or "unknown outlet" for x in reports})
        carried = f"carried by {len(outlets)} outlets that count as one ({', '.join(outlets)})" if len(outlets) > 1 else f"reported by {outlets[0]}"
        return "single-source", f"one independent source: {carried}{basis}"
    sides = {s for s in sources.sides if s}
    if len(sides) >= 2:
        return "cross-partisan", f"{n} independent sources from opposing sides agree ({', '.join(sorted(sides))})"
    return "corroborated", f"{n} independent sources agree: {', '.join(sources.labels)}"


def source_figures(reports: Sequence[StoredReport], sources: SourceGroups) -> dict[str, tuple[Fatalities, dt.date | None]]:
    """Each independent source's figure of dead (its highest) and the day it was published."""
    by_id = {r.id: r for r in reports}
    out: dict[str, tuple[Fatalities, dt.date | None]] = {}
    for label, ids in zip(sources.labels, sources.groups):
        figs = [(by_id[i].report.fatalities, by_id[i].published) for i in ids]
        figs = [(f, d) for f, d in figs if f and f.best is not None]
        if figs:
            out[label] = max(figs, key=lambda fd: fd[0].best or 0)
    return out


def standing_figures(figures: dict[str, tuple[Fatalities, dt.date | None]]) -> set[str]:
    """The sources whose figures stand: all, unless the figures rise with the day they were published
    (a running toll: "at least five" on Tuesday, twelve on Wednesday, 19 on Thursday), when the
    latest day's figures supersede the earlier, partial counts."""
    if len(figures) < 2 or any(d is None for _, d in figures.values()):
        return set(figures)
    last = max(d for _, d in figures.values() if d)
    latest = {k for k, (_, d) in figures.items() if d == last}
    earlier = [f.best or 0 for k, (f, _) in figures.items() if k not in latest]
    floor = min(figures[k][0].best or 0 for k in latest)
    if earlier and max(earlier) <= floor and min(earlier) < floor:
        return latest
    return set(figures)


def _disagreement(reports: Sequence[StoredReport], sources: SourceGroups) -> str | None:
    """What independent sources disagree on (who did it, or how many died), if anything."""
    by_id = {r.id: r for r in reports}
    perps: dict[str, set[str]] = {}
    named: dict[str, set[str]] = {}
    lows: dict[str, int] = {}
    highs: dict[str, float] = {}
    standing = standing_figures(source_figures(reports, sources))  # a running toll is no disagreement
    for label, ids in zip(sources.labels, sources.groups):
        for rid in ids:
            rep = by_id[rid].report
            # only a perpetrator the text names is a source's claim; one inferred from context (no text) is ours
            if (family_of(rep.event_type) == "violent" and rep.actor1 and rep.actor1.text
                    and rep.actor1.kind not in _NOT_PERPETRATORS):
                perps.setdefault(label, set()).add(rep.actor1.name)
            named.setdefault(label, set()).update(a.name for a in (rep.actor1, rep.actor2, *rep.associated_actors) if a)
            f = rep.fatalities
            if f and f.best is not None and label in standing:
                # "at least 20" and "dozens" are lower bounds: they disagree with no higher figure
                open_ended = f.qualifier in _LOWER_BOUNDS
                lows[label] = max(lows.get(label, 0), f.low if f.low is not None else f.best)
                highs[label] = min(highs.get(label, math.inf), math.inf if open_ended else (f.high or f.best))
    if len(perps) >= 2:
        # sources disagree on who did it when a source's perpetrator is one another source does not name at all
        clash = [(a, b) for a in perps for b in perps if a < b and perps[a].isdisjoint(named[b]) and perps[b].isdisjoint(named[a])]
        if clash or (len({frozenset(v) for v in perps.values()}) > 1 and not set.intersection(*perps.values())):
            return "sources disagree on who did it: " + "; ".join(f"{k}: {', '.join(sorted(v))}" for k, v in perps.items())
    if len(lows) >= 2:
        top = max(lows.values())
        bound = min(highs.values())
        if top - bound >= 5 and top >= 2 * max(bound, 1):
            return "sources disagree on how many died: " + "; ".join(
                f"{k}: {lows[k]}" + ("+" if highs[k] == math.inf else "") + " dead" for k in lows)
    return None
