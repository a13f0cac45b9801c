"""Loading GeoNames dumps and a user's CSV / GeoJSON gazetteer into a (temporary, small) gazetteer store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from conflictwire.cli import EXIT_OK, EXIT_SOME_BAD, main
from conflictwire.geo import Gazetteer, PlaceResolver
from conflictwire.geo.loaders import add_files, create_empty_store, representative_point
from conflictwire.geo.resolve import haversine_km

# A made-up excerpt in GeoNames' allCountries layout (19 tab-separated columns) with real coordinates.
# The ids are invented (9xxxxxxx) so nothing here is mistaken for real GeoNames rows.
_ROWS = [
    ["9000001", "Muḩāfaz̧at Idlib", "Muhafazat Idlib", "Idlib Governorate,Idleb", "35.75", "36.66667", "A", "ADM1",
     "SY", "", "10", "", "", "", "1501000"],
    ["9000002", "Sarāqib", "Saraqib", "Saraqeb,SRQ", "35.86472", "36.80056", "P", "PPL", "SY", "", "10", "1001", "",
     "", "32000"],
    ["9000003", "Ma‘arrat an Nu‘mān", "Ma`arrat an Nu`man", "", "35.64750", "36.67417", "P", "PPLA2", "SY", "", "10",
     "1001", "", "", "58000"],
    ["9000004", "Tall ‘Afar", "Tall `Afar", "Tal Afar,Tel Afar", "36.37917", "42.44972", "P", "PPLA2", "IQ", "",
     "15", "", "", "", "200000"],
    ["9000005", "Broken Row", "Broken Row", "", "north", "36.1", "P", "PPL", "SY", "", "10", "", "", "", "0"],
]
_TAIL = ["", "", "Asia/Damascus", "2024-01-01"]


def _geonames_dir(tmp_path: Path) -> Path:
    d = tmp_path / "geonames"
    d.mkdir()
    (d / "allCountries.txt").write_text(
        "".join("\t".join(r + _TAIL) + "\n" for r in _ROWS), encoding="utf-8")
    (d / "alternateNamesV2.txt").write_text(
        "1\t9000002\ten\tSaraqueb\t\t\t\t\t\t\n"
        "2\t9000002\tlink\thttps://en.wikipedia.org/wiki/Saraqib\t\t\t\t\t\t\n"
        "3\t9000003\ten\tMaarat al-Numan\t1\t\t\t\t\t\n"
        "4\t9000003\tar\tمعرة النعمان\t\t\t\t\t\t\n"
        "5\t9000004\ten\tTalafar\t\t\t\t\t\t\n", encoding="utf-8")
    (d / "admin1CodesASCII.txt").write_text(
        "SY.10\tIdlib\tIdlib\t9000001\nIQ.15\tNineveh\tNineveh\t9000099\n", encoding="utf-8")
    (d / "admin2Codes.txt").write_text("SY.10.1001\tMa'arrat al-Nu'man District\tMa'arrat al-Nu'man District\t9000098\n",
                                       encoding="utf-8")
    return d


_CSV = (
    "name,lat,lon,aliases,kind,country_code,admin1,population,id\n"
    "Tal Rifaat,36.4731,37.0972,Tell Rifaat|Tall Rifat,town,SY,Aleppo,20000,sy-tal-rifaat\n"
    "Nowhere,abc,37.1,,town,SY,,,\n"
    "Kafr Nabl,35.6138,36.5614,Kafranbel,village,SY,Idlib Governorate,,\n"
)

_GEOJSON = {
    "type": "FeatureCollection",
    "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [36.3176, 35.8126]},
         "properties": {"name": "Jisr al-Shughur", "aliases": ["Jisr ash-Shughur", "Jisr Al-Shughour"],
                        "country_code": "SY", "admin1": "Idlib", "kind": "city"}},
        {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[
            [36.45, 35.65], [36.60, 35.65], [36.60, 35.75], [36.45, 35.75], [36.45, 35.65]]]},
         "properties": {"name": "Jabal al-Zawiya", "alternate_names": "Jebel Zawiya", "feature_code": "RGN",
                        "country_code": "SY", "admin1": "Idlib"}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [36.5, 35.7]}, "properties": {}},
    ],
}


@pytest.fixture()
def store(tmp_path: Path) -> Path:
    return create_empty_store(tmp_path / "gaz.sqlite")


def _resolver(path: Path) -> PlaceResolver:
    return PlaceResolver(Gazetteer(path))


def test_geonames_dump_loads_with_alternates_and_admin_names(tmp_path: Path, store: Path) -> None:
    [report] = add_files(store, [(_geonames_dir(tmp_path), None)])
    assert report.format == "geonames" and report.added == 4
    [problem] = report.problems
    assert "allCountries.txt line 5" in str(problem) and "latitude 'north'" in str(problem)

    resolver = _resolver(store)
    for mention in ("Saraqib", "Saraqeb", "Saraqueb"):  # name, alternatenames column, alternateNames file
        loc = resolver.resolve(mention)
        assert loc is not None, mention
        assert loc.geonameid == 9000002 and loc.country_code == "SY" and loc.admin1 == "Idlib"
        assert (loc.lat, loc.lon) == (35.86472, 36.80056)
    maarat = resolver.resolve("Maarat al-Numan")
    assert maarat is not None and maarat.geonameid == 9000003 and maarat.admin2 == "Ma'arrat al-Nu'man District"
    assert resolver.resolve("معرة النعمان").geonameid == 9000003  # type: ignore[union-attr]
    talafar = resolver.resolve("Talafar")
    assert talafar is not None and talafar.country_code == "IQ" and talafar.admin1 == "Nineveh"
    assert haversine_km((talafar.lat, talafar.lon), (36.379, 42.450)) < 1
    province = resolver.resolve("Idlib province")  # the ADM1 row answers to the codes file's name
    assert province is not None and province.feature_code == "ADM1" and province.admin1 == "Idlib"
    gaz = Gazetteer(store)
    assert gaz.lookup("https://en.wikipedia.org/wiki/Saraqib") == []  # links are not names
    assert gaz.lookup("SRQ") == []  # nor codes
    [loaded] = json.loads(gaz.meta["loaded_files"])
    assert loaded["format"] == "geonames" and loaded["added"] == 4


def test_country_filter(tmp_path: Path, store: Path) -> None:
    [report] = add_files(store, [(_geonames_dir(tmp_path), "geonames")], countries=["iq"])
    assert report.added == 1 and not report.problems  # the bad row is in SY: filtered before parsing
    assert _resolver(store).resolve("Saraqib") is None


def test_csv_gazetteer(tmp_path: Path, store: Path) -> None:
    add_files(store, [(_geonames_dir(tmp_path), None)])  # gives the store an ADM1 "Idlib" to spell against
    csv_path = tmp_path / "mine.csv"
    csv_path.write_text(_CSV, encoding="utf-8")
    [report] = add_files(store, [(csv_path, None)])
    assert report.format == "csv" and report.added == 2
    [problem] = report.problems
    assert str(problem).startswith(f"{csv_path} line 3:") and "latitude 'abc' is not a number" in str(problem)

    resolver = _resolver(store)
    loc = resolver.resolve("Tell Rifaat")
    assert loc is not None and loc.name == "Tal Rifaat" and (loc.lat, loc.lon) == (36.4731, 37.0972)
    assert loc.country_code == "SY" and loc.admin1 == "Aleppo"
    kafr = resolver.resolve("Kafranbel")
    assert kafr is not None and kafr.admin1 == "Idlib"  # "Idlib Governorate" in the store's spelling
    entry = Gazetteer(store).get("cw:sy-tal-rifaat")
    assert entry is not None and entry.population == 20000 and entry.source == "user:mine.csv"
    assert entry.feature_code == "PPL" and entry.is_addition


def test_geojson_points_and_polygons(tmp_path: Path, store: Path) -> None:
    path = tmp_path / "places.geojson"
    path.write_text(json.dumps(_GEOJSON), encoding="utf-8")
    [report] = add_files(store, [(path, None)])
    assert report.added == 2
    [problem] = report.problems
    assert f"{path} feature 3" in str(problem) and "empty name" in str(problem)

    resolver = _resolver(store)
    jisr = resolver.resolve("Jisr ash-Shughur")
    assert jisr is not None and (jisr.lat, jisr.lon) == (35.8126, 36.3176) and jisr.admin1 == "Idlib"
    zawiya = resolver.resolve("Jebel Zawiya")
    assert zawiya is not None and zawiya.name == "Jabal al-Zawiya" and zawiya.feature_code == "RGN"
    assert 35.65 < zawiya.lat < 35.75 and 36.45 < zawiya.lon < 36.60  # a point inside the polygon


def test_representative_point_of_a_polygon_is_inside_it() -> None:
    square = {"type": "Polygon", "coordinates": [[[0, 0], [2, 0], [2, 2], [0, 2], [0, 0]]]}
    lat, lon = representative_point(square)
    assert 0 < lat < 2 and 0 < lon < 2
    with pytest.raises(ValueError, match="not supported"):
        representative_point({"type": "GeometryCollection", "geometries": []})


def test_malformed_files_are_named_and_the_others_still_load(tmp_path: Path, store: Path) -> None:
    no_lat = tmp_path / "no_lat.csv"
    no_lat.write_text("name,lon\nSomewhere,36.0\n", encoding="utf-8")
    broken = tmp_path / "broken.geojson"
    broken.write_text('{"type": "FeatureCollection",\n "features": [\n  {"type": "Feature",,}]}', encoding="utf-8")
    good = tmp_path / "good.csv"
    good.write_text(_CSV, encoding="utf-8")
    reports = add_files(store, [(no_lat, None), (broken, None), (good, None)])
    assert [r.added for r in reports] == [0, 0, 2]
    assert str(reports[0].problems[0]) == f"{no_lat} line 1: missing column(s) lat; the header is name,lon"
    assert str(reports[1].problems[0]).startswith(f"{broken} line 3: not JSON")
    assert _resolver(store).resolve("Tal Rifaat") is not None


def test_same_ids_are_skipped_or_replaced(tmp_path: Path, store: Path) -> None:
    path = tmp_path / "mine.csv"
    path.write_text(_CSV, encoding="utf-8")
    add_files(store, [(path, None)])
    [again] = add_files(store, [(path, None)])
    assert again.added == 0 and again.skipped == 2
    path.write_text(_CSV.replace("36.4731,37.0972", "36.5,37.1"), encoding="utf-8")
    [moved] = add_files(store, [(path, None)], replace=True)
    assert moved.replaced == 2 and moved.added == 0
    gaz = Gazetteer(store)
    assert [(e.lat, e.lon) for e in gaz.lookup("Tall Rifat")] == [(36.5, 37.1)]


def test_cli_add_and_build(tmp_path: Path, store: Path) -> None:
    csv_path = tmp_path / "mine.csv"
    csv_path.write_text(_CSV, encoding="utf-8")
    runner = CliRunner()
    res = runner.invoke(main, ["gazetteer", "add", str(csv_path), "--gazetteer", str(store)])
    assert res.exit_code == EXIT_SOME_BAD, res.output
    assert f"error: {csv_path} line 3: latitude 'abc' is not a number" in res.stderr
    assert "2 added" in res.stdout
    assert _resolver(store).resolve("Kafranbel") is not None

    built = tmp_path / "built.sqlite"
    good = tmp_path / "places.geojson"
    good.write_text(json.dumps({**_GEOJSON, "features": _GEOJSON["features"][:2]}), encoding="utf-8")
    res = runner.invoke(main, ["gazetteer", "build", "--empty", "--gazetteer", str(built),
                               "--geonames", str(_geonames_dir(tmp_path) / "allCountries.txt"),
                               "--extra", str(good), "--country", "SY", "--json"])
    assert res.exit_code == EXIT_SOME_BAD  # the broken SY row in allCountries
    summary = json.loads(res.stdout)
    assert [f["added"] for f in summary["files"]] == [3, 2]
    resolver = _resolver(built)
    assert resolver.resolve("Saraqeb") is not None and resolver.resolve("Jabal al-Zawiya") is not None
    assert resolver.resolve("Talafar") is None  # IQ filtered out

    env_res = runner.invoke(main, ["gazetteer", "add", str(good), "--replace"],
                            env={"CONFLICTWIRE_GAZETTEER": str(built)})
    assert env_res.exit_code == EXIT_OK and "2 replaced" in env_res.stdout


def test_gazetteer_command_is_documented_in_the_readme() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert "conflictwire gazetteer add" in readme and "conflictwire gazetteer build" in readme
