"""The page routes: ``/`` (map page), ``/events/{id}`` (event page) and the static files at ``/static``."""

from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, Query
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from conflictwire.store import EventFilter, Store
from conflictwire.web.pages import FILTER_NAMES, SORTS, render_event, render_index

#: The page's own script and style and the vendored libraries (see tools/build_web_assets.py).
STATIC_DIR = Path(__file__).resolve().parent / "static"

_SORT_NAMES = tuple(name for name, _ in SORTS)


def _filter_query(filters: EventFilter) -> dict[str, str]:
    """The query parameters that reproduce a filter, in the API's names."""
    out: dict[str, str] = {}
    for name in FILTER_NAMES:
        value = getattr(filters, name, None)
        if value is None or value == "":
            continue
        out[name] = ",".join(f"{v:g}" for v in value) if name == "bbox" else str(value)
    return out


def install_pages(app: FastAPI, store: Store) -> None:
    """Add the pages and ``/static`` to ``app``; errors answer like the API's (JSON)."""
    # Imported here: conflictwire.api.app imports this module.
    from conflictwire.api.app import ApiError, event_filter

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def index(
        filters: Annotated[EventFilter, Depends(event_filter)],
        cursor: Annotated[str | None, Query(max_length=1000)] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        sort: Annotated[str | None, Query(max_length=32)] = None,
        token: Annotated[str | None, Query(max_length=1000)] = None,
    ) -> HTMLResponse:
        """The map page, with the first ``limit`` matching events listed for readers without script."""
        if sort and sort not in _SORT_NAMES:
            raise ApiError(422, "invalid_request", f"sort must be one of {', '.join(_SORT_NAMES)}")
        events, next_cursor = store.list_events(filters, cursor, limit, sort or None)
        articles = store.get_articles(ev.reports[0].article_id for ev in events if ev.reports)
        query = _filter_query(filters)
        if sort:
            query["sort"] = sort
        next_query = {**query, "cursor": next_cursor, "limit": str(limit)} if next_cursor else None
        if next_query and token:
            next_query["token"] = token
        return HTMLResponse(render_index(events, articles, query, next_query, token))

    @app.get("/events/{event_id}", response_class=HTMLResponse, include_in_schema=False)
    async def event_page(event_id: str, token: Annotated[str | None, Query(max_length=1000)] = None) -> HTMLResponse:
        """One event's page."""
        event = store.get_event(event_id) if "\x00" not in event_id else None
        if event is None:
            raise ApiError(404, "not_found", f"no event {event_id!r}")
        articles = store.get_articles(r.article_id for r in event.reports)
        return HTMLResponse(render_event(event, articles, store.event_history(event_id), token))
