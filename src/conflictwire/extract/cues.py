"""Event cues: words and phrases from the codebook that signal each sub-event type, matched on lemmas."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from spacy.tokens import Span, Token

from conflictwire.data import cached_csv
from conflictwire.taxonomy import BY_SUB_TYPE


@dataclass(frozen=True)
class CueHit:
    sub_event_type: str
    cue: str
    weight: float
    start: int  # token index in the doc
    end: int

    def head(self, sent: Span) -> Token:
        """The syntactic head of the cue's tokens."""
        toks = sent.doc[self.start:self.end]
        return toks.root


class CueLexicon:
    """Cue phrases by lemma sequence; each phrase may signal several sub-types with a weight."""

    def __init__(self, rows: list[tuple[str, str, float]]) -> None:
        self._by_first: dict[str, list[tuple[tuple[str, ...], str, float]]] = defaultdict(list)
        for sub, cue, weight in rows:
            if sub not in BY_SUB_TYPE:
                raise ValueError(f"event_cues.csv: unknown sub-event type {sub!r}")
            words = tuple(cue.lower().split())
            self._by_first[words[0]].append((words, sub, weight))
        for entries in self._by_first.values():
            entries.sort(key=lambda e: -len(e[0]))

    @classmethod
    def default(cls) -> CueLexicon:
        return cls([(r["sub_event_type"], r["cue"], float(r["weight"])) for r in cached_csv("event_cues.csv")])

    def match(self, sent: Span) -> list[CueHit]:
        """Cue hits in a sentence; at each position only the longest phrase counts."""
        toks = list(sent)
        forms = [_forms(t) for t in toks]
        hits: list[CueHit] = []
        i = 0
        while i < len(toks):
            matched = 0
            for key in forms[i]:
                for words, sub, weight in self._by_first.get(key, ()):
                    n = len(words)
                    if n < matched or i + n > len(toks):
                        continue
                    if all(words[k] in forms[i + k] for k in range(n)):
                        if n > matched:
                            # the shorter phrases found at this position are the last hits: drop them
                            while hits and hits[-1].start == toks[i].i:
                                hits.pop()
                            matched = n
                        hits.append(CueHit(sub, " ".join(words), weight, toks[i].i, toks[i].i + n))
            i += max(matched, 1)
        return hits


def _forms(tok: Token) -> tuple[str, ...]:
    """The forms a cue word may match: lemma, lower case, and a naive singular.

    The small model lemmatises capitalised words at a sentence start as proper nouns ("Shells"),
    so a plural -s is also stripped by hand.
    """
    low = tok.lower_
    forms = {tok.lemma_.lower(), low}
    if low.endswith("s") and len(low) > 3 and not low.endswith("ss"):
        forms.add(low[:-1])
    return tuple(forms)
