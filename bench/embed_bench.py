"""Throughput and memory of the int8 ONNX sentence embedder (conflictwire.extract.embed).

    python bench/embed_bench.py [--threads 1 2] [--batch-size 32] [--repeat N]

Sentences are the bundled corpus (examples/corpus/articles/*.txt) split at sentence ends, repeated
N times. Each thread count runs in a fresh child process, so the RSS figures are that run's alone:
after loading the model, and the peak (ru_maxrss) after embedding. Prints a table; asserts nothing.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import re
import resource
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "examples" / "corpus" / "articles"
_SENT_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[A-Z\"'(])")


def sentences() -> list[str]:
    out: list[str] = []
    for path in sorted(CORPUS.glob("*.txt")):
        for para in path.read_text(encoding="utf-8").split("\n"):
            out.extend(s.strip() for s in _SENT_END.split(para) if len(s.strip()) > 3)
    return out


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _run(threads: int, batch_size: int, texts: list[str], q: mp.Queue) -> None:  # type: ignore[type-arg]
    import conflictwire.extract  # noqa: F401  (the package's own imports: spaCy, ...)

    rss0 = _rss_mb()
    t0 = time.perf_counter()
    from conflictwire.extract.embed import SentenceEmbedder

    emb = SentenceEmbedder(threads=threads)
    load = time.perf_counter() - t0
    rss_loaded = _rss_mb()
    emb.embed(texts[:batch_size], batch_size=batch_size)  # warm-up
    t0 = time.perf_counter()
    v = emb.embed(texts, batch_size=batch_size)
    dt = time.perf_counter() - t0
    toks = sum(len(emb.tokenize(t)) for t in texts)
    q.put(dict(threads=threads, n=len(v), tokens=toks, seconds=dt, load=load, rss0=rss0,
               rss_loaded=rss_loaded, peak=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    texts = sentences() * args.repeat
    ctx = mp.get_context("spawn")
    print(f"{len(texts)} sentences ({len(texts) // args.repeat} distinct), batch {args.batch_size}")
    print(f"{'threads':>7} {'sent/s':>8} {'tokens/s':>9} {'load s':>7} {'RSS start':>10} "
          f"{'RSS loaded':>11} {'RSS peak':>9}")
    print("(RSS start: after importing conflictwire.extract, which loads spaCy; the rest is the "
          "embedder's)")
    for n in args.threads:
        q = ctx.Queue()
        p = ctx.Process(target=_run, args=(n, args.batch_size, texts, q))
        p.start()
        r = q.get()
        p.join()
        print(f"{r['threads']:>7} {r['n'] / r['seconds']:>8.0f} {r['tokens'] / r['seconds']:>9.0f} "
              f"{r['load']:>7.2f} {r['rss0']:>8.0f}MB {r['rss_loaded']:>9.0f}MB {r['peak']:>7.0f}MB")


if __name__ == "__main__":
    main()
