"""HTTP API throughput and latency over a store of synthetic events (a script, not a test).

    python bench/api_bench.py [--events 100000] [--db PATH] [--pg postgresql://...] [--duration 10]
                              [--connections 16] [--threads 2] [--keep]

Fills a SQLite store (and, with ``--pg URL``, a PostgreSQL one too; the URL's database is filled, so
give it an empty one) with ``--events`` synthetic events in the shape the pipeline makes (the hot spots,
types and actors of bench/cluster_bench.py; one to eight reports each from different articles, a share
undated or without fatalities, grades from the source counts), written with direct batched inserts
rather than through the pipeline. Then starts ``conflictwire serve`` (``--workers 1``, then 2) on loopback
and runs ``wrk`` against:

  * ``/api/events`` (the first page of 100, newest first),
  * ``/api/events?reports=false`` (the same page without the reports, as the map page asks for it),
  * ``/api/events?country_code=SY&min_sources=2`` (a filtered first page),
  * ``/api/events?sort=fatalities_desc&limit=20`` (another order, a smaller page),
  * ``/api/events/{id}`` (one event with sources and versions; a random one of 1,000 ids a request).

Prints requests/s, p50/p95/p99 latency (from a wrk Lua ``done`` hook) and the store's size.
Needs ``wrk`` (Debian/Ubuntu: ``apt-get install wrk``; macOS: ``brew install wrk``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cluster_bench import ACTORS, HOTSPOTS, TYPES  # noqa: E402  (the same synthetic world)

from conflictwire.model import DateInfo, Event, Fatalities, Location, Report, StoredReport  # noqa: E402
from conflictwire.store import Store  # noqa: E402
from conflictwire.store import codec  # noqa: E402
from conflictwire.store import schema as s  # noqa: E402

#: A country for each hot spot of cluster_bench.HOTSPOTS, in order.
HOTSPOT_COUNTRIES = ["SY", "SY", "SY", "PS", "SD", "SD", "UA", "UA", "UA", "SO", "NG", "NG", "ML", "NE", "BF", "CD",
                     "CD", "ET", "ER", "AF", "AF", "PK", "MM", "MM", "CO", "VE", "MX", "HT", "IQ", "IQ", "YE", "YE",
                     "NG", "TD", "CF", "MZ", "PH", "PK", "PK", "NP"]
_BATCH = 5000


def synthetic_events(n: int, seed: int = 11) -> list[Event]:
    """``n`` events over two years, each with 1-8 reports from distinct articles."""
    rng = random.Random(seed)
    start = dt.date(2024, 1, 1)
    events: list[Event] = []
    report_id = 0
    for i in range(n):
        hub = rng.randrange(len(HOTSPOTS))
        lat, lon = HOTSPOTS[hub][0] + rng.gauss(0, 0.7), HOTSPOTS[hub][1] + rng.gauss(0, 0.7)
        cc = HOTSPOT_COUNTRIES[hub]
        day = start + dt.timedelta(days=rng.randrange(730))
        etype, sub = rng.choice(TYPES)
        a1, a2 = rng.sample(ACTORS, 2)
        dated = rng.random() > 0.04
        date = DateInfo("on Tuesday", day.isoformat(), rng.choice(("day",) * 8 + ("week", "month")), None) \
            if dated else DateInfo(None, None, None, "no time expression")
        loc = Location(f"near place {hub}", f"Place {hub}-{rng.randrange(50)}", round(lat, 5), round(lon, 5),
                       None, cc, f"Province {cc}-{rng.randrange(6)}", None, None, rng.choice((1, 1, 1, 2, 3)))
        deaths = None if rng.random() < 0.3 else int(rng.expovariate(0.2))
        fat = Fatalities(deaths, deaths, None, f"{deaths} people", None) if deaths is not None else None
        k = min(8, 1 + int(rng.expovariate(0.9)))
        reports = []
        for _ in range(k):
            report_id += 1
            rep = Report(event_type=etype, sub_event_type=sub, confidence=round(rng.uniform(0.5, 0.99), 3),
                         actor1=a1, actor2=a2, location=loc, date=date, fatalities=fat, quantities=[],
                         claimant=None, modality="reported", evidence=[], why_empty={})
            reports.append(StoredReport(id=report_id, article_id=report_id, report=rep,
                                        article_external_id=f"art-{report_id}",
                                        outlet=f"Outlet {rng.randrange(300)}", url=f"https://example.org/{report_id}",
                                        published=day, content_hash=f"{report_id:064x}"))
        sources = len({r.outlet for r in reports})
        grade = "corroborated" if sources > 1 else "single-source"
        events.append(Event(id=f"ev{i:07d}", event_type=etype, sub_event_type=sub, actor1=a1, actor2=a2,
                            location=loc, date=date, fatalities=fat, grade=grade,  # type: ignore[arg-type]
                            grade_reason=f"{sources} independent sources", independent_sources=sources,
                            reports=reports))
    return events


def fill(store: Store, events: list[Event]) -> float:
    """Insert articles, reports, events and their first versions in batches; returns seconds taken."""
    t0 = time.perf_counter()
    now = dt.datetime.now(dt.UTC)
    for lo in range(0, len(events), _BATCH):
        chunk = events[lo:lo + _BATCH]
        articles, reports, rows, versions = [], [], [], []
        for ev in chunk:
            data = codec.event_data(ev)
            for pos, r in enumerate(ev.reports):
                articles.append({"id": r.article_id, "external_id": r.article_external_id,
                                 "content_hash": r.content_hash, "outlet": r.outlet, "url": r.url,
                                 "published": r.published, "language": "en", "title": f"Report {r.id}",
                                 "text": f"Synthetic article {r.id} about {ev.sub_event_type}.", "source": "bench",
                                 "ingested_at": now})
                loc = r.report.location
                reports.append({"id": r.id, "article_id": r.article_id, "position": pos,
                                "event_type": r.report.event_type, "sub_event_type": r.report.sub_event_type,
                                "date_value": codec.parse_date(r.report.date.value if r.report.date else None, "d"),
                                "lat": loc.lat if loc else None, "lon": loc.lon if loc else None,
                                "country_code": loc.country_code if loc else None,
                                "data": codec.report_data(r.report), "event_id": ev.id})
            rows.append({"id": ev.id, "version": 1, "data": data, "created_at": now, "updated_at": now,
                         "deleted": False, **Store._event_columns(ev)})
            versions.append({"event_id": ev.id, "version": 1, "reason": "bench", "deleted": False,
                             "data": {**data, "version": 1, "report_ids": [r.id for r in ev.reports]},
                             "changed_at": now})
        with store.engine.begin() as conn:
            conn.execute(insert(s.articles), articles)
            conn.execute(insert(s.reports), reports)
            conn.execute(insert(s.events), rows)
            conn.execute(insert(s.event_versions), versions)
    with store.engine.begin() as conn:
        conn.execute(text("ANALYZE"))  # planner statistics, as a long-lived store would have
    return time.perf_counter() - t0


def store_size(store: Store, path: Path | None) -> str:
    """The database's size on disk."""
    if path is not None:
        with store.engine.begin() as conn:
            conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))  # the pages written, in the file itself
        size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    else:
        with store.engine.connect() as conn:
            size = int(conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one())
    return f"{size / 1e6:.0f} MB"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(db: str, workers: int = 1) -> tuple[subprocess.Popen[bytes], str]:
    """``conflictwire serve`` on a free loopback port, once it answers."""
    port = _free_port()
    exe = [sys.executable, "-m", "conflictwire.cli", "serve", "--db", db, "--port", str(port),
           "--workers", str(workers)]
    env = {k: v for k, v in os.environ.items() if k not in ("CONFLICTWIRE_READ_TOKEN",)}
    proc = subprocess.Popen(exe, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {proc.stderr.read().decode() if proc.stderr else ''}")
        try:
            with urllib.request.urlopen(f"{base}/api/events?limit=1", timeout=5) as resp:
                if resp.status == 200:
                    return proc, base
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("server did not answer")


_DONE = """
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("CWBENCH %d %d %.3f %.3f %.3f %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    errors, summary.errors.status))
end
"""


def run_wrk(url: str, args: argparse.Namespace, paths: list[str] | None, workdir: Path) -> dict[str, Any]:
    """Run wrk against ``url`` (or random ``paths`` on its host); requests/s and latency percentiles."""
    script = _DONE
    if paths:
        listed = ",\n".join(json.dumps(p) for p in paths)
        script += "paths = {\n" + listed + "\n}\nrequest = function()\n" \
                  "  return wrk.format(nil, paths[math.random(#paths)])\nend\n"
    lua = workdir / "bench.lua"
    lua.write_text(script)
    cmd = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s", "--timeout", "30s",
           "-s", str(lua), url]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    line = next(ln for ln in out.splitlines() if ln.startswith("CWBENCH"))
    n, micros, p50, p95, p99, errors, non2xx = line.split()[1:]
    return {"rps": int(n) / (int(micros) / 1e6), "p50": float(p50), "p95": float(p95), "p99": float(p99),
            "errors": int(errors), "non2xx": int(non2xx), "requests": int(n)}


def bench_store(label: str, url: str, path: Path | None, events: list[Event], args: argparse.Namespace,
                workdir: Path) -> None:
    store = Store.open(url)
    if store.counts()["events"] == 0:
        seconds = fill(store, events)
        print(f"{label}: filled {len(events):,} events ({sum(len(e.reports) for e in events):,} reports) "
              f"in {seconds:.1f} s", flush=True)
    print(f"{label}: store size {store_size(store, path)}", flush=True)
    store.close()
    rng = random.Random(3)
    ids = [f"/api/events/{events[rng.randrange(len(events))].id}" for _ in range(1000)]
    targets = [
        ("/api/events", None),
        ("/api/events?reports=false", None),
        ("/api/events?country_code=SY&min_sources=2", None),
        ("/api/events?sort=fatalities_desc&limit=20", None),
        ("/api/events/{id} (1,000 random ids)", ids),
    ]
    for workers in (int(w) for w in args.workers.split(",")):
        proc, base = start_server(url, workers)
        try:
            print(f"{label}: wrk -t{args.threads} -c{args.connections} -d{args.duration}s, "
                  f"serve --workers {workers}")
            print(f"  {'URL':48} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}  errors")
            for name, paths in targets:
                url_ = base + (name if paths is None else "/")
                run_wrk(url_, argparse.Namespace(**{**vars(args), "duration": 2}), paths, workdir)  # warm-up
                r = run_wrk(url_, args, paths, workdir)
                print(f"  {name:48} {r['rps']:8.1f} {r['p50']:8.1f} {r['p95']:8.1f} {r['p99']:8.1f}  "
                      f"{r['errors']} (+{r['non2xx']} non-2xx of {r['requests']})", flush=True)
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--db", help="SQLite file to fill and serve (default: a temporary one)")
    parser.add_argument("--pg", help="also a PostgreSQL URL (an empty database) to fill and serve")
    parser.add_argument("--duration", type=int, default=10, help="seconds of wrk per URL")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="keep the temporary SQLite file")
    parser.add_argument("--workers", default="1,2", help="server processes to measure, comma-separated")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install wrk (Debian/Ubuntu) or brew install wrk (macOS)",
              file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    events = synthetic_events(args.events)
    print(f"made {len(events):,} synthetic events in {time.perf_counter() - t0:.1f} s", flush=True)
    workdir = Path(tempfile.mkdtemp(prefix="cw-api-bench-"))
    try:
        path = Path(args.db).resolve() if args.db else workdir / "bench.db"
        bench_store("SQLite", str(path), path, events, args, workdir)
        if args.pg:
            bench_store("PostgreSQL", args.pg, None, events, args, workdir)
    finally:
        if args.keep and not args.db:
            print(f"kept {workdir / 'bench.db'}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)  # the SQLite file too, unless --db named it
    return 0


if __name__ == "__main__":
    sys.exit(main())
