"""Fuzz the readers, the extract and geoparse JSONL contracts, `conflictwire ingest` and the API's write route.

    python bench/fuzz.py --inputs 100000 --seed 1                # the long run
    python bench/fuzz.py --inputs 2000 --only readers            # readers only
    python bench/fuzz.py --inputs 5000 --only extract,api --jobs 2

Inputs come from ``tests/fuzz_inputs.py`` (shared with ``tests/test_fuzz.py``) and are fully
determined by ``--seed`` and their index. Phases:

* readers: ``--inputs`` inputs through ``conflictwire.ingest.read_bytes`` (iterator consumed, each
  Article's ``content_hash`` taken), plus small folder trees through ``read_inputs`` (hostile sidecar,
  named pipes, links). Outcome of each: articles, InputError items by code, an InputProblem raised
  (a clean error), or anything else: a crash.
* extract / geoparse: a sample of JSONL lines through the commands in-process (click's CliRunner,
  one line per call, timed), then one batch through the real command as a subprocess.
* api: a sample of hostile bodies POSTed to ``/api/articles`` of ``create_app`` over a temporary SQLite
  store with the real ingest pipeline (the one ``conflictwire serve`` wires); never a 5xx.
* ingest: a few folders of good and bad files through ``conflictwire ingest --json`` as a subprocess:
  every good article stored, exit status 0 or 1, ``error: PATH: CODE: message`` lines, no traceback.

Inputs run in worker processes (``--jobs``, default the CPU count); one taking over
``--per-input-timeout`` seconds (default: the product's own per-input limit, ``limits.INPUT_SECONDS``,
which every entry point enforces) counts as over the limit (the place it was at then is recorded), and
a worker stuck past ``--hard-timeout`` is killed. Inputs over ``--slow`` seconds (default 5) are
listed apart with their cost per 100 KB, to show that what costs time costs it linearly (not failures). Crashing inputs are saved under ``--save-dir``; each
kind of crash is then minimised (delta debugging) to a short reproducer. Prints inputs tried, errors
by code, crashes grouped by exception type and location, inputs over the limit and the slowest ones,
and throughput. Exit status 1 if any crash, contract violation or input over the limit.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import math
import multiprocessing as mp
import multiprocessing.connection as mpc
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import fuzz_inputs as fi  # noqa: E402

from conflictwire.limits import INPUT_SECONDS  # noqa: E402

PHASES = ("readers", "folders", "extract", "geoparse", "api", "ingest")
TOKEN = "fuzz-token"
SOURCE = "fuzz-input"

# ---------------------------------------------------------------------------------------------------
# crash description
# ---------------------------------------------------------------------------------------------------


def _short_path(path: str) -> str:
    for marker in ("/src/conflictwire/", "/site-packages/"):
        if marker in path:
            rest = path.split(marker, 1)[1]
            return ("conflictwire/" + rest) if marker == "/src/conflictwire/" else rest
    return path.replace(str(ROOT) + "/", "")


def _is_project(path: str) -> bool:
    return "/src/conflictwire/" in path or "/site-packages/conflictwire/" in path


def where(frames: list[traceback.FrameSummary]) -> tuple[str, str]:
    """(innermost project frame, innermost frame) as ``file:line (function)``."""
    fmt = lambda f: f"{_short_path(f.filename)}:{f.lineno} ({f.name})"  # noqa: E731
    project = [f for f in frames if _is_project(f.filename)]
    inner = fmt(frames[-1]) if frames else "?"
    return (fmt(project[-1]) if project else inner), inner


def crash_info(exc: BaseException) -> dict[str, Any]:
    frames = traceback.extract_tb(exc.__traceback__)
    location, innermost = where(frames)
    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return {"type": type(exc).__name__, "message": str(exc)[:300], "location": location, "innermost": innermost,
            "traceback": tb[-6000:]}


# ---------------------------------------------------------------------------------------------------
# checks run inside the workers
# ---------------------------------------------------------------------------------------------------


def _names_source(name: str, source: str) -> bool:
    return name == source or name.startswith(source + "#")


def check_items(items: Any, res: dict[str, Any], source_ok: Any) -> None:
    """Consume reader items: count articles and errors by code; record contract violations."""
    from conflictwire.model import Article, InputError, RawInput

    for item in items:
        if isinstance(item, InputError):
            res["errors"][item.code] += 1
            if item.code not in fi.DOCUMENTED_CODES:
                res["violations"].append(f"undocumented error code {item.code!r}")
            if not source_ok(item.source):
                res["violations"].append(f"error item named {item.source!r}, not after its input")
            if not isinstance(item.message, str) or not item.message:
                res["violations"].append("error item without a message")
            elif len(item.message) > 2000:
                res["notes"].append(f"error message of {len(item.message):,} characters")
        elif (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], Article)
              and isinstance(item[1], RawInput)):
            art, raw = item
            art.content_hash  # noqa: B018  -- what the store keys articles by: must not raise
            if not isinstance(art.text, str) or not art.text.strip():
                res["violations"].append("article with a blank or non-string text")
            if art.source != raw.source or not source_ok(art.source or ""):
                res["violations"].append(f"article named {art.source!r} (raw {raw.source!r})")
            for name in ("title", "external_id", "outlet", "url", "language", "byline", "translator"):
                value = getattr(art, name)
                if value is not None and not isinstance(value, str):
                    res["violations"].append(f"article {name} is a {type(value).__name__}")
            for name, value in vars(art).items():
                if isinstance(value, str) and "\x00" in value:
                    res["notes"].append(f"NUL character in article {name} (PostgreSQL text cannot hold it)")
            res["articles"] += 1
            res["good_sources"].add(art.source)
        else:
            res["violations"].append(f"reader yielded a {type(item).__name__}")


def run_reader(data: bytes, filename: str | None) -> dict[str, Any]:
    from conflictwire.ingest import InputProblem, read_bytes

    res = _new_result()
    try:
        check_items(read_bytes(data, SOURCE, filename), res, lambda s: _names_source(s, SOURCE))
    except InputProblem as problem:
        res["problem"] = problem.code
        if problem.code not in fi.DOCUMENTED_CODES:
            res["violations"].append(f"undocumented problem code {problem.code!r}")
    except Exception as exc:  # noqa: BLE001 - anything else is what we look for
        res["crash"] = crash_info(exc)
    return res


def run_folder(folder: fi.Folder) -> dict[str, Any]:
    from conflictwire.ingest import read_inputs

    res = _new_result()
    root = tempfile.mkdtemp(prefix="fuzz-folder-")
    try:
        folder.write(root)
        try:
            check_items(read_inputs([root]), res, lambda s: s.startswith(root))
        except Exception as exc:  # noqa: BLE001
            res["crash"] = crash_info(exc)
        if res["crash"] is None:
            stored = res["good_sources"]
            for rel in folder.good:
                path = os.path.join(root, rel)
                if rel in folder.raw_names:
                    path = os.fsdecode(os.path.join(os.fsencode(os.path.dirname(path)), folder.raw_names[rel]))
                if not any(fi.same_path(s, path) for s in stored):
                    res["violations"].append(f"good file {rel} was not read as an article")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return res


def _new_result() -> dict[str, Any]:
    return {"articles": 0, "errors": Counter(), "problem": None, "crash": None, "violations": [], "notes": [],
            "good_sources": set()}


def run_command_inprocess(command: str, data: bytes) -> dict[str, Any]:
    """One `extract` or `geoparse` run in this process (click's CliRunner), checked against the contract."""
    from click.testing import CliRunner

    from conflictwire.cli import main

    res = _new_result()
    result = CliRunner().invoke(main, [command], input=data)
    exc = result.exception
    if exc is not None and not isinstance(exc, SystemExit):
        info = crash_info(exc)
        if result.exc_info:
            info = crash_info(result.exc_info[1])
        res["crash"] = info
        return res
    try:
        stderr = result.stderr
    except ValueError:
        stderr = ""
    res["violations"] = fi.check_jsonl_output(command, data, result.exit_code, result.stdout, stderr)
    for line in result.stdout.splitlines():
        try:
            err = json.loads(line).get("error")
        except (ValueError, AttributeError):
            continue
        if isinstance(err, dict):
            res["errors"][str(err.get("code"))] += 1
        else:
            res["articles"] += 1
    return res


_API: dict[str, Any] = {}


def _api_client() -> Any:
    if "client" not in _API:
        from fastapi.testclient import TestClient

        from conflictwire.api.app import create_app
        from conflictwire.cli import _api_ingest
        from conflictwire.store import Store

        folder = tempfile.mkdtemp(prefix="fuzz-api-")
        store = Store.open(os.path.join(folder, "api.db"))
        _API["store"] = store
        # raise_server_exceptions: an unexpected exception comes back with its traceback (it is a 500)
        _API["client"] = TestClient(create_app(store, token=TOKEN, ingest_fn=_api_ingest(store)),
                                    raise_server_exceptions=True)
    return _API["client"]


def run_api(case: fi.ApiCase) -> dict[str, Any]:
    res = _new_result()
    headers = {"Authorization": f"Bearer {TOKEN}"}
    if case.content_type:
        headers["Content-Type"] = case.content_type
    try:
        response = _api_client().post("/api/articles", content=case.body, headers=headers)
    except Exception as exc:  # noqa: BLE001 - the app let an exception through: a 500
        res["crash"] = crash_info(exc)
        return res
    res["errors"][f"HTTP {response.status_code}"] += 1
    res["violations"] += fi.check_api_response(response.status_code, response.text)
    try:
        body = json.loads(response.text)
        if response.status_code >= 400:
            res["errors"][f"HTTP {response.status_code} {body['error']['code']}"] += 1
        else:
            res["articles"] += int(body["accepted"])
    except (ValueError, KeyError, TypeError):
        pass
    return res


# ---------------------------------------------------------------------------------------------------
# tasks: what each index of each phase is
# ---------------------------------------------------------------------------------------------------


@dataclass
class Cfg:
    seed: int
    limit: int
    timeout: float
    generators: list[str] | None = None
    clock: str = "cpu"


def make_case(task: tuple[Any, ...], cfg: Cfg) -> tuple[str, Any]:
    """(generator name, input object) of a task; deterministic from the seed and the index."""
    kind = task[0]
    if kind == "reader":
        rng = random.Random(f"{cfg.seed}:reader:{task[1]}")
        gen = fi.pick_generator(rng, cfg.generators)
        return gen, fi.reader_case(gen, rng.randrange(2**32), cfg.limit)
    if kind == "folder":
        return "folder", fi.folder_case(cfg.seed * 1_000_003 + task[1], cfg.limit)
    if kind in ("extract", "geoparse"):
        rng = random.Random(f"{cfg.seed}:{kind}:{task[1]}")
        names = [n for n in fi.RECORD_GENERATORS if kind == "geoparse" or n != "spans"]
        gen = fi.pick_record_generator(rng, names)
        return gen, fi.record_case(gen, rng.randrange(2**32), cfg.limit)
    if kind == "api":
        case = fi.api_case(cfg.seed * 1_000_003 + task[1], cfg.limit)
        return case.generator, case
    if kind == "bytes":  # minimisation: (kind, phase, data, filename)
        return "min", task
    raise ValueError(kind)


def case_bytes(case: Any) -> tuple[bytes, str | None]:
    if isinstance(case, fi.Case):
        return case.data, case.filename
    if isinstance(case, fi.RecordCase):
        return case.line + b"\n", None
    if isinstance(case, fi.ApiCase):
        return case.body, case.content_type
    if isinstance(case, fi.Folder):
        return case.to_json().encode(), "folder.json"
    if isinstance(case, tuple):
        return case[2], case[3]
    raise TypeError(type(case))


def execute(task: tuple[Any, ...], cfg: Cfg) -> tuple[str, Any, dict[str, Any]]:
    gen, case = make_case(task, cfg)
    kind = task[0]
    if kind == "reader":
        res = run_reader(case.data, case.filename)
    elif kind == "folder":
        res = run_folder(case)
    elif kind in ("extract", "geoparse"):
        res = run_command_inprocess(kind, case.line + b"\n")
    elif kind == "api":
        res = run_api(case)
    else:  # ("bytes", phase, data, filename)
        phase, data, name = task[1], task[2], task[3]
        if phase == "reader":
            res = run_reader(data, name)
        elif phase == "api":
            res = run_api(fi.ApiCase("min", 0, data, name))
        else:
            res = run_command_inprocess(phase, data)
    return gen, case, res


# ---------------------------------------------------------------------------------------------------
# worker processes
# ---------------------------------------------------------------------------------------------------


def _warm_models() -> None:
    """Load the models before timing anything (the first extraction loads the gazetteer and more)."""
    from click.testing import CliRunner

    from conflictwire.cli import main

    lines = b"".join(json.dumps(fi.json_record(text, id=f"w{i}")).encode() + b"\n"
                     for i, text in enumerate((fi.BODY, fi.BODY2, fi.BODY3)))
    CliRunner().invoke(main, ["extract"], input=lines)
    CliRunner().invoke(main, ["geoparse"], input=lines)
    CliRunner().invoke(main, ["geoparse"], input=json.dumps({"id": "s", "text": fi.BODY2, "spans": [{"start": 0, "end": 6}]}))
    _api_client().post("/api/articles", content=json.dumps(fi.json_record(fi.BODY2, id="warm")),
                       headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})


def worker_main(conn: mpc.Connection, cfg: Cfg, warm: bool) -> None:
    """Run tasks sent by the parent. A watchdog thread notes where a task is once it passes the limit
    (no signal timer: the project's own time limits use SIGALRM and must not be disturbed)."""
    import threading

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.stderr = open(os.devnull, "w")  # warcio and others warn on stderr for every odd record
    lock = threading.Lock()
    state: dict[str, Any] = {"task": 0, "deadline": None}
    clock = time.process_time if cfg.clock == "cpu" else time.monotonic

    def send(msg: Any) -> None:
        with lock:
            conn.send(msg)

    def watchdog() -> None:
        while True:
            time.sleep(0.05)
            with lock:
                deadline, task_no = state["deadline"], state["task"]
                if deadline is None or clock() < deadline:
                    continue
                state["deadline"] = None
            frames_by_thread = sys._current_frames()
            # the API runs routes in a worker thread: take the stack deepest in the project's code
            stacks = [traceback.extract_stack(f) for tid, f in frames_by_thread.items()
                      if tid != threading.get_ident()]
            stacks.sort(key=lambda fr: (any(_is_project(x.filename) for x in fr), len(fr)))
            if not stacks:
                continue
            location, innermost = where(stacks[-1])
            note = location + ("" if innermost == location else f" | innermost {innermost}")
            with lock:
                if state["task"] == task_no:
                    conn.send(("slow", note))

    threading.Thread(target=watchdog, daemon=True).start()
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 1000))
    if warm:
        import contextlib

        with contextlib.redirect_stdout(io.StringIO()):
            _warm_models()
    send(("ready",))
    while True:
        task = conn.recv()
        if task is None:
            return
        started, cpu_started = time.perf_counter(), time.process_time()
        with lock:
            state["task"] += 1
            state["deadline"] = clock() + cfg.timeout
        try:
            gen, case, res = execute(task, cfg)
        finally:
            with lock:
                state["deadline"] = None
                state["task"] += 1
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        res["good_sources"] = None
        res["errors"] = dict(res["errors"])
        data, name = case_bytes(case)
        send(("done", {"task": task if task[0] != "bytes" else ("bytes", task[1]), "generator": gen,
                       "size": len(data), "seconds": seconds, "cpu": cpu, **res}))


@dataclass
class Worker:
    proc: Any
    conn: mpc.Connection
    ready: bool = False
    task: tuple[Any, ...] | None = None
    started: float = 0.0
    slow: str | None = None


class Pool:
    """Worker processes that run tasks with a soft (recorded) and a hard (kill) time limit.

    A killed or dead worker is replaced without waiting for it (a model worker takes a minute or more
    to load), so the others stay watched meanwhile."""

    def __init__(self, jobs: int, cfg: Cfg, hard_timeout: float, warm: bool = False) -> None:
        self.cfg, self.hard, self.warm = cfg, hard_timeout, warm
        self.ctx = mp.get_context("fork")
        self.workers = [self._spawn() for _ in range(jobs)]
        deadline = time.monotonic() + (900 if warm else 120)
        while not all(w.ready for w in self.workers):
            if time.monotonic() > deadline:
                raise RuntimeError("the workers did not start")
            for w in self.workers:
                if not w.ready and w.conn.poll(0.2):
                    w.ready = w.conn.recv()[0] == "ready"

    def _spawn(self) -> Worker:
        parent, child = self.ctx.Pipe()
        proc = self.ctx.Process(target=worker_main, args=(child, self.cfg, self.warm), daemon=True)
        proc.start()
        child.close()
        return Worker(proc, parent, started=time.monotonic())

    def _replace(self, w: Worker) -> Worker:
        if w.proc.is_alive():
            w.proc.kill()
        w.proc.join(5)
        w.conn.close()
        return self._spawn()

    def run(self, tasks: Any, on_result: Any) -> None:
        pending = iter(tasks)
        exhausted = False

        def feed(w: Worker) -> None:
            nonlocal exhausted
            if exhausted or not w.ready:
                return
            try:
                task = next(pending)
            except StopIteration:
                exhausted = True
                return
            w.task, w.started, w.slow = task, time.monotonic(), None
            w.conn.send(task)

        for w in self.workers:
            feed(w)
        while any(w.task is not None for w in self.workers) or (
                not exhausted and any(not w.ready for w in self.workers)):
            watched = [w for w in self.workers if w.task is not None or not w.ready]
            ready = mpc.wait([w.conn for w in watched], timeout=0.5)
            for i, w in enumerate(self.workers):
                if w.task is None and w.ready:
                    continue
                if w.conn in ready:
                    try:
                        msg = w.conn.recv()
                    except (EOFError, OSError):
                        w.proc.join(1)
                        if w.task is not None:
                            code = w.proc.exitcode
                            on_result(w.task, self._synthetic(w, "WorkerDied", f"worker exited with status {code}"))
                        self.workers[i] = self._replace(w)
                        continue
                    if msg[0] == "ready":
                        w.ready = True
                        feed(w)
                    elif msg[0] == "slow":
                        w.slow = msg[1]
                    else:
                        result = msg[1]
                        result["slow_at"] = w.slow
                        on_result(w.task, result)
                        w.task = None
                        feed(w)
                elif w.task is not None and time.monotonic() - w.started > self.hard:
                    on_result(w.task, self._synthetic(w, None, f"killed after {self.hard:.0f} s"))
                    self.workers[i] = self._replace(w)
                elif not w.ready and time.monotonic() - w.started > (900 if self.warm else 120):
                    raise RuntimeError("a worker did not start")

    def _synthetic(self, w: Worker, crash_type: str | None, message: str) -> dict[str, Any]:
        gen, case = make_case(w.task, self.cfg)  # type: ignore[arg-type]
        data, _ = case_bytes(case)
        res = _new_result()
        seconds = min(time.monotonic() - w.started, self.hard) if crash_type is None else time.monotonic() - w.started
        res.update(task=w.task, generator=gen, size=len(data), seconds=seconds, cpu=None,
                   slow_at=w.slow, good_sources=None, errors={}, killed=crash_type is None)
        if crash_type:
            res["crash"] = {"type": crash_type, "message": message, "location": w.slow or "?", "innermost": "?",
                            "traceback": ""}
        else:
            res["notes"].append(message)
        return res

    def close(self) -> None:
        for w in self.workers:
            try:
                w.conn.send(None)
            except OSError:
                pass
        for w in self.workers:
            w.proc.join(5)
            if w.proc.is_alive():
                w.proc.kill()


# ---------------------------------------------------------------------------------------------------
# collecting results
# ---------------------------------------------------------------------------------------------------


@dataclass
class Stats:
    tried: Counter[str] = field(default_factory=Counter)
    articles: Counter[str] = field(default_factory=Counter)
    item_errors: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    problems: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    crashes: dict[tuple[str, str, str], list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    violations: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    notes: Counter[tuple[str, str]] = field(default_factory=Counter)
    over: list[dict[str, Any]] = field(default_factory=list)
    timings: list[tuple[float, str, str, int, str, float]] = field(default_factory=list)
    phase_seconds: dict[str, float] = field(default_factory=dict)
    phase_bytes: Counter[str] = field(default_factory=Counter)
    killed: Counter[tuple[str, str]] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)


class Collector:
    def __init__(self, cfg: Cfg, save_dir: Path, timeout: float) -> None:
        self.cfg, self.save_dir, self.timeout = cfg, save_dir, timeout
        self.stats = Stats()

    def phase_of(self, task: tuple[Any, ...]) -> str:
        return {"reader": "readers", "folder": "folders"}.get(task[0], task[0])

    def __call__(self, task: tuple[Any, ...], res: dict[str, Any]) -> None:
        s = self.stats
        phase = self.phase_of(task)
        s.tried[phase] += 1
        s.phase_bytes[phase] += res["size"]
        s.articles[phase] += res["articles"]
        for code, n in res["errors"].items():
            s.item_errors[phase][code] += n
        if res["problem"]:
            s.problems[phase][res["problem"]] += 1
        label = f"{phase}:{res['generator']}#{task[1]}"
        took = res["seconds"] if self.cfg.clock == "wall" or res.get("cpu") is None else res["cpu"]
        s.timings.append((took, phase, res["generator"], res["size"], label, res["seconds"]))
        if res["crash"]:
            c = res["crash"]
            key = (phase, c["type"], c["location"])
            path = self._save(task, res, f"crash-{c['type']}")
            s.crashes[key].append({**c, "generator": res["generator"], "task": list(task), "size": res["size"],
                                   "saved": str(path)})
        for v in dict.fromkeys(res["violations"]):
            general = re.sub(r"^line \d+: ", "", v)
            general = re.sub(r"\d[\d,]*", "N", general)[:120]
            entry = {"detail": v, "generator": res["generator"], "task": list(task), "size": res["size"]}
            if len(s.violations[(phase, general)]) < 5:
                entry["saved"] = str(self._save(task, res, "violation"))
            s.violations[(phase, general)].append(entry)
        for note in res["notes"]:
            if not note.startswith("killed after"):
                s.notes[(phase, re.sub(r"\d[\d,]*", "N", note))] += 1
        if res.get("killed"):
            s.killed[(phase, res["generator"])] += 1
        if took > self.timeout or res.get("killed"):
            path = self._save(task, res, "slow") if len(s.over) < 200 else None
            s.over.append({"phase": phase, "generator": res["generator"], "task": list(task), "size": res["size"],
                           "seconds": round(took, 2), "wall": round(res["seconds"], 2), "killed": bool(res.get("killed")),
                           "at": res.get("slow_at"), "saved": str(path) if path else None})

    def _save(self, task: tuple[Any, ...], res: dict[str, Any], what: str) -> Path:
        gen, case = make_case(task, self.cfg)
        data, name = case_bytes(case)
        folder = self.save_dir / what
        folder.mkdir(parents=True, exist_ok=True)
        stem = f"{self.phase_of(task)}-{gen}-{task[1]}"
        path = folder / (stem + ".bin")
        path.write_bytes(data)
        (folder / (stem + ".json")).write_text(json.dumps({
            "task": list(task), "seed": self.cfg.seed, "generator": gen, "filename": name, "size": len(data),
            "seconds": res["seconds"], "cpu": res.get("cpu"), "crash": res["crash"], "violations": res["violations"][:20],
            "slow_at": res.get("slow_at")}, indent=1, default=str))
        return path


# ---------------------------------------------------------------------------------------------------
# subprocess runs: the real commands
# ---------------------------------------------------------------------------------------------------


def _command() -> list[str]:
    script = Path(sys.executable).parent / "conflictwire"
    return [str(script)] if script.exists() else [sys.executable, "-m", "conflictwire.cli"]


def _traceback_summary(stderr: str) -> tuple[str, str, str]:
    """(exception type, project location, message) of the last traceback in a process's stderr."""
    tb = stderr[stderr.rfind("Traceback (most recent call last)"):]
    frames = re.findall(r'File "([^"]+)", line (\d+), in (\S+)', tb)
    exc_lines = [ln for ln in tb.splitlines() if re.match(r"^[\w.]*(Error|Exception|Exit|Interrupt|Warning)\b:?", ln)]
    last = exc_lines[-1] if exc_lines else (tb.strip().splitlines()[-1] if tb.strip() else "")
    m = re.match(r"^([\w.]+):?\s?(.*)$", last)
    etype, message = (m.group(1).rsplit(".", 1)[-1], m.group(2)) if m else ("?", last)
    project = [f for f in frames if _is_project(f[0])]
    pick = project[-1] if project else (frames[-1] if frames else None)
    location = f"{_short_path(pick[0])}:{pick[1]} ({pick[2]})" if pick else "?"
    return etype, location, message[:300]


def run_cli_batch(command: str, lines: list[tuple[str, bytes]], stats: Stats, save_dir: Path,
                  timeout: float, inprocess_crashes: set[bytes]) -> dict[str, Any]:
    """All lines through one `conflictwire COMMAND` process on stdin; check the contract end to end."""
    data = b"".join(line + b"\n" for _, line in lines)
    started = time.monotonic()
    phase = f"cli-{command}"
    stats.tried[phase] += len(lines)
    folder = save_dir / phase
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "stdin.jsonl").write_bytes(data)
    try:
        proc = subprocess.run(_command() + [command], input=data, capture_output=True, timeout=timeout,
                              env={**os.environ, "PYTHONIOENCODING": ""})
    except subprocess.TimeoutExpired as exc:
        out = (exc.stdout or b"").decode("utf-8", "replace")
        err = (exc.stderr or b"").decode("utf-8", "replace")
        (folder / "stdout.jsonl").write_text(out)
        (folder / "stderr.txt").write_text(err)
        done = out.count("\n")
        codes = Counter(m.group(2) for m in map(_ERROR_LINE.match, err.splitlines()) if m)
        stats.over.append({"phase": phase, "generator": "batch", "task": [phase], "size": len(data),
                           "seconds": timeout, "killed": True,
                           "at": f"{done} of {len(lines)} lines written; error codes so far {dict(codes)}",
                           "saved": str(folder / "stdin.jsonl")})
        return {"seconds": timeout, "status": "timeout", "lines_done": done}
    seconds = time.monotonic() - started
    stdout = proc.stdout.decode("utf-8", "replace")
    stderr = proc.stderr.decode("utf-8", "replace")
    (folder / "stdout.jsonl").write_text(stdout)
    (folder / "stderr.txt").write_text(stderr)
    violations = fi.check_jsonl_output(command, data, proc.returncode, stdout, stderr)
    for out_line in stdout.splitlines():
        try:
            err = json.loads(out_line).get("error")
        except (ValueError, AttributeError):
            continue
        if isinstance(err, dict):
            stats.item_errors[phase][str(err.get("code"))] += 1
        else:
            stats.articles[phase] += 1
    if "Traceback (most recent call last)" in stderr:
        etype, location, message = _traceback_summary(stderr)
        done = len(stdout.splitlines())
        window = lines[done: done + 33]
        culprits = [gen for gen, line in window if line in inprocess_crashes]
        stats.crashes[(phase, etype, location)].append({
            "type": etype, "message": message, "location": location, "innermost": "", "size": len(data),
            "generator": ",".join(sorted(set(culprits))) or "batch (culprit in lines %d-%d)" % (done + 1, done + len(window)),
            "task": [phase, done + 1], "saved": str(folder / "stdin.jsonl"), "traceback": stderr[-4000:]})
        violations = [v for v in violations if v != "traceback on stderr"]
    for v in violations:
        stats.violations[(phase, re.sub(r"\d[\d,]*", "N", re.sub(r"^line \d+: ", "", v))[:120])].append(
            {"detail": v, "generator": "batch", "task": [phase], "size": len(data), "saved": str(folder / "stdin.jsonl")})
    return {"seconds": seconds, "status": proc.returncode, "lines": len(lines)}


_ERROR_LINE = re.compile(r"^error: (.+): ([a-z][a-z-]*): (.*)$")


def run_cli_ingest(folder: fi.Folder, n: int, stats: Stats, save_dir: Path, timeout: float) -> dict[str, Any]:
    """`conflictwire ingest FOLDER --json` as a subprocess: good articles stored, clean errors, no traceback."""
    from conflictwire.ingest import read_bytes
    from conflictwire.store import Store

    phase = "cli-ingest"
    stats.tried[phase] += 1
    work = Path(tempfile.mkdtemp(prefix="fuzz-ingest-"))
    root = work / "inbox"
    root.mkdir()
    folder.write(str(root))
    db = work / "cw.db"
    keep = save_dir / phase / f"folder-{n}.json"
    keep.parent.mkdir(parents=True, exist_ok=True)
    keep.write_text(folder.to_json())
    started = time.monotonic()

    def violation(text: str) -> None:
        stats.violations[(phase, re.sub(r"\d[\d,]*", "N", text)[:120])].append(
            {"detail": text, "generator": f"folder-{folder.seed}", "task": [phase, n], "size": 0, "saved": str(keep)})

    try:
        proc = subprocess.run(_command() + ["ingest", str(root), "--db", str(db), "--json", "--no-progress"],
                              capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        what = f"ingest of a folder {'with a named pipe ' if folder.fifos else ''}did not finish in {timeout:.0f} s"
        stats.over.append({"phase": phase, "generator": f"folder{'+fifo' if folder.fifos else ''}", "task": [phase, n],
                           "size": sum(len(v) for v in folder.files.values()), "seconds": timeout, "killed": True,
                           "at": what, "saved": str(keep)})
        shutil.rmtree(work, ignore_errors=True)
        return {"seconds": timeout, "status": "timeout", "fifo": bool(folder.fifos)}
    seconds = time.monotonic() - started
    stdout = proc.stdout.decode("utf-8", "replace")
    stderr = proc.stderr.decode("utf-8", "replace")
    (keep.parent / f"folder-{n}.stderr.txt").write_text(stderr)
    if "Traceback (most recent call last)" in stderr:
        etype, location, message = _traceback_summary(stderr)
        stats.crashes[(phase, etype, location)].append({
            "type": etype, "message": message, "location": location, "innermost": "", "generator": f"folder-{folder.seed}",
            "task": [phase, n], "size": 0, "saved": str(keep), "traceback": stderr[-4000:]})
    if proc.returncode not in (0, 1):
        violation(f"exit status {proc.returncode}")
    errors = [ln for ln in stderr.splitlines() if ln.startswith("error: ")]
    for ln in errors:
        m = _ERROR_LINE.match(ln)
        if not m:
            violation(f"error line not 'error: PATH: CODE: message': {ln[:100]}")
        else:
            stats.item_errors[phase][m.group(2)] += 1
            if m.group(2) not in fi.DOCUMENTED_CODES:
                violation(f"undocumented error code {m.group(2)!r}")
    summary = None
    try:
        summary = json.loads(stdout)
    except ValueError:
        if proc.returncode in (0, 1):
            violation("--json summary is not JSON")
    if isinstance(summary, dict):
        if len(summary.get("errors", [])) != len(errors):
            violation(f"summary lists {len(summary.get('errors', []))} errors, stderr {len(errors)}")
        if proc.returncode != (1 if errors else 0) and proc.returncode in (0, 1):
            violation(f"exit status {proc.returncode} with {len(errors)} error lines")
    if db.exists():
        store = Store.open(str(db))
        try:
            for rel in folder.good:
                data = folder.files[rel]
                name = rel if rel not in folder.raw_names else folder.raw_names[rel].decode("latin-1")
                missing = 0
                for item in read_bytes(data, "x", name):
                    if isinstance(item, tuple) and store.get_article_by_hash(item[0].content_hash) is None:
                        missing += 1
                named = [ln for ln in errors if rel.rsplit("/", 1)[-1] in ln]
                if missing or named:
                    violation(f"good file {rel} not stored ({missing} articles missing{'; ' + named[0][:100] if named else ''})")
                else:
                    stats.articles[phase] += 1
        finally:
            store.close()
    elif proc.returncode in (0, 1):
        violation("no database written")
    shutil.rmtree(work, ignore_errors=True)
    return {"seconds": seconds, "status": proc.returncode, "fifo": bool(folder.fifos), "errors": len(errors)}


# ---------------------------------------------------------------------------------------------------
# minimisation and reproducers
# ---------------------------------------------------------------------------------------------------


def py_literal(data: bytes, max_len: int = 400) -> str:
    """A short Python expression for ``data``: runs of a repeated unit become ``b'x' * N``."""
    parts: list[str] = []
    literal = bytearray()
    i = 0
    while i < len(data):
        best: tuple[int, int] | None = None  # (unit length, count)
        for u in range(1, 17):
            unit = data[i:i + u]
            if len(unit) < u:
                break
            k = 1
            while data[i + k * u:i + (k + 1) * u] == unit:
                k += 1
            if k >= 4 and k * u >= 24 and (best is None or k * u > best[0] * best[1]):
                best = (u, k)
        if best:
            if literal:
                parts.append(repr(bytes(literal)))
                literal.clear()
            parts.append(f"{data[i:i + best[0]]!r} * {best[1]}")
            i += best[0] * best[1]
        else:
            literal.append(data[i])
            i += 1
    if literal:
        parts.append(repr(bytes(literal)))
    text = " + ".join(parts) if parts else "b''"
    return text if len(text) <= max_len else text[:max_len] + " ...(cut; see the saved file)"


def ddmin(data: bytes, still_fails: Any, max_tests: int, max_seconds: float) -> bytes:
    """Delta debugging: drop chunks while the failure reproduces (bounded by tests and time)."""
    started, tests, n = time.monotonic(), 0, 2
    while len(data) >= 2 and tests < max_tests and time.monotonic() - started < max_seconds:
        chunk = math.ceil(len(data) / n)
        reduced = False
        for i in range(n):
            candidate = data[:i * chunk] + data[(i + 1) * chunk:]
            if not candidate:
                continue
            tests += 1
            if still_fails(candidate):
                data, n, reduced = candidate, max(n - 1, 2), True
                break
            if tests >= max_tests or time.monotonic() - started >= max_seconds:
                break
        if not reduced:
            if chunk <= 1:
                break
            n = min(len(data), n * 2)
    return data


def _simplify_runs(data: bytes, still_fails: Any) -> bytes:
    """Replace long runs of digits or letters by one repeated character where the failure stays,
    so that a 5,000-digit number prints as ``b'1' * 5000``."""
    for m in sorted(re.finditer(rb"[0-9]{32,}|[A-Za-z]{32,}", data), key=lambda m: -len(m.group()))[:8]:
        char = b"1" if m.group()[:1].isdigit() else b"a"
        candidate = data[:m.start()] + char * len(m.group()) + data[m.end():]
        if candidate != data and still_fails(candidate):
            data = candidate
    return data


def minimise(stats: Stats, cfg: Cfg, jobs_pool: dict[str, Pool], budget_tests: int, budget_seconds: float) -> dict[Any, str]:
    """For each crash group, the smallest saved input cut down to what still crashes the same way."""
    out: dict[Any, str] = {}
    for key, hits in stats.crashes.items():
        phase, etype, location = key
        kind = {"readers": "reader", "extract": "extract", "geoparse": "geoparse", "api": "api"}.get(phase)
        if kind is None:
            continue
        smallest = min(hits, key=lambda h: h["size"])
        gen, case = make_case(tuple(smallest["task"]), cfg)
        data, name = case_bytes(case)
        pool = jobs_pool["model" if kind != "reader" else "reader"]
        result: dict[str, Any] = {}

        def still_fails(candidate: bytes) -> bool:
            task = ("bytes", kind, candidate, name)
            result.clear()
            pool.run([task], lambda t, r: result.update(r))
            c = result.get("crash")
            return bool(c) and c["type"] == etype and c["location"] == location

        if kind in ("extract", "geoparse"):
            data = _simplify_runs(data, still_fails)
            # keep one line: minimise the line without its newline
            line = data.rstrip(b"\n")
            small = ddmin(line, lambda b: b"\n" not in b and still_fails(b + b"\n"), budget_tests, budget_seconds)
            small += b"\n"
        else:
            small = ddmin(_simplify_runs(data, still_fails), still_fails, budget_tests, budget_seconds)
        path = Path(smallest["saved"]).with_suffix(".min.bin")
        path.write_bytes(small)
        out[key] = (f"{py_literal(small)}" + (f"  (file name {name!r})" if kind == "reader" else "")
                    + (f"  (Content-Type {name!r})" if kind == "api" else ""))
    return out


# ---------------------------------------------------------------------------------------------------
# the report
# ---------------------------------------------------------------------------------------------------


def report(stats: Stats, repro: dict[Any, str], args: argparse.Namespace, wall: float, cli_runs: list[dict[str, Any]]) -> str:
    lines: list[str] = []
    w = lines.append
    w(f"conflictwire fuzz: seed {args.seed}, {args.inputs:,} reader inputs, per-input limit {args.per_input_timeout:g} s, "
      f"{args.jobs} worker processes, {wall:.0f} s in all")
    import conflictwire

    w(f"source tree: {_git_state()}; conflictwire imported from {Path(conflictwire.__file__).parent}")
    w(f"load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    w("")
    w("Inputs tried")
    for phase, n in stats.tried.items():
        secs = stats.phase_seconds.get(phase)
        rate = f", {n / secs:,.1f}/s ({stats.phase_bytes[phase] / secs / 1e6:,.2f} MB/s) over {secs:,.0f} s" if secs else ""
        w(f"  {phase:12s} {n:>8,}{rate}; articles/ok lines {stats.articles[phase]:,}")
    if stats.skipped:
        w("  skipped after two of their inputs were killed: "
          + ", ".join(f"{k} {v}" for k, v in sorted(stats.skipped.items())))
    w("")
    w("Errors by code (items and output lines / InputProblem raised)")
    for phase in stats.tried:
        items = stats.item_errors.get(phase) or {}
        probs = stats.problems.get(phase) or {}
        if items:
            w(f"  {phase} items: " + ", ".join(f"{k} {v:,}" for k, v in sorted(items.items(), key=lambda kv: -kv[1])))
        if probs:
            w(f"  {phase} raised: " + ", ".join(f"{k} {v:,}" for k, v in sorted(probs.items(), key=lambda kv: -kv[1])))
    w("")
    total = sum(len(v) for v in stats.crashes.values())
    w(f"Crashes: {total:,} inputs in {len(stats.crashes)} groups")
    for key, hits in sorted(stats.crashes.items(), key=lambda kv: -len(kv[1])):
        phase, etype, location = key
        gens = Counter(h["generator"] for h in hits)
        w(f"  [{phase}] {etype} at {location}: {len(hits):,} inputs")
        inner = hits[0].get("innermost")
        if inner and inner != location:
            w(f"      innermost {inner}")
        w(f"      message: {hits[0]['message'][:200]}")
        w("      generators: " + ", ".join(f"{g} {n}" for g, n in gens.most_common(8)))
        w(f"      e.g. {min(hits, key=lambda h: h['size'])['saved']}")
        if key in repro:
            w(f"      reproducer: {repro[key]}")
    w("")
    nviol = sum(len(v) for v in stats.violations.values())
    w(f"Contract violations: {nviol:,} in {len(stats.violations)} kinds")
    for (phase, what), hits in sorted(stats.violations.items(), key=lambda kv: -len(kv[1])):
        gens = Counter(h["generator"] for h in hits)
        w(f"  [{phase}] {what}: {len(hits):,} ({', '.join(f'{g} {n}' for g, n in gens.most_common(5))})")
        w(f"      e.g. {hits[0]['detail'][:160]}  {hits[0].get('saved') or ''}")
    if stats.notes:
        w("")
        w("Notes (not failures)")
        for (phase, note), n in stats.notes.most_common(10):
            w(f"  [{phase}] {note}: {n:,}")
    w("")
    clock = "CPU" if args.clock == "cpu" else "wall-clock"
    w(f"Inputs over the {args.per_input_timeout:g} s limit ({clock} time; or killed after {args.hard_timeout:g} s wall): "
      f"{len(stats.over):,}")
    for o in sorted(stats.over, key=lambda o: -o["seconds"])[:40]:
        killed = f" (killed after {o.get('wall', o['seconds']):.1f} s wall)" if o["killed"] else f" (wall {o.get('wall', o['seconds']):.1f} s)"
        w(f"  [{o['phase']}] {o['generator']} {o['size']:,} bytes: {o['seconds']:.1f} s{killed}")
        w(f"      at {o['at']}  {o['saved'] or ''}")
    w("")
    slow = [t for t in stats.timings if t[0] > args.slow]
    w(f"Slow inputs, over {args.slow:g} s but within the limit (not failures): {len(slow):,}")
    for seconds, phase, gen, size, label, wall_s in sorted(slow, reverse=True)[:20]:
        w(f"  {seconds:8.2f} s  [{phase}] {gen}  {size:,} bytes: {seconds / max(size / 1e5, 1e-9):.2f} s per 100 KB  ({label})")
    w("")
    w(f"Slowest 10 inputs ({clock} seconds, wall in brackets)")
    for seconds, phase, gen, size, label, wall_s in sorted(stats.timings, reverse=True)[:10]:
        w(f"  {seconds:8.2f} s ({wall_s:.2f})  [{phase}] {gen}  {size:,} bytes  ({label})")
    if cli_runs:
        w("")
        w("Subprocess runs")
        for r in cli_runs:
            w("  " + ", ".join(f"{k} {v}" for k, v in r.items()))
    return "\n".join(lines)


def _git_state() -> str:
    try:
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "src"], capture_output=True, text=True).stdout
        digest = hashlib.sha256(subprocess.run(["git", "-C", str(ROOT), "diff", "HEAD", "--", "src"], capture_output=True).stdout).hexdigest()[:12]
        n = len([ln for ln in dirty.splitlines() if ln.strip()])
        return f"HEAD {head}" + (f" with {n} changed files under src/ (diff sha256 {digest})" if n else " (clean src/)")
    except OSError:
        return "?"


# ---------------------------------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--inputs", type=int, default=2000, help="reader inputs to try (the other phases are sampled from it)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--per-input-timeout", type=float, default=float(INPUT_SECONDS),
                   help="seconds after which an input is over the limit [the product's own: limits.INPUT_SECONDS]")
    p.add_argument("--slow", type=float, default=5.0, help="list inputs over this many seconds apart (not failures)")
    p.add_argument("--hard-timeout", type=float, default=None,
                   help="kill a worker stuck this long, wall clock [6x the limit, at least 30 s; models: 12x, 60 s]")
    p.add_argument("--clock", choices=["cpu", "wall"], default="cpu",
                   help="time an input by the CPU time of its worker (robust on a busy machine) or by the wall clock")
    p.add_argument("--only", default=",".join(PHASES), help=f"comma-separated phases of {', '.join(PHASES)}")
    p.add_argument("--save-dir", default="/tmp/fuzz-crashes")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    p.add_argument("--limit", type=int, default=4_000_000, help="largest input a generator makes (bytes, about)")
    p.add_argument("--generators", default=None, help="only these reader generators (comma-separated)")
    p.add_argument("--extract-inputs", type=int, default=None, help="lines through extract [inputs/50, 30..400]")
    p.add_argument("--geoparse-inputs", type=int, default=None, help="lines through geoparse [inputs/100, 20..200]")
    p.add_argument("--api-inputs", type=int, default=None, help="bodies POSTed to the API [inputs/100, 20..200]")
    p.add_argument("--folder-inputs", type=int, default=None, help="folders through read_inputs [inputs/100, 10..300]")
    p.add_argument("--ingest-folders", type=int, default=3, help="folders through `conflictwire ingest` subprocesses")
    p.add_argument("--cli-lines", type=int, default=80, help="lines per extract/geoparse subprocess batch")
    p.add_argument("--cli-timeout", type=float, default=600.0, help="seconds for one subprocess run")
    p.add_argument("--no-minimise", action="store_true", help="do not cut crashing inputs down")
    p.add_argument("--json-report", default=None, help="also write the results as JSON here [SAVE_DIR/report.json]")
    args = p.parse_args(argv)

    phases = [ph.strip() for ph in args.only.split(",") if ph.strip()]
    for ph in phases:
        if ph not in PHASES:
            p.error(f"unknown phase {ph!r} (choose from {', '.join(PHASES)})")
    n = args.inputs
    n_extract = args.extract_inputs if args.extract_inputs is not None else min(400, max(30, n // 50))
    n_geo = args.geoparse_inputs if args.geoparse_inputs is not None else min(200, max(20, n // 100))
    n_api = args.api_inputs if args.api_inputs is not None else min(200, max(20, n // 100))
    n_folders = args.folder_inputs if args.folder_inputs is not None else min(300, max(10, n // 100))
    args.hard_timeout = hard = args.hard_timeout or max(30.0, min(6 * args.per_input_timeout, args.per_input_timeout + 30.0))
    save_dir = Path(args.save_dir)
    if save_dir.exists():
        shutil.rmtree(save_dir)
    save_dir.mkdir(parents=True)
    gens = args.generators.split(",") if args.generators else None
    cfg = Cfg(args.seed, args.limit, args.per_input_timeout, gens, args.clock)
    collector = Collector(cfg, save_dir, args.per_input_timeout)
    stats = collector.stats
    started = time.monotonic()
    import conflictwire.ingest  # noqa: F401  -- loaded once, shared by the forked workers

    pools: dict[str, Pool] = {}
    progress_every = max(1, n // 20)

    def with_progress(phase: str, total: int) -> Any:
        t0 = time.monotonic()

        def on_result(task: tuple[Any, ...], res: dict[str, Any]) -> None:
            collector(task, res)
            done = stats.tried[collector.phase_of(task)]
            if done % (progress_every if phase == "readers" else max(1, total // 10)) == 0 or done == total:
                crashes = sum(len(v) for v in stats.crashes.values())
                print(f"  {phase}: {done:,}/{total:,} in {time.monotonic() - t0:,.0f} s, {crashes:,} crashes so far",
                      file=sys.stderr, flush=True)
        return on_result

    def timed(phase: str, fn: Any) -> None:
        t0 = time.monotonic()
        fn()
        stats.phase_seconds[phase] = time.monotonic() - t0

    try:
        if "readers" in phases or "folders" in phases:
            pools["reader"] = Pool(args.jobs, cfg, hard)
            if "readers" in phases:
                print(f"readers: {n:,} inputs", file=sys.stderr)
                timed("readers", lambda: pools["reader"].run((("reader", i) for i in range(n)), with_progress("readers", n)))
            if "folders" in phases:
                print(f"folders: {n_folders:,} folder trees through read_inputs", file=sys.stderr)
                timed("folders", lambda: pools["reader"].run((("folder", i) for i in range(n_folders)),
                                                             with_progress("folders", n_folders)))
        model_phases = [ph for ph in ("extract", "geoparse", "api") if ph in phases]
        if model_phases:
            print(f"loading the models in {args.jobs} worker processes", file=sys.stderr)
            pools["model"] = Pool(args.jobs, cfg, max(2 * hard, 12 * args.per_input_timeout), warm=True)
            sizes = {"extract": n_extract, "geoparse": n_geo, "api": n_api}

            def model_tasks(ph: str, count: int) -> Any:
                # a worker killed here reloads the models (a minute or more): after two kills of one
                # generator's inputs, its other inputs are skipped (and counted)
                for i in range(count):
                    gen, _ = make_case((ph, i), cfg)
                    if stats.killed[(ph, gen)] >= 2:
                        stats.skipped[f"{ph}:{gen}"] += 1
                        continue
                    yield (ph, i)

            for ph in model_phases:
                print(f"{ph}: {sizes[ph]:,} inputs in-process", file=sys.stderr)
                timed(ph, lambda ph=ph: pools["model"].run(model_tasks(ph, sizes[ph]), with_progress(ph, sizes[ph])))
        cli_runs: list[dict[str, Any]] = []
        crashed_lines: dict[str, set[bytes]] = defaultdict(set)
        for (phase, _, _), hits in stats.crashes.items():
            for h in hits:
                if phase in ("extract", "geoparse"):
                    crashed_lines[phase].add(make_case(tuple(h["task"]), cfg)[1].line)
        for command in ("extract", "geoparse"):
            if command not in phases or args.cli_lines <= 0:
                continue
            size = n_extract if command == "extract" else n_geo
            batch = []
            slow = {t[4] for t in stats.timings if t[1] == command and t[0] > 2}
            for i in range(size):
                gen, case = make_case((command, i), cfg)
                if f"{command}:{gen}#{i}" in slow or len(case.line) > 300_000:
                    continue
                batch.append((gen, case.line))
                if len(batch) >= args.cli_lines:
                    break
            print(f"cli-{command}: {len(batch)} lines through `conflictwire {command}` in a subprocess", file=sys.stderr)
            t0 = time.monotonic()
            r = run_cli_batch(command, batch, stats, save_dir, args.cli_timeout, crashed_lines[command])
            stats.phase_seconds[f"cli-{command}"] = time.monotonic() - t0
            cli_runs.append({"run": f"conflictwire {command}", **r})
        if "ingest" in phases:
            t0 = time.monotonic()
            for k in range(args.ingest_folders):
                # the first folder is plain, the second has a hostile sidecar, the third a named pipe
                folder = fi.folder_case(args.seed * 7919 + k, args.limit, n_bad=8,
                                        fifo=(k % 3 == 2), sidecar=(k % 3 == 1))
                print(f"cli-ingest: folder {k + 1}/{args.ingest_folders} ({len(folder.files)} files"
                      f"{', a named pipe' if folder.fifos else ''})", file=sys.stderr)
                r = run_cli_ingest(folder, k, stats, save_dir,
                                   min(args.cli_timeout, 180.0) if folder.fifos else args.cli_timeout)
                cli_runs.append({"run": f"conflictwire ingest folder {k}", **r})
            stats.phase_seconds["cli-ingest"] = time.monotonic() - t0
        repro: dict[Any, str] = {}
        if not args.no_minimise and stats.crashes:
            print(f"minimising {len(stats.crashes)} crash groups", file=sys.stderr)
            repro = minimise(stats, cfg, pools, budget_tests=300, budget_seconds=40)
    finally:
        for pool in pools.values():
            pool.close()

    wall = time.monotonic() - started
    text = report(stats, repro, args, wall, cli_runs)
    print(text)
    (save_dir / "report.txt").write_text(text)
    json_path = Path(args.json_report) if args.json_report else save_dir / "report.json"
    json_path.write_text(json.dumps({
        "seed": args.seed, "inputs": n, "tried": stats.tried, "seconds": wall, "phase_seconds": stats.phase_seconds,
        "item_errors": stats.item_errors, "problems": stats.problems,
        "crashes": [{"phase": k[0], "type": k[1], "location": k[2], "count": len(v), "reproducer": repro.get(k),
                     "generators": Counter(h["generator"] for h in v), "examples": v[:3]} for k, v in stats.crashes.items()],
        "violations": [{"phase": k[0], "what": k[1], "count": len(v), "examples": v[:3]} for k, v in stats.violations.items()],
        "over_limit": stats.over, "slowest": sorted(stats.timings, reverse=True)[:10]}, indent=1, default=str))
    failed = bool(stats.crashes or stats.violations or stats.over)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
