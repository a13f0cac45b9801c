"""Store round trips on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from store_records import make_article, make_event, make_report

from conflictwire.model import Actor, RawInput, StoredReport
from conflictwire.store import (
    BadDatabaseURL,
    EventFilter,
    InvalidCursor,
    InvalidQuery,
    InvalidRecord,
    NotFound,
    Store,
    StoreError,
    resolve_url,
)
from conflictwire.store.schema import metadata


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """A migrated, empty store on each engine."""
    st = Store.open(db_url)
    yield st
    st.close()


def _stored_reports(store: Store, n: int, count: int = 1, **report_kw: object) -> list[StoredReport]:
    """Store article ``n`` with ``count`` reports and return them."""
    article, _ = store.add_article(make_article(n), None)
    assert article.id is not None
    return store.add_reports(article.id, [make_report(**report_kw) for _ in range(count)])  # type: ignore[arg-type]


# -- schema and URLs ----------------------------------------------------------------------------


def test_migrations_create_exactly_the_declared_schema(store: Store) -> None:
    with store.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diffs == []


def test_open_twice_is_idempotent(db_url: str) -> None:
    first = Store.open(db_url)
    first.add_article(make_article(1), None)
    first.close()
    again = Store.open(db_url)
    assert again.counts()["articles"] == 1
    again.close()


def test_resolve_url_forms(tmp_path: Path) -> None:
    assert resolve_url(str(tmp_path / "x.db")) == f"sqlite:///{tmp_path / 'x.db'}"
    assert resolve_url("sqlite:///a.db") == "sqlite:///a.db"
    assert resolve_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert resolve_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    with pytest.raises(BadDatabaseURL):
        resolve_url("mysql://u@h/db")
    with pytest.raises(BadDatabaseURL):
        resolve_url(str(tmp_path / "missing-dir" / "x.db"))


def test_default_database_is_in_user_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    st = Store.open(None)
    st.add_article(make_article(1), None)
    st.close()
    assert (tmp_path / "xdg" / "conflictwire" / "conflictwire.db").is_file()


# -- articles and raw inputs --------------------------------------------------------------------


def test_article_stored_twice_is_one_row_and_raw_archived_once(store: Store) -> None:
    raw = RawInput(b"Shelling in town 1\n\nbody bytes", "a.txt")
    first, created = store.add_article(make_article(1), raw, fingerprint=[5, 7, 2**40])
    again, created_again = store.add_article(make_article(1, external_id="other-id"), raw)
    assert (created, created_again) == (True, False)
    assert first.id == again.id and again.external_id == "ext-1"
    assert again.raw_sha256 == raw.sha256
    assert store.counts()["articles"] == 1 and store.counts()["raw_inputs"] == 1
    archived = store.get_raw(raw.sha256)
    assert archived is not None and archived.data == raw.data and archived.source == "a.txt"
    assert store.article_fingerprints([first.id, 999]) == {first.id: [5, 7, 2**40]}  # type: ignore[list-item, dict-item]


def test_same_content_from_other_bytes_archives_both_raws(store: Store) -> None:
    store.add_article(make_article(1), RawInput(b"<html>one</html>", "a.html"))
    _, created = store.add_article(make_article(1), RawInput(b"<html>two</html>", "b.html"))
    assert created is False
    assert store.counts()["raw_inputs"] == 2 and store.counts()["articles"] == 1


def test_concurrent_adds_of_one_article_store_it_once(db_url: str) -> None:
    stores = [Store.open(db_url) for _ in range(4)]  # separate engines, like separate processes
    raw = RawInput(b"same bytes", "same.txt")
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda st: st.add_article(make_article(1), raw), stores * 2))
    assert sum(created for _, created in results) == 1
    assert len({article.id for article, _ in results}) == 1
    assert stores[0].counts()["articles"] == 1 and stores[0].counts()["raw_inputs"] == 1
    for st in stores:
        st.close()


def test_get_article_by_external_or_numeric_id(store: Store) -> None:
    stored, _ = store.add_article(make_article(1, text="Texte en fran\u00e7ais \u062d\u0644\u0628"), None)
    plain, _ = store.add_article(make_article(2, external_id=None), None)
    by_ext = store.get_article("ext-1")
    assert by_ext is not None and by_ext.id == stored.id and by_ext.text.endswith("\u062d\u0644\u0628")
    assert by_ext.published == dt.date(2024, 10, 17) and by_ext.outlet == "Outlet 1"
    assert store.get_article(str(plain.id)) == plain
    assert store.get_article("nope") is None
    assert store.get_article("99999999999999999999999") is None
    assert store.get_articles([stored.id, plain.id, 12345]).keys() == {stored.id, plain.id}  # type: ignore[list-item]


def test_failed_article_leaves_nothing_behind(store: Store) -> None:
    bad = make_article(1, published="not a date")
    with pytest.raises(StoreError):
        store.add_article(bad, RawInput(b"raw", "r.txt"))
    assert store.counts()["raw_inputs"] == 0 and store.counts()["articles"] == 0


def test_article_naming_unarchived_raw_is_refused(store: Store) -> None:
    with pytest.raises(InvalidRecord):
        store.add_article(make_article(1, raw_sha256="ab" * 32), None)
    assert store.counts()["articles"] == 0


# -- reports ------------------------------------------------------------------------------------


def test_reports_round_trip_in_order(store: Store) -> None:
    article, _ = store.add_article(make_article(1), None, fingerprint=[1, 2])
    assert article.id is not None
    first = [make_report(day=1), make_report(day=2)]
    later = [make_report(day=3, lat=None, actor="\u062c\u064a\u0634")]
    stored = store.add_reports(article.id, first) + store.add_reports(article.id, later)
    loaded = store.reports_for_article(article.id)
    assert [r.id for r in loaded] == [r.id for r in stored]
    assert [r.report for r in loaded] == first + later  # sides and every field survive
    assert loaded[0].report.actor1 == Actor("government forces", "Military Forces of Syria", "state", "government")
    assert loaded[0].article_external_id == "ext-1" and loaded[0].fingerprint == [1, 2]
    assert loaded[0].content_hash == article.content_hash


def test_report_embedding_is_stored_but_not_in_the_json_contract(store: Store) -> None:
    article, _ = store.add_article(make_article(1), None)
    assert article.id is not None
    report = make_report(day=1)
    report.embedding = bytes(range(256)) + bytes(128)
    store.add_reports(article.id, [report])
    (loaded,) = store.reports_for_article(article.id)
    assert loaded.report.embedding == report.embedding
    assert "embedding" not in loaded.report.to_dict()


def test_reports_for_unknown_article_or_bad_date_are_refused(store: Store) -> None:
    with pytest.raises(NotFound):
        store.add_reports(4242, [make_report()])
    article, _ = store.add_article(make_article(1), None)
    bad = make_report()
    assert bad.date is not None
    bad.date.value = "17 October"
    with pytest.raises(InvalidRecord):
        store.add_reports(article.id, [make_report(), bad])  # type: ignore[arg-type]
    assert store.counts()["reports"] == 0


def test_transaction_nests_and_rolls_back_everything(store: Store) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        with store.transaction():
            article, _ = store.add_article(make_article(1), RawInput(b"raw", "r"))
            reports = store.add_reports(article.id, [make_report()])  # type: ignore[arg-type]
            with store.transaction():
                store.save_event(make_event("ev-1", reports), "new")
            raise RuntimeError("boom")
    assert set(store.counts().values()) == {0}
    with store.transaction():
        article, _ = store.add_article(make_article(1), RawInput(b"raw", "r"))
        reports = store.add_reports(article.id, [make_report()])  # type: ignore[arg-type]
        store.save_event(make_event("ev-1", reports), "new")
    counts = store.counts()
    assert (counts["articles"], counts["reports"], counts["events"], counts["raw_inputs"]) == (1, 1, 1, 1)


# -- events -------------------------------------------------------------------------------------


def test_event_save_versions_and_report_links(store: Store) -> None:
    r1 = _stored_reports(store, 1)
    r2 = _stored_reports(store, 2)
    saved = store.save_event(make_event("ev-1", r1), "created from article 1")
    assert saved.version == 1 and saved.reports[0].event_id == "ev-1"
    assert store.save_event(make_event("ev-1", r1), "no change").version == 1
    grown = store.save_event(make_event("ev-1", r1 + r2, sources=2, grade="corroborated"), "article 2 joins")
    assert grown.version == 2
    loaded = store.get_event("ev-1")
    assert loaded is not None and loaded.version == 2
    assert loaded.to_dict() == grown.to_dict()
    assert [r.event_id for r in store.reports_for_article(r2[0].article_id)] == ["ev-1"]
    # The report moves to another event: the first one loses it.
    store.save_event(make_event("ev-2", r2), "split")
    after = store.save_event(make_event("ev-1", r1), "split")
    assert after.version == 3
    reloaded = store.get_event("ev-1")
    assert reloaded is not None and [r.id for r in reloaded.reports] == [r1[0].id]
    history = store.event_history("ev-1")
    assert [(h["version"], h["reason"]) for h in history] == [
        (1, "created from article 1"), (2, "article 2 joins"), (3, "split")]
    assert history[1]["data"]["report_ids"] == sorted([r1[0].id, r2[0].id])


def test_event_with_unknown_report_is_refused_atomically(store: Store) -> None:
    r1 = _stored_reports(store, 1)
    ghost = dataclasses.replace(r1[0], id=987654)
    with pytest.raises(NotFound):
        store.save_event(make_event("ev-1", r1 + [ghost]), "bad")
    assert store.get_event("ev-1") is None and store.counts()["event_versions"] == 0


def test_event_with_malformed_date_is_refused(store: Store) -> None:
    event = make_event("ev-1", _stored_reports(store, 1))
    assert event.date is not None
    event.date.value = "2024-13-45"
    with pytest.raises(InvalidRecord):
        store.save_event(event, "bad date")


def test_delete_event_keeps_history_and_detaches_reports(store: Store) -> None:
    r1 = _stored_reports(store, 1)
    store.save_event(make_event("ev-1", r1), "new")
    store.delete_event("ev-1", "merged into ev-2")
    store.delete_event("ev-1", "again")  # deleting twice records nothing more
    assert store.get_event("ev-1") is None
    gone = store.get_event("ev-1", include_deleted=True)
    assert gone is not None and gone.version == 2 and gone.reports == []
    assert store.reports_for_article(r1[0].article_id)[0].event_id is None
    assert [(h["version"], h["deleted"]) for h in store.event_history("ev-1")] == [(1, False), (2, True)]
    assert store.counts()["events"] == 0 and store.counts()["events_deleted"] == 1
    revived = store.save_event(make_event("ev-1", r1), "re-clustered")
    assert revived.version == 3 and store.get_event("ev-1") is not None
    with pytest.raises(NotFound):
        store.delete_event("no-such-event", "x")


def test_candidate_events_by_window(store: Store) -> None:
    r = _stored_reports(store, 1, count=4)
    store.save_event(make_event("in", r[:1], day=10), "x")
    store.save_event(make_event("late", r[1:2], day=28), "x")
    store.save_event(make_event("undated", r[2:3], day=None, lat=None), "x")
    store.save_event(make_event("far", r[3:4], day=11, lat=-30.0, lon=20.0), "x")
    store.save_event(make_event("deleted", [], day=10), "x")
    store.delete_event("deleted", "x")
    found = store.candidate_events(dt.date(2024, 10, 5), dt.date(2024, 10, 15), (30.0, 30.0, 40.0, 40.0))
    assert sorted(e.id for e in found) == ["in", "undated"]
    in_event = next(e for e in found if e.id == "in")
    assert in_event.reports[0].fingerprint is None and in_event.reports[0].id == r[0].id
    assert {e.id for e in store.candidate_events(None, None, None)} == {"in", "late", "undated", "far"}


def _seed_events(store: Store) -> None:
    """Events with varied fields for the filter tests."""
    r = _stored_reports(store, 1, count=6)
    store.save_event(make_event("a", r[0:1], day=1, grade="corroborated", sources=2), "x")
    store.save_event(make_event("b", r[1:2], day=2, lat=50.4, lon=30.5, country_code="ua",
                                actor="Military Forces of Russia"), "x")
    store.save_event(make_event("c", r[2:3], day=3, event_type="Protests", sub_event_type="Peaceful protest",
                                actor="Protesters (Syria)", fatalities=None), "x")
    store.save_event(make_event("d", r[3:4], day=None, lat=None, actor="Ahrar 100%_al-Sham"), "x")
    store.save_event(make_event("e", r[4:5], day=4, lat=10.0, lon=179.5, actor="\u062c\u064a\u0634 \u0627\u0644\u0641\u062a\u062d"), "x")
    store.save_event(make_event("f", r[5:6], day=5, lat=10.0, lon=-179.5), "x")


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (EventFilter(), ["f", "e", "c", "b", "a", "d"]),
        (EventFilter(date_from=dt.date(2024, 10, 2), date_to=dt.date(2024, 10, 3)), ["c", "b"]),
        (EventFilter(bbox=(30.0, 45.0, 31.0, 51.0)), ["b"]),
        (EventFilter(bbox=(179.0, 0.0, -179.0, 20.0)), ["f", "e"]),  # across the antimeridian
        (EventFilter(country_code="UA"), ["b"]),
        (EventFilter(event_type="Protests"), ["c"]),
        (EventFilter(sub_event_type="Peaceful protest"), ["c"]),
        (EventFilter(grade="corroborated"), ["a"]),
        (EventFilter(min_sources=2), ["a"]),
        (EventFilter(actor="russia"), ["b"]),
        (EventFilter(actor="100%_al"), ["d"]),
        (EventFilter(actor="%"), ["d"]),  # a literal percent sign, not a wildcard
        (EventFilter(q="\u0627\u0644\u0641\u062a\u062d"), ["e"]),
        (EventFilter(q="PROTESTERS (syria)"), ["c"]),
    ],
)
def test_list_events_filters(store: Store, filters: EventFilter, expected: list[str]) -> None:
    _seed_events(store)
    events, cursor = store.list_events(filters, None, 50)
    assert [e.id for e in events] == expected and cursor is None


def test_list_events_pages_without_overlap_or_loss(store: Store) -> None:
    reports = _stored_reports(store, 1, count=23)
    for i, rep in enumerate(reports):
        # Many ties on the date and a run of undated events exercise both parts of the key.
        day = None if i % 5 == 0 else 1 + i % 3
        store.save_event(make_event(f"ev-{i:02d}", [rep], day=day), "x")
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        page, cursor = store.list_events(EventFilter(), cursor, 4)
        assert len(page) <= 4
        seen += [e.id for e in page]
        pages += 1
        if cursor is None:
            break
    everything, _ = store.list_events(EventFilter(), None, 100)
    assert pages == 6 and len(seen) == 23 and len(set(seen)) == 23
    assert seen == [e.id for e in everything]
    dates = [e.date.value if e.date else None for e in everything]
    dated = [d for d in dates if d]
    assert dated == sorted(dated, reverse=True) and dates[len(dated):] == [None] * (23 - len(dated))
    assert [e.id for e in store.iter_events(EventFilter(), page_size=3)] == seen


def test_list_events_rejects_bad_cursor_and_limit(store: Store) -> None:
    for cursor in ("garbage!", "bm90IGpzb24", "WzEsMiwzXQ"):
        with pytest.raises(InvalidCursor):
            store.list_events(EventFilter(), cursor, 10)
    with pytest.raises(InvalidQuery):
        store.list_events(EventFilter(), None, 0)
    with pytest.raises(InvalidQuery):
        store.list_events(EventFilter(bbox=(0.0, 10.0, 1.0, 5.0)), None, 10)


def test_changes_feed(store: Store) -> None:
    r = _stored_reports(store, 1, count=2)
    start = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    store.save_event(make_event("a", r[:1]), "new a")
    store.save_event(make_event("b", r[1:]), "new b")
    store.delete_event("a", "merged")
    feed = store.changes(start)
    assert [(c["event_id"], c["version"], c["reason"], c["deleted"]) for c in feed] == [
        ("a", 1, "new a", False), ("b", 1, "new b", False), ("a", 2, "merged", True)]
    after_second = dt.datetime.fromisoformat(feed[1]["changed_at"])
    assert [c["reason"] for c in store.changes(after_second)] == ["merged"]
    naive_utc = after_second.astimezone(dt.UTC).replace(tzinfo=None)
    assert [c["reason"] for c in store.changes(naive_utc)] == ["merged"]
    assert store.changes(dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)) == []
    assert len(store.changes(start, limit=2)) == 2
    # the change id is an exact cursor: paging by it sees each change once, in order
    seen, after = [], None
    while page := store.changes(None, limit=1, after=after):
        seen += page
        after = page[-1]["change_id"]
    assert [c["reason"] for c in seen[-3:]] == ["new a", "new b", "merged"]
    assert len({c["change_id"] for c in seen}) == len(seen) == len(store.changes(None))
