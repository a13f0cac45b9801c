"""Evaluation gate: accuracy on the held-back gold can only go down on purpose (eval/gate.json)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conflictwire import evaluation

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "eval" / "gold"
GATE = json.loads((ROOT / "eval" / "gate.json").read_text(encoding="utf-8"))


def test_gold_set_is_the_one_the_floors_were_measured_on():
    assert evaluation.gold_digest(GOLD) == GATE["gold_sha256"], (
        "eval/gold changed: re-measure with `conflictwire eval` and update eval/gate.json in the same commit")


def test_split_is_stable_and_about_a_quarter_held_back():
    snippets = evaluation.load_snippets(GOLD)
    held = [s for s in snippets if evaluation.split_of(s.id) == "held"]
    assert 0.2 < len(held) / len(snippets) < 0.3
    assert evaluation.split_of("mideast-0001") == evaluation.split_of("mideast-0001")


@pytest.fixture(scope="module")
def held_scores(extractor):
    snippets = [s for s in evaluation.load_snippets(GOLD) if evaluation.split_of(s.id) == GATE["split"]]
    scores, _ = evaluation.score_snippets(extractor, snippets)
    d = scores.to_dict()
    articles = [a for a in evaluation.load_articles(GOLD) if evaluation.split_of(a.id) == GATE["split"]]
    art = evaluation.score_articles(extractor, articles).to_dict()
    return {
        "article_report_f1": art["report_f1"],
        "sub_event_weighted_f1": d["sub_event_type"]["weighted_f1"],
        "event_type_weighted_f1": d["event_type"]["weighted_f1"],
        "actor1_accuracy": d["actor1_accuracy"],
        "fatalities_accuracy": d["fatalities_accuracy"],
        "date_accuracy": d["date_accuracy"],
        "negatives_rejected": d["negatives_rejected"],
    }


@pytest.mark.parametrize("metric", sorted(GATE["floors"]))
def test_held_back_accuracy_stays_above_its_floor(held_scores, metric):
    assert held_scores[metric] >= GATE["floors"][metric], f"{metric} {held_scores[metric]:.3f} < floor {GATE['floors'][metric]}"


def test_f1_table_counts_misses_and_false_alarms():
    table = evaluation.f1_table([("A", "A"), ("A", "B"), ("B", "B"), ("NONE", "A")])
    a, b = table["per_class"]["A"], table["per_class"]["B"]
    assert a["precision"] == 0.5 and a["recall"] == 0.5
    assert b["precision"] == 0.5 and b["recall"] == 1.0
    # NONE is scored in the others' precision but not averaged in: support A=2, B=1
    assert table["weighted_f1"] == pytest.approx((a["f1"] * 2 + b["f1"]) / 3)


def test_malformed_gold_names_the_file_and_line(tmp_path):
    (tmp_path / "snippets").mkdir()
    (tmp_path / "snippets" / "x.jsonl").write_text('{"id": "x-1", "text": "t", "label": {}}\n{broken\n')
    with pytest.raises(evaluation.GoldError, match=r"x.jsonl line 2"):
        evaluation.load_snippets(tmp_path)


# -- real text (../shared/dev-data): the gate that matters most ---------------------------------------

from conflictwire import realsets  # noqa: E402

SHARED = ROOT.parent / "shared" / "dev-data"
REAL = GATE.get("real", {})


@pytest.fixture(scope="module")
def real_scores(extractor):
    if not SHARED.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{SHARED} is missing: CI must have ../shared/dev-data")
        pytest.skip("../shared/dev-data is not here")
    sets = realsets.load_sets(SHARED, list(REAL.get("floors", {})))
    out = {}
    for name, items in sets.items():
        held = [it for it in items if it.split == "held"]
        out[name] = {"sha256": realsets.texts_digest(items),
                     **realsets.score_items(held, realsets.run(extractor, held)).to_dict()}
    return out


def _real_cases() -> list[tuple[str, str]]:
    return [(name, metric) for name, floors in sorted(REAL.get("floors", {}).items()) for metric in sorted(floors)]


@pytest.mark.parametrize("name, metric", _real_cases())
def test_real_held_back_figures_stay_within_their_floors(real_scores, name, metric):
    got = real_scores[name]
    assert got["sha256"] == REAL["sha256"][name], f"real set {name} changed: re-measure and update eval/gate.json"
    floor = REAL["floors"][name][metric]
    if metric in ("false_report_rate", "no_report", "confidence_ece"):  # lower is better: a ceiling
        assert got[metric] <= floor, f"{name} {metric} {got[metric]:.3f} > ceiling {floor}"
    else:
        assert got[metric] >= floor, f"{name} {metric} {got[metric]:.3f} < floor {floor}"
