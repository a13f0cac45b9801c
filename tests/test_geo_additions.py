"""The curated gazetteer additions (data/gazetteer_additions.csv): new places resolve to their own rows,
and tools/check_additions.py passes on the shipped file."""

from __future__ import annotations

import csv
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

from conflictwire.geo import Gazetteer, GeoContext, PlaceResolver
from conflictwire.geo.resolve import haversine_km

ROOT = Path(__file__).resolve().parents[1]
MAX_KM = 10.0


def _rows() -> dict[str, dict[str, str]]:
    raw = resources.files("conflictwire.data").joinpath("gazetteer_additions.csv").read_text("utf-8")
    return {r["id"]: r for r in csv.DictReader(raw.splitlines())}


ROWS = _rows()


@pytest.fixture(scope="module")
def resolver() -> PlaceResolver:
    return PlaceResolver(Gazetteer.default())


#: (row id, its name, an alternate spelling): both must resolve, with no context, to the row's place.
CASES = [
    ("ps-gaza-zeitoun", "Zeitoun", "al-Zaytoun"),
    ("ps-gaza-sheikh-radwan", "Sheikh Radwan", "الشيخ رضوان"),
    ("ps-jabalia-camp", "Jabalia refugee camp", "Jabaliya camp"),
    ("ps-rafah-crossing", "Rafah crossing", "معبر رفح"),
    ("il-kerem-shalom-crossing", "Kerem Shalom crossing", "Karem Abu Salem"),
    ("ps-philadelphi-corridor", "Philadelphi corridor", "Philadelphi Route"),
    ("lb-ein-al-hilweh", "Ein al-Hilweh", "Ain al-Hilweh"),
    ("sy-al-hol-camp", "Al-Hol camp", "al-Hawl camp"),
    ("sy-hmeimim", "Hmeimim Air Base", "Khmeimim"),
    ("sy-bab-al-hawa", "Bab al-Hawa crossing", "Bab al-Hawa"),
    ("iq-ain-al-asad", "Ain al-Asad Air Base", "Al Asad Airbase"),
    ("sd-zamzam-camp", "Zamzam camp", "Zamzam"),
    ("sd-bahri-haj-yousif", "Haj Yousif", "Hajj Yousif"),
    ("so-mogadishu-hodan", "Hodan", "Hodan district"),
    ("ht-pap-martissant", "Martissant", "Martissant neighbourhood"),
    ("ly-tripoli-abu-salim", "Abu Salim", "Abu Sleem"),
    ("af-kabul-dasht-e-barchi", "Dasht-e Barchi", "Dasht-i-Barchi"),
    ("af-torkham", "Torkham border crossing", "Torkham"),
    ("dj-camp-lemonnier", "Camp Lemonnier", "Camp Lemonier"),
    ("ua-robotyne", "Robotyne", "Rabotino"),
    ("ua-klishchiivka", "Klishchiivka", "Kleshcheevka"),
    ("cd-rubaya", "Rubaya", "Rubaya mines"),
    ("bd-kutupalong", "Kutupalong refugee camp", "Kutupalong"),
    ("kg-kant-air-base", "Kant Air Base", "Kant airbase"),
]


def test_cases_match_the_file() -> None:
    for rid, name, alt in CASES:
        row = ROWS[rid]
        assert row["name"] == name
        assert alt in row["alternate_names"].split("|")


@pytest.mark.parametrize(("rid", "name", "alt"), CASES, ids=[c[0] for c in CASES])
def test_new_place_resolves_by_name_and_alternate(resolver: PlaceResolver, rid: str, name: str, alt: str) -> None:
    row = ROWS[rid]
    point = (float(row["lat"]), float(row["lon"]))
    for mention in (name, alt):
        loc = resolver.resolve(mention, None)
        assert loc is not None, mention
        assert loc.country_code == row["country_code"], (mention, loc.name, loc.country_code)
        assert haversine_km(point, (loc.lat, loc.lon)) <= MAX_KM, (mention, loc.name, loc.lat, loc.lon)


def test_ambiguous_neighbourhood_follows_the_article_country(resolver: PlaceResolver) -> None:
    """"Sabra" alone is Sabratha in Libya; in a Gaza story it is the Gaza City neighbourhood."""
    row = ROWS["ps-gaza-sabra"]
    loc = resolver.resolve("Sabra", GeoContext(country_counts={"PS": 3.0}))
    assert loc is not None and loc.country_code == "PS"
    assert haversine_km((float(row["lat"]), float(row["lon"])), (loc.lat, loc.lon)) <= MAX_KM


def test_additions_are_in_the_gazetteer() -> None:
    ids = {e.id for e in Gazetteer.default().additions()}
    assert {f"cw:{rid}" for rid in ROWS} <= ids


def test_check_additions_script_passes() -> None:
    proc = subprocess.run([sys.executable, "tools/check_additions.py"], cwd=ROOT, capture_output=True, text=True,
                          timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 problem(s)" in proc.stdout


def test_check_additions_script_flags_a_misplaced_row(tmp_path: Path) -> None:
    """A row whose point lies in another country (Zeitoun moved into Egypt) and a repeated id fail the check."""
    src = ROOT / "src" / "conflictwire" / "data" / "gazetteer_additions.csv"
    lines = src.read_text("utf-8").splitlines()
    bad = [lines[0], next(ln for ln in lines if ln.startswith("ps-gaza-zeitoun,")).replace("31.49,34.455", "30.5,31.5")]
    bad.append(bad[1])  # the same id twice
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(bad) + "\n", "utf-8")
    proc = subprocess.run([sys.executable, "tools/check_additions.py", str(path)], cwd=ROOT, capture_output=True,
                          text=True, timeout=600, check=False)
    assert proc.returncode == 1
    assert "not in PS" in proc.stdout and "id repeats" in proc.stdout
