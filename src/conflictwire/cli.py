"""The ``conflictwire`` command: a thin layer that turns library results and errors into output.

Exit status (all commands): 0 success; 1 some inputs were bad (each named on stderr) but the rest
were processed; 2 usage error or nothing could be done (bad option, unreachable database).
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import math
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

import click

EXIT_OK, EXIT_SOME_BAD, EXIT_FAILED, EXIT_INTERNAL = 0, 1, 2, 3
#: The error code of an input conflictwire itself failed on (a bug to report, not bad input).
INTERNAL_ERROR = "internal-error"

db_option = click.option("--db", "db", default=None, metavar="URL",
                         help="SQLite path or URL, or postgresql:// URL [default: a SQLite file in the user data dir]")


def _date(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date in YYYY-MM-DD form") from None


def _open_store(db: str | None) -> Any:
    from conflictwire.store import Store, StoreError

    try:
        return Store.open(db)
    except StoreError as exc:
        raise click.ClickException(f"cannot open database {db or '(default)'}: {exc}") from exc


_timeout_option = click.option(
    "--timeout", default=60.0, show_default=True, metavar="SECONDS",
    help="Stop an input (reading it, or extracting one article) after this long and report it as 'timeout'; 0: no limit.")


class _Failed(click.ClickException):
    exit_code = EXIT_FAILED


@click.group()
@click.version_option(package_name="conflictwire")
def main() -> None:
    """Turn news articles about armed conflict into an evidence-linked, graded event dataset."""


@main.command()
@click.argument("paths", nargs=-1, required=True)
@db_option
@click.option("--published", callback=_date, help="Publication date (YYYY-MM-DD) for articles that carry none.")
@click.option("--outlet", help="Outlet name for articles that carry none.")
@click.option("--url", help="URL for articles that carry none.")
@click.option("--max-bytes", default=50 * 2**20, show_default=True, help="Inputs larger than this are refused.")
@_timeout_option
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--progress/--no-progress", default=None, help="Show progress on stderr [default: when stderr is a terminal].")
@click.option("--fast", is_flag=True, help="Codebook cues and a linear typer instead of the learned detector: about 1.4x a bare spaCy pass instead of 3.5x, far less accurate on real news.")
def ingest(paths: tuple[str, ...], db: str | None, published: dt.date | None, outlet: str | None, url: str | None,
           max_bytes: int, as_json: bool, progress: bool | None, fast: bool, timeout: float) -> None:
    """Read articles from PATHS (files, folders, '-' for stdin), extract, cluster, grade and store them.

    Formats: plain text (title line, blank line, body), HTML, JSON/JSONL, RSS/Atom, WARC.
    Each bad input is named on stderr with its problem; the others go on (exit status 1; 3 when
    conflictwire itself failed on an input). Each article is stored as soon as it is done.
    """
    from conflictwire.extract import Extractor
    from conflictwire.ingest import ArticleDefaults, read_inputs
    from conflictwire.pipeline import IngestSummary, Pipeline

    store = _open_store(db)
    show = sys.stderr.isatty() if progress is None else progress
    started = time.monotonic()

    def report(s: IngestSummary) -> None:
        if show:
            rate = s.articles_seen / max(time.monotonic() - started, 1e-9)
            click.echo(f"\r{s.articles_seen} articles ({s.articles_new} new, {s.reports} reports, "
                       f"{len(s.errors)} bad) {rate:.1f}/s", err=True, nl=False)

    items = read_inputs(paths, ArticleDefaults(published, outlet, url), max_bytes=max_bytes, seconds=timeout)
    summary = IngestSummary()
    try:
        Pipeline(store, Extractor.default(fast=fast), seconds=timeout).ingest(items, progress=report, summary=summary)
    except KeyboardInterrupt:
        click.echo("\ninterrupted: the articles done so far are stored", err=True)
        _print_summary(summary, store, as_json)
        sys.exit(130)
    if show:
        click.echo("", err=True)
    _print_summary(summary, store, as_json)
    internal = any(e.code == INTERNAL_ERROR for e in summary.errors)
    sys.exit(EXIT_INTERNAL if internal else EXIT_SOME_BAD if summary.errors else EXIT_OK)


def _print_summary(summary: Any, store: Any, as_json: bool) -> None:
    """Each bad input on stderr, then what the run did (as JSON with --json)."""
    for err in summary.errors:
        click.echo(f"error: {err}", err=True)
    if as_json:
        click.echo(json.dumps({**summary.to_dict(), "db": store.url}, indent=2))
        return
    counts = store.counts()
    click.echo(f"{summary.articles_new} new articles ({summary.articles_duplicate} already stored), "
               f"{summary.reports} reports, {len(summary.events_changed)} events created or updated, "
               f"{len(summary.errors)} bad inputs.")
    click.echo(f"Database {store.url}: " + ", ".join(f"{v} {k}" for k, v in counts.items()))


@dataclass
class _Line:
    """One input line of a JSONL command: where it is, the record, or the problem with it."""

    where: str  # "FILE#LINE", as ingest names items
    record: Any = None
    article: Any = None  # the Article the record makes, for extract
    error: dict[str, str] | None = None

    def fail(self, code: str, message: str) -> None:
        self.error = {"code": code, "message": f"{self.where}: {message}"}

    @property
    def rid(self) -> Any:
        """The record's id, echoed when it is a JSON scalar (null otherwise)."""
        rid = self.record.get("id") if isinstance(self.record, dict) else None
        if isinstance(rid, float) and not math.isfinite(rid):
            return None  # 1e999 reads as infinity, which JSON cannot write
        return rid if rid is None or isinstance(rid, str | int | float | bool) else None


def _read_lines(stream: IO[bytes], max_bytes: int) -> Iterator[bytes | None]:
    """The stream's lines split on LF alone (None for one over ``max_bytes``, which is skipped)."""
    while True:
        line = stream.readline(max_bytes + 1)
        if not line:
            return
        if len(line) > max_bytes and not line.endswith(b"\n"):
            while (rest := stream.readline(max_bytes)) and not rest.endswith(b"\n"):
                pass
            yield None
            continue
        yield line.removesuffix(b"\n").removesuffix(b"\r")


def _jsonl_lines(files: tuple[IO[bytes], ...], max_bytes: int = 50 * 2**20) -> Iterator[_Line]:
    """One ``_Line`` for every input line, blank ones included (each is an ``empty`` error), with the
    record parsed within the JSON limits; the checks of a line's fields are the caller's."""
    from conflictwire.ingest import InputProblem
    from conflictwire.ingest.jsonl import load_json

    for f in files or (sys.stdin.buffer,):
        name = getattr(f, "name", "<stdin>")
        name = "<stdin>" if name in ("<stdin>", "-") or not isinstance(name, str) else name
        for n, raw in enumerate(_read_lines(f, max_bytes), start=1):
            line = _Line(f"{name}#{n}")
            if raw is None:
                line.fail("too-large", f"the line is over the {max_bytes:,}-byte limit")
            elif not raw.strip():
                line.fail("empty", "blank line")
            else:
                try:
                    line.record = load_json(raw)
                except InputProblem as problem:
                    line.fail(problem.code, problem.message)
                else:
                    if not isinstance(line.record, dict):
                        line.fail("malformed-json", f"expected a JSON object, got {type(line.record).__name__}")
            yield line


class _Output:
    """Writes JSONL lines to stdout and errors to stderr, and remembers the exit status they call for."""

    def __init__(self) -> None:
        self.bad = 0
        self.internal = 0

    def write(self, obj: dict[str, Any], line: _Line | None = None) -> None:
        err = obj.get("error")
        if err:
            if err.get("code") == INTERNAL_ERROR:
                self.internal += 1
            else:
                self.bad += 1
            where, _, message = str(err.get("message", "")).partition(": ")
            click.echo(f"error: {where}: {err['code']}: {message}", err=True)
        try:
            text = json.dumps(obj, ensure_ascii=False)
            text.encode("utf-8")
        except UnicodeEncodeError:
            text = json.dumps(obj, ensure_ascii=True)  # a lone surrogate in an echoed id: escaped, never lost
        click.echo(text)

    def exit(self) -> None:
        sys.exit(EXIT_INTERNAL if self.internal else EXIT_SOME_BAD if self.bad else EXIT_OK)


def _article_of(line: _Line) -> None:
    """Check an extract line's fields as ingest does and keep its Article; a bad field is its error."""
    from conflictwire.ingest import InputProblem
    from conflictwire.ingest.jsonl import article_from_obj

    if line.error is not None:
        return
    try:
        line.article = article_from_obj(line.record)
    except InputProblem as problem:
        line.fail(problem.code, problem.message)


@main.command()
@click.argument("files", nargs=-1, type=click.File("rb"))
@click.option("--batch-size", default=32, show_default=True)
@click.option("--fast", is_flag=True, help="Codebook cues and a linear typer instead of the learned detector: about 1.4x a bare spaCy pass instead of 3.5x, far less accurate on real news.")
@_timeout_option
def extract(files: tuple[IO[bytes], ...], batch_size: int, fast: bool, timeout: float) -> None:
    """Read JSONL records {"id","text","title"?,"published"?,"outlet"?} and write their reports as JSONL.

    One output line per input line (a blank or bad line gets an error object), in input order:
    {"id", "reports", "error"}.
    """
    from conflictwire.extract import Extractor
    from conflictwire.extract.reports import ExtractionError

    extractor = Extractor.default(fast=fast)
    out = _Output()
    pending: list[_Line] = []

    def flush() -> None:
        good = [ln for ln in pending if ln.error is None]
        results = extractor.extract_each(((ln.article.text, ln.article.title, ln.article.published, ln.article.outlet)
                                          for ln in good), seconds=timeout)
        done = {id(ln): r for ln, r in zip(good, results)}
        for ln in pending:
            r = done.get(id(ln))
            if isinstance(r, ExtractionError):
                ln.fail(r.code, r.message)
            reports = [] if ln.error is not None or r is None else [x.to_dict() for x in r]  # type: ignore[union-attr]
            out.write({"id": ln.rid, "reports": reports, "error": ln.error}, ln)
        pending.clear()

    for line in _jsonl_lines(files):
        _article_of(line)
        pending.append(line)
        if len(pending) >= batch_size:
            flush()
    flush()
    out.exit()


@main.command()
@click.argument("files", nargs=-1, type=click.File("rb"))
@_timeout_option
def geoparse(files: tuple[IO[bytes], ...], timeout: float) -> None:
    """Read JSONL {"id","text","spans"?} and write the places found (or the given spans resolved)."""
    from conflictwire.annotate.pipeline import default_nlp
    from conflictwire.geo import Gazetteer, PlaceResolver
    from conflictwire.geo import geoparse as run_geoparse
    from conflictwire.ingest import internal_error
    from conflictwire.limits import MAX_READ_CHARS, TimeLimitExceeded, time_limit
    from conflictwire.model import safe_text

    nlp, resolver = default_nlp(), PlaceResolver(Gazetteer.default())
    run_geoparse("Shelling hit Bustan al-Qasr in Aleppo on Monday.", None, resolver, nlp)  # loads outside the limit
    out = _Output()
    for line in _jsonl_lines(files):
        rec = line.record
        if line.error is None:
            text = rec.get("text")
            if not isinstance(text, str) or not text.strip():
                line.fail("missing-field" if text is None else "invalid-field", "'text' must be a non-empty string")
            elif len(text) > MAX_READ_CHARS:
                line.fail("too-large", f"'text' is {len(text):,} characters, over the {MAX_READ_CHARS:,}-character limit")
        pairs = None
        if line.error is None and rec.get("spans") is not None:
            pairs = _spans(rec["spans"])
            if pairs is None:
                line.fail("invalid-field", "'spans' must be a list of {start, end} integer offsets into 'text'")
        places: list[Any] = []
        if line.error is None:
            try:
                with time_limit(timeout, "geoparsing this text"):
                    places = run_geoparse(safe_text(rec["text"]), pairs, resolver, nlp)
            except TimeLimitExceeded as exc:
                line.fail("timeout", str(exc))
            except Exception as exc:  # noqa: BLE001 - one line's failure must never end the run
                err = internal_error(line.where, exc)
                line.fail(err.code, err.message)
        out.write({"id": line.rid, "places": places, "error": line.error}, line)
    out.exit()


def _spans(value: Any) -> list[tuple[int, int]] | None:
    """The (start, end) pairs a geoparse line asks for, or None when they are no integer pairs (a pair
    outside the text is resolved as nothing, with the reason)."""
    if not isinstance(value, list):
        return None
    pairs = []
    for s in value:
        if not isinstance(s, dict):
            return None
        start, end = s.get("start"), s.get("end")
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end)):
            return None
        pairs.append((start, end))
    return pairs


@main.group()
def gazetteer() -> None:
    """Add places to the gazetteer: full GeoNames dumps, or your own CSV or GeoJSON gazetteer.

    The gazetteer written is the one every command uses: --gazetteer PATH, else the file named by
    CONFLICTWIRE_GAZETTEER, else the default file in the user cache directory.
    """


_gazetteer_option = click.option(
    "--gazetteer", "gaz_path", envvar="CONFLICTWIRE_GAZETTEER", type=click.Path(dir_okay=False), default=None,
    help="Gazetteer file to write (env CONFLICTWIRE_GAZETTEER) [default: the file in the user cache dir].")
_country_option = click.option("--country", "countries", multiple=True, metavar="CC",
                               help="Only places in this ISO country code (repeatable).")


def _gazetteer_target(gaz_path: str | None) -> tuple[Any, bool]:
    """The gazetteer file to write and whether it is the default cache file."""
    from pathlib import Path

    from conflictwire.geo.gazetteer import default_path

    return (Path(gaz_path), False) if gaz_path else (default_path(), True)


def _report_loads(reports: list[Any], target: Any, is_default: bool, as_json: bool) -> None:
    """Print what each file added, its problems on stderr, and exit 1 if any file had problems."""
    bad = False
    for r in reports:
        for problem in r.problems:
            bad = True
            click.echo(f"error: {problem}", err=True)
    if as_json:
        click.echo(json.dumps({"gazetteer": str(target), "files": [r.to_dict() for r in reports]}, indent=2))
    else:
        for r in reports:
            click.echo(f"{r.path} ({r.format}): {r.added} added, {r.replaced} replaced, {r.skipped} skipped, "
                       f"{len(r.problems)} problems")
        click.echo(f"Gazetteer {target}")
    if is_default:
        click.echo("note: this is the cache file built from the packaged data; a new conflictwire version "
                   "rebuilds it without these places. Keep your own file with --gazetteer PATH and "
                   "CONFLICTWIRE_GAZETTEER=PATH.", err=True)
    sys.exit(EXIT_SOME_BAD if bad else EXIT_OK)


@gazetteer.command("add")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--format", "fmt", type=click.Choice(["geonames", "csv", "geojson"]), default=None,
              help="Format of every PATH [default: from the name: a folder or .txt is geonames, .csv, .geojson/.json].")
@_gazetteer_option
@_country_option
@click.option("--replace", is_flag=True, help="Replace places already in the gazetteer with the same id.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def gazetteer_add(paths: tuple[str, ...], fmt: str | None, gaz_path: str | None, countries: tuple[str, ...],
                  replace: bool, as_json: bool) -> None:
    """Add the places of PATHS to the gazetteer (built from the packaged data first if it does not exist).

    A GeoNames PATH is a folder of dumps (allCountries.txt, XX.txt or cities*.txt, with
    alternateNamesV2.txt, admin1CodesASCII.txt, admin2Codes.txt beside it) or one such file. Places
    whose id is already there are kept unless --replace. Bad rows are named on stderr (exit status 1).
    """
    from conflictwire.geo.errors import GeoError
    from conflictwire.geo.gazetteer import ensure_built
    from conflictwire.geo.loaders import add_files

    target, is_default = _gazetteer_target(gaz_path)
    try:
        ensure_built(target)
        reports = add_files(target, [(p, fmt) for p in paths], countries=countries or None, replace=replace)
    except GeoError as exc:
        raise _Failed(str(exc)) from exc
    _report_loads(reports, target, is_default, as_json)


@gazetteer.command("build")
@_gazetteer_option
@click.option("--geonames", "geonames", multiple=True, type=click.Path(exists=True),
              help="Folder (or main file) of GeoNames dumps to add (repeatable).")
@click.option("--extra", "extra", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="A CSV or GeoJSON gazetteer of your own to add (repeatable).")
@_country_option
@click.option("--empty", is_flag=True, help="Start from no places instead of the packaged data.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def gazetteer_build(gaz_path: str | None, geonames: tuple[str, ...], extra: tuple[str, ...],
                    countries: tuple[str, ...], empty: bool, as_json: bool) -> None:
    """Build the gazetteer anew from the packaged data (or --empty), then add --geonames and --extra files.

    The old file is replaced only when the new one is complete.
    """
    from conflictwire.geo.build import build_gazetteer, replacing
    from conflictwire.geo.errors import GeoError
    from conflictwire.geo.loaders import add_files, create_empty_store

    target, is_default = _gazetteer_target(gaz_path)
    try:
        with replacing(target) as tmp:
            if empty:
                create_empty_store(tmp)
            else:
                tmp.unlink()
                build_gazetteer(tmp)
            sources = [(p, "geonames") for p in geonames] + [(p, None) for p in extra]
            reports = add_files(tmp, sources, countries=countries or None)
    except (GeoError, OSError) as exc:
        raise _Failed(f"cannot build the gazetteer at {target}: {exc}") from exc
    _report_loads(reports, target, is_default, as_json)


@main.command()
@db_option
@click.option("--format", "fmt", type=click.Choice(["jsonl", "geojson", "acled-csv", "parquet"]), default="jsonl",
              show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write here instead of stdout (required for parquet).")
@click.option("--country", help="Only events in this ISO country code.")
@click.option("--type", "event_type", help="Only events of this ACLED event type.")
@click.option("--since", callback=_date, help="Only events on or after this date.")
@click.option("--until", callback=_date, help="Only events on or before this date.")
def events(db: str | None, fmt: str, output: str | None, country: str | None, event_type: str | None,
           since: dt.date | None, until: dt.date | None) -> None:
    """Write the stored events as JSONL, GeoJSON, ACLED-style CSV or Parquet."""
    from conflictwire import export
    from conflictwire.store import EventFilter

    store = _open_store(db)
    flt = EventFilter(date_from=since, date_to=until, country_code=country, event_type=event_type)
    evs = store.iter_events(flt)
    if fmt == "parquet":
        if not output:
            raise click.UsageError("--format parquet needs --output FILE")
        export.write_parquet(evs, output)
        return
    writer = {"jsonl": export.write_jsonl, "geojson": export.write_geojson, "acled-csv": export.write_acled_csv}[fmt]
    if output:
        with open(output, "w", encoding="utf-8", newline="") as fp:
            writer(evs, fp)
    else:
        writer(evs, sys.stdout)


@main.command()
@db_option
@click.option("--since", help="ISO date or datetime (UTC).")
@click.option("--after", type=click.IntRange(min=0), help="The last change_id already seen (an exact cursor).")
def changes(db: str | None, since: str | None, after: int | None) -> None:
    """Print the events changed or deleted since a time or after a change id, one JSON object a line."""
    if since is None and after is None:
        raise click.UsageError("give --since WHEN or --after CHANGE_ID")
    when = None
    if since is not None:
        try:
            when = dt.datetime.fromisoformat(since)
        except ValueError:
            raise click.BadParameter(f"{since!r} is not an ISO date or datetime", param_hint="--since") from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.timezone.utc)
    for row in _open_store(db).changes(when, after=after):
        click.echo(json.dumps(row, default=str))


@main.command("eval")
@click.option("--gold", "gold", type=click.Path(exists=True, file_okay=False), default="eval/gold", show_default=True,
              help="Folder of the gold set (snippets/*.jsonl, format in eval/gold/SPEC.md).")
@click.option("--split", type=click.Choice(["dev", "held", "all"]), default="held", show_default=True,
              help="Which part to score: dev (tuned on), held (held back), or all.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option("--errors", "errors_out", type=click.Path(dir_okay=False), help="Write each wrong item as JSONL here.")
@click.option("--no-typer", is_flag=True, help="Type events by the cue rules alone (to compare with the trained typer).")
@click.option("--fast", is_flag=True, help="Score the fast extractor (cues and a linear typer, no learned detector).")
@click.option("--real", "real", type=click.Path(file_okay=False), default=None,
              help="Folder of the real labelled sets (rams/, muc4/, event_location/) "
                   "[default: $CONFLICTWIRE_REAL_DATA, else ../shared/dev-data when it exists].")
@click.option("--sets", "set_names", default="rams,muc,evloc,geovirus", show_default=True,
              help="Which real sets to score (comma-separated), or 'none'.")
@click.option("--team/--no-team", default=True, show_default=True, help="Score the team's gold set too.")
def evaluate(gold: str, split: str, as_json: bool, errors_out: str | None, no_typer: bool, fast: bool,
             real: str | None, set_names: str, team: bool) -> None:
    """Score extraction on real labelled text (each set apart) and on the team's gold set.

    Real sets first: for each, the share of event texts that get a report, the false-report rate on
    texts without a conflict event, the share typed acceptably, and the calibration of confidence.
    """
    import os
    from pathlib import Path

    from conflictwire import evaluation, realsets
    from conflictwire.extract import Extractor

    names = [] if set_names.strip() == "none" else [n.strip() for n in set_names.split(",") if n.strip()]
    unknown = [n for n in names if n not in realsets.SETS]
    if unknown:
        raise click.BadParameter(f"unknown set {unknown[0]!r}; choose from {', '.join(realsets.SETS)}", param_hint="--sets")
    real_root = Path(real or os.environ.get("CONFLICTWIRE_REAL_DATA") or "../shared/dev-data")
    if names and not real_root.is_dir():
        if real or os.environ.get("CONFLICTWIRE_REAL_DATA"):
            raise _Failed(f"{real_root}: no such folder of real sets")
        click.echo(f"no real sets: {real_root} does not exist (give --real DIR)", err=True)
        names = []
    try:
        snippets = evaluation.load_snippets(Path(gold)) if team else []
        real_sets = realsets.load_sets(real_root, names) if names else {}
    except (evaluation.GoldError, realsets.RealSetError) as exc:
        raise _Failed(str(exc)) from exc
    parts = ["dev", "held"] if split == "all" else [split]
    extractor = Extractor.default(fast=fast)
    if no_typer:
        extractor.typer = None
    out: dict[str, Any] = {"real": {}}
    for name, items in real_sets.items():
        out["real"][name] = {"sha256": realsets.texts_digest(items)}
        for part, chosen in realsets.iter_parts(items, split):
            sc = realsets.score_items(chosen, realsets.run(extractor, chosen))
            out["real"][name][part] = sc.to_dict()
            if not as_json:
                click.echo(realsets.format_scores(name, part, sc))
    wrong = []
    for part in parts if team else []:
        chosen = [s for s in snippets if evaluation.split_of(s.id) == part]
        scores, rows = evaluation.score_snippets(extractor, chosen)
        out[part] = scores.to_dict()
        wrong += [r for r in rows if r["gold"] != r["pred"]]
        arts = [a for a in evaluation.load_articles(Path(gold)) if evaluation.split_of(a.id) == part]
        art_scores = evaluation.score_articles(extractor, arts)
        out[part]["articles"] = art_scores.to_dict()
        if not as_json:
            click.echo(evaluation.format_report(part, scores))
            click.echo(evaluation.format_articles(part, art_scores))
    if team:
        out["gold_sha256"] = evaluation.gold_digest(Path(gold))
    if as_json:
        click.echo(json.dumps(out, indent=2))
    elif team:
        click.echo(f"gold set sha256 {out['gold_sha256']}")
    if errors_out:
        with open(errors_out, "w", encoding="utf-8") as fp:
            for r in wrong:
                fp.write(json.dumps(r, ensure_ascii=False) + "\n")


@main.command("eval-events")
@click.option("--corpus", type=click.Path(exists=True, file_okay=False), default="examples/corpus", show_default=True,
              help="Folder with articles/ and gold.json (format in its gold.json 'about').")
@click.option("--db", "db", default=None, help="Store to ingest into (default: a temporary SQLite file).")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option("--fast", is_flag=True, help="Extract with the fast extractor (cues and a linear typer, no learned detector).")
@click.option("--shuffle", type=int, default=None, metavar="SEED",
              help="Ingest the articles in a random order made from SEED (how much order matters).")
def eval_events(corpus: str, db: str | None, as_json: bool, fast: bool, shuffle: int | None) -> None:
    """Ingest a gold corpus and score events: B-cubed of article-to-event assignment, grades right."""
    import random
    import tempfile
    from pathlib import Path

    from conflictwire.events.scoring import events_by_ref, format_events, score_events
    from conflictwire.extract import Extractor
    from conflictwire.ingest import read_inputs
    from conflictwire.pipeline import Pipeline

    gold_file = Path(corpus) / "gold.json"
    try:
        gold = json.loads(gold_file.read_text(encoding="utf-8"))["events"]
    except (OSError, ValueError, KeyError) as exc:
        raise _Failed(f"{gold_file}: {exc}") from exc
    with tempfile.TemporaryDirectory() as tmp:
        store = _open_store(db or str(Path(tmp) / "eval.db"))
        try:
            inputs = list(read_inputs([str(Path(corpus) / "articles")]))
            if shuffle is not None:
                random.Random(shuffle).shuffle(inputs)
            summary = Pipeline(store, Extractor.default(fast=fast)).ingest(inputs)
            for err in summary.errors:
                click.echo(f"error: {err}", err=True)
            scores = score_events(*events_by_ref(store), gold)
        finally:
            store.close()
    click.echo(json.dumps(scores.to_dict(), indent=2) if as_json else format_events(scores))


#: Where ``serve --workers`` tells its worker processes which store to open (see ``app_from_env``).
_SERVE_DB = "CONFLICTWIRE_SERVE_DB"


@main.command()
@db_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True)
@click.option("--token", envvar="CONFLICTWIRE_TOKEN", help="Bearer token for writes (env CONFLICTWIRE_TOKEN); no token, no writes.")
@click.option("--read-token", envvar="CONFLICTWIRE_READ_TOKEN",
              help="Token every read needs, as a bearer token or ?token= (env CONFLICTWIRE_READ_TOKEN); none, reads are open.")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Server processes (each answers requests on its own core).")
def serve(db: str | None, host: str, port: int, token: str | None, read_token: str | None, workers: int) -> None:
    """Serve the page at /, the API under /api/ and the OpenAPI document at /openapi.json."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from conflictwire.api.app import create_app

    store = _open_store(db)
    sock = _listen(host, port)
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    if workers > 1:
        # each worker process builds its own app from the environment (uvicorn imports the factory)
        os.environ.update({_SERVE_DB: store.engine.url.render_as_string(hide_password=False),
                           "CONFLICTWIRE_TOKEN": token or "",
                           "CONFLICTWIRE_READ_TOKEN": read_token or ""})
        store.close()
        config = uvicorn.Config("conflictwire.cli:app_from_env", factory=True, workers=workers, host=host, port=bound,
                                log_level="warning")
        click.echo(f"conflictwire serving {store.url} on http://{shown}:{bound}/ with {workers} worker processes",
                   err=True)
        Multiprocess(config, sockets=[sock]).run()
        return
    app = create_app(store, token=token, ingest_fn=_api_ingest(store), read_token=read_token or None)
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=bound, log_level="warning"))
    click.echo(f"conflictwire serving {store.url} on http://{shown}:{bound}/", err=True)
    server.run(sockets=[sock])


def _listen(host: str, port: int) -> Any:
    """A socket listening on host:port, so that 'serving' is said only once clients can connect; a port
    in use, or a host that is not this machine's, is a one-line error (exit status 2)."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        why = "the port is in use (is another server running?)" if exc.errno == errno.EADDRINUSE else (
            exc.strerror or str(exc))
        raise _Failed(f"cannot listen on {host}:{port}: {why}") from None
    except (OverflowError, socket.gaierror) as exc:
        sock.close()
        raise _Failed(f"cannot listen on {host}:{port}: {exc}") from None
    sock.set_inheritable(True)
    return sock


def app_from_env() -> Any:
    """The app of one ``serve --workers`` process: store and tokens from the environment ``serve`` set."""
    from conflictwire.api.app import create_app

    store = _open_store(os.environ[_SERVE_DB])
    return create_app(store, token=os.environ.get("CONFLICTWIRE_TOKEN") or None, ingest_fn=_api_ingest(store),
                      read_token=os.environ.get("CONFLICTWIRE_READ_TOKEN") or None)


def _api_ingest(store: Any) -> Any:
    """The collaborator that the API's POST /api/articles calls: the same pipeline as `ingest`."""
    def run(articles: list[Any]) -> dict[str, object]:
        from conflictwire.extract import Extractor
        from conflictwire.model import RawInput
        from conflictwire.pipeline import Pipeline

        items = [(a, RawInput(json.dumps(a.to_dict(), default=str).encode(), a.source or "api")) for a in articles]
        return Pipeline(store, Extractor.default()).ingest(items).to_dict()

    return run


if __name__ == "__main__":  # pragma: no cover
    main()
