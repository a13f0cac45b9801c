"""The HTTP API and the page, with FastAPI's TestClient, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from store_records import make_article, make_event, make_report

from conflictwire.api import create_app
from conflictwire.model import Article, Span
from conflictwire.store import Store

TOKEN = "s3cret-token"
XSS = "<script>alert(1)</script>"


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """A store with three events: two dated, one with a hostile article text."""
    st = Store.open(db_url)
    for n, day in ((1, 17), (2, 18)):
        article, _ = st.add_article(make_article(n), None)
        reports = st.add_reports(article.id, [make_report(day=day)])  # type: ignore[arg-type]
        st.save_event(make_event(f"ev-{n}", reports, day=day, sources=n,
                                 grade="corroborated" if n == 2 else "single-source"), "new")
    hostile_text = f"Witnesses said {XSS} and \"quotes\" & more after the strike."
    article, _ = st.add_article(make_article(3, text=hostile_text, title=f"Title {XSS}"), None)
    report = make_report(day=19)
    report.evidence = [Span(0, len(hostile_text))]
    reports = st.add_reports(article.id, [report])  # type: ignore[arg-type]
    st.save_event(make_event("ev-<3>", reports, day=19, actor=f"Group {XSS}"), "new")
    yield st
    st.close()


class Recorder:
    """An ingest_fn that records what it was given."""

    def __init__(self) -> None:
        self.calls: list[list[Article]] = []

    def __call__(self, articles: list[Article]) -> dict[str, Any]:
        self.calls.append(articles)
        return {"articles": len(articles), "events": 0}


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def client(store: Store, recorder: Recorder) -> TestClient:
    """A client of an app with a write token and a recording ingest_fn."""
    return TestClient(create_app(store, token=TOKEN, ingest_fn=recorder), raise_server_exceptions=False)


def _assert_error(response: Any, status: int, code: str) -> None:
    """The response is the JSON error object with this status and code."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"]["code"] == code and isinstance(body["error"]["message"], str)
    assert "Traceback" not in response.text


def test_list_events_newest_first(client: TestClient) -> None:
    response = client.get("/api/events")
    assert response.status_code == 200
    body = response.json()
    assert [ev["id"] for ev in body["events"]] == ["ev-<3>", "ev-2", "ev-1"] and body["next"] is None
    assert body["events"][1]["reports"][0]["article_id"] == "ext-2"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("grade=corroborated", ["ev-2"]),
        ("min_sources=2", ["ev-2"]),
        ("date_from=2024-10-18&date_to=2024-10-18", ["ev-2"]),
        ("actor=group", ["ev-<3>"]),
        ("country_code=sy&bbox=36,35,37,36", ["ev-<3>", "ev-2", "ev-1"]),
        ("bbox=0,0,1,1", []),
        ("event_type=Protests", []),
    ],
)
def test_list_events_filters(client: TestClient, query: str, expected: list[str]) -> None:
    response = client.get(f"/api/events?{query}")
    assert response.status_code == 200, response.text
    assert [ev["id"] for ev in response.json()["events"]] == expected


def test_list_events_pagination(client: TestClient) -> None:
    first = client.get("/api/events", params={"limit": 2}).json()
    assert len(first["events"]) == 2 and first["next"]
    second = client.get("/api/events", params={"limit": 2, "cursor": first["next"]}).json()
    assert [ev["id"] for ev in first["events"] + second["events"]] == ["ev-<3>", "ev-2", "ev-1"]
    assert second["next"] is None


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/api/events?cursor=not-a-cursor", 400, "invalid_cursor"),
        ("/api/events?bbox=1,2,3", 400, "invalid_query"),
        ("/api/events?bbox=0,50,1,40", 400, "invalid_query"),
        ("/api/events?limit=0", 422, "invalid_request"),
        ("/api/events?date_from=yesterday", 422, "invalid_request"),
        ("/api/events/no-such-event", 404, "not_found"),
        ("/api/articles/no-such-article", 404, "not_found"),
        ("/api/nowhere", 404, "not_found"),
        ("/events/no-such-event", 404, "not_found"),
    ],
)
def test_errors_are_json(client: TestClient, path: str, status: int, code: str) -> None:
    _assert_error(client.get(path), status, code)


def test_event_detail_has_reports_sources_and_versions(client: TestClient, store: Store) -> None:
    ev = store.get_event("ev-2")
    assert ev is not None
    store.save_event(make_event("ev-2", ev.reports, day=18, sources=2, grade="corroborated", fatalities=5), "update")
    body = client.get("/api/events/ev-2").json()
    assert body["id"] == "ev-2" and body["version"] == 2 and len(body["reports"]) == 1
    assert body["sources"][0]["article_id"] == "ext-2" and body["sources"][0]["title"] == "Shelling in town 2"
    assert body["sources"][0]["claimants"] == [{"text": "the outlet", "name": "Outlet", "kind": "outlet"}]
    assert [(v["version"], v["reason"]) for v in body["versions"]] == [(1, "new"), (2, "update")]
    # An id with characters that need quoting in a URL.
    assert client.get("/api/events/ev-%3C3%3E").json()["id"] == "ev-<3>"


def test_article_by_external_and_store_id(client: TestClient, store: Store) -> None:
    body = client.get("/api/articles/ext-1").json()
    assert body["id"] == "ext-1" and body["title"] == "Shelling in town 1" and "source" not in body
    assert body["reports"][0]["event_id"] == "ev-1"
    assert client.get(f"/api/articles/{body['store_id']}").json()["id"] == "ext-1"


def test_changes_feed(client: TestClient) -> None:
    all_changes = client.get("/api/changes").json()["changes"]
    assert [c["event_id"] for c in all_changes] == ["ev-1", "ev-2", "ev-<3>"]
    later = client.get("/api/changes", params={"since": all_changes[0]["changed_at"]}).json()["changes"]
    assert [c["event_id"] for c in later] == ["ev-2", "ev-<3>"]
    _assert_error(client.get("/api/changes?since=soon"), 422, "invalid_request")
    first = client.get("/api/changes", params={"limit": 1}).json()
    assert [c["event_id"] for c in first["changes"]] == ["ev-1"] and first["next"] == first["changes"][0]["change_id"]
    rest = client.get("/api/changes", params={"after": first["next"]}).json()
    assert [c["event_id"] for c in rest["changes"]] == ["ev-2", "ev-<3>"]
    assert client.get("/api/changes", params={"after": rest["next"]}).json() == {"changes": [], "next": rest["next"]}
    _assert_error(client.get("/api/changes?after=-1"), 422, "invalid_request")


ARTICLE = {"id": "post-1", "text": "Shelling hit the town.", "title": "T", "published": "2024-10-17",
           "url": "https://example.org/p", "outlet": "Example"}


def test_post_without_configured_token_is_forbidden(store: Store, recorder: Recorder) -> None:
    client = TestClient(create_app(store, token=None, ingest_fn=recorder))
    _assert_error(client.post("/api/articles", json=ARTICLE), 403, "writes_disabled")
    _assert_error(client.post("/api/articles", json=ARTICLE, headers={"Authorization": "Bearer "}),
                  403, "writes_disabled")
    assert recorder.calls == []


@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Basic {TOKEN}", TOKEN])
def test_post_with_missing_or_wrong_token_is_unauthorized(client: TestClient, recorder: Recorder,
                                                          header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    response = client.post("/api/articles", json=ARTICLE, headers=headers)
    _assert_error(response, 401, "unauthorized")
    assert response.headers["www-authenticate"] == "Bearer"
    _assert_error(client.post("/api/articles", json={"bad": 1}, headers=headers), 401, "unauthorized")
    assert recorder.calls == []


def test_post_with_token_calls_ingest(client: TestClient, recorder: Recorder) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    response = client.post("/api/articles", json=ARTICLE, headers=auth)
    assert response.status_code == 200, response.text
    assert response.json() == {"accepted": 1, "result": {"articles": 1, "events": 0}}
    posted = recorder.calls[0][0]
    assert (posted.external_id, posted.text, posted.outlet, posted.published.isoformat()) == (  # type: ignore[union-attr]
        "post-1", "Shelling hit the town.", "Example", "2024-10-17")
    many = client.post("/api/articles", json=[ARTICLE, {**ARTICLE, "id": "post-2"}], headers=auth)
    assert many.json()["accepted"] == 2 and len(recorder.calls[1]) == 2
    _assert_error(client.post("/api/articles", json={"id": "x", "text": ""}, headers=auth), 422, "invalid_request")
    _assert_error(client.post("/api/articles", json=[], headers=auth), 422, "invalid_request")


def test_ingest_failure_is_an_error_entry_without_trace(store: Store, caplog: pytest.LogCaptureFixture) -> None:
    def broken(_: list[Article]) -> dict[str, Any]:
        raise RuntimeError("secret internals /etc/passwd")

    client = TestClient(create_app(store, token=TOKEN, ingest_fn=broken), raise_server_exceptions=False)
    response = client.post("/api/articles", json=ARTICLE, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text
    errors = response.json()["result"]["errors"]
    assert len(errors) == 1 and errors[0].startswith("api:post-1: internal-error: ")
    assert "secret" not in response.text and "Traceback" not in response.text
    assert "secret internals" in caplog.text  # the server log has the details


def test_post_without_ingest_pipeline_is_unavailable(store: Store) -> None:
    client = TestClient(create_app(store, token=TOKEN))
    response = client.post("/api/articles", json=ARTICLE, headers={"Authorization": f"Bearer {TOKEN}"})
    _assert_error(response, 503, "ingest_unavailable")


def test_openapi_document(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    assert {"/api/events", "/api/events/{event_id}", "/api/articles/{article_id}", "/api/changes",
            "/api/articles"} <= set(doc["paths"])
    assert "post" in doc["paths"]["/api/articles"]


def _no_inline_script(page: str) -> bool:
    """Every script tag of the page loads a file from /static (no inline script)."""
    tags = re.findall(r"<script[^>]*>", page, flags=re.IGNORECASE)
    return all(re.fullmatch(r'<script src="/static/[^"<>]+" defer>', tag) for tag in tags)


def test_page_lists_events_and_escapes_article_text(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self';" in csp and "unsafe" not in csp
    page = response.text
    assert XSS not in page and _no_inline_script(page)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # the article text, shown but inert
    assert "Group &lt;script&gt;" in page  # the actor name, too
    assert "&quot;quotes&quot; &amp; more" in page
    assert 'href="/events/ev-%3C3%3E"' in page and "ev-1" in page and "ev-2" in page


def test_page_next_link_keeps_filters(client: TestClient) -> None:
    page = client.get("/", params={"limit": 1, "grade": "single-source"}).text
    assert "grade=single-source" in page and "cursor=" in page and "Next page" in page


def test_event_page_escapes_evidence_and_title(client: TestClient) -> None:
    response = client.get("/events/ev-%3C3%3E")
    assert response.status_code == 200
    page = response.text
    assert XSS not in page and _no_inline_script(page)
    assert ">Witnesses said &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert '<mark class="f-event" title="evidence for: event" data-field="event">Witnesses said' in page
    assert "Title &lt;script&gt;alert(1)&lt;/script&gt;" in page
