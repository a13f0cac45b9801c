"""Why a real event text gets no report: which step of the extractor lost it.

For every scored event item of a real set's part (development by default) that the extractor gives no
report for, this reads the text step by step, as ``extract`` does, and names the first step that
dropped it:

- ``flag``: no sentence of the cheap first reading reached the flag probability, so the article was
  never parsed in full (the full reading would have found one);
- ``sieve``: the sieve ruled out every sentence the detector would have taken for an event;
- ``detector``: no sentence reaches the detector's threshold (the top sentence and its P are printed);
- ``after``: the detector took a sentence for an event, but no report came out of it (a filter,
  modality or merging dropped it).

    python tools/diagnose_misses.py --data ../shared/dev-data --set rams [--part dev|held] [--show 20]

It prints counts per step and the top sentence of each miss, for reading, not for fitting word lists.
"""

from __future__ import annotations

import argparse
import collections
import sys
from pathlib import Path

from conflictwire.extract.mentions import detector_pairs
from conflictwire.extract.reports import FLAG_PROBABILITY, Extractor
from conflictwire.realsets import iter_parts, load_sets, run


def diagnose(ex: Extractor, text: str) -> tuple[str, float, str]:
    """The step that lost the text, the best detector probability, and its sentence."""
    det, sieve = ex.detector, ex.sieve
    assert det is not None
    thr = det.threshold
    # the full reading without the sieve: what the detector says of every sentence
    doc = ex.nlp(text)
    _, pairs = detector_pairs(list(doc.sents))
    found = det.detect(pairs)
    best = max(range(len(pairs)), key=lambda k: found[k].event_probability) if pairs else -1
    top_p = found[best].event_probability if pairs else 0.0
    top_s = pairs[best][0] if pairs else ""
    if top_p < thr:
        return "detector", top_p, top_s
    if sieve is not None:
        kept = sieve.keep(pairs)
        if not any(k and d.event_probability >= thr for k, d in zip(kept, found)):
            return "sieve", top_p, top_s
    if ex.splitter is not None:
        first = list(ex.splitter(text).sents)
        _, fpairs = detector_pairs(first)
        keep = sieve.keep(fpairs) if sieve is not None else [True] * len(fpairs)
        fp = [d.event_probability for d in det.detect([p for p, k in zip(fpairs, keep) if k])]
        if not any(p >= FLAG_PROBABILITY for p in fp):
            return "flag", top_p, top_s
    return "after", top_p, top_s


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/dev-data"))
    ap.add_argument("--set", default="rams")
    ap.add_argument("--part", default="dev", choices=("dev", "held"))
    ap.add_argument("--show", type=int, default=30, help="misses to print")
    args = ap.parse_args(argv)
    items = load_sets(args.data, [args.set])[args.set]
    part = dict(iter_parts(items, args.part))
    ex = Extractor.default()
    if ex.detector is None:
        print("no detector ships: nothing to diagnose", file=sys.stderr)
        return 1
    for name, its in part.items():
        events = [it for it in its if it.detect == "event"]
        reports = run(ex, events)
        misses = [it for it, r in zip(events, reports) if not r]
        steps: collections.Counter[str] = collections.Counter()
        print(f"== {name} {args.part}: {len(events)} event texts, {len(misses)} without a report")
        for n, it in enumerate(misses):
            step, p, sent = diagnose(ex, it.text)
            steps[step] += 1
            if n < args.show:
                focus = it.text[it.focus[0]:it.focus[1]] if it.focus else ""
                print(f"- [{step}] {it.labels[0]} trigger={focus!r} top P(event)={p:.2f}\n    {sent[:300]}")
        print("by step:", dict(steps))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
