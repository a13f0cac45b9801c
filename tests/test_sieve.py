"""The sieve (extract/sieve.py): the detector's cheap first pass, and its place in extraction."""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import pytest

from conflictwire.extract import detect, sieve
from conflictwire.extract.reports import Extractor

pytestmark = pytest.mark.skipif(sieve.default_sieve() is None, reason="no sieve ships")

EVENTS = [
    ("Gunmen shot dead five villagers in Zamfara state on Monday, police said.", ""),
    ("An air strike hit a house in Khan Younis overnight, killing a family of six, medics said.", ""),
    ("Police arrested 14 opposition activists at their party office in Dhaka on Friday.", ""),
    ("Two soldiers were wounded when their patrol hit a roadside bomb near Kidal.", ""),
    ("He later died of his wounds in hospital.", "Militants opened fire on a bus near Peshawar on Sunday."),
]
#: Prose the sieve rules out (it is a loose first pass: much plain prose still goes to the detector)
NON_EVENTS = [
    ("Health officials confirmed 40 new cases of the virus in the province this week.", ""),
    ("Farmers expect a good harvest of maize this year after heavy rains.", ""),
]


@pytest.fixture(scope="module")
def model() -> sieve.Sieve:
    s = sieve.default_sieve()
    assert s is not None
    return s


def test_the_shipped_sieve_says_how_it_was_fitted(model):
    figures = model.info["figures"]
    assert model.info["recall_target"] >= 0.99
    # on documents kept out of fitting it kept what the detector found and spared most of the rest
    for name, f in figures["by_set"].items():
        if f["events"] and f["events"] >= 50:
            assert f["events_kept"] >= 0.97, name
    assert figures["events_kept"] >= 0.99
    assert figures["non_events_kept"] < 0.5 and figures["by_set"]["geovirus"]["kept"] < 0.5


def test_event_sentences_pass_and_plain_prose_does_not(model):
    assert model.keep(EVENTS) == [True] * len(EVENTS)
    assert model.keep(NON_EVENTS) == [False] * len(NON_EVENTS)


def test_a_malformed_model_file_is_refused():
    buf = io.BytesIO()
    sieve.save(buf, ["a", "b"], np.zeros(2), 0.0, 0.0, {})  # type: ignore[arg-type]
    ok = sieve.Sieve.load(buf.getvalue())
    assert ok.keep([("a b", "")]) == [True]
    with pytest.raises(ValueError, match="shape"):
        sieve.Sieve({"a": 0, "b": 1}, np.zeros(3), 0.0, 0.0)


@pytest.mark.skipif(not detect.available(), reason="no detector model ships")
def test_the_detector_reads_only_what_the_sieve_keeps(extractor, model):
    if extractor.detector is None:
        pytest.skip("the extractor runs without the detector")
    read: list[tuple[str, str]] = []

    class Spy:
        """The real detector, recording what it is asked to read."""
        threshold = extractor.detector.threshold

        def detect(self, pairs):  # type: ignore[no-untyped-def]
            read.extend(pairs)
            return extractor.detector.detect(pairs)

    ex = Extractor(extractor.nlp, extractor.resolver, typer=extractor.typer, embedder=extractor.embedder,
                   detector=Spy(), sieve=model)  # type: ignore[arg-type]
    text = ("Gunmen shot dead five villagers in Zamfara state on Monday, police said. "
            "Separately, health officials confirmed 40 new cases of the virus in the province this week. "
            "Vaccination teams will visit schools in the district from next month.")
    reports = ex.extract(text, None, dt.date(2024, 5, 8), None)
    assert [p[0] for p in read] == ["Gunmen shot dead five villagers in Zamfara state on Monday, police said."]
    assert len(reports) == 1 and reports[0].event_type == "Violence against civilians"


QUIET = ("Health officials confirmed 40 new cases of the virus in the province on Monday. Vaccination teams "
         "will visit schools in the district from next month, the ministry said.")
EVENTFUL = "Gunmen shot dead five villagers in Zamfara state on Monday, police said."


@pytest.mark.skipif(not detect.available(), reason="no detector model ships")
def test_an_article_the_first_reading_rules_out_is_never_parsed_in_full(extractor):
    if extractor.splitter is None:
        pytest.skip("the extractor runs without the first reading")

    class NoParser:
        """Stands in for the full pipeline: any use of it fails the article that reached it."""

        def __call__(self, text):  # type: ignore[no-untyped-def]
            raise RuntimeError("parsed in full")

        def pipe(self, texts, batch_size=16):  # type: ignore[no-untyped-def]
            for _ in texts:
                raise RuntimeError("parsed in full")
            yield from ()

    ex = Extractor(NoParser(), extractor.resolver, typer=extractor.typer, embedder=extractor.embedder,  # type: ignore[arg-type]
                   detector=extractor.detector, sieve=extractor.sieve, splitter=extractor.splitter)
    assert ex._flags([QUIET, EVENTFUL], 16) == [False, True]
    out = list(ex.extract_each([(QUIET, None, None, None), (EVENTFUL, None, None, None)], seconds=None))
    assert out[0] == []
    assert isinstance(out[1], Exception) and "parsed in full" in str(out[1])


@pytest.mark.skipif(not detect.available(), reason="no detector model ships")
def test_one_article_alone_or_in_a_batch_gives_the_same_reports(extractor):
    items = [(QUIET, None, dt.date(2024, 5, 8), None), (EVENTFUL, None, dt.date(2024, 5, 8), None),
             ("Troops and militants clashed near Kidal on Sunday; four soldiers were killed, the army said. "
              "Health officials confirmed new cases of the virus in the region.", None, dt.date(2024, 5, 8), None)]

    def key(reports):  # type: ignore[no-untyped-def]
        return [(r.sub_event_type, r.confidence, r.location.name if r.location else None) for r in reports]

    alone = [key(extractor.extract(*it)) for it in items]
    together = [key(rs) for rs in extractor.extract_many(items)]
    backwards = [key(rs) for rs in extractor.extract_many(items[::-1])][::-1]
    assert alone == together == backwards
    assert alone[0] == [] and alone[1] and alone[2]


def test_the_detector_remembers_verdicts_within_bounds(monkeypatch):
    d = detect.default_detector()
    if d is None:
        pytest.skip("no detector model ships")
    monkeypatch.setattr(detect, "MEMO_SIZE", 3)
    pairs = [(f"Gunmen attacked village number {k} on Monday.", "") for k in range(5)]
    first = d.detect(pairs)
    assert len(d._memo) <= 3
    again = d.detect(pairs[-2:])
    assert again == first[-2:]
