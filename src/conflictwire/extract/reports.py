"""Reports from an article: find event mentions, type them, fill their fields, merge them per incident.

With the learned detector, an article is first read cheaply: sentences split by spaCy's small
sentence recognizer alone, the sieve, the detector. Only an article with a sentence that may tell of
an event is parsed in full and read as below; most of a day's news tells of none (``_flags``).

The flow for one article (``Extractor.extract_doc``), a module a step:
1. each sentence's cues, or the learned detector, give a typed mention (or only support: a weak cue
   such as "the conflict"); hypothetical, future and speculative mentions are dropped: they are not
   reports (``mentions``);
2. each mention's fields (actors, claimant, date, place, figures), borrowing missing ones from
   weak-cue sentences next to it in the same paragraph (``fields``);
3. mentions of one incident (same sub-type, compatible date and place) merge into one report (``merge``);
4. each report's actors take their roles, and every empty field says why it is empty (``assemble``).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections import Counter
from collections.abc import Iterable, Iterator

from spacy.language import Language
from spacy.tokens import Doc

from conflictwire.annotate.dictionaries import ActorDictionary, CountryTable
from conflictwire.extract.actors import ActorFinder
from conflictwire.extract.assemble import ReportSteps, _is_background
from conflictwire.extract.cues import CueLexicon
from conflictwire.extract.detect import EventDetector, default_detector
from conflictwire.extract.detect import default_on as detect_default_on
from conflictwire.extract.embed import SentenceEmbedder, get_embedder
from conflictwire.extract.fields import BACKGROUND_DAYS, FieldSteps
from conflictwire.extract.mentions import (
    DETECT_MAX_SENTENCES,
    GATE_PROBABILITY,
    MENTION_THRESHOLD,
    RULE_FILTERS,
    TYPER_ALONE,
    TYPER_TRUST,
    WEAK_THRESHOLD,
    MentionSteps,
    _paragraph_ids,
)
from conflictwire.extract.merge import CLOCK_APART_HOURS, SAME_INCIDENT_KM, MergeSteps
from conflictwire.extract.roles import RoleRanker, default_ranker
from conflictwire.extract.sieve import Sieve, default_sieve
from conflictwire.extract.sieve import enabled as sieve_enabled
from conflictwire.extract.steps import ArticleContext, Draft, Mention
from conflictwire.extract.typer import EventTyper, default_typer
from conflictwire.geo import PlaceResolver
from conflictwire.limits import (
    INPUT_SECONDS,
    MAX_MENTIONS,
    MAX_READ_CHARS,
    PARSE_CHUNK_CHARS,
    TimeLimitExceeded,
    check_time,
    time_limit,
)
from conflictwire.model import Report

#: The extractor, and the steps' records and thresholds that callers have long read from here.
__all__ = ["BACKGROUND_DAYS", "CLOCK_APART_HOURS", "DETECT_MAX_SENTENCES", "GATE_PROBABILITY", "INTERNAL_ERROR",
           "MENTION_THRESHOLD", "RULE_FILTERS", "SAME_INCIDENT_KM", "TYPER_ALONE", "TYPER_TRUST", "WEAK_THRESHOLD",
           "ArticleContext", "Draft", "ExtractionError", "Extractor", "Mention"]

log = logging.getLogger(__name__)
#: An article is parsed in full when a sentence of its first reading reaches this probability of an
#: event: half the detector's threshold, since the full parse may split sentences a little otherwise.
FLAG_PROBABILITY = 0.25
#: Articles read cheaply at a time before the full parse of those that may tell of events.
FLAG_CHUNK = 64
#: The code of an article that made the extractor itself fail (a bug, not bad input).
INTERNAL_ERROR = "internal-error"


class Extractor(MentionSteps, FieldSteps, MergeSteps, ReportSteps):
    """Turns article text into reports. Collaborators are passed in so tests can hand in others.

    Each step's methods come from its module's class (``mentions``, ``fields``, ``merge``, ``assemble``);
    ``extract_doc`` runs them in turn."""

    def __init__(self, nlp: Language, resolver: PlaceResolver, actors: ActorDictionary | None = None,
                 countries: CountryTable | None = None, cues: CueLexicon | None = None,
                 typer: EventTyper | None = None, embedder: SentenceEmbedder | None = None,
                 roles: RoleRanker | None = None, detector: EventDetector | None = None,
                 sieve: Sieve | None = None, splitter: Language | None = None) -> None:
        self.typer = typer
        #: The learned detector and typer; when set, it alone decides which sentences tell of an
        #: event and of which type (cues then only place the trigger).
        self.detector = detector
        #: The detector's cheap first pass: the sentences it rules out are not read (None: all are).
        self.sieve = sieve if detector is not None else None
        #: The sentence splitter of the first, cheap reading (None: every article is parsed in full).
        self.splitter = splitter if detector is not None else None
        self.embedder = embedder if detector is not None or (typer is not None and typer.embed_dim) else None
        #: The fast typer picks which cue-less sentences are worth embedding at all.
        self.gate = default_typer(fast=True) if self.embedder is not None else None
        self.nlp = nlp
        self.resolver = resolver
        self.countries = countries or CountryTable.default()
        self.actor_finder = ActorFinder(actors or ActorDictionary.default(), self.countries)
        self.cues = cues or CueLexicon.default()
        #: The trained actor ranker; None leaves actor roles to the syntax rules alone.
        self.roles: RoleRanker | None = roles if roles is not None else default_ranker()
        self._warm = False

    @classmethod
    def default(cls, fast: bool = False) -> Extractor:
        """The extractor with the packaged models, dictionaries and gazetteer.

        ``fast`` finds and types events with the codebook cues and a linear typer instead of the
        learned detector: about 1.4 times a bare spaCy pass instead of 3.5 times, and far less
        accurate on real news (figures in the README)."""
        from conflictwire.annotate.pipeline import default_nlp, default_splitter
        from conflictwire.geo import Gazetteer, PlaceResolver

        typer = default_typer(fast)
        # the learned detector decides which sentences tell of events and their types (README,
        # Evaluation); CONFLICTWIRE_DETECTOR=0 falls back to the codebook cues and the linear typer
        detector = default_detector() if not fast and detect_default_on() else None
        embedder = (get_embedder(threads=os.cpu_count() or 1)
                    if detector is not None or (typer is not None and typer.embed_dim) else None)
        return cls(default_nlp(), PlaceResolver(Gazetteer.default()), typer=typer, embedder=embedder,
                   detector=detector, sieve=default_sieve() if detector is not None else None,
                   splitter=default_splitter() if detector is not None and sieve_enabled() else None)

    # -- entry points -------------------------------------------------------------------------

    def extract(self, text: str, title: str | None = None, published: dt.date | None = None,
                outlet: str | None = None) -> list[Report]:
        """Reports in one article's text; evidence offsets index into ``text``."""
        read = _readable(text)
        if not self._flags([read], 1)[0]:
            return self._finish([], text, read)
        return self._finish(self.extract_doc(self._parse(read), title, published, outlet), text, read)

    def extract_many(self, items: Iterable[tuple[str, str | None, dt.date | None, str | None]],
                     batch_size: int = 16) -> Iterator[list[Report]]:
        """Reports for many (text, title, published, outlet) items, parsed in batches.

        The first failure ends the run; ``extract_each`` is the one that goes on.
        """
        for out in self.extract_each(items, batch_size, seconds=None):
            if isinstance(out, ExtractionError):
                raise out
            yield out

    def extract_each(self, items: Iterable[tuple[str, str | None, dt.date | None, str | None]],
                     batch_size: int = 16, seconds: float | None = INPUT_SECONDS
                     ) -> Iterator[list[Report] | ExtractionError]:
        """Reports for each item, or the ``ExtractionError`` that stopped that item alone.

        Each article has ``seconds`` for its own work (its parse too, when it is parsed alone); a
        failure of one never costs the others of the batch.
        """
        items = list(items)
        if seconds and items:
            self.warm_up()  # what loads on first use is no article's time
        for start in range(0, len(items), FLAG_CHUNK):
            yield from self._extract_part(items[start:start + FLAG_CHUNK], batch_size, seconds)

    def _extract_part(self, items: list[tuple[str, str | None, dt.date | None, str | None]],
                      batch_size: int, seconds: float | None) -> Iterator[list[Report] | ExtractionError]:
        """Reports for a part of the items: all read cheaply, those that may tell of events parsed
        in full and extracted, each under its own limit."""
        reads = [_readable(t) for t, _, _, _ in items]
        flags = self._flags(reads, batch_size)
        docs = self._parse_all([r for r, f in zip(reads, flags) if f], batch_size)
        for (text, title, published, outlet), read, flag in zip(items, reads, flags):
            if not flag:
                yield self._finish([], text, read)
                continue
            doc = next(docs)
            try:
                with time_limit(seconds, "extracting this article"):
                    if isinstance(doc, _Unparsed):
                        doc = self._parse(read)
                    reports = self.extract_doc(doc, title, published, outlet)
            except TimeLimitExceeded as exc:
                yield ExtractionError("timeout", str(exc))
                continue
            except RecursionError:
                yield ExtractionError("too-deep", "the text's structure is too deep to read")
                continue
            except Exception as exc:  # noqa: BLE001 - one article's failure must never end the batch
                log.error("extraction failed", exc_info=exc)
                yield ExtractionError(INTERNAL_ERROR, f"extraction failed ({type(exc).__name__}: {str(exc)[:200]}); "
                                                      "please report it with the input")
                continue
            yield self._finish(reports, text, read)

    def warm_up(self) -> None:
        """Load what loads on first use (models, gazetteer tables, caches) by extracting a sample once."""
        if not self._warm:
            self._warm = True
            self.extract("Gunmen killed two people and wounded three in an attack on a market in Aleppo on Monday, "
                         "the army said.", "Attack in Aleppo", dt.date(2024, 1, 3), None)

    def _flags(self, reads: list[str], batch_size: int) -> list[bool]:
        """For each text, whether it is worth a full parse: with no splitter always; else whether a
        sentence of the first, cheap reading reaches FLAG_PROBABILITY. A text the first reading
        fails on is parsed in full (and meets its failure there, under its own limit)."""
        if self.splitter is None:  # set only beside a detector
            return [True] * len(reads)
        flags = [True] * len(reads)
        short = [i for i, t in enumerate(reads) if len(t) <= PARSE_CHUNK_CHARS]
        try:
            docs = list(self.splitter.pipe((reads[i] for i in short), batch_size=batch_size))
        except Exception as exc:  # noqa: BLE001 - the full parse reads them instead
            log.warning("first reading failed (%s); parsing in full", exc)
            return flags
        for i, doc in zip(short, docs):
            try:
                found = self._detect(list(doc.sents))
            except Exception as exc:  # noqa: BLE001 - the full reading meets it under its own limit
                log.warning("first reading of a text failed (%s); parsing it in full", exc)
                continue
            flags[i] = any(d.event_probability >= FLAG_PROBABILITY for d in found.values())
        return flags

    def _parse_all(self, texts: list[str], batch_size: int) -> Iterator[Doc | _Unparsed]:
        """Docs of short texts parsed together in batches; a long text, or the rest of a batch that
        failed in the parser, is left to be parsed alone (``_Unparsed``)."""
        short = [i for i, t in enumerate(texts) if len(t) <= PARSE_CHUNK_CHARS]
        parsed: Iterator[Doc] = self.nlp.pipe((texts[i] for i in short), batch_size=batch_size)
        short_set = set(short)
        broken = False
        for i in range(len(texts)):
            if i not in short_set or broken:
                yield _Unparsed()
                continue
            try:
                yield next(parsed)
            except Exception as exc:  # noqa: BLE001 - parsed again one by one, each under its own limit
                log.warning("batch parse failed (%s); parsing one by one", exc)
                broken = True
                yield _Unparsed()

    def _parse(self, text: str) -> Doc:
        """One text's Doc, parsed in pieces of at most PARSE_CHUNK_CHARS cut at line breaks."""
        if len(text) <= PARSE_CHUNK_CHARS:
            return self.nlp(text)
        docs = []
        for chunk in _chunks(text, PARSE_CHUNK_CHARS):
            check_time()
            docs.append(self.nlp(chunk))
        return Doc.from_docs(docs, ensure_whitespace=False)

    @staticmethod
    def _finish(reports: list[Report], text: str, read: str) -> list[Report]:
        """Say on each report when only the start of a long text was read."""
        if len(read) < len(text):
            note = (f"the article has {len(text):,} characters; only the first {len(read):,} were read "
                    f"for events (the limit is {MAX_READ_CHARS:,})")
            for r in reports:
                r.why_empty["text"] = note
        return reports

    def extract_doc(self, doc: Doc, title: str | None, published: dt.date | None, outlet: str | None) -> list[Report]:
        """Reports from an annotated article: its context, its event mentions, their fields, merged per
        incident, as reports less those of background."""
        sents = list(doc.sents)
        # mentions first: the article's places are resolved only when it tells of an event
        ctx = ArticleContext(published, outlet, Counter(), None, {})
        mentions = self._mentions(sents, _paragraph_ids(doc), ctx)
        check_time()
        if not mentions:
            return []
        ctx = self._article_context(doc, title, ctx)
        if self.detector is not None and self.embedder is not None:
            # embeddings of the event sentences only: reports carry them for clustering across outlets
            chosen = list({m.sent.start: m.sent for m in mentions}.values())
            ctx.vectors = dict(zip((s.start for s in chosen), self.embedder.embed([s.text for s in chosen])))
        drafts = self._merge([self._draft(m, ctx) for m in mentions])
        check_time()
        reports = [self._report(d, ctx, doc) for d in drafts]
        if ctx.capped is not None:
            note = (f"the article tells of more than {MAX_MENTIONS} events; sentences from the "
                    f"{ctx.capped + 1:,}th of {len(sents):,} on were not read")
            for r in reports:
                r.why_empty["text"] = note
        return [r for r in reports if not _is_background(r, published)]


class ExtractionError(Exception):
    """One article could not be extracted: ``timeout``, ``too-deep`` or ``internal-error``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message = code, message


class _Unparsed:
    """A text still to be parsed on its own."""


def _readable(text: str) -> str:
    """The part of a text read for events: all of it, or the first MAX_READ_CHARS cut at a break."""
    if len(text) <= MAX_READ_CHARS:
        return text
    return text[:_cut_point(text, MAX_READ_CHARS)]


def _cut_point(text: str, limit: int) -> int:
    """Where to cut ``text`` at most ``limit`` characters in: after a paragraph break, else a line
    break, else a sentence end, else a space, in the last quarter before the limit; else at it."""
    floor = limit * 3 // 4
    for sep in ("\n\n", "\n", ". ", " "):
        at = text.rfind(sep, floor, limit)
        if at >= 0:
            return at + len(sep)
    return limit


def _chunks(text: str, size: int) -> Iterator[str]:
    """``text`` in consecutive pieces of at most ``size`` characters, joined they are ``text``."""
    start = 0
    while start < len(text):
        end = len(text) if len(text) - start <= size else start + _cut_point(text[start:start + size], size)
        yield text[start:end]
        start = end
