"""Property tests over hostile inputs (issue 13): the short run of the fuzzer, for CI.

Every reader (through ``read_bytes``) yields only articles and input errors or raises an
``InputProblem``, with documented codes and sources named after the input; the JSON field validation
returns a well-typed article or a clean problem; ``extract`` and ``geoparse`` write one JSON line per
input line with ``id`` and ``error``; ``POST /api/articles`` never answers 5xx and its errors are
``{"error": {"code", "message"}}``. The inputs come from ``tests/fuzz_inputs.py``, shared with the long
run (``python bench/fuzz.py --inputs 100000``); the known hostile inputs of issue 13 are tested one
by one below the properties. Examples are derandomized, so CI sees the same inputs every run.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import fuzz_inputs as fi
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from conflictwire.cli import main
from conflictwire.ingest import InputProblem, read_bytes, read_inputs
from conflictwire.ingest.jsonl import article_from_obj
from conflictwire.model import Article, InputError, RawInput

#: Size limit of generated inputs here (the long run goes to megabytes).
LIMIT = 200_000
#: Seconds one small input may take before a test calls it stuck.
STUCK = 20
SOURCE = "input"


def _settings(n: int, shrink: bool = True) -> settings:
    """Deterministic settings: derandomized, no deadline, no shrinking for seed-drawn inputs."""
    phases = [Phase.explicit, Phase.reuse, Phase.generate] + ([Phase.shrink] if shrink else [])
    return settings(max_examples=n, deadline=None, derandomize=True, database=None, phases=phases,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.large_base_example, HealthCheck.function_scoped_fixture])


@contextmanager
def cpu_seconds() -> Iterator[list[float]]:
    """CPU time of this thread in the block (a busy machine does not count), with the objects earlier
    tests left alive frozen out of the garbage collector's scans (they would bill their cost here)."""
    gc.collect()
    gc.freeze()
    spent = [0.0]
    started = time.thread_time()
    try:
        yield spent
    finally:
        spent[0] = time.thread_time() - started
        gc.unfreeze()


@contextmanager
def not_stuck(seconds: float = STUCK) -> Iterator[None]:
    """Fail instead of hanging when the block blocks (a named pipe) or loops."""

    def expire(signum: int, frame: Any) -> None:
        raise AssertionError(f"still running after {seconds} s (blocked or stuck)")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# --- what a reader may give ------------------------------------------------------------------------


def check_item(item: object, named: Any) -> str:
    """Assert that one yielded item is a well-formed article or input error; return its kind."""
    if isinstance(item, InputError):
        assert item.code in fi.DOCUMENTED_CODES, f"undocumented error code {item.code!r}: {item}"
        assert named(item.source), f"error named {item.source!r}, not after its input"
        assert isinstance(item.message, str) and item.message
        return item.code
    assert isinstance(item, tuple) and len(item) == 2, f"reader yielded {type(item).__name__}: {item!r}"[:300]
    article, raw = item
    assert isinstance(article, Article) and isinstance(raw, RawInput)
    assert isinstance(article.text, str) and article.text.strip(), "an article with a blank text"
    assert article.source == raw.source and named(article.source), f"article named {article.source!r}"
    for name in ("title", "external_id", "outlet", "url", "language", "byline", "translator"):
        value = getattr(article, name)
        assert value is None or isinstance(value, str), f"article {name} is a {type(value).__name__}"
        if isinstance(value, str):
            value.encode("utf-8")  # a lone surrogate cannot be stored or printed
    assert article.published is None or isinstance(article.published, dt.date)
    article.text.encode("utf-8")
    assert len(article.content_hash) == 64  # what the store keys articles by
    return "article"


def read_all(data: bytes, filename: str | None) -> list[str]:
    """Kinds of what ``read_bytes`` yields (or ``raised:CODE``); anything but InputProblem propagates."""
    try:
        return [check_item(item, lambda s: s == SOURCE or s.startswith(SOURCE + "#"))
                for item in read_bytes(data, SOURCE, filename)]
    except InputProblem as problem:
        assert problem.code in fi.DOCUMENTED_CODES, f"undocumented problem code {problem.code!r}"
        return [f"raised:{problem.code}"]


# --- readers -----------------------------------------------------------------------------------------

reader_cases = st.builds(fi.reader_case, st.sampled_from(sorted(fi.READER_GENERATORS)),
                         st.integers(0, 2**32 - 1), st.just(LIMIT))
FILENAMES = [None, "x.txt", "x.html", "x.json", "x.jsonl", "x.rss", "x.atom", "x.xml", "x.warc", "x.warc.gz", "x"]


@_settings(300, shrink=False)
@given(case=reader_cases)
def test_readers_give_articles_errors_or_a_problem(case: fi.Case) -> None:
    """Every generator of the long run (mutated seeds of each format, hostile feeds and WARCs, ...)."""
    read_all(case.data, case.filename)


@_settings(150)
@given(data=st.binary(max_size=3000), filename=st.sampled_from(FILENAMES))
def test_readers_on_arbitrary_bytes(data: bytes, filename: str | None) -> None:
    read_all(data, filename)


@_settings(80)
@given(seed=st.sampled_from(sorted(fi.SEEDS)), data=st.data())
def test_readers_on_valid_inputs_with_one_byte_changed(seed: str, data: st.DataObject) -> None:
    """A single byte inserted, replaced or deleted anywhere in a valid input of each format."""
    raw, name = fi.SEEDS[seed]
    i = data.draw(st.integers(0, len(raw)), label="offset")
    how = data.draw(st.sampled_from(["insert", "replace", "delete", "truncate"]), label="how")
    byte = data.draw(st.sampled_from([b"\x00", b"\xff", b"\xc3", b"\r", b"<", b"&", b'"', b"\\", b"{", b"\x80"]), label="byte")
    changed = {"insert": raw[:i] + byte + raw[i:], "replace": raw[:i] + byte + raw[i + 1:],
               "delete": raw[:i] + raw[i + 1:], "truncate": raw[:i]}[how]
    read_all(changed, name)


# JSON values, including what breaks naive code: huge and odd numbers, lone surrogates, NUL, nesting.
_odd_strings = st.sampled_from(["", " ", "\x00", "\ud800", "a\udfff", "\u202e", "0000-00-00", "99999-01-01",
                                "2024-02-30", "Sat, 01 Jan 0000 00:00:00 GMT", "1" * 5000])
_text = st.one_of(st.text(max_size=60), _odd_strings, st.builds(lambda a, b: a + b, st.text(max_size=20), _odd_strings))
#: Numbers no Python value prints safely (hypothesis cannot repr a 5,000-digit int): strings in the
#: object, written raw into the JSON text by ``_dumps``.
RAW_NUMBERS = {"<5000 digits>": b"1" * 5000, "<-4301 digits>": b"-" + b"9" * 4301, "<1e999999>": b"1e999999",
               "<NaN>": b"NaN", "<-Infinity>": b"-Infinity", "<tiny>": b"0." + b"0" * 400 + b"1"}
_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.sampled_from([2**63, -(2**63) - 1, 10**30]),
                     st.sampled_from(sorted(RAW_NUMBERS)), st.floats(allow_nan=True, allow_infinity=True), _text)
json_values = st.recursive(_scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                             st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                           max_leaves=12)
records = st.dictionaries(st.sampled_from(fi.FIELDS + ["spans", "extra"]), json_values, max_size=7).map(
    lambda d: {"text": "Gunmen killed two traders in Gao on Monday, officials said.", **d})


@_settings(200)
@given(obj=st.one_of(records, json_values))
def test_article_from_obj_is_typed_or_a_clean_problem(obj: Any) -> None:
    """The JSON field validation of ingest/jsonl.py: an article with typed fields, or InputProblem."""
    try:
        article = article_from_obj(obj)
    except InputProblem as problem:
        assert problem.code in fi.DOCUMENTED_CODES
        return
    assert isinstance(article, Article) and isinstance(article.text, str) and article.text.strip()
    for name in ("title", "external_id", "outlet", "url", "language"):
        value = getattr(article, name)
        assert value is None or isinstance(value, str), f"{name} is a {type(value).__name__}"
    assert article.published is None or isinstance(article.published, dt.date)
    assert len(article.content_hash) == 64


def _dumps(obj: Any, ensure_ascii: bool = False) -> bytes:
    """JSON as a hostile client writes it: lone surrogates raw (invalid UTF-8) or escaped, NaN, any number."""
    data = json.dumps(obj, ensure_ascii=ensure_ascii).encode("utf-8", "surrogatepass")
    for token, raw in RAW_NUMBERS.items():
        data = data.replace(json.dumps(token).encode(), raw)
    return data


@_settings(150)
@given(obj=st.one_of(records, json_values, st.lists(records, max_size=3)),
       shape=st.sampled_from(["json", "jsonl", "sniffed"]), escape=st.booleans())
def test_readers_on_json_documents(obj: Any, shape: str, escape: bool) -> None:
    data = _dumps(obj, ensure_ascii=escape)
    if shape == "jsonl":
        data = b"\n".join(_dumps(o) for o in (obj if isinstance(obj, list) else [obj])) + b"\n"
    read_all(data, {"json": "x.json", "jsonl": "x.jsonl", "sniffed": None}[shape])


# --- folders: read_inputs with a sidecar, links and odd names ---------------------------------------------


def _read_folder(folder: fi.Folder, root: Path, seconds: float = STUCK) -> list[str]:
    folder.write(str(root))
    with not_stuck(seconds):
        items = list(read_inputs([str(root)]))
    kinds = [check_item(item, lambda s: s.startswith(str(root))) for item in items]
    read = {item[0].source for item in items if isinstance(item, tuple)}
    for rel in folder.good:
        path = str(root / rel)
        if rel in folder.raw_names:
            path = os.fsdecode(os.path.join(os.fsencode(os.path.dirname(path)), folder.raw_names[rel]))
        assert any(fi.same_path(s, path) for s in read), f"good file {rel} was not read"
    return kinds


@_settings(25, shrink=False)
@given(seed=st.integers(0, 2**32 - 1), sidecar=st.sampled_from([None, *fi.SIDECARS]))
def test_folders_read_every_good_file(tmp_path_factory: pytest.TempPathFactory, seed: int, sidecar: bytes | None) -> None:
    folder = fi.folder_case(seed, LIMIT, n_bad=4, fifo=False, sidecar=False)
    if sidecar is not None:
        folder.files["conflictwire-meta.json"] = sidecar
        folder.files["a.txt"] = fi.text_article("Sidecar file", fi.BODY3)
        folder.good.append("a.txt")
    _read_folder(folder, tmp_path_factory.mktemp("inbox"))


# --- extract and geoparse: the JSONL contract -----------------------------------------------------------

_fast_records = [n for n in fi.RECORD_GENERATORS if n != "pathological"]
record_lines = st.builds(lambda g, s: fi.record_case(g, s, 20_000).line,
                         st.sampled_from(_fast_records), st.integers(0, 2**32 - 1))


def _run_jsonl(command: str, lines: list[bytes], blank: bool) -> None:
    data = (b"\n\n" if blank else b"\n").join(lines) + b"\n"
    result = CliRunner().invoke(main, [command], input=data)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    problems = fi.check_jsonl_output(command, data, result.exit_code, result.stdout, result.stderr)
    assert not problems, f"{problems[:5]}\ninput: {data[:300]!r}\noutput: {result.stdout[:300]}"


@_settings(40, shrink=False)
@given(lines=st.lists(record_lines, min_size=1, max_size=4), blank=st.booleans())
def test_extract_writes_one_line_per_input_line(lines: list[bytes], blank: bool) -> None:
    _run_jsonl("extract", lines, blank)


@_settings(30, shrink=False)
@given(lines=st.lists(record_lines, min_size=1, max_size=3), blank=st.booleans())
def test_geoparse_writes_one_line_per_input_line(lines: list[bytes], blank: bool) -> None:
    _run_jsonl("geoparse", lines, blank)


@_settings(40)
@given(rec=records)
def test_extract_on_records_with_any_field_values(rec: dict[str, Any]) -> None:
    _run_jsonl("extract", [_dumps(rec)], False)


# --- the API's write route --------------------------------------------------------------------------

TOKEN = "fuzz-token"


@pytest.fixture(scope="module")
def api_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The app as `conflictwire serve` builds it (the real ingest pipeline) over a temporary SQLite file."""
    from fastapi.testclient import TestClient

    from conflictwire.api.app import create_app
    from conflictwire.cli import _api_ingest
    from conflictwire.store import Store

    store = Store.open(str(tmp_path_factory.mktemp("api") / "api.db"))
    yield TestClient(create_app(store, token=TOKEN, ingest_fn=_api_ingest(store)), raise_server_exceptions=False)
    store.close()


def _post(client: Any, body: bytes, content_type: str | None = "application/json") -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    if content_type:
        headers["Content-Type"] = content_type
    response = client.post("/api/articles", content=body, headers=headers)
    problems = fi.check_api_response(response.status_code, response.text)
    assert not problems, f"{problems}\nbody: {body[:300]!r}"


@_settings(30, shrink=False)
@given(case=st.builds(fi.api_case, st.integers(0, 2**32 - 1), st.just(20_000)))
def test_api_post_never_answers_5xx(api_client: Any, case: fi.ApiCase) -> None:
    _post(api_client, case.body, case.content_type)


@_settings(30)
@given(body=st.one_of(records, st.lists(records, min_size=1, max_size=2)))
def test_api_post_records_with_any_field_values(api_client: Any, body: Any) -> None:
    _post(api_client, _dumps(body))


# --- the hostile inputs of issue 13, one by one ----------------------------------------------------------

KNOWN_READER_INPUTS = {
    "json nested 5,000 deep": (b"[" * 5000 + b"]" * 5000, "deep.json"),
    "json object nested 5,000 deep": (b'{"a":' * 5000 + b"1" + b"}" * 5000, None),
    "jsonl line nested 5,000 deep": (b'{"text": "Two killed in Gao.", "x": ' + b"[" * 5000 + b"]" * 5000 + b"}\n", "deep.jsonl"),
    "warc response without WARC-Target-URI": (
        fi.warc([fi.warc_record("response", fi.http_block(fi.html_page()), uri=None)]), "crawl.warc"),
    "feed title &#xD800;": (fi.rss([fi.rss_item(title="Market &#xD800; attack")]), "feed.rss"),
    "feed title &#99999999999;": (fi.rss([fi.rss_item(title="Market &#99999999999; attack")]), "feed.rss"),
    "feed title &#x110000;": (fi.rss([fi.rss_item(title="Market &#x110000; attack")]), "feed.rss"),
    "feed entry of year 0": (fi.atom([fi.atom_entry(updated="0000-01-01T00:00:00Z")]), "feed.atom"),
    "feed pubDate of year 0": (fi.rss([fi.rss_item(date="Sat, 01 Jan 0000 00:00:00 GMT")]), "feed.rss"),
    "feed pubDate of year 1 before UTC": (fi.rss([fi.rss_item(date="Mon, 01 Jan 0001 00:00:00 +0100")]), "feed.rss"),
    "feed NUL reference in an entry": (fi.rss([fi.rss_item(title="a&#0;b", desc="Shelling&#0; killed four in Northtown.")]), "feed.rss"),
    "feed declared utf-16, written utf-8": (fi.rss(decl="utf-16"), "feed.rss"),
    "feed in latin-1 declared utf-8": (fi.rss().replace(b"Northtown", b"Northt\xf6wn"), "feed.rss"),
    "json number of 5,000 digits": (b'{"id": 1' + b"0" * 5000 + b', "text": "Two killed in Gao."}', "n.json"),
    "jsonl number of 5,000 digits": (b'{"id": 1' + b"0" * 5000 + b', "text": "Two killed in Gao."}\n', "n.jsonl"),
    "json title with a lone surrogate": (b'{"title": "\\ud800", "text": "Two killed in Gao."}', "s.json"),
    "json text with a lone surrogate": (b'{"text": "Two killed in Gao.\\udfff"}', "s.jsonl"),
    "json array item with a lone surrogate": (b'[{"text": "Two killed in Gao.", "x": "\\ud800"}]', "s.json"),
}


@pytest.mark.parametrize("name", list(KNOWN_READER_INPUTS))
def test_known_hostile_reader_inputs(name: str) -> None:
    data, filename = KNOWN_READER_INPUTS[name]
    read_all(data, filename)


def test_feed_of_3_mb_of_nested_markup_is_read_in_seconds() -> None:
    """The issue: a 3 MB feed of nested markup took 30 s. Within the 5 s an input may take (CPU time, so
    a busy machine does not fail it): refused or read, either way quickly."""
    depth = 3_000_000 // 7
    data = fi.rss([fi.rss_item(extra="<x>" * depth + "y" + "</x>" * depth)])
    with cpu_seconds() as spent:
        read_all(data, "feed.rss")
    assert spent[0] < 5, f"{spent[0]:.1f} s of CPU"


@pytest.mark.parametrize("sidecar", [
    b'{"a.txt": {"published": ' + b"1" * 5000 + b"}}",
    b'{"a.txt": ' + b'{"x":' * 3000 + b"1" + b"}" * 3000 + b"}",
    b'{"a.txt": {"outlet": "\\ud800"}}',
], ids=["number of 5,000 digits", "nested 3,000 deep", "lone surrogate"])
def test_known_hostile_sidecars(tmp_path: Path, sidecar: bytes) -> None:
    folder = fi.Folder(files={"conflictwire-meta.json": sidecar, "a.txt": fi.text_article("Sidecar", fi.BODY3),
                              "b.txt": fi.text_article()}, good=["a.txt", "b.txt"])
    _read_folder(folder, tmp_path)


def test_named_pipe_in_a_folder_does_not_block(tmp_path: Path) -> None:
    folder = fi.Folder(files={"good.txt": fi.text_article()}, fifos=["pipe.txt"], good=["good.txt"])
    kinds = _read_folder(folder, tmp_path, seconds=10)
    assert kinds.count("article") == 1 and len(kinds) == 2, kinds


KNOWN_EXTRACT_LINES = {
    "title 5": b'{"id": "t5", "text": "Gunmen killed two traders in Gao on Monday.", "title": 5}',
    "title 1.5": b'{"id": "t15", "text": "Gunmen killed two traders in Gao on Monday.", "title": 1.5}',
    "title []": b'{"id": "tl", "text": "Gunmen killed two traders in Gao on Monday.", "title": []}',
    "outlet {}": b'{"id": "o", "text": "Gunmen killed two traders in Gao on Monday.", "outlet": {}}',
    "published 12345": b'{"id": "p", "text": "Gunmen killed two traders in Gao on Monday.", "published": 12345}',
    "published 0000-00-00": b'{"id": "p0", "text": "Gunmen killed two traders in Gao on Monday.", "published": "0000-00-00"}',
    "invalid UTF-8 byte": b'{"id": "u", "text": "Gunmen killed two traders in Gao\xff on Monday."}',
    "id of 5,000 digits": b'{"id": 1' + b"0" * 5000 + b', "text": "Gunmen killed two traders in Gao on Monday."}',
    "id NaN": b'{"id": NaN, "text": "Gunmen killed two traders in Gao on Monday."}',
    "nested 5,000 deep": b"[" * 5000 + b"]" * 5000,
    "title with a lone surrogate": b'{"id": "s", "text": "Gunmen killed two traders in Gao on Monday.", "title": "\\ud800"}',
    "id with a lone surrogate": b'{"id": "\\ud800", "text": "Gunmen killed two traders in Gao on Monday."}',
}


@pytest.mark.parametrize("command", ["extract", "geoparse"])
@pytest.mark.parametrize("name", list(KNOWN_EXTRACT_LINES))
def test_known_hostile_jsonl_lines(command: str, name: str) -> None:
    good = json.dumps({"id": "good", "text": "Police fired tear gas at protesters in Nairobi on Monday."}).encode()
    _run_jsonl(command, [good, KNOWN_EXTRACT_LINES[name], good], False)


def test_extract_of_a_sentence_of_4000_cue_words_takes_seconds() -> None:
    """The issue: "killed killed ..." (2,000 cue hits in one sentence) took 13.5 s; the cost grew with
    the square of the hits (4,000: 18 s of CPU before the fix)."""
    line = json.dumps({"id": "k", "text": "killed " * 4000}).encode()
    _run_jsonl("extract", [b'{"id": "warm", "text": "Gunmen killed two traders in Gao."}'], False)  # models loaded
    with cpu_seconds() as spent:
        _run_jsonl("extract", [line], False)
    assert spent[0] < 5, f"{spent[0]:.1f} s of CPU"


def test_extract_of_an_article_over_a_million_characters() -> None:
    """The issue: spaCy refuses more than 1,000,000 characters (E088); one line out all the same."""
    line = json.dumps({"id": "big", "text": "The river was calm that day.\n" * 34_483}).encode()
    _run_jsonl("extract", [line], False)


@pytest.mark.parametrize("body", [
    b'{"text": "Gunmen killed two traders in Gao on Monday.", "title": "\\ud800"}',
    b'{"text": "Gunmen killed two traders in Gao on Monday.\\udfff"}',
    b'{"text": "Gunmen killed two traders in Gao on Monday.", "outlet": "a\\u0000b"}',
    b'[{"text": "Two killed in Gao."}, {"text": 5}]',
    b'{"text": "Two killed in Gao.", "id": 1' + b"0" * 5000 + b"}",
    b"[" * 5000 + b"]" * 5000,
    b'{"text": "Two killed in Gao.", "published": "0000-00-00"}',
], ids=["surrogate title", "surrogate text", "NUL outlet", "one bad of two", "id of 5,000 digits", "nested", "year 0"])
def test_known_hostile_api_bodies(api_client: Any, body: bytes) -> None:
    _post(api_client, body)
