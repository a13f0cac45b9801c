"""Train the actor ranker (src/conflictwire/data/roles.npz) on the development part of the gold set.

    python tools/train_roles.py [--gold eval/gold] [--out src/conflictwire/data/roles.npz] [--c 1.0]

Runs the extractor (rules only for roles) over the development snippets and articles, collects each
report's actor candidates with their features, labels them with the gold actor1 and actor2, and fits
two conditional logit models (softmax over a report's candidates, L2-regularised) with L-BFGS. Prints
5-fold cross-validated accuracy, and how often the gold actor is among the candidates at all. The
held-back part is never read.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

from conflictwire.evaluation import _canonical, load_articles, load_snippets, main_report, split_of
from conflictwire.extract.reports import Extractor

ROOT = Path(__file__).resolve().parents[1]


class Recording(Extractor):
    """The default extractor with the rules deciding roles, recording every report's candidates."""

    def __init__(self, base: Extractor) -> None:
        self.__dict__.update(base.__dict__)
        self.roles = None
        self.calls: list[dict] = []

    def _actors(self, d, sub, ctx):  # type: ignore[no-untyped-def]
        a1, a2, pool = self._rule_actors(d, sub, ctx)
        cands, feats = self.role_candidates(d, sub, ctx, a1, a2, pool)
        self.calls.append({"start": min(m.sent.start_char for m in d.mentions), "sub": sub,
                           "names": [c.name for c in cands], "feats": feats})
        return super()._actors(d, sub, ctx)


def instances(ex: Recording, gold: Path) -> list[dict]:
    """One instance per gold item whose main report was found: candidates, features, gold actors."""
    out = []
    items = [(s.id, s.text, s.published, [s.label]) for s in load_snippets(gold) if split_of(s.id) == "dev"]
    for a in load_articles(gold):
        if split_of(a.id) == "dev":
            for r in a.reports:
                # an article's report is an instance when its quoted sentence starts a report
                items.append((a.id, a.file.read_text(encoding="utf-8"), a.published, [dict(r, quote=r.get("evidence"))]))
    for item_id, text, published, labels in items:
        ex.calls = []
        reports = ex.extract(text, published=published)
        label = labels[0]
        if "quote" in label:
            q = label.get("quote") or ""
            at = text.find(q) if q else -1
            before = [c for c in ex.calls if 0 <= c["start"] <= at]
            call = max(before, key=lambda c: c["start"]) if before else None
        else:
            main = main_report(reports)
            if main is None:
                continue
            first = min((e.start for e in main.evidence if e.field in (None, "event")), default=-1)
            call = next((c for c in ex.calls if c["start"] == first and c["sub"] == main.sub_event_type), None)
        if call is None:
            continue
        out.append({"id": item_id, "names": call["names"], "feats": call["feats"],
                    "actor1": label.get("actor1"), "actor2": label.get("actor2")})
    return out


def _target(names: list[str], gold: str | None) -> int | None:
    if not gold:
        return names.index("<none>")
    g = _canonical(gold)
    return next((i for i, n in enumerate(names) if n != "<none>" and _canonical(n) == g), None)


def _design(insts: list[dict], vocab: dict[str, int], which: str) -> list[tuple[list[list[int]], int]]:
    rows = []
    for it in insts:
        names, feats = it["names"], it["feats"]
        t1 = _target(names, it["actor1"])
        if which == "actor1":
            if t1 is None:
                continue
            rows.append(([[vocab[f] for f in fs if f in vocab] for fs in feats], t1))
        else:
            if t1 is None or names[t1] == "<none>":
                continue
            keep = [i for i in range(len(names)) if i != t1]
            t2 = _target([names[i] for i in keep], it["actor2"])
            if t2 is None:
                continue
            rows.append(([[vocab[f] for f in feats[i] if f in vocab] for i in keep], t2))
    return rows


def fit(rows: list[tuple[list[list[int]], int]], dim: int, c: float) -> np.ndarray:
    """A conditional logit: softmax over each instance's candidates, L2 penalty 1/c."""
    mats = []
    for cands, t in rows:
        m = np.zeros((len(cands), dim))
        for i, fs in enumerate(cands):
            for f in fs:
                m[i, f] += 1.0
        mats.append((m, t))

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        total, grad = 0.5 / c * float(w @ w), w / c
        for m, t in mats:
            s = m @ w
            s -= s.max()
            p = np.exp(s)
            p /= p.sum()
            total -= float(np.log(p[t] + 1e-12))
            grad = grad + m.T @ p - m[t]
        return total, grad

    return minimize(loss, np.zeros(dim), jac=True, method="L-BFGS-B", options={"maxiter": 300}).x


def accuracy(rows: list[tuple[list[list[int]], int]], w: np.ndarray) -> float:
    right = sum(int(np.argmax([sum(w[f] for f in fs) for fs in cands])) == t for cands, t in rows)
    return right / max(len(rows), 1)


def rule_accuracy(insts: list[dict], which: str) -> float:
    tag = "rule1" if which == "actor1" else "rule2"
    right = 0
    for it in insts:
        pick = next((n for n, fs in zip(it["names"], it["feats"]) if tag in fs), "<none>")
        gold = it[which]
        right += (pick == "<none>" and not gold) or (bool(gold) and pick != "<none>" and _canonical(pick) == _canonical(gold))
    return right / max(len(insts), 1)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gold", type=Path, default=ROOT / "eval" / "gold")
    ap.add_argument("--out", type=Path, default=ROOT / "src" / "conflictwire" / "data" / "roles.npz")
    ap.add_argument("--c", type=float, default=1.0, help="inverse L2 strength")
    ap.add_argument("--min-count", type=int, default=2)
    args = ap.parse_args(argv)

    ex = Recording(Extractor.default())
    insts = instances(ex, args.gold)
    reach1 = sum(_target(it["names"], it["actor1"]) is not None for it in insts)
    print(f"{len(insts)} instances; gold actor1 among the candidates in {reach1 / len(insts):.3f}", file=sys.stderr)
    print(f"rules alone: actor1 {rule_accuracy(insts, 'actor1'):.3f}, actor2 {rule_accuracy(insts, 'actor2'):.3f} "
          "(over all instances)", file=sys.stderr)

    def vocab_of(part: list[dict]) -> dict[str, int]:
        counts = Counter(f for it in part for fs in it["feats"] for f in set(fs))
        names = sorted(f for f, n in counts.items() if n >= args.min_count)
        return {f: i for i, f in enumerate(names)}

    random.seed(13)
    order = list(range(len(insts)))
    random.shuffle(order)
    folds = [order[k::5] for k in range(5)]
    for which in ("actor1", "actor2"):
        right = total = 0.0
        for k in range(5):
            held = set(folds[k])
            train = [insts[i] for i in order if i not in held]
            test = [insts[i] for i in folds[k]]
            vocab = vocab_of(train)
            w = fit(_design(train, vocab, which), len(vocab), args.c)
            rows = _design(test, vocab, which)
            right += accuracy(rows, w) * len(rows)
            total += len(rows)
        print(f"5-fold {which}: {right / total:.3f} of the instances whose gold actor is a candidate (n={int(total)})",
              file=sys.stderr)

    vocab = vocab_of(insts)
    w1 = fit(_design(insts, vocab, "actor1"), len(vocab), args.c)
    w2 = fit(_design(insts, vocab, "actor2"), len(vocab), args.c)
    names = sorted(vocab, key=vocab.__getitem__)
    np.savez_compressed(args.out, vocab=np.array(json.dumps(names)), w1=w1.astype(np.float32), w2=w2.astype(np.float32))
    print(f"wrote {args.out} ({len(names)} features)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
