"""The analysts' API: filters, sorts with cursor paging, exports, read tokens and error JSON.

Every test runs on SQLite and on a real PostgreSQL (``module_db_url``), over one store of 45 events
made so that sort keys tie, are missing (undated events, unknown fatalities) and filters overlap.
"""

from __future__ import annotations

import base64
import csv
import dataclasses
import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from store_records import make_article, make_event, make_report

from conflictwire.api import app as app_module
from conflictwire.api import create_app
from conflictwire.export import ACLED_COLUMNS
from conflictwire.store import SORTS, Store

N = 45
COUNTRIES = ("SY", "UA", "ML")
ADMIN1 = {"SY": "Idlib", "UA": "Donetsk", "ML": "Gao"}
WRITE, READ = "write-token-1", "read-token-2"


def spec(i: int) -> dict[str, Any]:
    """The fields of event number ``i`` (ids zero-padded so every collation orders them alike)."""
    cc = COUNTRIES[i % 3]
    sources = 1 + i % 4
    return {
        "id": f"ev-{i:03d}",
        "day": None if i % 7 == 0 else 1 + i % 12,  # undated ones, and many events a day
        "fatalities": None if i % 5 == 0 else i % 6,
        "sources": sources,
        "grade": "corroborated" if sources >= 2 else "single-source",
        "country_code": cc,
        "admin1": ADMIN1[cc],
        "actor": f"Armed Group {i % 4}" if i % 2 else "Military Forces of Syria",
    }


SPECS = [spec(i) for i in range(N)]


@pytest.fixture(scope="module")
def store(module_db_url: str) -> Iterator[Store]:
    st = Store.open(module_db_url)
    for i, sp in enumerate(SPECS):
        article, _ = st.add_article(make_article(100 + i), None)
        reports = st.add_reports(article.id, [make_report(day=sp["day"] or 17)])  # type: ignore[arg-type]
        event = make_event(sp["id"], reports, day=sp["day"], sources=sp["sources"], grade=sp["grade"],
                           country_code=sp["country_code"], actor=sp["actor"], fatalities=sp["fatalities"])
        assert event.location is not None
        event = dataclasses.replace(event, location=dataclasses.replace(event.location, admin1=sp["admin1"]))
        st.save_event(event, "new")
    yield st
    st.close()


@pytest.fixture(scope="module")
def client(store: Store) -> TestClient:
    return TestClient(create_app(store, token=WRITE), raise_server_exceptions=False)


def _ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [ev["id"] for ev in response.json()["events"]]


def _assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"} and isinstance(body["error"]["message"], str) and body["error"]["message"]
    if code:
        assert body["error"]["code"] == code
    assert "Traceback" not in response.text
    return body["error"]


_SORT_KEY = {"date_desc": "day", "date_asc": "day", "fatalities_desc": "fatalities", "sources_desc": "sources"}


def expected_order(sort: str, specs: list[dict[str, Any]] = SPECS) -> list[str]:
    """The documented order: keyed rows by key (ties by id, ascending for descending sorts and
    descending for ascending ones), then rows without a key by id."""
    key = _SORT_KEY[sort]
    keyed = [s for s in specs if s[key] is not None]
    unkeyed = sorted((s for s in specs if s[key] is None), key=lambda s: s["id"])
    if SORTS[sort].descending:
        keyed.sort(key=lambda s: s["id"])
        keyed.sort(key=lambda s: s[key], reverse=True)
    else:
        keyed.sort(key=lambda s: s["id"], reverse=True)
        keyed.sort(key=lambda s: s[key])
    return [s["id"] for s in keyed + unkeyed]


def _page_through(client: TestClient, params: dict[str, Any]) -> list[str]:
    seen: list[str] = []
    cursor = None
    for _ in range(N + 2):
        response = client.get("/api/events", params={**params, **({"cursor": cursor} if cursor else {})})
        seen.extend(_ids(response))
        cursor = response.json()["next"]
        if cursor is None:
            return seen
    raise AssertionError("paging did not end")


@pytest.mark.parametrize("sort", sorted(SORTS))
@pytest.mark.parametrize("limit", [1, 4, 7, 1000])
def test_sorts_page_through_everything_in_order(client: TestClient, sort: str, limit: int) -> None:
    seen = _page_through(client, {"sort": sort, "limit": limit})
    assert len(seen) == len(set(seen)) == N  # no duplicates, no gaps
    assert seen == expected_order(sort)


def test_default_sort_is_date_desc(client: TestClient) -> None:
    assert _ids(client.get("/api/events")) == expected_order("date_desc")


@pytest.mark.parametrize("sort", ["fatalities_desc", "date_asc"])
def test_filtered_sort_pages(client: TestClient, sort: str) -> None:
    seen = _page_through(client, {"sort": sort, "limit": 3, "country_code": "sy"})
    assert seen == expected_order(sort, [s for s in SPECS if s["country_code"] == "SY"])


def test_events_without_reports_are_the_same_events_lighter(client: TestClient) -> None:
    full = client.get("/api/events", params={"limit": 5}).json()
    light = client.get("/api/events", params={"limit": 5, "reports": "false"}).json()
    assert [e["id"] for e in light["events"]] == [e["id"] for e in full["events"]] and light["next"] == full["next"]
    assert any(e["reports"] for e in full["events"])
    assert all("reports" not in e for e in light["events"])
    for a, b in zip(full["events"], light["events"]):
        assert {k: v for k, v in a.items() if k != "reports"} == b


def test_cursor_of_another_sort_is_refused(client: TestClient) -> None:
    cursor = client.get("/api/events", params={"sort": "fatalities_desc", "limit": 2}).json()["next"]
    error = _assert_error(client.get("/api/events", params={"cursor": cursor}), 400, "invalid_cursor")
    assert "sort=fatalities_desc" in error["message"] and "sort=date_desc" in error["message"]
    _assert_error(client.get("/api/events", params={"cursor": cursor, "sort": "sources_desc"}), 400, "invalid_cursor")
    assert client.get("/api/events", params={"cursor": cursor, "sort": "fatalities_desc"}).status_code == 200


def _expect(pred: Any) -> list[str]:
    return [i for i in expected_order("date_desc") if pred(next(s for s in SPECS if s["id"] == i))]


@pytest.mark.parametrize(
    ("params", "pred"),
    [
        ({"admin1": "IDLIB"}, lambda s: s["admin1"] == "Idlib"),
        ({"admin1": "donetsk", "grade": "corroborated"}, lambda s: s["admin1"] == "Donetsk" and s["sources"] >= 2),
        ({"admin1": "Nowhere"}, lambda s: False),
        ({"country_code": "ml"}, lambda s: s["country_code"] == "ML"),
        ({"country_code": "UA", "min_sources": 3}, lambda s: s["country_code"] == "UA" and s["sources"] >= 3),
        ({"grade": "single-source"}, lambda s: s["grade"] == "single-source"),
        ({"min_sources": 4}, lambda s: s["sources"] >= 4),
        ({"actor": "armed group 3"}, lambda s: s["actor"] == "Armed Group 3"),
        ({"actor": "ARMED GROUP", "admin1": "gao"}, lambda s: s["actor"].startswith("Armed") and s["admin1"] == "Gao"),
        ({"q": "armed group 1"}, lambda s: s["actor"] == "Armed Group 1"),
        ({"q": "100%_"}, lambda s: False),  # LIKE wildcards are literal
        ({"date_from": "2024-10-03", "date_to": "2024-10-04"}, lambda s: s["day"] in (3, 4)),
    ],
)
def test_filters(client: TestClient, params: dict[str, Any], pred: Any) -> None:
    assert _ids(client.get("/api/events", params={**params, "limit": 1000})) == _expect(pred)


# -- exports -------------------------------------------------------------------------------------


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Export pages of 4 events, so that an export spans many store queries."""
    monkeypatch.setattr(app_module, "_EXPORT_PAGE", 4)


def test_export_csv_has_acled_columns(client: TestClient, small_pages: None) -> None:
    response = client.get("/api/export", params={"format": "csv", "country_code": "SY"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="conflictwire-events-') and disposition.endswith('.csv"')
    rows = list(csv.reader(io.StringIO(response.text)))
    assert tuple(rows[0]) == ACLED_COLUMNS
    ids = [row[0] for row in rows[1:]]
    assert ids == _expect(lambda s: s["country_code"] == "SY")
    admin1 = rows[0].index("admin1")
    assert {row[admin1] for row in rows[1:]} == {"Idlib"}


def test_export_geojson_is_a_feature_collection(client: TestClient, small_pages: None) -> None:
    response = client.get("/api/export", params={"format": "geojson", "sort": "sources_desc"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/geo+json")
    assert response.headers["content-disposition"].endswith('.geojson"')
    doc = response.json()
    assert doc["type"] == "FeatureCollection"
    assert [f["id"] for f in doc["features"]] == expected_order("sources_desc")
    assert doc["features"][0]["geometry"] == {"type": "Point", "coordinates": [36.6, 35.9]}


def test_export_jsonl_lines_are_events(client: TestClient, small_pages: None) -> None:
    response = client.get("/api/export", params={"format": "jsonl", "min_sources": 2})
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in response.text.splitlines()]
    listed = client.get("/api/events", params={"min_sources": 2, "limit": 1000}).json()["events"]
    assert lines == listed and len(lines) == len(_expect(lambda s: s["sources"] >= 2))


def test_export_of_nothing_is_well_formed(client: TestClient) -> None:
    assert client.get("/api/export", params={"format": "geojson", "admin1": "x"}).json() == {
        "type": "FeatureCollection", "features": []}
    assert client.get("/api/export", params={"format": "jsonl", "admin1": "x"}).text == ""
    assert client.get("/api/export", params={"admin1": "x"}).text.strip() == ",".join(ACLED_COLUMNS)


# -- read access ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def guarded(store: Store) -> TestClient:
    return TestClient(create_app(store, token=WRITE, read_token=READ), raise_server_exceptions=False)


@pytest.mark.parametrize("path", ["/api/events", "/api/events/ev-001", "/api/articles/ext-101", "/api/changes",
                                  "/api/export?format=jsonl", "/"])
def test_read_token_guards_every_read(guarded: TestClient, client: TestClient, path: str) -> None:
    guarded.cookies.clear()
    error = _assert_error(guarded.get(path), 401, "unauthorized")
    assert "token" in error["message"]
    _assert_error(guarded.get(path, headers={"Authorization": "Bearer wrong"}), 401, "unauthorized")
    _assert_error(guarded.get(path, params={"token": "wrong"}), 401, "unauthorized")
    assert guarded.get(path, headers={"Authorization": f"Bearer {READ}"}).status_code == 200
    assert guarded.get(path, headers={"Authorization": f"Bearer {WRITE}"}).status_code == 200
    # Without a read token, reads are open.
    assert client.get(path).status_code == 200


def test_token_query_parameter_sets_a_read_cookie(guarded: TestClient) -> None:
    guarded.cookies.clear()
    response = guarded.get("/api/export", params={"token": READ, "format": "csv"})
    assert response.status_code == 200 and response.text.startswith("event_id_cnty,")
    assert "httponly" in response.headers["set-cookie"].lower()
    assert "samesite=strict" in response.headers["set-cookie"].lower()
    # The page's own later requests need no token in the URL.
    assert guarded.get("/api/events").status_code == 200
    guarded.cookies.clear()
    assert guarded.get("/api/events").status_code == 401


def test_openapi_stays_open_and_writes_need_the_write_token(guarded: TestClient) -> None:
    guarded.cookies.clear()
    assert guarded.get("/openapi.json").status_code == 200
    article = {"id": "x", "text": "Shelling hit the town."}
    _assert_error(guarded.post("/api/articles", json=article), 401, "unauthorized")
    _assert_error(guarded.post("/api/articles", json=article, headers={"Authorization": f"Bearer {READ}"}),
                  401, "unauthorized")
    # The write token passes the token check (this app has no ingest pipeline to run).
    _assert_error(guarded.post("/api/articles", json=article, headers={"Authorization": f"Bearer {WRITE}"}),
                  503, "ingest_unavailable")


# -- odd input -----------------------------------------------------------------------------------


ODD_QUERIES = [
    ({"limit": "abc"}, 422, "invalid_request"),
    ({"limit": "-1"}, 422, "invalid_request"),
    ({"limit": "1001"}, 422, "invalid_request"),
    ({"limit": str(10**40)}, 422, "invalid_request"),
    ({"limit": "NaN"}, 422, "invalid_request"),
    ({"cursor": "x" * 1001}, 422, "invalid_request"),
    ({"cursor": "!!!"}, 400, "invalid_cursor"),
    ({"cursor": "bnVsbA"}, 400, "invalid_cursor"),  # base64 of JSON null
    ({"cursor": "WzEsMiwzXQ"}, 400, "invalid_cursor"),  # base64 of [1,2,3]
    ({"sort": "random"}, 422, "invalid_request"),
    ({"min_sources": "inf"}, 422, "invalid_request"),
    ({"min_sources": str(2**70)}, 422, "invalid_request"),
    ({"date_from": "2024-02-30"}, 422, "invalid_request"),
    ({"date_to": "99999-01-01"}, 422, "invalid_request"),
    ({"bbox": "nan,0,1,1"}, 400, "invalid_query"),
    ({"bbox": "-inf,0,1,1"}, 400, "invalid_query"),
    ({"q": "a\x00b"}, 400, "invalid_query"),
    ({"admin1": "\x00"}, 400, "invalid_query"),
]


@pytest.mark.parametrize(("params", "status", "code"), ODD_QUERIES)
def test_odd_queries_are_json_errors(client: TestClient, params: dict[str, str], status: int, code: str) -> None:
    _assert_error(client.get("/api/events", params=params), status, code)


@pytest.mark.parametrize(("params", "status", "code"),
                         [c for c in ODD_QUERIES if not set(c[0]) & {"limit", "cursor"}])
def test_odd_export_queries_are_json_errors(client: TestClient, params: dict[str, str], status: int,
                                            code: str) -> None:
    _assert_error(client.get("/api/export", params=params), status, code)
    _assert_error(client.get("/api/export", params={"format": "xml"}), 422, "invalid_request")


def test_forged_cursor_with_a_huge_key_is_refused(client: TestClient) -> None:
    from conflictwire.store.db import encode_cursor

    cursor = encode_cursor(10**30, "ev-001", "fatalities_desc")
    _assert_error(client.get("/api/events", params={"cursor": cursor, "sort": "fatalities_desc"}), 400,
                  "invalid_cursor")
    # A cursor of the first format, [date, id], still reads as one of the default order.
    old_style = base64.urlsafe_b64encode(json.dumps(["2024-10-05", "ev-001"]).encode()).decode().rstrip("=")
    assert client.get("/api/events", params={"cursor": old_style}).status_code == 200


def test_odd_paths_and_times(client: TestClient) -> None:
    _assert_error(client.get("/api/events/a%00b"), 404, "not_found")
    _assert_error(client.get("/api/articles/a%00b"), 404, "not_found")
    _assert_error(client.get(f"/api/articles/{'9' * 40}"), 404, "not_found")
    assert client.get("/api/changes", params={"since": "0001-01-01T00:00:00+05:00"}).status_code == 200
    assert client.get("/api/changes", params={"since": "9999-12-31T23:59:59-05:00"}).json() == {"changes": [], "next": None}


@pytest.mark.parametrize("sort", sorted(SORTS))
def test_pages_after_a_cursor_are_index_scans(store: Store, sort: str) -> None:
    """Each page after a cursor reads the sort index from the cursor on: no sort of all later rows."""
    from sqlalchemy import event as sa_event

    from conflictwire.store import EventFilter

    _, cursor = store.list_events(EventFilter(), None, 2, sort)
    statements: list[tuple[str, Any]] = []

    def record(conn: Any, cur: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "FROM events" in statement:
            statements.append((statement, params))

    sa_event.listen(store.engine, "before_cursor_execute", record)
    try:
        store.list_events(EventFilter(), cursor, 2, sort)
    finally:
        sa_event.remove(store.engine, "before_cursor_execute", record)
    assert statements
    with store.engine.connect() as conn:
        for statement, params in statements[:1]:  # the keyed part; the NULL part is ordered by id
            if store.engine.dialect.name == "sqlite":
                rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params)
                plan = " ".join(str(row[-1]) for row in rows)
                assert "TEMP B-TREE" not in plan and "ix_events_" in plan, plan
            else:  # on 45 rows PostgreSQL rightly prefers a scan and a sort; ask whether an index plan exists
                conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
                conn.exec_driver_sql("SET LOCAL enable_sort = off")
                plan = " ".join(row[0] for row in conn.exec_driver_sql(f"EXPLAIN {statement}", params))
                assert "Index Scan" in plan and "Sort  (" not in plan and "Seq Scan" not in plan, plan
