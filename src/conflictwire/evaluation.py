"""Scoring the extractor against the team's gold set (eval/gold, format in eval/gold/SPEC.md).

The gold set splits, by a hash of each item's id, into a development part (tuned on) and a held-back
part (never tuned on; the evaluation gate pins floors on it). ``conflictwire eval`` prints the figures.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from conflictwire.annotate.dictionaries import ActorDictionary
from conflictwire.extract import Extractor
from conflictwire.geo.resolve import haversine_km
from conflictwire.model import Report

NONE = "NONE"
#: One item in HELD_MODULUS goes to the held-back part.
HELD_MODULUS = 4


class GoldError(ValueError):
    """The gold set is missing or malformed; the message names the file and line."""


def split_of(item_id: str) -> str:
    """'held' or 'dev', fixed by the id alone, so adding items never moves old ones."""
    return "held" if int(hashlib.sha256(item_id.encode()).hexdigest()[:8], 16) % HELD_MODULUS == 0 else "dev"


def gold_digest(folder: Path) -> str:
    """sha256 over the gold files' names and bytes, in name order: it changes when any gold changes."""
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file() and p.suffix in (".jsonl", ".txt"):
            h.update(str(p.relative_to(folder)).encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


@dataclass(frozen=True)
class Snippet:
    id: str
    text: str
    published: dt.date | None
    country: str
    style: str
    label: dict[str, Any]
    negative: str | None


def load_snippets(folder: Path) -> list[Snippet]:
    """All snippets of ``folder/snippets/*.jsonl``; a malformed line raises GoldError naming it."""
    out: list[Snippet] = []
    seen: set[str] = set()
    files = sorted((folder / "snippets").glob("*.jsonl"))
    if not files:
        raise GoldError(f"no snippet files in {folder / 'snippets'}")
    for path in files:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                d = json.loads(line)
                sid = str(d["id"])
                pub = dt.date.fromisoformat(d["published"]) if d.get("published") else None
                snip = Snippet(sid, d["text"], pub, d.get("country", ""), d.get("style", ""), d["label"], d.get("negative"))
            except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                raise GoldError(f"{path} line {n}: {exc}") from exc
            if sid in seen:
                raise GoldError(f"{path} line {n}: duplicate id {sid}")
            seen.add(sid)
            out.append(snip)
    return out


def main_report(reports: Sequence[Report]) -> Report | None:
    """The report a snippet is about: the one whose event evidence comes first."""
    if not reports:
        return None
    def first(r: Report) -> int:
        starts = [e.start for e in r.evidence if e.field in (None, "event")]
        return min(starts) if starts else 10**9
    return min(reports, key=lambda r: (first(r), -r.confidence))


@dataclass
class FieldScore:
    right: int = 0
    total: int = 0

    @property
    def accuracy(self) -> float:
        return self.right / self.total if self.total else float("nan")


@dataclass
class Scores:
    """Per-field figures over one part of the gold set."""

    n: int = 0
    pairs_sub: list[tuple[str, str]] = field(default_factory=list)
    pairs_type: list[tuple[str, str]] = field(default_factory=list)
    actor1: FieldScore = field(default_factory=FieldScore)
    fatalities: FieldScore = field(default_factory=FieldScore)
    date: FieldScore = field(default_factory=FieldScore)
    negatives: FieldScore = field(default_factory=FieldScore)
    #: (confidence, type right) of each predicted main report, for calibration
    confidence: list[tuple[float, bool]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        sub = f1_table(self.pairs_sub)
        typ = f1_table(self.pairs_type)
        return {
            "snippets": self.n,
            "sub_event_type": {"weighted_f1": sub["weighted_f1"], "macro_f1": sub["macro_f1"]},
            "event_type": {"weighted_f1": typ["weighted_f1"], "macro_f1": typ["macro_f1"]},
            "actor1_accuracy": self.actor1.accuracy, "actor1_n": self.actor1.total,
            "fatalities_accuracy": self.fatalities.accuracy, "fatalities_n": self.fatalities.total,
            "date_accuracy": self.date.accuracy, "date_n": self.date.total,
            "negatives_rejected": self.negatives.accuracy, "negatives_n": self.negatives.total,
            "confidence_ece": expected_calibration_error(self.confidence),
        }


def confidence_bins(pairs: Sequence[tuple[float, bool]], bins: int = 10) -> list[tuple[float, float, list[tuple[float, bool]]]]:
    """(low, high, pairs inside) per equal-width confidence bin; the last bin holds 1.0 too."""
    out: list[tuple[float, float, list[tuple[float, bool]]]] = [(b / bins, (b + 1) / bins, []) for b in range(bins)]
    for c, ok in pairs:
        out[min(max(int(c * bins), 0), bins - 1)][2].append((c, ok))
    return out


def expected_calibration_error(pairs: Sequence[tuple[float, bool]], bins: int = 10) -> float:
    """Mean gap between stated confidence and the share right, over equal-width confidence bins."""
    if not pairs:
        return float("nan")
    total = 0.0
    for _, _, inside in confidence_bins(pairs, bins):
        if inside:
            mean_c = sum(c for c, _ in inside) / len(inside)
            acc = sum(ok for _, ok in inside) / len(inside)
            total += len(inside) / len(pairs) * abs(mean_c - acc)
    return total


def f1_table(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Per-class precision/recall/F1 over (gold, predicted) pairs, with weighted and macro F1.

    The NONE class (no event) counts in precision and recall of the others but is not averaged in.
    """
    pairs = list(pairs)
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    support: Counter[str] = Counter()
    for g, p in pairs:
        support[g] += 1
        if g == p:
            tp[g] += 1
        else:
            fp[p] += 1
            fn[g] += 1
    per: dict[str, dict[str, float]] = {}
    for c in sorted(set(support) | set(fp)):
        prec = tp[c] / (tp[c] + fp[c]) if tp[c] + fp[c] else 0.0
        rec = tp[c] / (tp[c] + fn[c]) if tp[c] + fn[c] else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        per[c] = {"precision": prec, "recall": rec, "f1": f1, "support": support[c]}
    classes = [c for c in per if c != NONE and support[c]]
    total = sum(support[c] for c in classes)
    weighted = sum(per[c]["f1"] * support[c] for c in classes) / total if total else float("nan")
    macro = sum(per[c]["f1"] for c in classes) / len(classes) if classes else float("nan")
    return {"per_class": per, "weighted_f1": weighted, "macro_f1": macro}


def confusions(pairs: Iterable[tuple[str, str]], worst: Sequence[str], top: int = 3) -> dict[str, list[tuple[str, int]]]:
    """For each of the worst classes, what the gold items of that class were predicted as instead."""
    wrong: dict[str, Counter[str]] = defaultdict(Counter)
    for g, p in pairs:
        if g != p:
            wrong[g][p] += 1
    return {c: wrong[c].most_common(top) for c in worst}


def _canonical(name: str) -> str:
    """An actor name as the dictionary spells it, so "Houthi Movement" and "Houthis" compare equal."""
    entry = _actor_dictionary().find(name)
    # "Military Forces of the Central African Republic" and "... of Central African Republic" are one
    return re.sub(r"\bof the ", "of ", (entry.name if entry else name).casefold())


@lru_cache(maxsize=1)
def _actor_dictionary() -> ActorDictionary:
    return ActorDictionary.default()


def _same_actor(gold: str | None, pred: Report | None, which: str) -> bool:
    actor = getattr(pred, which) if pred else None
    return bool(gold) and actor is not None and _canonical(actor.name) == _canonical(gold)


def score_snippets(extractor: Extractor, snippets: Sequence[Snippet], batch_size: int = 32) -> tuple[Scores, list[dict[str, Any]]]:
    """Run the extractor over snippets and score each field; also returns each item's outcome."""
    scores = Scores()
    rows = []
    results = extractor.extract_many(((s.text, None, s.published, None) for s in snippets), batch_size=batch_size)
    for s, reports in zip(snippets, results):
        pred = main_report(reports)
        g_sub = s.label.get("sub_event_type") or NONE
        g_type = s.label.get("event_type") or NONE
        p_sub = pred.sub_event_type if pred else NONE
        p_type = pred.event_type if pred else NONE
        scores.n += 1
        scores.pairs_sub.append((g_sub, p_sub))
        scores.pairs_type.append((g_type, p_type))
        if pred is not None:
            scores.confidence.append((pred.confidence, p_sub == g_sub))
        if g_sub == NONE:
            scores.negatives.total += 1
            scores.negatives.right += p_sub == NONE
        if s.label.get("actor1"):
            scores.actor1.total += 1
            scores.actor1.right += _same_actor(s.label["actor1"], pred, "actor1")
        gf = s.label.get("fatalities")
        if gf is not None and g_sub != NONE:
            scores.fatalities.total += 1
            pf = pred.fatalities if pred else None
            got = (pf.low if pf.low is not None else pf.best) if pf else 0
            scores.fatalities.right += (got or 0) == gf
        if s.label.get("date") and g_sub != NONE:
            scores.date.total += 1
            scores.date.right += bool(pred and pred.date and pred.date.value == s.label["date"])
        rows.append({"id": s.id, "gold": g_sub, "pred": p_sub,
                     "actor1": [s.label.get("actor1"), pred.actor1.name if pred and pred.actor1 else None]})
    return scores, rows


def format_report(name: str, scores: Scores) -> str:
    """A plain-text table of one part's figures, with the worst types and their confusions."""
    d = scores.to_dict()
    sub = f1_table(scores.pairs_sub)
    lines = [
        f"== {name}: {d['snippets']} snippets",
        f"sub-event type   weighted F1 {d['sub_event_type']['weighted_f1']:.3f}   macro F1 {d['sub_event_type']['macro_f1']:.3f}",
        f"event type       weighted F1 {d['event_type']['weighted_f1']:.3f}   macro F1 {d['event_type']['macro_f1']:.3f}",
        f"actor1           {d['actor1_accuracy']:.3f}  (n={d['actor1_n']})",
        f"fatalities exact {d['fatalities_accuracy']:.3f}  (n={d['fatalities_n']})",
        f"date exact       {d['date_accuracy']:.3f}  (n={d['date_n']})",
        f"negatives kept out {d['negatives_rejected']:.3f}  (n={d['negatives_n']})",
        f"confidence calibration error (ECE) {d['confidence_ece']:.3f}",
        "per sub-event type (F1, support):",
    ]
    per = {c: v for c, v in sub["per_class"].items() if v["support"]}
    for c, v in sorted(per.items(), key=lambda kv: kv[1]["f1"]):
        lines.append(f"  {v['f1']:.2f}  {int(v['support']):>4}  {c}")
    worst = [c for c, _ in sorted(per.items(), key=lambda kv: kv[1]["f1"]) if c != NONE][:5]
    lines.append("worst types, predicted instead:")
    for c, conf in confusions(scores.pairs_sub, worst).items():
        lines.append(f"  {c}: " + ", ".join(f"{p} x{n}" for p, n in conf))
    return "\n".join(lines)


# -- articles with full gold reports ----------------------------------------------------------------


@dataclass(frozen=True)
class GoldArticle:
    file: Path
    published: dt.date | None
    outlet: str | None
    reports: list[dict[str, Any]]
    not_reports: list[str]

    @property
    def id(self) -> str:
        return self.file.stem


def load_articles(folder: Path) -> list[GoldArticle]:
    """The gold articles of ``folder/articles`` (``*.gold.jsonl`` naming ``*.txt`` files beside them)."""
    out = []
    for path in sorted((folder / "articles").glob("*.gold.jsonl")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                d = json.loads(line)
                file = path.parent / d["file"]
                if not file.is_file():
                    raise ValueError(f"no article file {file.name}")
                pub = dt.date.fromisoformat(d["published"]) if d.get("published") else None
                out.append(GoldArticle(file, pub, d.get("outlet"), list(d.get("reports", [])), list(d.get("not_reports", []))))
            except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                raise GoldError(f"{path} line {n}: {exc}") from exc
    return out


def _quote_span(text: str, quote: str) -> tuple[int, int] | None:
    """Where a gold quote stands in the text (whitespace-insensitive), if it does."""
    norm = text.replace("\xa0", " ")
    i = norm.find(quote)
    return (i, i + len(quote)) if i >= 0 else None


@dataclass
class ArticleScores:
    gold: int = 0
    predicted: int = 0
    matched: int = 0
    fields: dict[str, FieldScore] = field(default_factory=lambda: defaultdict(FieldScore))
    traps: FieldScore = field(default_factory=FieldScore)

    def to_dict(self) -> dict[str, Any]:
        p = self.matched / self.predicted if self.predicted else float("nan")
        r = self.matched / self.gold if self.gold else float("nan")
        f = 2 * p * r / (p + r) if p and r and p + r else 0.0
        return {"gold_reports": self.gold, "predicted_reports": self.predicted, "matched": self.matched,
                "report_precision": p, "report_recall": r, "report_f1": f,
                **{f"{k}_accuracy": v.accuracy for k, v in sorted(self.fields.items())},
                "traps_kept_out": self.traps.accuracy, "traps_n": self.traps.total}


def score_articles(extractor: Extractor, articles: Sequence[GoldArticle]) -> ArticleScores:
    """Match predicted reports to gold reports (by their evidence, else by type and place) and score fields."""
    from conflictwire.ingest import read_inputs

    sc = ArticleScores()
    for ga in articles:
        items = [x for x in read_inputs([str(ga.file)]) if isinstance(x, tuple)]
        if not items:
            continue
        art = items[0][0]
        preds = extractor.extract(art.text, art.title, ga.published, ga.outlet)
        sc.gold += len(ga.reports)
        sc.predicted += len(preds)
        free = list(preds)
        for g in ga.reports:
            span = _quote_span(art.text, g.get("evidence") or "")
            best, best_score = None, 0.0
            for p in free:
                s = 0.0
                if span and any(e.start < span[1] and span[0] < e.end for e in p.evidence if e.field in (None, "event")):
                    s += 2.0
                if p.event_type == g["event_type"]:
                    s += 1.0
                if (g.get("lat") is not None and p.location and p.location.lat is not None
                        and haversine_km((g["lat"], g["lon"]), (p.location.lat, p.location.lon)) <= 50):
                    s += 0.5
                if s >= 1.5 and s > best_score:
                    best, best_score = p, s
            if best is None:
                continue
            free.remove(best)
            sc.matched += 1
            f = sc.fields
            f["sub_event_type"].total += 1
            f["sub_event_type"].right += best.sub_event_type == g["sub_event_type"]
            if g.get("actor1"):
                f["actor1"].total += 1
                f["actor1"].right += _same_actor(g["actor1"], best, "actor1")
            if g.get("date"):
                f["date"].total += 1
                f["date"].right += bool(best.date and best.date.value == g["date"])
            if g.get("fatalities") is not None:
                f["fatalities"].total += 1
                pf = best.fatalities
                f["fatalities"].right += ((pf.low if pf.low is not None else pf.best) if pf else 0) == g["fatalities"]
            if g.get("lat") is not None:
                f["location_25km"].total += 1
                f["location_25km"].right += bool(best.location and best.location.lat is not None and haversine_km(
                    (g["lat"], g["lon"]), (best.location.lat, best.location.lon)) <= 25)
            if g.get("claimant_kind"):
                f["claimant_kind"].total += 1
                f["claimant_kind"].right += bool(best.claimant and best.claimant.kind == g["claimant_kind"])
            if g.get("modality"):
                f["modality"].total += 1
                f["modality"].right += best.modality == g["modality"]
        for quote in ga.not_reports:
            span = _quote_span(art.text, quote)
            if span is None:
                continue
            sc.traps.total += 1
            sc.traps.right += not any(e.start < span[1] and span[0] < e.end
                                      for p in preds for e in p.evidence if e.field in (None, "event"))
    return sc


def format_articles(name: str, sc: ArticleScores) -> str:
    """Plain-text figures of the article-level evaluation."""
    d = sc.to_dict()
    lines = [f"== {name}: articles, {d['gold_reports']} gold reports, {d['predicted_reports']} predicted",
             f"reports          precision {d['report_precision']:.3f}  recall {d['report_recall']:.3f}  F1 {d['report_f1']:.3f}"]
    for k, v in sorted(sc.fields.items()):
        lines.append(f"  matched {k:<16} {v.accuracy:.3f}  (n={v.total})")
    lines.append(f"traps kept out   {d['traps_kept_out']:.3f}  (n={d['traps_n']})")
    return "\n".join(lines)
