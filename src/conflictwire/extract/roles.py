"""Who did it and to whom: a trained ranker over the actor candidates of a report.

The syntax rules of ``actors.assign_roles`` find agents and targets; real news often hides them
(passive voice without "by", the perpetrator in another sentence, a weapon standing for its owner,
"protesters clashed with police"). The ranker scores every candidate of a report (each actor the
report's sentences name, ACLED's generic actors of the report's country, and "nobody") with a
conditional logit over features of the candidate (its kind, its syntactic role, where it stands, what
the rules chose) crossed with the report's type, and picks actor1, then actor2 among the rest.

The weights ship in ``data/roles.npz``, trained by ``tools/train_roles.py`` on the development part
of the gold set only. Inference is a sum of weights: no training library at run time.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import numpy as np
from spacy.tokens import Token

from conflictwire.annotate.pipeline import ACTOR_LABEL
from conflictwire.extract.actors import ActorMention, is_victim
from conflictwire.model import Actor
from conflictwire.taxonomy import event_type_of

MODEL_FILE = "roles.npz"
#: Verbs whose subject speaks about an event rather than takes part in it.
_SPEECH = {"say", "tell", "report", "claim", "deny", "accuse", "blame", "announce", "state", "confirm", "add"}
NULL = "<none>"
#: The Candidate flags that are features of their own, in feature order.
_FLAGS = ("agent", "target", "blamed", "dominant", "rule1", "rule2", "synthetic")


def kind_group(a: Actor) -> str:
    """A coarse kind: state actors by their arm (military, police, government), others as they are."""
    if a.kind == "state":
        for prefix, group in (("Military Forces", "military"), ("Police Forces", "police"), ("Government of", "government")):
            if a.name.startswith(prefix):
                return group
        return "state_other"
    return a.kind


@dataclass
class Candidate:
    """One actor a report could name, with what the sentences say of it."""
    actor: Actor | None  # None: the "nobody" candidate
    mentions: list[ActorMention] = field(default_factory=list)
    agent: bool = False
    target: bool = False
    blamed: bool = False
    dominant: bool = False
    rule1: bool = False  # the syntax rules' choice for actor1
    rule2: bool = False
    synthetic: bool = False  # a generic actor of the report's country that no words name

    @property
    def name(self) -> str:
        return self.actor.name if self.actor else NULL


def _bucket(n: int, edges: Sequence[int]) -> str:
    for e in edges:
        if n <= e:
            return str(e)
    return f">{edges[-1]}"


def features(c: Candidate, sub: str, trigger: Token, main_sent_start: int, main_sent_end: int,
             country: str | None, rank: int, n_cands: int) -> list[str]:
    """Feature names of one candidate in one report."""
    etype = event_type_of(sub) if sub else "NONE"
    if c.actor is None:
        return ["null", f"null|E={etype}", f"null|S={sub}", f"null|n={_bucket(n_cands, (1, 2, 3, 5))}"]
    k = kind_group(c.actor)
    f = [f"k={k}", f"E={etype}|k={k}", f"S={sub}|k={k}"]
    roles = [flag for flag in _FLAGS if getattr(c, flag)]
    own = [m for m in c.mentions if main_sent_start <= m.start < main_sent_end]
    if c.mentions and not own:
        roles.append("support_only")
    if any(is_victim(m) for m in c.mentions):
        roles.append("victim")
    m = own[0] if own else (c.mentions[0] if c.mentions else None)
    if m is not None:
        tok = m.token
        src = {ACTOR_LABEL: "named", "GPE": "country", "NORP": "demonym"}.get(tok.ent_type_, "generic")
        dep = tok.dep_
        if dep == "pobj":
            dep = f"pobj:{tok.head.lower_}"
        f += [f"src={src}", f"dep={dep}", f"k={k}|dep={dep}", f"E={etype}|dep={dep}", f"k={k}|src={src}"]
        # the word that says which arm acts: "troops" in "Syrian troops", "ministry" in "Russia's ministry"
        word = tok.head.lemma_.lower() if src in ("country", "demonym") and tok.dep_ in ("poss", "amod", "compound", "nmod") \
            else tok.lemma_.lower()
        f += [f"k={k}|w={word}", f"S={sub}|w={word}"]
        if tok.dep_ in ("nsubj", "nsubjpass") and tok.head.lemma_.lower() in _SPEECH:
            f.append("speaker")
        if own:
            before = m.start < trigger.idx
            dist = abs(tok.i - trigger.i)
            f += [f"before={before}", f"dist={_bucket(dist, (1, 3, 6, 10))}", f"E={etype}|before={before}"]
            if tok.head.i == trigger.i:
                f.append("head=trigger")
            if tok.head.head.i == trigger.i:
                f.append("grandhead=trigger")
        f.append(f"nment={_bucket(len(c.mentions), (1, 2))}")
    f.append(f"rank={_bucket(rank, (0, 1, 2))}")
    side = c.actor.side or ""
    if country and side.endswith(f"-{country}"):
        f.append("home")
    elif side.startswith("government-"):
        f.append("foreign_state")
    for r in roles:
        f += [r, f"E={etype}|{r}", f"k={k}|{r}"]
    return f


class RoleRanker:
    """Scores candidates with trained weights: one weight vector for actor1, one for actor2."""

    def __init__(self, vocab: dict[str, int], w1: np.ndarray, w2: np.ndarray) -> None:
        self.vocab = vocab
        self.w1 = w1
        self.w2 = w2

    @classmethod
    def load(cls, path: str | None = None) -> RoleRanker:
        src = path or resources.files("conflictwire.data").joinpath(MODEL_FILE)
        with np.load(str(src), allow_pickle=False) as z:
            names = json.loads(str(z["vocab"]))
            return cls({n: i for i, n in enumerate(names)}, z["w1"], z["w2"])

    def _score(self, w: np.ndarray, feats: list[str]) -> float:
        return float(sum(w[self.vocab[f]] for f in feats if f in self.vocab))

    def choose(self, cands: list[Candidate], feats: list[list[str]]) -> tuple[int, int]:
        """Indexes of actor1's and actor2's candidates (either may be the "nobody" candidate)."""
        i1 = int(np.argmax([self._score(self.w1, f) for f in feats]))
        if cands[i1].actor is None:
            return i1, i1  # nobody acts: nobody is acted upon either
        a1 = cands[i1].actor
        # actor2 is someone else: not actor1, nor another arm of actor1's state
        rest = [i for i, c in enumerate(cands) if i != i1 and not (
            c.actor is not None and a1.kind == "state" and c.actor.kind == "state" and a1.side and c.actor.side == a1.side)]
        i2 = max(rest, key=lambda i: self._score(self.w2, feats[i]))
        return i1, i2


@lru_cache(maxsize=1)
def default_ranker() -> RoleRanker | None:
    """The shipped ranker, or None when the package carries none (the rules then decide alone)."""
    try:
        return RoleRanker.load()
    except FileNotFoundError:
        return None
