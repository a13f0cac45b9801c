"""The learned detector and typer (extract/detect.py) and its place in extraction."""

from __future__ import annotations

import datetime as dt
import hashlib
from importlib import resources

import numpy as np
import pytest

from conflictwire.extract import detect
from conflictwire.taxonomy import BY_SUB_TYPE

pytestmark = pytest.mark.skipif(not detect.available(), reason="no detector model ships")

VIOLENT = {"Battles", "Explosions/Remote violence", "Violence against civilians"}


@pytest.fixture(scope="module")
def detector() -> detect.EventDetector:
    d = detect.default_detector()
    assert d is not None
    return d


def test_shipped_files_are_the_ones_trained_and_described(detector):
    info = detector.info
    folder = resources.files("conflictwire.data").joinpath("detector")
    for name, digest in info["sha256"].items():
        assert hashlib.sha256(folder.joinpath(name).read_bytes()).hexdigest() == digest, name
    assert info["classes"][:-1] == list(BY_SUB_TYPE) and info["classes"][-1] == "NONE"
    train = info["training"]
    assert train["seed"] is not None and len(train["data_sha256"]) == 64
    assert 0.25 <= info["temperature"] <= 4.0


def test_probabilities_are_distributions_in_input_order(detector):
    pairs = [("Gunmen shot dead five villagers in Zamfara state on Monday, police said.", ""),
             ("The central bank left its main interest rate unchanged at 4.5 percent.", ""),
             ("Thousands of people marched through Nairobi on Tuesday against the finance bill.", "")]
    p = detector.probabilities(pairs)
    assert p.shape == (3, len(detector.classes))
    assert np.allclose(p.sum(axis=1), 1.0, atol=1e-4)
    # a sentence's probabilities are its own: read alone, or among others in any order, the same
    alone = [detector.probabilities([pair])[0] for pair in pairs]
    backwards = detector.probabilities(pairs[::-1])[::-1]
    assert np.array_equal(np.array(alone), p) and np.array_equal(backwards, p)


@pytest.mark.parametrize("text, family", [
    ("Gunmen shot dead five villagers in Zamfara state on Monday, police said.", VIOLENT),
    ("An air strike hit a house in Khan Younis overnight, killing a family of six, medics said.", {"Explosions/Remote violence"}),
    ("Thousands of people marched peacefully through Nairobi on Tuesday against the finance bill.", {"Protests"}),
    ("Police arrested 14 opposition activists at their party office in Dhaka on Friday.", {"Strategic developments"}),
])
def test_clear_events_are_found_and_typed_in_their_family(detector, text, family):
    d = detector.detect([(text, "")])[0]
    assert d.event_probability > 0.5, d
    assert BY_SUB_TYPE[d.sub_event_type].event_type in family, d


@pytest.mark.parametrize("text", [
    "The striker scored twice as the home side crushed their rivals 4-0 on Saturday.",
    "The central bank left its main interest rate unchanged at 4.5 percent on Thursday.",
    "Analysts say the rebels could launch a new offensive on the city before the rainy season.",
])
def test_clear_non_events_are_not_events(detector, text):
    assert detector.detect([(text, "")])[0].event_probability < 0.5


def test_extraction_reports_the_event_and_not_the_sport(extractor):
    if extractor.detector is None:
        pytest.skip("the extractor runs without the detector")
    text = ("Gunmen shot dead five villagers in Zamfara state on Monday, police said. "
            "In football, the home side crushed their rivals 4-0 on Saturday.")
    reports = extractor.extract(text, None, dt.date(2024, 5, 8), None)
    assert len(reports) == 1
    r = reports[0]
    assert r.event_type in VIOLENT
    assert r.evidence[0].start == 0
    assert 0.0 < r.confidence <= 1.0
