"""A cheap first pass before the detector: which sentences cannot tell of an event.

The encoder costs some milliseconds a sentence; most sentences of a day's news tell of no conflict
event at all. The sieve is a linear model over the word n-grams of the sentence and the words of its
neighbours, fitted (``tools/train_sieve.py``) to say whether the detector would find an event in it:
on the team's and the real sets' training text, and on the detector's own verdicts over every
sentence of the real development texts. Its threshold is set, on a slice kept out of fitting, so that
it keeps at least 99.5% of the sentences the detector takes for events; the rest are not read.

The weights ship in ``data/sieve.npz`` (plain numpy at run time, nothing downloaded). Without the
file every sentence goes to the detector; with ``CONFLICTWIRE_SIEVE=0`` too, and every article is
parsed in full (no cheap first reading: see ``reports.Extractor._flags``), to compare.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from functools import lru_cache
from importlib import resources

import numpy as np

from conflictwire.extract.typer import read_model, text_features, write_model

MODEL_FILE = "sieve.npz"


def features(sentence: str, context: str) -> list[str]:
    """The sentence's word unigrams and bigrams, and its neighbours' unigrams (marked ``c:``)."""
    near = [f for f in text_features(context) if " " not in f]
    return text_features(sentence) + ["c:" + f for f in near]


class Sieve:
    """A sentence's score (log-odds that the detector finds an event) and the threshold to read it."""

    def __init__(self, vocab: Mapping[str, int], weights: np.ndarray, bias: float, threshold: float,
                 info: Mapping[str, object] | None = None) -> None:
        if weights.shape != (len(vocab),):
            raise ValueError(f"sieve weights have shape {weights.shape}, expected ({len(vocab)},)")
        self.vocab = dict(vocab)
        self.weights = weights.astype(np.float32)
        self.bias = float(bias)
        self.threshold = float(threshold)
        self.info = dict(info or {})

    @classmethod
    def load(cls, data: bytes | None = None) -> Sieve:
        """The packaged sieve (or one given as the bytes of its .npz file)."""
        arrays, meta = read_model(data, MODEL_FILE)
        return cls({w: i for i, w in enumerate(meta["vocab"])}, arrays["weights"], float(meta["bias"]),
                   float(meta["threshold"]), meta.get("info"))

    def score(self, sentence: str, context: str) -> float:
        idx = {self.vocab[f] for f in features(sentence, context) if f in self.vocab}
        return self.bias + float(self.weights[list(idx)].sum()) if idx else self.bias

    def keep(self, pairs: Sequence[tuple[str, str]]) -> list[bool]:
        """For each (sentence, neighbours) pair: whether the detector should read it."""
        return [self.score(s, c) >= self.threshold for s, c in pairs]


def save(path: str, vocab: Sequence[str], weights: np.ndarray, bias: float, threshold: float,
         info: Mapping[str, object]) -> None:
    """Write a sieve file in the typer's format (float16 weights, JSON metadata)."""
    write_model(path, {"vocab": list(vocab), "bias": float(bias), "threshold": float(threshold), "info": dict(info)},
                weights=weights.astype(np.float16))


def enabled() -> bool:
    """Whether the detector's first passes run: the sieve and the cheap first reading of articles."""
    return os.environ.get("CONFLICTWIRE_SIEVE", "1") != "0"


@lru_cache(maxsize=1)
def default_sieve() -> Sieve | None:
    """The packaged sieve, or None when none ships or ``CONFLICTWIRE_SIEVE=0``."""
    if not enabled() or not resources.files("conflictwire.data").joinpath(MODEL_FILE).is_file():
        return None
    return Sieve.load()
