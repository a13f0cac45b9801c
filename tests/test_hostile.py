"""Hostile and malformed inputs: each fails alone, with its code, and costs the batch nothing.

Each case here is one the fuzzing harness (bench/fuzz.py, tests/test_fuzz.py) once found crashing a
reader or an entry point; the reproducers are written by hand.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conflictwire.cli import main

from conflictwire.extract.reports import _chunks, _cut_point, _readable
from conflictwire.ingest import InputProblem, read_bytes, read_inputs
from conflictwire.ingest.jsonl import check_depth, load_json
from conflictwire.limits import MAX_ARTICLE_CHARS, MAX_JSON_DEPTH, MAX_READ_CHARS, TimeLimitExceeded, time_limit
from conflictwire.model import Article, InputError, safe_text

GOOD = "Gunmen killed four villagers in Kafr Nabl on Monday, a local official said."


def _codes(data: bytes, name: str | None = None) -> list[str]:
    """What reading ``data`` as a file called ``name`` gives: 'ok' per article, else the error codes."""
    out = []
    for item in read_inputs_of(data, name):
        out.append(item.code if isinstance(item, InputError) else "ok")
    return out


def read_inputs_of(data: bytes, name: str | None) -> list[object]:
    from conflictwire.ingest import guarded

    return list(guarded(read_bytes(data, name or "input", name), name or "input"))


# -- JSON ------------------------------------------------------------------------------------------


def test_deep_json_is_too_deep_not_a_recursion_error():
    assert _codes(b"[" * 5000 + b"]" * 5000, "a.json") == ["too-deep"]
    assert _codes(b'{"text": "x", "a": ' + b"[" * 100_000, "a.json") == ["too-deep"]


def test_deep_line_in_jsonl_costs_only_that_line():
    data = (json.dumps({"text": GOOD}) + "\n" + "[" * 3000 + "\n" + json.dumps({"text": GOOD + " Later."})).encode()
    assert _codes(data, "a.jsonl") == ["ok", "too-deep", "ok"]


def test_depth_check_skips_brackets_inside_strings():
    check_depth(json.dumps({"text": "[" * (MAX_JSON_DEPTH * 3) + '\\"{{{'}))  # no error
    with pytest.raises(InputProblem) as e:
        check_depth("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1))
    assert e.value.code == "too-deep"


def test_huge_number_is_too_large():
    data = b'{"text": "' + GOOD.encode() + b'", "id": ' + b"7" * 5000 + b"}"
    assert _codes(data, "a.json") == ["too-large"]
    assert load_json(b'{"id": 12345678901234567890}')["id"] == 12345678901234567890


@pytest.mark.parametrize("field,value", [("title", 5), ("title", 1.5), ("outlet", []), ("url", {}), ("published", 12345),
                                         ("id", {"a": 1}), ("id", True), ("text", 5)])
def test_wrong_field_types_are_invalid_fields(field, value):
    rec = {"text": GOOD, field: value}
    assert _codes(json.dumps(rec).encode(), "a.jsonl") == ["invalid-field"]


def test_unreal_dates_are_refused_or_dropped_never_raised():
    for value in ("0000-00-00", "99999-01-01", "2024-13-45", "Mon, 01 Jan 0000 00:00:00 GMT"):
        rec = {"text": GOOD, "published": value}
        assert _codes(json.dumps(rec).encode(), "a.jsonl") in (["invalid-field"], ["ok"])


# -- text made safe --------------------------------------------------------------------------------


def test_lone_surrogates_and_nul_become_replacement_characters_offsets_kept():
    rec = '{"text": "' + GOOD + ' \\ud800 and \\u0000.", "title": "Raid \\udc00"}'
    (item,) = read_inputs_of(rec.encode(), "a.json")
    art = item[0]
    assert "\ufffd" in art.text and "\x00" not in art.text and art.title == "Raid \ufffd"
    assert len(art.text) == len(json.loads(rec)["text"])
    art.content_hash  # encodable
    assert safe_text("a\ud800b\x00") == "a\ufffdb\ufffd"
    assert Article(text="x\udfff").text == "x\ufffd"


def test_article_over_the_limit_is_too_large_in_every_reader():
    body = ("word " * (MAX_ARTICLE_CHARS // 5 + 10)).strip()
    assert _codes(json.dumps({"text": body}).encode(), "a.jsonl") == ["too-large"]
    assert _codes(("Title\n\n" + body).encode(), "a.txt") == ["too-large"]


# -- feeds, WARC ------------------------------------------------------------------------------------


def _rss(item: str) -> bytes:
    return ('<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>' + item + "</channel></rss>").encode()


def test_feed_character_references_to_no_character_are_replaced():
    data = _rss(f"<item><title>A &#xD800; b &#99999999999; c &#x110000;</title><description>{GOOD}</description></item>")
    (item,) = read_inputs_of(data, "f.rss")
    assert item[0].title.count("\ufffd") == 3


def test_feed_year_zero_is_no_date_and_nul_markup_is_read():
    data = _rss(f"<item><title>T</title><description>{GOOD} &lt;b&gt;x\x01y&lt;/b&gt;</description>"
                "<pubDate>Mon, 01 Jan 0000 00:00:00 GMT</pubDate></item>")
    (item,) = read_inputs_of(data, "f.rss")
    assert item[0].published is None and "Kafr Nabl" in item[0].text


def test_feed_in_an_unknown_encoding_does_not_crash():
    data = b'<?xml version="1.0" encoding="klingon"?><rss version="2.0"><channel><item><description>' + GOOD.encode() + \
           b" \xff\xfe</description></item></channel></rss>"
    assert set(_codes(data, "f.rss")) <= {"ok", "malformed-feed", "no-text"}


def test_warc_response_without_target_uri_is_malformed_warc():
    body = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html><body><p>" + GOOD.encode() * 3 + b"</p></body></html>"
    head = (b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:1>\r\n"
            b"Content-Type: application/http; msgtype=response\r\nContent-Length: %d\r\n\r\n") % len(body)
    assert _codes(head + body + b"\r\n\r\n", "a.warc") == ["malformed-warc"]


# -- folders ----------------------------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_pipe_in_a_folder_is_skipped_not_waited_on(tmp_path: Path):
    (tmp_path / "a.txt").write_text("Raid\n\n" + GOOD)
    os.mkfifo(tmp_path / "b.pipe")
    (tmp_path / "c.txt").write_text("Raid again\n\n" + GOOD + " Two more died later.")
    items = list(read_inputs([str(tmp_path)], seconds=10))
    codes = [i.code if isinstance(i, InputError) else "ok" for i in items]
    assert codes == ["ok", "not-a-file", "ok"]


def test_bad_sidecar_is_named_and_the_files_still_read(tmp_path: Path):
    (tmp_path / "conflictwire-meta.json").write_bytes(b'{"a.txt": {"published": ' + b"9" * 6000 + b"}}")
    (tmp_path / "a.txt").write_text("Raid\n\n" + GOOD)
    items = list(read_inputs([str(tmp_path)]))
    assert [getattr(i, "code", "ok") for i in items] == ["too-large", "ok"]
    assert items[0].source.endswith("conflictwire-meta.json")


# -- limits ----------------------------------------------------------------------------------------


def test_time_limit_stops_a_slow_step_in_the_main_thread_and_at_checks_in_others():
    import threading
    import time

    from conflictwire.limits import check_time

    with pytest.raises(TimeLimitExceeded):
        with time_limit(0.2, "spinning"):
            while True:
                pass
    check_time()  # no limit any more
    seen: list[str] = []

    def worker() -> None:
        with time_limit(0.05, "working"):  # no timer in a thread: the loop's own checks stop it
            try:
                for _ in range(100):
                    time.sleep(0.01)
                    check_time()
                seen.append("ran to the end")
            except TimeLimitExceeded as exc:
                seen.append(str(exc))
        check_time()  # the limit ended with its block

    t = threading.Thread(target=worker)
    t.start()
    t.join()
    assert len(seen) == 1 and "working took over 0.05 s" in seen[0]


def test_sidecar_values_and_odd_file_names_are_made_safe(tmp_path: Path):
    name = os.fsdecode(b"caf\xe9.txt")  # not UTF-8: Python keeps the byte as a lone surrogate
    (tmp_path / name).write_text("Raid\n\n" + GOOD)
    # the metadata names that file, and gives an outlet with a lone surrogate
    (tmp_path / "conflictwire-meta.json").write_text('{"caf\\udce9.txt": {"outlet": "Wire \\ud800"}}')
    (item,) = list(read_inputs([str(tmp_path)]))
    art, raw = item
    assert art.source.endswith("caf\\xe9.txt") and raw.source == art.source
    assert art.outlet == "Wire \ufffd"
    art.source.encode("utf-8")


def test_long_text_is_cut_at_a_break_and_chunks_join_to_the_text():
    para = "Soldiers shelled the market in Kharkiv on Monday. " * 40 + "\n\n"
    text = para * (MAX_READ_CHARS // len(para) + 5)
    read = _readable(text)
    assert len(read) <= MAX_READ_CHARS and text.startswith(read) and read.endswith("\n\n")
    chunks = list(_chunks(text, 10_000))
    assert "".join(chunks) == text and all(len(c) <= 10_000 for c in chunks)
    assert _cut_point("x" * 100, 50) == 50  # no break to cut at: cut at the limit


# -- extraction ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def extractor():
    from conflictwire.extract import Extractor

    return Extractor.default(fast=True)


def test_long_article_is_parsed_in_pieces_with_offsets_into_the_whole_text(extractor, monkeypatch):
    from conflictwire.extract import reports as module

    monkeypatch.setattr(module, "PARSE_CHUNK_CHARS", 3_000)  # the same code path as 100,000, sooner
    filler = "The committee met again to discuss the budget for the coming year. " * 10 + "\n\n"
    event = "Gunmen killed four villagers in Kafr Nabl on Monday, a local official said.\n\n"
    text = filler * 6 + event + filler * 2  # over PARSE_CHUNK_CHARS, under MAX_READ_CHARS
    (reports,) = list(extractor.extract_each([(text, None, None, None)], seconds=None))
    assert reports, "the event past the first piece was found"
    spans = [text[e.start:e.end] for r in reports for e in r.evidence]
    assert any("Kafr Nabl" in s for s in spans)
    assert all("text" not in r.why_empty for r in reports)


def test_text_past_the_read_limit_is_said_on_each_report(extractor, monkeypatch):
    from conflictwire.extract import reports as module

    monkeypatch.setattr(module, "MAX_READ_CHARS", 5_000)
    event = "Gunmen killed four villagers in Kafr Nabl on Monday, a local official said.\n\n"
    filler = "The committee met again to discuss the budget for the coming year. " * 10 + "\n\n"
    text = event + filler * 10
    (reports,) = list(extractor.extract_each([(text, None, None, None)], seconds=None))
    assert reports and all("only the first" in r.why_empty["text"] for r in reports)


def test_sentence_of_repeated_cues_is_one_report(extractor):
    (reports,) = list(extractor.extract_each([("Soldiers " + "killed " * 2000 + "people in Aleppo.", None, None, None)],
                                             seconds=None))
    assert len(reports) <= 1


@pytest.mark.parametrize("junk", ["a. " * 1000, "a. " * 20000, "12 34 56 " * 200, "|".join(["x"] * 500),
                                  "-- -- -- " * 300])
def test_text_that_is_no_prose_gives_no_report(extractor, junk):
    (reports,) = list(extractor.extract_each([(junk, None, None, None)], seconds=None))
    assert reports == []
    # the same junk after a real report costs nothing of it
    (reports,) = list(extractor.extract_each([(GOOD + "\n\n" + junk, None, None, None)], seconds=None))
    assert len(reports) == 1


def test_one_failing_article_costs_only_itself(extractor, monkeypatch):
    real = extractor.extract_doc

    def flaky(doc, *args):
        if "poison" in doc.text:
            raise ValueError("boom")
        return real(doc, *args)

    monkeypatch.setattr(extractor, "extract_doc", flaky)
    items = [(GOOD, None, None, None), ("poison " + GOOD, None, None, None), (GOOD + " Again.", None, None, None)]
    out = list(extractor.extract_each(items, seconds=None))
    assert isinstance(out[0], list) and out[0] and isinstance(out[2], list) and out[2]
    assert getattr(out[1], "code", None) == "internal-error" and "ValueError" in out[1].message


# -- the command line ----------------------------------------------------------------------------


def _cli(*args: str, stdin: bytes | None = None, timeout: int = 600) -> subprocess.CompletedProcess[bytes]:
    exe = Path(sys.executable).with_name("conflictwire")
    return subprocess.run([str(exe), *args], input=stdin, capture_output=True, timeout=timeout)


def test_ingest_stores_every_good_article_among_bad_ones(tmp_path: Path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("Raid on Kafr Nabl\n\n" + GOOD)
    (folder / "b.json").write_bytes(b"[" * 4000)
    (folder / "c.jsonl").write_bytes(b'{"text": "x", "title": 5}\n\xff\xfe\n{"text": "' + GOOD.encode()
                                      + b' Police arrested two suspects in Idlib on Tuesday.", "title": "T\\ud800"}\n')
    (folder / "d.rss").write_bytes(_rss("<item><title>&#xD800;</title><pubDate>Sat, 00 Jan 0000</pubDate>"
                                        "<description>Protesters marched in Dhaka on Friday against the price "
                                        "of fuel, police said.</description></item>"))
    (folder / "e.txt").write_bytes(b"Title\n\n" + b"\x00" * 10)
    db = tmp_path / "x.db"
    res = CliRunner().invoke(main, ["ingest", str(folder), "--db", str(db), "--fast", "--json"])
    err = res.stderr
    assert res.exit_code == 1, err
    assert res.exception is None or isinstance(res.exception, SystemExit)
    summary = json.loads(res.stdout)
    assert summary["articles_new"] == 3  # a.txt, c.jsonl#3, d.rss#1
    lines = [ln for ln in err.splitlines() if ln.startswith("error: ")]
    assert any("b.json: too-deep" in ln for ln in lines)
    assert any("c.jsonl#1: invalid-field" in ln for ln in lines)
    assert any("c.jsonl#2: invalid-encoding" in ln for ln in lines)
    assert any("e.txt: binary" in ln for ln in lines)
    again = json.loads(CliRunner().invoke(main, ["ingest", str(folder), "--db", str(db), "--fast", "--json"]).stdout)
    assert again["articles_new"] == 0  # nothing stored twice


def test_extract_writes_one_line_for_every_input_line():
    lines = [json.dumps({"id": "a", "text": GOOD}).encode(), b"", b"\xff\xfe{", b"[" * 5000,
             json.dumps({"id": 2, "text": GOOD, "title": 5}).encode(), b'{"id": "s", "text": "\\ud800 ' + GOOD.encode() + b'"}',
             b"   ", json.dumps({"id": "z", "text": GOOD, "published": "0000-01-01"}).encode()]
    res = CliRunner().invoke(main, ["extract", "--fast"], input=b"\n".join(lines) + b"\n")
    out = res.stdout_bytes.decode("utf-8").splitlines()
    assert len(out) == len(lines) and res.exit_code == 1, res.stderr
    assert len([ln for ln in res.stderr.splitlines() if ln.startswith("error: <stdin>#")]) == 6
    recs = [json.loads(x) for x in out]
    assert [r["id"] for r in recs] == ["a", None, None, None, 2, "s", None, "z"]
    assert recs[0]["error"] is None and recs[0]["reports"]
    assert [r["error"]["code"] for r in recs[1:5]] == ["empty", "invalid-encoding", "too-deep", "invalid-field"]
    assert recs[5]["error"] is None
    assert recs[7]["error"]["code"] == "invalid-field"
    assert all(r["error"] is None or r["error"]["message"].startswith("<stdin>#") for r in recs)


def test_serve_on_a_port_in_use_is_one_line_and_exit_2(tmp_path: Path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        res = _cli("serve", "--db", str(tmp_path / "s.db"), "--port", str(port), timeout=120)
    err = res.stderr.decode().strip()
    assert res.returncode == 2 and "in use" in err and len(err.splitlines()) == 1 and "serving" not in err


def test_feed_nested_too_deep_is_refused_before_parsing_but_cdata_and_breaks_are_not_counted():
    deep = _rss("<item><title>T</title><description>" + "<x>" * 300 + "y" + "</x>" * 300 + "</description></item>")
    assert _codes(deep, "f.rss") == ["too-deep"]
    breaks = "<p>" + "line<br>" * 400 + "</p>"
    ok = _rss(f"<item><title>T</title><description><![CDATA[<p>{GOOD}</p>{breaks}]]></description></item>"
              f"<item><title>U</title><description>{GOOD}<br/>" + "<br/>" * 400 + "</description></item>")
    assert _codes(ok, "f.rss") == ["ok", "ok"]
