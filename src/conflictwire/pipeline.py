"""The pipeline end to end: ingest -> annotate/extract -> resolve -> cluster -> grade -> store.

Stages are passed in; this module only moves data between them and the store, one article per
transaction, so a failure on one article loses nothing already stored and duplicates nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice

from conflictwire.events import Clusterer
from conflictwire.extract import Extractor
from conflictwire.extract.reports import ExtractionError
from conflictwire.ingest import internal_error
from conflictwire.ingest.copies import credited_source, fingerprint
from conflictwire.limits import INPUT_SECONDS
from conflictwire.model import Article, InputError, RawInput
from conflictwire.store import Store, StoreError

Item = tuple[Article, RawInput] | InputError


@dataclass
class IngestSummary:
    """What one ingest run did."""

    articles_seen: int = 0
    articles_new: int = 0
    articles_duplicate: int = 0
    reports: int = 0
    events_changed: set[str] = field(default_factory=set)
    errors: list[InputError] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "articles_seen": self.articles_seen, "articles_new": self.articles_new,
            "articles_duplicate": self.articles_duplicate, "reports": self.reports,
            "events_changed": len(self.events_changed), "errors": [str(e) for e in self.errors],
        }


def _batches(items: Iterable[Item], size: int) -> Iterator[list[Item]]:
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


class Pipeline:
    """Ingests articles into a store: extraction, clustering and grading included."""

    def __init__(self, store: Store, extractor: Extractor, clusterer: Clusterer | None = None,
                 seconds: float | None = INPUT_SECONDS) -> None:
        self.store = store
        self.extractor = extractor
        #: Seconds one article's extraction may take (None or 0: no limit).
        self.seconds = seconds
        self._credits: dict[int, str | None] = {}
        self.clusterer = clusterer or Clusterer(store, credits=self._credit_of)

    def _credit_of(self, article_id: int) -> str | None:
        """The outlet an article credits ("(Reuters) -"), looked up once per article."""
        if article_id not in self._credits:
            art = self.store.get_articles([article_id]).get(article_id)
            self._credits[article_id] = credited_source(art.text) if art else None
        return self._credits[article_id]

    def ingest(self, items: Iterable[Item], progress: Callable[[IngestSummary], None] | None = None,
               batch_size: int = 16, summary: IngestSummary | None = None) -> IngestSummary:
        """Store, extract, cluster and grade each article; bad inputs are recorded and skipped.

        ``summary``, when given, is filled in as the run goes, so a caller that is interrupted
        still knows what was stored.
        """
        summary = summary if summary is not None else IngestSummary()
        for batch in _batches(items, batch_size):
            good: list[tuple[Article, RawInput]] = []
            for item in batch:
                if isinstance(item, InputError):
                    summary.errors.append(item)
                else:
                    good.append(item)
            self._ingest_batch(good, summary)
            if progress:
                progress(summary)
        return summary

    def _ingest_batch(self, items: list[tuple[Article, RawInput]], summary: IngestSummary) -> None:
        """Extract a batch in one spaCy pass, then store each article with its reports and events."""
        fresh: list[tuple[Article, RawInput]] = []
        seen_hashes: set[str] = set()
        for art, raw in items:
            summary.articles_seen += 1
            if art.content_hash in seen_hashes or self.store.get_article_by_hash(art.content_hash) is not None:
                summary.articles_duplicate += 1
                continue
            seen_hashes.add(art.content_hash)
            fresh.append((art, raw))
        extracted = self.extractor.extract_each(((a.text, a.title, a.published, a.outlet) for a, _ in fresh),
                                                seconds=self.seconds)
        for (art, raw), reports in zip(fresh, extracted):
            name = art.source or "<input>"
            if isinstance(reports, ExtractionError):
                summary.errors.append(InputError(name, reports.code, reports.message))
                continue
            stored_id = None
            try:
                with self.store.transaction():
                    stored, created = self.store.add_article(art, raw, fingerprint(art.text))
                    if not created:
                        summary.articles_duplicate += 1
                        continue
                    stored_id = stored.id
                    self._credits[stored.id or 0] = credited_source(art.text)
                    rows = self.store.add_reports(stored.id or 0, reports)
                    events = self.clusterer.add(rows)
            except StoreError as exc:
                summary.errors.append(InputError(name, "store-failed", str(exc)))
                self._credits.pop(stored_id or 0, None)  # the id may be given again after the rollback
                continue
            except Exception as exc:  # noqa: BLE001 - the transaction stored nothing of it; the batch goes on
                summary.errors.append(internal_error(name, exc))
                self._credits.pop(stored_id or 0, None)
                continue
            summary.articles_new += 1
            summary.reports += len(rows)
            summary.events_changed.update(e.id for e in events)
