"""A trained event typer: a linear model over word n-grams and the codebook cue scores.

The weights ship in ``data/typer.npz`` (built by ``tools/train_typer.py`` from the development part
of the team's gold set; the held-back part is never seen). Inference is plain numpy: no training
library is needed at run time, and nothing is downloaded.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from importlib import resources

import numpy as np

from conflictwire.taxonomy import SUB_EVENT_TYPES

NONE = "NONE"
MODEL_FILE = "typer.npz"
#: The fast model: n-grams and cues only, no sentence embeddings.
FAST_MODEL_FILE = "typer-fast.npz"
#: The cue-score features, one per sub-event type, in taxonomy order.
CUE_FEATURES: tuple[str, ...] = tuple(t.name for t in SUB_EVENT_TYPES)
_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)?|\d+")


def text_features(text: str) -> list[str]:
    """Word unigrams and bigrams of lower-cased text, digits folded to <num>."""
    toks = ["<num>" if t.isdigit() else t for t in _TOKEN.findall(text.lower())]
    return toks + [f"{a} {b}" for a, b in zip(toks, toks[1:])]


@dataclass(frozen=True)
class TypeGuess:
    sub_event_type: str
    probability: float
    none_probability: float


class EventTyper:
    """Sub-event type probabilities for a sentence, from its words and its cue scores."""

    def __init__(self, vocab: Mapping[str, int], classes: list[str], weights: np.ndarray, bias: np.ndarray,
                 temperature: float = 1.0, embed_dim: int = 0, embed_scale: float = 1.0) -> None:
        n = len(vocab) + len(CUE_FEATURES) + embed_dim
        if weights.shape != (n, len(classes)):
            raise ValueError(f"typer weights have shape {weights.shape}, expected ({n}, {len(classes)})")
        #: Size of the sentence embedding the model reads after the n-grams and cues (0: none).
        self.embed_dim = embed_dim
        self.embed_scale = embed_scale
        self.vocab = dict(vocab)
        self.classes = list(classes)
        self.weights = weights.astype(np.float32)
        self.bias = bias.astype(np.float32)
        self._none = self.classes.index(NONE) if NONE in self.classes else None
        #: Divides the scores so probabilities match out-of-fold accuracy (fitted at training).
        self.temperature = temperature

    @classmethod
    def load(cls, data: bytes | None = None, name: str = MODEL_FILE) -> EventTyper:
        """A packaged model by file name (or one given as the bytes of an .npz file)."""
        arrays, meta = read_model(data, name)
        return cls({w: i for i, w in enumerate(meta["vocab"])}, meta["classes"], arrays["weights"], arrays["bias"],
                   float(meta.get("temperature", 1.0)), int(meta.get("embed_dim", 0)),
                   float(meta.get("embed_scale", 1.0)))

    def vectorize(self, text: str, cue_scores: Mapping[str, float], embedding: np.ndarray | None = None) -> np.ndarray:
        """The feature vector: binary n-gram presence, the cue scores (log-scaled), then the sentence
        embedding when the model reads one (zeros stand in when none is given)."""
        x = np.zeros(len(self.vocab) + len(CUE_FEATURES) + self.embed_dim, dtype=np.float32)
        for f in text_features(text):
            i = self.vocab.get(f)
            if i is not None:
                x[i] = 1.0
        base = len(self.vocab)
        for j, name in enumerate(CUE_FEATURES):
            x[base + j] = np.log1p(max(cue_scores.get(name, 0.0), 0.0))
        if self.embed_dim and embedding is not None:
            x[base + len(CUE_FEATURES):] = embedding * self.embed_scale
        return x

    def probabilities(self, text: str, cue_scores: Mapping[str, float], embedding: np.ndarray | None = None) -> np.ndarray:
        """Class probabilities (softmax over the linear scores), in ``self.classes`` order."""
        z = (self.vectorize(text, cue_scores, embedding) @ self.weights + self.bias) / self.temperature
        z = z - z.max()
        e = np.exp(z)
        return e / e.sum()

    def guess(self, text: str, cue_scores: Mapping[str, float], embedding: np.ndarray | None = None) -> TypeGuess:
        """The most probable event type (NONE excluded) with its probability and NONE's."""
        return self.guess_from(self.probabilities(text, cue_scores, embedding))

    def guess_from(self, p: np.ndarray) -> TypeGuess:
        """The most probable event type (NONE excluded) of computed probabilities."""
        none_p = float(p[self._none]) if self._none is not None else 0.0
        order = np.argsort(-p)
        best = next(int(i) for i in order if int(i) != self._none)
        return TypeGuess(self.classes[best], float(p[best]), none_p)


def save(path: str, vocab: Iterable[str], classes: list[str], weights: np.ndarray, bias: np.ndarray,
         info: Mapping[str, object]) -> None:
    """Write a model file: float16 weights (small, ample precision for a linear model) and metadata."""
    write_model(path, {"vocab": list(vocab), "classes": classes, **info},
                weights=weights.astype(np.float16), bias=bias.astype(np.float32))


def write_model(path: Any, meta: Mapping[str, object], **arrays: np.ndarray) -> None:
    """The packaged linear models' file format: compressed .npz arrays and a JSON ``meta`` entry."""
    np.savez_compressed(path, **arrays, meta=np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8))


def read_model(data: bytes | None, name: str) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The arrays and metadata of a model file: the bytes given, else the packaged file ``name``."""
    raw = data if data is not None else resources.files("conflictwire.data").joinpath(name).read_bytes()
    with np.load(io.BytesIO(raw), allow_pickle=False) as z:
        return {k: z[k] for k in z.files if k != "meta"}, json.loads(bytes(z["meta"]).decode("utf-8"))


@lru_cache(maxsize=2)
def default_typer(fast: bool = False) -> EventTyper | None:
    """The packaged typer (the fast one on request), or None when the package carries no model file."""
    name = FAST_MODEL_FILE if fast else MODEL_FILE
    if not resources.files("conflictwire.data").joinpath(name).is_file():
        return None
    return EventTyper.load(name=name)
