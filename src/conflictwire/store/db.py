"""The store: every read and write of articles, reports and events goes through ``Store``.

One schema serves SQLite (the default, a file in the user's data directory) and PostgreSQL.
Every statement binds its values as parameters; no text from an article is ever spliced into SQL.
"""

from __future__ import annotations

import base64
import binascii
import contextvars
import dataclasses
import datetime as dt
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Insert,
    Row,
    Select,
    Table,
    Text,
    and_,
    cast,
    create_engine,
    false,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy import event as sa_event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from conflictwire.model import Article, Event, RawInput, Report, StoredReport
from conflictwire.store import codec, migrate
from conflictwire.store import schema as s
from conflictwire.store.errors import (
    BadDatabaseURL,
    InvalidCursor,
    InvalidQuery,
    InvalidRecord,
    NotFound,
    StoreError,
)

#: SQLite limits the number of bound parameters per statement; IN lists are sent in chunks.
_CHUNK = 500


def default_db_path() -> Path:
    """The default SQLite file: ``conflictwire.db`` in the user's data directory."""
    return Path(platformdirs.user_data_dir("conflictwire")) / "conflictwire.db"


def resolve_url(url: str | None) -> str:
    """A SQLAlchemy URL for a path, a ``sqlite:`` URL or a ``postgresql://`` URL (None: default file)."""
    if not url:
        path = default_db_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{path}"
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]  # psycopg 3, not the psycopg2 default
    if url.startswith(("postgresql+psycopg://", "sqlite:")):
        return url
    if "://" in url:
        raise BadDatabaseURL(f"unsupported database URL scheme: {url.split('://', 1)[0]}")
    path = Path(url).expanduser().resolve()
    if not path.parent.is_dir():
        raise BadDatabaseURL(f"directory does not exist: {path.parent}")
    return f"sqlite:///{path}"


def _json_dumps(value: Any) -> str:
    """JSON for the database; keeps non-ASCII text readable so text search matches it."""
    return json.dumps(value, ensure_ascii=False)


def _sqlite_on_connect(dbapi_conn: Any, _record: Any) -> None:
    """Per-connection SQLite settings: enforce foreign keys, let readers run beside a writer.

    The driver is told not to begin transactions itself (it would begin one only before DML, so
    creating the schema ran outside any transaction and a kill halfway left a store that no longer
    opened); ``_sqlite_on_begin`` begins every one, DDL included.
    """
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.close()


def _sqlite_on_begin(conn: Any) -> None:
    """Begin SQLite transactions explicitly, so DDL is inside them as much as DML."""
    conn.exec_driver_sql("BEGIN")


def create_store_engine(url: str) -> Engine:
    """An Engine for a resolved URL, configured for the store on either backend."""
    try:
        sa_url = make_url(url)
    except ArgumentError as exc:
        raise BadDatabaseURL(f"not a database URL: {exc}") from exc
    kwargs: dict[str, Any] = {"json_serializer": _json_dumps}
    backend = sa_url.get_backend_name()
    if backend == "sqlite":
        if sa_url.database in (None, "", ":memory:"):
            # One shared connection, or each checkout would see its own empty in-memory database.
            kwargs.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
        else:
            kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
    elif backend == "postgresql":
        kwargs["pool_pre_ping"] = True
    else:
        raise BadDatabaseURL(f"unsupported database backend: {backend}")
    engine = create_engine(sa_url, **kwargs)
    if backend == "sqlite":
        sa_event.listen(engine, "connect", _sqlite_on_connect)
        sa_event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _now() -> dt.datetime:
    """The current time in UTC."""
    return dt.datetime.now(dt.UTC)


def _as_utc(value: dt.datetime) -> dt.datetime:
    """An aware UTC datetime; naive means UTC (SQLite hands back naive ones, which the store always
    wrote in UTC). Times whose UTC falls beyond the calendar's ends are clamped to them."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:
        edge = dt.datetime.min if value.year < 5000 else dt.datetime.max
        return edge.replace(tzinfo=dt.UTC)


def _chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    """Slices of at most _CHUNK items."""
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


def _like_pattern(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, with LIKE's wildcards in it taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _bbox_condition(bbox: tuple[float, float, float, float]) -> ColumnElement[bool]:
    """Events inside (min_lon, min_lat, max_lon, max_lat); a box may cross the antimeridian."""
    try:
        min_lon, min_lat, max_lon, max_lat = (float(v) for v in bbox)
    except (TypeError, ValueError) as exc:
        raise InvalidQuery(f"bbox must be four numbers min_lon,min_lat,max_lon,max_lat: {bbox!r}") from exc
    if min_lat > max_lat:
        raise InvalidQuery("bbox: min_lat is greater than max_lat")
    lat_ok = s.events.c.lat.between(min_lat, max_lat)
    if min_lon <= max_lon:
        lon_ok: ColumnElement[bool] = s.events.c.lon.between(min_lon, max_lon)
    else:
        lon_ok = or_(s.events.c.lon >= min_lon, s.events.c.lon <= max_lon)
    return and_(lat_ok, lon_ok)


@dataclass(frozen=True)
class EventFilter:
    """Which events to list; every field left as None does not filter."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    #: (min_lon, min_lat, max_lon, max_lat), the GeoJSON order; events without coordinates drop out.
    bbox: tuple[float, float, float, float] | None = None
    country_code: str | None = None
    event_type: str | None = None
    sub_event_type: str | None = None
    grade: str | None = None
    min_sources: int | None = None
    #: Case-insensitive substring of an actor name or text (of the event or any of its reports).
    actor: str | None = None
    #: Case-insensitive substring of the event's stored JSON.
    q: str | None = None
    #: The event location's admin1 (province, state), exact but case-insensitive.
    admin1: str | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        """SQL conditions for this filter (all bound parameters)."""
        e = s.events.c
        cond: list[ColumnElement[bool]] = [e.deleted == false()]
        if self.date_from is not None:
            cond.append(e.date_value >= self.date_from)
        if self.date_to is not None:
            cond.append(e.date_value <= self.date_to)
        if self.bbox is not None:
            cond.append(_bbox_condition(self.bbox))
        if self.country_code:
            cond.append(e.country_code == self.country_code.upper())
        for column, value in (
            (e.event_type, self.event_type),
            (e.sub_event_type, self.sub_event_type),
            (e.grade, self.grade),
        ):
            if value:
                cond.append(column == value)
        if self.min_sources is not None:
            cond.append(e.independent_sources >= self.min_sources)
        if self.actor:
            cond.append(e.actors.ilike(_like_pattern(self.actor), escape="\\"))
        if self.q:
            cond.append(cast(e.data, Text).ilike(_like_pattern(self.q), escape="\\"))
        if self.admin1:
            cond.append(func.lower(e.admin1) == self.admin1.lower())
        return cond


@dataclass(frozen=True)
class SortOrder:
    """An order of event lists: one column, then the event id to break ties.

    Rows whose column is NULL (undated events, unknown fatalities) come last, ordered by id. Descending
    orders break ties by id ascending and ascending orders by id descending, so that one index on
    ``(column DESC, id)`` serves both directions.
    """

    name: str
    column: str
    descending: bool


#: The orders ``list_events`` accepts, by name; the first is the default.
SORTS: dict[str, SortOrder] = {
    o.name: o
    for o in (
        SortOrder("date_desc", "date_value", True),
        SortOrder("date_asc", "date_value", False),
        SortOrder("fatalities_desc", "fatalities_best", True),
        SortOrder("sources_desc", "independent_sources", True),
    )
}
DEFAULT_SORT = "date_desc"

#: Integer sort keys in a cursor must fit the database's integer column.
_MAX_INT_KEY = 2**31 - 1


def _sort_order(name: str | None) -> SortOrder:
    """The SortOrder of a name; raises InvalidQuery for an unknown one."""
    order = SORTS.get(name or DEFAULT_SORT)
    if order is None:
        raise InvalidQuery(f"unknown sort {name!r}; use one of {', '.join(SORTS)}")
    return order


def _key_text(value: Any) -> Any:
    """A sort key as JSON (dates as ISO text)."""
    return value.isoformat() if isinstance(value, dt.date) else value


def encode_cursor(key: Any, event_id: str, sort: str = DEFAULT_SORT) -> str:
    """An opaque cursor for the position after the event with this sort key and id, in this order."""
    raw = json.dumps({"s": sort, "k": _key_text(key), "id": event_id}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _parse_key(order: SortOrder, key: Any) -> Any:
    """A cursor's sort key checked against the column it orders by."""
    if key is None:
        return None
    if order.column == "date_value":
        if not isinstance(key, str):
            raise ValueError("date key is not text")
        return dt.date.fromisoformat(key)
    if isinstance(key, bool) or not isinstance(key, int) or abs(key) > _MAX_INT_KEY:
        raise ValueError("integer key out of range")
    return key


def decode_cursor(cursor: str, sort: str = DEFAULT_SORT) -> tuple[Any, str]:
    """The (sort key, event_id) inside a cursor made for ``sort``; raises InvalidCursor for anything else.

    Cursors of the first format, ``[date, id]``, are read as cursors of the default order.
    """
    order = _sort_order(sort)
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        if isinstance(data, list) and len(data) == 2:
            data = {"s": DEFAULT_SORT, "k": data[0], "id": data[1]}
        if not isinstance(data, dict) or set(data) != {"s", "k", "id"}:
            raise ValueError("wrong shape")
        made_for, key, event_id = data["s"], data["k"], data["id"]
        if not isinstance(event_id, str) or not isinstance(made_for, str):
            raise ValueError("wrong types")
        if made_for != order.name:
            raise InvalidCursor(
                f"this cursor belongs to sort={made_for[:40]}, not sort={order.name}; "
                "start again without a cursor or keep the sort"
            )
        return _parse_key(order, key), event_id
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError, RecursionError) as exc:
        if isinstance(exc, InvalidCursor):
            raise
        raise InvalidCursor(f"not a cursor from this API: {cursor[:40]!r}") from exc


def _insert_ignoring(conn: Connection, table: Table, key: str) -> Insert:
    """INSERT that does nothing when a row with the same ``key`` exists (concurrency-safe)."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing(index_elements=[key])


def _report_select(with_fingerprint: bool) -> Select[Any]:
    """Reports joined with the article each came from."""
    r, a = s.reports.c, s.articles.c
    cols = [r.id, r.article_id, r.position, r.data, r.event_id, a.external_id, a.outlet, a.url, a.published,
            a.content_hash]
    if with_fingerprint:
        cols.append(a.fingerprint)
    return select(*cols).select_from(s.reports.join(s.articles, s.reports.c.article_id == s.articles.c.id))


class Store:
    """Articles, reports and events in one SQLite or PostgreSQL database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # The connection of the transaction open in this context, so that store calls nest.
        self._current: contextvars.ContextVar[Connection | None] = contextvars.ContextVar(
            f"conflictwire_store_{id(self)}", default=None
        )

    @classmethod
    def open(cls, url: str | None = None) -> Store:
        """Open (creating and migrating to the newest schema) the database at ``url``."""
        engine = create_store_engine(resolve_url(url))
        migrate.upgrade(engine)
        return cls(engine)

    @property
    def url(self) -> str:
        """The database URL with any password hidden."""
        return self.engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        """Release the store's connections."""
        self.engine.dispose()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One transaction; calls inside it (and nested ``transaction()`` blocks) join it.

        Everything done inside commits together or, when an exception leaves the outermost
        block, not at all.
        """
        current = self._current.get()
        if current is not None:
            yield current
            return
        try:
            with self.engine.begin() as conn:
                token = self._current.set(conn)
                try:
                    yield conn
                finally:
                    self._current.reset(token)
        except SQLAlchemyError as exc:
            raise StoreError(f"database error: {exc.__class__.__name__}: {exc}") from exc

    # -- articles and reports ------------------------------------------------------------------

    def add_article(
        self, article: Article, raw: RawInput | None, fingerprint: list[int] | None = None
    ) -> tuple[Article, bool]:
        """Store an article (once per content hash) and its raw bytes (once per sha256).

        Returns the stored article with its id, and whether it was new.
        """
        now = _now()
        content_hash = article.content_hash
        with self.transaction() as conn:
            raw_sha = self._archive_raw(conn, raw, now) if raw is not None else article.raw_sha256
            if raw is None and raw_sha is not None and not self._has_raw(conn, raw_sha):
                raise InvalidRecord(f"article names raw input {raw_sha} which is not archived")
            existing = self._article_by_hash(conn, content_hash)
            if existing is not None:
                return existing, False
            values = {
                "external_id": article.external_id,
                "content_hash": content_hash,
                "raw_sha256": raw_sha,
                "outlet": article.outlet,
                "url": article.url,
                "published": article.published,
                "language": article.language,
                "title": article.title,
                "byline": article.byline,
                "translator": article.translator,
                "text": article.text,
                "source": article.source,
                "fingerprint": fingerprint,
                "ingested_at": now,
            }
            stmt = _insert_ignoring(conn, s.articles, "content_hash").values(**values)
            new_id = conn.execute(stmt.returning(s.articles.c.id)).scalar()
            if new_id is None:  # another writer stored the same content between our read and insert
                stored = self._article_by_hash(conn, content_hash)
                if stored is None:  # pragma: no cover - the conflicting row must be visible now
                    raise StoreError("article vanished during insert")
                return stored, False
            return dataclasses.replace(article, id=new_id, raw_sha256=raw_sha), True

    def _archive_raw(self, conn: Connection, raw: RawInput, now: dt.datetime) -> str:
        """Keep the raw bytes under their sha256, once."""
        stmt = _insert_ignoring(conn, s.raw_inputs, "sha256").values(
            sha256=raw.sha256, source=raw.source, size=len(raw.data), data=raw.data, received_at=now
        )
        conn.execute(stmt)
        return raw.sha256

    def _has_raw(self, conn: Connection, sha256: str) -> bool:
        """Whether raw bytes with this hash are archived."""
        stmt = select(s.raw_inputs.c.sha256).where(s.raw_inputs.c.sha256 == sha256)
        return conn.execute(stmt).first() is not None

    def _article_by_hash(self, conn: Connection, content_hash: str) -> Article | None:
        """The stored article with this content hash."""
        row = conn.execute(select(s.articles).where(s.articles.c.content_hash == content_hash)).first()
        return codec.article_from_row(row) if row else None

    def get_article_by_hash(self, content_hash: str) -> Article | None:
        """The stored article with this content hash (``Article.content_hash``), if any."""
        with self.transaction() as conn:
            return self._article_by_hash(conn, content_hash)

    def get_raw(self, sha256: str) -> RawInput | None:
        """The archived raw bytes with this hash."""
        with self.transaction() as conn:
            row = conn.execute(select(s.raw_inputs).where(s.raw_inputs.c.sha256 == sha256)).first()
        return RawInput(data=bytes(row.data), source=row.source, sha256=row.sha256) if row else None

    def get_article(self, key: str | int) -> Article | None:
        """The article with this external id or, failing that, this numeric store id."""
        key = str(key)
        a = s.articles.c
        with self.transaction() as conn:
            row = conn.execute(
                select(s.articles).where(a.external_id == key).order_by(a.id).limit(1)
            ).first()
            # The length guard keeps an absurd number from overflowing the integer column.
            if row is None and key.isascii() and key.isdigit() and len(key) < 18:
                row = conn.execute(select(s.articles).where(a.id == int(key))).first()
        return codec.article_from_row(row) if row else None

    def get_articles(self, article_ids: Iterable[int]) -> dict[int, Article]:
        """Articles by store id (ids not found are left out)."""
        ids = sorted(set(article_ids))
        out: dict[int, Article] = {}
        with self.transaction() as conn:
            for chunk in _chunks(ids):
                for row in conn.execute(select(s.articles).where(s.articles.c.id.in_(chunk))):
                    out[row.id] = codec.article_from_row(row)
        return out

    def article_fingerprints(self, article_ids: Iterable[int]) -> dict[int, list[int]]:
        """The stored fingerprints of these articles (articles without one are left out)."""
        ids = sorted(set(article_ids))
        a = s.articles.c
        out: dict[int, list[int]] = {}
        with self.transaction() as conn:
            for chunk in _chunks(ids):
                stmt = select(a.id, a.fingerprint).where(a.id.in_(chunk), a.fingerprint.is_not(None))
                for row in conn.execute(stmt):
                    out[row.id] = list(row.fingerprint)
        return out

    def add_reports(self, article_id: int, reports: list[Report]) -> list[StoredReport]:
        """Store reports of one article, in order after any it already has."""
        with self.transaction() as conn:
            art = conn.execute(select(s.articles).where(s.articles.c.id == article_id)).first()
            if art is None:
                raise NotFound(f"no article with id {article_id}")
            last = conn.execute(
                select(func.max(s.reports.c.position)).where(s.reports.c.article_id == article_id)
            ).scalar()
            start = 0 if last is None else last + 1
            stored: list[StoredReport] = []
            for offset, report in enumerate(reports):
                values = self._report_values(report)
                stmt = insert(s.reports).values(article_id=article_id, position=start + offset, **values)
                report_id = conn.execute(stmt.returning(s.reports.c.id)).scalar_one()
                stored.append(
                    StoredReport(
                        id=report_id,
                        article_id=article_id,
                        report=report,
                        article_external_id=art.external_id,
                        outlet=art.outlet,
                        url=art.url,
                        published=art.published,
                        content_hash=art.content_hash,
                        fingerprint=list(art.fingerprint) if art.fingerprint is not None else None,
                    )
                )
        return stored

    @staticmethod
    def _report_values(report: Report) -> dict[str, Any]:
        """Column values of a report row."""
        loc = report.location
        return {
            "event_type": report.event_type,
            "sub_event_type": report.sub_event_type,
            "date_value": codec.parse_date(report.date.value, "report date") if report.date else None,
            "lat": loc.lat if loc else None,
            "lon": loc.lon if loc else None,
            "country_code": loc.country_code.upper() if loc and loc.country_code else None,
            "data": codec.report_data(report),
        }

    def reports_for_article(self, article_id: int) -> list[StoredReport]:
        """The stored reports of one article, in their order in the text."""
        stmt = _report_select(True).where(s.reports.c.article_id == article_id).order_by(s.reports.c.position)
        with self.transaction() as conn:
            return [codec.stored_report_from_row(row, True) for row in conn.execute(stmt)]

    # -- events ------------------------------------------------------------------------------

    def _reports_of_events(
        self, conn: Connection, event_ids: Sequence[str], with_fingerprint: bool
    ) -> dict[str, list[StoredReport]]:
        """The stored reports of each event, ordered by article and position."""
        out: dict[str, list[StoredReport]] = {eid: [] for eid in event_ids}
        r = s.reports.c
        for chunk in _chunks(event_ids):
            stmt = _report_select(with_fingerprint).where(r.event_id.in_(chunk)).order_by(r.article_id, r.position)
            for row in conn.execute(stmt):
                out[row.event_id].append(codec.stored_report_from_row(row, with_fingerprint))
        return out

    def _events_from_rows(
        self, conn: Connection, rows: Sequence[Row[Any]], with_fingerprint: bool = False
    ) -> list[Event]:
        """Events from rows of the events table, with their reports loaded."""
        reports = self._reports_of_events(conn, [row.id for row in rows], with_fingerprint)
        return [codec.event_from_data(row.id, row.data, row.version, reports[row.id]) for row in rows]

    def candidate_events(
        self,
        date_from: dt.date | None,
        date_to: dt.date | None,
        bbox: tuple[float, float, float, float] | None,
    ) -> list[Event]:
        """Live events that a new report in this window might belong to, with reports and fingerprints.

        Undated events and events without coordinates stay candidates: nothing rules them out.
        """
        e = s.events.c
        cond: list[ColumnElement[bool]] = [e.deleted == false()]
        if date_from is not None:
            cond.append(or_(e.date_value.is_(None), e.date_value >= date_from))
        if date_to is not None:
            cond.append(or_(e.date_value.is_(None), e.date_value <= date_to))
        if bbox is not None:
            cond.append(or_(e.lat.is_(None), e.lon.is_(None), _bbox_condition(bbox)))
        with self.transaction() as conn:
            rows = conn.execute(select(s.events).where(*cond).order_by(e.id)).all()
            return self._events_from_rows(conn, rows, with_fingerprint=True)

    @staticmethod
    def _event_columns(event: Event) -> dict[str, Any]:
        """The indexed columns of an event row."""
        loc, date = event.location, event.date
        return {
            "event_type": event.event_type,
            "sub_event_type": event.sub_event_type,
            "date_value": codec.parse_date(date.value, "event date") if date else None,
            "date_precision": date.precision if date else None,
            "lat": loc.lat if loc else None,
            "lon": loc.lon if loc else None,
            "country_code": loc.country_code.upper() if loc and loc.country_code else None,
            "admin1": loc.admin1 if loc else None,
            "fatalities_best": event.fatalities.best if event.fatalities else None,
            "grade": event.grade,
            "independent_sources": event.independent_sources,
            "actors": codec.actors_text(event),
        }

    def _report_ids_of(self, conn: Connection, event_id: str) -> list[int]:
        """Ids of the reports now attached to an event, ascending."""
        stmt = select(s.reports.c.id).where(s.reports.c.event_id == event_id).order_by(s.reports.c.id)
        return list(conn.execute(stmt).scalars())

    def save_event(self, event: Event, reason: str) -> Event:
        """Insert or update an event; a change bumps its version and is recorded with ``reason``.

        The event's reports are attached to it (and reports it no longer lists are detached).
        Returns the event as stored, with its version.
        """
        data = codec.event_data(event)
        columns = self._event_columns(event)
        report_ids = sorted({r.id for r in event.reports})
        now = _now()
        with self.transaction() as conn:
            # FOR UPDATE serialises concurrent saves of one event on PostgreSQL (SQLite locks the file).
            row = conn.execute(
                select(s.events.c.version, s.events.c.data, s.events.c.deleted)
                .where(s.events.c.id == event.id)
                .with_for_update()
            ).first()
            old_ids = self._report_ids_of(conn, event.id)
            if row is None:
                version = 1
                conn.execute(insert(s.events).values(
                    id=event.id, version=1, data=data, created_at=now, updated_at=now, deleted=False, **columns
                ))
            elif row.deleted or row.data != data or old_ids != report_ids:
                version = row.version + 1
                conn.execute(update(s.events).where(s.events.c.id == event.id).values(
                    version=version, data=data, updated_at=now, deleted=False, **columns
                ))
            else:
                version = row.version
            if row is None or version != row.version:
                self._attach_reports(conn, event.id, report_ids)
                conn.execute(insert(s.event_versions).values(
                    event_id=event.id, version=version, reason=reason, deleted=False,
                    data={**data, "version": version, "report_ids": report_ids}, changed_at=now,
                ))
        reports = [dataclasses.replace(r, event_id=event.id) for r in event.reports]
        return dataclasses.replace(event, version=version, reports=reports)

    def _attach_reports(self, conn: Connection, event_id: str, report_ids: list[int]) -> None:
        """Point exactly these reports at the event."""
        r = s.reports.c
        updated = 0
        for chunk in _chunks(report_ids):
            updated += conn.execute(update(s.reports).where(r.id.in_(chunk)).values(event_id=event_id)).rowcount
        if updated != len(report_ids):
            raise NotFound(f"event {event_id} lists reports that are not stored")
        detach = update(s.reports).where(r.event_id == event_id)
        if report_ids:
            detach = detach.where(r.id.not_in(report_ids))
        conn.execute(detach.values(event_id=None))

    def delete_event(self, event_id: str, reason: str) -> None:
        """Mark an event deleted (it keeps its history), detach its reports and record why."""
        now = _now()
        with self.transaction() as conn:
            row = conn.execute(
                select(s.events.c.version, s.events.c.data, s.events.c.deleted)
                .where(s.events.c.id == event_id)
                .with_for_update()
            ).first()
            if row is None:
                raise NotFound(f"no event with id {event_id}")
            if row.deleted:
                return
            version = row.version + 1
            old_ids = self._report_ids_of(conn, event_id)
            conn.execute(update(s.events).where(s.events.c.id == event_id).values(
                deleted=True, version=version, updated_at=now
            ))
            conn.execute(update(s.reports).where(s.reports.c.event_id == event_id).values(event_id=None))
            conn.execute(insert(s.event_versions).values(
                event_id=event_id, version=version, reason=reason, deleted=True,
                data={**row.data, "version": version, "report_ids": old_ids}, changed_at=now,
            ))

    def get_event(self, event_id: str, include_deleted: bool = False) -> Event | None:
        """One event with its reports (None when unknown, or deleted unless asked for)."""
        stmt = select(s.events).where(s.events.c.id == event_id)
        if not include_deleted:
            stmt = stmt.where(s.events.c.deleted == false())
        with self.transaction() as conn:
            rows = conn.execute(stmt).all()
            events = self._events_from_rows(conn, rows)
        return events[0] if events else None

    def event_history(self, event_id: str) -> list[dict[str, Any]]:
        """Every recorded version of an event, oldest first."""
        v = s.event_versions.c
        stmt = select(s.event_versions).where(v.event_id == event_id).order_by(v.version, v.id)
        with self.transaction() as conn:
            return [
                {"version": row.version, "reason": row.reason, "deleted": bool(row.deleted),
                 "changed_at": _as_utc(row.changed_at).isoformat(), "data": row.data}
                for row in conn.execute(stmt)
            ]

    def list_events(
        self, filters: EventFilter, cursor: str | None = None, limit: int = 100, sort: str | None = None,
        with_reports: bool = True,
    ) -> tuple[list[Event], str | None]:
        """One page of events in ``sort`` order (default newest first; NULL keys last), and the next cursor.
        Without ``with_reports`` the events come without their reports (a list or a map needs none).

        A cursor is only valid with the sort it was made for. The rows with a key come from an index
        scan in key order; only when those run out are the rows without one read, by id.
        """
        if limit < 1:
            raise InvalidQuery("limit must be at least 1")
        order = _sort_order(sort)
        e = s.events.c
        column = e[order.column]
        cond = filters.conditions()
        key: Any = None
        after_id: str | None = None
        in_null_part = False
        if cursor:
            key, after_id = decode_cursor(cursor, order.name)
            in_null_part = key is None
        want = limit + 1  # one more than asked tells whether a next page exists
        with self.transaction() as conn:
            rows: list[Row[Any]] = []
            if not in_null_part:
                keyed = [*cond, column.is_not(None)]
                if after_id is not None:
                    # "key beyond, or key equal and id beyond", written with a plain bound on the key so
                    # that the planner scans the index from the cursor on (an OR of the two makes SQLite
                    # read and sort every row past the cursor, each page).
                    if order.descending:
                        keyed += [column <= key, or_(column < key, e.id > after_id)]
                    else:
                        keyed += [column >= key, or_(column > key, e.id < after_id)]
                ordering = (column.desc(), e.id.asc()) if order.descending else (column.asc(), e.id.desc())
                rows = list(conn.execute(select(s.events).where(*keyed).order_by(*ordering).limit(want)))
            if len(rows) < want:
                unkeyed = [*cond, column.is_(None)]
                if in_null_part and after_id is not None:
                    unkeyed.append(e.id > after_id)
                stmt = select(s.events).where(*unkeyed).order_by(e.id.asc()).limit(want - len(rows))
                rows.extend(conn.execute(stmt))
            page = rows[:limit]
            if with_reports:
                events = self._events_from_rows(conn, page)
            else:
                events = [codec.event_from_data(row.id, row.data, row.version, []) for row in page]
        next_cursor = None
        if len(rows) > limit:
            last = page[-1]
            next_cursor = encode_cursor(getattr(last, order.column), last.id, order.name)
        return events, next_cursor

    def iter_events(
        self, filters: EventFilter | None = None, page_size: int = 500, sort: str | None = None
    ) -> Iterator[Event]:
        """Every event matching ``filters`` in ``sort`` order, page by page so memory stays bounded."""
        filters = filters or EventFilter()
        cursor: str | None = None
        while True:
            events, cursor = self.list_events(filters, cursor, page_size, sort)
            yield from events
            if cursor is None:
                return

    def changes(self, since: dt.datetime | None = None, limit: int | None = None,
                after: int | None = None) -> list[dict[str, Any]]:
        """Event versions recorded after ``since`` (naive means UTC) and after the change id ``after``,
        oldest first. Each has its ``change_id``: a consumer that passes the last one back as ``after``
        sees every change exactly once, even several recorded in one instant."""
        v = s.event_versions.c
        cond = []
        if since is not None:
            cond.append(v.changed_at > _as_utc(since))
        if after is not None:
            cond.append(v.id > after)
        stmt = select(v.id, v.event_id, v.version, v.reason, v.changed_at, v.deleted).where(*cond).order_by(v.id)
        if limit is not None:
            stmt = stmt.limit(limit)
        with self.transaction() as conn:
            return [
                {"change_id": row.id, "event_id": row.event_id, "version": row.version, "reason": row.reason,
                 "changed_at": _as_utc(row.changed_at).isoformat(), "deleted": bool(row.deleted)}
                for row in conn.execute(stmt)
            ]

    def counts(self) -> dict[str, int]:
        """How many rows of each kind the store holds."""
        e = s.events.c
        queries = {
            "raw_inputs": select(func.count()).select_from(s.raw_inputs),
            "articles": select(func.count()).select_from(s.articles),
            "reports": select(func.count()).select_from(s.reports),
            "events": select(func.count()).select_from(s.events).where(e.deleted == false()),
            "events_deleted": select(func.count()).select_from(s.events).where(e.deleted != false()),
            "event_versions": select(func.count()).select_from(s.event_versions),
        }
        with self.transaction() as conn:
            return {name: int(conn.execute(q).scalar_one()) for name, q in queries.items()}
