"""Assemble: a draft's actors and their ACLED roles, and its Report (evidence, why each empty field is empty)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections import Counter

from spacy.tokens import Doc, Token

from conflictwire.annotate.dictionaries import CountryTable
from conflictwire.annotate.pipeline import doc_text, ents_in
from conflictwire.extract.actors import ActorMention, is_victim, with_article
from conflictwire.extract.embed import quantize
from conflictwire.extract.fields import _LOCATIVE, _find_span, _report_country, _too_old
from conflictwire.extract.merge import _NAMED_ARMED, _parts_of_day
from conflictwire.extract.mentions import _VIOLENT_TYPES
from conflictwire.extract.modality import outlet_claimant
from conflictwire.extract.roles import Candidate
from conflictwire.extract.roles import features as role_features
from conflictwire.extract.steps import ArticleContext, Draft, Steps
from conflictwire.ingest.copies import credited_source
from conflictwire.model import Actor, DateInfo, Fatalities, Location, Report
from conflictwire.model import Span as Evidence
from conflictwire.taxonomy import event_type_of

_PLACE_LABELS = {"GPE", "LOC", "FAC"}
_NONSTATE_ARMED = {"rebel", "political_militia", "identity_militia", "external"}
#: A state actor named by its forces or weapons ("Russian drones", "Syrian troops"), not by its officials.
_FORCE_WORDS = re.compile(r"\b(drones?|missiles?|rockets?|jets?|warplanes?|aircraft|artillery|forces|troops|army|"
                          r"military|soldiers|navy|air force|shelling|strikes?)\b", re.I)


class ReportSteps(Steps):
    """Building the Report of a merged draft."""

    def _report(self, d: Draft, ctx: ArticleContext, doc: Doc) -> Report:
        """The Report of a draft, with evidence and a reason for each empty field."""
        sub = Counter(m.sub_type for m in d.mentions).most_common(1)[0][0]
        main = max((m for m in d.mentions if m.sub_type == sub), key=lambda m: m.score)
        why: dict[str, str] = {}
        evidence = [Evidence(m.sent.start_char, m.sent.end_char, "event") for m in d.mentions]
        actor1, actor2, assoc = self._actors(d, sub, ctx)
        if actor1 is None:
            why["actor1"] = "no actor named in the sentences describing the event"
        if actor2 is None:
            why["actor2"] = "no second actor named" if actor1 else "no actor named"
        for a in (actor1, actor2):
            if a:
                sp = _find_span(doc, a.text)
                if sp:
                    evidence.append(Evidence(sp[0], sp[1], "actors"))
        location: Location | None = None
        if d.place and (d.place[1] >= 1.0 or ctx.main_place is None):
            location = d.place[0]
            evidence.append(Evidence(d.place[2], d.place[3], "location"))
        elif ctx.main_place:
            mp = ctx.main_place
            location = Location(**{**mp.__dict__, "precision": max(mp.precision or 2, 2),
                                   "why": "no place in the sentences describing the event; the article's main place stands in"})
        else:
            why["location"] = "no place named in the article could be resolved"
        if d.date:
            date = d.date[0]
            evidence.append(Evidence(d.date[1], d.date[2], "date"))
            if date.value is None:
                why["date"] = date.why or "the time expression could not be resolved"
        else:
            date = DateInfo(None, None, None, "no time expression in the sentences describing this event")
            why["date"] = date.why or ""
        parts = _parts_of_day(d)
        date = dataclasses.replace(date, part_of_day=parts.pop() if len(parts) == 1 else None)
        fatalities = _combine_fatalities(d.fatalities)
        if fatalities:
            for f, a, b in d.fatalities:
                evidence.append(Evidence(a, b, "fatalities"))
        else:
            why["fatalities"] = "no figure of dead in the sentences describing the event"
        for q, a, b in d.quantities:
            evidence.append(Evidence(a, b, "quantities"))
        cl = d.claimant or outlet_claimant(ctx.outlet or credited_source(doc_text(doc)))
        if d.claimant_span:
            evidence.append(Evidence(d.claimant_span[0], d.claimant_span[1], "claimant"))
        # the first mention (the lede, usually) carries what the article commits to
        mod = d.mentions[0].modality
        if main.probability is not None:
            # the typer's probability of the type (a logistic model: roughly calibrated, see `eval`)
            conf = main.probability
        else:
            conf = min(0.95, 0.35 + 0.2 * main.score + 0.05 * (len(d.mentions) - 1))
        if mod in ("hedged", "denied") and self.detector is None:
            conf *= 0.8
        evidence = _dedupe_evidence(evidence)
        return Report(event_type=event_type_of(sub), sub_event_type=sub, confidence=conf, actor1=actor1, actor2=actor2,
                      location=location, date=date, fatalities=fatalities, quantities=[q for q, _, _ in d.quantities],
                      claimant=cl, modality=mod, evidence=evidence, why_empty=why,  # type: ignore[arg-type]
                      associated_actors=assoc,
                      embedding=quantize([ctx.vectors[m.sent.start] for m in d.mentions if m.sent.start in ctx.vectors]))

    def _actors(self, d: Draft, sub: str, ctx: ArticleContext) -> tuple[Actor | None, Actor | None, list[Actor]]:
        """actor1 acts, actor2 is acted upon: the ranker's choice among the candidates, the rules'
        choice when no ranker ships; then associated actors."""
        a1, a2, pool = self._rule_actors(d, sub, ctx)
        if self.roles is not None:
            cands, feats = self.role_candidates(d, sub, ctx, a1, a2, pool)
            i1, i2 = self.roles.choose(cands, feats)
            a1 = cands[i1].actor
            a2 = cands[i2].actor if a1 is not None else None
        if event_type_of(sub) not in _VIOLENT_TYPES and sub in _GOVERNMENT_ACTS:
            # a country that agrees or negotiates acts through its government, not its army
            a1, a2 = (_as_government(a, self.countries) for a in (a1, a2))
        assoc = [a for a in pool if a.name not in {x.name for x in (a1, a2) if x} and a.kind != "unidentified"]
        return a1, a2, assoc

    def role_candidates(self, d: Draft, sub: str, ctx: ArticleContext, rule1: Actor | None, rule2: Actor | None,
                        pool: list[Actor]) -> tuple[list[Candidate], list[list[str]]]:
        """Every actor the report could name, with its features: the named ones, the rules' choices,
        ACLED's generic actors of the report's country, and nobody."""
        by_name: dict[str, Candidate] = {}

        def cand(a: Actor, synthetic: bool = False) -> Candidate:
            c = by_name.get(a.name)
            if c is None:
                c = by_name[a.name] = Candidate(a, synthetic=synthetic)
            return c

        for a in pool:
            cand(a)
        for m in d.actor_mentions:
            if m.actor.name in by_name:
                by_name[m.actor.name].mentions.append(m)
        for m in d.agents:
            if m.actor.name in by_name:
                by_name[m.actor.name].agent = True
        for m in d.targets:
            if m.actor.name in by_name:
                by_name[m.actor.name].target = True
        for a in _blamed_actors(d):
            if a.name in by_name:
                by_name[a.name].blamed = True
        if ctx.dominant_group:
            cand(ctx.dominant_group).dominant = True
        if rule1:
            cand(rule1, synthetic=not rule1.text).rule1 = True
        if rule2:
            cand(rule2, synthetic=not rule2.text).rule2 = True
        # a country the sentences name ("Russia's defence ministry", "Iraqi police") may act through
        # its forces, its police or its government: all three are candidates, tied to the name
        seen: set[int] = set()
        for s in (x for m in d.mentions for x in (m.sent, *m.support)):
            for ent in ents_in(s):
                c = self.countries.find(ent.text) if ent.label_ in ("GPE", "NORP") and ent.start not in seen else None
                if c is None or ent.start_char < ctx.dateline_end or ent.text.isupper():
                    continue  # "NIGERIA - ", "BAMAKO, Mali, April 4 -": a dateline locates, it does not act
                if _only_locates(ent.root):
                    continue
                seen.add(ent.start)
                for template in _STATE_ARMS:
                    a = Actor(ent.text, template.format(c=with_article(c.name)), "state", side=f"government-{c.iso2}")
                    cand(a).mentions.append(ActorMention(a, ent.start_char, ent.end_char, ent.root))
        country = _report_country(d, ctx)
        cname = self.countries.name_of(country) if country else None
        if cname:
            for template, kind in _GENERIC_ACTORS:
                name = template.format(c=with_article(cname) if " of " in template else cname)
                cand(Actor("", name, kind, side=f"government-{country}" if kind == "state" else None), synthetic=True)
        cands = [*by_name.values(), Candidate(None)]
        m = d.mentions[0]
        feats = [role_features(c, sub, m.trigger, m.sent.start_char, m.sent.end_char, country, i, len(cands) - 1)
                 for i, c in enumerate(cands)]
        return cands, feats

    def _rule_actors(self, d: Draft, sub: str, ctx: ArticleContext) -> tuple[Actor | None, Actor | None, list[Actor]]:
        """The syntax rules' actor1 and actor2, and the pool of actors the report's sentences name."""
        ordered = _unique_actors([*d.agents, *d.targets, *d.actor_mentions])
        if any(a.kind in _NAMED_ARMED for a in ordered):
            # "militants of Ahrar al-Sham": a named group replaces the generic unidentified one
            ordered = [a for a in ordered if a.kind != "unidentified"]
        agents = [a for a in _unique_actors(d.agents) if a in ordered]
        targets = [a for a in _unique_actors(d.targets) if a in ordered]
        pool = list(ordered)
        etype = event_type_of(sub)
        a1 = agents[0] if agents else None
        if a1 is None and (not targets and etype == "Battles" or etype not in _VIOLENT_TYPES):
            a1 = next((a for a in pool if a.kind != "civilians"), None)
        if a1 is None and etype in _VIOLENT_TYPES:
            # no syntactic agent: an armed actor the sentences name, other than the victims
            target_names = {t.name for t in targets} | {m.actor.name for m in d.actor_mentions if is_victim(m)}
            a1 = next((a for a in pool if a.name not in target_names and (
                a.kind in _NONSTATE_ARMED or (a.kind == "state" and _FORCE_WORDS.search(a.text)))), None)
        country = _report_country(d, ctx)
        if a1 is None and etype in _VIOLENT_TYPES and country and self.countries.name_of(country):
            # an attack whose perpetrator the text does not name: ACLED's unidentified armed group
            a1 = Actor("", f"Unidentified Armed Group ({self.countries.name_of(country)})", "unidentified")
        rest = [a for a in (targets + pool) if a1 is None or a.name != a1.name]
        a2 = rest[0] if rest else None
        if event_type_of(sub) == "Violence against civilians" and (a2 is None or a2.kind != "civilians"):
            civ = next((a for a in pool if a.kind == "civilians"), None)
            if civ:
                a2 = civ
            elif ctx.country and self.countries.name_of(ctx.country):
                a2 = Actor("", f"Civilians ({self.countries.name_of(ctx.country)})", "civilians")
        if etype == "Protests" and (a1 is None or a1.kind != "protesters"):
            # in a protest the protesters act (ACLED codes them actor1), whoever the text names first
            prot = next((a for a in pool if a.kind == "protesters"), None)
            if prot is None and country and self.countries.name_of(country):
                prot = Actor("", f"Protesters ({self.countries.name_of(country)})", "protesters")
            if prot:
                a2 = a1 if a1 and a1.name != prot.name else a2
                a1 = prot
        blamed = _blamed_actors(d)
        if blamed and (d.mentions[0].modality == "denied" or a1 is None or a1.kind == "unidentified"):
            # who is blamed for it, or who claims it, is the text's perpetrator
            a1, a2 = blamed[0], (a2 if a2 and a2.name != blamed[0].name else None)
        if ctx.dominant_group:
            a1 = ctx.dominant_group if a1 is not None and a1.kind == "unidentified" else a1
            a2 = ctx.dominant_group if a2 is not None and a2.kind == "unidentified" else a2
        return a1, a2, pool

    def _dominant_group(self, doc: Doc) -> Actor | None:
        """The named non-state armed group mentioned at least twice and twice as often as any other."""
        counts: Counter[str] = Counter()
        actors: dict[str, Actor] = {}
        for m in self.actor_finder.named(doc):
            if m.actor.kind in _NAMED_ARMED:
                counts[m.actor.name] += 1
                actors.setdefault(m.actor.name, m.actor)
        top = counts.most_common(2)
        if not top or top[0][1] < 2 or (len(top) > 1 and top[0][1] < 2 * top[1][1]):
            return None
        return actors[top[0][0]]


def _combine_fatalities(found: list[tuple[Fatalities, int, int]]) -> Fatalities | None:
    """One article's figures for one incident: the largest stated toll (tolls rise as news comes in)."""
    if not found:
        return None
    return max((f for f, _, _ in found), key=lambda f: (f.best or 0, f.low or 0))


def _unique_actors(ms: list[ActorMention]) -> list[Actor]:
    seen: dict[str, Actor] = {}
    for m in ms:
        seen.setdefault(m.actor.name, m.actor)
    return list(seen.values())


def _dedupe_evidence(ev: list[Evidence]) -> list[Evidence]:
    seen = set()
    out = []
    for e in sorted(ev, key=lambda e: (e.start, e.end)):
        key = (e.start, e.end, e.field)
        if key not in seen:
            seen.add(key)
            out.append(e)
    return out


#: The arms of a state, as ACLED names them.
_STATE_ARMS = ("Military Forces of {c}", "Police Forces of {c}", "Government of {c}")


#: ACLED's generic actors of a country, candidates for every report set there.
_GENERIC_ACTORS = (("Unidentified Armed Group ({c})", "unidentified"), ("Protesters ({c})", "protesters"),
                   ("Rioters ({c})", "rioters"), ("Civilians ({c})", "civilians"),
                   *((t, "state") for t in _STATE_ARMS))


_GOVERNMENT_ACTS = {"Agreement", "Diplomatic event", "Other", "Arrests", "Change to group/activity"}


#: Nouns a country name modifies when it only says where ("Mali's Menaka region").
_PLACE_NOUNS = {"region", "province", "state", "district", "city", "town", "village", "border", "capital", "north",
                "south", "east", "west", "territory", "area", "coast", "county", "governorate", "oblast", "part",
                "side", "frontier", "soil", "airspace", "water", "port", "neighbourhood", "neighborhood"}


def _only_locates(tok: Token) -> bool:
    """Whether a country's name only places something: "in Mali", "Mali's Menaka region"."""
    if tok.dep_ == "pobj" and tok.head.lower_ in _LOCATIVE - {"of"}:
        return True
    if tok.dep_ in ("npadvmod", "appos") and tok.head.ent_type_ in _PLACE_LABELS and tok.head.i < tok.i:
        return True  # "Bamako, Mali": the country of a place
    return tok.dep_ in ("poss", "compound", "amod", "nmod") and tok.head.lemma_.lower() in _PLACE_NOUNS


def _as_government(a: Actor | None, countries: CountryTable) -> Actor | None:
    """A country named as such ("Israel agreed") as its government rather than its forces."""
    if a is None or not a.name.startswith("Military Forces of ") or countries.find(a.text) is None:
        return a
    return Actor(a.text, a.name.replace("Military Forces of ", "Government of "), "state", a.side)


def _blamed_actors(d: Draft) -> list[Actor]:
    """Actors the text blames ("accused the army of", "blaming separatist fighters") or that claim
    the act ("Islamic State claimed responsibility"): the perpetrator as the text has it."""
    out = []
    for a in d.actor_mentions:
        if a.actor.kind in ("civilians", "protesters"):
            continue
        tok = a.token
        if tok.dep_ == "nsubj" and tok.head.lemma_.lower() == "claim":
            out.append(a.actor)
            continue
        for _ in range(3):
            if tok.head.i == tok.i:
                break
            tok = tok.head
            if tok.lemma_.lower() in ("accuse", "blame"):
                out.append(a.actor)
                break
    return out


def _is_background(r: Report, published: dt.date | None) -> bool:
    """A report dated long before publication is background to the news, not a new incident."""
    return r.date is not None and _too_old(r.date, published)
