"""The HTTP API and the page, over one Store.

Errors always answer JSON ``{"error": {"code", "message"}}`` with a fitting status; no stack trace
ever reaches a client. Writes need ``Authorization: Bearer TOKEN`` and are refused (403) when the
server was started without a token.
"""

from __future__ import annotations

import datetime as dt
import hmac
import math
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Body, Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from conflictwire import __version__
from conflictwire.model import Article, Event
from conflictwire.store import EventFilter, InvalidQuery, InvalidRecord, NotFound, Store, StoreError
from conflictwire.web import render_event, render_event_list

#: The collaborator that processes posted articles (ingest, extract, cluster); the CLI wires it.
IngestFn = Callable[[list[Article]], dict[str, Any]]

_MAX_LIMIT = 1000
_MAX_POST = 1000

_STATUS_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                 405: "method_not_allowed", 413: "too_large", 415: "unsupported_media_type",
                 422: "invalid_request", 503: "unavailable"}

# The page has no script; this policy makes sure nothing injected could run either.
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; base-uri 'none'"


class ApiError(Exception):
    """An error answered as JSON with this status, code and message."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers


class ArticleIn(BaseModel):
    """A posted article: the input line of ``conflictwire extract``."""

    model_config = ConfigDict(extra="ignore")

    id: str | None = Field(default=None, max_length=512)
    text: str = Field(min_length=1, max_length=5_000_000)
    title: str | None = Field(default=None, max_length=10_000)
    published: dt.date | None = None
    url: str | None = Field(default=None, max_length=4096)
    outlet: str | None = Field(default=None, max_length=512)
    language: str | None = Field(default=None, max_length=32)

    def to_article(self) -> Article:
        """The Article the pipeline takes."""
        return Article(text=self.text, title=self.title, external_id=self.id, outlet=self.outlet, url=self.url,
                       published=self.published, language=self.language, source="api")


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """The JSON error response."""
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


def _validation_message(exc: RequestValidationError) -> str:
    """Where and why a request was invalid, without echoing the submitted values."""
    parts = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "request"
        parts.append(f"{loc}: {err.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


def _store_error_response(exc: StoreError) -> JSONResponse:
    """Map the store's typed errors to statuses; database failures hide their details."""
    if isinstance(exc, NotFound):
        return _error(404, exc.code, str(exc))
    if isinstance(exc, InvalidQuery | InvalidRecord):
        return _error(400, exc.code, str(exc))
    return _error(503, "database_error", "the database could not answer")


def install_error_handlers(app: FastAPI) -> None:
    """Answer every error, expected or not, with the JSON error object."""

    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return _error(exc.status, exc.code, exc.message, exc.headers)

    @app.exception_handler(StoreError)
    async def store_error(_: Request, exc: StoreError) -> JSONResponse:
        return _store_error_response(exc)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, "http_error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        return _error(exc.status_code, code, message, getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        return _error(422, "invalid_request", _validation_message(exc))

    @app.exception_handler(Exception)
    async def internal_error(_: Request, exc: Exception) -> JSONResponse:
        return _error(500, "internal_error", "internal server error")


def parse_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    """``min_lon,min_lat,max_lon,max_lat`` as four finite, in-range numbers."""
    if not text:
        return None
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        values = ()
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise ApiError(400, "invalid_query", "bbox must be min_lon,min_lat,max_lon,max_lat")
    min_lon, min_lat, max_lon, max_lat = values
    if not (-180 <= min_lon <= 180 and -180 <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise ApiError(400, "invalid_query", "bbox is outside the world or has min_lat above max_lat")
    return min_lon, min_lat, max_lon, max_lat


def event_filter(
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    bbox: Annotated[str | None, Query(description="min_lon,min_lat,max_lon,max_lat")] = None,
    country_code: Annotated[str | None, Query(max_length=8)] = None,
    event_type: Annotated[str | None, Query(max_length=64)] = None,
    sub_event_type: Annotated[str | None, Query(max_length=64)] = None,
    grade: Annotated[str | None, Query(max_length=32)] = None,
    min_sources: Annotated[int | None, Query(ge=0, le=1_000_000)] = None,
    actor: Annotated[str | None, Query(max_length=200, description="substring of an actor name")] = None,
    q: Annotated[str | None, Query(max_length=200, description="substring of the event's data")] = None,
) -> EventFilter:
    """The event filters, from query parameters."""
    return EventFilter(date_from=date_from, date_to=date_to, bbox=parse_bbox(bbox), country_code=country_code,
                       event_type=event_type, sub_event_type=sub_event_type, grade=grade,
                       min_sources=min_sources, actor=actor, q=q)


def _sources(event: Event, articles: dict[int, Article]) -> list[dict[str, Any]]:
    """The event's source articles, once each, with who is claimed in them."""
    by_article: dict[int, dict[str, Any]] = {}
    for stored in event.reports:
        entry = by_article.get(stored.article_id)
        if entry is None:
            article = articles.get(stored.article_id)
            entry = by_article[stored.article_id] = {
                "article_id": stored.article_external_id or str(stored.article_id),
                "title": article.title if article else None,
                "outlet": stored.outlet, "url": stored.url,
                "published": stored.published.isoformat() if stored.published else None,
                "claimants": [], "report_ids": [],
            }
        entry["report_ids"].append(stored.id)
        claimant = stored.report.claimant.to_dict() if stored.report.claimant else None
        if claimant and claimant not in entry["claimants"]:
            entry["claimants"].append(claimant)
    return list(by_article.values())


def _article_json(article: Article, store: Store) -> dict[str, Any]:
    """An article with its reports; the local source path stays private."""
    d = article.to_dict()
    d.pop("source", None)
    d["id"] = article.external_id or str(article.id)
    d["store_id"] = article.id
    d["reports"] = [
        {"report_id": r.id, "event_id": r.event_id, **r.report.to_dict()}
        for r in store.reports_for_article(article.id)  # type: ignore[arg-type]
    ]
    return d


def _check_token(request: Request, token: str | None) -> None:
    """Refuse a write without a configured token (403) or with a missing or wrong one (401)."""
    if not token:
        raise ApiError(403, "writes_disabled", "this server accepts no writes (started without a token)")
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    ok = scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())
    if not ok:
        raise ApiError(401, "unauthorized", "a valid 'Authorization: Bearer TOKEN' header is required",
                       {"WWW-Authenticate": "Bearer"})


def create_app(store: Store, token: str | None = None, ingest_fn: IngestFn | None = None) -> FastAPI:
    """The FastAPI application serving the API under /api/ and the page at /."""
    # The bundled docs pages load scripts from a CDN; offline, the OpenAPI document is what counts.
    app = FastAPI(title="conflictwire", version=__version__, docs_url=None, redoc_url=None)
    install_error_handlers(app)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Callable[[Request], Any]) -> Response:
        response: Response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if response.headers.get("content-type", "").startswith("text/html"):
            response.headers.setdefault("Content-Security-Policy", _CSP)
        return response

    def require_token(request: Request) -> None:
        _check_token(request, token)

    @app.get("/api/events")
    def list_events(
        filters: Annotated[EventFilter, Depends(event_filter)],
        cursor: Annotated[str | None, Query(max_length=1000)] = None,
        limit: Annotated[int, Query(ge=1, le=_MAX_LIMIT)] = 100,
    ) -> dict[str, Any]:
        """Events matching the filters, newest first; pass ``next`` back as ``cursor``."""
        events, next_cursor = store.list_events(filters, cursor, limit)
        return {"events": [ev.to_dict() for ev in events], "next": next_cursor}

    @app.get("/api/events/{event_id}")
    def get_event(event_id: str) -> dict[str, Any]:
        """One event with its reports, source articles and version history."""
        event = store.get_event(event_id)
        if event is None:
            raise ApiError(404, "not_found", f"no event {event_id!r}")
        articles = store.get_articles(r.article_id for r in event.reports)
        return {**event.to_dict(), "sources": _sources(event, articles),
                "versions": store.event_history(event_id)}

    @app.get("/api/articles/{article_id}")
    def get_article(article_id: str) -> dict[str, Any]:
        """One article (by its external id or store id) with its reports."""
        article = store.get_article(article_id)
        if article is None:
            raise ApiError(404, "not_found", f"no article {article_id!r}")
        return _article_json(article, store)

    @app.get("/api/changes")
    def changes(
        since: Annotated[dt.datetime | None, Query(description="ISO 8601; naive means UTC")] = None,
        limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    ) -> dict[str, Any]:
        """Event versions recorded after ``since``, oldest first."""
        start = since or dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
        return {"changes": store.changes(start, limit)}

    @app.post("/api/articles", dependencies=[Depends(require_token)])
    def post_articles(
        body: Annotated[ArticleIn | list[ArticleIn], Body()],
    ) -> dict[str, Any]:
        """Process one article or a list of them (needs the bearer token)."""
        items = body if isinstance(body, list) else [body]
        if not items or len(items) > _MAX_POST:
            raise ApiError(400, "bad_request", f"post between 1 and {_MAX_POST} articles")
        if ingest_fn is None:
            raise ApiError(503, "ingest_unavailable", "this server has no ingest pipeline configured")
        return {"accepted": len(items), "result": ingest_fn([item.to_article() for item in items])}

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index(
        filters: Annotated[EventFilter, Depends(event_filter)],
        cursor: Annotated[str | None, Query(max_length=1000)] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> HTMLResponse:
        """The event list page."""
        events, next_cursor = store.list_events(filters, cursor, limit)
        articles = store.get_articles(ev.reports[0].article_id for ev in events if ev.reports)
        next_query = None
        if next_cursor:
            next_query = {k: str(v) for k, v in _filter_query(filters).items()}
            next_query.update(cursor=next_cursor, limit=str(limit))
        return HTMLResponse(render_event_list(events, articles, next_query))

    @app.get("/events/{event_id}", response_class=HTMLResponse, include_in_schema=False)
    def event_page(event_id: str) -> HTMLResponse:
        """One event's page."""
        event = store.get_event(event_id)
        if event is None:
            raise ApiError(404, "not_found", f"no event {event_id!r}")
        articles = store.get_articles(r.article_id for r in event.reports)
        return HTMLResponse(render_event(event, articles, store.event_history(event_id)))

    return app


def _filter_query(filters: EventFilter) -> dict[str, object]:
    """The query parameters that reproduce a filter (for the page's next link)."""
    out: dict[str, object] = {}
    for name, value in vars(filters).items():
        if value is None:
            continue
        out[name] = ",".join(str(v) for v in value) if name == "bbox" else value
    return out
