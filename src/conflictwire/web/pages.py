"""Server-rendered HTML: the map page's shell (with a plain list that works without script) and one
event's page with its evidence.

Article text is untrusted: every value goes through ``html.escape`` (quotes included) before it
reaches the page. The pages carry no inline script or style: the map page loads
``/static/map.js`` and the vendored Leaflet, and both pages load ``/static/page.css``, so the
Content-Security-Policy can forbid everything inline.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlencode

from conflictwire.events.reconcile import RUNNING_TOLL
from conflictwire.model import Actor, Article, Event, StoredReport
from conflictwire.taxonomy import SUB_EVENT_TYPES

_DOT = " \u00b7 "
_DASH = "\u2013"

#: Characters of context shown on each side of an evidence span in the list.
_CONTEXT = 120

#: The filters the page offers, in the API's parameter names (the URL query string uses them too).
FILTER_NAMES = ("date_from", "date_to", "event_type", "sub_event_type", "country_code", "grade", "min_sources",
                "actor", "q", "bbox", "admin1")
#: Filters without a control of their own: kept from the URL as hidden fields.
_HIDDEN_FILTERS = ("bbox", "admin1")

#: The list orders of the API's ``sort`` parameter, in words.
SORTS = (("date_desc", "newest first"), ("date_asc", "oldest first"), ("fatalities_desc", "most fatalities"),
         ("sources_desc", "most independent sources"))

GRADES = ("single-source", "corroborated", "cross-partisan", "contested", "denied")

#: ACLED's location precision codes, in words.
PRECISION = {1: "the named place itself", 2: "a nearby or containing place stands in",
             3: "only the province or region is known"}

#: Export formats offered for the filtered set (``GET /api/export?format=...``).
EXPORT_FORMATS = (("csv", "CSV"), ("geojson", "GeoJSON"), ("jsonl", "JSONL"))

_VENDOR_CSS = ("/static/vendor/leaflet/leaflet.css", "/static/vendor/markercluster/MarkerCluster.css")
_MAP_SCRIPTS = ("/static/vendor/leaflet/leaflet.js", "/static/vendor/markercluster/leaflet.markercluster.js",
                "/static/map.js")


def e(value: object) -> str:
    """Escape any value for HTML text or a quoted attribute; None shows as empty."""
    return "" if value is None else html.escape(str(value), quote=True)


def _page(title: str, body: str, css: Sequence[str] = (), scripts: Sequence[str] = (), page: str = "") -> str:
    """A whole HTML document around ``body``."""
    links = "".join(f"<link rel=\"stylesheet\" href=\"{e(href)}\">" for href in (*css, "/static/page.css"))
    tags = "".join(f"<script src=\"{e(src)}\" defer></script>" for src in scripts)
    return (
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
        "<meta name=\"referrer\" content=\"same-origin\">"
        "<link rel=\"icon\" href=\"data:,\">"
        f"<title>{e(title)}</title>{links}{tags}</head>\n<body class=\"{e(page)}\">\n"
        "<a class=\"skip\" href=\"#main\">Skip to content</a>\n"
        f"{body}\n</body></html>\n"
    )


def _actor(actor: Actor | None) -> str:
    """An actor's normalised name."""
    return e(actor.name) if actor else ""


def _place_text(event: Event) -> str:
    """The event's place as plain text: name, region and country code."""
    loc = event.location
    if loc is None:
        return ""
    return ", ".join(p for p in (loc.name, loc.admin1, loc.country_code) if p)


def _place(event: Event) -> str:
    """The event's place: name, region and country code."""
    text = _place_text(event)
    return e(text) if text else "<span class=\"muted\">unknown</span>"


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


def _event_href(event_id: str, token: str | None = None) -> str:
    """The path of an event's page (carrying the read token the page was opened with, if any)."""
    return f"/events/{quote(event_id, safe='')}" + (f"?{urlencode({'token': token})}" if token else "")


# -- the map page ---------------------------------------------------------------------------------


def _select(name: str, label: str, options: Iterable[tuple[str, str]], current: str, groups: bool = False,
            empty: str = "any") -> str:
    """A labelled select; ``options`` are (value, text), or (group, value) pairs when ``groups``."""
    parts = [f"<option value=\"\"{' selected' if not current else ''}>{e(empty)}</option>"]
    if groups:
        by_group: dict[str, list[str]] = {}
        for group, value in options:
            by_group.setdefault(group, []).append(value)
        for group, values in by_group.items():
            parts.append(f"<optgroup label=\"{e(group)}\">")
            parts += [f"<option value=\"{e(v)}\"{' selected' if v == current else ''}>{e(v)}</option>"
                      for v in values]
            parts.append("</optgroup>")
    else:
        parts += [f"<option value=\"{e(v)}\"{' selected' if v == current else ''}>{e(t)}</option>"
                  for v, t in options]
    return (f"<label for=\"f-{name}\">{e(label)}</label>"
            f"<select id=\"f-{name}\" name=\"{name}\">{''.join(parts)}</select>")


def _input(name: str, label: str, kind: str, current: str, extra: str = "") -> str:
    """A labelled input."""
    return (f"<label for=\"f-{name}\">{e(label)}</label>"
            f"<input id=\"f-{name}\" name=\"{name}\" type=\"{kind}\" value=\"{e(current)}\"{extra}>")


def filter_form(values: Mapping[str, str]) -> str:
    """The filter controls, named like the API's query parameters and filled from ``values``."""
    v = {name: values.get(name) or "" for name in FILTER_NAMES}
    types = list(dict.fromkeys(t.event_type for t in SUB_EVENT_TYPES))
    fields = [
        _input("date_from", "From", "date", v["date_from"]),
        _input("date_to", "To", "date", v["date_to"]),
        _select("event_type", "Event type", ((t, t) for t in types), v["event_type"]),
        _select("sub_event_type", "Sub-event type", ((t.event_type, t.name) for t in SUB_EVENT_TYPES),
                v["sub_event_type"], groups=True),
        _input("country_code", "Country (ISO code)", "text", v["country_code"],
               " maxlength=\"8\" list=\"countries\" autocomplete=\"off\" placeholder=\"e.g. UA\""),
        _select("grade", "Grade", ((g, g) for g in GRADES), v["grade"]),
        _input("min_sources", "Min. independent sources", "number", v["min_sources"], " min=\"0\" step=\"1\""),
        _input("actor", "Actor", "text", v["actor"], " maxlength=\"200\" placeholder=\"name contains\""),
        _input("q", "Text search", "search", v["q"], " maxlength=\"200\" placeholder=\"anywhere in the event\""),
    ]
    fields.append(_select("sort", "Order", SORTS[1:], values.get("sort") or "", empty=SORTS[0][1]))
    hidden = "".join(f"<input type=\"hidden\" name=\"{n}\" value=\"{e(v[n])}\">" for n in _HIDDEN_FILTERS if v[n])
    if values.get("token"):
        hidden += f"<input type=\"hidden\" name=\"token\" value=\"{e(values['token'])}\">"
    cells = "".join(f"<div class=\"field\">{f}</div>" for f in fields)
    return (
        "<form id=\"filters\" class=\"filters\" action=\"/\" method=\"get\" role=\"search\" "
        "aria-label=\"Filter events\">"
        f"{cells}{hidden}<datalist id=\"countries\"></datalist>"
        "<div class=\"field buttons\"><button type=\"submit\">Apply</button>"
        "<a class=\"button\" href=\"/\" id=\"clear-filters\">Clear</a></div></form>"
    )


def export_links(query: Mapping[str, str]) -> str:
    """Links to ``/api/export`` for the filtered set, one per format."""
    links = []
    for fmt, label in EXPORT_FORMATS:
        params = urlencode({"format": fmt, **{k: v for k, v in query.items() if v}})
        links.append(f"<a href=\"/api/export?{e(params)}\" data-format=\"{fmt}\" download>{label}</a>")
    return "<p id=\"export\" class=\"export\">Export the filtered set: " + " \u00b7 ".join(links) + "</p>"


def _list_item(event: Event, articles: Mapping[int, Article], token: str | None) -> str:
    """One event of the plain list, with the first evidence quote of its first report."""
    first = event.reports[0] if event.reports else None
    quote_html = evidence_html(first, articles.get(first.article_id)) if first else ""
    date = event.date.value if event.date and event.date.value else "undated"
    fat = _fatalities(event)
    return (
        f"<li class=\"event\" data-type=\"{e(event.event_type)}\">"
        f"<a href=\"{e(_event_href(event.id, token))}\"><span class=\"ev-date\">{e(date)}</span> "
        f"<span class=\"ev-type\">{e(event.sub_event_type)}</span> "
        f"<span class=\"ev-place\">{_place(event)}</span></a>"
        f"<span class=\"ev-meta\">{_actor(event.actor1)}{' vs ' + _actor(event.actor2) if event.actor2 else ''}"
        f"{_DOT + fat + ' killed' if fat else ''}{_DOT}<span class=\"grade\">{e(event.grade)}</span>, "
        f"{e(event.independent_sources)} independent source(s) \u00b7 {e(event.id)}</span>"
        f"{quote_html}</li>"
    )


def render_index(
    events: Iterable[Event], articles: Mapping[int, Article], filters: Mapping[str, str],
    next_query: Mapping[str, str] | None, token: str | None = None,
) -> str:
    """The map page: filters, timeline, map and list. The list is rendered here too, so the page
    works without script; ``/static/map.js`` replaces it with the full filtered set."""
    items = "".join(_list_item(ev, articles, token) for ev in events) or "<li class=\"empty\">No events.</li>"
    more = f"<p class=\"more\"><a href=\"/?{e(urlencode(next_query))}\">Next page</a></p>" if next_query else ""
    body = (
        "<header class=\"top\"><h1><a href=\"/\">conflictwire</a></h1>"
        "<nav><a href=\"/api/events\">API</a> \u00b7 <a href=\"/openapi.json\">OpenAPI</a></nav></header>\n"
        f"<main id=\"main\">{filter_form({**filters, 'token': token or ''})}\n"
        "<section class=\"timeline\" aria-labelledby=\"timeline-heading\">"
        "<h2 id=\"timeline-heading\">Events per day <button type=\"button\" id=\"clear-dates\" hidden>"
        "Clear dates</button></h2>"
        "<div id=\"timeline\" class=\"timeline-chart\"></div>"
        "<p class=\"hint muted\">Drag across the timeline to keep only those days, or focus it and use the arrow keys (Shift stretches, Enter applies), or use From/To.</p>"
        "</section>\n"
        "<div class=\"layout\"><section class=\"map-pane\" aria-label=\"Map\">"
        "<div id=\"map\" class=\"map\"></div><ul id=\"legend\" class=\"legend\" aria-label=\"Event types\"></ul>"
        "</section>\n"
        "<section class=\"list-pane\" aria-labelledby=\"list-heading\"><h2 id=\"list-heading\">Events</h2>"
        f"<p id=\"status\" class=\"status\" role=\"status\" aria-live=\"polite\"></p>{export_links({**filters, 'token': token or ''})}"
        f"<ol id=\"event-list\" class=\"event-list\">{items}</ol>{more}</section></div></main>"
    )
    return _page("conflictwire events", body, css=_VENDOR_CSS, scripts=_MAP_SCRIPTS, page="map-page")


# -- the event page -------------------------------------------------------------------------------

_FIELD_CLASS = re.compile(r"[^a-z0-9_-]")


def _field_class(field: str | None) -> str:
    """A CSS class for an evidence field name (only safe characters)."""
    return "f-" + (_FIELD_CLASS.sub("", (field or "event").lower()) or "event")


def highlighted_text(text: str, spans: Iterable[tuple[int, int, str | None]]) -> str:
    """The whole text, escaped, with each evidence span in a ``<mark>`` naming the field it supports.

    Spans may overlap or nest: the text is cut at every span boundary and each piece covered by a span
    becomes one mark, coloured by its narrowest span and titled with every field covering it; the last
    piece of a span carries that span's field as a visible label (``data-field``).
    """
    n = len(text)
    clean = []
    for start, end, field in spans:
        start, end = max(0, min(start, n)), max(0, min(end, n))
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            clean.append((start, end, field or "event"))
    clean = sorted(set(clean))
    cuts = sorted({0, n, *(s for s, _, _ in clean), *(t for _, t, _ in clean)})
    out = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        piece = e(text[a:b])
        covering = [(t - s, f) for s, t, f in clean if s <= a and b <= t]
        if not covering:
            out.append(piece)
            continue
        fields = list(dict.fromkeys(f for _, f in sorted(covering)))
        ending = list(dict.fromkeys(f for s, t, f in clean if t == b and s <= a))
        label = f" data-field=\"{e(', '.join(ending))}\"" if ending else ""
        out.append(f"<mark class=\"{_field_class(fields[0])}\" title=\"evidence for: {e(', '.join(fields))}\""
                   f"{label}>{piece}</mark>")
    return "".join(out)


def _source_label(stored: StoredReport, article: Article | None) -> str:
    """How a report's source is named in comparisons: its outlet, else its article."""
    if stored.outlet:
        return stored.outlet
    if article and article.title:
        return article.title
    return f"article {stored.article_external_id or stored.article_id}"


def _report_fatalities(stored: StoredReport) -> str | None:
    """A report's fatalities as words, or None when it gives none."""
    fat = stored.report.fatalities
    if fat is None or (fat.best is None and fat.low is None):
        return None
    value = fat.best if fat.best is not None else fat.low
    text = f"{value} dead"
    if fat.high is not None and fat.high != value:
        text = f"{value}\u2013{fat.high} dead"
    return f"{fat.qualifier} {text}" if fat.qualifier else text


def _is_running_toll(event: Event) -> bool:
    """Whether the event's fatalities are the latest count of a rising toll (events.reconcile)."""
    return bool(event.fatalities and event.fatalities.qualifier == RUNNING_TOLL)


def contradictions_html(reports: Sequence[StoredReport], articles: Mapping[int, Article],
                        running_toll: bool = False) -> str:
    """Side by side, the sources' own values wherever they differ on fatalities, actors or stance.
    With ``running_toll`` (the event's figures rise with the day they were published), the sources
    are dated and the box says the later figures supersede the earlier, partial counts."""
    columns: dict[str, dict[str, str | None]] = {}
    for stored in reports:
        r = stored.report
        label = _source_label(stored, articles.get(stored.article_id))
        if r.claimant and r.claimant.name and r.claimant.name != label:
            label = f"{label} (claimed by {r.claimant.name})"
        if running_toll and stored.published:
            label = f"{label}, {stored.published.isoformat()}"
        col = columns.setdefault(label, {"fatalities": None, "actor1": None, "actor2": None, "stance": None})
        for key, value in (("fatalities", _report_fatalities(stored)),
                           ("actor1", r.actor1.name if r.actor1 else None),
                           ("actor2", r.actor2.name if r.actor2 else None),
                           ("stance", "denies it" if r.modality == "denied" else "reports it")):
            if value is not None and col[key] is None:
                col[key] = value
    if len(columns) < 2:
        return ""
    rows = []
    lead = ""
    names = {"fatalities": "Fatalities", "actor1": "Actor 1", "actor2": "Actor 2", "stance": "Stance"}
    for key, name in names.items():
        values = {c[key] for c in columns.values() if c[key] is not None}
        if len(values) < 2:
            continue
        cells = "".join(f"<td>{e(c[key]) if c[key] else '<span class=muted>not given</span>'}</td>"
                        for c in columns.values())
        rows.append(f"<tr><th scope=\"row\">{name}</th>{cells}</tr>")
        if key == "fatalities":
            summary = " | ".join(f"{label}: {c[key]}" for label, c in columns.items() if c[key])
            lead = f"<p class=\"contra-summary\">{e(summary)}</p>"
    if not rows:
        return ""
    head = "".join(f"<th scope=\"col\">{e(label)}</th>" for label in columns)
    if running_toll:
        lead += ("<p class=\"muted\">A running toll: the figures rise with the day they were published, so "
                 "the latest supersede the earlier, partial counts (kept here) and are no disagreement.</p>")
    return ("<section class=\"contradictions\" aria-labelledby=\"contra-heading\">"
            f"<h2 id=\"contra-heading\">Where the sources differ</h2>{lead}"
            f"<div class=\"scroll\"><table class=\"side-by-side\"><thead><tr><th></th>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div></section>")


def _claimant(stored: StoredReport) -> str:
    """Who a report says asserts it."""
    c = stored.report.claimant
    return f"{e(c.name)} <span class=\"muted\">({e(c.kind)})</span>" if c else "<span class=\"muted\">unknown</span>"


def _article_card(article_id: int, reports: list[StoredReport], article: Article | None) -> str:
    """One source article: who carried it, who claims each report in it, and its text with evidence."""
    first = reports[0]
    title = article.title if article and article.title else f"article {first.article_external_id or article_id}"
    heading = e(title)
    if first.url and first.url.startswith(("http://", "https://")):  # no javascript: or data: links
        heading = f"<a href=\"{e(first.url)}\" rel=\"noopener noreferrer nofollow\">{e(title)}</a>"
    carried = [f"<span class=\"outlet\">{e(first.outlet or 'unknown outlet')}</span>"]
    if first.published:
        carried.append(e(first.published))
    if article and article.byline:
        carried.append(f"by {e(article.byline)}")
    if article and article.translator:
        carried.append(f"translated by {e(article.translator)}")
    carried.append(f"article {e(first.article_external_id or article_id)}")
    claims = "".join(
        f"<li>Report {e(r.id)}: claimed by {_claimant(r)} \u00b7 {e(r.report.modality)} \u00b7 "
        f"{e(r.report.event_type)} / {e(r.report.sub_event_type)}"
        f"{_DOT + e(_report_fatalities(r)) if _report_fatalities(r) else ''}</li>"
        for r in reports
    )
    if article is None:
        body = "<p class=\"muted\">The article's text is not available.</p>"
    else:
        spans = [(s.start, s.end, s.field) for r in reports for s in r.report.evidence]
        body = f"<div class=\"article-text\">{highlighted_text(article.text, spans)}</div>"
    return (f"<article class=\"source\"><h3>{heading}</h3><p class=\"carried\">Carried by {_DOT.join(carried)}"
            f"</p><ul class=\"claims\">{claims}</ul>{body}</article>")


def _fatality_fields(event: Event) -> str:
    """Fatalities as low, best and high."""
    fat = event.fatalities
    if fat is None:
        return "<span class=\"muted\">none reported</span>"
    parts = [f"low {e(fat.low) if fat.low is not None else _DASH}",
             f"best <strong>{e(fat.best) if fat.best is not None else _DASH}</strong>",
             f"high {e(fat.high) if fat.high is not None else _DASH}"]
    extra = f" <span class=\"muted\">({e(fat.qualifier)})</span>" if fat.qualifier else ""
    return " \u00b7 ".join(parts) + extra


def _place_fields(event: Event) -> str:
    """The place with its precision and coordinates."""
    loc = event.location
    if loc is None:
        return "<span class=\"muted\">unknown</span>"
    text = _place(event)
    if loc.precision:
        text += f" <span class=\"muted\">(precision {e(loc.precision)}: {e(PRECISION.get(loc.precision, ''))})</span>"
    if loc.lat is not None and loc.lon is not None:
        text += f"<br><span class=\"muted\">{loc.lat:.4f}, {loc.lon:.4f}</span>"
    return text


def _date_fields(event: Event) -> str:
    """The date with its precision and the words it comes from."""
    date = event.date
    if date is None or not date.value:
        why = f" ({e(date.why)})" if date and date.why else ""
        return f"<span class=\"muted\">unknown{why}</span>"
    text = f"{e(date.value)} <span class=\"muted\">(precision: {e(date.precision)})</span>"
    if date.text:
        text += f"<br><span class=\"muted\">from \u201c{e(date.text)}\u201d</span>"
    return text


def _actors_fields(event: Event) -> str:
    """Actor 1 and actor 2 with their kinds, and the associated actors of the reports."""
    parts = []
    for role, actor in (("Actor 1", event.actor1), ("Actor 2", event.actor2)):
        if actor:
            parts.append(f"{role}: {e(actor.name)} <span class=\"muted\">({e(actor.kind)})</span>")
    assoc = list(dict.fromkeys(a.name for r in event.reports for a in r.report.associated_actors))
    if assoc:
        parts.append(f"associated: {e(', '.join(assoc))}")
    return "<br>".join(parts) or "<span class=\"muted\">none named</span>"


def _history(history: Sequence[Mapping[str, Any]]) -> str:
    """The event's versions, oldest first."""
    rows = "".join(
        f"<tr><td>v{e(h.get('version'))}</td><td>{e(h.get('changed_at'))}</td>"
        f"<td>{e(h.get('reason'))}{' <strong>(deleted)</strong>' if h.get('deleted') else ''}</td></tr>"
        for h in history
    )
    return ("<div class=\"scroll\"><table class=\"history\"><thead><tr><th scope=\"col\">Version</th>"
            f"<th scope=\"col\">Recorded</th><th scope=\"col\">Why</th></tr></thead><tbody>{rows}</tbody></table></div>")


def render_event(event: Event, articles: Mapping[int, Article], history: list[dict[str, object]],
                 token: str | None = None) -> str:
    """One event: its reconciled fields, the sources' differences, every source article with its
    evidence highlighted, and its version history."""
    fields = [
        ("Type", f"{e(event.event_type)} / {e(event.sub_event_type)}"),
        ("Actors", _actors_fields(event)),
        ("Place", _place_fields(event)),
        ("Date", _date_fields(event)),
        ("Fatalities", _fatality_fields(event)),
        ("Grade", f"<span class=\"grade grade-{e(event.grade)}\">{e(event.grade)}</span>: {e(event.grade_reason)}"),
        ("Independent sources", e(event.independent_sources)),
        ("Version", e(event.version)),
    ]
    rows = "".join(f"<tr><th scope=\"row\">{name}</th><td>{value}</td></tr>" for name, value in fields)
    by_article: dict[int, list[StoredReport]] = {}
    for stored in event.reports:
        by_article.setdefault(stored.article_id, []).append(stored)
    cards = "".join(_article_card(aid, reps, articles.get(aid)) for aid, reps in by_article.items())
    fields_used = sorted({s.field or "event" for r in event.reports for s in r.report.evidence})
    legend = "".join(f"<li><mark class=\"{_field_class(f)}\">{e(f)}</mark></li>" for f in fields_used)
    place = _place_text(event)
    title = f"{event.sub_event_type}{' in ' + place if place else ''}"
    body = (
        "<header class=\"top\"><h1><a href=\"/\">conflictwire</a></h1>"
        f"<nav><a href=\"/{e('?' + urlencode({'token': token}) if token else '')}\">All events</a>{_DOT}"
        f"<a href=\"/api/events/{e(quote(event.id, safe='') + ('?' + urlencode({'token': token}) if token else ''))}\">"
        "JSON</a></nav></header>\n"
        f"<main id=\"main\" class=\"event-page\"><h2 class=\"event-title\">{e(title)}</h2>"
        f"<p class=\"muted\">Event {e(event.id)}</p>"
        f"<table class=\"fields\"><tbody>{rows}</tbody></table>"
        f"{contradictions_html(event.reports, articles, _is_running_toll(event))}"
        f"<section aria-labelledby=\"sources-heading\"><h2 id=\"sources-heading\">Sources ({len(by_article)})</h2>"
        f"<ul class=\"field-legend\" aria-label=\"Evidence fields\">{legend}</ul>{cards}</section>"
        f"<section aria-labelledby=\"history-heading\"><h2 id=\"history-heading\">Version history</h2>"
        f"{_history(history)}</section></main>"
    )
    return _page(f"{title} \u2013 conflictwire", body, page="event-page")
