"""What the API accepts, said exactly by its OpenAPI document, and what one bad input may cost.

- every query parameter's bad value is a 400/422 JSON error whose message names the parameter; dates
  take ``YYYY-MM-DD`` only (a bare number such as 12345 is no date, never a Unix time);
- the OpenAPI document gives each parameter's format, pattern and range;
- a request body over ``conflictwire.ingest.DEFAULT_MAX_BYTES`` is refused with 413 before it is read;
- one posted article the pipeline fails on is an error entry naming it, and the others are stored.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from store_records import make_article, make_event, make_report

import conflictwire.api.app as app_module
from conflictwire.api import ArticleIn, create_app
from conflictwire.ingest import DEFAULT_MAX_BYTES
from conflictwire.model import Article
from conflictwire.store import Store, StoreError

TOKEN = "write-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    st = Store.open(f"sqlite:///{tmp_path_factory.mktemp('limits') / 'conflictwire.db'}")
    for n, day in ((1, 17), (2, 18)):
        article, _ = st.add_article(make_article(n), None)
        reports = st.add_reports(article.id, [make_report(day=day)])  # type: ignore[arg-type]
        st.save_event(make_event(f"ev-{n}", reports, day=day, sources=n), "new")
    yield st
    st.close()


@pytest.fixture(scope="module")
def client(store: Store) -> TestClient:
    return TestClient(create_app(store, token=TOKEN), raise_server_exceptions=False)


def _error(response: Any, status: int, code: str | None = None) -> str:
    """The message of a JSON error response with this status (and code)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    if code:
        assert body["error"]["code"] == code
    assert "Traceback" not in response.text
    return str(body["error"]["message"])


# -- bad query values: 400 or 422, the parameter named -------------------------------------------

BAD = [
    # dates: YYYY-MM-DD only; a number is never read as a Unix time
    ("/api/events", "date_from", "12345", 422),
    ("/api/events", "date_from", "0", 422),
    ("/api/events", "date_from", "1700000000", 422),
    ("/api/events", "date_to", "20240101", 422),
    ("/api/events", "date_from", "2024-1-5", 422),
    ("/api/events", "date_from", "2024-10-17T00:00:00", 422),
    ("/api/events", "date_from", " 2024-10-17", 422),
    ("/api/events", "date_to", "2024-02-30", 422),
    ("/api/events", "date_to", "yesterday", 422),
    ("/api/export", "date_from", "12345", 422),
    ("/", "date_to", "12345", 422),
    ("/api/changes", "since", "12345", 422),
    ("/api/changes", "since", "0", 422),
    ("/api/changes", "since", "1700000000.5", 422),
    ("/api/changes", "since", "2024-10-17T25:00", 422),
    ("/api/changes", "since", "2024-10-17T09:30+0500", 422),
    ("/api/changes", "since", "2024-W42-1", 422),
    ("/api/changes", "since", "soon", 422),
    ("/api/changes", "since", "", 422),
    # bbox: four numbers in range, min_lat not above max_lat
    ("/api/events", "bbox", "1,2,3", 400),
    ("/api/events", "bbox", "a,b,c,d", 400),
    ("/api/events", "bbox", "1,2,3,4,5", 400),
    ("/api/events", "bbox", "0,50,1,40", 400),
    ("/api/events", "bbox", "200,0,210,1", 400),
    ("/api/events", "bbox", "0,-95,1,0", 400),
    ("/api/events", "bbox", "1_0,0,20,1", 400),
    ("/api/events", "bbox", "nan,0,1,1", 400),
    ("/api/events", "bbox", "0,0,1," + "1" * 300, 422),
    ("/api/export", "bbox", "1,2,3", 400),
    # the cursor: opaque, from this API only
    ("/api/events", "cursor", "!!!", 400),
    ("/api/events", "cursor", "x" * 1001, 422),
    # numbers and choices
    ("/api/events", "limit", "0", 422),
    ("/api/events", "limit", "1001", 422),
    ("/api/events", "limit", "1.5", 422),
    ("/api/events", "limit", "", 422),
    ("/api/events", "min_sources", "-1", 422),
    ("/api/events", "min_sources", "many", 422),
    ("/api/events", "sort", "random", 422),
    ("/api/events", "reports", "maybe", 422),
    ("/api/export", "format", "xml", 422),
    ("/api/changes", "after", "-1", 422),
    ("/api/changes", "limit", "10001", 422),
    # texts
    ("/api/events", "q", "a\x00b", 400),
    ("/api/events", "country_code", "x" * 9, 422),
    ("/api/events", "actor", "x" * 201, 422),
]


@pytest.mark.parametrize(("path", "name", "value", "status"), BAD,
                         ids=[f"{p}-{n}={v[:20]!r}" for p, n, v, _ in BAD])
def test_a_bad_value_is_refused_naming_its_parameter(client: TestClient, path: str, name: str, value: str,
                                                    status: int) -> None:
    message = _error(client.get(path, params={name: value}), status)
    assert re.search(rf"\b{name}\b", message), message
    if len(value) > 3:
        assert value not in message  # the message says what is wanted without echoing the value


GOOD = [
    ("/api/events", {"date_from": "2024-10-17", "date_to": "2024-10-17"}, ["ev-1"]),
    ("/api/events", {"bbox": "36,35,37,36"}, ["ev-2", "ev-1"]),
    ("/api/events", {"bbox": " 36 , 35 , 37 , 36 "}, ["ev-2", "ev-1"]),
    ("/api/events", {"bbox": "3.6e1,35,37,36"}, ["ev-2", "ev-1"]),
    ("/api/events", {"bbox": "-180,-90,180,90"}, ["ev-2", "ev-1"]),
    ("/api/events", {"bbox": "170,-20,-170,-10"}, []),  # across the antimeridian
    # the page's form sends its empty fields: empty is no filter
    ("/api/events", {"date_from": "", "date_to": "", "bbox": "", "min_sources": "", "cursor": "", "q": "",
                     "country_code": "", "grade": "", "event_type": "", "actor": ""}, ["ev-2", "ev-1"]),
    ("/api/events", {"min_sources": "2"}, ["ev-2"]),
]


@pytest.mark.parametrize(("path", "params", "ids"), GOOD)
def test_good_values_are_taken(client: TestClient, path: str, params: dict[str, str], ids: list[str]) -> None:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    assert [ev["id"] for ev in response.json()["events"]] == ids


@pytest.mark.parametrize("since", ["2024-10-17", "2024-10-17T09:30", "2024-10-17T09:30:00Z",
                                   "2024-10-17T09:30:00.123456789+05:30", "2024-10-17 09:30:00",
                                   "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"])
def test_since_takes_dates_and_times(client: TestClient, since: str) -> None:
    assert client.get("/api/changes", params={"since": since}).status_code == 200


def test_the_page_takes_its_own_empty_form(client: TestClient) -> None:
    empty = {name: "" for name in ("date_from", "date_to", "event_type", "sub_event_type", "country_code",
                                   "grade", "min_sources", "actor", "q", "sort")}
    response = client.get("/", params=empty)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")


# -- the OpenAPI document says it --------------------------------------------------------------


def _parameters(doc: dict[str, Any], path: str) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in doc["paths"][path]["get"]["parameters"]}


def _string_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The non-empty string form of a parameter's schema (filters also take the empty string)."""
    forms = schema.get("anyOf", [schema])
    return next(f for f in forms if f.get("type") == "string" and f.get("maxLength") != 0)


def test_the_openapi_document_says_what_each_parameter_takes(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    events = _parameters(doc, "/api/events")
    for name in ("date_from", "date_to"):
        schema = _string_schema(events[name]["schema"])
        assert schema["format"] == "date" and schema["pattern"] == app_module.DATE_PATTERN
        assert re.fullmatch(schema["pattern"], "2024-10-17") and not re.fullmatch(schema["pattern"], "12345")
        assert "YYYY-MM-DD" in events[name]["description"]
    since = _parameters(doc, "/api/changes")["since"]
    assert since["schema"]["format"] == "date-time" and since["schema"]["pattern"] == app_module.DATETIME_PATTERN
    assert not re.fullmatch(since["schema"]["pattern"], "12345")
    assert re.fullmatch(since["schema"]["pattern"], "2024-10-17T09:30:00+05:30")
    bbox = events["bbox"]
    assert re.fullmatch(bbox["schema"]["pattern"], "36,35,37,36.5")
    assert not re.fullmatch(bbox["schema"]["pattern"], "1,2,3")
    assert "min_lon,min_lat,max_lon,max_lat" in bbox["description"]
    assert "-180 to 180" in bbox["description"] and "-90 to 90" in bbox["description"]
    assert "opaque" in events["cursor"]["description"] and events["cursor"]["schema"]["maxLength"] == 1000
    assert (events["limit"]["schema"]["minimum"], events["limit"]["schema"]["maximum"]) == (1, 1000)
    assert set(events["sort"]["schema"]["enum"]) == {"date_desc", "date_asc", "fatalities_desc", "sources_desc"}
    # every query parameter of every read says what it is
    for path, operations in doc["paths"].items():
        for parameter in operations.get("get", {}).get("parameters", []):
            assert parameter.get("description"), (path, parameter["name"])
    # how a token is given, and the body's limits
    assert set(doc["components"]["securitySchemes"]) == {"bearer", "token", "cookie"}
    post = doc["paths"]["/api/articles"]["post"]
    assert post["security"] == [{"bearer": []}] and "413" in post["responses"]
    assert f"{DEFAULT_MAX_BYTES:,}" in post["requestBody"]["content"]["application/json"]["schema"]["description"]
    published = doc["components"]["schemas"]["ArticleIn"]["properties"]["published"]
    assert {"type": "string", "format": "date", "pattern": app_module.DATE_PATTERN} in published["anyOf"]


def test_reads_document_the_read_token_when_there_is_one(store: Store) -> None:
    doc = TestClient(create_app(store, read_token="r")).get("/openapi.json").json()
    assert doc["paths"]["/api/events"]["get"]["security"] == [{"bearer": []}, {"token": []}, {"cookie": []}]


# -- request bodies: one shared limit, refused before they are read ------------------------------


class Recorder:
    """An ingest_fn that records what it was given."""

    def __init__(self) -> None:
        self.calls: list[list[Article]] = []

    def __call__(self, articles: list[Article]) -> dict[str, Any]:
        self.calls.append(articles)
        return {"articles_seen": len(articles), "articles_new": len(articles), "errors": []}


def test_the_body_limit_is_the_ingest_limit() -> None:
    assert app_module.MAX_BODY_BYTES == DEFAULT_MAX_BYTES
    assert ArticleIn.model_fields["text"].metadata[-1].max_length == DEFAULT_MAX_BYTES  # type: ignore[union-attr]


@pytest.fixture
def small_limit(store: Store, monkeypatch: pytest.MonkeyPatch) -> tuple[TestClient, Recorder]:
    """A client of an app whose body limit is 2,000 bytes."""
    monkeypatch.setattr(app_module, "MAX_BODY_BYTES", 2000)
    recorder = Recorder()
    return TestClient(create_app(store, token=TOKEN, ingest_fn=recorder), raise_server_exceptions=False), recorder


def _chunks(data: bytes, size: int = 256) -> Iterator[bytes]:
    """The body sent in pieces, without a Content-Length (chunked)."""
    for start in range(0, len(data), size):
        yield data[start:start + size]


def test_a_body_over_the_limit_is_refused_with_413(small_limit: tuple[TestClient, Recorder]) -> None:
    client, recorder = small_limit
    big = b'{"id": "big", "text": "' + b"x" * 5000 + b'"}'
    headers = {**AUTH, "Content-Type": "application/json"}
    # declared too large: refused from the header, before anything is read
    message = _error(client.post("/api/articles", content=big, headers=headers), 413, "too_large")
    assert "2,000 bytes" in message
    # no length declared: refused once more than the limit has arrived
    response = client.post("/api/articles", content=_chunks(big), headers=headers)
    assert response.request.headers.get("transfer-encoding") == "chunked"
    _error(response, 413, "too_large")
    # before the token is even looked at
    _error(client.post("/api/articles", content=big, headers={"Content-Type": "application/json"}), 413, "too_large")
    assert recorder.calls == []
    # within the limit, streamed or not, the body arrives whole
    small = b'{"id": "small", "text": "' + b"y" * 1500 + b'"}'
    for content in (small, _chunks(small, 100)):
        response = client.post("/api/articles", content=content, headers=headers)
        assert response.status_code == 200, response.text
    assert [len(call[0].text) for call in recorder.calls] == [1500, 1500]


def test_a_text_over_the_article_limit_is_refused_alone(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    import conflictwire.ingest.base as ingest_base
    from conflictwire.limits import MAX_ARTICLE_CHARS

    assert ingest_base.MAX_ARTICLE_CHARS == MAX_ARTICLE_CHARS  # the readers' limit, which the API applies
    monkeypatch.setattr(ingest_base, "MAX_ARTICLE_CHARS", 100)
    recorder = Recorder()
    client = TestClient(create_app(store, token=TOKEN, ingest_fn=recorder), raise_server_exceptions=False)
    posted = [{"id": "short-1", "text": "x" * 100}, {"id": "long", "text": "y" * 101}, {"text": "z" * 101},
              {"id": "short-2", "text": "w" * 50}]
    response = client.post("/api/articles", json=posted, headers=AUTH)
    assert response.status_code == 200, response.text
    result = response.json()["result"]
    assert [a.external_id for a in recorder.calls[0]] == ["short-1", "short-2"]
    assert result["articles_new"] == 2
    assert [e.split(": ")[:2] for e in result["errors"]] == [["api:long", "too-large"], ["api:[2]", "too-large"]]
    assert "100-character limit" in result["errors"][0]
    # all of them too long: nothing to ingest, each named
    response = client.post("/api/articles", json={"id": "long", "text": "y" * 101}, headers=AUTH)
    assert response.status_code == 200 and len(recorder.calls) == 1
    assert response.json()["result"]["errors"][0].startswith("api:long: too-large: ")


def test_a_bad_content_length_is_a_json_error(small_limit: tuple[TestClient, Recorder]) -> None:
    client, _ = small_limit
    response = client.post("/api/articles", content=b"{}", headers={**AUTH, "Content-Length": "-5"})
    assert response.status_code in (400, 413, 422) and response.json()["error"]["code"]


@pytest.mark.parametrize(("body", "where"), [
    ({"id": "x", "text": "Shelling.", "published": 12345}, "body.published"),
    ({"id": "x", "text": "Shelling.", "published": "12345"}, "body.published"),
    ({"id": "x", "text": "Shelling.", "published": "0"}, "body.published"),
    ([{"id": "x", "text": "Shelling."}, {"id": "y"}], "body[1].text"),
    ([], "body"),
    ([{"text": "a"}] * 1001, "body"),
    (5, "body"),
])
def test_a_bad_body_names_the_field(store: Store, body: Any, where: str) -> None:
    recorder = Recorder()
    client = TestClient(create_app(store, token=TOKEN, ingest_fn=recorder), raise_server_exceptions=False)
    message = _error(client.post("/api/articles", json=body, headers=AUTH), 422, "invalid_request")
    assert message.startswith(f"{where}:") and "ArticleIn" not in message, message
    assert recorder.calls == []


def test_a_body_that_is_no_json_is_a_422(client: TestClient) -> None:
    message = _error(client.post("/api/articles", content=b"{nope", headers={**AUTH, "Content-Type": "application/json"}),
                     422, "invalid_request")
    assert message.startswith("body: not valid JSON")


# -- one article the pipeline fails on costs no other ---------------------------------------------


class Flaky:
    """An ingest_fn that stores each article in turn and fails on any whose text says 'boom'."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.calls: list[list[str | None]] = []

    def __call__(self, articles: list[Article]) -> dict[str, Any]:
        self.calls.append([a.source for a in articles])
        summary: dict[str, Any] = {"articles_seen": 0, "articles_new": 0, "articles_duplicate": 0, "reports": 0,
                                   "events_changed": 0, "errors": []}
        for article in articles:
            if "boom" in article.text:
                raise RuntimeError(f"the parser fell over on {article.source}")
            _, created = self.store.add_article(article, None)
            summary["articles_seen"] += 1
            summary["articles_new" if created else "articles_duplicate"] += 1
        return summary


def test_an_article_the_pipeline_fails_on_costs_no_other(db_url: str, caplog: pytest.LogCaptureFixture) -> None:
    store = Store.open(db_url)
    try:
        flaky = Flaky(store)
        client = TestClient(create_app(store, token=TOKEN, ingest_fn=flaky), raise_server_exceptions=False)
        posted = [
            {"id": "good-1", "text": "Shelling hit the town of Kafr 1."},
            {"id": "bad-2", "text": "Shelling, boom."},
            {"id": "good-3", "text": "Shelling hit the town of Kafr 3."},
            {"text": "Shelling hit the town of Kafr 4."},
            {"text": "Another boom."},
        ]
        response = client.post("/api/articles", json=posted, headers=AUTH)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["accepted"] == 5
        result = body["result"]
        # good-1, stored by the call that failed, counts once and is not ingested again
        assert (result["articles_seen"], result["articles_new"], result["articles_duplicate"]) == (3, 3, 0)
        assert [e.split(": ")[:2] for e in result["errors"]] == [["api:bad-2", "internal-error"],
                                                                 ["api:[4]", "internal-error"]]
        assert "fell over" not in response.text  # the details are in the log only
        assert "api:bad-2" in caplog.text and "the parser fell over on api:[4]" in caplog.text
        assert flaky.calls[0] == ["api:good-1", "api:bad-2", "api:good-3", "api:[3]", "api:[4]"]
        assert flaky.calls[1:] == [["api:bad-2"], ["api:good-3"], ["api:[3]"], ["api:[4]"]]
        assert {a.external_id for a in store.get_articles(range(1, 20)).values()} == {"good-1", "good-3", None}
    finally:
        store.close()


def test_a_database_that_is_down_is_a_503_not_an_article_error(store: Store) -> None:
    def down(_: list[Article]) -> dict[str, Any]:
        raise StoreError("connection refused")

    client = TestClient(create_app(store, token=TOKEN, ingest_fn=down), raise_server_exceptions=False)
    _error(client.post("/api/articles", json=[{"text": "a"}, {"text": "b"}], headers=AUTH), 503, "database_error")


def test_the_real_pipeline_keeps_the_good_articles(tmp_path: Any, extractor: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The pipeline the server runs (cli._api_ingest), with an extractor that fails on one article."""
    from conflictwire.cli import _api_ingest
    from conflictwire.extract import Extractor

    real = Extractor.extract_doc

    def extract_doc(self: Any, doc: Any, *args: Any, **kwargs: Any) -> Any:
        if "BOOM" in doc.text:
            raise ValueError("an extractor bug")
        return real(self, doc, *args, **kwargs)

    monkeypatch.setattr(Extractor, "extract_doc", extract_doc)
    store = Store.open(f"sqlite:///{tmp_path / 'conflictwire.db'}")
    try:
        client = TestClient(create_app(store, token=TOKEN, ingest_fn=_api_ingest(store)), raise_server_exceptions=False)
        posted = [
            {"id": "kharkiv", "published": "2025-03-04", "outlet": "Meridian",
             "text": "A Russian missile struck an industrial site in Kharkiv on Monday, killing two workers, "
                     "regional officials said."},
            {"id": "broken", "published": "2025-03-04", "text": "BOOM. Shelling hit Kharkiv on Monday."},
            {"id": "kajuru", "published": "2025-02-04", "outlet": "Kaduna Ledger",
             "text": "Gunmen killed seven villagers in Kajuru, Kaduna State, on Monday, police said."},
        ]
        response = client.post("/api/articles", json=posted, headers=AUTH)
        assert response.status_code == 200, response.text
        result = response.json()["result"]
        assert result["articles_new"] == 2 and result["events_changed"] >= 2
        assert len(result["errors"]) == 1 and result["errors"][0].startswith("api:broken: ")
        assert "internal-error" in result["errors"][0]
        assert client.get("/api/articles/kharkiv").status_code == 200
        assert client.get("/api/articles/kajuru").json()["reports"]
        assert client.get("/api/articles/broken").status_code == 404
    finally:
        store.close()
