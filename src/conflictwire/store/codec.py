"""Conversions between the typed records of ``conflictwire.model`` and database rows."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from sqlalchemy import Row

from conflictwire.model import (
    Actor,
    Article,
    DateInfo,
    Event,
    Fatalities,
    Location,
    Report,
    StoredReport,
)
from conflictwire.store.errors import InvalidRecord


def parse_date(value: str | None, what: str) -> dt.date | None:
    """A ``YYYY-MM-DD`` string as a date; raises InvalidRecord naming ``what`` when malformed."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise InvalidRecord(f"{what}: not a YYYY-MM-DD date: {value!r}") from exc


def _actor_dict(actor: Actor) -> dict[str, Any]:
    """An actor's contract dict plus its side, which ``Actor.to_dict`` leaves out but grading needs."""
    d = actor.to_dict()
    if actor.side is not None:
        d["side"] = actor.side
    return d


def _actor(d: dict[str, Any] | None) -> Actor | None:
    """An Actor from its stored dict."""
    if not d:
        return None
    return Actor(d.get("text") or "", d.get("name") or "", d.get("kind") or "", d.get("side"))


def report_data(report: Report) -> dict[str, Any]:
    """The JSON stored for a report: ``Report.to_dict()`` with actor sides kept."""
    d = report.to_dict()
    if report.actor1:
        d["actor1"] = _actor_dict(report.actor1)
    if report.actor2:
        d["actor2"] = _actor_dict(report.actor2)
    d["associated_actors"] = [_actor_dict(a) for a in report.associated_actors]
    if report.embedding:
        d["embedding"] = base64.b64encode(report.embedding).decode("ascii")
    return d


def event_data(event: Event) -> dict[str, Any]:
    """The JSON stored for an event: ``Event.to_dict(with_reports=False)`` with sides, no version."""
    d = event.to_dict(with_reports=False)
    d.pop("version", None)  # the store owns the version; keeping it out makes change detection exact
    if event.actor1:
        d["actor1"] = _actor_dict(event.actor1)
    if event.actor2:
        d["actor2"] = _actor_dict(event.actor2)
    return d


def _pick(cls: type, d: dict[str, Any]) -> dict[str, Any]:
    """The keys of ``d`` that are fields of dataclass ``cls`` (tolerates older or newer JSON)."""
    fields = cls.__dataclass_fields__  # type: ignore[attr-defined]
    return {k: v for k, v in d.items() if k in fields}


def event_from_data(
    event_id: str, data: dict[str, Any], version: int, reports: list[StoredReport]
) -> Event:
    """An Event rebuilt from its stored JSON and its stored reports."""
    loc, date, fat = data.get("location"), data.get("date"), data.get("fatalities")
    return Event(
        id=event_id,
        event_type=data["event_type"],
        sub_event_type=data["sub_event_type"],
        actor1=_actor(data.get("actor1")),
        actor2=_actor(data.get("actor2")),
        location=Location(**{"text": "", "name": None, "lat": None, "lon": None, **_pick(Location, loc)})
        if loc
        else None,
        date=DateInfo(**{"text": None, "value": None, "precision": None, **_pick(DateInfo, date)})
        if date
        else None,
        fatalities=Fatalities(**{"low": None, "best": None, "high": None, "text": "", **_pick(Fatalities, fat)})
        if fat
        else None,
        grade=data["grade"],
        grade_reason=data.get("grade_reason") or "",
        independent_sources=int(data.get("independent_sources") or 0),
        reports=reports,
        version=version,
    )


def article_from_row(row: Row[Any]) -> Article:
    """An Article from a row of the articles table."""
    return Article(
        text=row.text,
        title=row.title,
        external_id=row.external_id,
        outlet=row.outlet,
        url=row.url,
        published=row.published,
        language=row.language,
        byline=row.byline,
        translator=row.translator,
        source=row.source,
        raw_sha256=row.raw_sha256,
        id=row.id,
    )


def _report(data: dict[str, Any]) -> Report:
    """A Report from its stored JSON, with its embedding (``report_data``) decoded."""
    report = Report.from_dict(data)
    if data.get("embedding"):
        report.embedding = base64.b64decode(data["embedding"])
    return report


def stored_report_from_row(row: Row[Any], with_fingerprint: bool) -> StoredReport:
    """A StoredReport from a row of reports joined with its article."""
    return StoredReport(
        id=row.id,
        article_id=row.article_id,
        report=_report(row.data),
        article_external_id=row.external_id,
        outlet=row.outlet,
        url=row.url,
        published=row.published,
        content_hash=row.content_hash,
        fingerprint=list(row.fingerprint) if with_fingerprint and row.fingerprint is not None else None,
        event_id=row.event_id,
    )


def actors_text(event: Event) -> str:
    """Actor names and texts of an event and of its reports, one a line, for the actor filter."""
    actors: list[Actor | None] = [event.actor1, event.actor2]
    for stored in event.reports:
        r = stored.report
        actors.extend([r.actor1, r.actor2, *r.associated_actors])
    parts: list[str] = []
    for actor in actors:
        if actor:
            parts.extend(p for p in (actor.name, actor.text) if p)
    return "\n".join(dict.fromkeys(parts))
