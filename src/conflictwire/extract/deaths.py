"""Deaths read from the parse: who died, counted from the noun phrase the death predicate governs.

The patterns of ``numbers`` see "12 people were killed"; news also says "two persons passed away",
"insurgents beheaded five men", "killing himself and 14 other people", "a mother and two of her
children", "one soldier and seven assailants died", "the attacker was beaten to death", "cost the
lives of four assailants". Here a death predicate (a verb, "to death", "lives") finds its victims by
syntax (the object of an active verb, the subject of a passive or of "die") and counts them: numbers,
"a"/"one" with a singular noun, a singular pronoun, "both", conjuncts added together.
"""

from __future__ import annotations

import re

from spacy.tokens import Span, Token

from conflictwire.extract.numbers import _AMOUNT, _VAGUE, parse_amount, word_to_int
from conflictwire.model import Fatalities

#: Verbs whose object (or passive subject) dies.
_KILL = {"kill", "execute", "behead", "lynch", "murder", "massacre", "slay", "assassinate", "eliminate",
         "neutralise", "neutralize", "decapitate", "slaughter"}
#: Verbs whose subject dies.
_DIE = {"die", "perish", "drown", "succumb", "suffocate"}
#: Verbs that kill only with "dead", "to death" or "down": "shot dead", "beaten to death", "gunned down".
_MANNER = {"shoot", "gun", "hack", "beat", "burn", "stab", "crush", "trample", "stone", "club", "hang", "bludgeon"}
#: "lost their lives", "cost the lives of", "claimed the lives of", "passed away".
_LIFE = {"life", "lives"}
_SINGULAR_PRONOUNS = {"he", "she", "himself", "herself", "him", "her"}
#: Heads that say a number exists without saying it.
_UNSAID = {"number", "toll", "group", "dozen", "unit", "convoy", "family", "police", "army", "crowd"}
_ZERO = {"nobody", "none", "no one", "noone"}
_AMOUNT_RE = re.compile(rf"(?:{_AMOUNT})$", re.I)


def _count(tok: Token) -> int | None:
    """How many people a noun phrase headed by ``tok`` names, conjuncts included; None if unsaid."""
    total = _count_one(tok)
    for conj in tok.conjuncts:
        if conj.i > tok.i:
            n = _count_one(conj)
            if n is not None:
                total = (total or 0) + n
    return total


def _count_one(tok: Token) -> int | None:
    low = tok.lower_
    if low in _ZERO or any(c.lower_ == "no" and c.dep_ == "det" for c in tok.children):
        return 0
    if low in _SINGULAR_PRONOUNS:
        return 1
    if low in _UNSAID:
        return None  # "an unknown number of rebels"
    if low in ("them", "they"):
        # "dragged four soldiers out of a house and executed them": the nearest counted plural before
        before = [c for c in tok.sent if c.i < tok.i and c.dep_ == "nummod" and c.head.tag_ == "NNS"]
        return _amount(before[-1]) if before else None
    if low == "both":
        return 2
    if tok.pos_ == "NUM" or tok.like_num:
        # "three of our soldiers", "Eight were killed"
        return _amount(tok)
    if low in ("dozens", "scores", "hundreds"):
        return _VAGUE.get(low) or _VAGUE[f"{low} of"]  # coded as numbers codes "dozens of"
    for c in tok.children:
        if c.dep_ == "nummod":
            n = _amount(c)
            if n is not None:
                return n
    dets = [c.lower_ for c in tok.children if c.dep_ in ("det", "poss", "nummod")]
    if tok.tag_ in ("NN", "NNP", "JJ") and tok.ent_type_ not in ("ORG", "GPE", "NORP", "LOC", "FAC"):
        # "a protester", "the attacker", "their civilian driver", "a 19-year-old"
        if any(d in ("a", "an", "one", "the", "this", "that", "his", "her", "their", "our", "its") for d in dets):
            return 1
    if tok.ent_type_ == "PERSON" and tok.dep_ != "compound":
        return 1
    return None


def _amount(num: Token) -> int | None:
    """The value of a number token with its qualifier words ("at least 12", "twenty-two")."""
    words = [t for t in num.subtree if t.dep_ not in ("prep", "pobj", "det") or t.i == num.i]
    lo, hi = min(t.i for t in words), max(t.i for t in words)
    text = num.doc[lo:hi + 1].text
    m = _AMOUNT_RE.search(text)
    if m:
        amt = parse_amount(m, group=0)
        if amt is not None:
            return amt.low if amt.low is not None else amt.best
    return word_to_int(num.text)


def _victims(verb: Token) -> Token | None:
    """The noun phrase whose members die by ``verb``."""
    deps = {c.dep_: c for c in verb.children}
    lemma = verb.lemma_.lower()
    passive = "nsubjpass" in deps or "auxpass" in deps
    if lemma in _DIE or (lemma == "pass" and any(c.lower_ == "away" for c in verb.children)):
        return deps.get("nsubj")
    if lemma == "lose" and "dobj" in deps and deps["dobj"].lower_ in _LIFE:
        return deps.get("nsubj")
    if lemma in ("cost", "claim", "take") and "dobj" in deps and deps["dobj"].lower_ in _LIFE:
        of = next((p for p in deps["dobj"].children if p.dep_ == "prep" and p.lower_ == "of"), None)
        return next((c for c in of.children if c.dep_ == "pobj"), None) if of else None
    if lemma in _MANNER:
        words = {t.lower_ for t in verb.subtree}
        if not ({"dead", "down"} & {c.lower_ for c in verb.children} or "death" in words):
            return None
    elif lemma not in _KILL:
        return None
    if passive:
        return deps.get("nsubjpass")
    return deps.get("dobj")


def find_deaths(sent: Span) -> list[tuple[Fatalities, int, int]]:
    """Deaths in a sentence by its parse, each with the character span of its victims' phrase."""
    out = []
    for tok in sent:
        verbal = tok.pos_ in ("VERB", "AUX") or any(c.dep_ in ("dobj", "nsubjpass", "auxpass") for c in tok.children)
        if not verbal or any(c.dep_ == "neg" for c in tok.children):
            continue  # ("cost" tagged a noun still governs "the lives of five")
        victims = _victims(tok)
        if victims is None:
            continue
        n = _count(victims)
        if n is None:
            continue
        lo = min(victims.left_edge.i, tok.i)
        hi = max(victims.right_edge.i, tok.i)
        span = sent.doc[lo:hi + 1]
        out.append((Fatalities(n, n, n, span.text, None), span.start_char - sent.start_char, span.end_char - sent.start_char))
    return out
