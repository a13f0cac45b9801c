"""Server-rendered HTML pages: the event list and one event with its evidence.

Article text is untrusted: every value goes through ``html.escape`` (quotes included) before it
reaches the page, and the page carries no script.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from urllib.parse import quote, urlencode

from conflictwire.model import Actor, Article, Event, StoredReport

#: Characters of context shown on each side of an evidence span.
_CONTEXT = 120

_STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5rem;max-width:75rem;color:#222}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ddd;padding:.35rem;text-align:left;
vertical-align:top}th{background:#f4f4f4}mark{background:#ffe58a}.muted{color:#666}
blockquote{margin:.3rem 0;padding-left:.6rem;border-left:3px solid #ccc}
.grade{font-weight:600}
"""


def e(value: object) -> str:
    """Escape any value for HTML text or a quoted attribute; None shows as empty."""
    return "" if value is None else html.escape(str(value), quote=True)


def _page(title: str, body: str) -> str:
    """A whole HTML document around ``body``."""
    return (
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
        f"<title>{e(title)}</title><style>{_STYLE}</style></head>\n<body>\n{body}\n</body></html>\n"
    )


def _actor(actor: Actor | None) -> str:
    """An actor's normalised name."""
    return e(actor.name) if actor else ""


def _place(event: Event) -> str:
    """The event's place: name, region and country code."""
    loc = event.location
    if loc is None:
        return "<span class=\"muted\">unknown</span>"
    parts = [p for p in (loc.name, loc.admin1, loc.country_code) if p]
    return e(", ".join(parts))


def _fatalities(event: Event) -> str:
    """Fatalities as a best value, or a low-high range when sources disagree."""
    fat = event.fatalities
    if fat is None:
        return ""
    if fat.low is not None and fat.high is not None and fat.low != fat.high:
        return e(f"{fat.low}\u2013{fat.high}")
    return e(fat.best if fat.best is not None else fat.low)


def evidence_html(stored: StoredReport, article: Article | None, limit: int = 1) -> str:
    """The first ``limit`` evidence spans of a report, highlighted inside their context."""
    if article is None:
        return ""
    text = article.text
    quotes = []
    for span in stored.report.evidence[:limit]:
        start, end = max(0, min(span.start, len(text))), max(0, min(span.end, len(text)))
        if end <= start:
            continue
        before = text[max(0, start - _CONTEXT):start]
        after = text[end:end + _CONTEXT]
        quotes.append(f"<blockquote>\u2026{e(before)}<mark>{e(text[start:end])}</mark>{e(after)}\u2026</blockquote>")
    return "".join(quotes)


def _event_link(event: Event) -> str:
    """A link to the event's page."""
    return f"<a href=\"/events/{e(quote(event.id, safe=''))}\">{e(event.id)}</a>"


def render_event_list(
    events: Iterable[Event], articles: Mapping[int, Article], next_query: Mapping[str, str] | None
) -> str:
    """The front page: one row per event, with the first evidence quote of its first report."""
    rows = []
    for event in events:
        first = event.reports[0] if event.reports else None
        quote_html = evidence_html(first, articles.get(first.article_id)) if first else ""
        rows.append(
            "<tr>"
            f"<td>{_event_link(event)}</td>"
            f"<td>{e(event.date.value if event.date else '')}</td>"
            f"<td>{e(event.event_type)}<br><span class=\"muted\">{e(event.sub_event_type)}</span></td>"
            f"<td>{_place(event)}</td>"
            f"<td>{_actor(event.actor1)}<br>{_actor(event.actor2)}</td>"
            f"<td>{_fatalities(event)}</td>"
            f"<td class=\"grade\">{e(event.grade)}<br><span class=\"muted\">"
            f"{e(event.independent_sources)} source(s)</span></td>"
            f"<td>{quote_html}</td>"
            "</tr>"
        )
    table = (
        "<table><thead><tr><th>Event</th><th>Date</th><th>Type</th><th>Place</th><th>Actors</th>"
        "<th>Fatalities</th><th>Grade</th><th>Evidence</th></tr></thead><tbody>"
        + ("".join(rows) or "<tr><td colspan=\"8\">No events.</td></tr>")
        + "</tbody></table>"
    )
    more = f"<p><a href=\"/?{e(urlencode(next_query))}\">Next page</a></p>" if next_query else ""
    body = (
        "<h1>conflictwire events</h1>"
        "<p class=\"muted\">Data: <a href=\"/api/events\">/api/events</a> \u00b7 "
        "<a href=\"/openapi.json\">OpenAPI</a></p>" + table + more
    )
    return _page("conflictwire events", body)


def _report_item(stored: StoredReport, article: Article | None) -> str:
    """One report of an event: its source article, claimant, modality and evidence."""
    r = stored.report
    title = article.title if article and article.title else stored.article_external_id or str(stored.article_id)
    link = e(title)
    if stored.url and stored.url.startswith(("http://", "https://")):  # no javascript: or data: links
        link = f"<a href=\"{e(stored.url)}\" rel=\"noopener noreferrer nofollow\">{e(title)}</a>"
    claimant = f"{e(r.claimant.name)} ({e(r.claimant.kind)})" if r.claimant else ""
    return (
        f"<li><p>{link} <span class=\"muted\">{e(stored.outlet)} {e(stored.published)}"
        f" \u00b7 article {e(stored.article_external_id or stored.article_id)}</span></p>"
        f"<p>Claimed by {claimant} \u00b7 {e(r.modality)} \u00b7 {e(r.sub_event_type)}</p>"
        f"{evidence_html(stored, article, limit=len(r.evidence))}</li>"
    )


def render_event(event: Event, articles: Mapping[int, Article], history: list[dict[str, object]]) -> str:
    """One event: its reconciled fields, every report with highlighted evidence, and its history."""
    date = event.date
    fields = [
        ("Type", f"{e(event.event_type)} / {e(event.sub_event_type)}"),
        ("Date", e(f"{date.value} ({date.precision})" if date and date.value else "")),
        ("Place", _place(event)),
        ("Actor 1", _actor(event.actor1)),
        ("Actor 2", _actor(event.actor2)),
        ("Fatalities", _fatalities(event)),
        ("Grade", f"{e(event.grade)}: {e(event.grade_reason)}"),
        ("Independent sources", e(event.independent_sources)),
        ("Version", e(event.version)),
    ]
    dl = "".join(f"<tr><th>{name}</th><td>{value}</td></tr>" for name, value in fields)
    reports = "".join(_report_item(r, articles.get(r.article_id)) for r in event.reports)
    versions = "".join(
        f"<li>v{e(h.get('version'))} {e(h.get('changed_at'))}: {e(h.get('reason'))}"
        f"{' (deleted)' if h.get('deleted') else ''}</li>"
        for h in history
    )
    body = (
        f"<p><a href=\"/\">All events</a></p><h1>Event {e(event.id)}</h1><table>{dl}</table>"
        f"<h2>Reports</h2><ol>{reports}</ol><h2>History</h2><ul>{versions}</ul>"
    )
    return _page(f"Event {event.id}", body)
