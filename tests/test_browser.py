"""The page in a real browser: Debian's chromium driven by Playwright, against the real server (uvicorn on a
free loopback port) over a SQLite store filled from a few of the bundled corpus articles and one hostile
article.

Playwright never downloads a browser here: it launches /usr/bin/chromium. Without chromium (or the
playwright package) these tests skip, except under CI (env CI set), where they fail.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse
from urllib.request import urlopen

import pytest

from conflictwire.ingest import read_inputs
from conflictwire.pipeline import Pipeline
from conflictwire.store import Store

os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")

CHROMIUM = os.environ.get("CONFLICTWIRE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

ARTICLES = Path(__file__).resolve().parents[1] / "examples" / "corpus" / "articles"
#: Four incidents: an Explosions/Remote violence event with sources that differ on the dead (Singa), two
#: Kharkiv strikes a day apart, a battle in Burkina Faso and an abduction in Cameroon.
CORPUS_FILES = ("sudan-singa-cpa.txt", "sudan-singa-nile-courier.txt", "sudan-singa-rsf-statement.txt",
                "ukraine-kharkiv-industrial-meridian.txt", "ukraine-kharkiv-roundup-chronicle.txt",
                "ukraine-kharkiv-saltivka-evening-courier.txt", "burkina-diapaga-faso-patriote-translated.txt",
                "burkina-diapaga-meridian.txt", "cameroon-batibo-abduction.txt")

#: Markup that would set the flag and the title if it ever ran or rendered as HTML.
SCRIPT = "<script>window.__pwned = 'script'; document.title = 'PWNED';</script>"
IMG = "<img src=x onerror=\"window.__pwned = 'img'; document.title = 'PWNED'; alert(1)\">"
HOSTILE = {
    "id": "hostile-kajuru",
    "title": f"Gunmen kill seven in Kajuru {IMG}",
    "published": "2025-02-04",
    "outlet": "Kaduna Ledger",
    "url": "https://kadunaledger.example/2025/02/04/kajuru",
    "text": (f"Gunmen killed seven villagers in Kajuru, Kaduna State, on Monday, police said. {SCRIPT} "
             f"The attackers stormed the village at dawn and shot residents as they fled, {IMG} a police "
             "spokesman told reporters.\n\nResidents said the gunmen also burned several houses."),
}


def _under_ci() -> bool:
    """Whether we run under CI, where a missing browser is a failure rather than a skip."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _no_browser(reason: str) -> None:
    """Skip, or fail under CI, because the browser cannot run."""
    if _under_ci():
        pytest.fail(f"the browser tests need chromium under CI: {reason}", pytrace=False)
    pytest.skip(f"no browser: {reason}")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's chromium, headless, launched by Playwright (which downloads nothing)."""
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError:
        _no_browser("the playwright package is not installed (pip install '.[test]')")
        return
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        _no_browser(f"{CHROMIUM} not found (apt-get install chromium)")
        return
    with sync_playwright() as pw:
        try:
            chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        except PlaywrightError as exc:
            _no_browser(f"{CHROMIUM} does not start: {exc}")
            return
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, extractor: Any) -> Iterator[str]:
    """The real server (uvicorn in a thread) over a store filled from the corpus; yields its base URL."""
    import uvicorn

    from conflictwire.api import create_app

    root = tmp_path_factory.mktemp("browser")
    articles = root / "articles"
    articles.mkdir()
    meta = json.loads((ARTICLES / "conflictwire-meta.json").read_text(encoding="utf-8"))
    for name in CORPUS_FILES:
        shutil.copyfile(ARTICLES / name, articles / name)
    (articles / "conflictwire-meta.json").write_text(json.dumps({n: meta[n] for n in CORPUS_FILES}), encoding="utf-8")
    (articles / "hostile.jsonl").write_text(json.dumps(HOSTILE) + "\n", encoding="utf-8")
    store = Store.open(f"sqlite:///{root / 'conflictwire.db'}")
    summary = Pipeline(store, extractor).ingest(read_inputs([str(articles)]))
    assert summary.errors == []
    port = _free_port()
    config = uvicorn.Config(create_app(store), host="127.0.0.1", port=port, log_level="warning")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not uv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        uv.should_exit = True
        thread.join(timeout=10)
        store.close()


def api(server: str, path: str, **params: Any) -> Any:
    """GET an API path as JSON."""
    query = f"?{urlencode(params)}" if params else ""
    with urlopen(f"{server}{path}{query}", timeout=30) as response:  # noqa: S310 (loopback test server)
        return json.load(response)


class Watch:
    """What a page did that it should not: console errors (CSP violations among them), uncaught
    exceptions, dialogs, and requests that left the test server."""

    def __init__(self, page: Any, server: str) -> None:
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.foreign: list[str] = []
        page.on("console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))

        def dialog(d: Any) -> None:
            self.dialogs.append(d.message)
            d.dismiss()

        page.on("dialog", dialog)
        page.on("request", lambda req: None if req.url.startswith((server, "data:")) else self.foreign.append(req.url))
        page.on("response", lambda res: self.errors.append(f"{res.status} {res.url}") if res.status >= 400 else None)

    def assert_clean(self) -> None:
        assert self.errors == [] and self.dialogs == [] and self.foreign == []


@pytest.fixture
def page(browser: Any, server: str) -> Iterator[Any]:
    """A fresh page (own context) of a desktop-sized window."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    pg.watch = Watch(pg, server)
    yield pg
    context.close()


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}


def _all_events(server: str, **filters: Any) -> list[dict[str, Any]]:
    return list(api(server, "/api/events", limit=1000, **filters)["events"])


def _wait_list(page: Any, count: int) -> None:
    """Wait until the script has drawn the list with ``count`` events."""
    page.wait_for_function(
        "n => document.querySelectorAll('#event-list li.event[data-id]').length === n"
        " && !document.getElementById('status').textContent.startsWith('Loading')", arg=count)


def _marker_total(page: Any) -> int:
    """Events on the map: single markers plus the counts of the clusters."""
    return int(page.evaluate(
        """() => document.querySelectorAll('.leaflet-overlay-pane path.leaflet-interactive').length
           + [...document.querySelectorAll('.cw-cluster')].reduce((s, c) => s + Number(c.textContent), 0)"""))


def test_map_page_shows_outlines_markers_list_and_timeline(page: Any, server: str) -> None:
    events = _all_events(server)
    located = [ev for ev in events if ev["location"] and ev["location"]["lat"] is not None]
    assert len(events) >= 5 and located
    page.goto(f"{server}/")
    _wait_list(page, len(events))
    page.wait_for_function("() => document.querySelectorAll('.leaflet-countries-pane path').length > 100")
    page.wait_for_function("n => document.querySelectorAll('.leaflet-overlay-pane path.leaflet-interactive').length"
                           " + document.querySelectorAll('.cw-cluster').length > 0", arg=0)
    assert _marker_total(page) == len(located)
    bars = page.locator("#timeline svg rect.bar")
    assert bars.count() >= 3
    types = set(page.eval_on_selector_all("#timeline svg rect.bar", "rs => rs.map(r => r.dataset.type)"))
    assert {"Explosions/Remote violence", "Battles"} <= types
    assert page.locator("#legend li").count() >= 6
    # every list item is a link to its event page, reachable with the keyboard
    hrefs = page.eval_on_selector_all("#event-list li.event a", "as => as.map(a => a.getAttribute('href'))")
    assert sorted(hrefs) == sorted(f"/events/{ev['id']}" for ev in events)
    page.keyboard.press("Tab")  # the skip link
    assert page.evaluate("document.activeElement.className") == "skip"
    page.watch.assert_clean()


def test_filter_by_type_updates_list_and_url_and_back_restores(page: Any, server: str) -> None:
    everything = _all_events(server)
    battles = _all_events(server, event_type="Battles")
    assert 0 < len(battles) < len(everything)
    page.goto(f"{server}/")
    _wait_list(page, len(everything))
    page.select_option("#f-event_type", "Battles")
    page.wait_for_url(re.compile(r"event_type=Battles"))
    _wait_list(page, len(battles))
    assert set(page.eval_on_selector_all("#event-list li.event", "ls => ls.map(l => l.dataset.type)")) == {"Battles"}
    assert _marker_total(page) == len(battles)
    # a reload keeps the filter (server-side form values, then the script)
    page.reload()
    _wait_list(page, len(battles))
    assert page.input_value("#f-event_type") == "Battles"
    page.go_back()
    page.wait_for_url(f"{server}/")
    _wait_list(page, len(everything))
    assert page.input_value("#f-event_type") == ""
    # text search and grade, typed like a keyboard user
    page.fill("#f-q", "Singa")
    page.press("#f-q", "Enter")
    page.wait_for_url(re.compile(r"q=Singa"))
    _wait_list(page, len(_all_events(server, q="Singa")))
    page.watch.assert_clean()


def test_brushing_the_timeline_filters_dates(page: Any, server: str) -> None:
    everything = _all_events(server)
    page.goto(f"{server}/")
    _wait_list(page, len(everything))
    box = page.locator("#timeline svg").bounding_box()
    assert box
    y = box["y"] + box["height"] / 2
    # the right half: the later events (Kharkiv, March 2025) without the earliest (Diapaga, June 2024)
    page.mouse.move(box["x"] + box["width"] * 0.55, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.8, y, steps=5)
    page.mouse.move(box["x"] + box["width"] - 2, y, steps=5)
    page.mouse.up()
    page.wait_for_url(re.compile(r"date_from=.*date_to="))
    query = _query(page.url)
    expected = _all_events(server, date_from=query["date_from"], date_to=query["date_to"])
    assert 0 < len(expected) < len(everything)
    _wait_list(page, len(expected))
    dates = page.eval_on_selector_all("#event-list li.event", "ls => ls.map(l => l.dataset.date)")
    assert all(query["date_from"] <= d <= query["date_to"] for d in dates)
    assert page.input_value("#f-date_from") == query["date_from"]
    assert page.input_value("#f-date_to") == query["date_to"]
    assert _marker_total(page) == len([ev for ev in expected if ev["location"]])
    page.reload()
    _wait_list(page, len(expected))
    # the date inputs do the same from the keyboard; "Clear dates" drops them
    page.fill("#f-date_from", "2024-06-01")
    page.fill("#f-date_to", "2024-06-30")
    page.press("#f-date_to", "Enter")
    page.wait_for_url(re.compile(r"date_from=2024-06-01&date_to=2024-06-30"))
    _wait_list(page, len(_all_events(server, date_from="2024-06-01", date_to="2024-06-30")))
    page.click("#clear-dates")
    page.wait_for_function("() => !location.search.includes('date_')")
    _wait_list(page, len(everything))
    page.watch.assert_clean()


def test_the_timeline_brushes_from_the_keyboard(page: Any, server: str) -> None:
    everything = _all_events(server)
    page.goto(f"{server}/")
    _wait_list(page, len(everything))
    page.focus("#timeline svg")
    page.keyboard.press("End")  # the latest bin
    for _ in range(3):
        page.keyboard.press("Shift+ArrowLeft")  # stretched three bins back
    assert "Selected" in (page.get_attribute("#timeline svg", "aria-label") or "")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"date_from=.*date_to="))
    query = _query(page.url)
    expected = _all_events(server, date_from=query["date_from"], date_to=query["date_to"])
    assert 0 < len(expected) < len(everything)
    _wait_list(page, len(expected))
    page.wait_for_function("() => document.activeElement && document.activeElement.closest('#timeline') !== null")
    # Escape drops a selection not yet applied: the URL keeps the applied one
    page.keyboard.press("Home")
    page.keyboard.press("Escape")
    assert _query(page.url) == query
    page.watch.assert_clean()


def test_on_a_phone_the_map_page_fits_the_screen_with_the_map_above_the_list(browser: Any, server: str) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    try:
        phone = context.new_page()
        phone.set_default_timeout(15_000)
        phone.goto(f"{server}/")
        _wait_list(phone, len(_all_events(server)))
        assert phone.evaluate("() => document.documentElement.scrollWidth") <= 390  # no sideways scrolling
        map_box, list_box = phone.locator("#map").bounding_box(), phone.locator("#event-list").bounding_box()
        assert map_box and list_box and map_box["width"] >= 300
        assert map_box["y"] + map_box["height"] <= list_box["y"]  # stacked: the map, then the list
        event_id = phone.get_attribute("#event-list li.event a", "href")
        phone.goto(f"{server}{event_id}")
        phone.wait_for_selector("mark")
        assert phone.evaluate("() => document.documentElement.scrollWidth") <= 390
    finally:
        context.close()


def test_event_page_highlights_evidence_and_shows_differences(page: Any, server: str) -> None:
    singa = _all_events(server, q="Singa")
    contested = next(ev for ev in singa if len({r["outlet"] for r in ev["reports"]}) > 1)
    page.goto(f"{server}/?q=Singa")
    _wait_list(page, len(singa))
    page.click(f"#event-list li.event[data-id='{contested['id']}'] a")
    page.wait_for_url(f"{server}/events/{contested['id']}")
    marks = page.locator(".article-text mark")
    assert marks.count() >= 3
    titles = set(page.eval_on_selector_all(".article-text mark", "ms => ms.map(m => m.title)"))
    assert any("event" in t for t in titles) and any("date" in t or "location" in t for t in titles)
    # the evidence text is the article's own words at the stored offsets
    detail = api(server, f"/api/events/{contested['id']}")
    report = detail["reports"][0]
    article = api(server, f"/api/articles/{report['article_id']}")
    span = report["evidence"][0]
    assert article["text"][span["start"]:span["end"]][:40] in page.locator(".article-text").first.inner_text()
    assert page.locator(".source").count() == len(detail["sources"])
    assert page.locator(".carried .outlet").first.inner_text() == detail["sources"][0]["outlet"]
    contradictions = page.locator(".contradictions").inner_text()
    fatalities = {r["fatalities"]["best"] for r in contested["reports"] if r["fatalities"]}
    assert len(fatalities) >= 2 and all(f"{n} dead" in contradictions for n in fatalities)
    assert page.locator(".history tbody tr").count() == len(detail["versions"])
    assert "Grade" in page.locator(".fields").inner_text()
    page.watch.assert_clean()


def test_export_link_downloads_the_filtered_set(page: Any, server: str) -> None:
    battles = _all_events(server, event_type="Battles")
    page.goto(f"{server}/?event_type=Battles")
    _wait_list(page, len(battles))
    link = page.locator("#export a[data-format=csv]")
    assert _query(link.get_attribute("href") or "") == {"format": "csv", "event_type": "Battles"}
    with page.expect_download() as info:
        link.click()
    body = Path(info.value.path()).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == len(battles) > 0
    with page.expect_download() as info:
        page.click("#export a[data-format=geojson]")
    collection = json.loads(Path(info.value.path()).read_text(encoding="utf-8"))
    assert len(collection["features"]) == len([ev for ev in battles if ev["location"]])
    page.watch.assert_clean()


def test_hostile_article_markup_is_shown_as_text_and_never_runs(page: Any, server: str) -> None:
    hostile = [ev for ev in _all_events(server) if any(r["article_id"] == HOSTILE["id"] for r in ev["reports"])]
    assert hostile, "the hostile article made no event"
    # the map page: its server-rendered list quotes the article before the script replaces it
    page.goto(f"{server}/?q=Kajuru")
    _wait_list(page, len(_all_events(server, q="Kajuru")))
    page.wait_for_timeout(300)
    assert page.evaluate("window.__pwned") is None and "PWNED" not in page.title()
    page.goto(f"{server}/events/{hostile[0]['id']}")
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)  # time for an onerror to fire, were there an <img>
    assert page.evaluate("window.__pwned") is None
    assert "PWNED" not in page.title()
    assert page.locator("img").count() == 0
    assert page.locator("script").count() == 0
    text = page.locator(".article-text").first.inner_text()
    assert SCRIPT in text and IMG in text
    assert IMG in page.locator(".source h3").first.inner_text()
    assert page.watch.dialogs == [] and page.watch.errors == []
