"""A mention's fields: actors and their roles in the sentence, claimant, date, place, dead and other figures;
and the article's places, resolved once."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections import Counter

from spacy.tokens import Doc, Span

from conflictwire.annotate.pipeline import OUTLET_LABEL, dateline_end, doc_text, ents_in
from conflictwire.extract import numbers
from conflictwire.extract.actors import assign_roles
from conflictwire.extract.dates import event_date
from conflictwire.extract.deaths import find_deaths
from conflictwire.extract.modality import claimant
from conflictwire.extract.steps import ArticleContext, Draft, Mention, Steps
from conflictwire.geo import GeoContext, find_mentions, normalize
from conflictwire.geo.geoparse import SpanIndex, resolve_spans
from conflictwire.model import DateInfo, Location
from conflictwire.taxonomy import event_type_of, family_of

#: Mentions dated this long before publication are background, not news of a new incident.
BACKGROUND_DAYS = 30

_LOCATIVE = {"in", "at", "near", "outside", "around", "inside", "of", "from", "to", "towards", "into", "across", "on"}
#: "the town of Sake": a capitalised name after a settlement word is a place, whatever NER says.
_SETTLEMENT_OF = re.compile(r"\b(?:town|city|village|hamlet|neighbou?rhood|suburb|municipality|locality|settlement|"
                            r"camp|district|area|zone|region|province|governorate) of ([A-Z][\w'’-]+(?: [A-Z][\w'’-]+)?)")
#: "Macomia town", "Kidal city", "Inekar village": a settlement named before its kind (lower case).
_NAME_SETTLEMENT = re.compile(r"\b([A-Z][\w'’-]+(?: [A-Z][\w'’-]+)?) (?:town|city|village|hamlet|settlement)\b")
_ADMIN_NAME = re.compile(r"\b([A-Z][\w'’-]+(?: [A-Z][\w'’-]+)?) (?:Local Government Area|LGA|District|Province|"
                         r"County|Governorate|Oblast|Region|Municipality|Department|Prefecture|Raion|Territory)\b")
_PLACE_HEADS = re.compile(r"(?:the\s+)?(?:province|governorate|region|district|state|county|city|town|village|"
                          r"oblast|area|neighbou?rhood)\s+of\s+$", re.I)
_PLACE_TAILS = re.compile(r"^\s+(province|governorate|region|district|state|county|oblast|city|town|countryside)\b", re.I)
_SAY_LEMMAS = {"say", "tell", "report", "announce", "confirm", "state", "add", "claim", "deny", "write", "post",
               "reject", "dismiss", "accuse", "blame", "allege", "insist", "warn", "condemn", "publish"}


class FieldSteps(Steps):
    """Filling a mention's fields from its sentence and the sentences that support it."""

    def _draft(self, m: Mention, ctx: ArticleContext) -> Draft:
        """A one-mention draft with the fields found in its sentence and supporting sentences."""
        d = Draft([m])
        d.place = self._place(m, ctx)
        country = _report_country(d, ctx)
        cl = claimant(m.sent, m.trigger, ctx.outlet)
        if cl:
            d.claimant = cl
            d.claimant_span = _find_span(m.sent, cl.text)
        cs = d.claimant_span or (0, 0)
        # who says so is not, by saying it, an actor of the event
        own = [a for a in self.actor_finder.find(m.sent, country) if not (cs[0] <= a.start < cs[1])]
        agents, targets = assign_roles(m.trigger, own)
        support_actors = [a for s in m.support for a in self.actor_finder.find(s, country)]
        d.actor_mentions = own + support_actors
        d.agents, d.targets = agents, targets
        if not agents and not targets and support_actors:
            # roles from the supporting sentence's own syntax ("the conflict between A and B")
            for s in m.support:
                for h in self._hits(s, ctx):
                    a, t = assign_roles(h.head(s), self.actor_finder.find(s, country))
                    d.agents += a
                    d.targets += t
        for s in [m.sent, *m.support]:
            if d.date is None or d.date[0].value is None:
                found = event_date(s.text, s.start_char, ctx.published, m.trigger.idx if s is m.sent else None,
                                   not_before=ctx.dateline_end, skip=lambda a, b: _statement_time(s.doc, a))
                if found and (d.date is None or found[0].value):
                    d.date = found
        if m.modality == "denied" and d.date and d.date[0].value and _statement_time(m.sent.doc, d.date[1]):
            d.date = self._denied_event_date(m, ctx, d.date)
        fam = family_of(event_type_of(m.sub_type))
        for s in [m.sent, *m.support]:
            # the patterns first ("at least 12 people were killed"), the parse where they find nothing
            found_dead = numbers.find_fatalities(s.text) or find_deaths(s)
            if fam in ("violent", "demonstration", "other"):
                d.fatalities += [(f, s.start_char + a, s.start_char + b) for f, a, b in found_dead]
            fat_spans = [(a, b) for _, a, b in found_dead]
            for q, a, b in numbers.find_quantities(s.text) + numbers.find_wounded(s.text):
                if not any(a < fb and fa < b for fa, fb in fat_spans):
                    d.quantities.append((q, s.start_char + a, s.start_char + b))
        return d

    def _denied_event_date(self, m: Mention, ctx: ArticleContext,
                           said: tuple[DateInfo, int, int]) -> tuple[DateInfo, int, int]:
        """A denial is dated the day it was made; the incident it denies is dated in the next
        sentences ("No operation was carried out ... on Tuesday", the service said), or not at all."""
        following = [s for s in m.sent.doc.sents if s.start >= m.sent.end][:2]
        for s in following:
            found = event_date(s.text, s.start_char, ctx.published, None, not_before=ctx.dateline_end,
                               skip=lambda a, b: _statement_time(s.doc, a))
            if found and found[0].value and not _statement_time(s.doc, found[1]):
                return found
        info = said[0]
        return (DateInfo(info.text, None, None, "the day of the denial, not of the incident it denies"), said[1], said[2])

    def _place(self, m: Mention, ctx: ArticleContext) -> tuple[Location, float, int, int] | None:
        """The best place for a mention: where it happened, preferring "in/at/near X" and precise places."""
        best: tuple[Location, float, int, int] | None = None
        sub = m.sub_type
        for rank, s in enumerate([m.sent, *m.support]):
            for ent in (sp for sp in ctx.place_spans if s.start_char <= sp.start_char < s.end_char):
                loc = ctx.places.get((ent.start_char, ent.end_char))
                if loc is None or ent.end_char <= ctx.dateline_end:
                    continue  # the dateline says where the story was filed, not where it happened
                if any(e.label_ == OUTLET_LABEL for e in ents_in(ent)) or ent.root.ent_type_ == OUTLET_LABEL:
                    continue
                prep = ent.root.head.lower_ if ent.root.dep_ == "pobj" else ""
                if prep == "of" and ent.root.head.head.dep_ == "pobj":
                    prep = ent.root.head.head.head.lower_ or prep  # "in the area of X": the outer preposition
                score = {"in": 2.0, "at": 2.0, "near": 1.8, "on": 1.5, "outside": 1.8, "around": 1.6, "inside": 2.0,
                         "across": 1.2, "of": 1.2, "from": 0.6, "to": 0.2, "towards": 0.2, "into": 0.4}.get(prep, 1.0)
                if prep == "from" and event_type_of(sub) == "Strategic developments":
                    score = 1.5
                score += {1: 1.0, 2: 0.5, 3: 0.0}.get(loc.precision or 3, 0.0) - 0.5 * rank
                if loc.feature_code and loc.feature_code.startswith("PCL"):
                    score -= 1.0
                if best is None or score > best[1]:
                    best = (loc, score, ent.start_char, ent.end_char)
        return best

    def _article_context(self, doc: Doc, title: str | None, ctx: ArticleContext) -> ArticleContext:
        """``ctx`` with the places of the whole article resolved once, with a country prior from the
        article itself."""
        spans = self._place_spans(doc)
        bounds = [(sp.start_char, sp.end_char) for sp in spans]
        # geoparse's resolution: two-pass country vote, "X, Y" / "X in Y" containment, previous place as anchor
        resolved = resolve_spans(doc_text(doc), bounds, [self._mention_text(doc, sp) for sp in spans], self.resolver)
        places = {b: loc for b, (loc, _) in zip(bounds, resolved, strict=True)
                  if loc is not None and loc.lat is not None}
        gctx = _geo_context(Counter(loc.country_code for loc in places.values() if loc.country_code))
        dateline = dateline_end(doc_text(doc))
        main = None
        text = doc_text(doc)
        in_title = [loc for (s, e), loc in places.items() if title and text[s:e] in title]
        if in_title:
            # the headline's most precise place stands for the article (found in the body: no parse)
            main = min(in_title, key=lambda c: c.precision or 3)
        elif title:
            tdoc = self.nlp(title, disable=["parser", "lemmatizer", "paragraph_breaks"])
            cands = [self.resolver.resolve(self._mention_text(tdoc, sp), gctx) for sp in self._place_spans(tdoc)]
            cands = [c for c in cands if c is not None and c.lat is not None]
            main = min(cands, key=lambda c: c.precision or 3) if cands else None
        if main is None:
            # the most named precise place, the dateline's place counting too
            counted = Counter(loc.name for loc in places.values() if loc.precision in (1, 2))
            if counted:
                top = counted.most_common(1)[0][0]
                main = next(loc for loc in places.values() if loc.name == top)
        country_counts = Counter(loc.country_code for loc in places.values() if loc.country_code)
        if not country_counts:
            # no place resolved: the countries the text names ("Iraqi police", "in Cameroon") stand in
            country_counts = Counter(c.iso2 for c in (self.countries.find(e.text) for e in doc.ents
                                                      if e.label_ in ("GPE", "NORP")) if c is not None)
        return dataclasses.replace(ctx, country_counts=country_counts, main_place=main, places=places,
                                   dominant_group=self._dominant_group(doc), dateline_end=dateline,
                                   place_spans=[sp for sp in spans if (sp.start_char, sp.end_char) in places])

    def _place_spans(self, doc: Doc) -> list[Span]:
        """Place mentions: NER places, mislabelled strong places, additions names, and capitalised
        names after a locative preposition ("near Inékar") that the gazetteer knows."""
        text = doc_text(doc)
        found = SpanIndex(find_mentions(text, self.resolver, lambda _text: doc))
        for rx in (_ADMIN_NAME, _SETTLEMENT_OF, _NAME_SETTLEMENT):
            for m in rx.finditer(text):
                if rx is _NAME_SETTLEMENT and self.resolver.gazetteer.word_kind(normalize(m.group(1))) == "common":
                    continue  # "Central village", "The town": an English word, not a name
                if not found.overlaps(m.start(1), m.end(1)) and self.resolver.resolve(m.group(1), None):
                    found.add((m.start(1), m.end(1)))
        for tok in doc:
            if (tok.pos_ == "PROPN" and tok.ent_type_ in ("", "PERSON", "ORG", "NORP") and tok.dep_ == "pobj"
                    and tok.head.lower_ in _LOCATIVE and tok.text[:1].isupper()
                    and not found.overlaps(tok.idx, tok.idx + 1)):
                left = tok.left_edge.i if tok.left_edge.pos_ == "PROPN" else tok.i
                cand = doc[left:tok.i + 1]
                if tok.i + 1 < len(doc) and doc[tok.i + 1].pos_ == "PROPN":
                    continue  # part of a longer name ("the Front for ..."), not a bare place
                if len(cand) == 1 and self.resolver.gazetteer.word_kind(normalize(cand.text)) == "common":
                    continue  # an English word such as "Front" is no place name here
                if self.resolver.resolve(cand.text, None) is not None:
                    found.add((cand.start_char, cand.end_char))
        spans = [doc.char_span(s, e, alignment_mode="expand") for s, e in found.spans()]
        return [sp for sp in spans if sp is not None]

    def _mention_text(self, doc: Doc, sp: Span) -> str:
        """The words to resolve: a country named by the entity rules resolves as that country."""
        iso = sp.ent_id_ if len(sp) and sp.root.ent_type_ == "GPE" else ""
        for tok in sp:
            if tok.ent_id_ and tok.ent_id_ in self.countries.by_iso:
                iso = tok.ent_id_
        if iso in self.countries.by_iso and sp.text.lower() in {n.lower() for n in (self.countries.by_iso[iso].name, *self.countries.by_iso[iso].aliases)}:
            return self.countries.by_iso[iso].name
        return _place_mention(doc, sp)


def _find_span(where: Doc | Span, text: str) -> tuple[int, int] | None:
    """Character span of the first occurrence of text in a doc or sentence."""
    if not text:
        return None
    i = where.text.find(text)
    if i < 0:
        return None
    base = where.start_char if isinstance(where, Span) else 0
    return base + i, base + i + len(text)


def _report_country(d: Draft, ctx: ArticleContext) -> str | None:
    """The country of a report: its place's, else the article's."""
    return d.place[0].country_code if d.place and d.place[0].country_code else ctx.country


def _statement_time(doc: Doc, char: int) -> bool:
    """Whether the time expression at ``char`` dates a statement ("police said on Tuesday"), not the event."""
    span = doc.char_span(char, char + 1, alignment_mode="expand")
    if span is None:
        return False
    tok = span[0]
    for _ in range(3):
        if tok.head.i == tok.i:
            break
        tok = tok.head
        if tok.lemma_.lower() in _SAY_LEMMAS:
            return True
        if tok.pos_ == "VERB":
            return False
    return False


def _too_old(date: DateInfo, published: dt.date | None) -> bool:
    """Whether a date lies so long before publication that it is background: more than
    BACKGROUND_DAYS for a day or week, an earlier month or year for those precisions."""
    if published is None or date.value is None:
        return False
    d = dt.date.fromisoformat(date.value)
    if date.precision == "year":
        return d.year < published.year
    if date.precision == "month":
        return (d.year, d.month) < (published.year, published.month) and (published - d).days > 31
    return (published - d).days > BACKGROUND_DAYS


def _geo_context(counts: Counter[str]) -> GeoContext | None:
    """A GeoContext for the resolver from the article's country counts."""
    return GeoContext(country_counts=dict(counts)) if counts else None


def _place_mention(doc: Doc, ent: Span) -> str:
    """The place's words with the generic head that tells its kind ("the province of Idlib", "Idlib province")."""
    text = doc_text(doc)
    before = text[max(0, ent.start_char - 30):ent.start_char]
    after = text[ent.end_char:ent.end_char + 20]
    m = _PLACE_HEADS.search(before)
    if m and not re.search(r"\b(state|province|region|governorate|oblast|county|district)$", ent.text, re.I):
        return m.group(0).strip() + " " + ent.text
    t = _PLACE_TAILS.match(after)
    if t:
        return ent.text + " " + t.group(1)
    return ent.text
