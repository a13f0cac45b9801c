"""Gazetteer coverage: countries, admin1 regions, multi-country regions, seas and rivers, abbreviations."""

from __future__ import annotations

import csv
from importlib import resources

import pytest

from conflictwire.geo import Gazetteer, PlaceResolver
from conflictwire.geo.build import (
    REGIONS_COLUMNS,
    _centre,
    _Entry,
    read_aliases,
    read_regions,
)
from conflictwire.geo.errors import AdditionsError
from conflictwire.geo.resolve import haversine_km
from conflictwire.model import PRECISION_NEAR, PRECISION_REGION


@pytest.fixture(scope="module")
def resolver() -> PlaceResolver:
    return PlaceResolver(Gazetteer.default())


def _near(loc, lat: float, lon: float, km: float) -> bool:
    return haversine_km((loc.lat, loc.lon), (lat, lon)) <= km


@pytest.mark.parametrize(("mention", "cc", "lat", "lon", "km"), [
    ("Russia", "RU", 60.0, 100.0, 300),  # the centre of Russia, not Moscow (about 3,000 km away)
    ("Canada", "CA", 60.0, -95.0, 300),
    ("Syria", "SY", 35.0, 38.0, 150),
    ("Democratic Republic of the Congo", "CD", -2.9, 23.6, 400),
])
def test_country_resolves_near_its_centre_not_its_capital(resolver, mention, cc, lat, lon, km) -> None:
    loc = resolver.resolve(mention)
    assert loc is not None and loc.feature_code == "PCLI" and loc.country_code == cc
    assert loc.precision == PRECISION_REGION
    assert _near(loc, lat, lon, km)


@pytest.mark.parametrize(("mention", "cc"), [
    ("U.S.", "US"), ("US", "US"), ("USA", "US"), ("UK", "GB"), ("U.K.", "GB"), ("Britain", "GB"),
    ("DRC", "CD"), ("DR Congo", "CD"), ("UAE", "AE"), ("Philippines", "PH"), ("Myanmar", "MM"),
    ("Burma", "MM"), ("Ivory Coast", "CI"),
])
def test_country_abbreviations_and_exonyms(resolver, mention, cc) -> None:
    loc = resolver.resolve(mention)
    assert loc is not None, mention
    assert (loc.feature_code, loc.country_code, loc.precision) == ("PCLI", cc, PRECISION_REGION)


def test_idlib_province_is_the_admin1_region_at_its_centre(resolver) -> None:
    loc = resolver.resolve("Idlib province")
    assert loc is not None and loc.feature_code == "ADM1" and loc.precision == PRECISION_REGION
    assert loc.country_code == "SY" and loc.admin1 == "Idlib"
    assert _near(loc, 35.8, 36.6, 60)
    # the bare name is still the city
    city = resolver.resolve("Idlib")
    assert city is not None and city.feature_code.startswith("PPL")


@pytest.mark.parametrize(("mention", "cc", "lat", "lon", "km"), [
    ("California", "US", 37.2, -119.5, 160),  # not Los Angeles (about 400 km south-east)
    ("Texas", "US", 31.3, -99.3, 200),
    ("Queensland", "AU", -22.5, 144.5, 400),  # not Brisbane on the coast
    ("Donetsk Oblast", "UA", 48.0, 37.8, 80),
])
def test_admin1_resolves_near_its_centre(resolver, mention, cc, lat, lon, km) -> None:
    loc = resolver.resolve(mention)
    assert loc is not None and loc.feature_code == "ADM1" and loc.country_code == cc
    assert loc.precision == PRECISION_REGION and loc.admin1
    assert _near(loc, lat, lon, km)


@pytest.mark.parametrize(("mention", "cc", "admin1"), [
    ("W.Va.", "US", "West Virginia"), ("Calif.", "US", "California"), ("B.C.", "CA", "British Columbia"),
    ("NSW", "AU", "New South Wales"), ("KPK", "PK", "Khyber Pakhtunkhwa"),
])
def test_admin1_abbreviations(resolver, mention, cc, admin1) -> None:
    loc = resolver.resolve(mention)
    assert loc is not None, mention
    assert (loc.feature_code, loc.country_code, loc.admin1) == ("ADM1", cc, admin1)


@pytest.mark.parametrize(("mention", "lat", "lon", "code"), [
    ("West Africa", 12.0, -3.0, "RGN"), ("the Sahel", 14.5, 5.0, "RGN"), ("Donbas", 48.2, 38.5, "RGN"),
    ("the Donbass", 48.2, 38.5, "RGN"), ("Middle East", 29.0, 42.0, "RGN"), ("Horn of Africa", 8.0, 45.0, "RGN"),
    ("Balkans", 43.0, 21.0, "RGN"), ("the Balkans", 43.0, 21.0, "RGN"), ("Gaza Strip", 31.42, 34.38, "RGN"),
    ("Black Sea", 43.4, 34.3, "SEA"), ("Mediterranean", 35.0, 18.0, "SEA"), ("Gulf of Aden", 12.5, 48.0, "GULF"),
    ("Euphrates", 35.0, 40.5, "STM"), ("Dnieper", 48.5, 34.0, "STM"), ("Darfur", 13.0, 24.5, "RGN"),
])
def test_regions_seas_and_rivers_resolve(resolver, mention, lat, lon, code) -> None:
    loc = resolver.resolve(mention)
    assert loc is not None, mention
    assert loc.feature_code == code and _near(loc, lat, lon, 1)
    # an area is never an exact point; one spanning several countries is continent-scale (precision 3)
    assert loc.precision == (PRECISION_REGION if loc.country_code is None and code in ("RGN", "SEA")
                             else PRECISION_NEAR), mention


@pytest.mark.parametrize(("mention", "precision"), [
    ("West Africa", PRECISION_REGION), ("the Middle East", PRECISION_REGION), ("the Himalayas", PRECISION_REGION),
    ("the Mediterranean", PRECISION_REGION), ("Darfur", PRECISION_NEAR), ("Euphrates", PRECISION_NEAR),
    ("Strait of Hormuz", PRECISION_NEAR), ("Lake Chad", PRECISION_NEAR), ("Sinai", PRECISION_NEAR),
    ("Mindanao", PRECISION_NEAR),
])
def test_water_and_landforms_are_areas_not_points(resolver, mention, precision) -> None:
    loc = resolver.resolve(mention)
    assert loc is not None and loc.precision == precision, (mention, loc)


@pytest.mark.parametrize("mention", ["Syrian", "Syrians", "Iraqi", "Ukrainian", "Afghan", "Sudanese"])
def test_demonyms_do_not_resolve(resolver, mention) -> None:
    assert resolver.resolve(mention) is None


def test_centre_trims_outliers_and_handles_the_antimeridian() -> None:
    def e(lat: float, lon: float) -> _Entry:
        return _Entry("x", None, "x", lat, lon, None, None, None, None, "P", "PPL", 0, "t")

    pts = [e(10 + i / 10, 20 + i / 10) for i in range(100)] + [e(-60, -120)]  # one misfiled place
    lat, lon = _centre(pts)
    assert abs(lat - 15) < 1 and abs(lon - 25) < 1
    lat, lon = _centre([e(65, 178), e(66, 179), e(67, -179), e(65, -178)])
    assert abs(lat - 66) < 1 and (lon > 177 or lon < -177)


def test_data_files_are_well_formed() -> None:
    data = resources.files("conflictwire.data")
    raw = data.joinpath("geo_regions.csv").read_text("utf-8")
    rows = read_regions(raw)
    assert len(rows) >= 100 and len({r.id for r in rows}) == len(rows)
    assert all(r.population > 0 for r in rows)
    classes = {r.feature_code: r.feature_class for r in rows}
    assert (classes["SEA"], classes["STM"], classes["MTS"], classes["ISL"], classes["RGN"]) == ("H", "H", "T", "T", "L")
    countries, admins = read_aliases(data.joinpath("geo_aliases.csv").read_text("utf-8"))
    assert "U.S." in countries["US"] and ("CA", "british columbia") in admins
    points = list(csv.DictReader(data.joinpath("country_points.csv").read_text("utf-8").splitlines()))
    assert len(points) >= 230 and all(-90 <= float(p["lat"]) <= 90 for p in points)


def test_bad_region_row_is_rejected() -> None:
    header = ",".join(REGIONS_COLUMNS)
    with pytest.raises(AdditionsError):
        read_regions(header + "\nx,X,,95,0,,RGN,,t,\n")
    with pytest.raises(AdditionsError):
        read_regions("id,name\nx,X\n")


@pytest.mark.parametrize(("mention", "name", "cc"), [
    ("Burma", "Myanmar", "MM"),        # a country's alternate name outranks any town of that name
    ("Pacific", "Pacific Ocean", None),  # an ocean's short name outranks Pacific, Missouri
    ("Atlantic", "Atlantic Ocean", None),
    ("Gaza Strip", "Gaza Strip", "PS"),  # an area under its own name keeps it against a country's alias
])
def test_alternate_names_of_countries_and_oceans_outrank_towns(resolver, mention, name, cc) -> None:
    loc = resolver.resolve(mention)
    assert loc is not None and loc.name == name and loc.country_code == cc
