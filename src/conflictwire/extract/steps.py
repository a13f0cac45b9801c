"""What the steps of an article's extraction share: the records they hand on (mentions, drafts, the
article's context) and ``Steps``, the extractor's collaborators they read."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from spacy.language import Language
from spacy.tokens import Span, Token

from conflictwire.annotate.dictionaries import CountryTable
from conflictwire.extract.actors import ActorFinder, ActorMention
from conflictwire.extract.cues import CueHit, CueLexicon
from conflictwire.extract.dates import clock_hour, part_of_day
from conflictwire.extract.detect import Detection, EventDetector
from conflictwire.extract.embed import SentenceEmbedder
from conflictwire.extract.roles import RoleRanker
from conflictwire.extract.sieve import Sieve
from conflictwire.extract.typer import EventTyper
from conflictwire.geo import PlaceResolver
from conflictwire.model import Actor, Claimant, DateInfo, Fatalities, Location, Quantity


@dataclass
class Mention:
    sub_type: str
    score: float
    trigger: Token
    sent: Span
    para: int
    modality: str
    hits: list[CueHit]
    support: list[Span] = field(default_factory=list)
    #: The trained typer's probability for ``sub_type`` (None without a typer).
    probability: float | None = None

    @cached_property
    def part_of_day(self) -> str | None:
        """The one part of the day the sentence times its event at (``dates.part_of_day``)."""
        return part_of_day(self.sent.text)

    @cached_property
    def clock_hour(self) -> float | None:
        """The one clock time the sentence names, in hours (``dates.clock_hour``)."""
        return clock_hour(self.sent.text)


@dataclass
class Draft:
    """A report being built from one or more mentions of the same incident."""

    mentions: list[Mention]
    actor_mentions: list[ActorMention] = field(default_factory=list)
    agents: list[ActorMention] = field(default_factory=list)
    targets: list[ActorMention] = field(default_factory=list)
    date: tuple[DateInfo, int, int] | None = None
    place: tuple[Location, float, int, int] | None = None
    fatalities: list[tuple[Fatalities, int, int]] = field(default_factory=list)
    quantities: list[tuple[Quantity, int, int]] = field(default_factory=list)
    claimant: Claimant | None = None
    claimant_span: tuple[int, int] | None = None


@dataclass
class ArticleContext:
    published: dt.date | None
    outlet: str | None
    country_counts: Counter[str]
    main_place: Location | None
    places: dict[tuple[int, int], Location]  # resolved place entities by char span
    #: The one named armed group the article is about, which its "the militants" refer to.
    dominant_group: Actor | None = None
    #: Where the dateline ("KHARKIV, Ukraine, April 15 (Wire) -") ends, 0 if there is none.
    dateline_end: int = 0
    place_spans: list[Span] = field(default_factory=list)
    #: Sentence embeddings for the typer, by sentence start token.
    vectors: dict[int, np.ndarray] = field(default_factory=dict)
    #: The learned detector's verdict on each sentence it read, by sentence start token.
    detections: dict[int, Detection] = field(default_factory=dict)
    #: Filtered cue hits of each sentence, by sentence start token.
    hits: dict[int, list[CueHit]] = field(default_factory=dict)
    #: The index of the first sentence left unread once MAX_MENTIONS were found, else None.
    capped: int | None = None

    @property
    def country(self) -> str | None:
        return self.country_counts.most_common(1)[0][0] if self.country_counts else None


class Steps:
    """The collaborators every step reads, set by ``Extractor.__init__``; the step classes are mixins
    of ``Extractor`` and call each other's methods through ``self``."""

    nlp: Language
    resolver: PlaceResolver
    countries: CountryTable
    actor_finder: ActorFinder
    cues: CueLexicon
    typer: EventTyper | None
    #: The fast typer that picks which cue-less sentences are worth embedding.
    gate: EventTyper | None
    detector: EventDetector | None
    #: The detector's cheap first pass (``sieve.py``).
    sieve: Sieve | None
    embedder: SentenceEmbedder | None
    roles: RoleRanker | None
