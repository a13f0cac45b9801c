"""Typed records passed between pipeline stages.

Every stage takes and returns these records; the JSON shapes they serialise to are the contracts in
the README (``Report.to_dict`` is the REPORT object of ``conflictwire extract``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any, Literal

Modality = Literal["asserted", "reported", "hedged", "denied"]
ClaimantKind = Literal["outlet", "named", "unnamed", "official"]
DatePrecision = Literal["day", "week", "month", "year"]
Grade = Literal["single-source", "corroborated", "cross-partisan", "contested", "denied"]

#: ACLED location precision: 1 the named place itself, 2 a nearby or containing place stands in,
#: 3 only the province/region is known.
PRECISION_EXACT = 1
PRECISION_NEAR = 2
PRECISION_REGION = 3


_UNSAFE = re.compile("[\x00\ud800-\udfff]")


def safe_text(text: str) -> str:
    """``text`` with NUL and lone surrogates replaced by U+FFFD, one character for one.

    JSON can carry both (``"\\u0000"``, ``"\\ud800"``); neither can be encoded as UTF-8 or stored
    in PostgreSQL. Replacing rather than dropping keeps every character offset into the text.
    """
    return _UNSAFE.sub("\ufffd", text) if _UNSAFE.search(text) else text


def _drop_private(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if not k.startswith("_")}


@dataclass
class Span:
    start: int
    end: int
    #: The report field these words support ("event", "actors", "date", "fatalities", ...), if known.
    field: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"start": self.start, "end": self.end}
        if self.field:
            d["field"] = self.field
        return d


@dataclass
class Actor:
    text: str
    name: str
    kind: str  # state, rebel, political_militia, identity_militia, protesters, civilians, ...
    side: str | None = None  # coarse allegiance used for cross-partisan grading

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "name": self.name, "kind": self.kind}


@dataclass
class Location:
    text: str
    name: str | None
    lat: float | None
    lon: float | None
    country: str | None = None
    country_code: str | None = None
    admin1: str | None = None
    admin2: str | None = None
    geonameid: int | None = None
    precision: int | None = None
    why: str | None = None
    feature_code: str | None = None
    score: float | None = None

    def to_dict(self) -> dict[str, Any]:
        d = dict(vars(self))  # flat scalar fields: a shallow copy is a deep one
        d.pop("feature_code")
        d.pop("score")
        return d


@dataclass
class DateInfo:
    text: str | None
    value: str | None  # YYYY-MM-DD, the first day of the period for coarser precisions
    precision: DatePrecision | None
    why: str | None = None
    #: "morning", "afternoon", "evening" or "night" when the text times the event (two strikes on one day differ)
    part_of_day: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dict(vars(self))  # flat scalar fields: a shallow copy is a deep one

    @property
    def as_date(self) -> dt.date | None:
        return dt.date.fromisoformat(self.value) if self.value else None


@dataclass
class Fatalities:
    low: int | None
    best: int | None
    high: int | None
    text: str
    qualifier: str | None = None  # "at least", "more than", "up to", "about", "dozens", ...

    def to_dict(self) -> dict[str, Any]:
        return dict(vars(self))  # flat scalar fields: a shallow copy is a deep one


@dataclass
class Quantity:
    value: int
    unit: str
    qualifier: str | None
    text: str

    def to_dict(self) -> dict[str, Any]:
        return dict(vars(self))  # flat scalar fields: a shallow copy is a deep one


@dataclass
class Claimant:
    text: str
    name: str
    kind: ClaimantKind

    def to_dict(self) -> dict[str, Any]:
        return dict(vars(self))  # flat scalar fields: a shallow copy is a deep one


@dataclass
class Report:
    """One claim, inside one article, that one incident happened."""

    event_type: str
    sub_event_type: str
    confidence: float
    actor1: Actor | None = None
    actor2: Actor | None = None
    location: Location | None = None
    date: DateInfo | None = None
    fatalities: Fatalities | None = None
    quantities: list[Quantity] = field(default_factory=list)
    claimant: Claimant | None = None
    modality: Modality = "asserted"
    evidence: list[Span] = field(default_factory=list)
    why_empty: dict[str, str] = field(default_factory=dict)
    #: Extra actors involved beyond actor1/actor2 (kept for clustering and display).
    associated_actors: list[Actor] = field(default_factory=list)
    #: The meaning of the event's sentences: a unit sentence embedding quantized to int8 (see
    #: ``extract.embed.quantize``), compared when clustering; stored, not part of the JSON contract.
    embedding: bytes | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "event_type": self.event_type,
            "sub_event_type": self.sub_event_type,
            "confidence": round(self.confidence, 3),
            "actor1": self.actor1.to_dict() if self.actor1 else None,
            "actor2": self.actor2.to_dict() if self.actor2 else None,
            "associated_actors": [a.to_dict() for a in self.associated_actors],
            "location": self.location.to_dict() if self.location else None,
            "date": self.date.to_dict() if self.date else None,
            "fatalities": self.fatalities.to_dict() if self.fatalities else None,
            "quantities": [q.to_dict() for q in self.quantities],
            "claimant": self.claimant.to_dict() if self.claimant else None,
            "modality": self.modality,
            "evidence": [s.to_dict() for s in self.evidence],
            "why_empty": dict(self.why_empty),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Report:
        def actor(a: dict[str, Any] | None) -> Actor | None:
            return Actor(a["text"], a["name"], a["kind"], a.get("side")) if a else None

        loc = d.get("location")
        date = d.get("date")
        fat = d.get("fatalities")
        cl = d.get("claimant")
        return cls(
            event_type=d["event_type"],
            sub_event_type=d["sub_event_type"],
            confidence=float(d.get("confidence", 0.0)),
            actor1=actor(d.get("actor1")),
            actor2=actor(d.get("actor2")),
            associated_actors=[a for a in (actor(x) for x in d.get("associated_actors") or []) if a],
            location=Location(**{k: loc.get(k) for k in Location.__dataclass_fields__}) if loc else None,
            date=DateInfo(**date) if date else None,
            fatalities=Fatalities(**fat) if fat else None,
            quantities=[Quantity(**q) for q in d.get("quantities") or []],
            claimant=Claimant(**cl) if cl else None,
            modality=d.get("modality", "asserted"),
            evidence=[Span(**s) for s in d.get("evidence") or []],
            why_empty=dict(d.get("why_empty") or {}),
        )


_ARTICLE_TEXT_FIELDS = ("text", "title", "external_id", "outlet", "url", "language", "byline", "translator", "source")


@dataclass
class Article:
    """One published text, as read from its raw bytes."""

    text: str
    title: str | None = None
    external_id: str | None = None
    outlet: str | None = None
    url: str | None = None
    published: dt.date | None = None
    language: str | None = None
    byline: str | None = None
    translator: str | None = None
    source: str | None = None  # the path, or "<stdin>", it was read from
    raw_sha256: str | None = None
    id: int | None = None  # the store's id, once stored

    def __setattr__(self, name: str, value: Any) -> None:
        # Every text field is made safe to encode, hash and store, however it is set: by a reader,
        # by defaults from the command line or a folder's metadata file, or by the API.
        if name in _ARTICLE_TEXT_FIELDS and isinstance(value, str):
            value = safe_text(value)
        object.__setattr__(self, name, value)

    @property
    def content_hash(self) -> str:
        """Hash of the normalised title and text: the same content twice is one article."""
        norm = " ".join(((self.title or "") + "\n" + self.text).split()).casefold()
        return hashlib.sha256(norm.encode("utf-8")).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        d = dict(vars(self))  # flat scalar fields: a shallow copy is a deep one
        d["published"] = self.published.isoformat() if self.published else None
        d["content_hash"] = self.content_hash
        return d


@dataclass
class RawInput:
    """The raw bytes of one input, before parsing, with the hash under which they are archived."""

    data: bytes
    source: str
    sha256: str = ""

    def __post_init__(self) -> None:
        if not self.sha256:
            self.sha256 = hashlib.sha256(self.data).hexdigest()


@dataclass
class InputError:
    """A problem with one input; the batch goes on without it."""

    source: str
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.code}: {self.message}"

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


@dataclass
class StoredReport:
    """A report as stored: the report plus the article it came from."""

    id: int
    article_id: int
    report: Report
    article_external_id: str | None
    outlet: str | None
    url: str | None
    published: dt.date | None
    content_hash: str | None = None
    #: Fingerprint of the article text, for near-duplicate detection (see ingest.copies).
    fingerprint: list[int] | None = None
    event_id: str | None = None


@dataclass
class Event:
    """One real-world incident inferred from one or more reports."""

    id: str
    event_type: str
    sub_event_type: str
    actor1: Actor | None
    actor2: Actor | None
    location: Location | None
    date: DateInfo | None
    fatalities: Fatalities | None
    grade: Grade
    grade_reason: str
    independent_sources: int
    reports: list[StoredReport] = field(default_factory=list)
    version: int = 1

    def to_dict(self, with_reports: bool = True) -> dict[str, Any]:
        d: dict[str, Any] = {
            "id": self.id,
            "event_type": self.event_type,
            "sub_event_type": self.sub_event_type,
            "actor1": self.actor1.to_dict() if self.actor1 else None,
            "actor2": self.actor2.to_dict() if self.actor2 else None,
            "location": self.location.to_dict() if self.location else None,
            "date": self.date.to_dict() if self.date else None,
            "fatalities": self.fatalities.to_dict() if self.fatalities else None,
            "grade": self.grade,
            "grade_reason": self.grade_reason,
            "independent_sources": self.independent_sources,
            "version": self.version,
        }
        if with_reports:
            d["reports"] = [
                {
                    "report_id": r.id,
                    "article_id": r.article_external_id or str(r.article_id),
                    "url": r.url,
                    "outlet": r.outlet,
                    "published": r.published.isoformat() if r.published else None,
                    **r.report.to_dict(),
                }
                for r in self.reports
            ]
        return d
