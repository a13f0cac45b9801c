"""The page's server-side pieces: evidence highlighting, the static files and the page's headers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from conflictwire.api import create_app
from conflictwire.model import Fatalities, Report, StoredReport
from conflictwire.store import Store
from conflictwire.web import highlighted_text
from conflictwire.web.pages import contradictions_html


def test_highlight_marks_each_span_with_its_field_and_escapes() -> None:
    text = "On <b>Monday</b> 12 people died in Goma."
    start = text.index("12")
    out = highlighted_text(text, [(start, start + len("12 people died"), "fatalities"), (3, 16, "date")])
    assert out.startswith("On <mark class=\"f-date\" title=\"evidence for: date\" data-field=\"date\">"
                          "&lt;b&gt;Monday&lt;/b&gt;</mark> ")
    assert "data-field=\"fatalities\">12 people died</mark> in Goma." in out
    assert "<b>" not in out


def test_highlight_nested_spans_are_cut_into_flat_marks() -> None:
    text = "Shelling hit Kharkiv on Tuesday."
    out = highlighted_text(text, [(0, len(text), "event"), (13, 20, "location"), (999, 1000, "date")])
    # the narrow span colours its piece; the outer span's field is still named in the title
    assert "<mark class=\"f-location\" title=\"evidence for: location, event\" data-field=\"location\">Kharkiv</mark>" in out
    assert out.count("<mark") == 3 and "</mark></mark>" not in out
    assert out.endswith("data-field=\"event\"> on Tuesday.</mark>")


def test_highlight_trims_whitespace_and_sanitises_field_classes() -> None:
    out = highlighted_text("  a b  ", [(0, 7, "x\" onmouseover=\"y")])
    assert out.startswith("  <mark class=\"f-xonmouseovery\"")
    assert "title=\"evidence for: x&quot; onmouseover=&quot;y\"" in out and out.endswith("</mark>  ")


@pytest.fixture
def client(sqlite_url: str) -> Iterator[TestClient]:
    store = Store.open(sqlite_url)
    yield TestClient(create_app(store))
    store.close()


@pytest.mark.parametrize("path, kind", [
    ("/static/map.js", "javascript"), ("/static/page.css", "text/css"),
    ("/static/vendor/leaflet/leaflet.js", "javascript"),
    ("/static/vendor/markercluster/leaflet.markercluster.js", "javascript"),
    ("/static/vendor/world/countries-110m.geojson", ""),
])
def test_static_files_are_served_from_the_package(client: TestClient, path: str, kind: str) -> None:
    response = client.get(path)
    assert response.status_code == 200 and kind in response.headers["content-type"]
    assert response.headers["x-content-type-options"] == "nosniff"


def test_map_page_loads_only_packaged_assets(client: TestClient) -> None:
    response = client.get("/", params={"event_type": "Battles", "date_from": "2024-01-01"})
    page = response.text
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "unsafe-inline" not in csp
    assert "http://" not in page.replace("http://www.w3.org", "") and "https://" not in page
    assert '<option value="Battles" selected>' in page and 'value="2024-01-01"' in page
    assert 'href="/api/export?format=csv&amp;date_from=2024-01-01&amp;event_type=Battles"' in page
    assert client.get("/", params={"sort": "bogus"}).status_code == 422


def _toll_report(i: int, outlet: str, dead: int, published: str) -> StoredReport:
    rep = Report(event_type="Explosions/Remote violence", sub_event_type="Air/drone strike", confidence=0.9,
                 fatalities=Fatalities(dead, dead, dead, f"{dead} killed"))
    return StoredReport(id=i, article_id=i, report=rep, article_external_id=None, outlet=outlet, url=None,
                        published=dt.date.fromisoformat(published))


def test_sources_that_differ_are_side_by_side_and_a_running_toll_says_so() -> None:
    reports = [_toll_report(1, "Wire", 5, "2024-11-05"), _toll_report(2, "Daily", 12, "2024-11-06")]
    plain = contradictions_html(reports, {})
    assert "Wire: 5 dead | Daily: 12 dead" in plain and "running toll" not in plain
    toll = contradictions_html(reports, {}, running_toll=True)
    assert "Wire, 2024-11-05: 5 dead | Daily, 2024-11-06: 12 dead" in toll and "running toll" in toll
    assert contradictions_html(reports[:1], {}) == ""  # one source: nothing to compare
