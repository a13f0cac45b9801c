"""Choose the detector's event threshold on the development parts of the real sets; store it.

    .venv/bin/python tools/pick_threshold.py --real ../shared/dev-data [--recall 0.95] [--write]

A sentence becomes an event mention when the detector's P(event) reaches the threshold. Lower finds
more events and reports more that are not; the issue asks for at most 5% of real event texts without
a report. This script reads the shipped detector (through the product's own runtime), scores the
annotated sentence of the development items of RAMS and event_location that training kept out (its
calibration slice: one in ten by hash; the rest were trained on and would flatter any threshold), and prints recall on event items and the false-report rate on RAMS's
non-conflict windows for a range of thresholds. With ``--write`` it stores in ``detector.json`` the
highest threshold whose recall on real event sentences reaches ``--recall``. The held-back parts are
never read.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tools"))

from conflictwire import realsets  # noqa: E402
from conflictwire.extract.detect import _resource, default_detector  # noqa: E402
from train_detector import item_hash, unit_at  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--real", type=Path, default=ROOT.parent / "shared" / "dev-data")
    ap.add_argument("--recall", type=float, default=0.95)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    det = default_detector()
    if det is None:
        raise SystemExit("no detector ships")
    sets = realsets.load_sets(args.real, ["rams", "evloc"])
    groups: dict[str, list[tuple[str, str]]] = {"event": [], "none": []}
    for items in sets.values():
        for it in items:
            # only the calibration slice: development items the detector was not trained on
            if it.split == "dev" and it.detect in groups and item_hash(f"calib:{it.set}:{it.id}") % 10 == 0:
                groups[it.detect].append(unit_at(it.text, it.focus))
    p_event = {k: 1.0 - det.probabilities(v)[:, det.none_index] for k, v in groups.items()}
    print(f"{len(groups['event'])} real event sentences, {len(groups['none'])} non-conflict RAMS windows (calibration slice of the development parts)")
    chosen = None
    for t in np.arange(0.05, 0.96, 0.05):
        recall = float((p_event["event"] >= t).mean())
        false = float((p_event["none"] >= t).mean())
        print(f"  threshold {t:.2f}: recall {recall:.3f}   RAMS non-conflict windows called events {false:.3f}")
        if recall >= args.recall:
            chosen = float(round(t, 2))
    print(f"highest threshold with recall >= {args.recall}: {chosen}")
    if args.write and chosen is not None:
        with _resource_path() as path:
            info = json.loads(path.read_text(encoding="utf-8"))
            info["threshold"] = chosen
            info["threshold_note"] = (f"the highest threshold (step 0.05) whose recall on the calibration slice of RAMS and "
                                      f"event_location reaches {args.recall} (tools/pick_threshold.py)")
            path.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
        print(f"wrote threshold {chosen} to detector.json")
    return 0


def _resource_path():  # type: ignore[no-untyped-def]
    from importlib import resources

    return resources.as_file(_resource("detector.json"))


if __name__ == "__main__":
    sys.exit(main())
