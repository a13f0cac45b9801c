"""Check team-written training snippets (train/written/*.jsonl) and print what each file covers.

    python tools/check_written.py [FILE...]        # default: every train/written/*.jsonl

Each line follows eval/gold/SPEC.md's snippet format (id, text, published, country, style, label,
negative, optional note and pair). Exits 1 naming file and line of the first problems found: bad JSON,
missing or mistyped fields, a sub-event type that is not ACLED's string or does not belong to its event
type, duplicate ids or texts, a text shared with eval/gold (training text must never copy the gold).
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from conflictwire.taxonomy import BY_SUB_TYPE  # noqa: E402

STYLES = {"wire", "local", "partisan", "state", "translated", "ngo", "un", "headline", "liveblog", "social", "summary"}
NEGATIVES = {"speculation", "forecast", "background", "denial", "commemoration", "trial", "sports", "metaphor", "other"}
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def norm(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def gold_texts() -> set[str]:
    out = set()
    for f in sorted((ROOT / "eval" / "gold" / "snippets").glob("*.jsonl")):
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.add(norm(json.loads(line)["text"]))
    return out


def check_line(obj: object) -> list[str]:
    problems: list[str] = []
    if not isinstance(obj, dict):
        return ["not a JSON object"]
    for key, kind in (("id", str), ("text", str), ("country", str), ("style", str), ("label", dict)):
        if not isinstance(obj.get(key), kind):
            problems.append(f"{key!r} missing or not a {kind.__name__}")
    if problems:
        return problems
    if len(obj["text"].strip()) < 15:
        problems.append("text too short")
    if obj.get("published") is not None and not DATE.match(str(obj["published"])):
        problems.append("published is not YYYY-MM-DD")
    if obj["style"] not in STYLES:
        problems.append(f"style {obj['style']!r} not one of {sorted(STYLES)}")
    if not re.fullmatch(r"[A-Z]{2}", obj["country"]):
        problems.append("country is not an ISO alpha-2 code")
    label = obj["label"]
    et, st = label.get("event_type"), label.get("sub_event_type")
    if (et, st) == ("NONE", "NONE"):
        if obj.get("negative") not in NEGATIVES - {"denial"}:
            problems.append(f"a NONE label needs negative in {sorted(NEGATIVES - {'denial'})}")
    elif st not in BY_SUB_TYPE:
        problems.append(f"sub_event_type {st!r} is not one of ACLED's strings")
    elif BY_SUB_TYPE[st].event_type != et:
        problems.append(f"sub_event_type {st!r} belongs to {BY_SUB_TYPE[st].event_type!r}, not {et!r}")
    elif obj.get("negative") not in (None, "denial"):
        problems.append("an event label takes negative null (or 'denial')")
    f = label.get("fatalities")
    if f is not None and (not isinstance(f, int) or isinstance(f, bool) or f < 0):
        problems.append("fatalities must be a non-negative integer or null")
    d = label.get("date")
    if d is not None and not DATE.match(str(d)):
        problems.append("label date is not YYYY-MM-DD")
    for key in ("actor1", "actor2", "place"):
        if label.get(key) is not None and not isinstance(label[key], str):
            problems.append(f"label {key} must be a string or null")
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="*", type=Path)
    args = ap.parse_args(argv)
    files = args.files or sorted((ROOT / "train" / "written").glob("*.jsonl"))
    gold = gold_texts()
    seen_ids: dict[str, str] = {}
    seen_texts: dict[str, str] = {}
    bad = 0
    types: collections.Counter[str] = collections.Counter()
    styles: collections.Counter[str] = collections.Counter()
    for path in files:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            where = f"{path}:{n}"
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                print(f"{where}: bad JSON: {e}")
                bad += 1
                continue
            problems = check_line(obj)
            if isinstance(obj, dict) and isinstance(obj.get("text"), str):
                key = norm(obj["text"])
                if key in gold:
                    problems.append("text copies a snippet of eval/gold")
                if key in seen_texts:
                    problems.append(f"same text as {seen_texts[key]}")
                seen_texts.setdefault(key, where)
                if obj.get("id") in seen_ids:
                    problems.append(f"id {obj['id']!r} also at {seen_ids[obj['id']]}")
                seen_ids.setdefault(obj.get("id"), where)
            for p in problems:
                print(f"{where}: {p}")
            bad += bool(problems)
            if not problems:
                types[obj["label"]["sub_event_type"]] += 1
                styles[obj["style"]] += 1
    print(f"{sum(types.values())} good lines, {bad} bad, in {len(files)} files")
    print("by sub-event type: " + ", ".join(f"{k} {v}" for k, v in sorted(types.items(), key=lambda kv: kv[0])))
    missing = [t for t in BY_SUB_TYPE if types[t] == 0]
    if missing:
        print("no lines yet for: " + ", ".join(missing))
    print("by style: " + ", ".join(f"{k} {v}" for k, v in styles.most_common()))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
