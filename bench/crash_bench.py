"""Crash safety of `conflictwire ingest`: SIGKILL at random points, then check nothing is lost or doubled.

    python bench/crash_bench.py --runs 50 [--db sqlite|postgresql|both] [--seed S] [--mode mixed|time|statement]
                                [--pg-url URL] [--extra N] [--no-schema-sweep] [--serial] [--conflictwire PATH]

Run it with the project's Python (the venv): the checks use ``sqlite3`` and ``psycopg`` directly, not
the store's own code. The articles are the bundled corpus (examples/corpus/articles: text, HTML, JSONL
and a feed) plus ``--extra`` generated plain-text articles and one exact copy of a bundled article
under another name (stored once, by content hash), in a temporary folder.

First, per backend, an uninterrupted reference: ``conflictwire ingest FOLDER --db URL --fast`` into a
fresh database (through the statement counter below, which also counts the run's SQL statements and
commits), run again on that database (it must add nothing), and run once more with the plain
``conflictwire`` program into another fresh database (it must give the same store; its duration is the
span the timed kills are spread over).

Then ``--runs`` kills, each followed by checks of the store. Kills alternate between two kinds
(``--mode mixed``; ``time`` or ``statement`` for one kind only):

* timed: ``conflictwire ingest FOLDER --db URL --fast`` in its own process group, killed with SIGKILL
  (the whole group) after a delay drawn uniformly over the duration of the latest whole uninterrupted
  run (the reference's, then each run into an empty database that ended on its own: the machine's
  load moves it); a run that ends first is counted as such, and the next kill is timed again. Most of a run is
  start-up (loading the spaCy pipeline and the gazetteer) and extraction, so few of these land while
  the store is being written; the phase of each is counted from what it stored.
* statement: the same command, started through this script (``_child``), which counts every SQL
  statement and every COMMIT the process sends (SQLAlchemy engine events) and, at a point drawn
  uniformly over those of the reference run, sends SIGKILL to its own process group. These land
  inside article transactions, between them, at COMMIT, or while the schema is created; the phase of
  each is the last table written in the open transaction. The counter also knows how many article
  transactions committed before the kill, so a committed article that is missing afterwards is lost.

Kills come in episodes on a fresh database: alternately one kill then a run to completion, and three
kills in a row (each resuming what the previous one left) then a run to completion. After each kill:
no article stored twice, no article unknown to the reference, no article stored before the kill
missing, every stored article with exactly its reference reports (no half-written article), every
report in a live event, every live event with reports and a full version history, every raw input
used, SQLite ``PRAGMA integrity_check`` = ok and ``foreign_key_check`` empty, PostgreSQL queryable and
the killed process's sessions gone. After each completion: the whole store equals the reference
(articles and their raw inputs by hash, reports by article hash and position with their data and
event, events by id with their data, version and reports, the version history with report ids mapped
to article hash and position), and the event count and the multiset of (event type, date, location
name). Differences are printed, not hidden.

Finally (unless ``--no-schema-sweep``) a kill at every SQL statement of the schema creation on a fresh
database, each followed by ``conflictwire events`` on it, which must open it and find the whole
schema: a timed kill almost never lands there.

PostgreSQL comes from ``--pg-url`` (a database the bench may create schemas in) or from a throwaway
cluster made with ``initdb`` as tests/conftest.py does (its helper is imported); each database is a
fresh schema, through libpq's ``options=-csearch_path=...`` like the tests.

With ``--db both`` the two backends run side by side (``--serial``: one after the other). Prints
figures per backend and a total; exits 1 when any check failed.
"""

from __future__ import annotations

import argparse
import atexit
import collections
import concurrent.futures
import contextlib
import hashlib
import importlib.util
import json
import os
import random
import re
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "examples" / "corpus" / "articles"
#: The bundled article copied under another name: same content, so it must be stored once.
COPIED = "kenya-nakuru-meridian.txt"
#: Seconds a killed run's PostgreSQL sessions may take to go before they count as lingering.
PG_SESSION_GRACE = 10.0


# -- the kill point counter (runs inside the killed process) ------------------------------------------

_WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE)\s+(?:OR\s+\w+\s+)?(?:INTO\s+)?\"?(\w+)", re.I)
_SCHEMA = re.compile(r"\b(CREATE|ALTER|DROP)\b|alembic_version|PRAGMA|sqlite_master|pg_catalog|"
                     r"information_schema|pg_advisory", re.I)


class KillPoints:
    """Counts this process's SQL statements and COMMITs (its "points"); at point ``kill_at`` writes
    what it was doing to ``log_path`` and SIGKILLs its process group (itself only when it leads none).

    A point is "before this statement is sent" or "before this COMMIT is sent"; the point after a
    COMMIT is the next one. It also counts the transactions that inserted an article and whose COMMIT
    returned, and the last table the open transaction wrote (the phase of the kill).
    """

    def __init__(self, kill_at: int | None, log_path: str | Path | None) -> None:
        self.kill_at = kill_at
        self.log_path = Path(log_path) if log_path else None
        self.points = 0
        self.committed_articles = 0
        self.stage: str | None = None  # last table written in the open transaction
        self._article_in_tx = False
        self._committing: bool | None = None  # a COMMIT was sent; did its transaction insert an article?

    def install(self) -> KillPoints:
        """Listen to every SQLAlchemy engine of this process."""
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        event.listen(Engine, "before_cursor_execute", self._before_execute)
        event.listen(Engine, "commit", self._before_commit)
        event.listen(Engine, "rollback", self._on_rollback)
        return self

    def _settle(self) -> None:
        """A COMMIT sent before this point returned: count its article."""
        if self._committing is not None:
            self.committed_articles += int(self._committing)
            self._committing = None

    def _point(self, kind: str, statement: str | None) -> None:
        self._settle()
        self.points += 1
        if self.kill_at is not None and self.points == self.kill_at:
            self.dump(killed=True, kind=kind, statement=" ".join((statement or "").split())[:120])
            pid = os.getpid()
            if os.getpgrp() == pid:
                os.killpg(pid, signal.SIGKILL)
            os.kill(pid, signal.SIGKILL)

    def _before_execute(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self._point("execute", statement)
        m = _WRITE.match(statement)
        if m:
            table = m.group(2).lower()
            self.stage = table
            self._article_in_tx |= table == "articles"
        elif re.match(r"\s*(CREATE|ALTER|DROP)\b", statement, re.I):
            self.stage = "schema"

    def _before_commit(self, _conn: Any) -> None:
        self._point("commit", None)
        self._committing = self._article_in_tx
        self._article_in_tx, self.stage = False, None

    def _on_rollback(self, _conn: Any) -> None:
        self._committing = None
        self._article_in_tx, self.stage = False, None

    def dump(self, **extra: Any) -> None:
        """Write the counts (and ``extra``) as JSON to the log file."""
        self._settle()
        if self.log_path is None:
            return
        record = {"points": self.points, "committed_articles": self.committed_articles, "stage": self.stage,
                  "killed": False, **extra}
        self.log_path.write_text(json.dumps(record))


def _child_main(argv: list[str]) -> None:
    """``_child KILL_AT LOG -- conflictwire arguments``: run the CLI with the kill point counter."""
    kill_at, log = int(argv[0]), argv[1]
    args = argv[3:] if argv[2:3] == ["--"] else argv[2:]
    points = KillPoints(kill_at or None, log).install()
    atexit.register(points.dump)
    from conflictwire.cli import main

    main(args, prog_name="conflictwire")


def phase_of_statement_kill(log: dict[str, Any]) -> str:
    """Where a statement kill landed, in words."""
    stage, kind, stmt = log.get("stage"), log.get("kind"), log.get("statement") or ""
    if stage in ("schema", "alembic_version") or (stage is None and _SCHEMA.search(stmt)):
        return "creating the schema"
    if kind == "commit":
        return "at COMMIT of an article" if stage in ("raw_inputs", "articles", "reports", "events",
                                                       "event_versions") else "at COMMIT (no writes)"
    if stage is None:
        return "between transactions (reads)"
    if stage in ("raw_inputs", "articles"):
        return "article row written, no reports yet"
    if stage == "reports" and stmt.lstrip().upper().startswith("INSERT"):
        return "writing reports"
    return "clustering (events being written)"


# -- databases --------------------------------------------------------------------------------------


def _conftest() -> Any:
    """tests/conftest.py as a module, for its throwaway PostgreSQL cluster."""
    spec = importlib.util.spec_from_file_location("_cw_conftest", ROOT / "tests" / "conftest.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def pg_cluster() -> Iterator[str]:
    """A throwaway PostgreSQL cluster (tests/conftest.py's), stopped and removed on exit; yields its URL."""
    conftest = _conftest()
    initdb, pg_ctl = conftest._pg_bin("initdb"), conftest._pg_bin("pg_ctl")
    if not (initdb and pg_ctl):
        raise SystemExit("no PostgreSQL: install it (initdb, pg_ctl) or pass --pg-url")
    cluster = conftest._Cluster(initdb, pg_ctl)
    try:
        yield cluster.start()
    finally:
        cluster.stop()


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


class Databases:
    """Fresh databases of one backend: SQLite files in a folder, or schemas of one PostgreSQL database."""

    def __init__(self, backend: str, folder: Path, pg_base: str | None = None) -> None:
        self.backend, self.folder, self.pg_base = backend, folder, pg_base
        self._n = 0
        self._schemas: list[str] = []

    def fresh(self) -> str:
        """The URL of a new, empty database."""
        self._n += 1
        if self.backend == "sqlite":
            return f"sqlite:///{self.folder / f'db{self._n:03d}.db'}"
        import psycopg
        from psycopg import sql

        assert self.pg_base
        schema = f"cwcrash_{secrets.token_hex(5)}"
        with psycopg.connect(_libpq(self.pg_base), autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        self._schemas.append(schema)
        sep = "&" if "?" in self.pg_base else "?"
        return (f"{self.pg_base}{sep}options={quote(f'-csearch_path={schema}')}"
                f"&application_name={schema}")

    def drop_all(self) -> None:
        """Drop the schemas made (SQLite files go with their folder)."""
        if not self._schemas:
            return
        import psycopg
        from psycopg import sql

        with psycopg.connect(_libpq(self.pg_base or ""), autocommit=True) as conn:
            for schema in self._schemas:
                conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
        self._schemas.clear()


def _pg_app_name(url: str) -> str | None:
    m = re.search(r"application_name=([\w-]+)", url)
    return m.group(1) if m else None


def pg_sessions(url: str) -> int:
    """Open server sessions of the processes that used ``url`` (by its application_name)."""
    import psycopg

    name = _pg_app_name(url)
    base = re.sub(r"[?&]application_name=[\w-]+", "", _libpq(url))
    with psycopg.connect(base, autocommit=True, application_name="cwcrash-check") as conn:
        return int(conn.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s "
                                "AND pid <> pg_backend_pid()", (name,)).fetchone()[0])


def wait_pg_sessions_gone(url: str, grace: float = PG_SESSION_GRACE) -> tuple[int, float]:
    """Wait until the killed process's sessions are gone; (sessions left, seconds waited)."""
    start = time.monotonic()
    while True:
        n = pg_sessions(url)
        waited = time.monotonic() - start
        if n == 0 or waited > grace:
            return n, waited
        time.sleep(0.1)


# -- snapshots and checks -----------------------------------------------------------------------------


def _canon(value: Any) -> str:
    """Canonical JSON text of a stored JSON value (text on SQLite, parsed on PostgreSQL)."""
    if isinstance(value, (bytes, str)):
        value = json.loads(value)
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _date(value: Any) -> str | None:
    return None if value is None else str(value)[:10]


@dataclass
class Snapshot:
    """What a store holds, keyed so that two stores of the same articles compare equal whatever their row
    ids: articles by content hash, reports by (article hash, position), events by their (content-derived)
    id, versions by (event id, version) with report ids mapped to report keys."""

    articles: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    article_rows: int = 0
    reports: dict[tuple[str, int], tuple[Any, ...]] = field(default_factory=dict)
    report_rows: int = 0
    report_article_missing: int = 0
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    versions: dict[tuple[str, int], tuple[Any, ...]] = field(default_factory=dict)
    version_rows: int = 0
    raw: set[str] = field(default_factory=set)
    integrity: list[str] = field(default_factory=list)  # SQLite integrity_check + foreign_key_check problems
    schema: set[str] = field(default_factory=set)  # table and index names
    alembic: list[str] = field(default_factory=list)

    @property
    def live_events(self) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.events.items() if not v["deleted"]}

    def reports_of(self, content_hash: str) -> list[tuple[Any, ...]]:
        """An article's reports without their event: (position, type, sub-type, date, data digest)."""
        return sorted((k[1], *v[:4]) for k, v in self.reports.items() if k[0] == content_hash)

    def event_triples(self) -> collections.Counter[tuple[Any, ...]]:
        """The multiset of (event type, date, location name) of the live events."""
        return collections.Counter(
            (e["event_type"], e["date"], e["location"]) for e in self.live_events.values()
        )


_QUERIES = {
    "articles": "SELECT id, content_hash, raw_sha256, external_id, outlet, url, published, title, text FROM articles",
    "reports": "SELECT id, article_id, position, event_type, sub_event_type, date_value, data, event_id FROM reports",
    "events": "SELECT id, version, deleted, data, event_type, sub_event_type, date_value, grade, "
              "independent_sources FROM events",
    "versions": "SELECT event_id, version, deleted, reason, data FROM event_versions",
    "raw": "SELECT sha256 FROM raw_inputs",
}
_TABLE_OF = {"raw": "raw_inputs", "versions": "event_versions"}


def _fetch(url: str) -> tuple[dict[str, list[tuple[Any, ...]]], list[str], set[str], list[str]]:
    """Rows of every table, integrity problems, schema object names and alembic versions."""
    integrity: list[str] = []
    if url.startswith("sqlite"):
        path = url.split("sqlite:///", 1)[1]
        if not Path(path).exists():
            return {k: [] for k in _QUERIES}, [], set(), []
        con = sqlite3.connect(path, timeout=30)
        try:
            check = [r[0] for r in con.execute("PRAGMA integrity_check")]
            if check != ["ok"]:
                integrity += [f"integrity_check: {c}" for c in check]
            integrity += [f"foreign_key_check: {r}" for r in con.execute("PRAGMA foreign_key_check")]
            schema = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")}
            rows = {k: (con.execute(q).fetchall() if _TABLE_OF.get(k, k) in schema else []) for k, q in _QUERIES.items()}
            alembic = [r[0] for r in con.execute("SELECT version_num FROM alembic_version")] \
                if "alembic_version" in schema else []
        finally:
            con.close()
        return rows, integrity, schema, alembic
    import psycopg

    base = re.sub(r"[?&]application_name=[\w-]+", "", _libpq(url))
    with psycopg.connect(base, application_name="cwcrash-check") as conn:
        schema = {r[0] for r in conn.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'i')")}
        rows = {k: (conn.execute(q).fetchall() if _TABLE_OF.get(k, k) in schema else []) for k, q in _QUERIES.items()}
        alembic = [r[0] for r in conn.execute("SELECT version_num FROM alembic_version")] \
            if "alembic_version" in schema else []
    return rows, integrity, schema, alembic


def snapshot(url: str) -> Snapshot:
    """Read a store (SQLite file or PostgreSQL schema) into a Snapshot; raises when it cannot be read."""
    rows, integrity, schema, alembic = _fetch(url)
    snap = Snapshot(integrity=integrity, schema=schema, alembic=alembic)
    hash_of: dict[int, str] = {}
    snap.article_rows = len(rows["articles"])
    for aid, chash, raw_sha, ext, outlet, url_, published, title, text in rows["articles"]:
        hash_of[aid] = chash
        snap.articles[chash] = (raw_sha, ext, outlet, url_, _date(published), title, _digest(text))
    key_of: dict[int, tuple[str, int]] = {}
    snap.report_rows = len(rows["reports"])
    for rid, aid, pos, etype, sub, date, data, event_id in rows["reports"]:
        if aid not in hash_of:
            snap.report_article_missing += 1
            continue
        key = (hash_of[aid], pos)
        key_of[rid] = key
        snap.reports[key] = (etype, sub, _date(date), _digest(_canon(data)), event_id)
    members: dict[str, list[tuple[str, int]]] = collections.defaultdict(list)
    for key, rep in snap.reports.items():
        if rep[4] is not None:
            members[rep[4]].append(key)
    for eid, version, deleted, data, etype, sub, date, grade, sources in rows["events"]:
        d = json.loads(data) if isinstance(data, (str, bytes)) else data
        loc = (d.get("location") or {}).get("name")
        snap.events[eid] = {"version": version, "deleted": bool(deleted), "data": _digest(_canon(d)),
                            "event_type": etype, "sub_event_type": sub, "date": _date(date), "location": loc,
                            "grade": grade, "sources": sources, "reports": sorted(members.get(eid, []))}
    snap.version_rows = len(rows["versions"])
    for eid, version, deleted, reason, data in rows["versions"]:
        d = json.loads(data) if isinstance(data, (str, bytes)) else dict(data)
        ids = d.pop("report_ids", [])
        keys = sorted(key_of.get(i, ("?", i)) for i in ids)
        snap.versions[(eid, version)] = (bool(deleted), re.sub(r"\d+", "#", reason), _digest(_canon(d)), keys)
    snap.raw = {r[0] for r in rows["raw"]}
    return snap


def check_store(snap: Snapshot, ref: Snapshot, before: Snapshot | None = None,
                committed_articles: int | None = None) -> dict[str, list[str]]:
    """Problems of a store left by a killed (or finished) run, by kind; empty lists when none.

    ``before`` is the store before the run, ``committed_articles`` how many article transactions the
    run committed before it was killed (statement kills), when known.
    """
    p: dict[str, list[str]] = collections.defaultdict(list)
    if snap.article_rows != len(snap.articles):
        p["duplicated"].append(f"{snap.article_rows} article rows for {len(snap.articles)} content hashes")
    for h in snap.articles:
        if h not in ref.articles:
            p["unknown article"].append(h[:12])
    if before is not None:
        for h in before.articles:
            if h not in snap.articles:
                p["lost"].append(f"article {h[:12]} stored before this run is gone")
        if committed_articles is not None:
            new = len(set(snap.articles) - set(before.articles))
            if new < committed_articles:
                p["lost"].append(f"{committed_articles} article transactions committed before the kill, "
                                 f"{new} new articles stored")
            elif new > committed_articles:
                p["unexpected"].append(f"{new} new articles stored, {committed_articles} committed before the kill")
    for h, art in snap.articles.items():
        if h in ref.articles and snap.reports_of(h) != ref.reports_of(h):
            p["half-written article"].append(f"{h[:12]}: {len(snap.reports_of(h))} reports, "
                                             f"reference {len(ref.reports_of(h))}")
        if art[0] is not None and art[0] not in snap.raw:
            p["article without raw input"].append(h[:12])
        if h in ref.articles and art != ref.articles[h]:
            p["article differs from reference"].append(h[:12])
    if snap.report_article_missing:
        p["report without article"].append(str(snap.report_article_missing))
    live = snap.live_events
    for key, rep in snap.reports.items():
        if rep[4] is None or rep[4] not in live:
            p["report without live event"].append(f"{key[0][:12]}#{key[1]} -> {rep[4]}")
    for eid, ev in live.items():
        if not ev["reports"]:
            p["live event without reports"].append(eid)
    for eid, ev in snap.events.items():
        have = sorted(v for (e, v) in snap.versions if e == eid)
        if have != list(range(1, ev["version"] + 1)):
            p["version history incomplete"].append(f"{eid}: version {ev['version']}, history {have}")
    used = {a[0] for a in snap.articles.values()}
    unused = snap.raw - used
    if len(unused) > len(ref.raw - {a[0] for a in ref.articles.values()}):
        p["raw input without article"].append(", ".join(sorted(u[:12] for u in unused)))
    p["integrity"].extend(snap.integrity)
    return {k: v for k, v in p.items() if v}


def compare(snap: Snapshot, ref: Snapshot) -> dict[str, list[str]]:
    """Differences between a completed store and the reference, by kind; empty when identical."""
    d: dict[str, list[str]] = collections.defaultdict(list)
    for h in ref.articles.keys() - snap.articles.keys():
        d["articles missing (lost)"].append(h[:12])
    for h in snap.articles.keys() - ref.articles.keys():
        d["articles extra"].append(h[:12])
    if snap.article_rows != ref.article_rows:
        d["article rows"].append(f"{snap.article_rows} vs {ref.article_rows}")
    if snap.raw != ref.raw:
        d["raw inputs"].append(f"{len(snap.raw)} vs {len(ref.raw)}")
    for k in ref.reports.keys() | snap.reports.keys():
        a, b = snap.reports.get(k), ref.reports.get(k)
        if a is None:
            d["reports missing"].append(f"{k[0][:12]}#{k[1]}")
        elif b is None:
            d["reports extra"].append(f"{k[0][:12]}#{k[1]}")
        elif a[:4] != b[:4]:
            d["reports differ"].append(f"{k[0][:12]}#{k[1]}")
        elif a[4] != b[4]:
            d["report in another event"].append(f"{k[0][:12]}#{k[1]}: {a[4]} vs {b[4]}")
    if len(snap.live_events) != len(ref.live_events):
        d["event count"].append(f"{len(snap.live_events)} live events vs {len(ref.live_events)}")
    triples = snap.event_triples()
    ref_triples = ref.event_triples()
    for t in (triples - ref_triples):
        d["(type, date, place) extra"].append(str(t))
    for t in (ref_triples - triples):
        d["(type, date, place) missing"].append(str(t))
    for eid in ref.events.keys() | snap.events.keys():
        a, b = snap.events.get(eid), ref.events.get(eid)
        if a is None or b is None:
            d["events missing" if a is None else "events extra"].append(eid)
        elif a != b:
            fields = [f for f in a if a[f] != b[f]]
            d["events differ"].append(f"{eid}: {', '.join(fields)}")
    if snap.version_rows != ref.version_rows:
        d["event history rows"].append(f"{snap.version_rows} vs {ref.version_rows}")
    for k in ref.versions.keys() | snap.versions.keys():
        if snap.versions.get(k) != ref.versions.get(k):
            d["event history differs"].append(f"{k[0]} v{k[1]}")
    return {k: v for k, v in d.items() if v}


# -- the corpus ---------------------------------------------------------------------------------------

_PLACES = [("Maiduguri", "Nigeria", "Borno"), ("Kidal", "Mali", "Kidal"), ("Beni", "the Democratic Republic of "
           "the Congo", "North Kivu"), ("Djibo", "Burkina Faso", "Soum"), ("Baidoa", "Somalia", "Bay"),
           ("Kaduna", "Nigeria", "Kaduna"), ("Bunia", "the Democratic Republic of the Congo", "Ituri"),
           ("Gao", "Mali", "Gao"), ("Tillaberi", "Niger", "Tillaberi"), ("Mocimboa da Praia", "Mozambique",
                                                                           "Cabo Delgado")]
_OUTLETS = ["The Crash Test Courier", "Bench Street Journal", "Kill Nine Gazette"]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def _generated(i: int, rng: random.Random) -> tuple[str, dict[str, str]]:
    """A plain-text article (title line, blank line, body) telling one or two incidents, and its meta."""
    place, country, province = rng.choice(_PLACES)
    day = rng.choice(_DAYS)
    n = rng.randint(3, 40)
    published = f"2024-0{rng.randint(1, 9)}-{rng.randint(10, 28)}"
    outlet = _OUTLETS[i % len(_OUTLETS)]
    title = f"Gunmen kill {n} in attack near {place}"
    body = [f"{place.upper()}, {country} - Gunmen killed at least {n} people in an attack on a village near "
            f"{place} in {province} province on {day}, a local official and residents said.",
            f"The attackers arrived on motorcycles late in the afternoon, set fire to houses and shot at "
            f"people who tried to flee, a resident who asked not to be named told {outlet}.",
            "No group has claimed responsibility for the attack."]
    if rng.random() < 0.5:
        other, _, other_province = rng.choice([p for p in _PLACES if p[1] == country] or [(place, country, province)])
        body.append(f"Separately, soldiers clashed with militants near {other} in {other_province} on the same "
                    f"day, the army said in a statement, adding that {rng.randint(2, 9)} militants were killed.")
    body.append(f"(Reporting by {outlet} staff; item {i})")
    return f"{title}\n\n" + "\n\n".join(body) + "\n", {"published": published, "outlet": outlet,
                                                       "url": f"https://crash.example/{i}"}


def make_corpus(folder: Path, extra: int) -> int:
    """The bundled corpus, ``extra`` generated articles and one copy of a bundled article, in ``folder``.
    Returns the number of input files."""
    shutil.copytree(CORPUS, folder)
    meta_path = folder / "conflictwire-meta.json"
    meta = json.loads(meta_path.read_text())
    rng = random.Random(13)  # the same articles whatever --seed: the reference must not move
    for i in range(extra):
        text, m = _generated(i, rng)
        name = f"generated-{i:02d}.txt"
        (folder / name).write_text(text)
        meta[name] = m
    if COPIED in meta:
        shutil.copy(folder / COPIED, folder / f"copy-of-{COPIED}")
        meta[f"copy-of-{COPIED}"] = meta[COPIED]
    meta_path.write_text(json.dumps(meta, indent=2))
    return sum(1 for p in folder.iterdir() if p.name != "conflictwire-meta.json")


# -- running ingest -----------------------------------------------------------------------------------


@dataclass
class Outcome:
    """How one run of ``ingest`` ended."""

    killed: bool
    returncode: int | None
    seconds: float
    log: dict[str, Any] = field(default_factory=dict)  # the kill point counter's record (statement runs)
    stderr: str = ""


class Runner:
    """Starts ``conflictwire ingest FOLDER --db URL --fast`` and kills it."""

    def __init__(self, conflictwire: str, folder: Path, work: Path) -> None:
        self.conflictwire, self.folder, self.work = conflictwire, folder, work
        self.python = sys.executable  # the kill point counter runs the CLI in this Python
        self._n = 0

    def _args(self, url: str) -> list[str]:
        return ["ingest", str(self.folder), "--db", url, "--fast", "--no-progress"]

    def _run(self, cmd: list[str], kill_after: float | None) -> tuple[bool, int | None, float, str]:
        self._n += 1
        out = self.work / f"run{self._n:04d}.out"
        with out.open("wb") as fh:
            start = time.monotonic()
            proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
            killed = False
            try:
                proc.wait(timeout=kill_after)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                killed = True
            seconds = time.monotonic() - start
        text = out.read_text(errors="replace")
        if proc.returncode == -signal.SIGKILL:
            killed = True
        return killed, proc.returncode, seconds, text

    def plain(self, url: str, kill_after: float | None = None) -> Outcome:
        """The ``conflictwire`` program itself; SIGKILL to its process group after ``kill_after`` seconds."""
        killed, rc, secs, text = self._run([self.conflictwire, *self._args(url)], kill_after)
        return Outcome(killed, rc, secs, stderr=text[-2000:])

    def counted(self, url: str, kill_at: int | None = None, args: list[str] | None = None) -> Outcome:
        """The same command through the kill point counter; killed at point ``kill_at`` (None: never)."""
        log = self.work / f"points{self._n + 1:04d}.json"
        cmd = [self.python, str(Path(__file__).resolve()), "_child", str(kill_at or 0), str(log), "--",
               *(args or self._args(url))]
        killed, rc, secs, text = self._run(cmd, None)
        record = json.loads(log.read_text()) if log.exists() else {}
        return Outcome(killed, rc, secs, record, text[-2000:])


# -- the bench ----------------------------------------------------------------------------------------


@dataclass
class Tally:
    """Figures of one backend."""

    backend: str
    kills: int = 0
    kills_by_mode: collections.Counter[str] = field(default_factory=collections.Counter)
    finished_before_kill: int = 0
    phases: collections.Counter[str] = field(default_factory=collections.Counter)
    problems: collections.Counter[str] = field(default_factory=collections.Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)
    completions: int = 0
    completions_differing: int = 0
    differences: collections.Counter[str] = field(default_factory=collections.Counter)
    resume_failures: int = 0
    lingering_sessions: int = 0
    max_session_wait: float = 0.0
    durations: list[float] = field(default_factory=list)  # whole uninterrupted runs, seconds
    schema_kills: int = 0
    schema_failures: int = 0
    reference: dict[str, Any] = field(default_factory=dict)

    def note(self, problems: dict[str, list[str]], where: str) -> None:
        for kind, items in problems.items():
            self.problems[kind] += len(items)
            self.examples.setdefault(kind, [])
            if len(self.examples[kind]) < 5:
                self.examples[kind].append(f"{where}: {items[0]}" + (f" (+{len(items) - 1})" if len(items) > 1 else ""))

    @property
    def lost(self) -> int:
        return self.problems["lost"] + self.differences["articles missing (lost)"]

    @property
    def duplicated(self) -> int:
        return self.problems["duplicated"] + self.differences["articles extra"] + self.differences["article rows"]

    @property
    def failed(self) -> bool:
        return bool(sum(self.problems.values()) or self.completions_differing or self.resume_failures
                    or self.lingering_sessions or self.schema_failures or self.reference.get("problems"))


def _first_error(output: str) -> str:
    """The first line of a run's output that names an error (else its last line), shortened."""
    lines = output.strip().splitlines() or ["?"]
    return next((ln for ln in lines if "error" in ln.lower()), lines[-1])[:300]


def _episode_lengths() -> Iterator[int]:
    while True:
        yield 1
        yield 3


def bench_backend(backend: str, runner: Runner, dbs: Databases, runs: int, mode: str, rng: random.Random,
                  schema_sweep: bool, say: Callable[[str], None]) -> Tally:
    """Reference, kills and checks on one backend."""
    t = Tally(backend)
    # The reference, counted; then again on the same store (adds nothing); then the plain program.
    ref_url = dbs.fresh()
    first = runner.counted(ref_url)
    if first.returncode != 0:
        raise SystemExit(f"{backend}: the reference run failed ({first.returncode}):\n{first.stderr}")
    ref = snapshot(ref_url)
    again = runner.counted(ref_url)
    plain_url = dbs.fresh()
    plain = runner.plain(plain_url)
    ref_problems = check_store(ref, ref)
    rerun_diff = compare(snapshot(ref_url), ref)
    plain_diff = compare(snapshot(plain_url), ref) if plain.returncode == 0 else {"exit": [str(plain.returncode)]}
    points, points_noop = first.log.get("points", 0), again.log.get("points", 0)
    duration = plain.seconds  # timed kills are spread over the latest whole run's duration
    t.durations.append(duration)
    t.reference = {
        "articles": len(ref.articles), "reports": len(ref.reports), "live events": len(ref.live_events),
        "deleted events": len(ref.events) - len(ref.live_events), "event versions": ref.version_rows,
        "raw inputs": len(ref.raw), "seconds (counted run)": round(first.seconds, 1),
        "seconds (plain run)": round(duration, 1), "seconds (run on a complete store)": round(again.seconds, 1),
        "SQL points (statements + commits)": points, "SQL points on a complete store": points_noop,
        "rerun adds nothing": again.returncode == 0 and not rerun_diff,
        "plain run equals counted run": not plain_diff,
        "problems": {**ref_problems, **{f"rerun: {k}": v for k, v in rerun_diff.items()},
                     **{f"plain run: {k}": v for k, v in plain_diff.items()}},
    }
    say(f"[{backend}] reference: {t.reference}")
    total = len(ref.articles)
    lengths = _episode_lengths()
    attempts = 0
    episode = 0
    while t.kills < runs and attempts < 3 * runs:
        episode += 1
        url = dbs.fresh()
        before = snapshot(url)
        n_kills = next(lengths)
        for _ in range(n_kills):
            if t.kills >= runs:
                break
            remaining = total - len(before.articles)
            if before.articles and remaining == 0:
                break  # nothing left to interrupt
            attempts += 1
            kind = mode if mode != "mixed" else ("time", "statement")[t.kills % 2]
            if kind == "time":
                delay = rng.uniform(0.0, duration)
                out = runner.plain(url, kill_after=delay)
                where = f"episode {episode}, timed kill after {delay:.1f}s"
            else:
                span = points if not before.articles else points_noop + (points - points_noop) * remaining / total
                k = rng.randint(1, max(1, int(span)))
                out = runner.counted(url, kill_at=k)
                where = f"episode {episode}, kill at SQL point {k}"
            if not out.killed and kind == "time" and not before.articles and out.returncode == 0:
                duration = out.seconds  # a whole run: the machine's speed now
                t.durations.append(duration)
            if not out.killed:
                t.finished_before_kill += 1
                say(f"[{backend}] {where}: finished first (exit {out.returncode})")
                if out.returncode != 0:
                    t.resume_failures += 1
                    t.note({"run failed": [f"exit {out.returncode}: {_first_error(out.stderr)}"]}, where)
            if out.killed:
                t.kills += 1
                t.kills_by_mode[kind] += 1
            if backend == "postgresql":
                left, waited = wait_pg_sessions_gone(url)
                t.max_session_wait = max(t.max_session_wait, waited)
                if left:
                    t.lingering_sessions += 1
                    t.note({"lingering sessions": [f"{left} still open after {waited:.1f}s"]}, where)
            try:
                snap = snapshot(url)
            except Exception as exc:  # noqa: BLE001 - an unreadable store is the finding
                t.note({"store unreadable": [f"{type(exc).__name__}: {exc}"]}, where)
                break
            new = len(set(snap.articles) - set(before.articles))
            if out.killed:
                if kind == "statement":
                    phase = phase_of_statement_kill(out.log)
                elif remaining == 0:
                    phase = "nothing left to store"
                elif new == 0:
                    phase = "before storing anything (start-up, extraction)"
                elif new < remaining:
                    phase = "while storing (some of the remaining articles stored)"
                else:
                    phase = "after the last article was stored"
                t.phases[f"{kind}: {phase}"] += 1
            problems = check_store(snap, ref, before, out.log.get("committed_articles") if kind == "statement"
                                   and out.killed else None)
            t.note(problems, where)
            say(f"[{backend}] {where}: {'killed' if out.killed else 'not killed'}, {len(snap.articles)}/{total} "
                f"articles (+{new}){' - ' + phase if out.killed else ''}"
                f"{' PROBLEMS ' + json.dumps(problems)[:400] if problems else ''}")
            before = snap
        done = runner.plain(url)
        t.completions += 1
        if not before.articles and done.returncode == 0:
            duration = done.seconds
            t.durations.append(duration)
        if done.returncode != 0:
            t.resume_failures += 1
            t.note({"resume failed": [f"exit {done.returncode}: {_first_error(done.stderr)}"]}, f"episode {episode}")
            say(f"[{backend}] episode {episode}: completion run failed (exit {done.returncode})")
            continue
        final = snapshot(url)
        problems = check_store(final, ref, before)
        diff = compare(final, ref)
        t.note(problems, f"episode {episode} completed")
        if diff:
            t.completions_differing += 1
            for kind_, items in diff.items():
                t.differences[kind_] += len(items)
            t.note({f"difference: {k}": v for k, v in diff.items()}, f"episode {episode} completed")
        say(f"[{backend}] episode {episode} completed: {len(final.articles)} articles, {len(final.reports)} "
            f"reports, {len(final.live_events)} events; {'same as the reference' if not diff else 'DIFFERS: ' + json.dumps(diff)[:600]}")
    if schema_sweep:
        schema_sweep_backend(t, runner, dbs, ref, say)
    return t


def schema_sweep_backend(t: Tally, runner: Runner, dbs: Databases, ref: Snapshot,
                         say: Callable[[str], None]) -> None:
    """A kill at every point of the schema creation, each followed by ``conflictwire events``."""
    probe = dbs.fresh()
    opened = runner.counted(probe, args=["events", "--db", probe, "--format", "jsonl", "-o", os.devnull])
    n = int(opened.log.get("points", 0))
    for k in range(1, n + 1):
        url = dbs.fresh()
        out = runner.counted(url, kill_at=k)
        if not out.killed:
            continue
        t.schema_kills += 1
        if t.backend == "postgresql":
            wait_pg_sessions_gone(url)
        after = subprocess.run([runner.conflictwire, "events", "--db", url, "--format", "jsonl", "-o", os.devnull],
                               capture_output=True, text=True)
        snap = None
        with contextlib.suppress(Exception):
            snap = snapshot(url)
        ok = after.returncode == 0 and snap is not None and snap.schema == ref.schema and snap.alembic == ref.alembic
        if not ok:
            t.schema_failures += 1
            msg = _first_error(after.stderr)[:200]
            t.note({"store unusable after a kill while creating the schema": [
                f"exit {after.returncode}: {msg}"]}, f"kill at SQL point {k} ({out.log.get('statement', '')[:60]})")
        say(f"[{t.backend}] schema sweep: kill at point {k}/{n} ({out.log.get('statement', '')[:50]}): "
            f"{'store opens' if ok else 'STORE UNUSABLE: ' + (after.stderr.strip().splitlines() or ['?'])[0][:160]}")


def print_tally(t: Tally, runs: int) -> None:
    print(f"\n== {t.backend} ==")
    for k, v in t.reference.items():
        if k != "problems":
            print(f"  reference {k}: {v}")
    print(f"  reference problems: {t.reference.get('problems') or 'none'}")
    print(f"  kills: {t.kills} of {runs} asked ({', '.join(f'{m} {n}' for m, n in sorted(t.kills_by_mode.items()))}); "
          f"runs that finished before their kill: {t.finished_before_kill}")
    if t.durations:
        print(f"  timed kills spread over the latest whole run: {len(t.durations)} whole runs took "
              f"{min(t.durations):.0f}-{max(t.durations):.0f} s")
    print("  kills by phase:")
    for phase, n in sorted(t.phases.items()):
        print(f"    {n:4d}  {phase}")
    print(f"  lost: {t.lost}   duplicated: {t.duplicated}   half-written articles: {t.problems['half-written article']}"
          f"   reports without live event: {t.problems['report without live event']}")
    integ = t.problems["integrity"] + t.problems["store unreadable"]
    print(f"  integrity failures: {integ}" + ("  (SQLite integrity_check ok and foreign_key_check empty after every kill)"
                                              if t.backend == "sqlite" and not integ else
                                              "  (queryable after every kill)" if not integ else ""))
    if t.backend == "postgresql":
        print(f"  killed sessions still open after {PG_SESSION_GRACE:.0f}s: {t.lingering_sessions} "
              f"(longest wait {t.max_session_wait:.1f}s)")
    print(f"  runs to completion: {t.completions}; differing from the reference: {t.completions_differing}"
          + (f" {dict(t.differences)}" if t.differences else "") + f"; resume failures: {t.resume_failures}")
    if t.schema_kills:
        print(f"  schema creation sweep: {t.schema_kills} kills, store unusable after {t.schema_failures}")
    other = {k: v for k, v in t.problems.items() if v and k not in ("lost", "duplicated", "half-written article",
                                                                 "report without live event", "integrity")}
    if other:
        print(f"  other problems: {dict(other)}")
    for kind, ex in t.examples.items():
        for e in ex:
            print(f"    e.g. {kind}: {e}")


def _default_program() -> str:
    """``conflictwire`` installed beside the Python running this script, else the one on PATH."""
    beside = Path(sys.executable).with_name("conflictwire")
    return str(beside) if beside.exists() else shutil.which("conflictwire") or "conflictwire"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_child"]:
        _child_main(argv[1:])
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=50, help="kills per backend [50]")
    ap.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="sqlite")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--mode", choices=["mixed", "time", "statement"], default="mixed")
    ap.add_argument("--pg-url", help="a PostgreSQL database to make schemas in (default: a throwaway cluster)")
    ap.add_argument("--extra", type=int, default=8, help="generated articles added to the corpus [8]")
    ap.add_argument("--no-schema-sweep", action="store_true", help="skip the kills during schema creation")
    ap.add_argument("--conflictwire", default=_default_program(),
                    help="the program to run [conflictwire beside this Python, else on PATH]")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    ap.add_argument("--serial", action="store_true", help="one backend after the other (default: side by side)")
    ap.add_argument("-q", "--quiet", action="store_true", help="print only the figures")
    args = ap.parse_args(argv)

    backends = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    work = Path(tempfile.mkdtemp(prefix="cwcrash-"))
    say = (lambda _m: None) if args.quiet else (lambda m: print(m, flush=True))
    started = time.monotonic()

    def run_backend(backend: str) -> Tally:
        # Each backend draws from its own generator, so its kills do not depend on the other's.
        rng = random.Random(f"{args.seed}-{backend}")
        bwork = work / backend
        bwork.mkdir()
        runner = Runner(args.conflictwire, work / "articles", bwork)
        with contextlib.ExitStack() as stack:
            if backend == "sqlite":
                dbs = Databases("sqlite", bwork)
            else:
                base = args.pg_url or stack.enter_context(pg_cluster())
                dbs = Databases("postgresql", bwork, base)
                stack.callback(dbs.drop_all)
                import psycopg

                with psycopg.connect(_libpq(base)) as conn:
                    say(f"[postgresql] server {conn.execute('SHOW server_version').fetchone()[0]}")
            return bench_backend(backend, runner, dbs, args.runs, args.mode, rng, not args.no_schema_sweep, say)

    try:
        files = make_corpus(work / "articles", args.extra)
        import conflictwire

        say(f"conflictwire {getattr(conflictwire, '__version__', '?')} from {Path(conflictwire.__file__).parent}; "
            f"{files} input files in {work / 'articles'}; sqlite {sqlite3.sqlite_version}")
        workers = 1 if args.serial else len(backends)
        with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
            tallies = list(pool.map(run_backend, backends))
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

    cmd = " ".join(["python bench/crash_bench.py", *argv])
    print(f"\n{cmd}\n{len(tallies)} backend(s), {time.monotonic() - started:.0f} s, seed {args.seed}, mode {args.mode}")
    for t in tallies:
        print_tally(t, args.runs)
    kills = sum(t.kills for t in tallies)
    print(f"\nTOTAL: {kills} kill -9 runs: {sum(t.lost for t in tallies)} lost, "
          f"{sum(t.duplicated for t in tallies)} duplicated, "
          f"{sum(t.problems['half-written article'] for t in tallies)} half-written, "
          f"{sum(t.problems['integrity'] + t.problems['store unreadable'] for t in tallies)} integrity failures, "
          f"{sum(t.completions_differing for t in tallies)} of {sum(t.completions for t in tallies)} completed "
          f"stores differing from the reference, "
          f"{sum(t.schema_failures for t in tallies)} of {sum(t.schema_kills for t in tallies)} schema-creation "
          f"kills leaving an unusable store, {sum(t.resume_failures for t in tallies)} resume failures")
    return 1 if any(t.failed for t in tallies) else 0


if __name__ == "__main__":
    sys.exit(main())
