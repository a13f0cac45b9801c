"""The page in a real browser: Debian's chromium driven by Playwright, against the real server (uvicorn on a
free loopback port) over a SQLite store filled from a few of the bundled corpus articles and one hostile
article.

Playwright never downloads a browser here: it launches /usr/bin/chromium. Without chromium (or the
playwright package) these tests skip, except under CI (env CI set), where they fail.
"""

from __future__ import annotations

import csv
import datetime as dt
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
from urllib.parse import parse_qs, quote, unquote, urlencode, urlparse
from urllib.request import urlopen

import pytest

from conflictwire.ingest import read_inputs
from conflictwire.model import Actor, Article, Claimant, DateInfo, Event, Fatalities, Location, Report, Span
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


#: Markup and script that must only ever be shown as text: each would open a dialog (or load, style or
#: navigate something) if it were ever parsed as HTML, CSS, a URL or a template. Numbered, so that each
#: is told apart in a failure.
XSS_PAYLOADS = [
    "<script>alert('xss-01')</script>",
    "<img src=x onerror=alert('xss-02')>",
    "<svg onload=alert('xss-03')>",
    "<svg><script>alert('xss-04')</script></svg>",
    "\"><script>alert('xss-05')</script>",
    "'><img src=x onerror=alert('xss-06')>",
    "<iframe src=\"javascript:alert('xss-07')\"></iframe>",
    "<body onload=alert('xss-08')>",
    "<a href=\"javascript:alert('xss-09')\">xss-09</a>",
    "<details open ontoggle=alert('xss-10')>",
    "<input autofocus onfocus=alert('xss-11')>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert('xss-12')>",
    "</textarea><script>alert('xss-13')</script>",
    "</title><script>alert('xss-14')</script>",
    "</style><script>alert('xss-15')</script>",
    "<style>body{background:url(\"javascript:alert('xss-16')\")}</style>",
    "<div style=\"width: expression(alert('xss-17'))\">xss-17</div>",
    "{{constructor.constructor('alert(\"xss-18\")')()}}",
    "${alert('xss-19')} {{7*7}} <%= 7*7 %> #{7*7}",
    "\\u003cscript\\u003ealert('xss-20')\\u003c/script\\u003e",
    "&lt;script&gt;alert('xss-21')&lt;/script&gt;",
    "&#60;img src=x onerror=alert('xss-22')&#62;",
    "%3Cscript%3Ealert('xss-23')%3C%2Fscript%3E",
    "<scr<script>ipt>alert('xss-24')</scr</script>ipt>",
    "<ScRiPt>alert('xss-25')</sCrIpT>",
    "<img src=\"x\" onerror=\"&#97;lert('xss-26')\">",
    "<object data=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgneHNzLTI3Jyk8L3NjcmlwdD4=\"></object>",
    "<embed src=\"javascript:alert('xss-28')\">",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert('xss-29')\">",
    "<base href=\"javascript:alert('xss-30')//\">",
    "<form action=\"javascript:alert('xss-31')\"><button>xss-31</button></form>",
    "<!--<img src=\"--><img src=x onerror=alert('xss-32')//\">",
    "<![CDATA[<script>alert('xss-33')</script>]]>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert('xss-34')>\">",
    "\uff1cscript\uff1ealert('xss-35')\uff1c/script\uff1e",
    "<img src=x onerror=\\u0061lert('xss-36')>",
    "javascript:alert('xss-37')",
    "<template><img src=x onerror=alert('xss-38')></template>",
    "<video><source onerror=alert('xss-39')></video>",
    "\" onmouseover=\"alert('xss-40')\" autofocus onfocus=\"alert('xss-40')\" x=\"",
    "' onmouseover='alert(`xss-41`)' x='",
    "\u2028</script><script>alert('xss-42')</script>\u2029",
    "<link rel=stylesheet href=\"data:text/css,body{display:none}\">xss-43",
    "<marquee onstart=alert('xss-44')>xss-44</marquee>",
]
#: Values of an article's URL: links the pages must never make (or must make inert).
XSS_URLS = [
    "javascript:alert('xss-url-1')",
    "JaVaScRiPt:alert('xss-url-2')",
    " javascript:alert('xss-url-3')",
    "data:text/html,<script>alert('xss-url-4')</script>",
    "https://example.org/\"><script>alert('xss-url-5')</script>",
    "https://example.org/?q=<img src=x onerror=alert('xss-url-6')>",
    "vbscript:msgbox('xss-url-7')",
    "https://example.org/#' onmouseover='alert(`xss-url-8`)' x='",
]
#: One article per URL, about one attack (so they likely make one event), each carrying payloads in its
#: title, outlet and text: together every payload is in a title, an outlet and a text at least once.
XSS_ARTICLES = [
    {
        "id": f"xss-{k}",
        "published": "2025-02-03",
        "url": url,
        "title": f"Gunmen kill nine in Konduga {' '.join(XSS_PAYLOADS[k::len(XSS_URLS)])}",
        "outlet": f"Borno Courier {k} {' '.join(XSS_PAYLOADS[(k + 3) % len(XSS_URLS)::len(XSS_URLS)])}",
        "text": (f"Gunmen killed nine villagers in Konduga, Borno State, on Sunday, police said (report {k}).\n\n"
                 + "\n\n".join(f"A resident posted: {p} and then fled." for p in XSS_PAYLOADS[k::len(XSS_URLS)])
                 + "\n\nThe attackers burned several houses before leaving."),
    }
    for k, url in enumerate(XSS_URLS)
]
#: An event stored as such, whose own fields (actors, place, id, grade reason) carry payloads, so that
#: the map page's list (drawn by the script from the API) has them to show.
XSS_EVENT_ID = "xss-\"><svg onload=alert('xss-id')>"
XSS_EVENT_TEXT = f"Militants attacked Gajiram on Saturday. Witnesses heard {XSS_PAYLOADS[1]} shouted twice."


def _add_xss_event(store: Store) -> None:
    """The event whose fields are payloads, over one article whose four fields are payloads too."""
    article, _ = store.add_article(Article(
        text=XSS_EVENT_TEXT, title=f"Attack on Gajiram {XSS_PAYLOADS[13]}", external_id="xss-event-article",
        outlet=f"Gajiram Post {XSS_PAYLOADS[16]}", url=XSS_URLS[4], published=dt.date(2025, 2, 2),
        language="en", source="xss-event.json"), None)
    actor1 = Actor("militants", f"Militants {XSS_PAYLOADS[2]}", "rebel", None)
    actor2 = Actor("villagers", f"Civilians {XSS_PAYLOADS[9]}", "civilians", None)
    location = Location("Gajiram", f"Gajiram {XSS_PAYLOADS[5]}", 12.49, 13.21, "Nigeria", "NG",
                        f"Borno {XSS_PAYLOADS[17]}", None, None, 1)
    date = DateInfo("on Saturday", "2025-02-01", "day")
    start = XSS_EVENT_TEXT.index("Witnesses")
    report = Report(
        event_type="Violence against civilians", sub_event_type="Attack", confidence=0.9, actor1=actor1,
        actor2=actor2, location=location, date=date, fatalities=Fatalities(2, 2, None, "two", XSS_PAYLOADS[0]),
        claimant=Claimant("witnesses", f"Witnesses {XSS_PAYLOADS[22]}", "unnamed"), modality="reported",
        evidence=[Span(start, len(XSS_EVENT_TEXT), "event")])
    reports = store.add_reports(article.id, [report])  # type: ignore[arg-type]
    store.save_event(Event(
        id=XSS_EVENT_ID, event_type="Violence against civilians", sub_event_type="Attack", actor1=actor1,
        actor2=actor2, location=location, date=date, fatalities=Fatalities(2, 2, None, "two", XSS_PAYLOADS[0]),
        grade="single-source", grade_reason=f"one outlet {XSS_PAYLOADS[18]}", independent_sources=1,
        reports=reports), "new")


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
    (articles / "hostile.jsonl").write_text("".join(json.dumps(a) + "\n" for a in [HOSTILE, *XSS_ARTICLES]),
                                            encoding="utf-8")
    store = Store.open(f"sqlite:///{root / 'conflictwire.db'}")
    summary = Pipeline(store, extractor).ingest(read_inputs([str(articles)]))
    assert summary.errors == []
    _add_xss_event(store)
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
    # one bar per event type the stored events have (which types: the extractor's business)
    assert types == {ev["event_type"] for ev in events if ev["date"] and ev["date"]["value"]} and len(types) >= 2
    assert page.locator("#legend li").count() >= 6
    # every list item is a link to its event page, reachable with the keyboard
    hrefs = page.eval_on_selector_all("#event-list li.event a", "as => as.map(a => a.getAttribute('href'))")
    assert sorted(unquote(h) for h in hrefs) == sorted(f"/events/{ev['id']}" for ev in events)
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
    everything = _all_events(server)
    # an event whose outlets disagree on the death toll (the corpus has several)
    contested = next(ev for ev in everything if len({r["outlet"] for r in ev["reports"]}) > 1
                     and len({r["fatalities"]["best"] for r in ev["reports"] if r["fatalities"]}) > 1)
    place = contested["location"]["name"]
    listed = _all_events(server, q=place)
    page.goto(f"{server}/?q={quote(place)}")
    _wait_list(page, len(listed))
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


# -- the XSS corpus: every payload shown as text, none ever run -------------------------------------

#: Records Content-Security-Policy violations in every page of a context, from before the page's own
#: script runs (Playwright's init scripts are not subject to the page's CSP).
_CSP_LISTENER = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
  e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sample || '')));
"""

#: What a payload parsed as HTML would leave in the page: event handler attributes, javascript:/data:
#: links, frames, objects, refreshes, a <base>, and scripts or styles that are not the page's own files.
_INJECTED = """() => {
  const bad = [];
  for (const node of document.querySelectorAll('*')) {
    for (const attr of node.attributes) {
      const value = attr.value.replace(/[\\s\\u0000-\\u001f]+/g, '').toLowerCase();
      if (attr.name.startsWith('on')) bad.push(`${node.tagName} ${attr.name}`);
      if (['href', 'src', 'action', 'formaction', 'data', 'xlink:href'].includes(attr.name)
          && /^(javascript|vbscript|data:text\\/html)/.test(value)) bad.push(`${node.tagName} ${attr.name}=${value}`);
    }
  }
  for (const sel of ['iframe', 'object', 'embed', 'base', 'meta[http-equiv]', 'marquee', 'details', 'template',
                     'video', 'math', 'noscript', 'textarea', 'style', 'script:not([src^="/static/"])',
                     'link:not([href^="/static/"]):not([rel="icon"])']) {
    for (const node of document.querySelectorAll(sel)) bad.push(`<${node.tagName.toLowerCase()}> (${sel})`);
  }
  // where the untrusted values are shown: the list, the event's fields, its sources (not the map or chart)
  for (const node of document.querySelectorAll(
      '#event-list *, .fields *, .source *, .contradictions *, .history *, .event-title *, .leaflet-popup *')) {
    if (!['A', 'SPAN', 'MARK', 'LI', 'UL', 'P', 'STRONG', 'BR', 'BLOCKQUOTE', 'H3', 'DIV', 'TABLE', 'THEAD',
          'TBODY', 'TR', 'TH', 'TD', 'DL', 'DT', 'DD', 'EM', 'SMALL', 'TIME', 'CODE', 'ABBR'].includes(node.tagName)) {
      bad.push(`<${node.tagName.toLowerCase()}> among the shown values`);
    }
  }
  return bad;
}"""


@pytest.fixture
def xss_pages(browser: Any, server: str) -> Iterator[dict[str, Any]]:
    """Three contexts: as served (CSP on), with the page's CSP ignored (so that escaping alone must hold),
    and without script (the server-rendered list); each records dialogs and CSP violations."""
    contexts = {
        "csp": browser.new_context(viewport={"width": 1280, "height": 900}),
        "no-csp": browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True),
        "no-script": browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=False),
    }
    pages = {}
    for name, context in contexts.items():
        context.add_init_script(_CSP_LISTENER)
        pg = context.new_page()
        pg.set_default_timeout(15_000)
        pg.watch = Watch(pg, server)
        pages[name] = pg
    try:
        yield pages
    finally:
        for context in contexts.values():
            context.close()


def _words(text: str) -> str:
    return " ".join(text.split())


def _settle(page: Any) -> None:
    """Time for an onerror, onload, ontoggle or autofocus handler to fire, were there one."""
    page.wait_for_load_state("load")
    page.wait_for_timeout(250)


def _assert_inert(page: Any, where: str) -> None:
    """Nothing a payload could have made: no dialog, no CSP violation, no injected node, no flag."""
    assert page.evaluate("window.__csp") == [], where
    assert page.evaluate(_INJECTED) == [], where
    assert page.evaluate("window.__pwned") is None, where
    assert page.watch.dialogs == [], where
    assert [e for e in page.watch.errors if "Content Security Policy" in e or "Refused" in e] == [], where
    assert "PWNED" not in page.title(), where


def test_the_xss_corpus_is_shown_as_text_and_never_runs(xss_pages: dict[str, Any], server: str) -> None:
    assert len(set(XSS_PAYLOADS)) >= 30 and len(XSS_URLS) >= 5
    events = _all_events(server)
    by_article: dict[str, set[str]] = {}
    for ev in events:
        for r in ev["reports"]:
            by_article.setdefault(r["article_id"], set()).add(ev["id"])
    missing = [a["id"] for a in XSS_ARTICLES if a["id"] not in by_article]
    assert not missing, f"these articles made no event, so no page shows them: {missing}"
    xss_events = sorted(set().union(*(by_article[a["id"]] for a in XSS_ARTICLES)))
    event_paths = [f"/events/{quote(XSS_EVENT_ID, safe='')}", *(f"/events/{quote(i, safe='')}" for i in xss_events)]

    csp, no_csp, no_script = xss_pages["csp"], xss_pages["no-csp"], xss_pages["no-script"]

    # The map page as served: the script draws the list from the API; the event's payload fields are text.
    csp.goto(f"{server}/")
    _wait_list(csp, len(events))
    _settle(csp)
    item = csp.locator("#event-list li.event").filter(has_text="Gajiram")
    assert item.count() == 1
    shown = item.text_content() or ""
    for payload in (XSS_PAYLOADS[2], XSS_PAYLOADS[9], XSS_PAYLOADS[5]):  # actors and place
        assert payload in shown
    assert unquote(item.locator("a").get_attribute("href") or "") == f"/events/{XSS_EVENT_ID}"
    _assert_inert(csp, "map page")
    # ... and its popup on the map (the event alone: one marker)
    csp.goto(f"{server}/?{urlencode({'q': 'Gajiram'})}")
    _wait_list(csp, 1)
    csp.locator(".leaflet-overlay-pane path.leaflet-interactive").first.click(force=True)
    popup = csp.locator(".leaflet-popup-content")
    popup.wait_for()
    assert XSS_PAYLOADS[5] in (popup.text_content() or "") and XSS_PAYLOADS[2] in (popup.text_content() or "")
    _settle(csp)
    _assert_inert(csp, "map page, the event's popup open")

    # Every event page that shows the corpus: titles, outlets, texts and the event's own fields as text.
    seen = {"title": set(), "outlet": set(), "text": set()}
    for path in event_paths:
        csp.goto(f"{server}{path}")
        _settle(csp)
        titles = " ".join(csp.locator(".source h3").all_text_contents())
        outlets = " ".join(csp.locator(".carried .outlet").all_text_contents())
        texts = " ".join(csp.locator(".article-text").all_text_contents())
        for field, shown_text in (("title", titles), ("outlet", outlets), ("text", texts)):
            # (titles and outlets are stored with their white space collapsed, U+2028 included)
            seen[field].update(p for p in XSS_PAYLOADS if _words(p) in _words(shown_text))
        # a link to an article's URL is only ever http(s), and it is the URL exactly as given
        for href in csp.eval_on_selector_all(".source h3 a", "as => as.map(a => a.getAttribute('href'))"):
            assert href.startswith(("http://", "https://")) and href in XSS_URLS + [a["url"] for a in XSS_ARTICLES]
        _assert_inert(csp, path)
    assert all(p in seen["title"] and p in seen["outlet"] and p in seen["text"] for p in XSS_PAYLOADS), {
        field: [p for p in XSS_PAYLOADS if p not in found] for field, found in seen.items()}
    csp.goto(f"{server}{event_paths[0]}")
    _settle(csp)
    fields, page_text = csp.locator(".fields").text_content() or "", csp.locator("main").text_content() or ""
    assert XSS_PAYLOADS[2] in fields and XSS_PAYLOADS[9] in fields and XSS_PAYLOADS[18] in fields
    assert XSS_EVENT_TEXT in page_text and XSS_PAYLOADS[13] in page_text and XSS_PAYLOADS[16] in page_text
    assert csp.locator(".source h3 a").count() == 1  # the https:// URL links; javascript: and data: never do
    _assert_inert(csp, "the payload event's page")

    # Without the CSP, escaping alone must hold: nothing runs on the same pages.
    no_csp.goto(f"{server}/")
    _wait_list(no_csp, len(events))
    _settle(no_csp)
    _assert_inert(no_csp, "map page without CSP")
    for path in event_paths:
        no_csp.goto(f"{server}{path}")
        _settle(no_csp)
        _assert_inert(no_csp, f"{path} without CSP")

    # Without script, the server-rendered list quotes the evidence (a payload) and names the actors.
    no_script.goto(f"{server}/")
    no_script.wait_for_load_state("load")
    item = no_script.locator("#event-list li.event").filter(has_text="Gajiram")
    shown = item.text_content() or ""
    assert XSS_PAYLOADS[1] in shown and XSS_PAYLOADS[2] in shown and XSS_EVENT_ID in shown
    assert no_script.locator("#event-list img, #event-list svg, #event-list script").count() == 0
    assert no_script.watch.dialogs == []

    # The listeners work: a blocked inline script is reported, and a dialog is seen.
    csp.evaluate("() => { const s = document.createElement('script'); s.textContent = 'window.__ran = 1';"
                 " document.body.appendChild(s); }")
    csp.wait_for_function("() => window.__csp.length > 0")
    assert csp.evaluate("window.__ran") is None
    no_csp.evaluate("() => alert('control')")
    assert no_csp.watch.dialogs == ["control"]
