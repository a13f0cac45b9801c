"""The seed article coded as ../shared/examples/seed-article.gold.json says, with and without a publication date."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import pytest

from conflictwire.extract import Extractor, detect
from conflictwire.ingest import read_inputs
from conflictwire.model import Report

SHARED = Path(__file__).resolve().parents[2] / "shared" / "examples"
SEED = SHARED / "seed-article.txt"
GOLD = json.loads((SHARED / "seed-article.gold.json").read_text(encoding="utf-8"))


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 12742 * math.asin(math.sqrt(h))


@pytest.fixture(scope="module")
def seed_article():
    (item,) = list(read_inputs([str(SEED)]))
    return item[0]


def _extract(extractor: Extractor, article, published: dt.date | None) -> list[Report]:
    return extractor.extract(article.text, article.title, published, article.outlet)


def _by_type(reports: list[Report], gold: dict) -> Report:
    """The report that matches a gold report's type (and, among several, the best fit)."""
    hits = [r for r in reports if r.event_type == gold["event_type"] and r.sub_event_type in gold["sub_event_type"]]
    assert hits, f"no report for {gold['what']!r}: got {[(r.event_type, r.sub_event_type) for r in reports]}"
    return hits[0]


#: What the learned detector (the default extractor) still gets wrong in the seed, known and open (issue 14).
DETECTOR_MISSES = ("the learned detector reads the seed's translated, partisan prose poorly: it gives the evacuation "
                   "sentences 'Abduction' (from 'captured', 'militants') and the surrender sentence no event at all "
                   "(P(event) 0.10), so the evacuation and the surrender give no report; the cue extractor "
                   "(CONFLICTWIRE_DETECTOR=0) passes")
_detector_misses = pytest.mark.xfail(
    detect.default_on(), reason=DETECTOR_MISSES, strict=False)


@_detector_misses
@pytest.mark.parametrize("published", [dt.date(2016, 10, 20), None], ids=["published", "unpublished"])
def test_seed_gives_the_three_gold_reports_and_nothing_from_speculation(extractor, seed_article, published):
    reports = _extract(extractor, seed_article, published)
    assert len(reports) == len(GOLD["reports"]), [r.sub_event_type for r in reports]
    text = seed_article.text
    for gold in GOLD["reports"]:
        rep = _by_type(reports, gold)
        names = {a.name for a in (rep.actor1, rep.actor2, *rep.associated_actors) if a}
        assert names & set(gold["actors"]), f"{gold['what']}: actors {names}"
        assert rep.claimant and rep.claimant.kind in gold["claimant_kind"], rep.claimant
        # the seed has no-break spaces between some words: compare with whitespace folded
        cited = " ".join(" ".join(text[e.start:e.end] for e in rep.evidence).split())
        for phrase in gold.get("must_cite_text", []):
            assert phrase in cited, f"{gold['what']}: evidence does not cite {phrase!r}"
        loc = gold.get("location")
        if loc:
            assert rep.location is not None and rep.location.country_code == loc["country_code"]
            assert _km(rep.location.lat, rep.location.lon, *loc["near"]) <= loc["within_km"], rep.location
        for q in gold.get("quantities", []):
            assert any(x.value == q["value"] and x.unit == q["unit"] and x.qualifier == q.get("qualifier")
                       for x in rep.quantities), (q, rep.quantities)
    for bad in GOLD["must_not_report"]:
        start = text.replace("\xa0", " ").find(bad["text"])
        assert start >= 0
        for rep in reports:
            for e in rep.evidence:
                if e.field == "event":
                    assert not (e.start <= start < e.end), f"a report rests on {bad['why']}: {bad['text']!r}"


def test_seed_clash_fields(extractor, seed_article):
    gold = GOLD["reports"][0]
    clash = _by_type(_extract(extractor, seed_article, dt.date(2016, 10, 20)), gold)
    assert {clash.actor1.name, clash.actor2.name} == set(gold["actors"])
    assert clash.fatalities.low == 12 and clash.fatalities.qualifier == "at least"
    assert clash.date.value == "2016-10-17" and clash.date.precision == "day"
    assert clash.location.admin1 == "Aleppo"


def test_seed_without_publication_date_keeps_the_year_unknown(extractor, seed_article):
    reports = _extract(extractor, seed_article, None)
    clash = _by_type(reports, GOLD["reports"][0])
    assert clash.date.value is None and clash.date.text == "17th October"
    assert "year" in clash.date.why and clash.why_empty["date"]
    assert not any(r.date and r.date.value and r.date.value.startswith("2022") for r in reports)


@_detector_misses
def test_seed_evacuation_has_no_borrowed_date_and_says_why(extractor, seed_article):
    evac = _by_type(_extract(extractor, seed_article, dt.date(2016, 10, 20)), GOLD["reports"][1])
    assert evac.date.value is None
    assert "date" in evac.why_empty


@_detector_misses
def test_seed_surrender_rests_on_military_sources(extractor, seed_article):
    gold = GOLD["reports"][2]
    rep = _by_type(_extract(extractor, seed_article, dt.date(2016, 10, 20)), gold)
    assert rep.claimant.kind == "unnamed" and rep.claimant.text == gold["claimant_text"]
    assert rep.modality == "reported"
