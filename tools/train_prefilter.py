"""Fit the cheap sentence prefilter that decides which sentences the learned detector reads.

    .venv/bin/python tools/train_prefilter.py --real ../shared/dev-data     # after tools/train_detector.py

The detector (a transformer) costs far more per sentence than the rest of extraction, and most
sentences of the news tell of no event. The prefilter is a logistic regression over word unigrams and
bigrams, distilled from the shipped detector: the detector labels a pool of real news sentences (the
development parts of RAMS and MUC-3/4, the re3d documents) and the team's training snippets, and the
prefilter learns to predict "the detector may call this an event". Its threshold keeps 99% of the
sentences the detector would report (measured on a slice of the pool kept out of the fit), so the
prefilter costs little recall while the detector reads a fraction of the text.

Needs scikit-learn (the ``train`` extra) and the shipped detector; writes
``src/conflictwire/data/detector/prefilter.npz``. No third-party text is written anywhere.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tools"))

from conflictwire import realsets  # noqa: E402
from conflictwire.extract.detect import default_detector  # noqa: E402
from conflictwire.extract.typer import text_features  # noqa: E402
from train_detector import team_examples, units  # noqa: E402

OUT = ROOT / "src" / "conflictwire" / "data" / "detector" / "prefilter.npz"


def pool(root: Path) -> list[tuple[str, str, str]]:
    """(key, sentence, neighbours) of real sentences from the development parts, and team targets."""
    out = []

    def add(prefix: str, text: str) -> None:
        out.extend((f"{prefix}:{i}", target, near) for i, (_, target, near) in enumerate(units(text)))

    sets = realsets.load_sets(root, ["rams"])
    for it in sets["rams"]:
        if it.split == "dev":
            add(f"rams:{it.id}", it.text)
    texts, _ = realsets.muc_templates(root / "muc4")
    for doc, (text, _) in texts.items():
        if realsets.split_of("muc", doc) == "dev":
            add(f"muc:{doc}", text)
    for f in sorted((root / "re3d").glob("*/documents.json")):
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                d = json.loads(line)
                for n, para in enumerate(d["text"].split("\n")):
                    add(f"re3d:{d['_id']}:{n}", para)
    for e in team_examples():
        out.append((e["key"], e["target"], e["context"]))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--real", type=Path, default=ROOT.parent / "shared" / "dev-data")
    ap.add_argument("--recall", type=float, default=0.99)
    ap.add_argument("--min-count", type=int, default=2)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    from sklearn.linear_model import LogisticRegression
    from scipy.sparse import csr_matrix

    det = default_detector()
    if det is None:
        raise SystemExit("no detector ships: run tools/train_detector.py first")
    rows = pool(args.real)
    t0 = time.time()
    probs = det.probabilities([(s, c) for _, s, c in rows])
    y = (1.0 - probs[:, det.none_index] >= 0.5 * float(det.info.get("threshold", 0.5))).astype(int)
    print(f"pool {len(rows)} sentences; detector says event for {y.mean():.3f}; labelled in {time.time() - t0:.0f} s")
    held = np.array([int(hashlib.sha256(k.encode()).hexdigest()[:8], 16) % 5 == 0 for k, _, _ in rows])
    feats = [text_features(s) for _, s, _ in rows]
    counts = Counter(f for i, fs in enumerate(feats) if not held[i] for f in set(fs))
    vocab = sorted(f for f, c in counts.items() if c >= args.min_count)
    index = {f: i for i, f in enumerate(vocab)}
    data, ind, ptr = [], [], [0]
    for fs in feats:
        cols = sorted({index[f] for f in fs if f in index})
        ind += cols
        data += [1.0] * len(cols)
        ptr.append(len(ind))
    X = csr_matrix((np.array(data, dtype=np.float32), np.array(ind), np.array(ptr)), shape=(len(rows), len(vocab)))
    clf = LogisticRegression(C=1.0, max_iter=2000, class_weight="balanced")
    clf.fit(X[~held], y[~held])
    score = clf.decision_function(X[held])
    pos = np.sort(score[y[held] == 1])
    threshold = float(pos[int((1 - args.recall) * len(pos))]) if len(pos) else 0.0
    passed = float((score >= threshold).mean())
    recall = float((score[y[held] == 1] >= threshold).mean()) if len(pos) else float("nan")
    by_source: dict[str, list[bool]] = {}
    for (k, _, _), s in zip([r for r, h in zip(rows, held) if h], score):
        by_source.setdefault(k.split(":")[0], []).append(bool(s >= threshold))
    figures = {"pool": len(rows), "held_slice": int(held.sum()), "recall_of_detector_events": round(recall, 4),
               "share_of_sentences_passed": round(passed, 4),
               "passed_by_source": {k: round(sum(v) / len(v), 3) for k, v in sorted(by_source.items())}}
    print(json.dumps(figures))
    meta = {"vocab": vocab, "threshold": threshold, "features": "binary word unigrams and bigrams (typer.text_features)",
            "distilled_from": det.info.get("sha256", {}).get("model.int8.onnx"), "figures": figures}
    np.savez_compressed(args.out, weights=clf.coef_[0].astype(np.float32), bias=np.float32(clf.intercept_[0]),
                        meta=np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8))
    print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
