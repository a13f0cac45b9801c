"""The real labelled sets: mapping file, loaders, splits and scoring rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conflictwire import realsets
from conflictwire.taxonomy import BY_SUB_TYPE

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "dev-data"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/dev-data is not here")


def test_mapping_names_only_real_types_and_expands_shorthands():
    rules = realsets.load_rules()
    assert rules and all(r.accept <= set(BY_SUB_TYPE) for r in rules)
    bombing = realsets.rule_for(rules, "rams", "conflict.attack.bombing")
    assert bombing.detect == "event"
    assert {"Suicide bomb", "Remote explosive/landmine/IED", "Grenade"} <= bombing.accept
    assert "Peaceful protest" not in bombing.accept
    # first matching row wins: the specific row before the conflict.attack.* catch-all
    assert realsets.rule_for(rules, "rams", "conflict.attack.firearmattack").accept == {
        "Armed clash", "Attack", "Excessive force against protesters", "Mob violence"}
    assert realsets.rule_for(rules, "rams", "contact.discussion.meet").detect == "none"
    assert realsets.rule_for(rules, "muc", "THREATENED BOMBING").detect == "skip"
    assert realsets.rule_for(rules, "muc", "ATTEMPTED BOMBING").accept >= {"Disrupted weapons use"}
    assert realsets.rule_for(rules, "evloc", "patrolled").detect == "skip"


def test_mapping_rejects_unknown_types(tmp_path):
    bad = tmp_path / "types.csv"
    bad.write_text("set,label,detect,accept,note\nrams,x,event,Air strike,\n")
    with pytest.raises(realsets.RealSetError, match="Air strike"):
        realsets.load_rules(bad)


def test_split_is_stable_and_a_quarter_held():
    ids = [f"doc{i}" for i in range(2000)]
    held = [i for i in ids if realsets.split_of("rams", i) == "held"]
    assert 0.22 < len(held) / len(ids) < 0.28
    assert [realsets.split_of("rams", i) for i in ids] == [realsets.split_of("rams", i) for i in ids]


def test_detokenize_keeps_offsets_of_tokens():
    text, offs = realsets.detokenize(["He", "said", "``", "no", "''", ",", "it", "'s", "over", "."])
    assert text == 'He said "no", it\'s over.'
    assert text[offs[8]:offs[8] + 4] == "over"


def test_sentence_case_lowers_wire_capitals():
    assert realsets.sentence_case("THE ARMY REPORTED. I SAW IT") == "The army reported. I saw it"


@dataclass
class FakeEvidence:
    start: int
    end: int
    field: str | None = "event"


@dataclass
class FakeReport:
    sub_event_type: str
    event_type: str
    confidence: float
    evidence: list[FakeEvidence] = field(default_factory=list)


def _item(set_name, detect, accept, focus=None):
    return realsets.RealItem(set_name, "x", "text", ("label",), detect, frozenset(accept), "dev", None, focus)


def test_scoring_counts_recall_false_reports_and_types():
    items = [
        _item("rams", "event", {"Attack"}, (50, 55)),
        _item("rams", "event", {"Attack"}),
        _item("rams", "none", set()),
        _item("rams", "none", set()),
        _item("rams", "skip", set()),
    ]
    near = FakeReport("Attack", "Violence against civilians", 0.9, [FakeEvidence(40, 60)])
    far = FakeReport("Peaceful protest", "Protests", 0.8, [FakeEvidence(0, 10)])
    reports = [[far, near], [], [FakeReport("Diplomatic event", "Other events", 0.7)],
               [FakeReport("Armed clash", "Battles", 0.6)], [far]]
    sc = realsets.score_items(items, reports).to_dict()
    assert sc["events"] == 2 and sc["recall"] == 0.5
    # the report nearest the annotated trigger is the one typed
    assert sc["typed"] == 2 and sc["type_accepted"] == 0.5
    # a report of "Other events" on a text without a conflict event is no false conflict report
    assert sc["negatives"] == 2 and sc["false_report_rate"] == 0.5
    assert sc["skipped"] == 1


def test_rams_mentions_that_are_no_actual_incident_are_counted_apart():
    metaphor = realsets.RealItem("rams", "m", "text", ("conflict.attack.n/a",), "skip", frozenset(), "dev", realis="not-actual")
    history = realsets.RealItem("rams", "h", "text", ("conflict.attack.n/a",), "skip", frozenset(), "dev", realis="historical")
    sc = realsets.score_items([metaphor, history], [[FakeReport("Attack", "Violence against civilians", 0.9)], []]).to_dict()
    assert sc["events"] == 0 and sc["skipped"] == 2
    assert sc["not_actual"] == 2 and sc["not_actual_reported"] == 0.5


def test_muc_documents_count_any_report_of_an_accepted_type():
    item = _item("muc", "event", {"Abduction/forced disappearance"})
    reports = [[FakeReport("Armed clash", "Battles", 0.9), FakeReport("Abduction/forced disappearance", "Violence against civilians", 0.4)]]
    assert realsets.score_items([item], reports).to_dict()["type_accepted"] == 1.0


@needs_shared
def test_real_sets_load_with_their_sizes():
    sets = realsets.load_sets(SHARED)
    assert len(sets["rams"]) == 924
    assert len(sets["muc"]) == 1700
    assert len(sets["evloc"]) > 8000
    assert len(sets["geovirus"]) == 229 and all(it.detect == "none" for it in sets["geovirus"])
    for items in sets.values():
        assert {it.split for it in items} == {"dev", "held"}
        assert all(it.text.strip() for it in items)
    rams = sets["rams"]
    # every RAMS conflict mention has its realis judged; only actual incidents expect a report
    realis = realsets.load_realis()
    mentions = [it for it in rams if it.realis is not None]
    assert len(mentions) == len(realis) and {it.id for it in mentions} == set(realis)
    assert all((it.detect == "event") == (it.realis == "actual") for it in mentions)
    assert 20 < sum(it.realis == "actual" for it in mentions) < len(mentions)
    # the trigger span points at the trigger's words in the rebuilt text
    assert all(0 <= it.focus[0] < it.focus[1] <= len(it.text) for it in rams)
    muc = {it.id: it for it in sets["muc"]}
    assert muc["DEV-MUC3-0001"].labels == ("KIDNAPPING", "ATTACK")
    assert muc["DEV-MUC3-0001"].text.startswith("The arce battalion command")
    assert sum(it.detect == "event" for it in sets["muc"]) > 800


@needs_shared
def test_muc_templates_give_target_strings():
    texts, fills = realsets.muc_templates(SHARED / "muc4")
    assert len(texts) == 1700
    label, names = fills["DEV-MUC3-0001"][0]
    assert label == "KIDNAPPING" and "PEASANTS" in names


def test_team_labels_of_rams_sentences_cover_only_the_development_part():
    """The sentence labels the detector trains on: valid types, and never a held-back window (which
    would let training see what the gate judges)."""
    import csv

    from conflictwire.taxonomy import SUB_EVENT_TYPES

    path = Path(__file__).resolve().parents[1] / "train" / "real" / "rams_sentences.csv"
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    classes = {t.name for t in SUB_EVENT_TYPES} | {"NONE"}
    assert rows and {r["label"] for r in rows} <= classes
    assert {realsets.split_of("rams", r["doc_key"]) for r in rows} == {"dev"}
    keys = [(r["doc_key"], int(r["sent"])) for r in rows]
    assert len(keys) == len(set(keys))
    # every window's sentences are numbered from 0 without gaps
    by_window: dict[str, list[int]] = {}
    for doc, k in keys:
        by_window.setdefault(doc, []).append(k)
    assert all(sorted(v) == list(range(len(v))) for v in by_window.values())


def test_recall_of_attacks_killings_injuries_arrests_and_protests_is_counted_apart():
    """The floor names paragraphs that tell of an attack, killing, injury, arrest or protest: a
    surrender or a fire missed lowers recall, but not that figure."""
    def item(label):
        return realsets.RealItem("rams", label, "text", (label,), "event", frozenset({"Attack"}), "dev")

    items = [item("life.die.deathcausedbyviolentevents"), item("justice.arrestjaildetain.arrestjaildetain"),
             item("conflict.yield.surrender"), item("disaster.fireexplosion.fireexplosion")]
    some = [FakeReport("Attack", "Violence against civilians", 0.9)]
    sc = realsets.score_items(items, [some, [], [], some]).to_dict()
    assert sc["recall"] == 0.5
    assert sc["core_events"] == 2 and sc["core_recall"] == 0.5
    assert "killing, injury, arrest or protest  0.500  (n=2)" in realsets.format_scores("rams", "dev", realsets.score_items(items, [some, [], [], some]))
