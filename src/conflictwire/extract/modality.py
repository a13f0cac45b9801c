"""Modality and claimants: what the text commits to, and who says so.

A mention is hypothetical (not a report at all) when its trigger sits under a modal or future
auxiliary, a verb of planning or threatening, a condition, or a speculative frame ("there is reason
to believe"); denied when a party denies it or the trigger is negated; hedged when marked as
unconfirmed; reported when attributed; asserted otherwise.
"""

from __future__ import annotations

import re

from spacy.tokens import Span, Token

from conflictwire.annotate.pipeline import OUTLET_LABEL, ents_in
from conflictwire.model import Claimant

HYPOTHETICAL = "hypothetical"
_MODALS = {"may", "might", "could", "would", "will", "shall", "should", "must", "'ll", "can", "wo", "ca"}
_FUTURE_GOVERNORS = {
    "threaten", "plan", "intend", "vow", "warn", "fear", "expect", "aim", "prepare", "seek", "want", "hope",
    "consider", "propose", "urge", "demand", "call", "pledge", "promise", "prevent", "avoid", "risk", "try",
    "attempt", "predict", "forecast", "speculate", "imagine", "suppose", "anticipate", "plot", "mull",
}
_SPECULATIVE = re.compile(
    r"\b(there is reason to believe|it is (?:\w+ )?(?:likely|possible|probable|unlikely|conceivable) that|in the event (?:of|that)|"
    r"could lead to|is expected to|are expected to|is set to|are set to|is likely to|are likely to|"
    r"would (?:likely|probably)|if (?:the|they|it|he|she|we)|analysts? (?:say|believe|expect)|"
    r"scenario|forecast|speculat\w+|might (?:well)?)\b",
    re.I,
)
#: Verbs whose infinitive complement happened ("forced to withdraw", "managed to repel").
_FACTIVE_GOVERNORS = {"force", "compel", "manage", "begin", "start", "continue", "oblige", "proceed", "go", "come"}
_DENY = {"deny", "reject", "dismiss", "refute", "disown", "contest", "dispute"}
_HEDGES = {"reportedly", "allegedly", "apparently", "purportedly", "supposedly", "possibly", "presumably",
           "unconfirmed", "alleged", "suspected", "believed", "thought", "seemingly", "appear", "seem"}
_SAY = {"say", "tell", "report", "claim", "state", "announce", "confirm", "add", "accuse", "allege", "insist",
        "write", "post", "tweet", "declare", "note", "cite", "publish", "quote", "describe", "blame"}
_UNNAMED_HEADS = {"source", "sources", "witness", "witnesses", "resident", "residents", "activist", "activists",
                  "person", "people", "man", "woman", "local", "locals", "eyewitness", "eyewitnesses", "monitor",
                  "observer", "insider"}
_OFFICIAL_WORDS = {"ministry", "minister", "army", "military", "spokesman", "spokeswoman", "spokesperson",
                   "government", "police", "authorities", "official", "officials", "command", "governor",
                   "president", "prime", "commander", "general", "office", "department", "agency", "council",
                   "forces", "administration", "mayor", "ministry's", "statement", "embassy", "un", "united"}


def _governors(tok: Token, limit: int = 6) -> list[Token]:
    """The token and the chain of heads above it, up to the sentence root."""
    chain = [tok]
    while chain[-1].head.i != chain[-1].i and len(chain) <= limit:
        chain.append(chain[-1].head)
    return chain


def modality(trigger: Token, sent: Span) -> str:
    """asserted, reported, hedged, denied, or hypothetical (not a report)."""
    chain = _governors(trigger)
    for i, t in enumerate(chain):
        kids = list(t.children)
        aux = {c.lower_ for c in kids if c.dep_ in ("aux", "auxpass")}
        if aux & _MODALS:
            # "may have killed": a past possibility is hedged, not hypothetical
            if "have" in aux or any(c.lower_ in ("have", "'ve") for c in kids):
                return "hedged"
            if i <= 1 or t.pos_ in ("VERB", "AUX"):
                return HYPOTHETICAL
        infinitive = any(c.dep_ == "aux" and c.lower_ == "to" for c in kids) or (
            i == 0 and t.dep_ == "conj" and any(c.dep_ == "aux" and c.lower_ == "to" for c in t.head.children))
        if i == 0 and infinitive and not (
                len(chain) > 1 and chain[1].lemma_.lower() in _FACTIVE_GOVERNORS):
            return HYPOTHETICAL  # "deployed to arrest the perpetrators": a purpose, not an event
        if i > 0 and t.lemma_.lower() in _FUTURE_GOVERNORS:
            return HYPOTHETICAL
        if any(c.dep_ == "mark" and c.lower_ in ("if", "unless") for c in kids):
            return HYPOTHETICAL
        if t.lemma_.lower() in _DENY:
            return "denied"
    if any(c.dep_ == "neg" for c in trigger.children) and trigger.pos_ in ("VERB", "AUX"):
        return "denied"
    if _SPECULATIVE.search(sent.text):
        spec = _SPECULATIVE.search(sent.text)
        if spec and spec.start() + sent.start_char <= trigger.idx:
            return HYPOTHETICAL
    if any(t.lower_ in _HEDGES or t.lemma_.lower() in _HEDGES for t in chain) or any(
        c.lower_ in _HEDGES for t in chain[:2] for c in t.children
    ):
        return "hedged"
    if any(t.lemma_.lower() in _SAY for t in chain[1:]) or "according to" in sent.text.lower():
        return "reported"
    return "asserted"


def _kind_of(span_text: str, has_person: bool, has_outlet: bool, has_actor: bool = False) -> str:
    words = {w.strip(".,'\"").lower() for w in span_text.split()}
    if has_outlet:
        return "outlet"
    if has_person or has_actor:
        return "named"
    if words & {"source", "sources", "witness", "witnesses", "anonymous", "unnamed", "insider", "activists"}:
        return "unnamed"
    if words & _OFFICIAL_WORDS:
        return "official"
    if words & _UNNAMED_HEADS:
        return "unnamed"
    return "named"


def claimant(sent: Span, trigger: Token, outlet: str | None) -> Claimant | None:
    """Who asserts the mention in this sentence, or None when the text attributes it to no one."""
    low = sent.text
    m = re.search(r"\baccording to (?:information from |reports from |a statement (?:by|from) |figures from )?"
                  r"(?P<who>[^,.;]+?)(?=[,.;]| said| who|$)", low, re.I)
    if m:
        start = sent.start_char + m.start("who")
        span = sent.doc.char_span(start, start + len(m.group("who").rstrip()), alignment_mode="expand")
        if span is not None:
            return _claimant_from_span(span, outlet)
    for t in _governors(trigger)[1:] + [sent.root]:
        if t.lemma_.lower() in _SAY or t.lemma_.lower() in _DENY:
            subj = [c for c in t.children if c.dep_ in ("nsubj", "nsubjpass")]
            if subj and subj[0].lower_ not in ("it", "he", "she", "they", "who", "which", "that"):
                st = subj[0]
                span = sent.doc[st.left_edge.i:st.right_edge.i + 1]
                return _claimant_from_span(span, outlet)
    return None


def _claimant_from_span(span: Span, outlet: str | None) -> Claimant:
    """A Claimant named by a span of text."""
    if len(span) > 12:
        # a parse that swallowed the clause: keep the noun phrase around the head
        span = next((c for c in span.doc.noun_chunks if c.start <= span.root.i < c.end), span[:12])
    has_person = any(e.label_ == "PERSON" for e in ents_in(span))
    outlet_ents = [e for e in ents_in(span) if e.label_ == OUTLET_LABEL]
    has_actor = any(e.label_ == "ACTOR" for e in ents_in(span))
    text = span.text.strip()
    kind = _kind_of(text, has_person, bool(outlet_ents), has_actor)
    name = outlet_ents[0].ent_id_ if outlet_ents else re.sub(r"^(the|a|an)\s+", "", text, flags=re.I)
    return Claimant(text=text, name=name, kind=kind)  # type: ignore[arg-type]


def outlet_claimant(outlet: str | None) -> Claimant:
    """The outlet itself as claimant, when the text attributes a report to no one else."""
    return Claimant(text=outlet or "", name=outlet or "the publishing outlet", kind="outlet")
