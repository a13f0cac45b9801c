"""Merge: mentions of one incident in one article become one draft report."""

from __future__ import annotations

import datetime as dt

from conflictwire.extract.dates import hours_apart, parts_apart
from conflictwire.extract.fields import _statement_time
from conflictwire.extract.steps import Draft, Steps
from conflictwire.geo.resolve import haversine_km
from conflictwire.model import Location
from conflictwire.taxonomy import event_type_of, family_of

#: Two places of one article's mentions farther apart than this are two incidents (unless one is undated
#: and both lie in one province).
SAME_INCIDENT_KM = 75
#: Two clock times in one article this many hours apart are two incidents (one strike is not told at
#: 7:10 and at 22:30; a raid from 23:00 into the small hours is).
CLOCK_APART_HOURS = 6

#: The kinds of a named non-state armed group.
_NAMED_ARMED = {"rebel", "political_militia", "identity_militia", "external"}
#: Sub-types that one negotiated incident is often described as, mention by mention.
_COMPATIBLE = [
    {"Agreement", "Non-violent transfer of territory"},
    # arrests and dispersal at a protest are part of the protest
    {"Peaceful protest", "Protest with intervention", "Excessive force against protesters", "Violent demonstration", "Arrests"},
]


class MergeSteps(Steps):
    """Merging an article's drafts per incident."""

    def _merge(self, drafts: list[Draft]) -> list[Draft]:
        """Mentions of one incident in one article become one report.

        A claim of responsibility, or an undated disaster, crime or diplomatic mention next to a
        conflict report, is part of that report: it lends its actors and evidence, not its type.
        """
        main = [d for d in drafts if family_of(event_type_of(d.mentions[0].sub_type)) != "other"]
        rest: list[Draft] = []
        for d in drafts:
            if d in main or not main:
                rest.append(d)
                continue
            own_date = d.date is not None and d.date[0].value is not None
            if d.mentions[0].sub_type == "Attribution" or not own_date:
                host = min(main, key=lambda h: abs(h.mentions[0].sent.start - d.mentions[0].sent.start))
                host.mentions[0].support.append(d.mentions[0].sent)
                if d.mentions[0].sub_type == "Attribution" and not any(a.actor.kind in _NAMED_ARMED for a in host.agents):
                    host.agents = [a for a in d.agents if a.actor.kind in _NAMED_ARMED] + host.agents
                continue
            rest.append(d)
        rest = _fold_weak_violence(rest)
        merged: list[Draft] = []
        for d in rest:
            target = next((m for m in merged if _same_incident(m, d)), None)
            if target is None and _refers_back(d) and merged and merged[-1].mentions[0].sub_type == d.mentions[0].sub_type:
                target = merged[-1]  # "The clash pitted ...": a definite mention of the incident just told
            if target is None and merged and _tells_when(merged[-1], d):
                target = merged[-1]
                target.date = d.date
            if target is None:
                merged.append(d)
                continue
            target.mentions += d.mentions
            target.actor_mentions += d.actor_mentions
            target.agents += [a for a in d.agents if a.actor.name not in {x.actor.name for x in target.agents}]
            target.targets += [a for a in d.targets if a.actor.name not in {x.actor.name for x in target.targets}]
            if d.date and (target.date is None or (target.date[0].value is None and d.date[0].value)):
                target.date = d.date
            if d.place and (target.place is None or d.place[1] > target.place[1]):
                target.place = d.place
            target.fatalities += d.fatalities
            target.quantities += [q for q in d.quantities if q[0].text not in {x[0].text for x in target.quantities}]
            if d.claimant and target.claimant is None:
                target.claimant, target.claimant_span = d.claimant, d.claimant_span
        return merged


def _same_incident(a: Draft, b: Draft) -> bool:
    """Whether two drafts from one article describe one incident."""
    sa, sb = a.mentions[0].sub_type, b.mentions[0].sub_type
    if sa != sb and not any({sa, sb} <= group for group in _COMPATIBLE):
        return False
    return _same_incident_fields(a, b)


def _parts_of_day(d: Draft) -> set[str]:
    """The parts of the day the draft's sentences time their event at, one each at most."""
    return {m.part_of_day for m in d.mentions if m.part_of_day}


def _tells_when(lede: Draft, d: Draft) -> bool:
    """Whether ``d``, in the next paragraph, tells when the incident of a lede dated only by the day it
    was reported happened ("Gunmen kidnapped 47 people in a raid ..., police said on Tuesday." /
    "The attackers stormed the village on Sunday night, ..."): wire copy's lede and its elaboration."""
    if not (lede.date and lede.date[0].value and _statement_time(lede.mentions[0].sent.doc, lede.date[1])):
        return False
    if not (d.date and d.date[0].value) or _statement_time(d.mentions[0].sent.doc, d.date[1]):
        return False
    fam = family_of(event_type_of(lede.mentions[0].sub_type))
    if fam != "violent" or family_of(event_type_of(d.mentions[0].sub_type)) != fam:
        return False
    if d.mentions[0].para - lede.mentions[-1].para > 1 or d.date[0].value > lede.date[0].value:
        return False  # not the next paragraph, or "dated" after the statement that reports it
    if lede.place and d.place and None not in (lede.place[0].lat, d.place[0].lat):
        return _km(lede.place[0], d.place[0]) <= SAME_INCIDENT_KM
    return True


def _same_incident_fields(a: Draft, b: Draft) -> bool:
    """Whether two drafts' dates, times of day and places allow one incident."""
    if any(parts_apart(x, y) for x in _parts_of_day(a) for y in _parts_of_day(b)):
        return False  # "in the first attack, shortly after 9 a.m." and "at about 9:40 p.m., a bomb struck"
    hours_a = {m.clock_hour for m in a.mentions if m.clock_hour is not None}
    hours_b = {m.clock_hour for m in b.mentions if m.clock_hour is not None}
    if any(hours_apart(x, y) >= CLOCK_APART_HOURS for x in hours_a for y in hours_b):
        return False  # "at 7:10 a.m." and "at 10:30 p.m.": night and morning neighbour, these hours do not
    if a.date and b.date and a.date[0].value and b.date[0].value:
        da, db = dt.date.fromisoformat(a.date[0].value), dt.date.fromisoformat(b.date[0].value)
        if abs((da - db).days) > 1:
            return False
    if a.place and b.place:
        la, lb = a.place[0], b.place[0]
        one_undated = not (a.date and a.date[0].value) or not (b.date and b.date[0].value)
        same_admin1 = bool(la.admin1) and la.admin1 == lb.admin1 and la.country_code == lb.country_code
        if None not in (la.lat, la.lon, lb.lat, lb.lon) and _km(la, lb) > SAME_INCIDENT_KM and not (one_undated and same_admin1):
            return False
    return True


def _km(a: Location, b: Location) -> float:
    """Great-circle distance in km between two resolved locations."""
    return haversine_km((a.lat or 0.0, a.lon or 0.0), (b.lat or 0.0, b.lon or 0.0))


_GENERIC_VIOLENCE = {"kill", "shoot dead", "attack", "open fire", "shoot", "gun down", "fight", "fighting", "assault"}


def _fold_weak_violence(drafts: list[Draft]) -> list[Draft]:
    """A mention that only says people were killed or attacked, in an article that tells of a specific
    violent incident (a bombing, a clash) compatible in date and place, tells more about that one."""
    out: list[Draft] = []
    for d in drafts:
        m = d.mentions[0]
        generic = all(h.cue in _GENERIC_VIOLENCE for h in m.hits if h.sub_event_type == m.sub_type)
        hosts = [h for h in out if h is not d and family_of(event_type_of(h.mentions[0].sub_type)) == "violent"
                 and _same_incident_fields(h, d)]
        if generic and len(d.mentions) == 1 and family_of(event_type_of(m.sub_type)) == "violent" and hosts:
            host = hosts[-1]
            host.mentions[0].support.append(m.sent)
            host.fatalities += d.fatalities
            continue
        out.append(d)
    return out


def _refers_back(d: Draft) -> bool:
    """Whether a mention names its incident with a definite noun and no date of its own ("The attack ...")."""
    m = d.mentions[0]
    t = m.trigger
    has_date = d.date is not None and d.date[0].value is not None
    return t.pos_ == "NOUN" and any(c.dep_ == "det" and c.lower_ in ("the", "this", "that") for c in t.children) and not has_date
