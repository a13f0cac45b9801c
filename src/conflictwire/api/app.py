"""The HTTP API and the page, over one Store.

Errors always answer JSON ``{"error": {"code", "message"}}`` with a fitting status; no stack trace
ever reaches a client, and a bad parameter's message names it. The OpenAPI document says exactly what
each parameter takes (formats, patterns, ranges). A request body over the ingest limit
(``conflictwire.ingest.DEFAULT_MAX_BYTES``) is refused (413) before it is read, and a posted article
the pipeline fails on is an error entry naming it while the others are stored.

Writes need ``Authorization: Bearer TOKEN`` and are refused (403) when the server was started without a
token. Reads are open unless a read token is configured; then every read (the API under /api/ and the
page, not /openapi.json or /static/) needs ``Authorization: Bearer READ_TOKEN`` or ``?token=READ_TOKEN``
(the write token is accepted too).
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import math
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Annotated, Any, Literal

from fastapi import Body, Depends, FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from conflictwire import __version__
from conflictwire.export import iter_acled_csv, iter_geojson, iter_jsonl
from conflictwire.ingest import DEFAULT_MAX_BYTES, INTERNAL_ERROR, InputProblem
from conflictwire.ingest.base import checked
from conflictwire.limits import MAX_ARTICLE_CHARS
from conflictwire.model import Article, Event
from conflictwire.store import (
    SORTS,
    EventFilter,
    InvalidCursor,
    InvalidQuery,
    InvalidRecord,
    NotFound,
    Store,
    StoreError,
)
from conflictwire.web import install_pages

log = logging.getLogger(__name__)

#: The collaborator that processes posted articles (ingest, extract, cluster); the CLI wires it.
IngestFn = Callable[[list[Article]], dict[str, Any]]

_MAX_LIMIT = 1000
_MAX_POST = 1000
#: Bytes of one request body: the limit of one input file or stream of ``conflictwire ingest``. A larger
#: body is refused (413) from its Content-Length, or as soon as more arrives, before it is parsed.
MAX_BODY_BYTES = DEFAULT_MAX_BYTES

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


# -- query parameters: what each accepts, said exactly in the OpenAPI document ---------------------

# The event filters (shared with the page, whose form sends its empty fields too) take an empty value
# as no filter; the other parameters take no empty value.

#: A calendar date (RFC 3339 full-date); a bare number such as 12345 is no date.
DATE_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
#: A date, or a date and time (seconds and up to 9 fraction digits optional) with an optional ``Z`` or
#: ``+HH:MM``/``-HH:MM`` offset; without an offset it is UTC, a date alone is its midnight UTC.
DATETIME_PATTERN = (r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
                    r"([T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,9})?)?"
                    r"(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?)?$")
_NUMBER = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]{1,3})?"
#: Four decimal numbers separated by commas (spaces allowed around them); or empty, no box.
BBOX_PATTERN = rf"^( *{_NUMBER} *, *{_NUMBER} *, *{_NUMBER} *, *{_NUMBER} *)?$"
_MAX_CURSOR = 1000
_MAX_MIN_SOURCES = 1_000_000


def _checked(name: str, pattern: str, what: str, parse: Callable[[str], Any],
             empty_ok: bool = False) -> Callable[[Any], Any]:
    """A validator of one query parameter: the text must match ``pattern`` and parse (or be empty, when
    ``empty_ok``: no value), else a 422 that names the parameter and says what it takes (without
    echoing the value)."""
    compiled = re.compile(pattern)

    def check(value: Any) -> Any:
        if value is None or (empty_ok and value == ""):
            return None
        if not isinstance(value, str) or not compiled.fullmatch(value):
            raise ValueError(f"must be {what}")
        try:
            return parse(value)
        except ValueError:
            raise ValueError(f"must be {what} (this one is not on the calendar)") from None

    check.__name__ = f"check_{name}"
    return check


def _blank_is_none(value: Any) -> Any:
    """An empty filter value is no filter."""
    return None if value == "" else value


_DATE_WHAT = "a date YYYY-MM-DD"
_DATETIME_WHAT = ("a date YYYY-MM-DD or a date and time YYYY-MM-DDTHH:MM[:SS[.fraction]] with an optional "
                  "Z or +HH:MM offset (none means UTC)")
#: A filter's empty value, as a schema.
_EMPTY = {"type": "string", "maxLength": 0}
_DATE_SCHEMA = WithJsonSchema({"anyOf": [{"type": "string", "format": "date", "pattern": DATE_PATTERN}, _EMPTY],
                               "examples": ["2024-10-17"]})


def _day_bound(name: str, side: str) -> Any:
    """A date filter parameter: events on or ``side`` ("after"/"before") the day given."""
    return Annotated[
        dt.date | None,
        BeforeValidator(_checked(name, DATE_PATTERN, _DATE_WHAT, dt.date.fromisoformat, empty_ok=True)),
        _DATE_SCHEMA,
        Query(description=f"events on or {side} this day: {_DATE_WHAT} (a calendar date; numbers are refused; "
                          "empty: no limit)"),
    ]


DateFrom = _day_bound("date_from", "after")
DateTo = _day_bound("date_to", "before")
Since = Annotated[
    dt.datetime | None,
    BeforeValidator(_checked("since", DATETIME_PATTERN, _DATETIME_WHAT, dt.datetime.fromisoformat)),
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": DATETIME_PATTERN,
                    "examples": ["2024-10-17T09:30:00Z", "2024-10-17"]}),
    Query(description=f"changes at or after this time: {_DATETIME_WHAT}; numbers are refused"),
]
Bbox = Annotated[
    str | None,
    WithJsonSchema({"type": "string", "pattern": BBOX_PATTERN, "maxLength": 200,
                    "examples": ["36,35,37,36.5", "170,-20,-170,-10"]}),
    Query(max_length=200, description=(
        "min_lon,min_lat,max_lon,max_lat in decimal degrees: longitudes -180 to 180, latitudes -90 to 90, "
        "min_lat not above max_lat; min_lon above max_lon is a box across the antimeridian; events without "
        "coordinates are left out; empty: no box. Anything else answers 400 invalid_query")),
]
MinSources = Annotated[
    Annotated[int, Field(ge=0, le=_MAX_MIN_SOURCES)] | None,
    BeforeValidator(_blank_is_none),
    WithJsonSchema({"anyOf": [{"type": "integer", "minimum": 0, "maximum": _MAX_MIN_SOURCES}, _EMPTY]}),
    Query(description=(
        f"at least this many independent sources: an integer, 0 to {_MAX_MIN_SOURCES:,}; empty: no limit")),
]
Cursor = Annotated[
    str | None,
    WithJsonSchema({"type": "string", "maxLength": _MAX_CURSOR}),
    Query(max_length=_MAX_CURSOR, description=(
        "opaque: the `next` of the previous page, passed back unchanged; valid only with the same `sort` "
        "and filters. Empty or absent starts at the first page; a cursor this API did not hand out "
        "(or one made for another sort) answers 400 invalid_cursor")),
]


class ApiError(Exception):
    """An error answered as JSON with this status, code and message."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers


class ArticleIn(BaseModel):
    """A posted article: the input line of ``conflictwire extract``."""

    model_config = ConfigDict(extra="ignore")

    id: str | None = Field(default=None, max_length=512)
    #: A text over MAX_ARTICLE_CHARS is refused as ``too-large`` by itself (the others of the post go on),
    #: as every reader refuses it; the body limit bounds it here.
    text: str = Field(min_length=1, max_length=MAX_BODY_BYTES, description=(
        f"at most {MAX_ARTICLE_CHARS:,} characters; a longer one is refused as too-large, the others "
        "of the post are processed"))
    title: str | None = Field(default=None, max_length=10_000)
    published: Annotated[
        dt.date | None,
        BeforeValidator(_checked("published", DATE_PATTERN, _DATE_WHAT, dt.date.fromisoformat)),
        WithJsonSchema({"anyOf": [{"type": "string", "format": "date", "pattern": DATE_PATTERN}, {"type": "null"}]}),
    ] = None
    url: str | None = Field(default=None, max_length=4096)
    outlet: str | None = Field(default=None, max_length=512)
    language: str | None = Field(default=None, max_length=32)

    def to_article(self, source: str = "api") -> Article:
        """The Article the pipeline takes; ``source`` names it in the pipeline's errors."""
        return Article(text=self.text, title=self.title, external_id=self.id, outlet=self.outlet, url=self.url,
                       published=self.published, language=self.language, source=source)


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
    text = {400: "a query that makes no sense (bad cursor, bbox, ...); the message names the parameter",
            401: "a token is needed", 403: "writes are disabled", 404: "not found",
            413: f"the request body is larger than {MAX_BODY_BYTES:,} bytes",
            422: "a parameter or body field of the wrong type, format or range; the message names it",
            503: "the database or the pipeline is unavailable"}
    return {status: {"model": ErrorOut, "description": text[status]} for status in statuses}


_READ_ERRORS = _error_responses(400, 401, 422, 503)
_ONE_ERRORS = _error_responses(401, 404, 422, 503)


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """The JSON error response."""
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


#: The two forms of POST /api/articles' body, as the validation errors name them, and their JSON types.
_BODY_FORMS = {"ArticleIn": dict, "list[ArticleIn]": list}


def _validation_message(exc: RequestValidationError) -> str:
    """Where and why a request was invalid (the parameter or body field by name, e.g. ``query parameter
    date_from`` or ``body[2].text``), without echoing the submitted values."""
    errors = exc.errors()
    body = getattr(exc, "body", None)
    # A body is one article or a list: only the errors of the form it has are worth telling.
    form = next((name for name, kind in _BODY_FORMS.items() if isinstance(body, kind)), None)
    if form:
        errors = [err for err in errors if len(err.get("loc", ())) < 2 or err["loc"][0] != "body"
                  or err["loc"][1] not in _BODY_FORMS or err["loc"][1] == form] or errors
    parts = []
    for err in errors[:5]:
        loc = list(err.get("loc", ()))
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        if err.get("type") == "json_invalid":
            where, msg = "body", f"not valid JSON ({(err.get('ctx') or {}).get('error', 'cannot be parsed')})"
        elif loc and loc[0] in ("query", "path", "header", "cookie"):
            where = f"{loc[0]} parameter {'.'.join(map(str, loc[1:]))}" if len(loc) > 1 else loc[0]
        elif loc and loc[0] == "body":
            path = [p for p in loc[1:] if p not in _BODY_FORMS]
            where = "body" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)
            if not form and len(loc) > 1 and loc[1] in _BODY_FORMS:
                where, msg = "body", f"must be an article (a JSON object) or a list of 1 to {_MAX_POST} of them"
        else:
            where = ".".join(map(str, loc)) or "request"
        if f"{where}: {msg}" not in parts:
            parts.append(f"{where}: {msg}")
    return "; ".join(parts) or "invalid request"


def _store_error_response(exc: StoreError) -> JSONResponse:
    """Map the store's typed errors to statuses; database failures hide their details."""
    if isinstance(exc, NotFound):
        return _error(404, exc.code, str(exc))
    if isinstance(exc, InvalidCursor):
        return _error(400, exc.code, f"query parameter cursor: {exc}")
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
    async def internal_error(request: Request, exc: Exception) -> JSONResponse:
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
        return _error(500, "internal_error", "internal server error")


_BBOX = re.compile(BBOX_PATTERN)


def parse_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    """``min_lon,min_lat,max_lon,max_lat`` (BBOX_PATTERN) as four in-range numbers; empty is no box."""
    if not text:
        return None
    values = tuple(float(v) for v in text.split(",")) if _BBOX.fullmatch(text) else ()
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise ApiError(400, "invalid_query",
                       "query parameter bbox: must be four numbers min_lon,min_lat,max_lon,max_lat")
    min_lon, min_lat, max_lon, max_lat = values
    if not (-180 <= min_lon <= 180 and -180 <= max_lon <= 180):
        raise ApiError(400, "invalid_query", "query parameter bbox: longitudes must be between -180 and 180")
    if not (-90 <= min_lat <= 90 and -90 <= max_lat <= 90):
        raise ApiError(400, "invalid_query", "query parameter bbox: latitudes must be between -90 and 90")
    if min_lat > max_lat:
        raise ApiError(400, "invalid_query", "query parameter bbox: min_lat is above max_lat")
    return min_lon, min_lat, max_lon, max_lat


def _no_nul(name: str, value: str | None) -> str | None:
    """A text parameter without NUL characters (which no database column can hold)."""
    if value is not None and "\x00" in value:
        raise ApiError(400, "invalid_query", f"query parameter {name}: contains a NUL character")
    return value


async def event_filter(
    date_from: DateFrom = None,
    date_to: DateTo = None,
    bbox: Bbox = None,
    country_code: Annotated[str | None, Query(max_length=8, description=(
        "the location's ISO 3166-1 alpha-2 code, any case (exact; another text matches nothing). For this "
        "and every text filter below, empty is no filter"))] = None,
    event_type: Annotated[str | None, Query(max_length=64, description=(
        "an ACLED event type, exactly as written (e.g. Battles); another text matches nothing"))] = None,
    sub_event_type: Annotated[str | None, Query(max_length=64, description=(
        "an ACLED sub-event type, exactly as written (e.g. Armed clash)"))] = None,
    grade: Annotated[str | None, Query(max_length=32, description=(
        "single-source, corroborated, cross-partisan, contested or denied"))] = None,
    min_sources: MinSources = None,
    actor: Annotated[str | None, Query(max_length=200, description="substring of an actor name, any case")] = None,
    q: Annotated[str | None, Query(max_length=200, description="substring of the event's data, any case")] = None,
    admin1: Annotated[str | None, Query(max_length=200,
                                        description="the location's admin1, exact but any case")] = None,
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


class BodyLimit:
    """Refuse (413) a request body over ``max_bytes``: at once from its Content-Length, else as soon as
    the bytes received pass the limit, before any other layer sees the request (so none of them reads
    or keeps more). A body within the limit is handed on as it came."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        too_large = _error(413, "too_large", f"the request body is larger than {self.max_bytes:,} bytes")
        length = next((v for k, v in scope.get("headers", ()) if k == b"content-length"), None)
        if length is not None:
            declared = int(length) if length.isdigit() else -1
            if declared < 0:
                await _error(400, "bad_request", "the Content-Length header is not a length")(scope, receive, send)
                return
            if declared > self.max_bytes:
                await too_large(scope, receive, send)
                return
        if scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)  # no route reads their bodies
            return
        chunks: deque[bytes] = deque()
        received = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            received += len(chunk)
            if received > self.max_bytes:
                await too_large(scope, receive, send)
                return
            chunks.append(chunk)
            more = bool(message.get("more_body", False))

        async def replay() -> Message:
            if chunks:
                return {"type": "http.request", "body": chunks.popleft(), "more_body": bool(chunks)}
            return await receive()

        await self.app(scope, replay, send)


def _empty_summary() -> dict[str, Any]:
    """What the pipeline answers for no article (imported late: the pipeline loads the extractor)."""
    try:
        from conflictwire.pipeline import IngestSummary

        return IngestSummary().to_dict()
    except Exception:  # noqa: BLE001 (a summary without its zeros is still a summary)
        return {}


def _database_down(exc: Exception) -> bool:
    """Whether an exception says the database cannot answer: no article is to blame (503 for all)."""
    return isinstance(exc, StoreError) and not isinstance(exc, InvalidRecord | InvalidQuery | NotFound)


def _merge_summaries(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """One summary of several ingest calls: numbers added, lists joined."""
    total: dict[str, Any] = _empty_summary()
    for part in parts:
        for key, value in part.items():
            if isinstance(value, bool) or not isinstance(value, int | list):
                total[key] = value
            elif isinstance(value, list):
                total[key] = [*total.get(key, []), *value]
            else:
                total[key] = total.get(key, 0) + value
    return total


def _ingest_each(store: Store, ingest_fn: IngestFn, articles: list[Article], names: list[str]) -> dict[str, Any]:
    """The pipeline over the posted articles, where an article that makes it fail costs no other.

    All go in one call (the pipeline parses them in batches); should that fail, each is ingested on its
    own, and one that fails again is an ``internal-error`` entry in ``errors``, named by its id (or its
    index in the list), and logged with its traceback. Articles the failed call had already stored
    (found by content hash) are counted as new, not ingested twice.
    """
    known = [_stored(store, a) is not None for a in articles]
    try:
        return ingest_fn(articles)
    except Exception as exc:  # noqa: BLE001 (the per-article retry below names the culprit)
        if _database_down(exc):
            raise
        if len(articles) > 1:
            log.exception("ingesting %d posted articles failed; ingesting them one at a time", len(articles))
        else:
            log.exception("ingesting posted article %s failed", names[0])
            return _merge_summaries([_failed(names[0])])
    parts: list[dict[str, Any]] = []
    for article, name, was_known in zip(articles, names, known, strict=True):
        stored = None if was_known else _stored(store, article)
        if stored is not None:
            parts.append(_stored_summary(store, stored))
            continue
        try:
            parts.append(ingest_fn([article]))
        except Exception as exc:  # noqa: BLE001
            if _database_down(exc):
                raise
            log.exception("ingesting posted article %s failed", name)
            parts.append(_failed(name))
    return _merge_summaries(parts)


def _stored(store: Store, article: Article) -> Article | None:
    """The stored article with this one's content, if any (None when the store cannot tell)."""
    try:
        return store.get_article_by_hash(article.content_hash)
    except StoreError:
        return None


def _stored_summary(store: Store, article: Article) -> dict[str, Any]:
    """The summary of an article stored (with its reports and events) by an ingest call that then failed."""
    try:
        reports = store.reports_for_article(article.id) if article.id is not None else []
    except StoreError:
        reports = []
    return {"articles_seen": 1, "articles_new": 1, "reports": len(reports),
            "events_changed": len({r.event_id for r in reports if getattr(r, "event_id", None)})}


def _failed(name: str) -> dict[str, Any]:
    """The summary of a posted article the pipeline failed on: one error entry naming it."""
    return {"errors": [f"{name}: {INTERNAL_ERROR}: the pipeline failed on this article, which was not stored "
                       "(the server log has the details)"]}


def _document_security(app: FastAPI, read_protected: bool) -> None:
    """Say in the OpenAPI document how a request offers its token: writes always need the bearer token;
    reads need a token only when the server has a read token, and then take any of the three forms."""
    make_document = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = make_document()
            doc.setdefault("components", {})["securitySchemes"] = {
                "bearer": {"type": "http", "scheme": "bearer", "description":
                           "Authorization: Bearer TOKEN (the write token; for reads also the read token)"},
                "token": {"type": "apiKey", "in": "query", "name": "token",
                          "description": "?token=READ_TOKEN on a read; a valid one also sets the read cookie"},
                "cookie": {"type": "apiKey", "in": "cookie", "name": _READ_COOKIE,
                           "description": "set by a valid ?token= (HttpOnly, SameSite=Strict); reads only"},
            }
            for operations in doc.get("paths", {}).values():
                for method, operation in operations.items():
                    if method == "post":
                        operation["security"] = [{"bearer": []}]
                    elif read_protected:
                        operation["security"] = [{"bearer": []}, {"token": []}, {"cookie": []}]
            app.openapi_schema = doc
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


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
        cursor: Cursor = None,
        limit: Annotated[int, Query(ge=1, le=_MAX_LIMIT, description=f"events per page, 1 to {_MAX_LIMIT}")] = 100,
        sort: Annotated[SortName, Query(description="order; a cursor only works with its own sort")] = "date_desc",
        reports: Annotated[bool, Query(description="false: events without their reports (faster; for lists and "
                                                   "maps), as GET /api/events/{id} gives them; true or false")] = True,
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
        sort: Annotated[SortName, Query(description="the order of the events in the file")] = "date_desc",
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
    async def get_event(event_id: Annotated[str, Path(description="the event's id, as in its `id`")]) -> Response:
        """One event with its reports, source articles and version history."""
        event = store.get_event(event_id) if "\x00" not in event_id else None
        if event is None:
            raise ApiError(404, "not_found", f"no event {event_id!r}")
        articles = store.get_articles(r.article_id for r in event.reports)
        return JSONResponse({**event.to_dict(), "sources": _sources(event, articles),
                             "versions": store.event_history(event_id)})

    @app.get("/api/articles/{article_id}", responses=_ONE_ERRORS)
    def get_article(article_id: Annotated[str, Path(description=(
            "the id the article was posted or ingested with, else its `store_id`"))]) -> dict[str, Any]:
        """One article (by its external id or store id) with its reports."""
        article = store.get_article(article_id) if "\x00" not in article_id else None
        if article is None:
            raise ApiError(404, "not_found", f"no article {article_id!r}")
        return _article_json(article, store)

    @app.get("/api/changes", responses=_READ_ERRORS)
    def changes(
        since: Since = None,
        after: Annotated[int | None, Query(ge=0, le=2**62, description=(
            "the last change_id seen (exact cursor): an integer, 0 to 2^62"))] = None,
        limit: Annotated[int, Query(ge=1, le=10_000, description="changes per answer, 1 to 10,000")] = 1000,
    ) -> dict[str, Any]:
        """Event versions (new, changed, merged, split, deleted) after ``since`` and after the change id
        ``after``, oldest first; pass ``next`` back as ``after`` to read the feed without gaps or repeats."""
        rows = store.changes(since, limit, after)  # the store reads naive as UTC and clamps the extremes
        return {"changes": rows, "next": rows[-1]["change_id"] if rows else after}

    @app.post("/api/articles", dependencies=[Depends(require_token)],
              responses=_error_responses(400, 401, 403, 413, 422, 503))
    def post_articles(
        body: Annotated[ArticleIn | Annotated[list[ArticleIn], Field(min_length=1, max_length=_MAX_POST)],
                        Body(description=(f"one article or a list of 1 to {_MAX_POST}; the whole body at most "
                                          f"{MAX_BODY_BYTES:,} bytes"))],
    ) -> dict[str, Any]:
        """Process one article or a list of them (needs the bearer token).

        Each article is processed on its own: one that is refused (a text over the article limit is
        `too-large`) or that the pipeline fails on is named in `result.errors` (`api:ID: CODE: message`,
        or `api:[INDEX]: ...` for an article without an id; CODE `internal-error` when the pipeline itself
        failed), and the others are stored all the same. A body over the size limit answers 413 before
        it is read."""
        items = body if isinstance(body, list) else [body]  # a list has 1 to _MAX_POST (checked: 422)
        if ingest_fn is None:
            raise ApiError(503, "ingest_unavailable", "this server has no ingest pipeline configured")
        # Each article is named by its id, else its index in the list, in every error about it.
        names = [f"api:{item.id}" if item.id else f"api:[{n}]" for n, item in enumerate(items)]
        articles, refused = [], []
        for item, name in zip(items, names, strict=True):
            try:
                articles.append(checked(item.to_article(name)))
            except InputProblem as problem:  # too long a text: this article alone is refused
                refused.append({"errors": [f"{name}: {problem.code}: {problem.message}"]})
        result = _ingest_each(store, ingest_fn, articles, [a.source or "api" for a in articles]) if articles else {}
        return {"accepted": len(items), "result": _merge_summaries([result, *refused]) if refused else result}

    install_pages(app, store)
    _document_security(app, read_protected=bool(read_token))
    # Outermost, so that no other layer reads a body over the limit.
    app.add_middleware(BodyLimit, max_bytes=MAX_BODY_BYTES)

    return app

