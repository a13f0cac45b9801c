"""The HTTP API and the page, over one Store.

Errors always answer JSON ``{"error": {"code", "message"}}`` with a fitting status; no stack trace
ever reaches a client. Writes need ``Authorization: Bearer TOKEN`` and are refused (403) when the
server was started without a token. Reads are open unless a read token is configured; then every read
(the API under /api/ and the page, not /openapi.json or /static/) needs ``Authorization: Bearer
READ_TOKEN`` or ``?token=READ_TOKEN`` (the write token is accepted too).
"""

from __future__ import annotations

import datetime as dt
import hmac
import math
from collections.abc import Callable, Iterable, Iterator
from typing import Annotated, Any, Literal

from fastapi import Body, Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from conflictwire import __version__
from conflictwire.export import iter_acled_csv, iter_geojson, iter_jsonl
from conflictwire.model import Article, Event
from conflictwire.store import SORTS, EventFilter, InvalidQuery, InvalidRecord, NotFound, Store, StoreError
from conflictwire.web import install_pages

#: The collaborator that processes posted articles (ingest, extract, cluster); the CLI wires it.
IngestFn = Callable[[list[Article]], dict[str, Any]]

_MAX_LIMIT = 1000
_MAX_POST = 1000

#: The list orders (store.SORTS); ties are broken by event id, events without the key come last.
SortName = Literal["date_desc", "date_asc", "fatalities_desc", "sources_desc"]
if set(SortName.__args__) != set(SORTS):  # type: ignore[attr-defined]  # pragma: no cover
    raise RuntimeError("the API's sort names differ from the store's")

#: Export formats: (writer of text chunks, media type, file extension).
_EXPORTS: dict[str, tuple[Callable[[Iterable[Event]], Iterator[str]], str, str]] = {
    "csv": (iter_acled_csv, "text/csv; charset=utf-8", "csv"),
    "geojson": (iter_geojson, "application/geo+json", "geojson"),
    "jsonl": (iter_jsonl, "application/x-ndjson", "jsonl"),
}
#: Events read from the store per query while exporting, and bytes sent per chunk.
_EXPORT_PAGE = 500
_EXPORT_CHUNK = 64 * 1024

#: Paths that stay open when a read token is configured: the API's description and the page's assets.
_OPEN_PATHS = ("/openapi.json", "/static/")
#: A valid ``?token=`` sets this cookie (HttpOnly, SameSite=Strict) so that the page's own requests
#: (its script's calls to /api/, its links) need no token in their URLs. It only ever grants reads.
_READ_COOKIE = "conflictwire_read"

_STATUS_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                 405: "method_not_allowed", 413: "too_large", 415: "unsupported_media_type",
                 422: "invalid_request", 503: "unavailable"}

# The pages' script and style come only from /static (nothing inline), so nothing injected could run.
_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")


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


class ErrorDetail(BaseModel):
    """What went wrong: a stable code and a message for people."""

    code: str
    message: str


class ErrorOut(BaseModel):
    """The body of every error response."""

    error: ErrorDetail


class EventsPage(BaseModel):
    """One page of events (each the EVENT object of the JSONL export) and the next page's cursor."""

    events: list[dict[str, Any]]
    next: str | None


def _error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses a route answers with (the JSON error object)."""
    text = {400: "a query that makes no sense (bad cursor, bbox, ...)", 401: "a token is needed",
            403: "writes are disabled", 404: "not found", 422: "a parameter of the wrong type or out of range",
            503: "the database or the pipeline is unavailable"}
    return {status: {"model": ErrorOut, "description": text[status]} for status in statuses}


_READ_ERRORS = _error_responses(400, 401, 422, 503)
_ONE_ERRORS = _error_responses(401, 404, 422, 503)


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


def _no_nul(name: str, value: str | None) -> str | None:
    """A text parameter without NUL characters (which no database column can hold)."""
    if value is not None and "\x00" in value:
        raise ApiError(400, "invalid_query", f"{name} contains a NUL character")
    return value


async def event_filter(
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
    admin1: Annotated[str | None, Query(max_length=200, description="the location's admin1, any case")] = None,
) -> EventFilter:
    """The event filters, from query parameters."""
    texts = {"country_code": country_code, "event_type": event_type, "sub_event_type": sub_event_type,
             "grade": grade, "actor": actor, "q": q, "admin1": admin1}
    for name, value in texts.items():
        _no_nul(name, value)
    return EventFilter(date_from=date_from, date_to=date_to, bbox=parse_bbox(bbox), country_code=country_code,
                       event_type=event_type, sub_event_type=sub_event_type, grade=grade,
                       min_sources=min_sources, actor=actor, q=q, admin1=admin1)


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


def _given_tokens(request: Request) -> list[str]:
    """The tokens a request offers: its bearer token, its ``token`` query parameter and its read cookie."""
    given = []
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        given.append(value.strip())
    given.extend(v for v in request.query_params.getlist("token") if v)
    cookie = request.cookies.get(_READ_COOKIE)
    if cookie:
        given.append(cookie)
    return given


def _matches(given: str, accepted: list[str]) -> bool:
    """Whether a token is one of the accepted ones (compared in constant time)."""
    return any(hmac.compare_digest(given.encode(), a.encode()) for a in accepted)


def _may_read(request: Request, accepted: list[str]) -> bool:
    """Whether the request offers one of the accepted tokens."""
    return any(_matches(g, accepted) for g in _given_tokens(request))


def _export_stream(first: list[Event], more: Iterator[Event], fmt: str) -> Iterator[bytes]:
    """The export's bytes in chunks of about _EXPORT_CHUNK: the first page, then the rest as read."""
    writer = _EXPORTS[fmt][0]

    def events() -> Iterator[Event]:
        yield from first
        yield from more

    pending: list[str] = []
    size = 0
    for chunk in writer(events()):
        pending.append(chunk)
        size += len(chunk)
        if size >= _EXPORT_CHUNK:
            yield "".join(pending).encode("utf-8")
            pending, size = [], 0
    if pending:
        yield "".join(pending).encode("utf-8")


def create_app(store: Store, token: str | None = None, ingest_fn: IngestFn | None = None,
               read_token: str | None = None) -> FastAPI:
    """The FastAPI application serving the API under /api/ and the page at /.

    ``token`` allows writes; ``read_token``, when given, is needed (as a bearer token or a ``token``
    query parameter; the write token also does) for every read but /openapi.json and /static/.
    """
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

    read_tokens = [t for t in (read_token, token) if t]

    @app.middleware("http")
    async def read_access(request: Request, call_next: Callable[[Request], Any]) -> Response:
        path = request.url.path
        if (read_token and request.method in ("GET", "HEAD") and not path.startswith(_OPEN_PATHS)
                and not _may_read(request, read_tokens)):
            return _error(401, "unauthorized",
                          "reading needs 'Authorization: Bearer TOKEN' or a 'token' query parameter",
                          {"WWW-Authenticate": "Bearer"})
        response: Response = await call_next(request)
        if read_token:
            offered = request.query_params.get("token")
            if offered and _matches(offered, read_tokens) and request.cookies.get(_READ_COOKIE) != offered:
                response.set_cookie(_READ_COOKIE, offered, httponly=True, samesite="strict",
                                    secure=request.url.scheme == "https", path="/")
        return response

    def require_token(request: Request) -> None:
        _check_token(request, token)

    # The two busiest routes answer with JSON they encode themselves: FastAPI's generic encoding of a
    # page of 100 events costs several times the database query (see bench/api_bench.py). They (and
    # their filter dependency) are coroutines that call the store directly: each request is a few
    # milliseconds of Python, and under load running them one after another on the event loop gave
    # three times the requests per second of a thread pool whose threads fight over the GIL.
    @app.get("/api/events", responses=_READ_ERRORS, response_model=EventsPage)
    async def list_events(
        filters: Annotated[EventFilter, Depends(event_filter)],
        cursor: Annotated[str | None, Query(max_length=1000)] = None,
        limit: Annotated[int, Query(ge=1, le=_MAX_LIMIT)] = 100,
        sort: Annotated[SortName, Query(description="order; a cursor only works with its own sort")] = "date_desc",
        reports: Annotated[bool, Query(description="false: events without their reports (faster; for lists and "
                                                   "maps), as GET /api/events/{id} gives them")] = True,
    ) -> Response:
        """Events matching the filters, newest first by default; pass ``next`` back as ``cursor``."""
        events, next_cursor = store.list_events(filters, cursor, limit, sort, with_reports=reports)
        return JSONResponse({"events": [ev.to_dict(with_reports=reports) for ev in events], "next": next_cursor})

    @app.get("/api/export", response_class=StreamingResponse,
             responses={200: {"description": "the events as a file",
                              "content": {"text/csv": {}, "application/geo+json": {}, "application/x-ndjson": {}}},
                        **_READ_ERRORS})
    def export_events(
        filters: Annotated[EventFilter, Depends(event_filter)],
        format: Annotated[Literal["csv", "geojson", "jsonl"], Query(description="csv is ACLED-style")] = "csv",
        sort: Annotated[SortName, Query()] = "date_desc",
    ) -> StreamingResponse:
        """Every event matching the filters as ACLED-style CSV, GeoJSON or JSONL, streamed."""
        # The first page is read before the response starts, so a failing store still answers JSON.
        first, cursor = store.list_events(filters, None, _EXPORT_PAGE, sort)

        def rest() -> Iterator[Event]:
            next_cursor = cursor
            while next_cursor:
                page, next_cursor = store.list_events(filters, next_cursor, _EXPORT_PAGE, sort)
                yield from page

        _, media_type, ext = _EXPORTS[format]
        name = f"conflictwire-events-{dt.datetime.now(dt.UTC):%Y%m%d}.{ext}"
        return StreamingResponse(_export_stream(first, rest(), format), media_type=media_type,
                                 headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @app.get("/api/events/{event_id}", responses=_ONE_ERRORS, response_model=dict[str, Any])
    async def get_event(event_id: str) -> Response:
        """One event with its reports, source articles and version history."""
        event = store.get_event(event_id) if "\x00" not in event_id else None
        if event is None:
            raise ApiError(404, "not_found", f"no event {event_id!r}")
        articles = store.get_articles(r.article_id for r in event.reports)
        return JSONResponse({**event.to_dict(), "sources": _sources(event, articles),
                             "versions": store.event_history(event_id)})

    @app.get("/api/articles/{article_id}", responses=_ONE_ERRORS)
    def get_article(article_id: str) -> dict[str, Any]:
        """One article (by its external id or store id) with its reports."""
        article = store.get_article(article_id) if "\x00" not in article_id else None
        if article is None:
            raise ApiError(404, "not_found", f"no article {article_id!r}")
        return _article_json(article, store)

    @app.get("/api/changes", responses=_READ_ERRORS)
    def changes(
        since: Annotated[dt.datetime | None, Query(description="ISO 8601; naive means UTC")] = None,
        after: Annotated[int | None, Query(ge=0, le=2**62, description="the last change_id seen (exact cursor)")] = None,
        limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    ) -> dict[str, Any]:
        """Event versions (new, changed, merged, split, deleted) after ``since`` and after the change id
        ``after``, oldest first; pass ``next`` back as ``after`` to read the feed without gaps or repeats."""
        rows = store.changes(since, limit, after)  # the store reads naive as UTC and clamps the extremes
        return {"changes": rows, "next": rows[-1]["change_id"] if rows else after}

    @app.post("/api/articles", dependencies=[Depends(require_token)], responses=_error_responses(400, 401, 403, 422, 503))
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

    install_pages(app, store)

    return app

