"""The shipped int8 ONNX all-MiniLM-L6-v2 against the original torch model, and its behaviour.

The torch model is not installed here: ``tests/fixtures/minilm_reference.npz`` holds its embeddings
(sentence-transformers, fp32) and its tokenizer's ids for the reference sentences, made by
``tools/export_minilm.py`` in the export virtualenv.
"""

from __future__ import annotations

import hashlib
import sys
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from conflictwire.extract.embed import DIMENSION, SentenceEmbedder, model_info

FIXTURE = Path(__file__).parent / "fixtures" / "minilm_reference.npz"


@pytest.fixture(scope="module")
def embedder() -> SentenceEmbedder:
    return SentenceEmbedder(threads=2)


@pytest.fixture(scope="module")
def reference():
    with np.load(FIXTURE) as d:
        return [str(s) for s in d["sentences"]], d["embeddings"], d["input_ids"], int(d["max_seq_length"])


def test_reference_fixture_is_what_the_test_expects(reference):
    sentences, emb, ids, max_len = reference
    assert len(sentences) >= 20
    assert emb.shape == (len(sentences), DIMENSION) and emb.dtype == np.float32
    assert ids.shape == (len(sentences), max_len)
    assert max_len == model_info()["max_seq_length"]


def test_tokenizer_matches_the_original_bert_tokenizer(embedder, reference):
    sentences, _, ids, _ = reference
    for sentence, row in zip(sentences, ids):
        assert embedder.tokenize(sentence) == [int(i) for i in row if i != 0], sentence


def test_int8_onnx_agrees_with_torch_model(embedder, reference):
    sentences, ref, _, _ = reference
    got = embedder.embed(sentences)
    cos = (got * ref).sum(axis=1)
    worst = int(np.argmin(cos))
    assert cos.min() >= 0.98, (cos.min(), sentences[worst][:80])
    assert cos.mean() >= 0.99


def test_each_sentence_alone_agrees_too(embedder, reference):
    # Activations are quantized per batch: a text embedded alone must be as close as in a batch.
    sentences, ref, _, _ = reference
    alone = np.vstack([embedder.embed([s]) for s in sentences])
    assert ((alone * ref).sum(axis=1) >= 0.98).all()
    batched = embedder.embed(sentences, batch_size=7)
    assert ((alone * batched).sum(axis=1) >= 0.98).all()


def test_shape_dtype_unit_length_and_order(embedder):
    texts = ["Troops shelled the town.", "", "A much longer sentence about a ceasefire that "
             "was agreed in Doha by both sides on Friday night.", "Rain."]
    v = embedder.embed(texts, batch_size=2)
    assert v.shape == (4, DIMENSION) and v.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    # order is the caller's, although batches are formed by length: each row is nearest to the
    # same text embedded alone (not equal: int8 activations are quantized per batch, which moves
    # very short texts most, about 0.97 for the empty one)
    alone = np.vstack([embedder.embed([t]) for t in texts])
    sims = v @ alone.T
    assert (sims.argmax(axis=1) == np.arange(len(texts))).all()
    assert (np.diag(sims) > 0.95).all()


def test_paraphrases_of_one_event_are_closer_than_unrelated(embedder):
    a, b, c, unrelated, other_event = embedder.embed([
        "Two civilians were killed when an artillery shell hit a market in Kharkiv on Tuesday.",
        "An artillery strike on a Kharkiv market on Tuesday left two civilians dead.",
        "Shelling of a marketplace in Kharkiv killed 2 civilians, officials said.",
        "The football club announced the signing of a new striker for next season.",
        "Protesters marched peacefully through Nairobi against the finance bill.",
    ])
    for x, y in ((a, b), (a, c), (b, c)):
        para = float(x @ y)
        assert para > 0.5
        assert para > float(x @ unrelated) + 0.4
        assert para > float(x @ other_event) + 0.3


def test_empty_list(embedder):
    v = embedder.embed([])
    assert v.shape == (0, DIMENSION) and v.dtype == np.float32


def test_long_text_is_truncated_not_an_error(embedder):
    long = "Heavy fighting was reported around the city as artillery hit residential areas. " * 400
    ids = embedder.tokenize(long)
    assert len(ids) == embedder.max_seq_length and ids[-1] == 102  # [SEP] kept at the end
    v = embedder.embed([long, "short"])
    assert v.shape == (2, DIMENSION)
    assert np.isfinite(v).all()
    # the tail past the limit does not count
    longer = long + " The football season starts in August."
    assert embedder.tokenize(longer) == ids
    np.testing.assert_allclose(embedder.embed([longer]), embedder.embed([long]), atol=1e-6)


def test_shorter_max_seq_length():
    e = SentenceEmbedder(threads=1, max_seq_length=16)
    assert len(e.tokenize("word " * 100)) == 16
    assert e.embed(["word " * 100]).shape == (1, DIMENSION)


def test_bad_arguments(embedder):
    with pytest.raises(TypeError):
        embedder.embed("one string, not a list")
    with pytest.raises(TypeError):
        embedder.embed(["ok", None])
    with pytest.raises(ValueError):
        embedder.embed(["ok"], batch_size=0)


def test_shipped_files_match_their_recorded_hashes():
    info = model_info()
    assert info["model"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert info["licence"] == "Apache-2.0"
    base = resources.files("conflictwire.data").joinpath("minilm")
    for name, digest in info["sha256"].items():
        assert hashlib.sha256(base.joinpath(name).read_bytes()).hexdigest() == digest, name


def test_no_torch_at_run_time(embedder):
    embedder.embed(["anything"])
    assert "torch" not in sys.modules
    assert "transformers" not in sys.modules
