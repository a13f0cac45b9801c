"""Detect and type: which sentences tell of an event that happened, and of which type."""

from __future__ import annotations

import datetime as dt
import os
import re
from collections import Counter

import numpy as np
from spacy.tokens import Doc, Span, Token

from conflictwire.annotate.pipeline import ACTOR_LABEL
from conflictwire.extract import numbers
from conflictwire.extract.actors import _GENERIC, generic_key
from conflictwire.extract.cues import CueHit
from conflictwire.extract.dates import event_date
from conflictwire.extract.detect import Detection
from conflictwire.extract.fields import _too_old
from conflictwire.extract.modality import HYPOTHETICAL, modality
from conflictwire.extract.steps import ArticleContext, Mention, Steps
from conflictwire.limits import MAX_MENTIONS, check_time
from conflictwire.taxonomy import event_type_of, family_of

#: A mention needs this much cue weight to be an event; less only supports a neighbour.
MENTION_THRESHOLD = 0.9
#: A weaker cue makes a mention when the trained typer is confident that the sentence is an event.
WEAK_THRESHOLD = 0.5
#: The typer's probability from which its type overrides the cue rules'.
TYPER_TRUST = 0.5
#: The fast typer's probability from which a cue-less sentence is embedded for the full typer.
GATE_PROBABILITY = 0.3
#: The typer's probability from which it makes a mention of a sentence with no cue at all.
TYPER_ALONE = 0.7
#: Whether the habitual-statement rule (``_is_generic``) also filters the detector's mentions: it
#: learned what is habitual, and on real news the rule cost more events than it kept out.
RULE_FILTERS = os.environ.get("CONFLICTWIRE_RULE_FILTERS", "0") == "1"
#: Sentences the detector reads per article at most (the rest: cue sentences only).
DETECT_MAX_SENTENCES = 400

_NAME_LABELS = {"ORG", "ACTOR", "OUTLET", "PERSON", "WORK_OF_ART", "LAW", "EVENT", "PRODUCT", "DATE", "TIME",
                "CARDINAL", "ORDINAL", "QUANTITY", "MONEY", "PERCENT"}
_VIOLENT_TYPES = {"Battles", "Explosions/Remote violence", "Violence against civilians"}
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


class MentionSteps(Steps):
    """Finding an article's event mentions: the learned detector's, or the cues' and the typer's."""

    def _mentions(self, sents: list[Span], paras: list[int], ctx: ArticleContext) -> list[Mention]:
        """The article's event mentions, each with the weak-cue sentences next to it that support it.

        Hypothetical, negated ("no one was hurt") and retrospective mentions are no reports, nor, on
        the cue path, habitual ones; reading stops at MAX_MENTIONS (``ctx.capped``)."""
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
            if _RETROSPECTIVE.search(sent.text) or ((self.detector is None or RULE_FILTERS) and self._is_generic(m, ctx.published)):
                continue
            m.support = _support(i, sents, paras, weak, mentions, family_of(event_type_of(m.sub_type)))
            mentions.append(m)
        return mentions

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
        if hit.sub_event_type == "Non-violent transfer of territory" and _evacuates_people(head):
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
        """The detector's verdict on each sentence (with its neighbours as context) that the sieve
        does not rule out; a sentence it rules out has no verdict, and so no mention."""
        assert self.detector is not None
        chosen, pairs = detector_pairs(sents)
        if self.sieve is not None:
            kept = self.sieve.keep(pairs)
            chosen = [i for i, k in zip(chosen, kept) if k]
            pairs = [p for p, k in zip(pairs, kept) if k]
        if not chosen:
            return {}
        return {sents[i].start: d for i, d in zip(chosen, self.detector.detect(pairs))}

    def _detected_mention(self, sent: Span, paras: list[int], ctx: ArticleContext) -> Mention | None:
        """The mention of a sentence the learned detector says tells of an event that happened."""
        det = ctx.detections.get(sent.start)
        if det is None or det.event_probability < self.detector.threshold:  # type: ignore[union-attr]
            return None
        hits = self._hits(sent, ctx)
        scores, best_hit, _ = self.cue_scores(sent, hits)
        sub = det.sub_event_type
        if sub == "Non-violent transfer of territory" and any(_evacuates_people(t) for t in sent) \
                and not any(h.sub_event_type == sub for h in hits):
            return None  # the codebook's rule holds over the detector: moving people to safety hands over no ground
        trigger, mod = _asserted_trigger(sent, sub, hits, best_hit)
        return Mention(sub, max(MENTION_THRESHOLD, scores.get(sub, 0.0)), trigger, sent, paras[sent.start],
                       mod, hits, probability=det.probability)

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


def _is_headline(sent: Span) -> bool:
    """A short line with no closing full stop standing alone: the headline's historic present."""
    text = sent.text.strip()
    if not text or text[-1] in ".!?\"'’”" or len(sent) > 20:
        return False
    doc = sent.doc
    alone_before = sent.start == 0 or "\n" in doc[sent.start - 1].text_with_ws
    alone_after = sent.end >= len(doc) or "\n" in doc[sent.end - 1].whitespace_ + (doc[sent.end].text if doc[sent.end].is_space else "")
    return alone_before and alone_after


def _degenerate(sent: Span) -> bool:
    """A "sentence" that is no prose: a long run of few words repeated ("a. a. a. ..."), or one with
    almost no words at all. The detector was never shown such text and may call it anything."""
    words = [t.lower_ for t in sent if t.is_alpha]
    if len(sent) > 20 and len(words) < len(sent) // 4:
        return True
    return len(words) > 20 and len(set(words)) < len(words) // 5


def _asserted_trigger(sent: Span, sub: str, hits: list[CueHit],
                      best_hit: dict[str, tuple[float, CueHit]]) -> tuple[Token, str]:
    """The word that stands for the detected event, and its modality.

    The cue of the detected type comes first (the heaviest), then the other cues, else the main
    verb. A cue in a purpose or complement clause ("marched on Saturday *to protest* the law") is
    hypothetical while the event itself is not: the first cue that is not hypothetical stands for
    it, so a sentence is dropped as hypothetical only when every event word in it is."""
    if not hits:
        verb = _main_event_verb(sent)
        return verb, modality(verb, sent)
    first = best_hit[sub][1] if sub in best_hit else max(best_hit.values(), key=lambda wh: wh[0])[1]
    ordered = [first] + sorted((h for h in hits if h is not first),
                               key=lambda h: (h.sub_event_type != sub, -h.weight, h.start))
    seen: set[int] = set()
    for h in ordered:
        tok = h.head(sent)
        if tok.i in seen:
            continue
        seen.add(tok.i)
        mod = modality(tok, sent)
        if mod != HYPOTHETICAL:
            return tok, mod
    tok = first.head(sent)
    return tok, modality(tok, sent)


def _negated_subject(trigger: Token) -> bool:
    """ "No group has claimed", "nobody was killed": the sentence says the event did not happen."""
    verb = trigger if trigger.pos_ in ("VERB", "AUX") else trigger.head
    for c in verb.children:
        if c.dep_ in ("nsubj", "nsubjpass") and (c.lower_ in _NEGATED_SUBJECTS or any(
                d.dep_ == "det" and d.lower_ == "no" for d in c.children)):
            return True
    return False


def _evacuates_people(head: Token) -> bool:
    """"Rescuers evacuated 60 residents", "the evacuation of the wounded": people taken to safety, not
    ground handed over ("troops evacuated the town", "the evacuation of the fighters")."""
    if not head.lemma_.lower().startswith("evacu"):
        return False
    moved = {w for c in head.children if c.dep_ in ("dobj", "nsubjpass", "prep")
             for t in c.subtree for w in (t.lemma_.lower(), t.lower_)}
    return bool(moved & (_CIVILIAN_WORDS | _RESCUED)) and not moved & _ARMED_TARGETS


def detector_pairs(sents: list[Span]) -> tuple[list[int], list[tuple[str, str]]]:
    """The sentences the detector may read (not too short, not junk, the first DETECT_MAX_SENTENCES)
    by index, and for each its (sentence, neighbours) pair."""
    chosen = [i for i, s in enumerate(sents) if len(s) >= 3 and not _degenerate(s)][:DETECT_MAX_SENTENCES]
    return chosen, [(sents[i].text, " ".join(sents[j].text for j in (i - 1, i + 1) if 0 <= j < len(sents)))
                    for i in chosen]
