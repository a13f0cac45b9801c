"""Grades and reconciled tolls on hand-made reports: sides, claimants, running tolls, inferred actors."""

from __future__ import annotations

import datetime as dt

from conflictwire.annotate.dictionaries import OutletRegistry
from conflictwire.events import reconcile
from conflictwire.events.grade import canonical_side, grade, independent_sources
from conflictwire.model import Actor, Claimant, DateInfo, Fatalities, Location, Report, StoredReport

_RUSSIA = Actor("Russian drones", "Military Forces of Russia", "state", "government-RU")
_PLACE = Location(text="Kharkiv", name="Kharkiv", lat=49.99, lon=36.23, country_code="UA", precision=1)


def _stored(i: int, outlet: str, claimant: Claimant) -> StoredReport:
    rep = Report(event_type="Explosions/Remote violence", sub_event_type="Air/drone strike", confidence=0.9,
                 actor1=_RUSSIA, actor2=None, location=_PLACE, date=DateInfo("Monday", "2025-03-10", "day", None),
                 fatalities=None, quantities=[], claimant=claimant, modality="reported", evidence=[], why_empty={})
    return StoredReport(id=i, article_id=i, report=rep, article_external_id=None, outlet=outlet, url=None, published=None)


def test_an_official_claimant_takes_the_side_of_its_own_country_not_of_the_attacker():
    reports = [
        _stored(1, "Kharkiv Evening Courier", Claimant("the regional governor", "the regional governor", "official")),
        _stored(2, "Some Wire", Claimant("Ukrainian officials", "Ukrainian officials", "official")),
    ]
    sources = independent_sources(reports, OutletRegistry.default())
    assert len(sources.groups) == 2
    assert set(sources.sides) == {"ukraine"}
    assert grade(reports, sources)[0] == "corroborated"


def test_opposing_official_claimants_agreeing_are_cross_partisan():
    reports = [
        _stored(1, "Some Wire", Claimant("Ukrainian officials", "Ukrainian officials", "official")),
        _stored(2, "Other Wire", Claimant("Russia's defence ministry", "Russia's defence ministry", "official")),
    ]
    sources = independent_sources(reports, OutletRegistry.default())
    assert set(sources.sides) == {"ukraine", "russia"}
    assert grade(reports, sources)[0] == "cross-partisan"


def test_state_sides_and_registry_sides_are_one_name():
    assert canonical_side("government-UA") == canonical_side("ukraine") == "ukraine"
    assert canonical_side("opposition-SY") == "opposition-SY"
    assert canonical_side(None) is None


def test_outlets_relaying_one_armed_forces_statement_are_one_claimant():
    place = Location(text="Miran Shah", name="Miran Shah", lat=33.0, lon=70.07, country_code="PK", precision=1)
    names = ["Inter-Services Public Relations (ISPR)", "the military's media wing", "Pakistan's military"]
    reports = []
    for i, (name, outlet) in enumerate(zip(names, ["Paper A", "Paper B", "Paper C"]), start=1):
        r = _stored(i, outlet, Claimant(name, name, "official" if i > 1 else "named"))
        reports.append(StoredReport(**{**r.__dict__, "report": Report(**{**r.report.__dict__, "location": place})}))
    sources = independent_sources(reports, OutletRegistry.default())
    assert len(sources.groups) == 1
    assert grade(reports, sources)[0] == "single-source"


def test_different_officials_of_one_government_stay_apart():
    reports = [_stored(1, "Paper A", Claimant("the city's mayor", "the city's mayor", "official")),
               _stored(2, "Paper B", Claimant("the regional governor", "the regional governor", "official"))]
    assert len(independent_sources(reports, OutletRegistry.default()).groups) == 2


def test_an_edited_copy_of_a_wire_story_is_the_same_source():
    from conflictwire.ingest.copies import fingerprint

    story = ("Gunmen attacked the village of Nambo late on Tuesday, burning at least thirty houses and killing four "
             "residents, a local administrator said on Wednesday. Survivors fled towards the district town, where "
             "aid workers said about two hundred families had arrived by nightfall. The attackers withdrew into the "
             "forest before soldiers reached the area, the administrator said, adding that a search was under way.")
    edited = ("Insurgents kill four in raid on Nambo village\n\n" + story.replace("late on Tuesday", "on Tuesday night")
              .replace("about two hundred families", "some 200 families"))
    other = ("Residents of Nambo described flames spreading from roof to roof as armed men moved through the "
             "village; a teacher said he counted four bodies in the morning and that many homes were gone.")
    reports = [_stored(i, f"Paper {i}", Claimant(f"Paper {i}", f"Paper {i}", "outlet")) for i in (1, 2, 3)]
    for r, text in zip(reports, (story, edited, other)):
        r.fingerprint = fingerprint(text)
    sources = independent_sources(reports, OutletRegistry.default())
    assert sorted(len(g) for g in sources.groups) == [1, 2]


def _toll(i: int, outlet: str, who: str, dead: int, published: str, qualifier: str | None = None) -> StoredReport:
    r = _stored(i, outlet, Claimant(who, who, "official"))
    r.report.fatalities = Fatalities(dead, dead, None if qualifier else dead, f"{dead} killed", qualifier)
    r.published = dt.date.fromisoformat(published)
    return r


def test_a_rising_toll_over_three_days_is_its_latest_count_and_no_disagreement():
    reports = [_toll(1, "Wire", "the governor", 5, "2024-11-05", "at least"),
               _toll(2, "Daily", "the State Emergency Service", 12, "2024-11-06"),
               _toll(3, "Chronicle", "prosecutors", 19, "2024-11-07")]
    sources = independent_sources(reports, OutletRegistry.default())
    assert grade(reports, sources)[0] == "corroborated"
    f = reconcile.fatalities(reports, sources)
    assert f is not None and (f.low, f.best, f.high) == (19, 19, 19)
    assert f.qualifier == "latest count of a rising toll"
    assert "12 killed (superseded, 2024-11-06)" in f.text and "5 killed (superseded" in f.text  # each figure kept


def test_a_later_lower_count_is_a_disagreement_not_a_rising_toll():
    reports = [_toll(1, "Wire", "the governor", 30, "2024-11-05"),
               _toll(2, "Daily", "the army", 4, "2024-11-06")]
    sources = independent_sources(reports, OutletRegistry.default())
    g, why = grade(reports, sources)
    assert g == "contested" and "how many died" in why
    f = reconcile.fatalities(reports, sources)
    assert f is not None and (f.low, f.high) == (4, 30) and f.qualifier == "range across sources"


def test_a_perpetrator_only_inferred_does_not_contest_a_named_one():
    named = _stored(1, "Paper A", Claimant("the governor", "the governor", "official"))
    inferred = _stored(2, "Paper B", Claimant("the police", "the police", "official"))
    inferred.report.actor1 = Actor("", "Military Forces of Ukraine", "state")  # no words behind it
    sources = independent_sources([named, inferred], OutletRegistry.default())
    assert grade([named, inferred], sources)[0] == "corroborated"
    inferred.report.actor1 = Actor("Ukrainian troops", "Military Forces of Ukraine", "state")
    assert grade([named, inferred], sources)[0] == "contested"
