"""Crash safety of `conflictwire ingest`: SIGKILL at chosen SQL statements, then nothing lost, doubled or
half-written, and a resumed run ends with the same store as an uninterrupted one.

The short form of ``bench/crash_bench.py`` (whose checks it uses). To stay quick, the extraction models
are loaded once in this process and each run of ``ingest`` (the real command, ``cli.main``) is a forked
child, which counts its SQL statements and COMMITs and SIGKILLs itself at the point drawn for it
(``KillPoints``), so the points, and what each kill tests, are the same on every run of the test.

Three kills in a row on one database (each run resuming what the last left), checked after each: no
article twice, none lost (every article transaction that committed before the kill is there), every
stored article with exactly its reports and every report in a live event; then a run to completion
must give the reference store. Committing an article apart from its reports, or its reports apart from
their events, fails at the first kill (tried by editing pipeline.py so). A second test kills the
creation of the schema of a fresh database, which the first one leaves out.
"""

from __future__ import annotations

import importlib.util
import json
import os
import random
import shutil
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("crash_bench", ROOT / "bench" / "crash_bench.py")
assert _spec and _spec.loader
crash = sys.modules.setdefault("crash_bench", importlib.util.module_from_spec(_spec))
if not hasattr(crash, "KillPoints"):
    _spec.loader.exec_module(crash)

#: A corner of the corpus: multi-report articles and roundups (Kharkiv), five outlets on one strike
#: (Miran Shah), HTML and text of one protest (Nakuru), and an exact copy stored once.
ARTICLES = [
    "kenya-nakuru-courier.html", "kenya-nakuru-meridian.txt",
    "pakistan-miran-shah-capital-observer.txt", "pakistan-miran-shah-indus-evening-post.txt",
    "pakistan-miran-shah-khyber-chronicle.txt", "pakistan-miran-shah-meridian.txt",
    "pakistan-miran-shah-south-asia-monitor.txt", "ukraine-kharkiv-industrial-meridian.txt",
    "ukraine-kharkiv-roundup-chronicle.txt", "ukraine-kharkiv-saltivka-evening-courier.txt",
]
SEED = 13
KILLS = 3


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The articles, their meta file, and a copy of one of them under another name."""
    src = crash.CORPUS
    d = tmp_path_factory.mktemp("crash-articles")
    meta = json.loads((src / "conflictwire-meta.json").read_text())
    kept = {}
    for name in ARTICLES:
        shutil.copy(src / name, d / name)
        if name in meta:
            kept[name] = meta[name]
    shutil.copy(src / "kenya-nakuru-meridian.txt", d / "copy-of-kenya-nakuru-meridian.txt")
    kept["copy-of-kenya-nakuru-meridian.txt"] = meta["kenya-nakuru-meridian.txt"]
    (d / "conflictwire-meta.json").write_text(json.dumps(kept))
    return d


@pytest.fixture(scope="module")
def warm() -> None:
    """The fast extractor's models loaded (and its lazy tables built) before any child is forked."""
    from conflictwire.extract import Extractor

    Extractor.default(fast=True).extract(
        "Gunmen attacked a market in Borno state on Tuesday, killing at least nine traders, an official said.",
        None, None, None)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def databases(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """Fresh databases of one backend (SQLite files, or PostgreSQL schemas dropped afterwards)."""
    if request.param == "sqlite":
        yield crash.Databases("sqlite", tmp_path)
        return
    dbs = crash.Databases("postgresql", tmp_path, request.getfixturevalue("pg_server"))
    try:
        yield dbs
    finally:
        dbs.drop_all()


def _forked(target: Callable[[], int], kill_at: int | None, log: Path) -> tuple[bool, int | None, dict[str, Any]]:
    """Run ``target`` in a forked child that counts its SQL points and SIGKILLs itself at ``kill_at``.
    Returns (killed, exit status, the counter's record)."""
    log.unlink(missing_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 70
        try:
            os.setpgid(0, 0)
            sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - the child ends with os._exit
            points = crash.KillPoints(kill_at, log).install()
            code = target()
            points.dump()
        except BaseException:  # noqa: BLE001 - reported through the exit status
            code = 71
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    killed = os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    record = json.loads(log.read_text()) if log.exists() else {}
    return killed, (os.WEXITSTATUS(status) if os.WIFEXITED(status) else None), record


def _ingest(folder: Path, url: str) -> Callable[[], int]:
    def run() -> int:
        from conflictwire.cli import main

        try:
            main(["ingest", str(folder), "--db", url, "--fast", "--no-progress"], prog_name="conflictwire")
        except SystemExit as exc:
            return exc.code if isinstance(exc.code, int) else 1
        return 0
    return run


def _open_store(url: str) -> Callable[[], int]:
    def run() -> int:
        from conflictwire.store import Store

        Store.open(url).close()
        return 0
    return run


def _settle(dbs: Any, url: str) -> None:
    """Wait until the killed child's PostgreSQL sessions are gone (the server rolled them back)."""
    if dbs.backend == "postgresql":
        left, waited = crash.wait_pg_sessions_gone(url)
        assert left == 0, f"{left} sessions of the killed run still open after {waited:.1f}s"


def test_kill_9_during_ingest_loses_and_doubles_nothing(folder: Path, warm: None, databases: Any,
                                                        tmp_path: Path) -> None:
    log = tmp_path / "points.json"
    # The reference: an uninterrupted run into a fresh database, and a second run that adds nothing.
    ref_url = databases.fresh()
    killed, code, first = _forked(_ingest(folder, ref_url), None, log)
    assert not killed and code == 0, first
    ref = crash.snapshot(ref_url)
    assert not crash.check_store(ref, ref)
    assert len(ref.articles) == len(ARTICLES) and len(ref.reports) > len(ref.articles) and ref.live_events
    killed, code, again = _forked(_ingest(folder, ref_url), None, log)
    assert not killed and code == 0
    assert not crash.compare(crash.snapshot(ref_url), ref), "a second run changed the store"
    points, points_noop = first["points"], again["points"]

    # Three kills in a row on one database, each resuming what the one before left, then a full run.
    url = databases.fresh()
    _forked(_open_store(url), None, log)  # the schema exists: the kills land in ingest's own work
    rng = random.Random(SEED)
    before = crash.snapshot(url)
    kills: list[str] = []
    attempts = 0
    while len(kills) < KILLS:
        attempts += 1
        assert attempts <= 3 * KILLS, f"only {len(kills)} runs were killed: {kills}"
        remaining = len(ref.articles) - len(before.articles)
        span = points_noop + (points - points_noop) * remaining / len(ref.articles)
        kill_at = rng.randint(points_noop // 2 + 1, max(points_noop // 2 + 2, int(0.9 * span)))
        killed, code, record = _forked(_ingest(folder, url), kill_at, log)
        assert killed or code == 0, f"run without a kill failed with exit {code}"
        _settle(databases, url)
        snap = crash.snapshot(url)
        where = f"kill at SQL point {kill_at} ({crash.phase_of_statement_kill(record)})" if killed else "no kill"
        problems = crash.check_store(snap, ref, before, record["committed_articles"] if killed else None)
        assert not problems, f"{where}, after kills {kills}: {problems}"
        if killed:
            kills.append(f"{where}: {len(snap.articles)}/{len(ref.articles)} articles")
        before = snap
    inside = [k for k in kills if "between transactions" not in k]
    assert inside, f"no kill landed inside an article's transaction (change SEED): {kills}"
    killed, code, _ = _forked(_ingest(folder, url), None, log)
    assert not killed and code == 0
    final = crash.snapshot(url)
    assert not crash.check_store(final, ref, before)
    assert not crash.compare(final, ref), f"after {kills}: {crash.compare(final, ref)}"


@pytest.mark.parametrize("backend", [
    # SQLite's DDL ran outside any transaction until the store began every transaction itself
    # (store/db.py _sqlite_on_begin): a kill here left tables but no alembic_version row
    "sqlite",
    pytest.param("postgresql", marks=pytest.mark.postgres),
])
def test_kill_9_while_creating_the_schema_leaves_a_usable_store(backend: str, request: pytest.FixtureRequest,
                                                                 tmp_path: Path) -> None:
    dbs = crash.Databases(backend, tmp_path, request.getfixturevalue("pg_server") if backend == "postgresql" else None)
    try:
        log = tmp_path / "points.json"
        probe = dbs.fresh()
        _, code, opened = _forked(_open_store(probe), None, log)
        assert code == 0
        ref = crash.snapshot(probe)
        # Kill at points spread over creating the schema, then open the store again.
        unusable = []
        for kill_at in range(1, opened["points"] + 1, max(1, opened["points"] // 6)):
            url = dbs.fresh()
            killed, _, record = _forked(_open_store(url), kill_at, log)
            assert killed
            _settle(dbs, url)
            _, code, _ = _forked(_open_store(url), None, log)
            snap = crash.snapshot(url)
            if code != 0 or snap.schema != ref.schema or snap.alembic != ref.alembic:
                unusable.append(f"point {kill_at} ({record.get('statement', '')[:40]})")
        assert not unusable, f"store unusable after a kill at {unusable}"
    finally:
        dbs.drop_all()
