"""Reports from an article: find event mentions, type them, fill their fields, merge them per incident.

The flow for one article:
1. each sentence's cues give a typed mention (or only support: a weak cue such as "the conflict");
2. hypothetical, future and speculative mentions are dropped: they are not reports;
3. each mention borrows missing fields (actors, date, place) from weak-cue sentences next to it in
   the same paragraph;
4. mentions of one incident (same sub-type, compatible date and place) merge into one report;
5. every empty field says why it is empty.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from conflictwire.annotate.dictionaries import ActorDictionary, CountryTable
from conflictwire.annotate.pipeline import ACTOR_LABEL, OUTLET_LABEL, dateline_end, doc_text, ents_in
from conflictwire.extract import numbers
from conflictwire.extract.actors import (
    _GENERIC,
    ActorFinder,
    ActorMention,
    assign_roles,
    generic_key,
    is_victim,
    with_article,
)
from conflictwire.extract.cues import CueHit, CueLexicon
from conflictwire.extract.dates import clock_hour, event_date, hours_apart, part_of_day, parts_apart
from conflictwire.extract.deaths import find_deaths
from conflictwire.extract.detect import Detection, EventDetector, default_detector
from conflictwire.extract.embed import SentenceEmbedder, get_embedder, quantize
from conflictwire.extract.modality import (
    HYPOTHETICAL,
    claimant,
    modality,
    outlet_claimant,
)
from conflictwire.extract.roles import Candidate, RoleRanker, default_ranker
from conflictwire.extract.roles import features as role_features
from conflictwire.extract.typer import EventTyper, default_typer
from conflictwire.geo import GeoContext, PlaceResolver, find_mentions, normalize
from conflictwire.geo.geoparse import SpanIndex, resolve_spans
from conflictwire.geo.resolve import haversine_km
from conflictwire.ingest.copies import credited_source
from conflictwire.limits import (
    INPUT_SECONDS,
    MAX_MENTIONS,
    MAX_READ_CHARS,
    PARSE_CHUNK_CHARS,
    TimeLimitExceeded,
    check_time,
    time_limit,
)
from conflictwire.model import (
    Actor,
    Claimant,
    DateInfo,
    Fatalities,
    Location,
    Quantity,
    Report,
)
from conflictwire.model import Span as Evidence
from conflictwire.taxonomy import event_type_of, family_of

log = logging.getLogger(__name__)
#: The code of an article that made the extractor itself fail (a bug, not bad input).
INTERNAL_ERROR = "internal-error"

#: A mention needs this much cue weight to be an event; less only supports a neighbour.
MENTION_THRESHOLD = 0.9
#: A weaker cue makes a mention when the trained typer is confident that the sentence is an event.
WEAK_THRESHOLD = 0.5
#: The typer's probability from which its type overrides the cue rules'.
TYPER_TRUST = 0.5
#: The fast typer's probability from which a cue-less sentence is embedded for the full typer.
GATE_PROBABILITY = 0.3
#: Two places of one article's mentions farther apart than this are two incidents (unless one is undated
#: and both lie in one province).
SAME_INCIDENT_KM = 75
#: Two clock times in one article this many hours apart are two incidents (one strike is not told at
#: 7:10 and at 22:30; a raid from 23:00 into the small hours is).
CLOCK_APART_HOURS = 6
#: The typer's probability from which it makes a mention of a sentence with no cue at all.
TYPER_ALONE = 0.7
#: Whether the habitual-statement rule (``_is_generic``) also filters the detector's mentions: it
#: learned what is habitual, and on real news the rule cost more events than it kept out.
RULE_FILTERS = os.environ.get("CONFLICTWIRE_RULE_FILTERS", "0") == "1"
#: Sentences the detector reads per article at most (the rest: cue sentences only).
DETECT_MAX_SENTENCES = 400
#: Mentions dated this long before publication are background, not news of a new incident.
BACKGROUND_DAYS = 30

_PLACE_LABELS = {"GPE", "LOC", "FAC"}
_LOCATIVE = {"in", "at", "near", "outside", "around", "inside", "of", "from", "to", "towards", "into", "across", "on"}
_NAME_LABELS = {"ORG", "ACTOR", "OUTLET", "PERSON", "WORK_OF_ART", "LAW", "EVENT", "PRODUCT", "DATE", "TIME",
                "CARDINAL", "ORDINAL", "QUANTITY", "MONEY", "PERCENT"}
#: "the town of Sake": a capitalised name after a settlement word is a place, whatever NER says.
_SETTLEMENT_OF = re.compile(r"\b(?:town|city|village|hamlet|neighbou?rhood|suburb|municipality|locality|settlement|"
                            r"camp|district|area|zone|region|province|governorate) of ([A-Z][\w'’-]+(?: [A-Z][\w'’-]+)?)")
#: "Macomia town", "Kidal city", "Inekar village": a settlement named before its kind (lower case).
_NAME_SETTLEMENT = re.compile(r"\b([A-Z][\w'’-]+(?: [A-Z][\w'’-]+)?) (?:town|city|village|hamlet|settlement)\b")
_ADMIN_NAME = re.compile(r"\b([A-Z][\w'’-]+(?: [A-Z][\w'’-]+)?) (?:Local Government Area|LGA|District|Province|"
                         r"County|Governorate|Oblast|Region|Municipality|Department|Prefecture|Raion|Territory)\b")
#: Sub-types that one negotiated incident is often described as, mention by mention.
_NONSTATE_ARMED = {"rebel", "political_militia", "identity_militia", "external"}
#: A state actor named by its forces or weapons ("Russian drones", "Syrian troops"), not by its officials.
_FORCE_WORDS = re.compile(r"\b(drones?|missiles?|rockets?|jets?|warplanes?|aircraft|artillery|forces|troops|army|"
                          r"military|soldiers|navy|air force|shelling|strikes?)\b", re.I)
_VIOLENT_TYPES = {"Battles", "Explosions/Remote violence", "Violence against civilians"}
_NAMED_ARMED = {"rebel", "political_militia", "identity_militia", "external"}
_COMPATIBLE = [
    {"Agreement", "Non-violent transfer of territory"},
    # arrests and dispersal at a protest are part of the protest
    {"Peaceful protest", "Protest with intervention", "Excessive force against protesters", "Violent demonstration", "Arrests"},
]
_SPORTS = re.compile(r"\b(match|league|football|soccer|tournament|championship|goalkeeper|striker|stadium|"
                     r"cup final|referee|fans|coach|innings|playoff|season opener|scored|penalty shootout|derby|"
                     r"equali[sz]er|substitute|midfield\w*|kick-off|world cup|fifa|uefa|afcon|rugby|cricket|boxing|"
                     r"wrestling|bout|title fight|semi-final|quarter-final|halftime|half-time)\b", re.I)
_METAPHOR_MODS = {"political", "legal", "verbal", "diplomatic", "electoral", "court", "price", "trade", "culture",
                  "bidding", "custody", "ratings", "budget", "media", "uphill", "internal", "leadership"}
_ARMED_TARGETS = {"soldier", "troops", "force", "forces", "fighter", "militant", "police", "policeman", "checkpoint",
                  "base", "position", "convoy", "patrol", "outpost", "barracks", "army", "post", "rebel", "insurgent",
                  "terrorist", "combatant", "jihadist", "islamist", "gunman", "gunmen", "assailant", "attacker",
                  "bandit", "militia", "militiaman", "guerrilla", "paramilitary", "serviceman", "officer"}
_CIVILIAN_WORDS = {"civilian", "resident", "villager", "people", "woman", "child", "worshipper", "farmer", "student",
                   "passenger", "family", "man", "person", "pilgrim", "shopper", "trader", "journalist", "refugee"}
#: People taken to safety (with _CIVILIAN_WORDS): their evacuation hands over no ground.
_RESCUED = {"wounded", "injured", "patient", "casualty", "survivor", "household", "baby", "elderly", "tourist",
            "staff", "worker", "citizen", "national", "diplomat", "resident"}
#: Commemorations and trials tell of past events: ACLED codes neither as a new event.
_RETROSPECTIVE = re.compile(r"\b(anniversary|commemorat\w*|memorial|in memory of|to mark (?:\w+ ){0,3}(?:years?|months?|"
                            r"since)|minute's silence|tribute to|honou?r the dead|remembrance|sentenced|convicted|"
                            r"found (?:\w+ )?guilty|acquitted|verdict|went on trial|stood trial|on trial|indicted|"
                            r"trial of|court (?:heard|ruled|convicted|sentenced))\b", re.I)
_HABITUAL = re.compile(r"\b(increasingly|repeatedly|routinely|regularly|frequently|often|usually|endemic|"
                       r"has become|have become|remains?|long been|for years|in recent (?:years|months|weeks)|"
                       r"since (?:19|20)\d\d|in the past|(?:has|have) long|(?:months|years|weeks|decades) of)\b", re.I)
_NEGATED_SUBJECTS = {"no", "nobody", "none", "neither", "noone"}
_LETHAL = re.compile(r"\b(shot dead|killed|live (?:fire|ammunition|rounds)|opened fire|fatally)\b", re.I)
_INTERVENTION = re.compile(r"\b(tear ?gas|water cannons?|dispersed?|dispersing|rubber bullets?|batons?|"
                           r"arrested|detained|broke up|beat)\b", re.I)
_RIOT = re.compile(r"\b(riot\w*|hurled stones|threw stones|torched|set fire|looted|molotov|smashed|vandali[sz]ed|"
                   r"clashed with (?:police|security))\b", re.I)
_PLACE_HEADS = re.compile(r"(?:the\s+)?(?:province|governorate|region|district|state|county|city|town|village|"
                          r"oblast|area|neighbou?rhood)\s+of\s+$", re.I)
_PLACE_TAILS = re.compile(r"^\s+(province|governorate|region|district|state|county|oblast|city|town|countryside)\b", re.I)
_SAY_LEMMAS = {"say", "tell", "report", "announce", "confirm", "state", "add", "claim", "deny", "write", "post",
               "reject", "dismiss", "accuse", "blame", "allege", "insist", "warn", "condemn", "publish"}


@dataclass
class Mention:
    sub_type: str
    score: float
    trigger: Token
    sent: Span
    para: int
    modality: str
    hits: list[CueHit]
    support: list[Span] = field(default_factory=list)
    #: The trained typer's probability for ``sub_type`` (None without a typer).
    probability: float | None = None

    @cached_property
    def part_of_day(self) -> str | None:
        """The one part of the day the sentence times its event at (``dates.part_of_day``)."""
        return part_of_day(self.sent.text)

    @cached_property
    def clock_hour(self) -> float | None:
        """The one clock time the sentence names, in hours (``dates.clock_hour``)."""
        return clock_hour(self.sent.text)


@dataclass
class Draft:
    """A report being built from one or more mentions of the same incident."""

    mentions: list[Mention]
    actor_mentions: list[ActorMention] = field(default_factory=list)
    agents: list[ActorMention] = field(default_factory=list)
    targets: list[ActorMention] = field(default_factory=list)
    date: tuple[DateInfo, int, int] | None = None
    place: tuple[Location, float, int, int] | None = None
    fatalities: list[tuple[Fatalities, int, int]] = field(default_factory=list)
    quantities: list[tuple[Quantity, int, int]] = field(default_factory=list)
    claimant: Claimant | None = None
    claimant_span: tuple[int, int] | None = None


@dataclass
class ArticleContext:
    published: dt.date | None
    outlet: str | None
    country_counts: Counter[str]
    main_place: Location | None
    places: dict[tuple[int, int], Location]  # resolved place entities by char span
    #: The one named armed group the article is about, which its "the militants" refer to.
    dominant_group: Actor | None = None
    #: Where the dateline ("KHARKIV, Ukraine, April 15 (Wire) -") ends, 0 if there is none.
    dateline_end: int = 0
    place_spans: list[Span] = field(default_factory=list)
    #: Sentence embeddings for the typer, by sentence start token.
    vectors: dict[int, np.ndarray] = field(default_factory=dict)
    #: The learned detector's verdict on each sentence it read, by sentence start token.
    detections: dict[int, Detection] = field(default_factory=dict)
    #: Filtered cue hits of each sentence, by sentence start token.
    hits: dict[int, list[CueHit]] = field(default_factory=dict)
    #: The index of the first sentence left unread once MAX_MENTIONS were found, else None.
    capped: int | None = None

    @property
    def country(self) -> str | None:
        return self.country_counts.most_common(1)[0][0] if self.country_counts else None




class Extractor:
    """Turns article text into reports. Collaborators are passed in so tests can hand in others."""

    def __init__(self, nlp: Language, resolver: PlaceResolver, actors: ActorDictionary | None = None,
                 countries: CountryTable | None = None, cues: CueLexicon | None = None,
                 typer: EventTyper | None = None, embedder: SentenceEmbedder | None = None,
                 roles: RoleRanker | None = None, detector: EventDetector | None = None) -> None:
        self.typer = typer
        #: The learned detector and typer; when set, it alone decides which sentences tell of an
        #: event and of which type (cues then only place the trigger).
        self.detector = detector
        self.embedder = embedder if detector is not None or (typer is not None and typer.embed_dim) else None
        #: The fast typer picks which cue-less sentences are worth embedding at all.
        self.gate = default_typer(fast=True) if self.embedder is not None else None
        self.nlp = nlp
        self.resolver = resolver
        self.countries = countries or CountryTable.default()
        self.actor_finder = ActorFinder(actors or ActorDictionary.default(), self.countries)
        self.cues = cues or CueLexicon.default()
        #: The trained actor ranker; None leaves actor roles to the syntax rules alone.
        self.roles: RoleRanker | None = roles if roles is not None else default_ranker()
        self._warm = False

    @classmethod
    def default(cls, fast: bool = False) -> Extractor:
        """The extractor with the packaged models, dictionaries and gazetteer.

        ``fast`` finds and types events with the codebook cues and a linear typer instead of the
        learned detector: about 1.4 times a bare spaCy pass instead of 3.5 times, and far less
        accurate on real news (figures in the README)."""
        from conflictwire.annotate.pipeline import default_nlp
        from conflictwire.geo import Gazetteer, PlaceResolver

        typer = default_typer(fast)
        # the learned detector decides which sentences tell of events and their types (README,
        # Evaluation); CONFLICTWIRE_DETECTOR=0 falls back to the codebook cues and the linear typer
        detector = None if fast or os.environ.get("CONFLICTWIRE_DETECTOR", "1") == "0" else default_detector()
        embedder = (get_embedder(threads=os.cpu_count() or 1)
                    if detector is not None or (typer is not None and typer.embed_dim) else None)
        return cls(default_nlp(), PlaceResolver(Gazetteer.default()), typer=typer, embedder=embedder,
                   detector=detector)

    # -- entry points -------------------------------------------------------------------------

    def extract(self, text: str, title: str | None = None, published: dt.date | None = None,
                outlet: str | None = None) -> list[Report]:
        """Reports in one article's text; evidence offsets index into ``text``."""
        read = _readable(text)
        return self._finish(self.extract_doc(self._parse(read), title, published, outlet), text, read)

    def extract_many(self, items: Iterable[tuple[str, str | None, dt.date | None, str | None]],
                     batch_size: int = 16) -> Iterator[list[Report]]:
        """Reports for many (text, title, published, outlet) items, parsed in batches.

        The first failure ends the run; ``extract_each`` is the one that goes on.
        """
        for out in self.extract_each(items, batch_size, seconds=None):
            if isinstance(out, ExtractionError):
                raise out
            yield out

    def extract_each(self, items: Iterable[tuple[str, str | None, dt.date | None, str | None]],
                     batch_size: int = 16, seconds: float | None = INPUT_SECONDS
                     ) -> Iterator[list[Report] | ExtractionError]:
        """Reports for each item, or the ``ExtractionError`` that stopped that item alone.

        Each article has ``seconds`` for its own work (its parse too, when it is parsed alone); a
        failure of one never costs the others of the batch.
        """
        items = list(items)
        if seconds and items:
            self.warm_up()  # what loads on first use is no article's time
        reads = [_readable(t) for t, _, _, _ in items]
        docs = self._parse_all(reads, batch_size)
        for (text, title, published, outlet), read, doc in zip(items, reads, docs):
            try:
                with time_limit(seconds, "extracting this article"):
                    if isinstance(doc, _Unparsed):
                        doc = self._parse(read)
                    reports = self.extract_doc(doc, title, published, outlet)
            except TimeLimitExceeded as exc:
                yield ExtractionError("timeout", str(exc))
                continue
            except RecursionError:
                yield ExtractionError("too-deep", "the text's structure is too deep to read")
                continue
            except Exception as exc:  # noqa: BLE001 - one article's failure must never end the batch
                log.error("extraction failed", exc_info=exc)
                yield ExtractionError(INTERNAL_ERROR, f"extraction failed ({type(exc).__name__}: {str(exc)[:200]}); "
                                                      "please report it with the input")
                continue
            yield self._finish(reports, text, read)

    def warm_up(self) -> None:
        """Load what loads on first use (models, gazetteer tables, caches) by extracting a sample once."""
        if not self._warm:
            self._warm = True
            self.extract("Gunmen killed two people and wounded three in an attack on a market in Aleppo on Monday, "
                         "the army said.", "Attack in Aleppo", dt.date(2024, 1, 3), None)

    def _parse_all(self, texts: list[str], batch_size: int) -> Iterator[Doc | _Unparsed]:
        """Docs of short texts parsed together in batches; a long text, or the rest of a batch that
        failed in the parser, is left to be parsed alone (``_Unparsed``)."""
        short = [i for i, t in enumerate(texts) if len(t) <= PARSE_CHUNK_CHARS]
        parsed: Iterator[Doc] = self.nlp.pipe((texts[i] for i in short), batch_size=batch_size)
        short_set = set(short)
        broken = False
        for i in range(len(texts)):
            if i not in short_set or broken:
                yield _Unparsed()
                continue
            try:
                yield next(parsed)
            except Exception as exc:  # noqa: BLE001 - parsed again one by one, each under its own limit
                log.warning("batch parse failed (%s); parsing one by one", exc)
                broken = True
                yield _Unparsed()

    def _parse(self, text: str) -> Doc:
        """One text's Doc, parsed in pieces of at most PARSE_CHUNK_CHARS cut at line breaks."""
        if len(text) <= PARSE_CHUNK_CHARS:
            return self.nlp(text)
        docs = []
        for chunk in _chunks(text, PARSE_CHUNK_CHARS):
            check_time()
            docs.append(self.nlp(chunk))
        return Doc.from_docs(docs, ensure_whitespace=False)

    @staticmethod
    def _finish(reports: list[Report], text: str, read: str) -> list[Report]:
        """Say on each report when only the start of a long text was read."""
        if len(read) < len(text):
            note = (f"the article has {len(text):,} characters; only the first {len(read):,} were read "
                    f"for events (the limit is {MAX_READ_CHARS:,})")
            for r in reports:
                r.why_empty["text"] = note
        return reports

    def extract_doc(self, doc: Doc, title: str | None, published: dt.date | None, outlet: str | None) -> list[Report]:
        """Reports from an annotated article."""
        ctx = self._article_context(doc, title, published, outlet)
        paras = _paragraph_ids(doc)
        sents = list(doc.sents)
        if self.detector is not None:
            ctx.detections = self._detect(sents)
        else:
            ctx.vectors = self._sentence_vectors(sents, ctx)
        mentions: list[Mention] = []
        weak: dict[int, set[str]] = {}  # sentence index -> families of its weak cues
        for i, sent in enumerate(sents):
            check_time()
            if len(mentions) >= MAX_MENTIONS:
                ctx.capped = i
                break
            m = self._mention(sent, paras, ctx)
            if m is None:
                fams = self._weak_families(sent, ctx)
                if fams:
                    weak[i] = fams
                continue
            if m.modality == HYPOTHETICAL or _negated_subject(m.trigger):
                continue
            if _RETROSPECTIVE.search(sent.text) or ((self.detector is None or RULE_FILTERS) and self._is_generic(m, published)):
                continue
            m.support = _support(i, sents, paras, weak, mentions, family_of(event_type_of(m.sub_type)))
            mentions.append(m)
        check_time()
        if self.detector is not None and self.embedder is not None and mentions:
            # embeddings of the event sentences only: reports carry them for clustering across outlets
            chosen = list({m.sent.start: m.sent for m in mentions}.values())
            ctx.vectors = dict(zip((s.start for s in chosen), self.embedder.embed([s.text for s in chosen])))
        drafts = self._merge([self._draft(m, ctx) for m in mentions])
        check_time()
        reports = [self._report(d, ctx, doc) for d in drafts]
        if ctx.capped is not None:
            note = (f"the article tells of more than {MAX_MENTIONS} events; sentences from the "
                    f"{ctx.capped + 1:,}th of {len(sents):,} on were not read")
            for r in reports:
                r.why_empty["text"] = note
        return [r for r in reports if not _is_background(r, published)]

    # -- mentions ---------------------------------------------------------------------------------

    def _hits(self, sent: Span, ctx: ArticleContext) -> list[CueHit]:
        """The sentence's cue hits that are no names, sport or metaphor; matched once per sentence."""
        if sent.start not in ctx.hits:
            ctx.hits[sent.start] = self._kept_hits(sent)
        return ctx.hits[sent.start]

    def _sentence_vectors(self, sents: list[Span], ctx: ArticleContext) -> dict[int, np.ndarray]:
        """Sentence embeddings for the typer, by sentence start token (empty without an embedder).

        Embedding costs more than parsing, so a sentence is embedded only when a codebook cue is in
        it or the fast n-gram typer gives it a fair chance of telling of an event.
        """
        if self.embedder is None or not sents:
            return {}
        # any cue counts here, even one filtered as a name or metaphor: the typer judges the sentence
        chosen = [s for s in sents if self.cues.match(s) or self._worth_embedding(s)]
        if not chosen:
            return {}
        vecs = self.embedder.embed([s.text for s in chosen])
        return {s.start: v for s, v in zip(chosen, vecs)}

    def _worth_embedding(self, sent: Span) -> bool:
        """Whether the fast typer thinks a cue-less sentence may be an event."""
        if self.gate is None:
            return True
        guess = self.gate.guess(sent.text, {})
        return guess.probability >= GATE_PROBABILITY and guess.none_probability < 0.5

    def _weak_families(self, sent: Span, ctx: ArticleContext) -> set[str]:
        """Event families of the cues of a sentence too weak to be a mention of its own."""
        return {family_of(event_type_of(h.sub_event_type)) for h in self._hits(sent, ctx)}

    def _kept_hits(self, sent: Span) -> list[CueHit]:
        """The sentence's cue hits less those ``_filtered`` drops; linear in the sentence's length
        however many hits it has (what is asked of the sentence or of a head is asked once)."""
        hits = self.cues.match(sent)
        if not hits:
            return []
        sports = _SPORTS.search(sent.text) is not None
        children: dict[int, list[Token]] = {}
        return [h for h in hits if not self._filtered(h, sent, sports, children)]

    def _filtered(self, hit: CueHit, sent: Span, sports: bool, children: dict[int, list[Token]]) -> bool:
        """Cues that are names, sport or metaphor, not events ("Center for Reconciliation", "a political battle").

        ``sports``: whether the sentence speaks of sport; ``children``: a cache of each head's children."""
        head = hit.head(sent)
        if any(sent.doc[i].ent_type_ in _NAME_LABELS for i in range(hit.start, hit.end)):
            return True
        fam = family_of(event_type_of(hit.sub_event_type))
        if fam == "violent" and sports:
            return True
        if head.i not in children:
            children[head.i] = list(head.children)
        kids = children[head.i]
        mods = {c.lower_ for c in kids if c.dep_ in ("amod", "compound")}
        if mods & _METAPHOR_MODS:
            return True
        if head.lower_ in ("war", "battle", "fight") and any(c.lower_ == "of" and any(g.lower_ == "words" for g in c.children) for c in kids):
            return True
        if head.lemma_.lower() == "shell" and head.pos_ == "NOUN" and any(c.lower_ == "of" for c in kids):
            return True  # "the blackened shell of the workshop": what is left of a building, not shelling
        if hit.sub_event_type == "Non-violent transfer of territory" and head.lemma_.lower().startswith("evacu"):
            # "Rescuers evacuated 60 residents", "the evacuation of the wounded": people taken to safety,
            # not ground handed over ("troops evacuated the town", "the evacuation of the fighters")
            moved = {w for c in kids if c.dep_ in ("dobj", "nsubjpass", "prep")
                     for t in c.subtree for w in (t.lemma_.lower(), t.lower_)}
            if moved & (_CIVILIAN_WORDS | _RESCUED) and not moved & _ARMED_TARGETS:
                return True
        # "combat zone", "front line": a modifier of another noun is no event of its own
        return head.dep_ == "compound" and hit.weight < 1.2

    def cue_scores(self, sent: Span, hits: list[CueHit] | None = None
                   ) -> tuple[Counter[str], dict[str, tuple[float, CueHit]], list[CueHit]]:
        """Cue weight per sub-type in a sentence (scaled by each cue's syntactic role), the best hit
        of each sub-type, and the hits themselves."""
        if hits is None:
            hits = self._kept_hits(sent)
        scores: Counter[str] = Counter()
        best_hit: dict[str, tuple[float, CueHit]] = {}
        for h in hits:
            w = h.weight * _role_factor(h.head(sent))
            scores[h.sub_event_type] += w
            if h.sub_event_type not in best_hit or w > best_hit[h.sub_event_type][0]:
                best_hit[h.sub_event_type] = (w, h)
        if hits and numbers.find_fatalities(sent.text):
            for sub in ("Attack", "Armed clash"):
                if sub in scores:
                    scores[sub] += 0.5
        for sub, (w, h) in list(best_hit.items()):
            if event_type_of(sub) in _VIOLENT_TYPES and _armed_agent_acts(h.head(sent)):
                # "Fighters attacked an army post": an armed actor did it to someone, in the past
                scores[sub] += 0.4
        return scores, best_hit, hits

    def _detect(self, sents: list[Span]) -> dict[int, Detection]:
        """The detector's verdict on each sentence (with its neighbours as context)."""
        assert self.detector is not None
        chosen = [i for i, s in enumerate(sents) if len(s) >= 3][:DETECT_MAX_SENTENCES]
        if not chosen:
            return {}
        pairs = [(sents[i].text, " ".join(sents[j].text for j in (i - 1, i + 1) if 0 <= j < len(sents)))
                 for i in chosen]
        return {sents[i].start: d for i, d in zip(chosen, self.detector.detect(pairs))}

    def _detected_mention(self, sent: Span, paras: list[int], ctx: ArticleContext) -> Mention | None:
        """The mention of a sentence the learned detector says tells of an event that happened."""
        det = ctx.detections.get(sent.start)
        if det is None or det.event_probability < self.detector.threshold:  # type: ignore[union-attr]
            return None
        hits = self._hits(sent, ctx)
        scores, best_hit, _ = self.cue_scores(sent, hits)
        sub = det.sub_event_type
        if sub in best_hit:
            trigger = best_hit[sub][1].head(sent)
        elif best_hit:
            trigger = max(best_hit.values(), key=lambda wh: wh[0])[1].head(sent)
        else:
            trigger = _main_event_verb(sent)
        return Mention(sub, max(MENTION_THRESHOLD, scores.get(sub, 0.0)), trigger, sent, paras[sent.start],
                       modality(trigger, sent), hits, probability=det.probability)

    def _mention(self, sent: Span, paras: list[int], ctx: ArticleContext) -> Mention | None:
        """The typed event mention of a sentence, if its cues (and the trained typer) say so."""
        if self.detector is not None:
            return self._detected_mention(sent, paras, ctx)
        scores, best_hit, hits = self.cue_scores(sent, self._hits(sent, ctx))
        if not hits:
            return self._typer_only_mention(sent, paras, ctx)
        sub, score = scores.most_common(1)[0]
        sub = self._refine(sub, scores, sent, best_hit[sub][1])
        prob = None
        if self.typer is not None:
            probs = self.typer.probabilities(sent.text, scores, ctx.vectors.get(sent.start))
            guess = self.typer.guess_from(probs)
            rule_p = float(probs[self.typer.classes.index(sub)]) if sub in self.typer.classes else 0.0
            if guess.probability >= TYPER_TRUST and guess.none_probability < guess.probability:
                # the codebook's cue type holds unless the typer clearly prefers another type
                if guess.sub_event_type != sub and guess.probability > 2 * rule_p:
                    sub = guess.sub_event_type
                score = max(score, MENTION_THRESHOLD) if score >= WEAK_THRESHOLD else score
            prob = float(probs[self.typer.classes.index(sub)]) if sub in self.typer.classes else None
        if score < MENTION_THRESHOLD:
            return None
        if sub in best_hit:
            trigger = best_hit[sub][1].head(sent)
        else:
            # the typer's type has no cue here: the sentence's main verb stands as the trigger, not a
            # cue of another type in a subordinate clause ("demanding that the government send reinforcements")
            trigger = _main_event_verb(sent)
        return Mention(sub, score, trigger, sent, paras[sent.start], modality(trigger, sent), hits, probability=prob)

    def _typer_only_mention(self, sent: Span, paras: list[int], ctx: ArticleContext) -> Mention | None:
        """A sentence with no codebook cue that the typer is sure describes an event ("warplanes
        pounded the town"): its main verb stands as the trigger."""
        if self.typer is None or len(sent) < 5:
            return None
        vec = ctx.vectors.get(sent.start)
        if self.typer.embed_dim and vec is None:
            return None  # not a sentence that may tell of an event (see _sentence_vectors)
        guess = self.typer.guess(sent.text, {}, vec)
        if guess.probability < TYPER_ALONE or guess.none_probability > 0.1:
            return None
        trigger = _main_event_verb(sent)
        return Mention(guess.sub_event_type, MENTION_THRESHOLD, trigger, sent, paras[sent.start],
                       modality(trigger, sent), [], probability=guess.probability)

    def _refine(self, sub: str, scores: Counter[str], sent: Span, hit: CueHit) -> str:
        """Context rules the codebook states: who was targeted, how protests ended, who took ground."""
        text = sent.text
        protest = sum(scores[s] for s in ("Peaceful protest", "Protest with intervention",
                                          "Excessive force against protesters"))
        if protest >= 1.0 and event_type_of(sub) in ("Protests", "Riots", "Battles", "Violence against civilians", "Strategic developments"):
            if _RIOT.search(text) or scores["Violent demonstration"] >= 1.0:
                return "Violent demonstration"
            if _LETHAL.search(text):
                return "Excessive force against protesters"
            if _INTERVENTION.search(text):
                return "Protest with intervention"
            return "Peaceful protest"
        if sub in ("Protest with intervention", "Excessive force against protesters"):
            return "Arrests" if scores["Arrests"] else "Other"
        if sub in ("Attack", "Armed clash"):
            head = hit.head(sent)
            targets = {t.lemma_.lower() for c in head.children if c.dep_ in ("dobj", "nsubjpass", "prep")
                       for t in c.subtree}
            if sub == "Attack" and targets & _ARMED_TARGETS and not targets & _CIVILIAN_WORDS:
                return "Armed clash"
        if sub in ("Government regains territory", "Non-state actor overtakes territory"):
            agents = [m for m in self.actor_finder.find(sent, None) if m.token.dep_ in ("nsubj", "agent")]
            if agents:
                return "Government regains territory" if agents[0].actor.kind == "state" else "Non-state actor overtakes territory"
        return sub

    def _is_generic(self, m: Mention, published: dt.date | None) -> bool:
        """A habitual or general statement ("kidnapping has become endemic"), not one incident.

        Present-tense clauses and habitual markers count as generic unless the sentence pins the
        event down with a recent date or a death toll.
        """
        sent = m.sent
        found = event_date(sent.text, sent.start_char, published)
        recent = found is not None and found[0].value is not None and not _too_old(found[0], published)
        if recent or numbers.find_fatalities(sent.text):
            return False
        verb = m.trigger
        while verb.pos_ not in ("VERB", "AUX") and verb.head.i != verb.i:
            verb = verb.head
        present = verb.tag_ in ("VBZ", "VBP") and verb.lemma_.lower() not in ("say", "tell", "report")
        if present and _is_headline(sent):
            present = False  # a headline's present tense tells what just happened ("Forces recapture Lyman")
        # "are also fighting the army": an ongoing state of affairs
        present = present or (verb.tag_ == "VBG" and any(c.dep_ == "aux" and c.tag_ in ("VBZ", "VBP") for c in verb.children))
        return present or bool(_HABITUAL.search(sent.text))

    # -- fields -----------------------------------------------------------------------------------

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

    # -- article level ----------------------------------------------------------------------------

    def _article_context(self, doc: Doc, title: str | None, published: dt.date | None, outlet: str | None) -> ArticleContext:
        """Places of the whole article resolved once, with a country prior from the article itself."""
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
        return ArticleContext(published, outlet, country_counts,
                              main, places, self._dominant_group(doc), dateline,
                              [sp for sp in spans if (sp.start_char, sp.end_char) in places])

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


class ExtractionError(Exception):
    """One article could not be extracted: ``timeout``, ``too-deep`` or ``internal-error``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message = code, message


class _Unparsed:
    """A text still to be parsed on its own."""


def _readable(text: str) -> str:
    """The part of a text read for events: all of it, or the first MAX_READ_CHARS cut at a break."""
    if len(text) <= MAX_READ_CHARS:
        return text
    return text[:_cut_point(text, MAX_READ_CHARS)]


def _cut_point(text: str, limit: int) -> int:
    """Where to cut ``text`` at most ``limit`` characters in: after a paragraph break, else a line
    break, else a sentence end, else a space, in the last quarter before the limit; else at it."""
    floor = limit * 3 // 4
    for sep in ("\n\n", "\n", ". ", " "):
        at = text.rfind(sep, floor, limit)
        if at >= 0:
            return at + len(sep)
    return limit


def _chunks(text: str, size: int) -> Iterator[str]:
    """``text`` in consecutive pieces of at most ``size`` characters, joined they are ``text``."""
    start = 0
    while start < len(text):
        end = len(text) if len(text) - start <= size else start + _cut_point(text[start:start + size], size)
        yield text[start:end]
        start = end


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


def _role_factor(head: Token) -> float:
    """How much a cue says about the sentence's event, by its place in the parse: the main verb and
    its core arguments most ("the agreement was reached"), a noun in an adjunct phrase less ("after
    two days of talks"), a word modifying another noun least ("the evacuated militants")."""
    if head.dep_ in ("amod", "compound", "acl") and head.pos_ in ("VERB", "ADJ"):
        return 0.5
    if head.dep_ == "relcl":
        return 0.8
    if head.dep_ in ("ROOT", "nsubj", "nsubjpass", "dobj"):
        return 1.2
    if head.dep_ == "pobj" and head.head.dep_ == "prep" and head.head.head.pos_ in ("VERB", "AUX"):
        return 0.7
    return 1.0


def _paragraph_ids(doc: Doc) -> list[int]:
    """Paragraph number of every token (paragraphs are separated by blank lines)."""
    ids = []
    para = 0
    for t in doc:
        if t.is_space and t.text.count("\n") >= 2:
            para += 1
        ids.append(para)
    return ids


def _support(i: int, sents: list[Span], paras: list[int], weak: dict[int, str], mentions: list[Mention],
             family: str) -> list[Span]:
    """Weak-cue sentences of the same family next to sentence i, in its paragraph."""
    para = paras[sents[i].start]
    out = []
    for j in (i - 1, i - 2, i + 1):
        if 0 <= j < len(sents) and paras[sents[j].start] == para and family in weak.get(j, ()):
            out.append(sents[j])
    return out


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


def _find_span(where: Doc | Span, text: str) -> tuple[int, int] | None:
    """Character span of the first occurrence of text in a doc or sentence."""
    if not text:
        return None
    i = where.text.find(text)
    if i < 0:
        return None
    base = where.start_char if isinstance(where, Span) else 0
    return base + i, base + i + len(text)


def _dedupe_evidence(ev: list[Evidence]) -> list[Evidence]:
    seen = set()
    out = []
    for e in sorted(ev, key=lambda e: (e.start, e.end)):
        key = (e.start, e.end, e.field)
        if key not in seen:
            seen.add(key)
            out.append(e)
    return out


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


#: What an armed attack hits, besides actors and named places.
_TARGET_NOUNS = _ARMED_TARGETS | _CIVILIAN_WORDS | {
    "village", "town", "city", "post", "outpost", "base", "station", "convoy", "market", "camp", "position", "school",
    "church", "mosque", "hospital", "vehicle", "bus", "patrol", "district", "neighbourhood", "neighborhood", "farm",
    "house", "home", "barracks", "headquarters", "office", "compound", "prison", "truck", "settlement", "area"}
#: Generic nouns that name armed actors (not officials who speak or sign).
_ARMED_GENERIC = {k for k, (_, kind) in _GENERIC.items() if kind == "unidentified"} | {
    "army", "military", "troops", "soldier", "force", "forces", "police", "policeman", "gendarme", "marine",
    "militia", "militiaman", "serviceman", "guard"}


def _armed_agent_acts(verb: Token) -> bool:
    """Whether a past-tense active verb has an armed actor as subject and something it acts upon."""
    if verb.pos_ != "VERB" or verb.tag_ not in ("VBD", "VBN") or any(c.dep_ in ("auxpass", "nsubjpass") for c in verb.children):
        return False
    subj = next((c for c in verb.children if c.dep_ == "nsubj"), None)
    if subj is None or not (subj.ent_type_ == ACTOR_LABEL or generic_key(subj) in _ARMED_GENERIC):
        return False
    objs = [c for c in verb.children if c.dep_ == "dobj"]
    objs += [g for c in verb.children if c.dep_ == "prep" and c.lower_ in ("on", "at", "in") for g in c.children if g.dep_ == "pobj"]
    # what was hit is people, forces or a place ("an army post", "villagers"), not "the proposal"
    return any(o.ent_type_ in ("GPE", "LOC", "FAC", "NORP", ACTOR_LABEL) or generic_key(o) is not None
               or o.lemma_.lower() in _TARGET_NOUNS for o in objs)


_SPEECH_VERBS = {"say", "tell", "report", "add", "state", "announce", "confirm", "claim", "allege", "accuse", "write",
                 "post", "note", "explain", "insist", "deny"}


def _main_event_verb(sent: Span) -> Token:
    """The verb that tells the event: the root, or what the root reports ("X happened, police said")."""
    root = sent.root
    if root.lemma_.lower() in _SPEECH_VERBS:
        told = [c for c in root.children if c.dep_ in ("ccomp", "xcomp", "parataxis") and c.pos_ in ("VERB", "AUX")]
        if told:
            return told[0]
    return root


def _report_country(d: Draft, ctx: ArticleContext) -> str | None:
    """The country of a report: its place's, else the article's."""
    return d.place[0].country_code if d.place and d.place[0].country_code else ctx.country


def _is_headline(sent: Span) -> bool:
    """A short line with no closing full stop standing alone: the headline's historic present."""
    text = sent.text.strip()
    if not text or text[-1] in ".!?\"'’”" or len(sent) > 20:
        return False
    doc = sent.doc
    alone_before = sent.start == 0 or "\n" in doc[sent.start - 1].text_with_ws
    alone_after = sent.end >= len(doc) or "\n" in doc[sent.end - 1].whitespace_ + (doc[sent.end].text if doc[sent.end].is_space else "")
    return alone_before and alone_after


def _negated_subject(trigger: Token) -> bool:
    """ "No group has claimed", "nobody was killed": the sentence says the event did not happen."""
    verb = trigger if trigger.pos_ in ("VERB", "AUX") else trigger.head
    for c in verb.children:
        if c.dep_ in ("nsubj", "nsubjpass") and (c.lower_ in _NEGATED_SUBJECTS or any(
                d.dep_ == "det" and d.lower_ == "no" for d in c.children)):
            return True
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


def _is_background(r: Report, published: dt.date | None) -> bool:
    """A report dated long before publication is background to the news, not a new incident."""
    return r.date is not None and _too_old(r.date, published)
