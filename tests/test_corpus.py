"""End to end on the team's corpus (examples/corpus): ingest into SQLite and PostgreSQL, then check the
events against gold.json: which articles each event gathers, its type, date, place and grade."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from conflictwire.cli import main
from conflictwire.events.scoring import events_by_ref
from conflictwire.extract import detect
from conflictwire.ingest import read_inputs
from conflictwire.pipeline import Pipeline
from conflictwire.store import Store

CORPUS = Path(__file__).resolve().parents[1] / "examples" / "corpus"
ARTICLES = CORPUS / "articles"
GOLD = json.loads((CORPUS / "gold.json").read_text(encoding="utf-8"))


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    p1, p2 = math.radians(a[0]), math.radians(b[0])
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(b[1] - a[1]) / 2) ** 2
    return 12742 * math.asin(math.sqrt(h))


@pytest.fixture(scope="module")
def ingested(module_db_url: str, extractor):
    """The corpus ingested once per database for the module's tests (they only read it)."""
    store = Store.open(module_db_url)
    summary = Pipeline(store, extractor).ingest(read_inputs([str(ARTICLES)]))
    yield store, summary
    store.close()


def test_corpus_ingests_every_article_once(ingested):
    store, summary = ingested
    expected = sum(1 for item in read_inputs([str(ARTICLES)]) if isinstance(item, tuple))
    assert summary.errors == []
    assert summary.articles_new == expected >= 15
    assert store.counts()["articles"] == expected


#: Gold events the cue extractor (CONFLICTWIRE_DETECTOR=0) is known to get wrong, with the reason
#: (marked xfail, not strict); the learned detector gets them right.
_CUE_FAILURES: dict[str, str] = {
    "mozambique-macomia-raid": (
        "the typer turns the lead's 'raided villages on the outskirts of Macomia town ..., killing four "
        "civilians' (cue: Attack) into an Air/drone strike, a type whose means the text never names (the place, "
        "once the province, is now Macomia)"),
}


#: Gold events the learned detector (the default extractor) gets wrong, known and open (issue 14); the
#: cue extractor (CONFLICTWIRE_DETECTOR=0) passes them.
_DETECTOR_FAILURES: dict[str, str] = {
    "somalia-afgooye-ied": "a report keeps the 4+ toll of an earlier sentence: the three outlets' tolls disagree and the event is contested",
    "sudan-singa-market-strike": "the monitor's report is typed apart from the other two and is not merged with them",
    "ukraine-kostiantynivka-glide-bomb": "the glide bomb is typed Remote explosive/landmine/IED, not Air/drone strike",
    "ukraine-kharkiv-saltivka-glide-bomb": "the Saltivka report is typed apart and merges with the industrial-zone strike instead",
    "burkina-diapaga-attack": "the wire's report of the attack is typed apart from the translated one and not merged",
}
_DETECTOR_ON = detect.default_on()


def _gold_param(e: dict) -> object:
    if not _DETECTOR_ON and e["key"] in _CUE_FAILURES:
        return pytest.param(e, marks=pytest.mark.xfail(reason=_CUE_FAILURES[e["key"]], strict=False))
    if _DETECTOR_ON and e["key"] in _DETECTOR_FAILURES:
        return pytest.param(e, marks=pytest.mark.xfail(reason=_DETECTOR_FAILURES[e["key"]], strict=False))
    return e


@pytest.mark.parametrize("gold", [_gold_param(e) for e in GOLD["events"]], ids=[e["key"] for e in GOLD["events"]])
def test_corpus_event_matches_gold(ingested, gold):
    store, _ = ingested
    events, refs = events_by_ref(store)
    wanted = set(gold["articles"])
    # the event that gathers most of the gold articles
    best = max(events, key=lambda e: len(wanted & {refs[r.article_id] for r in e.reports}))
    got = {refs[r.article_id] for r in best.reports}
    assert wanted <= got, f"{gold['key']}: event gathers {sorted(got)}, gold {sorted(wanted)}"
    others = {a for e in GOLD["events"] if e is not gold for a in e["articles"]} - wanted
    assert not (got & others), f"{gold['key']}: event also gathers other incidents' articles {sorted(got & others)}"
    assert best.event_type == gold["event_type"]
    assert best.sub_event_type in gold["sub_event_type"], best.sub_event_type
    assert best.date and best.date.value == gold["date"], best.date
    assert best.location and best.location.lat is not None, best.location
    assert _km((best.location.lat, best.location.lon), tuple(gold["near"])) <= gold["within_km"], best.location
    assert best.grade in [gold["grade"], *gold.get("grade_also", [])], (best.grade, best.grade_reason)
    assert best.independent_sources == gold["independent_sources"], best.grade_reason


#: Analysis pieces the cue extractor still takes an event from, with the reason (the detector does not).
_KNOWN_ANALYSIS_FAILURES: dict[str, str] = {
    "analysis-sudan-drone-war.txt": "spaCy parses 'now field drones' with 'field' as a noun, so the capability "
                                    "statement reads as a drone strike reported by researchers",
}


@pytest.mark.parametrize("article", [
    pytest.param(a, marks=pytest.mark.xfail(reason=_KNOWN_ANALYSIS_FAILURES[a], strict=False))
    if a in _KNOWN_ANALYSIS_FAILURES and not _DETECTOR_ON else a for a in GOLD["no_event_articles"]])
def test_corpus_has_no_event_from_analysis(ingested, article):
    store, _ = ingested
    events, refs = events_by_ref(store)
    for e in events:
        for r in e.reports:
            assert refs[r.article_id] != article, (e.sub_event_type, r.report.evidence)


def test_reingesting_the_corpus_adds_nothing(ingested, extractor):
    store, summary = ingested
    before = store.counts()
    again = Pipeline(store, extractor).ingest(read_inputs([str(ARTICLES)]))
    assert again.articles_new == 0 and again.articles_duplicate == summary.articles_new
    assert store.counts() == before


def test_cli_ingest_and_export_on_sqlite(tmp_path):
    db = str(tmp_path / "cw.db")
    runner = CliRunner()
    res = runner.invoke(main, ["ingest", str(ARTICLES), "--db", db, "--json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["articles_new"] >= 15 and summary["errors"] == []
    res = runner.invoke(main, ["events", "--db", db, "--format", "jsonl"])
    assert res.exit_code == 0, res.output
    lines = [json.loads(x) for x in res.stdout.splitlines()]
    assert len(lines) >= len(GOLD["events"])
    assert all(r["article_id"] and r["outlet"] for e in lines for r in e["reports"])
    # the JSONL records keep their external ids ("cpa-2024-0518-tibu" style) as article_id
    jsonl_ids = {json.loads(x)["id"] for x in (ARTICLES / "batch.jsonl").read_text().splitlines() if x.strip()}
    assert jsonl_ids & {r["article_id"] for e in lines for r in e["reports"]}
    res = runner.invoke(main, ["events", "--db", db, "--format", "acled-csv"])
    assert res.exit_code == 0 and res.stdout.startswith("event_id_cnty,")
