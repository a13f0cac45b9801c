"""Real labelled text (RAMS, MUC-3/4, event_location) as gates for event detection and typing.

The sets are third-party and are read from a folder given at run time (``../shared/dev-data`` in a
development checkout); nothing here ships their text. Each set's own labels map to conflictwire's
types through ``data/real_types.csv`` (reviewed by hand): a label says whether a report is expected
(``event``), none is (``none``), or the item is not scored (``skip``), and which sub-event types count
as right. Every item falls, by a hash of its set and id, into a development part (looked at, tuned
and trained on) or a held-back part (25%, never trained or tuned on; the gate pins floors on it).

What each set measures:

- ``rams``: 924 five-sentence news windows (RAMS 1.0 dev), each with one annotated event. Conflict,
  violent death and injury, arrest and disaster windows expect a report of an accepted type when
  the annotated mention is an actual incident (``data/rams_realis.csv``: RAMS marks every mention,
  also metaphors, hypotheses, generic statements, history and wars named as a whole; those are not
  scored, and ``eval`` prints how many of them still get a conflict report); the
  others (contacts, transactions, movements, personnel, trials) expect no conflict report. The
  windows are short excerpts, so a "none" window may still mention some other violent event: its
  false-report rate is an upper bound.
- ``muc``: 1,700 news documents of 1989-91 (MUC-3/4, upper case in the original: read as sentence
  case). A document with an accomplished or attempted incident expects a report whose type is
  accepted for one of its incidents. Documents with only irrelevant templates are not negatives
  for conflictwire (MUC left out battles between armed forces and guerrillas), so they are counted
  but not scored.
- ``geovirus``: 229 Wikinews articles on disease outbreaks (GeoVirus): no conflict report expected;
  measures false reports on real news outside conflict.
- ``evloc``: 10,182 news sentences whose event verb is marked. Sentences whose verb is a killing,
  attack, bombing, shelling, protest, arrest, capture or burning expect a report of a matching family;
  other verbs are not scored. Every sentence tells of an event, so this set measures recall only.
"""

from __future__ import annotations

import csv
import datetime as dt
import fnmatch
import hashlib
import json
import re
import tarfile
import zipfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from conflictwire.taxonomy import SUB_EVENT_TYPES

HELD_MODULUS = 4
SETS = ("rams", "muc", "evloc", "geovirus")
VIOLENT = ("Battles", "Explosions/Remote violence", "Violence against civilians")
DEFAULT_MAPPING = Path(__file__).resolve().parent / "data" / "real_types.csv"
#: For each RAMS conflict, death, injury, arrest or disaster mention: whether it is an actual incident
#: ("actual") or a mention no news coder would code ("not-actual", "historical", "ongoing-general").
#: Judged by the team from the text alone, without any system output.
RAMS_REALIS = Path(__file__).resolve().parent / "data" / "rams_realis.csv"


class RealSetError(ValueError):
    """A real set is missing or malformed; the message names the file."""


def split_of(set_name: str, item_id: str) -> str:
    """'held' or 'dev', fixed by set and id alone."""
    h = int(hashlib.sha256(f"{set_name}:{item_id}".encode()).hexdigest()[:8], 16)
    return "held" if h % HELD_MODULUS == 0 else "dev"


@dataclass(frozen=True)
class Rule:
    set: str
    pattern: str
    detect: str
    accept: frozenset[str]


def _expand(accept: str) -> frozenset[str]:
    out: set[str] = set()
    for part in filter(None, (p.strip() for p in accept.split("|"))):
        if part == "violent":
            out.update(t.name for t in SUB_EVENT_TYPES if t.event_type in VIOLENT)
        elif part.startswith("type:"):
            names = {t.name for t in SUB_EVENT_TYPES if t.event_type == part[5:]}
            if not names:
                raise RealSetError(f"unknown event type {part[5:]!r} in the mapping")
            out.update(names)
        else:
            if part not in {t.name for t in SUB_EVENT_TYPES}:
                raise RealSetError(f"unknown sub-event type {part!r} in the mapping")
            out.add(part)
    return frozenset(out)


def load_rules(path: Path = DEFAULT_MAPPING) -> list[Rule]:
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")]
    rules = []
    for row in csv.DictReader(lines):
        if row["detect"] not in ("event", "none", "skip"):
            raise RealSetError(f"{path}: detect must be event, none or skip, not {row['detect']!r}")
        rules.append(Rule(row["set"], row["label"], row["detect"], _expand(row["accept"] or "")))
    return rules


def rule_for(rules: Sequence[Rule], set_name: str, label: str) -> Rule:
    for r in rules:
        if r.set == set_name and fnmatch.fnmatchcase(label, r.pattern):
            return r
    return Rule(set_name, "*", "skip", frozenset())


@dataclass(frozen=True)
class RealItem:
    set: str
    id: str
    text: str
    labels: tuple[str, ...]          # the set's own labels (one per incident for MUC)
    detect: str                      # event | none | skip
    accept: frozenset[str]
    split: str
    published: dt.date | None = None
    focus: tuple[int, int] | None = None  # character span of the annotated trigger, when known
    realis: str | None = None        # RAMS event mentions: actual, not-actual, historical, ongoing-general


def _item(rules: Sequence[Rule], set_name: str, item_id: str, text: str, labels: Sequence[str],
          published: dt.date | None = None, focus: tuple[int, int] | None = None) -> RealItem:
    matched = [rule_for(rules, set_name, lab) for lab in labels]
    scored = [m for m in matched if m.detect != "skip"]
    if any(m.detect == "event" for m in scored):
        detect = "event"
    elif scored and all(m.detect == "none" for m in scored):
        detect = "none"
    else:
        detect = "skip"
    accept = frozenset().union(*(m.accept for m in scored if m.detect == "event")) if detect == "event" else frozenset()
    return RealItem(set_name, item_id, text, tuple(labels), detect, accept, split_of(set_name, item_id), published, focus)


# -- RAMS -------------------------------------------------------------------------------------------

_NO_SPACE_BEFORE = re.compile(r" (?=[.,;:!?%)\]'’]|n't|'s|'re|'ve|'ll|'d|'m)")


def detokenize(tokens: Sequence[str]) -> tuple[str, list[int]]:
    """Join tokens into plain text; also the character offset of each token."""
    out, offsets, pos = [], [], 0
    prev = ""
    for tok in tokens:
        glue = not out or tok in {".", ",", ";", ":", "!", "?", "%", ")", "]", "'s", "n't", "'re", "'ve", "'ll", "'d", "'m", "’s"} \
            or prev in {"(", "[", "$", "``"} or tok == "''"
        if not glue:
            out.append(" ")
            pos += 1
        offsets.append(pos)
        tok_text = '"' if tok in ("``", "''") else tok
        out.append(tok_text)
        pos += len(tok_text)
        prev = tok
    return "".join(out), offsets


def load_rams(path: Path, rules: Sequence[Rule]) -> list[RealItem]:
    file = path / "dev.jsonlines" if path.is_dir() else path
    if not file.is_file():
        raise RealSetError(f"no RAMS file at {file}")
    out = []
    realis_of = load_realis()
    for n, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            tokens = [t for s in d["sentences"] for t in s]
            text, offs = detokenize(tokens)
            start, end, kinds = d["evt_triggers"][0]
            label = kinds[0][0]
            focus = (offs[start], offs[end] + len(tokens[end]))
        except (KeyError, IndexError, TypeError, json.JSONDecodeError) as exc:
            raise RealSetError(f"{file} line {n}: {exc}") from exc
        item = _item(rules, "rams", d["doc_key"], text, [label], None, focus)
        realis = realis_of.get(item.id) if item.detect == "event" else None
        if realis is not None:
            # a mention that is no actual incident expects nothing: it is counted apart, not scored
            item = replace(item, realis=realis, detect="event" if realis == "actual" else "skip")
        out.append(item)
    return out


def load_realis(path: Path = RAMS_REALIS) -> dict[str, str]:
    with path.open(encoding="utf-8", newline="") as f:
        return {row["id"]: row["realis"] for row in csv.DictReader(f)}


# -- MUC-3/4 ----------------------------------------------------------------------------------------

_DOC_ID = re.compile(r"^((?:DEV|TST\d)-MUC\d-\d{4})\b[^\n]*$", re.M)
_KEY_FIELD = re.compile(r"^(\d+)\.\s+([A-Z ]+?:\s?[A-Z ]*?)\s{2,}(.*)$")
_MONTHS = {m: i for i, m in enumerate(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], 1)}


def sentence_case(text: str) -> str:
    """MUC's upper-case wire text in sentence case: lower case, with sentence starts and 'I' raised."""
    low = text.lower()
    low = re.sub(r"(^|[.!?]\s+|\n\s*)([a-z])", lambda m: m.group(1) + m.group(2).upper(), low)
    return re.sub(r"\bi\b", "I", low)


def _muc_date(header: str) -> dt.date | None:
    m = re.search(r"(\d{1,2}) ([A-Z]{3}) (\d{2})\b", header)
    if not m or m.group(2) not in _MONTHS:
        return None
    try:
        return dt.date(1900 + int(m.group(3)), _MONTHS[m.group(2)], int(m.group(1)))
    except ValueError:
        return None


def _muc_texts(tar: tarfile.TarFile) -> dict[str, tuple[str, dt.date | None]]:
    texts: dict[str, tuple[str, dt.date | None]] = {}
    for member in tar.getmembers():
        name = member.name.rsplit("/", 1)[-1]
        if not member.isfile() or name.startswith("._") or not re.match(r"(dev-muc3-\d|tst\d-muc\d$)", name):
            continue
        raw = tar.extractfile(member).read().decode("latin-1")  # type: ignore[union-attr]
        parts = _DOC_ID.split(raw)
        for i in range(1, len(parts) - 1, 2):
            doc_id, body = parts[i], parts[i + 1]
            body = body.split("\n", 1)[1] if "\n" in body else body
            header, _, rest = body.partition("[TEXT]")
            text = rest if rest.strip() else body
            texts[doc_id] = (sentence_case(" ".join(text.split())), _muc_date(header))
    return texts


_QUOTED = re.compile(r'"([^"]{3,})"')
_FILL_FIELDS = ("HUM TGT: NAME", "HUM TGT: DESCRIPTION", "PHYS TGT: ID")


def _muc_keys(tar: tarfile.TarFile, fills: dict[str, list[tuple[str, list[str]]]] | None = None) -> dict[str, list[str]]:
    """Each document's incident labels ("BOMBING", "ATTEMPTED BOMBING"); with ``fills``, also each
    incident's target and victim strings, as the key quotes them."""
    keys: dict[str, list[str]] = defaultdict(list)
    for member in tar.getmembers():
        name = member.name.rsplit("/", 1)[-1]
        if not member.isfile() or name.startswith("._") or not name.startswith("key-"):
            continue
        raw = tar.extractfile(member).read().decode("latin-1")  # type: ignore[union-attr]
        for block in re.split(r"\n\s*\n", raw):
            fields: dict[str, str] = {}
            last = None
            for line in block.splitlines():
                m = _KEY_FIELD.match(line.strip())
                if m:
                    last = m.group(2).strip()
                    fields[last] = m.group(3).strip()
                elif last and line.startswith(" ") and line.strip():
                    fields[last] += " " + line.strip()  # a field's further values, indented
            doc = fields.get("MESSAGE: ID", "").split(" ")[0]
            if not doc:
                continue
            kind = fields.get("INCIDENT: TYPE", "*").lstrip("?").strip()
            stage = fields.get("INCIDENT: STAGE OF EXECUTION", "").lstrip("?").strip()
            keys[doc]  # a document with only irrelevant templates has an empty list
            if kind in ("*", "-", ""):
                continue
            kind = kind.split("/")[0].strip()
            label = kind if stage in ("ACCOMPLISHED", "") else f"{stage} {kind}"
            keys[doc].append(label)
            if fills is not None:
                found = [q for f in _FILL_FIELDS for q in _QUOTED.findall(fields.get(f, ""))]
                fills.setdefault(doc, []).append((label, list(dict.fromkeys(found))))
    return keys


def load_muc(path: Path, rules: Sequence[Rule]) -> list[RealItem]:
    file = path / "muc34.tar.gz" if path.is_dir() else path
    if not file.is_file():
        raise RealSetError(f"no MUC-3/4 archive at {file}")
    with tarfile.open(file, "r:gz") as tar:
        texts = _muc_texts(tar)
        keys = _muc_keys(tar)
    out = []
    for doc_id in sorted(keys):
        if doc_id not in texts:
            continue
        text, published = texts[doc_id]
        labels = keys[doc_id] or ["IRRELEVANT"]
        out.append(_item(rules, "muc", doc_id, text, labels, published))
    return out


# -- event_location ---------------------------------------------------------------------------------


def load_evloc(path: Path, rules: Sequence[Rule]) -> list[RealItem]:
    file = path / "labeled_text.jsonl.zip" if path.is_dir() else path
    if not file.is_file():
        raise RealSetError(f"no event_location archive at {file}")
    with zipfile.ZipFile(file) as z:
        rows = json.loads(z.read("labeled_text.jsonl").decode("utf-8"))
    out, seen = [], set()
    for n, r in enumerate(rows):
        verbs = [s for s in r.get("spans") or [] if s.get("label") == "VERB"]
        if not verbs or r["text"] in seen:
            continue
        seen.add(r["text"])
        v = verbs[0]
        label = r["text"][v["start"]:v["end"]].lower()
        out.append(_item(rules, "evloc", str(r.get("_id", n)), r["text"], [label], None, (v["start"], v["end"])))
    return out


def muc_templates(path: Path) -> tuple[dict[str, tuple[str, dt.date | None]], dict[str, list[tuple[str, list[str]]]]]:
    """MUC texts (sentence case) and, per document, each incident's label with its target and victim
    strings: what a training script needs to find the sentence that tells of each incident."""
    file = path / "muc34.tar.gz" if path.is_dir() else path
    fills: dict[str, list[tuple[str, list[str]]]] = {}
    with tarfile.open(file, "r:gz") as tar:
        texts = _muc_texts(tar)
        _muc_keys(tar, fills)
    return texts, fills


def load_geovirus(path: Path, rules: Sequence[Rule]) -> list[RealItem]:
    """GeoVirus's 229 Wikinews articles on disease outbreaks: real news that tells of no conflict event.
    Every article expects no conflict report (``none``); the false-report rate is an upper bound, as an
    article may mention violence in passing."""
    import xml.etree.ElementTree as ET

    file = path / "GeoVirus.xml" if path.is_dir() else path
    if not file.is_file():
        raise RealSetError(f"no GeoVirus file at {file}")
    out = []
    for article in ET.parse(file).getroot().iter("article"):
        text = (article.findtext("text") or "").strip()
        url = article.findtext("source") or text[:80]
        if text:
            out.append(RealItem("geovirus", url, text, ("outbreak news",), "none", frozenset(), split_of("geovirus", url)))
    return out


LOADERS = {"rams": ("rams", load_rams), "muc": ("muc4", load_muc), "evloc": ("event_location", load_evloc),
           "geovirus": ("geovirus", load_geovirus)}


def load_sets(root: Path, names: Iterable[str] = SETS, mapping: Path = DEFAULT_MAPPING) -> dict[str, list[RealItem]]:
    """The named real sets found under ``root`` (a folder like ../shared/dev-data)."""
    rules = load_rules(mapping)
    out = {}
    for name in names:
        folder, loader = LOADERS[name]
        out[name] = loader(root / folder, rules)
    return out


# -- scoring ----------------------------------------------------------------------------------------


#: RAMS labels of an attack, a killing, an injury, an arrest or a protest: the paragraphs the
#: issue's recall floor names ("a report for at least 95% of real news paragraphs that tell of ...").
CORE_RAMS_LABELS = ("conflict.attack.", "conflict.demonstrate.", "life.die.", "life.injure.", "justice.arrestjaildetain.")


def is_core(item: RealItem) -> bool:
    """Whether an event item tells of an attack, killing, injury, arrest or protest (RAMS only)."""
    return item.set == "rams" and any(item.labels[0].startswith(p) for p in CORE_RAMS_LABELS)


@dataclass
class RealScores:
    events: int = 0
    detected: int = 0
    core_events: int = 0     # of the events: attacks, killings, injuries, arrests, protests (RAMS)
    core_detected: int = 0
    nones: int = 0
    false_reports: int = 0
    typed: int = 0
    type_right: int = 0
    skipped: int = 0
    not_actual: int = 0          # RAMS mentions that are no actual incident (not scored)
    not_actual_reported: int = 0  # ... of which the text still got a conflict report
    confidence: list[tuple[float, bool]] = field(default_factory=list)
    missed: Counter[str] = field(default_factory=Counter)
    wrong: Counter[tuple[str, str]] = field(default_factory=Counter)

    def to_dict(self) -> dict[str, Any]:
        from conflictwire.evaluation import expected_calibration_error

        def ratio(a: int, b: int) -> float:
            return a / b if b else float("nan")

        return {"events": self.events, "recall": ratio(self.detected, self.events),
                "core_events": self.core_events, "core_recall": ratio(self.core_detected, self.core_events),
                "no_report": ratio(self.events - self.detected, self.events),
                "negatives": self.nones, "false_report_rate": ratio(self.false_reports, self.nones),
                "typed": self.typed, "type_accepted": ratio(self.type_right, self.typed),
                "confidence_ece": expected_calibration_error(self.confidence), "skipped": self.skipped,
                "not_actual": self.not_actual, "not_actual_reported": ratio(self.not_actual_reported, self.not_actual)}


def _focus_report(reports: Sequence[Any], focus: tuple[int, int] | None) -> Any:
    """The report nearest the annotated trigger (by its event evidence), else the first."""
    if not reports:
        return None
    if focus is None:
        return reports[0]

    def distance(r: Any) -> int:
        spans = [(e.start, e.end) for e in r.evidence if e.field in (None, "event")] or [(10**9, 10**9)]
        return min(0 if s < focus[1] and focus[0] < e else min(abs(s - focus[1]), abs(focus[0] - e)) for s, e in spans)

    return min(reports, key=distance)


def score_items(items: Sequence[RealItem], reports_per_item: Sequence[Sequence[Any]]) -> RealScores:
    sc = RealScores()
    for item, reports in zip(items, reports_per_item):
        conflict = [r for r in reports if r.event_type != "Other events"]
        if item.detect == "skip":
            sc.skipped += 1
            if item.realis is not None and item.realis != "actual":
                sc.not_actual += 1
                sc.not_actual_reported += bool(conflict)
        elif item.detect == "none":
            sc.nones += 1
            sc.false_reports += bool(conflict)
        else:
            sc.events += 1
            sc.detected += bool(reports)
            if is_core(item):
                sc.core_events += 1
                sc.core_detected += bool(reports)
            if not reports:
                sc.missed[item.labels[0]] += 1
            if item.accept:
                sc.typed += 1
                if item.set == "muc":
                    right = any(r.sub_event_type in item.accept for r in reports)
                    pred = max(reports, key=lambda r: r.confidence) if reports else None
                else:
                    pred = _focus_report(reports, item.focus)
                    right = pred is not None and pred.sub_event_type in item.accept
                sc.type_right += right
                if pred is not None:
                    sc.confidence.append((pred.confidence, right))
                if not right:
                    sc.wrong[(item.labels[0], pred.sub_event_type if pred else "no report")] += 1
    return sc


def run(extractor: Any, items: Sequence[RealItem], batch_size: int = 16) -> list[list[Any]]:
    """Extract every item's text; an item whose extraction fails counts as giving no report."""
    def wanted(it: RealItem) -> bool:  # scored, or a RAMS mention counted apart
        return it.detect != "skip" or it.realis is not None

    scored = [it for it in items if wanted(it)]
    results = iter(extractor.extract_each(((it.text, None, it.published, None) for it in scored), batch_size=batch_size))
    out: list[list[Any]] = []
    for it in items:
        r = next(results) if wanted(it) else []
        out.append(list(r) if isinstance(r, list) else [])
    return out


def reliability_table(pairs: Sequence[tuple[float, bool]], bins: int = 5) -> list[tuple[float, float, int, float]]:
    """(low, high, n, share right) per confidence bin."""
    from conflictwire.evaluation import confidence_bins

    return [(lo, hi, len(inside), sum(ok for _, ok in inside) / len(inside) if inside else float("nan"))
            for lo, hi, inside in confidence_bins(pairs, bins)]


def format_scores(name: str, part: str, sc: RealScores) -> str:
    d = sc.to_dict()
    lines = [f"== real set {name} ({part}): {d['events']} with an event, {d['negatives']} without, {d['skipped']} not scored"]
    if d["events"]:
        lines.append(f"  report for an event text  {d['recall']:.3f}   (no report: {d['no_report']:.3f})")
    if d["core_events"]:
        lines.append(f"    of an attack, killing, injury, arrest or protest  {d['core_recall']:.3f}  (n={d['core_events']})")
    if d["negatives"]:
        lines.append(f"  false conflict report     {d['false_report_rate']:.3f}  (n={d['negatives']})")
    if d["typed"]:
        lines.append(f"  type accepted             {d['type_accepted']:.3f}  (n={d['typed']})")
        lines.append(f"  confidence ECE            {d['confidence_ece']:.3f}")
        lines.append("  reliability: " + "  ".join(f"[{lo:.1f},{hi:.1f}) n={n} right={acc:.2f}" for lo, hi, n, acc in reliability_table(sc.confidence) if n))
    if d["not_actual"]:
        lines.append(f"  mentions that are no actual incident (metaphor, hypothesis, history, a war as a whole; not scored): "
                     f"{d['not_actual']}, of which with a conflict report {d['not_actual_reported']:.3f}")
    if sc.missed:
        lines.append("  most missed: " + ", ".join(f"{k} x{v}" for k, v in sc.missed.most_common(6)))
    if sc.wrong:
        lines.append("  most mistyped: " + ", ".join(f"{g} -> {p} x{v}" for (g, p), v in sc.wrong.most_common(6)))
    return "\n".join(lines)


def iter_parts(items: Sequence[RealItem], split: str) -> Iterator[tuple[str, list[RealItem]]]:
    for part in (["dev", "held"] if split == "all" else [split]):
        yield part, [it for it in items if it.split == part]


def texts_digest(items: Sequence[RealItem]) -> str:
    h = hashlib.sha256()
    for it in items:
        h.update(f"{it.set}\0{it.id}\0{it.detect}\0{'|'.join(sorted(it.accept))}\0".encode())
        h.update(it.text.encode("utf-8", "surrogatepass"))
    return h.hexdigest()

